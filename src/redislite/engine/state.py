"""Everything one server instance owns: settings, databases, clients, counters. Built per server, so a test can
run several servers in one process."""

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Settings
from ..observability.latency import LatencyMonitor
from ..observability.slowlog import Slowlog
from ..observability.stats import Stats
from ..storage.acl import Acl
from ..storage.database import Database
from ..tls import TlsContexts
from .replication import ReplicationState

if TYPE_CHECKING:
    from ..commands.context import Context, MasterSideService, PersistenceService, ReplicaLinkService
    from ..commands.scripting import Scripting
    from ..commands.tracking import Tracking
    from .client import Client
    from .core import Command, Engine
    from .memory import MemoryManager
    from .propagation import Propagation

    Refusal = Callable[[Client, Command], bytes | None]  # the error a command gets instead of running, or None


class ServerState:
    """Implements commands/context.py's Server: every attribute is declared here. The engine, the propagation
    stream, memory management and tracking are installed by Engine(state), which is always built right after
    the state; persistence by the server when it starts; scripting on first use."""

    def __init__(self, settings: Settings, config_file: Path | None = None, clock_ns: Callable[[], int] = time.time_ns):
        self.config = settings
        self.config_file = config_file
        self.clock_ns = clock_ns
        self.databases = [Database(i) for i in range(settings.databases)]
        for db in self.databases:
            db.set_clock(self.clock_ms() // 1000)
        self.clients: dict[int, Client] = {}  # client id -> Client
        self.stats = Stats()
        self.slowlog = Slowlog(settings.slowlog_max_len)
        self.latency = LatencyMonitor()
        self.run_id = os.urandom(20).hex()
        self.started_ms = self.clock_ms()
        self.started_monotonic = time.monotonic()
        self.dirty = 0  # changes since the last save (rdb_changes_since_last_save)
        self.ops_sample = (0.0, 0, 0)  # (monotonic time, total commands, ops/s): INFO instantaneous_ops_per_sec
        self.last_save_s = self.started_ms // 1000
        self.monitors: list[Context] = []  # clients in MONITOR mode
        # pub/sub: channel (or pattern) -> {client: None}, an ordered set of subscribers
        self.channels: dict[bytes, dict] = {}
        self.patterns: dict[bytes, dict] = {}
        self.shard_channels: dict[bytes, dict] = {}
        self.pattern_matchers: dict[bytes, Callable] = {}  # subscribed pattern -> its glob's compiled match
        self._pause_until_ms = 0
        self.pause_writes_only = False
        self.tcp_port = settings.port  # the port actually bound (differs from config when it was 0 in tests)
        self.tls_port = settings.tls_port  # likewise, for the TLS listener
        self.tls = TlsContexts()  # the TLS contexts from the tls-* settings (built by the server at start)
        # set by the server: (save: bool | None, force: bool) -> whether the shutdown goes ahead
        self.shutdown_requested: Callable[[bool | None, bool], bool] | None = None
        # set by the server: listen on the tls-port setting's port (0: stop); False when it cannot be bound
        self.listen_tls: Callable[[], bool] | None = None
        # set by the server: serve other clients while a busy script runs (server/busy.py)
        self.process_events_while_blocked: Callable[[bytes, Context], bool] | None = None
        self.engine: Engine  # the command table and execute()
        self.propagation: Propagation  # what writes propagate (engine/propagation.py)
        self.memory: MemoryManager  # used memory, maxmemory and eviction
        self.tracking: Tracking  # CLIENT TRACKING's tables
        self.notify_flags = 0  # notify-keyspace-events as NOTIFY_* bits, 0 when off (set by Engine.configure)
        self.persistence: PersistenceService | None = None  # persistence/service.py's Persistence
        self.scripting: Scripting | None = None  # EVAL and FUNCTION's state, made on first use
        self.replication = ReplicationState(settings.repl_backlog_size)  # replication ID, offset, backlog
        self.replica_link: ReplicaLinkService | None = None  # the link to a master (replication/replica.py)
        self.master_side: MasterSideService | None = None  # this server's replicas (replication/master.py)
        self.acl: Acl  # users and the ACL log (storage/acl.py), installed by the engine
        # callable(client, command) -> error bytes | None, set by persistence only while it refuses some
        # commands (-LOADING, -MISCONF); None otherwise, so the engine pays one test per command
        self._refusal: Refusal | None = None
        self._next_client_id = 0

    # CLIENT PAUSE and persistence's refusals are rare: while neither is in force, Engine.execute tests one flag.
    @property
    def pause_until_ms(self) -> int:
        return self._pause_until_ms

    @pause_until_ms.setter
    def pause_until_ms(self, value: int) -> None:
        self._pause_until_ms = value
        self.engine.update_gate()

    @property
    def refusal(self) -> "Refusal | None":
        return self._refusal

    @refusal.setter
    def refusal(self, value: "Refusal | None") -> None:
        self._refusal = value
        self.engine.update_gate()

    def wake_paused_clients(self, skip: "Context | None" = None) -> None:
        """The pause ended early (CLIENT UNPAUSE, a failover that ended): paused clients run what waited."""
        for client in list(self.clients.values()):
            if client.blocked and client.blocked_on is None and client is not skip and client.connection:
                client.connection.unblock()

    def clock_ms(self) -> int:
        return self.clock_ns() // 1_000_000

    def next_client_id(self) -> int:
        self._next_client_id += 1
        return self._next_client_id

    def uptime_seconds(self) -> int:
        return int(time.monotonic() - self.started_monotonic)

    @property
    def expired_keys(self) -> int:
        return sum(db.expired_keys for db in self.databases)

    def flush_all(self) -> None:
        for db in self.databases:
            db.clear()
