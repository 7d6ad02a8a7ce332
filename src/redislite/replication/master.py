"""The master side of replication (Redis's replication.c, master half): replicas attached with SYNC or PSYNC, the
stream they receive, their acknowledgements, and WAIT.

A replica's handshake (REPLCONF listening-port / ip-address / capa) is kept on its client until PSYNC. PSYNC
continues it from the backlog when its replication ID and offset are still covered (`+CONTINUE`); otherwise
(or with SYNC) it gets a full resync: a BGSAVE is forked for it (or for the replicas waiting when the running
child ends), `+FULLRESYNC <replid> <offset>` names the point of the stream the snapshot holds, the stream
from that point is buffered while the snapshot is written, then the snapshot goes out as `$<len>` and the
buffer after it, and the replica is online.

The stream is the engine's propagation stream (engine/propagation.py) encoded as RESP, with SELECT where the
database changes: every byte of it advances the offset and goes into the backlog (ReplicationState.feed),
which passes it on to the attached replicas. A replica of this server sees no replies to what it sends after
PSYNC (its REPLCONF ACKs are answered by nothing, as in Redis). On a server that is itself a replica the
stream is its master's, passed on as received (replication/replica.py feeds it), so chained replicas share
one replication ID and offset.
"""

import asyncio
import logging
import os
import time
from typing import TYPE_CHECKING

from .. import errors
from ..engine.propagation import Op, encode_ops
from ..engine.replication import new_replid
from ..errors import CommandError
from ..protocol.encoder import encode_command
from .failover import Failover

if TYPE_CHECKING:
    from ..commands.context import Context
    from ..engine.state import ServerState

log = logging.getLogger("redislite.replication")

PING = [b"PING"]
GETACK = [b"REPLCONF", b"GETACK", b"*"]
NO_DB = -1  # an op that needs no SELECT (PING, REPLCONF GETACK, EXEC)
# INFO's words for a replica's state; Redis counts one waiting for its first ACK after a diskless sync online
INFO_STATES = {"handshake": "wait_bgsave", "wait_bgsave": "wait_bgsave", "wait_ack": "online", "online": "online"}


class AttachedReplica:
    """One replica of this server: from its first REPLCONF (or its SYNC/PSYNC) until its connection closes.
    Implements commands/context.py AttachedReplica."""

    def __init__(self, master: "MasterSide", client):
        self.master = master
        self.client = client
        self.announced_ip = ""  # REPLCONF ip-address (replica-announce-ip)
        self.listening_port = 0  # REPLCONF listening-port
        self.capabilities: set[bytes] = set()  # REPLCONF capa: eof, psync2
        self.rdb_only = False  # REPLCONF rdb-only 1 (redis-cli --rdb): the snapshot, then the connection closes
        # handshake -> wait_bgsave (a snapshot is being made for it) -> online (it receives the stream)
        self.state = "handshake"
        self.buffer: bytearray | None = None  # the stream since its +FULLRESYNC, while its snapshot is written
        self.ack_offset = 0
        self.ack_time = time.monotonic()
        self.old_protocol = False  # SYNC, not PSYNC: no +FULLRESYNC line before the snapshot
        self.eof_mark = b""  # a diskless sync: the 40 random bytes that end its snapshot ($EOF:<mark>)

    @property
    def ip(self) -> str:
        return self.announced_ip or self.client.addr.rpartition(":")[0]

    @property
    def online(self) -> bool:
        return self.state == "online"

    def send(self, data: bytes) -> None:
        connection = self.client.connection
        if connection is not None:
            connection.send_raw(data)

    def stream(self, data: bytes) -> None:
        """Bytes of the replication stream (ReplicationState.feed)."""
        if self.state == "online":
            self.send(data)
        elif self.buffer is not None:
            self.buffer += data

    # -- its snapshot (persistence/service.py calls these) -----------------------------------------------

    def snapshot_started(self) -> None:
        """The BGSAVE that makes its snapshot forked: the snapshot holds the stream up to this offset."""
        replication = self.master.state.replication
        replication.flush()  # what was written before the fork is in the snapshot, not in its buffer
        self.master.selected_db = NO_DB  # its stream starts here: the next command must say its database
        if not self.old_protocol:
            self.send(b"+FULLRESYNC %s %d\r\n" % (replication.replid.encode(), replication.master_repl_offset))
        if self.eof_mark:
            self.send(b"$EOF:%s\r\n" % self.eof_mark)  # its size is unknown: the mark ends it
        self.buffer = bytearray()
        log.info(
            "full_resync_started",
            extra={"replica": self.ip, "replid": replication.replid, "offset": replication.master_repl_offset},
        )

    def snapshot_chunk(self, data: bytes) -> None:
        """Diskless: the snapshot as the child writes it."""
        self.send(data)

    def snapshot_streamed(self, ok: bool) -> None:
        """Diskless: the child has exited."""
        self.snapshot_done(b"" if ok else None)

    def snapshot_done(self, payload: bytes | None) -> None:
        """The snapshot is complete (its bytes, b"" when they were streamed already), or failed (None)."""
        connection = self.client.connection
        if connection is None:
            return
        if payload is None:
            log.warning("full_resync_failed", extra={"replica": self.ip, "reason": "the snapshot was not written"})
            connection.kill()
            return
        if self.eof_mark:
            # A Redis replica finds the mark only at the end of what it has read: the stream waits for its
            # first ACK, which it sends once it has loaded the snapshot (Redis's repl_start_cmd_stream_on_ack)
            self.send(self.eof_mark)
            log.info("full_resync_sent", extra={"replica": self.ip, "buffered_bytes": len(self.buffer or b"")})
            if self.rdb_only:
                connection.kill()
            self.state = "wait_ack"
            return
        self.send(b"$%d\r\n" % len(payload))
        self.send(payload)
        log.info("full_resync_sent", extra={"replica": self.ip, "bytes": len(payload)})
        if self.rdb_only:
            connection.kill()  # the transport sends what it holds, then closes
            return
        self.start_stream()

    def start_stream(self) -> None:
        """The replica has its snapshot: what was buffered since, then the stream as it comes."""
        buffered, self.buffer = self.buffer or b"", None
        self.send(bytes(buffered))
        self.state = "online"
        self.ack_time = time.monotonic()


class MasterSide:
    """The replicas attached to this server and the stream they get: a consumer of the engine's propagation
    stream from the first replica on (Redis's backlog then exists and is fed for good). Installed as
    `ServerState.master_side` (commands/context.py MasterSideService)."""

    def __init__(self, state: "ServerState", persistence):  # persistence/service.py Persistence
        self.state = state
        self.persistence = persistence
        self.selected_db = NO_DB  # the database the stream last selected
        self.feeding = False  # consuming the propagation stream
        self.waiting: list = []  # WAIT: (client, offset, numreplicas), in the order they blocked
        self.getack_scheduled = False
        self.last_ping_s = time.monotonic()
        self.no_replicas_since = time.monotonic()  # repl-backlog-ttl counts from here
        self.diskless_waiting: list[AttachedReplica] = []  # full syncs waiting for repl-diskless-sync-delay
        self.diskless_since = 0.0
        self.failover = Failover(state)
        state.master_side = self

    # -- the stream ----------------------------------------------------------------------------------------

    def feed(self, ops: list[Op]) -> None:
        """The propagation stream's consumer: encode the ops, SELECT first where the database changes. On a
        replica nothing: its replicas get its master's stream as it arrives."""
        replication = self.state.replication
        if replication.master_host is not None:
            return
        if len(ops) == 1 and ops[0][0] == self.selected_db:  # the common case: one write, same database
            replication.feed(encode_command(ops[0][1]))
            return
        parts, self.selected_db = encode_ops(ops, self.selected_db)
        replication.feed(b"".join(parts))

    def start_feeding(self) -> None:
        """The backlog exists from now on and is fed (the first replica attached, or a replica was promoted:
        the replicas of its old master continue from it with what was written before they reconnect)."""
        replication = self.state.replication
        replication.create_backlog()
        if not self.feeding:
            self.feeding = True
            self.state.engine.add_stream_consumer(self)

    # -- SYNC and PSYNC ------------------------------------------------------------------------------------

    def replica_of(self, client: "Context") -> AttachedReplica:
        """The replica a client is (made one by its first REPLCONF)."""
        replica = client.replica
        if replica is None:
            replica = client.replica = AttachedReplica(self, client)
        return replica

    def sync(self, client: "Context", argv: list[bytes]) -> None:
        """syncCommand: SYNC, or PSYNC replid offset. Everything it answers goes out on the connection
        itself; the command's own reply is muted for good (a replica gets no replies)."""
        replica = client.replica
        if replica is not None and replica.state != "handshake":
            return  # a second SYNC on the same link is ignored, as in Redis
        replication = self.state.replication
        link = self.state.replica_link
        if len(argv) > 3 and argv[0].lower() == b"psync" and argv[3].lower() == b"failover":
            # our master hands over to us (its FAILOVER): it continues as our replica
            if argv[1].decode("latin-1") != replication.replid:
                raise CommandError(errors.PSYNC_FAILOVER_REPLID)
            if link is not None:
                log.info("master_mode_enabled_by_failover", extra={"client": client.addr})
                link.promote()
        if self.failover.status != "no-failover":
            raise CommandError(errors.NOMASTERLINK_FAILING_OVER)
        if replication.master_host is not None and (link is None or link.role_offset < 0):
            raise CommandError(errors.NOMASTERLINK)
        if client.connection is not None and client.connection.has_pending_output():
            raise CommandError(errors.SYNC_WITH_PENDING_OUTPUT)  # the stream must not follow other replies
        replica = self.replica_of(client)
        client.kind = "replica"
        client.reply_mode = "off"
        self.start_feeding()
        replication.replicas.append(replica)
        if argv[0].lower() == b"psync" and self._try_partial(replica, argv[1], argv[2]):
            return
        replica.old_protocol = argv[0].lower() == b"sync"
        replica.state = "wait_bgsave"
        self.state.stats.sync_full += 1
        if self.state.config.repl_diskless_sync and b"eof" in replica.capabilities and not replica.old_protocol:
            replica.eof_mark = os.urandom(20).hex().encode()
            if not self.diskless_waiting:
                self.diskless_since = time.monotonic()
            self.diskless_waiting.append(replica)
            self.start_diskless_sync()
        elif not self.persistence.sync(replica):
            self._sync_failed([replica], "BGSAVE could not start")

    def _sync_failed(self, replicas: list, reason: str) -> None:
        for replica in replicas:
            log.warning("full_resync_failed", extra={"replica": replica.ip, "reason": reason})
            replica.send(b"-" + errors.SAVE_FAILED + b"\r\n")
            connection = replica.client.connection
            if connection is not None:
                connection.kill()

    def start_diskless_sync(self) -> None:
        """Once repl-diskless-sync-delay has passed since the first waiting replica (more may come and share
        the snapshot), or repl-diskless-sync-max-replicas are waiting, and no other child runs."""
        waiting = self.diskless_waiting
        if not waiting or self.persistence.has_active_child():
            return
        config = self.state.config
        enough = config.repl_diskless_sync_max_replicas and len(waiting) >= config.repl_diskless_sync_max_replicas
        if time.monotonic() - self.diskless_since < config.repl_diskless_sync_delay and not enough:
            return
        self.diskless_waiting = []
        if not self.persistence.sync_to_sockets(waiting):
            self._sync_failed(waiting, "the diskless sync's child could not start")

    def _try_partial(self, replica: AttachedReplica, replid_arg: bytes, offset_arg: bytes) -> bool:
        """masterTryPartialResynchronization: +CONTINUE and the backlog from the replica's offset."""
        replication = self.state.replication
        try:
            psync_offset = int(offset_arg)
        except ValueError:
            return False
        replid = replid_arg.decode("latin-1")
        if not replication.can_continue(replid, psync_offset):
            if replid != "?":
                self.state.stats.sync_partial_err += 1
                log.info(
                    "partial_resync_refused", extra={"replica": replica.ip, "replid": replid, "offset": psync_offset}
                )
            return False
        backlog = replication.backlog
        assert backlog is not None
        data = backlog.read_from(psync_offset) or b""
        if b"psync2" in replica.capabilities:
            replica.send(b"+CONTINUE %s\r\n" % replication.replid.encode())
        else:
            replica.send(b"+CONTINUE\r\n")
        replica.send(data)
        replica.state = "online"
        replica.ack_time = time.monotonic()
        self.state.stats.sync_partial_ok += 1
        log.info("partial_resync_accepted", extra={"replica": replica.ip, "offset": psync_offset, "bytes": len(data)})
        return True

    def detach(self, replica) -> None:
        """Its connection closed."""
        replicas = self.state.replication.replicas
        if replica in replicas:
            replicas.remove(replica)
            log.info("replica_detached", extra={"replica": replica.ip, "state": replica.state})
        for waiting in (self.persistence.sync_pending, self.diskless_waiting):
            if replica in waiting:
                waiting.remove(replica)
        self._serve_waiting()  # fewer replicas cannot satisfy a WAIT, but a disconnected waiter can leave

    def disconnect_replicas(self) -> None:
        """disconnectSlaves: this server's history changed (a full sync from its master, a new replication ID):
        its replicas reconnect and ask again (a promotion's replid2 lets them continue)."""
        self.selected_db = NO_DB
        for replica in list(self.state.replication.replicas):
            connection = replica.client.connection
            if connection is not None:
                connection.kill()

    # -- REPLCONF ACK and WAIT -----------------------------------------------------------------------------

    def acknowledged(self, replica, offset: int) -> None:
        """REPLCONF ACK <offset>."""
        replica.ack_time = time.monotonic()
        if replica.state == "wait_ack":  # it has loaded its diskless snapshot
            replica.start_stream()
        if offset > replica.ack_offset:
            replica.ack_offset = offset
            if self.waiting:
                self._serve_waiting()
            self.failover.check()

    def good_replicas(self) -> int:
        """refreshGoodSlavesCount: online replicas whose last ACK is at most min-replicas-max-lag seconds old."""
        max_lag = self.state.config.min_replicas_max_lag
        now = time.monotonic()
        return sum(
            1 for replica in self.state.replication.replicas if replica.online and now - replica.ack_time <= max_lag
        )

    def count_acks(self, offset: int) -> int:
        """replicationCountAcksByOffset: the online replicas that acknowledged at least `offset`."""
        return sum(1 for replica in self.state.replication.replicas if replica.online and replica.ack_offset >= offset)

    def wait_for(self, client: "Context", offset: int, numreplicas: int) -> None:
        """A WAIT blocked: it is answered when enough replicas acknowledged `offset`; they are asked now."""
        self.waiting.append((client, offset, numreplicas))
        if not self.getack_scheduled:
            self.getack_scheduled = True
            asyncio.get_running_loop().call_soon(self._ask_for_acks)

    def _ask_for_acks(self) -> None:
        """REPLCONF GETACK to every replica, once per loop turn however many WAITs came (Redis's
        beforeSleep). It is part of the stream, so it counts in the offset."""
        self.getack_scheduled = False
        if self.waiting and self.state.replication.master_host is None and not self._paused():
            self.feed([(NO_DB, GETACK)])

    def _paused(self) -> bool:
        """Writes are paused (CLIENT PAUSE WRITE, FAILOVER): nothing may move the offset, not even a PING or
        GETACK (Redis's PAUSE_ACTION_REPLICA), so the replicas can catch up with it exactly."""
        state = self.state
        return state.pause_until_ms > state.clock_ms()

    def _serve_waiting(self) -> None:
        still = []
        engine = self.state.engine
        for entry in self.waiting:
            client, offset, numreplicas = entry
            if client.blocked_on is None or client.connection is None:
                continue  # timed out, unblocked or gone: answered already
            acks = self.count_acks(offset)
            if acks >= numreplicas:
                engine.unblock(client)
                client.connection.resume(acks)
            else:
                still.append(entry)
        self.waiting = still

    # -- the cron ------------------------------------------------------------------------------------------

    def cron(self) -> None:
        """replicationCron's master part, once a second: PING in the stream every repl-ping-replica-period,
        a newline to replicas still waiting for their snapshot (so they know the master lives), and replicas
        silent for longer than repl-timeout are dropped."""
        self.start_diskless_sync()
        replication = self.state.replication
        if not replication.replicas:
            self._expire_backlog()
            return
        self.no_replicas_since = time.monotonic()
        config = self.state.config
        now = time.monotonic()
        if (
            replication.master_host is None
            and now - self.last_ping_s >= config.repl_ping_replica_period
            and not self._paused()
        ):
            self.last_ping_s = now
            self.feed([(NO_DB, PING)])
        for replica in list(replication.replicas):
            if replica.state == "wait_bgsave" and not (replica.eof_mark and replica.buffer is not None):
                replica.send(b"\n")  # (never inside a diskless snapshot being streamed)
            elif replica.online and not replica.old_protocol and now - replica.ack_time > config.repl_timeout:
                log.warning("replica_timed_out", extra={"replica": replica.ip, "timeout": config.repl_timeout})
                connection = replica.client.connection
                if connection is not None:
                    connection.kill(abort=True)  # what it has not read is dropped: it stopped reading

    def _expire_backlog(self) -> None:
        """repl-backlog-ttl: a master without replicas for that long drops its backlog and stops feeding it,
        with a new replication ID (no replica could continue a history nobody keeps)."""
        replication = self.state.replication
        ttl = self.state.config.repl_backlog_ttl
        if not ttl or not self.feeding or replication.master_host is not None:
            return
        if time.monotonic() - self.no_replicas_since <= ttl:
            return
        log.info("backlog_freed", extra={"idle_seconds": ttl})
        replication.backlog = None
        replication.replid, replication.replid2, replication.second_repl_offset = new_replid(), "0" * 40, -1
        self.feeding = False
        self.state.engine.remove_stream_consumer(self)

    # -- INFO ----------------------------------------------------------------------------------------------

    def info_fields(self) -> list:
        """connected_slaves and a slaveN line per replica, as INFO replication lists them."""
        replicas = self.state.replication.replicas
        now = time.monotonic()
        fields: list = [("connected_slaves", len(replicas))]
        config = self.state.config
        if config.min_replicas_to_write and config.min_replicas_max_lag:
            fields.append(("min_slaves_good_slaves", self.good_replicas()))
        for index, replica in enumerate(replicas):
            fields.append(
                (
                    f"slave{index}",
                    f"ip={replica.ip},port={replica.listening_port},state={INFO_STATES[replica.state]},"
                    f"offset={replica.ack_offset},lag={int(now - replica.ack_time)}",
                )
            )
        return fields
