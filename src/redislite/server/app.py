"""Start-up (loading dump.rdb while answering -LOADING), the cron (active expiry, background saves and save
points), and shutdown (saving first when asked or when save points are set) for one server instance."""

import asyncio
import ctypes
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..commands.acl import load_users_at_startup
from ..config import Settings
from ..engine.core import Engine
from ..engine.state import ServerState
from ..errors import ConfigError
from ..persistence.service import Persistence
from ..replication.master import MasterSide
from ..replication.replica import ReplicaLink
from .accept import Acceptor, bind_addresses, listening_sockets
from .busy import EventsWhileBlocked
from .connection import Connection

if TYPE_CHECKING:
    from ..commands.context import (
        Context,
        Dispatcher,
        MasterSideService,
        PersistenceService,
        ReplicaLinkService,
        Server,
    )
    from ..engine.client import Client

    def _implements_the_contract(
        state: ServerState,
        client: Client,
        engine: Engine,
        persistence: Persistence,
        link: ReplicaLink,
        master_side: MasterSide,
    ):
        """mypy checks here that what this server is built of implements what commands see of it."""
        _server: Server = state
        _context: Context = client
        _dispatcher: Dispatcher = engine
        _persistence: PersistenceService = persistence
        _link: ReplicaLinkService = link
        _master_side: MasterSideService = master_side


log = logging.getLogger("redislite.server")

STOP_WAIT_S = 2.0  # how long stopping waits for the connections to flush their replies and close
EXPIRE_SLICE_S = 0.0005  # one active-expiry slice; I/O is served between slices, so clients never wait long


def _malloc_trim():
    """glibc's malloc_trim, or None where the C library has none (musl, macOS)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


MALLOC_TRIM = _malloc_trim()


def load_users(state: ServerState) -> None:
    """ACL users from the config file's `user` lines or the aclfile; ConfigError when they are not valid."""
    try:
        load_users_at_startup(state, [f"user {line}" for line in state.config.acl_users])
    except ValueError as error:
        raise ConfigError(f"Aborting Redis startup because of ACL errors: {error}") from None


class RedisLiteServer:
    def __init__(self, settings: Settings, config_file: Path | None = None):
        self.state = ServerState(settings, config_file)
        self.state.tls.configure(settings)  # TlsConfigError: the server does not start, as Redis's
        self.engine = Engine(self.state)
        load_users(self.state)
        self.persistence = Persistence(self.state)
        self.master_side = MasterSide(self.state, self.persistence)  # this server's replicas
        self.replica_link = ReplicaLink(self.state, self.persistence)  # the link to a master, on a replica
        self.state.shutdown_requested = self.request_shutdown
        self.state.listen_tls = self.listen_tls
        self.state.process_events_while_blocked = EventsWhileBlocked(self)  # serves clients during busy scripts
        self.acceptors: list[Acceptor] = []  # the listening sockets: `port`'s, then `tls-port`'s (server/accept.py)
        self.stopped = asyncio.Event()  # set to stop serving (start() makes a fresh one: serving starts there)
        self.cron_handle: asyncio.TimerHandle | None = None
        self.loop: asyncio.AbstractEventLoop  # the loop start() runs in
        self.write_queue: list[Connection] = []  # connections with replies to write at the end of this turn
        self.over_soft_limit: set[Connection] = set()  # past their soft output limit: the cron checks them
        self.expire_pending = False
        self.last_second = 0

    def want_write(self, connection: Connection) -> None:
        # A lone client has no one to batch its writes with: write now (the deferral through call_soon costs its
        # request a noticeable share of its round trip, see benchmarks/README.md).
        if len(self.state.clients) == 1:
            connection.write_unsent()
            return
        if not self.write_queue:
            self.loop.call_soon(self.write_replies)
        self.write_queue.append(connection)

    def write_replies(self) -> None:
        """The end of a loop turn: every connection's queued replies go out (Connection.send)."""
        queue, self.write_queue = self.write_queue, []
        for connection in queue:
            connection.write_unsent()

    async def start(self) -> None:
        loop = self.loop = asyncio.get_running_loop()
        self.stopped = asyncio.Event()
        config = self.state.config
        try:
            self.listen()
            await self.load_dataset()
        except BaseException:
            self.stop_listening()
            raise
        tracking = self.state.tracking
        tracking.schedule = lambda: loop.call_soon(tracking.flush_broadcasts)  # BCAST: once per loop turn
        memory = self.state.memory
        memory.schedule = lambda: loop.call_soon(memory.evict_slice)  # eviction beyond one time slice
        replication = self.state.replication
        replication.schedule_flush = lambda: loop.call_soon(replication.flush)  # the stream: once per loop turn
        self.schedule_cron()
        log.info(
            "server_started", extra={"port": self.state.tcp_port, "tls_port": self.state.tls_port, "bind": config.bind}
        )
        self.replica_link.start_from_config()  # replicaof: connect to the master once the local data is loaded

    def listen(self) -> None:
        """The `port` listener and the `tls-port` one (either may be 0: off); OSError when one cannot bind."""
        config = self.state.config
        if config.port:
            acceptor = Acceptor(self, listening_sockets(bind_addresses(config.bind), config.port, config.tcp_backlog))
            self.acceptors.append(acceptor)
            acceptor.start()
            self.state.tcp_port = acceptor.sockets[0].getsockname()[1]
        if config.tls_port:
            self.open_tls_listener()

    def open_tls_listener(self) -> None:
        config = self.state.config
        sockets = listening_sockets(bind_addresses(config.bind), config.tls_port, config.tcp_backlog)
        acceptor = Acceptor(self, sockets, tls=True)
        self.acceptors.append(acceptor)
        acceptor.start()
        self.state.tls_port = acceptor.sockets[0].getsockname()[1]

    def listen_tls(self) -> bool:
        """CONFIG SET tls-port (Redis's changeListenPort): the new port is bound before the old one closes, so a
        port that cannot be bound leaves the old listener serving (False)."""
        old = [acceptor for acceptor in self.acceptors if acceptor.tls]
        if self.state.config.tls_port:
            try:
                self.open_tls_listener()
            except OSError as error:
                log.warning("tls_listen_failed", extra={"port": self.state.config.tls_port, "error": str(error)})
                return False
        else:
            self.state.tls_port = 0
        for acceptor in old:
            acceptor.stop()
            self.acceptors.remove(acceptor)
        return True

    def stop_listening(self) -> None:
        for acceptor in self.acceptors:
            acceptor.stop()
        self.acceptors = []

    async def load_dataset(self) -> None:
        """Load the AOF directory (appendonly yes) or dump.rdb before serving: clients may connect meanwhile,
        and get -LOADING (the loaders hand the loop back between slices of about 10 ms). LoadError when the
        files are unreadable."""
        loader = self.persistence.startup_loader()
        if loader is not None:
            await self.run_loader(loader)

    async def run_loader(self, loader) -> bool:
        """Run a loader's slices, serving clients between them; False when SHUTDOWN came meanwhile."""
        for _ in loader:
            await asyncio.sleep(0)
            if self.stopped.is_set():
                loader.close()
                return False
        return True

    def schedule_cron(self) -> None:
        loop = asyncio.get_running_loop()
        self.cron_handle = loop.call_later(1 / self.state.config.hz, self.cron)

    def cron(self) -> None:
        self.schedule_cron()
        state = self.state
        # a replica never expires keys itself: its master's DELs do
        if state.config.active_expire_enabled and not self.expire_pending and state.replication.master_host is None:
            self.expire_slice()
        self.persistence.cron()
        self.master_side.failover.check()  # a FAILOVER's TIMEOUT
        self.engine.observers_changed()  # clears the flag once the last watcher, monitor, ... is gone
        now_s = state.clock_ms() // 1000
        for db in state.databases:
            db.set_clock(now_s)
        if now_s != self.last_second:
            self.last_second = now_s
            self.close_idle_clients(now_s)
            self.master_side.cron()
            for connection in list(self.over_soft_limit):  # as Redis's clientsCron: even if no reply comes
                connection.check_output_limit()
            if MALLOC_TRIM is not None:
                # glibc keeps what is freed (a flushed Lua state, a closed client's buffers) in its heap, where
                # Redis's jemalloc purges it: hand it back to the system once a second (well under a millisecond)
                MALLOC_TRIM(0)

    def close_idle_clients(self, now_s: int) -> None:
        """`timeout`: close normal clients idle for longer than that many seconds (0 = never)."""
        timeout = self.state.config.timeout
        if not timeout:
            return
        for client in list(self.state.clients.values()):
            idle = now_s - client.last_interaction_ms // 1000
            if idle > timeout and client.kind == "normal" and not client.blocked and client.connection:
                log.info("client_idle_timeout", extra={"client_id": client.id, "idle": idle})
                client.connection.kill()

    def expire_slice(self) -> None:
        """Reclaim expired keys for about a millisecond; if some are still due, continue on the next loop turn."""
        self.expire_pending = False
        state = self.state
        now_ms = state.clock_ms()
        deadline = time.perf_counter() + EXPIRE_SLICE_S
        time_left = lambda: time.perf_counter() < deadline  # noqa: E731
        more = False
        for db in state.databases:
            if db.heap:
                db.expire_cycle(now_ms, time_left)
                more = more or db.has_due_keys(now_ms)
            if not time_left():
                more = True
                break
        if more:
            self.expire_pending = True
            asyncio.get_running_loop().call_soon(self.expire_slice)

    def request_shutdown(self, save: bool | None = None, force: bool = False) -> bool:
        """SHUTDOWN and SIGTERM: save when asked to, or when save points are set and NOSAVE was not given,
        then stop. False (and the server goes on) when that save failed and FORCE was not given."""
        log.info("shutdown_requested", extra={"save": save})
        if not self.persistence.prepare_shutdown(save, force):
            return False
        self.stopped.set()
        return True

    async def serve_until_stopped(self) -> None:
        await self.stopped.wait()
        await self.stop()

    async def stop(self) -> None:
        if self.cron_handle is not None:
            self.cron_handle.cancel()
        self.replica_link.close()
        self.persistence.kill_child()
        self.persistence.rewriter.kill()  # the files it would have replaced stay valid
        if self.engine.aof is not None:
            self.engine.aof.close()
        self.stop_listening()
        self.state.replication.flush()  # the replicas get this turn's writes before their connections close
        for client in list(self.state.clients.values()):
            if client.connection is not None:
                client.connection.kill()
        deadline = time.monotonic() + STOP_WAIT_S
        while self.state.clients and time.monotonic() < deadline:  # their unsent replies go out, then they close
            await asyncio.sleep(0.005)
        log.info("server_stopped")
