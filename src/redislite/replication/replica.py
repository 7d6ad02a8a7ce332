"""The replica side of replication (Redis's replication.c, replica half): the link to a master, on the server's
event loop.

The link connects, does the handshake a Redis replica does (PING, AUTH with masterauth/masteruser, REPLCONF
listening-port, REPLCONF capa eof capa psync2, PSYNC), then either loads the master's snapshot (+FULLRESYNC: a
`$<len>` payload, or the diskless `$EOF:<mark>` framing) or keeps its data (+CONTINUE), and applies the
replication stream: every command runs through Engine.execute with a client of kind "master" (so -LOADING and
-READONLY never refuse it, and the AOF gets what it writes), and the bytes of every applied command advance the
offset (`ReplicationState.feed`), so the offset is the master's. The bytes of a MULTI ... EXEC count once the
EXEC ran, as Redis updates the master client's reploff only outside a transaction: a link lost inside one
continues from before its MULTI. `REPLCONF ACK <offset>` goes out every second and when the master asks
(`REPLCONF GETACK`). A lost link is retried with a growing delay (0.1 s doubling up to 2 s), with PSYNC of the
replication ID and offset this server has, so the master can continue where it stopped.

A replica never expires keys itself: the cron's active expiry is off, a read of a key past its deadline answers
as if the key were missing but leaves it (Database.expired_reads), and the master's commands see it as the
master did, until the master's DEL removes it.
"""

import asyncio
import logging
import socket
import time
from itertools import chain

import hiredis

from ..config import parse_replicaof
from ..engine.client import Client
from ..protocol.encoder import encode_command
from ..storage.database import EXPIRE_DELETE, EXPIRE_HIDE, EXPIRE_SHOW

log = logging.getLogger("redislite.replication")

ACK_PERIOD_S = 1.0  # REPLCONF ACK from replicationCron, once a second
RETRY_FIRST_S = 0.1  # reconnection delay after a lost link, doubled on each failure ...
RETRY_MAX_S = 2.0  # ... up to this
READ_SIZE = 1 << 16
EOF_MARK_LENGTH = 40  # RDB_EOF_MARK_SIZE: the diskless payload ends with the 40 random bytes of its header
NO_REPLID = "0" * 40
# Errors to PING that still let the handshake go on (AUTH comes next)
PING_ACCEPTED_ERRORS = (b"-NOAUTH", b"-NOPERM", b"-ERR operation not permitted")


class LinkError(Exception):
    """The master answered something the handshake or the stream cannot go on with."""


class MasterConnection:
    """The master client's socket side, as the engine and CLIENT KILL see it (commands/context.py
    ClientConnection): replies to the master are never sent (the link writes REPLCONF ACK itself), and killing
    the client drops the link, which then reconnects and continues."""

    closing = False
    tls = False  # (busy.py reads only plain sockets; this has none to read)

    def __init__(self, link: "ReplicaLink"):
        self.link = link

    def authentication_changed(self, authenticated: bool) -> None:
        pass

    def deliver(self, payload: bytes) -> None:
        pass

    def send_raw(self, payload: bytes) -> None:
        pass

    def resume(self, reply) -> None:
        pass

    def unblock(self) -> None:
        pass

    def close_after_reply(self) -> None:
        self.link.drop("closed")

    def kill(self, abort: bool = False) -> None:
        self.link.drop("killed")


_DIGITS = [len(b"%d" % n) for n in range(10_000)]  # the length of n written in decimal


def batch_length(commands: list[list[bytes]]) -> int:
    """command_length of each command, summed, in C-level passes over all of their arguments at once."""
    try:
        arguments = list(chain.from_iterable(commands))
        sizes = list(map(len, arguments))
        size = len(b"".join(arguments))  # type-checks every argument as bytes
        if not all(commands):
            raise TypeError
        headers = sum(map(_DIGITS.__getitem__, map(len, commands))) + sum(map(_DIGITS.__getitem__, sizes))
        return 3 * len(commands) + headers + size + 5 * len(sizes)
    except (IndexError, TypeError):  # an argument of 10 kB or more, or not a command
        return sum(map(command_length, commands))


def command_length(argv: list[bytes]) -> int:
    """The bytes of a command as RESP (`*<n>` and `$<len>` headers, CRLFs): the replication offset it
    advances. LinkError when it is not a non-empty list of strings, which no master sends."""
    try:
        size = len(b"".join(argv))  # type-checks every argument as bytes, in C
        if not argv:
            raise TypeError
        return 3 + _DIGITS[len(argv)] + size + 5 * len(argv) + sum(map(_DIGITS.__getitem__, map(len, argv)))
    except IndexError:  # an argument of 10 kB or more
        return len(encode_command(argv))
    except TypeError:
        raise LinkError(f"protocol error in the replication stream: {str(argv)[:64]}") from None


def parse_command(buffer: bytearray, pos: int) -> tuple[list[bytes], int] | None:
    """The RESP multibulk at pos as (argv, end), or None while it is incomplete. LinkError when the bytes are
    not a command: a master sends nothing else."""
    if buffer[pos] != 0x2A:  # '*'
        raise LinkError(f"protocol error in the replication stream at {bytes(buffer[pos : pos + 16])!r}")
    size = len(buffer)
    eol = buffer.find(b"\r\n", pos)
    if eol < 0:
        return None
    try:
        count = int(buffer[pos + 1 : eol])
        argv = []
        cursor = eol + 2
        for _ in range(count):
            if cursor >= size:
                return None
            if buffer[cursor] != 0x24:  # '$'
                raise LinkError("protocol error in the replication stream: expected '$'")
            eol = buffer.find(b"\r\n", cursor)
            if eol < 0:
                return None
            length = int(buffer[cursor + 1 : eol])
            cursor = eol + 2
            if cursor + length + 2 > size:
                return None
            argv.append(bytes(buffer[cursor : cursor + length]))
            cursor += length + 2
    except ValueError:
        raise LinkError("protocol error in the replication stream: bad length") from None
    if not argv:
        raise LinkError("protocol error in the replication stream: empty command")
    return argv, cursor


class ReplicaLink:
    """This server's link to its master, installed as `ServerState.replica_link` (commands/context.py
    ReplicaLinkService). While the server is a master the link is idle (`link_state` "none")."""

    def __init__(self, state, persistence):
        self.state = state
        self.persistence = persistence
        self.task: asyncio.Task | None = None
        # ROLE's words: none (a master), connect (waiting to connect), connecting, handshake, sync (receiving
        # the snapshot), connected
        self.link_state = "none"
        # The master client: applies the stream. Kept while the link is down (Redis's cached master), so a
        # +CONTINUE goes on in the database it had selected.
        self.client: Client | None = None
        self.can_continue = False  # PSYNC may offer our replication ID and offset (else PSYNC ? -1)
        self.link_up = False
        self.writer: asyncio.StreamWriter | None = None
        self.buffer = bytearray()  # received, not yet applied (an incomplete command)
        self.reader: hiredis.Reader | None = None  # parses the stream: it holds what `buffer` holds
        self.timed_out = False  # repl-timeout passed without a byte from the master (_ack_loop)
        self.pending = bytearray()  # applied inside a MULTI not yet EXECuted: fed to the offset with the EXEC
        self.last_io = time.monotonic()
        self.down_since: float | None = None  # None: the link was never up
        self.sync_total = self.sync_read = 0  # the snapshot being received (INFO master_sync_*)
        self.reconnected = False  # the current session got as far as a synced link: the next delay starts over
        state.replica_link = self

    # -- REPLICAOF and the replicaof setting ------------------------------------------------------------------

    def start_from_config(self) -> None:
        """`replicaof` given at start-up: no cached master yet, so the first PSYNC is `PSYNC ? -1`."""
        master = parse_replicaof(self.state.config.replicaof)
        if master is not None:
            self.replicate_from(*master)
            self.can_continue = False

    def replicate_from(self, host: str, port: int) -> None:
        """replicationSetMaster: drop the current link and connect to host:port. A master becoming a replica
        offers its own replication ID and offset, so a master that was its replica can continue it."""
        replication = self.state.replication
        was_master = replication.master_host is None
        self._end_link()
        self._forget_client()
        replication.master_host, replication.master_port = host, port
        self.state.config.replicaof = f"{host} {port}"
        if was_master:
            self.can_continue = True
            self._set_expired_reads(EXPIRE_HIDE)
            self.state.engine.update_gate()  # replica-read-only
        self.link_state = "connect"
        log.info("replicaof_enabled", extra={"master_host": host, "master_port": port})
        self.task = asyncio.get_running_loop().create_task(self._run())

    def promote(self) -> None:
        """replicationUnsetMaster (REPLICAOF NO ONE): close the link, keep the data; the old replication ID stays
        valid up to the current offset (replid2), so the old master's other replicas can continue from us."""
        replication = self.state.replication
        if replication.master_host is None:
            return
        self._end_link()
        self._forget_client()
        replication.shift_replid()
        master_side = self.state.master_side
        if master_side is not None:
            master_side.start_feeding()  # the backlog, fed from now on
            master_side.disconnect_replicas()  # they reconnect and continue from us with the old ID (replid2)
        replication.master_host, replication.master_port = None, 0
        self.state.config.replicaof = ""
        self.link_state = "none"
        self.down_since = None
        self._set_expired_reads(EXPIRE_DELETE)
        self.state.engine.update_gate()
        log.info(
            "master_mode_enabled",
            extra={
                "replid": replication.replid,
                "replid2": replication.replid2,
                "offset": replication.master_repl_offset,
            },
        )

    def close(self) -> None:
        """The server stops."""
        self._end_link()

    def drop(self, reason: str) -> None:
        """Close the connection to the master (CLIENT KILL TYPE master): the link reconnects and continues."""
        if self.writer is not None:
            log.info("master_link_dropped", extra={"reason": reason})
            self.writer.close()

    # -- INFO and ROLE ----------------------------------------------------------------------------------------

    @property
    def role_offset(self) -> int:
        return self.state.replication.master_repl_offset if self.link_up else -1

    def info_fields(self) -> list:
        state = self.state
        replication, config = state.replication, state.config
        now = time.monotonic()
        syncing = self.link_state == "sync"
        fields: list = [
            ("master_host", replication.master_host),
            ("master_port", replication.master_port),
            ("master_link_status", "up" if self.link_up else "down"),
            ("master_last_io_seconds_ago", int(now - self.last_io) if self.link_up else -1),
            ("master_sync_in_progress", int(syncing)),
            ("slave_read_repl_offset", replication.master_repl_offset + len(self.pending) + len(self.buffer)),
            ("slave_repl_offset", replication.master_repl_offset),
        ]
        if syncing:
            left = max(self.sync_total - self.sync_read, 0) if self.sync_total >= 0 else -1
            fields += [
                ("master_sync_total_bytes", self.sync_total),
                ("master_sync_read_bytes", self.sync_read),
                ("master_sync_left_bytes", left),
                (
                    "master_sync_perc",
                    f"{self.sync_read * 100 / self.sync_total:.2f}" if self.sync_total > 0 else "0.00",
                ),
                ("master_sync_last_io_seconds_ago", int(now - self.last_io)),
            ]
        if not self.link_up:
            down = int(now - self.down_since) if self.down_since is not None else -1
            fields.append(("master_link_down_since_seconds", down))
        fields += [
            ("slave_priority", config.replica_priority),
            ("slave_read_only", int(config.replica_read_only)),
            ("replica_announced", int(config.replica_announced)),
        ]
        return fields

    # -- the link ---------------------------------------------------------------------------------------------

    async def _run(self) -> None:
        delay = RETRY_FIRST_S
        while True:
            self.reconnected = False
            try:
                await self._session()
            except (OSError, EOFError, TimeoutError, LinkError, asyncio.IncompleteReadError) as error:
                log.warning(
                    "master_link_lost",
                    extra={"error": str(error) or type(error).__name__, "state": self.link_state},
                )
            except Exception:  # a snapshot that does not load (LoadError), or a bug: logged, and the link retried
                log.exception("master_link_failed", extra={"state": self.link_state})
            else:
                return  # the session ended the link itself (a refused FAILOVER made us a master again)
            # (a cancelled task ends here: whoever cancelled it has closed the link already, and may have
            # started the next one)
            failover = self._failover()
            if failover is not None and failover.in_progress:  # the target could not be reached: roll back
                failover.abort("the failover target could not be reached")
                return
            self._link_down()
            if self.reconnected:
                delay = RETRY_FIRST_S
            self.link_state = "connect"
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)

    async def _session(self) -> None:
        replication = self.state.replication
        host, port = replication.master_host, replication.master_port
        self.link_state = "connecting"
        log.info("connecting_to_master", extra={"master_host": host, "master_port": port})
        reader, writer = await self._connect(host, port)
        self.writer = writer
        self.last_io = time.monotonic()
        self.link_state = "handshake"
        await self._handshake(reader)
        reply = await self._ask(reader, self._psync_argv())
        failover = self._failover()
        if failover is not None and failover.in_progress:
            failover.answered(reply.startswith((b"+CONTINUE", b"+FULLRESYNC")), reply.decode("utf-8", "replace"))
            if replication.master_host is None:  # refused: the failover made us a master again
                return
        if reply.startswith(b"+FULLRESYNC"):
            words = reply.split()
            if len(words) != 3:
                raise LinkError(f"unexpected reply to PSYNC: {reply!r}")
            await self._full_sync(reader, words[1].decode(), int(words[2]))
        elif reply.startswith(b"+CONTINUE"):
            self._continue(reply)
        else:  # -NOMASTERLINK, -LOADING, an error: try again later (no fallback to SYNC: masters have PSYNC)
            raise LinkError(f"PSYNC answered {reply.decode('utf-8', 'replace')}")
        client = self.client
        assert client is not None
        self.state.clients[client.id] = client
        self.link_state = "connected"
        self.link_up = self.reconnected = True
        log.info(
            "master_link_up", extra={"master_host": host, "master_port": port, "offset": replication.master_repl_offset}
        )
        self._send_ack(replication.master_repl_offset)  # at once: a diskless master waits for it to go online
        self.reader = hiredis.Reader()
        self.reader.feed(bytes(self.buffer))  # what came after the snapshot in the same read
        self.timed_out = False
        acks = asyncio.get_running_loop().create_task(self._ack_loop())
        try:
            if self.buffer:
                self._apply(b"")
            while True:
                data = await reader.read(READ_SIZE)
                if not data:
                    if self.timed_out:
                        raise TimeoutError(f"no data from the master for {self.state.config.repl_timeout} s")
                    raise EOFError("the master closed the connection")
                self.last_io = time.monotonic()
                self._apply(data)
        finally:
            acks.cancel()

    async def _connect(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        """connectWithMaster: each address the name resolves to, in order, as Redis's anetTcpConnect. The name is
        resolved here, not by open_connection: uvloop leaves a failed lookup unretrieved (logged as an error)
        when the link is cancelled during it. REPLICAOF takes any bytes as the host, as Redis does: one that
        cannot be a host name fails like one that does not resolve, and the link retries."""
        loop = asyncio.get_running_loop()
        try:
            addresses = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except ValueError as error:  # UnicodeError from the idna codec, or a NUL in the name
            raise LinkError(f"invalid master host name {host!r}: {error}") from None
        failure: OSError | TimeoutError = OSError(f"{host} resolves to no address")
        # tls-replication: the master's port is its tls-port, its certificate checked against our CA
        tls = self.state.tls.client if self.state.config.tls_replication else None
        for *_, address in addresses:
            try:
                return await self._timed(asyncio.open_connection(address[0], address[1], ssl=tls))
            except (OSError, TimeoutError) as error:
                failure = error
        raise failure

    def _timed(self, awaitable):
        """Every wait on the master ends after repl-timeout seconds of silence (TimeoutError: the link is lost)."""
        return asyncio.wait_for(awaitable, self.state.config.repl_timeout)

    def _psync_argv(self) -> list[bytes]:
        replication = self.state.replication
        if self.can_continue:
            argv = [b"PSYNC", replication.replid.encode(), b"%d" % (replication.master_repl_offset + 1)]
            failover = self._failover()
            if failover is not None and failover.in_progress:  # FAILOVER: the target is to take over
                argv.append(b"FAILOVER")
            return argv
        return [b"PSYNC", b"?", b"-1"]

    def _failover(self):
        master_side = self.state.master_side
        return master_side.failover if master_side is not None else None

    async def _handshake(self, reader: asyncio.StreamReader) -> None:
        config = self.state.config
        reply = await self._ask(reader, [b"PING"])
        if reply.startswith(b"-") and not reply.startswith(PING_ACCEPTED_ERRORS):
            raise LinkError(f"the master answered PING with {reply.decode('utf-8', 'replace')}")
        if config.masterauth:
            # AUTH [masteruser] masterauth, given as any bytes (CONFIG SET keeps them as surrogate escapes)
            argv = [b"AUTH", config.masterauth.encode("utf-8", "surrogateescape")]
            if config.masteruser:
                argv.insert(1, config.masteruser.encode("utf-8", "surrogateescape"))
            reply = await self._ask(reader, argv)
            if reply.startswith(b"-"):  # Redis's words, which its tests look for in the log
                raise LinkError(f"Unable to AUTH to MASTER: {reply.decode('utf-8', 'replace')}")
        # Errors to REPLCONF are ignored, as Redis's replica ignores them (older masters)
        # (over TLS the port to announce is the tls-port, as Redis's replica announces)
        port = config.replica_announce_port or (self.state.tls_port if config.tls_replication else self.state.tcp_port)
        await self._ask(reader, [b"REPLCONF", b"listening-port", b"%d" % port])
        if config.replica_announce_ip:  # the address the master shows (INFO slaveN, ROLE) and Sentinel uses
            await self._ask(reader, [b"REPLCONF", b"ip-address", config.replica_announce_ip.encode()])
        await self._ask(reader, [b"REPLCONF", b"capa", b"eof", b"capa", b"psync2"])

    async def _ask(self, reader: asyncio.StreamReader, argv: list[bytes]) -> bytes:
        """Send a command, return its one-line reply (keep-alive newlines before it skipped)."""
        if self.writer is None:  # the link went down while the handshake waited (found by the fuzzer)
            raise LinkError("the connection with the master was closed during the handshake")
        self.writer.write(encode_command(argv))
        return await self._read_line(reader)

    async def _read_line(self, reader: asyncio.StreamReader) -> bytes:
        while True:
            line = await self._timed(reader.readline())
            if not line.endswith(b"\n"):
                raise EOFError("the master closed the connection")
            self.last_io = time.monotonic()
            line = line.rstrip(b"\r\n")
            if line:
                return line

    def _continue(self, reply: bytes) -> None:
        """+CONTINUE [replid]: keep the data; a new ID means the master was promoted (or is another server
        continuing our history): the old ID stays valid up to here, as replid2."""
        replication = self.state.replication
        words = reply.split()
        if len(words) > 1:
            new_replid = words[1].decode()
            if new_replid != replication.replid:
                replication.replid2 = replication.replid
                replication.second_repl_offset = replication.master_repl_offset + 1
                replication.replid = new_replid
                self._disconnect_replicas()  # they learn the new ID when they reconnect
        replication.create_backlog()
        if self.client is None:  # a master that became a replica continues with a fresh master client
            self.client = self._new_master_client()
        log.info(
            "partial_resync_accepted", extra={"replid": replication.replid, "offset": replication.master_repl_offset}
        )

    async def _full_sync(self, reader: asyncio.StreamReader, replid: str, offset: int) -> None:
        """+FULLRESYNC: receive the snapshot, replace the dataset with it, and take the master's ID and offset."""
        replication = self.state.replication
        self.link_state = "sync"
        self.can_continue = False  # our history is about to go: a failure from here on needs a full sync
        self._forget_client()
        started = time.monotonic()
        log.info("sync_started", extra={"replid": replid, "offset": offset})
        header = await self._read_line(reader)
        if not header.startswith(b"$"):
            raise LinkError(f"bad snapshot header from the master: {header[:64]!r}")
        if header.startswith(b"$EOF:"):
            mark = header[5:]
            if len(mark) != EOF_MARK_LENGTH:
                raise LinkError("bad EOF mark in the snapshot header")
            payload = await self._read_until_mark(reader, mark)
        else:
            payload = await self._read_exactly(reader, int(header[1:]))
        received = time.monotonic()
        self._disconnect_replicas()  # a new history: our replicas must sync again
        loader = self.persistence.load_snapshot(payload, f"master {replication.master_host}:{replication.master_port}")
        try:
            for _ in loader:
                await asyncio.sleep(0)
        finally:
            loader.close()
        replication.replid, replication.master_repl_offset = replid, offset
        replication.replid2, replication.second_repl_offset = NO_REPLID, -1
        replication.backlog = None  # a new history: the backlog starts at the master's offset
        replication.create_backlog()
        self.client = self._new_master_client()
        self.can_continue = True
        log.info(
            "sync_finished",
            extra={
                "bytes": len(payload),
                "transfer_seconds": round(received - started, 3),
                "load_seconds": round(time.monotonic() - received, 3),
                "keys": sum(len(db) for db in self.state.databases),
            },
        )

    async def _read_exactly(self, reader: asyncio.StreamReader, size: int) -> bytes:
        self.sync_total, self.sync_read = size, 0
        chunks = []
        while self.sync_read < size:
            chunk = await self._timed(reader.read(min(READ_SIZE, size - self.sync_read)))
            if not chunk:
                raise EOFError("the master closed the connection during the transfer")
            chunks.append(chunk)
            self.sync_read += len(chunk)
            self.last_io = time.monotonic()
        return b"".join(chunks)

    async def _read_until_mark(self, reader: asyncio.StreamReader, mark: bytes) -> bytes:
        """The diskless framing: the payload runs until the mark; what follows it belongs to the stream."""
        self.sync_total, self.sync_read = -1, 0
        data = bytearray()
        while True:
            chunk = await self._timed(reader.read(READ_SIZE))
            if not chunk:
                raise EOFError("the master closed the connection during the transfer")
            searched_from = max(len(data) - EOF_MARK_LENGTH, 0)
            data += chunk
            self.sync_read = len(data)
            self.last_io = time.monotonic()
            end = data.find(mark, searched_from)
            if end >= 0:
                self.buffer += data[end + EOF_MARK_LENGTH :]
                return bytes(data[:end])

    def _new_master_client(self) -> Client:
        state = self.state
        replication = state.replication
        client = Client(state, MasterConnection(self), addr=f"{replication.master_host}:{replication.master_port}")
        client.kind = "master"
        client.authenticated = True
        client.user = state.acl.superuser  # never checked against ACL rules
        return client

    # -- the stream -------------------------------------------------------------------------------------------

    def _apply(self, data: bytes) -> None:
        """Run every complete command received; feed the offset up to the last one that ended outside a
        transaction. hiredis parses the stream while it holds only RESP commands, as masters send it; on
        anything else (a bare newline) the Python parser takes over for the rest of the link."""
        buffer = self.buffer
        buffer += data
        pos = safe = 0  # pos: buffer[:pos] is applied; safe: ... and ends outside any MULTI
        self._set_expired_reads(EXPIRE_SHOW)
        try:
            if self.reader is not None:
                pos, safe = self._run_parsed(data)
            if self.reader is None:
                pos, safe = self._run_unparsed(pos, safe)
        finally:
            self._set_expired_reads(EXPIRE_HIDE)
            if safe:
                self.state.replication.feed(bytes(self.pending) + bytes(buffer[:safe]))
                self.pending.clear()
            self.pending += buffer[safe:pos]
            del buffer[:pos]

    def _run_parsed(self, data: bytes) -> tuple[int, int]:
        """The commands hiredis completes with `data`, run; (pos, safe) after them. A command's length is
        computed from its arguments (masters encode canonically; what is left must start a command): for the
        whole batch at once, unless a REPLCONF GETACK needs the offset before it."""
        reader = self.reader
        assert reader is not None
        reader.feed(data)
        commands: list = []
        try:
            commands.extend(iter(reader.gets, False))
        except hiredis.ProtocolError:
            self.reader = None
        client = self.client
        assert client is not None
        buffer = self.buffer
        if b"GETACK" in buffer or b"getack" in buffer:  # (a value holding the word takes this way too)
            pos = safe = 0
            for argv in commands:
                self._run_command(argv, safe)
                pos += command_length(argv)
                if client.multi is None:
                    safe = pos
        else:
            execute = self.state.engine.execute
            client.last_interaction_ms = client.now_ms
            for argv in commands:
                execute(client, argv)
            pos = safe = batch_length(commands)
            if client.multi is not None:  # the batch ends inside a transaction: safe up to its MULTI
                multi = [i for i, argv in enumerate(commands) if argv[0].lower() == b"multi"]
                safe = batch_length(commands[: multi[-1]]) if multi else 0
        if self.reader is not None and (pos > len(buffer) or (pos < len(buffer) and buffer[pos] != 0x2A)):
            raise LinkError("the replication stream is not canonical RESP: its offsets cannot be counted")
        return pos, safe

    def _run_unparsed(self, pos: int, safe: int) -> tuple[int, int]:
        """The Python parser from pos: every complete command (and bare newline) run; (pos, safe) after them."""
        buffer = self.buffer
        client = self.client
        assert client is not None
        while pos < len(buffer):
            if buffer[pos] == 0x0A:  # a bare newline (keep-alive): nothing to run
                pos += 1
            else:
                parsed = parse_command(buffer, pos)
                if parsed is None:
                    break
                argv, pos = parsed
                self._run_command(argv, safe)
            if client.multi is None:
                safe = pos
        return pos, safe

    def _run_command(self, argv: list[bytes], safe: int) -> None:
        client = self.client
        assert client is not None
        if len(argv) == 3 and argv[0].lower() == b"replconf" and argv[1].lower() == b"getack":
            # answered with the offset before this command, as Redis's replica does
            before = len(self.pending) + safe if safe else 0
            self._send_ack(self.state.replication.master_repl_offset + before)
        else:
            client.last_interaction_ms = client.now_ms
            self.state.engine.execute(client, argv)

    async def _ack_loop(self) -> None:
        """REPLCONF ACK once a second; and repl-timeout: a master silent that long has lost its link (the
        stream's reads wait without a timer of their own, which would cost a task per read)."""
        while True:
            await asyncio.sleep(ACK_PERIOD_S)
            self._send_ack(self.state.replication.master_repl_offset)
            if time.monotonic() - self.last_io > self.state.config.repl_timeout and self.writer is not None:
                self.timed_out = True
                self.writer.transport.abort()

    def _send_ack(self, offset: int) -> None:
        if self.writer is not None and not self.writer.is_closing():
            self.writer.write(encode_command([b"REPLCONF", b"ACK", b"%d" % offset]))

    # -- ending a link ----------------------------------------------------------------------------------------

    def _link_down(self) -> None:
        """The connection is gone: unapplied bytes and a half-applied transaction are dropped (the master sends
        them again from our offset), the master client is kept for a +CONTINUE."""
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.link_up:
            self.down_since = time.monotonic()
            log.warning("master_link_down", extra={"offset": self.state.replication.master_repl_offset})
        self.link_up = False
        self.reader = None
        self.buffer.clear()
        self.pending.clear()
        client = self.client
        if client is not None:
            self.state.clients.pop(client.id, None)
            if client.multi is not None:
                client.end_multi()

    def _end_link(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.task = None
        self._link_down()

    def _forget_client(self) -> None:
        if self.client is not None:
            self.state.clients.pop(self.client.id, None)
            self.client = None

    def _disconnect_replicas(self) -> None:
        master_side = self.state.master_side
        if master_side is not None:
            master_side.disconnect_replicas()

    def _set_expired_reads(self, mode: int) -> None:
        for db in self.state.databases:
            db.expired_reads = mode
