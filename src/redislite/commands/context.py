"""The contract between command handlers and the server.

A handler is `(ctx: Context, argv: Argv) -> reply`. `ctx` is the client running the command; through
`ctx.server` it reaches the server's state and the few services a command may use. The engine, persistence and
the network layer sit above commands in the layering, so commands know them only by the Protocols below:
`engine/` and `persistence/` implement them (mypy checks that they do: server/app.py), and
tests/unit/test_layers.py checks that commands use nothing of `ctx`, `ctx.server` or the engine that is not
declared here. A member the implementation keeps with a richer type than declared here (the engine's own
classes) is declared as a read-only property.
"""

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from ..config import Settings
from ..observability.latency import LatencyMonitor
from ..observability.slowlog import Slowlog
from ..observability.stats import Stats
from ..storage.acl import Acl, AclCommand, User
from ..storage.database import Database
from ..tls import TlsContexts
from .registry import CommandSpec

Argv = list[bytes]


class CommandEntry(Protocol):
    """A command as one server dispatches it: its static spec and this server's counters for it."""

    spec: CommandSpec
    name: str
    arity: int
    flags: int
    rejected_calls: int
    failed_calls: int
    latency_counts: list[int]
    acl: AclCommand

    @property
    def subcommands(self) -> "Mapping[bytes, CommandEntry] | None": ...

    @property
    def calls(self) -> int: ...

    @property
    def usec(self) -> int: ...

    def reset_stats(self) -> None: ...

    def all_commands(self) -> "Iterator[CommandEntry]": ...


class Dispatcher(Protocol):
    """What commands may ask of the engine."""

    @property
    def commands(self) -> Mapping[str, CommandEntry]: ...

    def lookup(self, argv: Argv) -> CommandEntry | None:
        """The command or subcommand argv names, without running any check."""

    def execute(self, client: "Context", argv: Argv) -> Any:
        """Run a command through every check, as if the client had sent it (EXEC, scripts)."""

    def unblock(self, client: "Context", error: Any = None) -> tuple[bool, Any]:
        """End a client's wait on keys (CLIENT UNBLOCK)."""

    def observers_changed(self) -> None:
        """Something started observing commands (WATCH, MONITOR, CLIENT TRACKING): the engine recomputes which
        of its hooks run. Handlers call this instead of touching the engine's flags."""

    def feed_monitors(self, client: "Context", argv: Argv) -> None:
        """Show a command to the MONITOR clients (EVAL shows itself before the commands its script runs)."""

    def configure(self) -> None:
        """Re-read the settings the engine caches (after CONFIG SET)."""

    def log_denial(
        self,
        client: "Context",
        reason: int,
        context: bytes,
        obj: bytes,
        username: bytes | None = None,
        running: str = "",
    ) -> None:
        """Add an ACL LOG entry for a refusal (a command, key or channel the user may not use, a failed AUTH)."""


class PropagationStream(Protocol):
    """The ordered stream of writes the AOF (and replicas) consume: what scripts and transactions wrap."""

    def begin(self) -> None: ...

    def end(self) -> None: ...

    def stop(self) -> None: ...


class MemoryService(Protocol):
    peak: int  # the highest used_memory() seen (INFO used_memory_peak, MEMORY STATS)

    def used_memory(self) -> int: ...

    def exceeded_time_ms(self) -> int: ...


class PersistenceService(Protocol):
    """RDB and AOF as the persistence commands (SAVE, BGSAVE, BGREWRITEAOF, SYNC, DUMP/RESTORE, DEBUG RELOAD,
    INFO persistence, CONFIG SET appendonly) use them."""

    bgsave_scheduled: bool
    latest_fork_usec: int
    total_forks: int
    saves: Any

    def save(self) -> bool: ...

    def bgsave(self) -> bool: ...

    def bgsave_in_progress(self) -> bool: ...

    def has_active_child(self) -> bool: ...

    def aof_rewrite_in_progress(self) -> bool: ...

    def schedule_aof_rewrite(self) -> None: ...

    def rewrite_aof(self) -> bool: ...

    def set_appendonly(self, enabled: bool, atomic: bool = False) -> bool: ...

    def flushed_all(self) -> None: ...

    def info_fields(self) -> list: ...

    def dump(self, value: Any) -> bytes: ...

    def verify_payload(self, payload: bytes) -> bool: ...

    def restore_value(self, payload: bytes) -> Any: ...

    def debug_reload(self, options: list[bytes]) -> Any: ...

    def debug_load_aof(self) -> Any: ...


class AttachedReplica(Protocol):
    """A replica attached to this server (replication/master.py), as ROLE lists it."""

    listening_port: int
    ack_offset: int  # the offset it last acknowledged (REPLCONF ACK)
    announced_ip: str  # REPLCONF ip-address
    capabilities: set[bytes]  # REPLCONF capa
    rdb_only: bool  # REPLCONF rdb-only

    @property
    def ip(self) -> str:
        """The address it announced (REPLCONF ip-address), else its connection's."""

    @property
    def online(self) -> bool:
        """Its initial sync is done: it receives the stream."""

    def stream(self, data: bytes) -> None:
        """Bytes of the replication stream, sent or buffered while its snapshot is made."""


class ReplicationInfo(Protocol):
    """The replication ID, offset and backlog (engine/replication.py ReplicationState), as INFO and ROLE read
    them."""

    replid: str
    replid2: str
    master_repl_offset: int
    second_repl_offset: int
    backlog_size: int
    backlog: Any
    master_host: str | None
    master_port: int
    replicas: "list[AttachedReplica]"

    @property
    def role(self) -> str: ...


class ReplicaLinkService(Protocol):
    """This server's link to its master (replication/replica.py ReplicaLink), as REPLICAOF, ROLE and INFO use
    it."""

    def replicate_from(self, host: str, port: int) -> None:
        """Become (or stay, with another master) a replica of host:port: connect, sync, apply the stream."""

    def promote(self) -> None:
        """REPLICAOF NO ONE: close the link, keep the data, start a new replication ID."""

    @property
    def link_state(self) -> str:
        """ROLE's state of the link: connect, connecting, handshake, sync, connected (none on a master)."""

    @property
    def role_offset(self) -> int:
        """ROLE's offset on a replica: what it applied, -1 while the link is down."""

    def info_fields(self) -> list:
        """INFO replication's master_* and slave_* fields, on a replica."""


class FailoverControl(Protocol):
    """FAILOVER's state machine (replication/failover.py Failover)."""

    status: str  # INFO master_failover_state: no-failover, waiting-for-sync, failover-in-progress

    @property
    def in_progress(self) -> bool: ...

    def start(self, target: tuple[str, int] | None, timeout_ms: int, force: bool) -> None: ...

    def abort(self, reason: str) -> None: ...

    def check(self) -> None: ...

    def answered(self, accepted: bool, reply: str) -> None: ...


class MasterSideService(Protocol):
    """This server's replicas (replication/master.py MasterSide), as SYNC, PSYNC, REPLCONF, WAIT, FAILOVER and
    INFO use them."""

    @property
    def failover(self) -> FailoverControl: ...

    def replica_of(self, client: "Context") -> AttachedReplica:
        """The replica record of a client that started a replica's handshake (REPLCONF)."""

    def sync(self, client: "Context", argv: Argv) -> None:
        """SYNC or PSYNC: a partial or full resynchronization; the client becomes a replica."""

    def acknowledged(self, replica: AttachedReplica, offset: int) -> None:
        """REPLCONF ACK."""

    def good_replicas(self) -> int:
        """Online replicas that acknowledged within min-replicas-max-lag seconds."""

    def count_acks(self, offset: int) -> int:
        """The online replicas that acknowledged the stream up to `offset`."""

    def wait_for(self, client: "Context", offset: int, numreplicas: int) -> None:
        """A WAIT that blocked: answered once enough replicas acknowledged `offset`."""

    def info_fields(self) -> list:
        """INFO replication's connected_slaves and slaveN fields."""

    def start_feeding(self) -> None:
        """Keep a backlog and feed it the stream from now on."""

    def disconnect_replicas(self) -> None:
        """This server's history changed: its replicas reconnect and ask again."""


class Server(Protocol):
    """The server's state as commands see it (engine/state.py ServerState)."""

    config: Settings
    config_file: Path | None
    clock_ns: Callable[[], int]
    databases: list[Database]
    stats: Stats
    slowlog: Slowlog
    latency: LatencyMonitor
    run_id: str
    started_ms: int
    dirty: int
    ops_sample: tuple[float, int, int]
    last_save_s: int
    monitors: "list[Context]"
    channels: dict[bytes, dict]
    patterns: dict[bytes, dict]
    shard_channels: dict[bytes, dict]
    pattern_matchers: dict[bytes, Callable]
    pause_until_ms: int
    pause_writes_only: bool
    tcp_port: int
    tls_port: int
    tls: TlsContexts
    notify_flags: int
    shutdown_requested: Callable[[bool | None, bool], bool] | None
    listen_tls: Callable[[], bool] | None
    process_events_while_blocked: "Callable[[bytes, Context], bool] | None"
    persistence: PersistenceService | None
    tracking: Any  # commands/tracking.py Tracking
    scripting: Any  # commands/scripting.py Scripting, made on first use
    replica_link: ReplicaLinkService | None  # replication/replica.py ReplicaLink, installed by the server
    acl: Acl  # users and the ACL log, installed by the engine
    master_side: MasterSideService | None  # replication/master.py MasterSide, installed by the server

    @property
    def replication(self) -> ReplicationInfo: ...

    def wake_paused_clients(self, skip: "Context | None" = None) -> None: ...

    @property
    def clients(self) -> "Mapping[int, Context]": ...

    @property
    def engine(self) -> Dispatcher: ...

    @property
    def propagation(self) -> PropagationStream: ...

    @property
    def memory(self) -> MemoryService: ...

    def clock_ms(self) -> int: ...

    def uptime_seconds(self) -> int: ...

    @property
    def expired_keys(self) -> int: ...

    def flush_all(self) -> None: ...


class ClientConnection(Protocol):
    """The socket side of a client (server/connection.py Connection), as the engine, persistence and the
    commands that act on other clients (CLIENT KILL, CLIENT UNBLOCK) use it."""

    closing: bool
    tls: bool  # accepted on the tls-port

    def authentication_changed(self, authenticated: bool) -> None: ...

    def deliver(self, payload: bytes) -> None: ...

    def send_raw(self, payload: bytes) -> None: ...

    def has_pending_output(self) -> bool: ...

    def resume(self, reply: Any) -> None: ...

    def unblock(self) -> None: ...

    def close_after_reply(self) -> None: ...

    def kill(self, abort: bool = False) -> None: ...


class Context(Protocol):
    """The client running a command (engine/client.py Client); also what commands read of other clients
    (CLIENT LIST, CLIENT KILL, tracking redirection)."""

    id: int
    addr: str
    laddr: str
    fd: int
    kind: str
    created_ms: int
    last_interaction_ms: int
    last_command: str
    connection: ClientConnection | None
    blocked: bool
    blocked_on: Any
    script_caller: "Context | None"
    deferred_pushes: list[bytes]
    db: Database
    db_index: int
    now_ms: int
    resp: int
    encoder: Any
    name: bytes
    lib_name: bytes
    lib_ver: bytes
    user: User
    acl_limited: bool  # its user's rules are checked at the gate (the user is not allowed everything)
    authenticated: bool
    multi: list | None
    multi_error: bool
    exec_parts: list | None
    atomic: bool
    watching: list
    dirty_cas: bool
    subscribed: bool
    channels: dict
    patterns: dict
    shard_channels: dict
    monitor: bool
    tracking: Any
    reply_mode: str
    touch: bool
    no_touch: bool
    no_evict: bool
    woff: int  # the replication offset after its last propagated write
    replica: AttachedReplica | None  # set once it started a replica's handshake (REPLCONF, SYNC, PSYNC)

    @property
    def server(self) -> Server: ...

    def select(self, index: int) -> None: ...

    def set_protocol(self, version: int) -> None: ...

    def propagate_as(self, *commands: list) -> None: ...

    def begin_multi(self) -> None: ...

    def end_multi(self) -> None: ...

    def pubsub_changed(self) -> None: ...

    def acl_changed(self) -> None: ...

    def push(self, payload: bytes) -> None: ...

    def close(self) -> None: ...
