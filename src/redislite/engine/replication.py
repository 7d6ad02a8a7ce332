"""A server's replication identity (PSYNC2) and its backlog: what a master serves replicas from and what a
replica keeps to serve its own replicas and to continue after a promotion.

The offset counts the bytes of the replication stream this server has produced or applied since its
replication ID began (Redis's master_repl_offset). The backlog keeps the last `repl-backlog-size` bytes of
that stream, so a replica that reconnects with (replid, offset) still covered continues with +CONTINUE.
After a promotion the old ID becomes replid2, valid up to second_repl_offset (shiftReplicationId).
"""

import os
from collections.abc import Callable


def new_replid() -> str:
    return os.urandom(20).hex()


class Backlog:
    """A circular buffer of the last `size` bytes of the stream (Redis's repl_backlog): appending costs the
    bytes appended, however full it is. `first_offset` is the stream offset of its first byte
    (repl_backlog_first_byte_offset, 1-based as Redis counts)."""

    def __init__(self, size: int, start_offset: int):
        self.size = size
        self.buffer = bytearray(size)
        self.index = 0  # where the next byte goes
        self.histlen = 0  # bytes of history held
        self.end_offset = start_offset  # the offset of the last byte appended

    @property
    def first_offset(self) -> int:
        return self.end_offset - self.histlen + 1

    def append(self, data: bytes) -> None:
        size = len(data)
        self.end_offset += size
        self.histlen = min(self.histlen + size, self.size)
        if size >= self.size:  # only the tail fits
            self.buffer[:] = data[size - self.size :]
            self.index = 0
            return
        room = self.size - self.index
        if size <= room:
            self.buffer[self.index : self.index + size] = data
        else:
            self.buffer[self.index :] = data[:room]
            self.buffer[: size - room] = data[room:]
        self.index = (self.index + size) % self.size

    def read_from(self, psync_offset: int) -> bytes | None:
        """The stream from byte `psync_offset` on (PSYNC's offset: the first byte the replica lacks), or None
        when the backlog no longer holds it (or the replica claims bytes this server never produced)."""
        if not self.first_offset <= psync_offset <= self.end_offset + 1:
            return None
        count = self.end_offset + 1 - psync_offset
        start = (self.index - count) % self.size if count else self.index
        if start + count <= self.size:
            return bytes(self.buffer[start : start + count])
        return bytes(self.buffer[start:]) + bytes(self.buffer[: self.index])

    def resize(self, size: int) -> None:
        """repl-backlog-size changed: keep the newest history that fits."""
        kept = (self.read_from(self.first_offset) or b"")[-size:]
        end = self.end_offset
        self.size, self.buffer, self.index, self.histlen = size, bytearray(size), 0, 0
        self.end_offset = end - len(kept)
        self.append(kept)


class ReplicationState:
    """The replication ID, its offset and the backlog; the role and the master's address on a replica."""

    def __init__(self, backlog_size: int):
        self.replid = new_replid()
        self.replid2 = "0" * 40
        self.master_repl_offset = 0
        self.second_repl_offset = -1
        self.backlog_size = backlog_size
        self._backlog: Backlog | None = None  # made when the first replica attaches (createReplicationBacklog)
        # The stream produced during this loop turn, not yet in the backlog nor given to the replicas: they
        # get it once per turn (the server installs `schedule_flush`; without a loop, at once), so a write
        # pays a list append for them. Whatever reads the backlog or changes a replica's state flushes first.
        self.unflushed: list[bytes] = []
        self.schedule_flush: Callable[[], object] = self.flush
        self.master_host: str | None = None  # None: this server is a master
        self.master_port = 0
        self.replicas: list = []  # the replicas attached to this server (replication/master.py), in attach order

    @property
    def role(self) -> str:
        return "master" if self.master_host is None else "slave"

    @property
    def backlog(self) -> Backlog | None:
        self.flush()
        return self._backlog

    @backlog.setter
    def backlog(self, backlog: Backlog | None) -> None:
        self.flush()
        self._backlog = backlog

    def create_backlog(self) -> None:
        if self.backlog is None:
            self.backlog = Backlog(self.backlog_size, self.master_repl_offset)

    def feed(self, data: bytes) -> None:
        """Bytes of the stream this server produced (a master) or applied (a replica): counted now; kept in
        the backlog and passed on to this server's own replicas at the end of the loop turn (flush)."""
        self.master_repl_offset += len(data)
        unflushed = self.unflushed
        unflushed.append(data)
        if len(unflushed) == 1:
            self.schedule_flush()

    def flush(self) -> None:
        """The stream fed since the last flush, into the backlog and to every replica, in one piece."""
        if not self.unflushed:
            return
        data = b"".join(self.unflushed)
        self.unflushed = []
        if self._backlog is not None:
            self._backlog.append(data)
        for replica in self.replicas:
            replica.stream(data)

    def shift_replid(self) -> None:
        """A replica becomes a master: its old ID stays valid up to the current offset, so the other replicas
        of the old master can continue from it without a full sync."""
        self.replid2 = self.replid
        self.second_repl_offset = self.master_repl_offset + 1
        self.replid = new_replid()

    def can_continue(self, replid: str, psync_offset: int) -> bool:
        """`PSYNC replid psync_offset` can be served with +CONTINUE (masterTryPartialResynchronization)."""
        if self.backlog is None:
            return False
        if replid != self.replid and not (replid == self.replid2 and psync_offset <= self.second_repl_offset):
            return False
        return self.backlog.read_from(psync_offset) is not None
