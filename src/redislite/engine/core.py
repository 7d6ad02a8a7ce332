"""Engine.execute: Redis's processCommand() + call(). Look the command up, check arity and the gates
declared in its spec, run the handler, record stats and slow log. Errors come back as ErrorReply values."""

import logging
from bisect import bisect_left
from time import time_ns
from typing import TYPE_CHECKING, cast

from .. import errors
from ..commands.blocking import Block
from ..commands.client import describe_client
from ..commands.notifications import NOTIFY_EXPIRED, configure_notifications, expired
from ..commands.registry import TABLE, CommandFlag, CommandSpec, KeyFlag
from ..commands.tracking import Tracking
from ..commands.transactions import discard_transaction
from ..config import DEFAULT_BUFFER_LIMITS, protected_action_allowed
from ..errors import CommandError
from ..observability.histogram import BUCKET_BY_NS, LATENCY_BOUNDS_NS, new_latency_counts
from ..observability.logs import log_command
from ..observability.slowlog import redact
from ..protocol.values import QUEUED, Encoded, ErrorReply, Replies
from ..storage.acl import (
    DENIED_COMMAND,
    PUBLISHES,
    SUBSCRIBES,
    SUBSCRIBES_PATTERNS,
    Acl,
    AclCommand,
    CommandCatalog,
)
from ..storage.acl import (
    READ as ACL_READ,
)
from ..storage.acl import (
    WRITE as ACL_WRITE,
)
from .blocking import BlockingRegistry
from .memory import MemoryManager
from .propagation import AppendOnlyLog, Consumer, Propagation

if TYPE_CHECKING:
    from .client import Client
    from .state import ServerState

log = logging.getLogger("redislite.engine")

# An inline `POST /... HTTP/1.1` or `Host: ...` line: a browser was tricked into talking to the RESP port
CROSS_PROTOCOL_NAMES = (b"post", b"host:")
ATTACK_LOG_INTERVAL_NS = 60 * 1_000_000_000  # as Redis, the warning is logged at most once a minute


class Wait:
    """Returned instead of a reply when the client must wait: one class, so the connection tests once."""

    def __init__(self, reason: str):
        self.reason = reason

    def __repr__(self) -> str:
        return self.reason


BLOCKED = Wait("BLOCKED")  # CLIENT PAUSE: the connection retries the command later
PARKED = Wait("PARKED")  # waiting for keys (BLPOP ...): the engine delivers the reply through resume(reply)

# Flags as plain ints: IntFlag arithmetic is slow on the hot path.
NO_AUTH = int(CommandFlag.NO_AUTH)
SKIP_SLOWLOG = int(CommandFlag.SKIP_SLOWLOG)
WRITE = int(CommandFlag.WRITE)
FAST = int(CommandFlag.FAST)
UNMONITORED = int(CommandFlag.SKIP_MONITOR | CommandFlag.ADMIN)
WRITE_LIKE = int(CommandFlag.WRITE | CommandFlag.MAY_REPLICATE)
NO_MULTI = int(CommandFlag.NO_MULTI)
READONLY = int(CommandFlag.READONLY)
STALE = int(CommandFlag.STALE)
DENYOOM = int(CommandFlag.DENYOOM)
# Command groups whose values change in place: their keys are re-priced after a write (storage/memory.py).
IN_PLACE_GROUPS = frozenset({"list", "hash", "set", "sorted-set", "geo"})
# What a client in MULTI may still run while out of memory (processCommand's reject_cmd_on_oom).
OOM_EXEMPT_IN_MULTI = frozenset({"exec", "discard", "quit", "reset"})
MANY_ARGS = 64  # Command.arg_counts lists the argument counts below this
# What a client in MULTI runs at once instead of queuing (processCommand's list).
TRANSACTION_CONTROL = frozenset({"exec", "discard", "multi", "watch", "quit", "reset"})
# What a RESP2 client with subscriptions may run.
PUBSUB_CONTEXT = frozenset(
    {"ping", "subscribe", "ssubscribe", "unsubscribe", "sunsubscribe", "psubscribe", "punsubscribe", "quit", "reset"}
)


# Which commands name channels, and how (ACL's &pattern rules apply to them).
CHANNEL_KINDS = {
    "publish": PUBLISHES,
    "spublish": PUBLISHES,
    "subscribe": SUBSCRIBES,
    "ssubscribe": SUBSCRIBES,
    "psubscribe": SUBSCRIBES_PATTERNS,
}
KEY_READ = int(KeyFlag.ACCESS)
KEY_WRITE = int(KeyFlag.INSERT | KeyFlag.DELETE | KeyFlag.UPDATE)


def acl_command(spec: CommandSpec, subcommands: "dict[bytes, Command] | None") -> AclCommand:
    """The ACL's view of a command: categories, and its keys with the permission each needs (ACLSelectorCheckKey:
    a key the command returns or copies needs read, one it inserts, deletes or updates needs write)."""

    def keys(argv: list[bytes]) -> list[tuple[int, int]]:
        found = []
        for position, flags in spec.keys_and_flags(argv):
            bits = int(flags)  # (IntFlag arithmetic is slow)
            found.append((position, (ACL_READ if bits & KEY_READ else 0) | (ACL_WRITE if bits & KEY_WRITE else 0)))
        return found

    command = AclCommand(
        fullname=spec.name,
        categories=frozenset(category.lstrip("@") for category in spec.acl_categories),
        no_auth=bool(spec.flags & CommandFlag.NO_AUTH),
        has_keys=spec.has_keys,
        keys=keys,
        channels=CHANNEL_KINDS.get(spec.name, 0),
    )
    for sub in (subcommands or {}).values():
        sub.acl.parent = command
        command.subcommands[sub.name.partition("|")[2]] = sub.acl
    return command


class Command:
    """A command as one server dispatches it: the static spec plus this server's counters."""

    __slots__ = (
        "spec",
        "name",
        "handler",
        "arity",
        "arg_counts",
        "many_args",
        "flags",
        "subcommands",
        "untracked_calls",
        "nsec",
        "rejected_calls",
        "failed_calls",
        "in_place",
        "single_key",
        "latency_counts",
        "acl",
    )

    def __init__(self, spec: CommandSpec):
        self.spec = spec
        self.name = spec.name
        self.handler = spec.handler
        self.arity = spec.arity
        # Redis's arity: N means exactly N arguments (the name included), -N at least N. A count is accepted
        # when in arg_counts (a frozenset test is cheaper than a range's) or, variadic, from many_args on.
        if spec.arity > 0:
            self.arg_counts, self.many_args = frozenset({spec.arity}), 2**62
        else:
            self.many_args = max(-spec.arity, MANY_ARGS)
            self.arg_counts = frozenset(range(-spec.arity, self.many_args))
        self.flags = int(spec.flags)
        self.in_place = bool(self.flags & WRITE) and spec.group in IN_PLACE_GROUPS
        self.single_key = spec.single_key
        self.subcommands = {sub.encode(): Command(s) for sub, s in spec.subcommands.items()} or None
        self.acl = acl_command(spec, self.subcommands)  # what ACL rules and checks know of it
        self.reset_stats()

    def reset_stats(self) -> None:
        self.untracked_calls = self.nsec = self.rejected_calls = self.failed_calls = 0
        self.latency_counts = new_latency_counts()  # INFO latencystats and /metrics histograms

    @property
    def calls(self) -> int:
        """Each call is counted in its latency bucket, or in untracked_calls while latency-tracking is off (one
        counter less to bump per command)."""
        return self.untracked_calls + sum(self.latency_counts)

    @property
    def usec(self) -> int:
        """Time spent in the handler, as INFO commandstats reports it."""
        return self.nsec // 1000

    def all_commands(self):
        yield self
        yield from (self.subcommands or {}).values()


class Engine:
    """Implements commands/context.py's Dispatcher. Its `client` parameters are this server's Clients
    (engine/client.py), left unannotated: commands hand them back as the Context they know."""

    def __init__(self, state: "ServerState"):
        from .. import commands  # noqa: F401  (importing the package registers every family)

        self.state = state
        self.monitors = state.monitors  # the same list, read on every command
        self.blocking = BlockingRegistry()
        self.waiters = self.blocking.waiters  # the same dict, read on every command
        self.tracking = state.tracking = Tracking(state)
        self.aof: AppendOnlyLog | None = None  # while appendonly is on (attach_aof)
        self.propagation = state.propagation = Propagation()  # what writes propagate, to the AOF (and replicas)
        state.engine = self
        self.memory = state.memory = MemoryManager(state, self)
        self.commands: dict[str, Command] = {name: Command(spec) for name, spec in TABLE.specs.items()}
        # Dispatch accepts the lower- and upper-case spellings without calling lower() on the hot path.
        self.dispatch: dict[bytes, Command] = {}
        for name, entry in self.commands.items():
            self.dispatch[name.encode()] = entry
            self.dispatch[name.upper().encode()] = entry
        # ... and the commands without subcommands, so execute's first lookup settles the common case (DEBUG
        # takes the slow path, where enable-debug-command is checked)
        self.debug = self.commands["debug"]
        self.direct = {
            name: entry
            for name, entry in self.dispatch.items()
            if entry.subcommands is None and entry is not self.debug
        }
        self.attack_logged_ns = -ATTACK_LOG_INTERVAL_NS
        self.acl = state.acl = Acl(CommandCatalog(entry.acl for entry in self.commands.values()))
        self.acl.pubsub_default_all = state.config.acl_pubsub_default == "allchannels"
        self.acl.set_default_password(state.config.requirepass)
        self.configure()

    def lookup(self, argv: list[bytes]) -> Command | None:
        """The command (or subcommand) argv names, without any checks: COMMAND GETKEYS, MULTI queueing."""
        entry = self.dispatch.get(argv[0]) or self.dispatch.get(argv[0].lower())
        if entry is not None and entry.subcommands is not None and len(argv) > 1:
            return entry.subcommands.get(argv[1].lower())
        return entry

    def configure(self) -> None:
        """Cache settings read on every command; called at start and after CONFIG SET."""
        config = self.state.config
        never = float("inf")
        slowlog = config.slowlog_log_slower_than  # microseconds; negative disables
        latency = config.latency_monitor_threshold  # milliseconds; 0 disables
        self.slowlog_threshold_ns = slowlog * 1000 if slowlog >= 0 else never
        self.latency_threshold_ns = latency * 1_000_000 if latency > 0 else never
        self.slow_ns = min(self.slowlog_threshold_ns, self.latency_threshold_ns)
        self.latency_tracking = config.latency_tracking  # latency-tracking: per-command histograms
        self.log_commands = config.log_commands  # log-commands: a command_executed event per command
        configure_notifications(self.state)  # notify-keyspace-events -> state.notify_flags
        self.memory.configure()
        self.maxmemory = config.maxmemory
        self.acl.pubsub_default_all = config.acl_pubsub_default == "allchannels"
        self.acl.log_max_len = config.acllog_max_len
        del self.acl.log[config.acllog_max_len :]
        self.update_gate()
        self.observers_changed()
        # client-output-buffer-limit: class -> (hard bytes, soft bytes, soft seconds); a setting names only
        # the classes it changes
        self.output_limits = {}
        for value in (DEFAULT_BUFFER_LIMITS, config.client_output_buffer_limit):
            words = value.split()
            for i in range(0, len(words), 4):
                self.output_limits[words[i]] = (int(words[i + 1]), int(words[i + 2]), int(words[i + 3]))

    def update_gate(self) -> None:
        """Whether a server-wide check applies to every command: CLIENT PAUSE, -LOADING/-MISCONF, maxmemory."""
        state = self.state
        config = state.config
        replica = state.replication.master_host is not None
        # a read-only replica refuses writes from its clients (never from its master): replica-read-only
        self.read_only = replica and config.replica_read_only
        # a replica whose link is down answers only `stale` commands: replica-serve-stale-data no
        self.refuse_stale = replica and not config.replica_serve_stale_data
        # a master refuses writes without enough replicas acknowledging: min-replicas-to-write
        self.min_replicas = 0 if replica else config.min_replicas_to_write
        self.gated = bool(
            state.pause_until_ms
            or state.refusal is not None
            or self.maxmemory
            or self.read_only
            or self.refuse_stale
            or self.min_replicas
        )

    def execute(self, client, argv: list[bytes]):
        """Run one command for client; returns its reply value, an ErrorReply, BLOCKED (paused: retry it
        later) or PARKED (waiting for keys: the engine delivers the reply later)."""
        try:
            command = self.direct[argv[0]]
        except KeyError:  # another spelling, a command with subcommands, or none: rare enough to pay a raise
            command = self._resolve(client, argv)
            if command.__class__ is ErrorReply:
                return command
        argc = len(argv)
        if argc not in command.arg_counts and argc < command.many_args:
            return self._reject(client, command, errors.wrong_arity(command.name))
        if (client.gated or self.gated) and (early := self._gate(client, command, argv)) is not None:
            return early

        propagating = self.propagating
        if propagating:  # the AOF or replicas read what writes propagate: see _propagate
            db, dirty_before = client.db, self.state.dirty
            client.propagate_instead = None  # what the handler states (Client.propagate_as), else its arguments
        hooks = self.hooks
        if hooks:  # WATCH, TRACKING, MONITOR, waiters, log-commands: see observers_changed
            before = self._before(client, command, argv)
        start = time_ns()
        client.now_ms = start // 1_000_000
        try:
            reply = command.handler(client, argv)
        except CommandError as error:
            command.failed_calls += 1
            self.state.stats.count_error(error.message)
            reply = ErrorReply(error.message)
        except Exception:
            reply = self._internal_error(command)
        if command.in_place:  # aggregates changed in place: re-price them
            if command.single_key:
                client.db.settle(argv[command.single_key])
            else:
                for index in command.spec.key_positions(argv):
                    client.db.settle(argv[index])
        elapsed_ns = time_ns() - start
        command.nsec += elapsed_ns
        if self.latency_tracking:  # the bucket counts the call (Command.calls)
            try:  # below 100 µs (nearly always) a table lookup, else a bisect (a wall clock stepping back
                # mid-command can misfile that one call, as it already skews nsec)
                command.latency_counts[BUCKET_BY_NS[elapsed_ns]] += 1
            except IndexError:
                command.latency_counts[bisect_left(LATENCY_BOUNDS_NS, elapsed_ns)] += 1
        else:
            command.untracked_calls += 1
        client.last_command = command.name
        if elapsed_ns >= self.slow_ns:
            self._slow(client, command, argv, elapsed_ns)
        if reply.__class__ is Block:
            return self._block(client, command, argv, reply, elapsed_ns)
        if propagating and self.state.dirty > dirty_before:  # before any waiter the write wakes
            self._propagate(client, command, argv, db)
        if hooks:
            return self._after(client, command, argv, reply, before, elapsed_ns)
        return reply

    # -- what runs only while a hook is active -----------------------------------------------------------

    def _before(self, client, command: "Command", argv: list[bytes]):
        """What the hooks need to know from before the command: its database, whether its keys are observed
        (WATCH or CLIENT TRACKING) and then their state, the dirty counter (the AOF logs real changes), and
        log-commands as it was (so the CONFIG SET that turns it off is logged, the one turning it on is not)."""
        db = client.db
        observed = bool(db.watched or self.tracking.clients)
        snapshot = self._snapshot(db, command, argv) if observed else None
        return db, observed, snapshot, self.log_commands

    def _propagate(self, client, command: "Command", argv: list[bytes], db) -> None:
        """A command that changed data (in `db`, its database when it started) propagates: a write its
        arguments unless it stated other ops; another command (PFCOUNT caching its count) only what it stated.
        A top-level command's ops go out now; EXEC's and a script's when they end (Propagation.end)."""
        stated = client.propagate_instead
        if stated is not None:
            client.propagate_instead = None
            self.propagation.emit([(db.index, op) for op in stated])
        elif command.flags & WRITE:
            self.propagation.emit([(db.index, argv)])
        client.woff = self.state.replication.master_repl_offset  # what WAIT waits for

    def _after(self, client, command: "Command", argv: list[bytes], reply, before, elapsed_ns: int):
        db, observed, snapshot, log_commands = before
        if log_commands:  # opt-in: a JSON line per command costs far more than the command
            log_command(command, argv, reply.__class__ is ErrorReply, elapsed_ns)
        if self.monitors and not command.flags & UNMONITORED:
            self.feed_monitors(client, argv)
        if observed:
            changed = self._changed_keys(db, snapshot)
            if db.watched:
                for key in changed:
                    db.touch_watched(key)
            if self.tracking.clients:
                self.tracking.after_command(client, command, argv, changed, command.flags & READONLY)
                if client.deferred_pushes and not client.atomic:
                    reply = Replies([reply, *map(Encoded, client.deferred_pushes)])
                    client.deferred_pushes = []
        if self.waiters:
            self._wake_waiters(client, command, argv)
        return reply

    def _block(self, client, command: "Command", argv: list[bytes], reply: Block, elapsed_ns: int):
        """A blocking command found nothing to serve."""
        if self.log_commands:
            log_command(command, argv, False, elapsed_ns)
        if self.monitors and not command.flags & UNMONITORED:
            self.feed_monitors(client, argv)
        if client.atomic:  # inside EXEC or a script a blocking command answers at once
            return reply.no_wait_reply
        if client.blocked_on is None:
            self.blocking.park(client, argv, reply)
            self.observers_changed()  # writes must now wake it
            return PARKED
        return reply  # a retry that still finds nothing: the client keeps its place in line

    # -- hooks: what observes commands and expiries ---------------------------------------------------------

    def observers_changed(self) -> None:
        """Recompute `hooks`, whether anything observes commands as they run (WATCH, CLIENT TRACKING,
        MONITOR, a blocked client, log-commands), and `propagating`, whether anything reads the propagation
        stream (the AOF, replicas): while nothing does, execute skips them. This is the one place that sets
        the flags: whoever adds an observer calls this, and the cron calls it to clear them once the observers
        are gone.
        Also installs the hook storage calls for each expired key only while something needs it ("expired"
        events, CLIENT TRACKING invalidations, the AOF); otherwise expiry pays one test."""
        propagating = self.propagating = bool(self.propagation.consumers)
        self.hooks = bool(
            self.monitors
            or self.waiters
            or self.tracking.clients
            or self.log_commands
            or any(db.watched for db in self.state.databases)
        )
        needed = self.state.notify_flags & NOTIFY_EXPIRED or self.tracking.clients or propagating
        for db in self.state.databases:
            db.on_expired = self._key_expired if needed else None

    def _key_expired(self, db, key: bytes) -> None:
        if self.state.notify_flags & NOTIFY_EXPIRED:
            expired(self.state, db, key)
        if self.tracking.clients:
            self.tracking.invalidate(key)
        if self.propagation.consumers:  # an expired key propagates as its deletion, outside any transaction
            self.propagation.emit_now(db.index, [b"DEL", key])

    def add_stream_consumer(self, consumer: Consumer) -> None:
        """A reader of the propagation stream from now on (replication/master.py, from its first replica)."""
        if consumer not in self.propagation.consumers:
            self.propagation.consumers.append(consumer)
            self.observers_changed()

    def remove_stream_consumer(self, consumer: Consumer) -> None:
        if consumer in self.propagation.consumers:
            self.propagation.consumers.remove(consumer)
            self.observers_changed()

    def attach_aof(self, aof: AppendOnlyLog | None) -> None:
        """appendonly on (an AppendOnlyFile) or off (None): the AOF consumes the propagation stream."""
        consumers = self.propagation.consumers
        if self.aof in consumers:  # (Propagation.stop leaves none)
            consumers.remove(self.aof)
        self.aof = aof
        if aof is not None:
            consumers.append(aof)
        self.observers_changed()

    # -- what a command changed (WATCH, CLIENT TRACKING) --------------------------------------------------

    def _snapshot(self, db, command: "Command", argv: list[bytes]):
        """Before a write: its keys with their value objects and deadlines, and the dirty counter."""
        if not command.flags & WRITE:
            return None
        keys = [argv[index] for index in command.spec.key_positions(argv)]
        return self.state.dirty, [(key, db.data.get(key), db.expires.get(key)) for key in keys]

    def _changed_keys(self, db, before) -> list[bytes]:
        """The keys a write really changed (Redis's signalModifiedKey): none unless it counted a change; then
        each key whose value was replaced or removed, whose deadline moved, or that holds an aggregate
        (changed in place). So DEL of a missing key or SET NX on an existing one touches nothing."""
        if before is None or self.state.dirty == before[0]:
            return []
        data, expires = db.data, db.expires
        return [
            key
            for key, value, deadline in before[1]
            if (now := data.get(key)) is not value
            or expires.get(key) != deadline
            or (now is not None and now.__class__ is not bytes)
        ]

    # -- blocking on keys ------------------------------------------------------------------------------

    def _wake_waiters(self, client, command: "Command", argv: list[bytes]) -> None:
        """After a write: serve clients blocked on the keys it touched, in the order they blocked. A served
        command that writes (BLMOVE) only signals: the loop already running serves its keys too. Inside
        EXEC or a script keys are only signalled; they are served once the whole transaction is done."""
        if command.flags & WRITE:
            self.blocking.signal(client.db_index, [argv[i] for i in command.spec.key_positions(argv)])
        if self.blocking.ready and not self.blocking.serving and not client.atomic:
            self.blocking.serve(self._retry_blocked)

    def _retry_blocked(self, client, blocked_on):
        """Run a blocked client's command again; None while there is still nothing for it."""
        reply = self.execute(client, blocked_on.argv)
        if reply.__class__ is Block or reply is BLOCKED:  # still nothing, or the server is paused
            return None
        self.blocking.remove(client)
        return reply

    def unblock(self, client, error: ErrorReply | None = None) -> tuple[bool, object]:
        """End a client's wait on keys: timeout, CLIENT UNBLOCK, or disconnect. Returns (whether it was
        waiting, the reply to send it: the command's timeout reply, or `error`)."""
        blocked_on = client.blocked_on
        if blocked_on is None:
            return False, None
        self.blocking.remove(client)
        if error is not None:
            return True, error
        reply = blocked_on.timeout_reply
        return True, reply() if callable(reply) else reply  # WAIT counts its acknowledgements when it ends

    def _resolve(self, client, argv: list[bytes]):
        """The slow half of the lookup: other spellings of the name, and subcommands."""
        command = self.dispatch.get(argv[0]) or self.dispatch.get(argv[0].lower())
        if command is None:
            if client.connection is not None and argv[0].lower() in CROSS_PROTOCOL_NAMES:
                self._cross_protocol_attack(client)
            return self._reject(client, None, errors.unknown_command(argv))
        if (
            command is self.debug
            and (len(argv) in command.arg_counts or len(argv) >= command.many_args)  # arity is checked first
            and not protected_action_allowed(self.state.config.enable_debug_command, client.addr)
        ):
            return self._reject(client, command, errors.protected_command_refused("DEBUG", "enable-debug-command"))
        if command.subcommands is not None and len(argv) > 1:
            sub = command.subcommands.get(argv[1].lower())
            if sub is None:
                return self._reject(client, command, errors.unknown_subcommand(command.name, argv[1]))
            return sub
        return command

    def _cross_protocol_attack(self, client) -> None:
        """Redis's securityWarningCommand: log (once a minute at most) and drop the connection, replies unsent."""
        now_ns = time_ns()
        if now_ns - self.attack_logged_ns > ATTACK_LOG_INTERVAL_NS:
            self.attack_logged_ns = now_ns
            log.warning("security_attack", extra={"warning": errors.CROSS_PROTOCOL_ATTACK, "addr": client.addr})
        client.connection.kill(abort=True)

    def _gate(self, client, command: "Command", argv: list[bytes]):
        """Checks that apply only to some clients or server states (client.gated says when to look), in
        processCommand's order. Returns a reply that stands instead of running the command, or None."""
        if not client.authenticated and not command.flags & NO_AUTH and not self.acl.default_logs_in:
            return self._reject(client, command, errors.NOAUTH)
        in_multi = client.multi is not None and command.name not in TRANSACTION_CONTROL
        if in_multi and command.flags & NO_MULTI:
            return self._reject(client, command, errors.NOT_ALLOWED_IN_MULTI)
        if client.acl_limited and (denied := client.user.check(command.acl, argv)) is not None:
            return self._deny(client, command, argv, denied)
        if (
            self.maxmemory
            and not client.atomic
            and not self.memory.perform_evictions()
            and (
                command.flags & DENYOOM
                or self._queued_flag(client, command, DENYOOM)
                or (client.multi is not None and command.name not in OOM_EXEMPT_IN_MULTI)
            )
        ):
            return self._reject(client, command, errors.OOM)
        refusal = self.state.refusal  # persistence: -LOADING while loading, -MISCONF after a failed save
        if refusal is not None and (message := refusal(client, command)) is not None:
            return self._reject(client, command, message)
        if (
            self.min_replicas
            and client.kind != "master"
            and (command.flags & WRITE or self._queued_flag(client, command, WRITE))
            and self._good_replicas() < self.min_replicas
        ):
            return self._reject(client, command, errors.NOREPLICAS)
        if self.read_only and command.flags & WRITE and client.kind != "master":
            return self._reject(client, command, errors.READONLY)
        if client.subscribed and client.resp == 2 and command.name not in PUBSUB_CONTEXT:
            return self._reject(client, command, errors.pubsub_context(command.name))
        if (
            self.refuse_stale
            and self._master_link_down()
            and (not command.flags & STALE or self._queued_flag(client, command, STALE, every=True))
        ):
            return self._reject(client, command, errors.MASTERDOWN)
        if self.state.pause_until_ms and not client.atomic and self._paused(client, command):
            return BLOCKED
        if in_multi:
            if not (client.multi_error or client.dirty_cas):  # a doomed transaction queues nothing more (7.0)
                client.multi.append(argv)
            return QUEUED
        return None

    def _deny(self, client, command: "Command", argv: list[bytes], denied: tuple[int, int]):
        """A command the client's user may not run: logged in ACL LOG and refused with -NOPERM; inside EXEC (the
        rules changed since it was queued) with the reason EXEC gives."""
        reason, position = denied
        in_exec = client.exec_parts is not None
        context = b"multi" if in_exec or client.multi is not None else b"toplevel"
        logged = command.name.encode() if reason == DENIED_COMMAND else argv[position]
        self.log_denial(client, reason, context, logged, running=command.name)
        if in_exec:
            command.rejected_calls += 1
            self.state.stats.count_error(errors.NOPERM_IN_EXEC)
            return ErrorReply(errors.noperm_in_exec(reason))
        return self._reject(client, command, errors.noperm(reason, command.name))

    def log_denial(
        self, client, reason: int, context: bytes, obj: bytes, username: bytes | None = None, running: str = ""
    ) -> None:
        """An ACL LOG entry; the client shown is the one that ran the script when a script was refused, with
        `running` as its current command."""
        shown = client.script_caller or client
        info = describe_client(shown, self.state.clock_ms(), running.encode() or None)
        name = username if username is not None else client.user.name
        self.acl.add_log_entry(reason, context, obj, name, self.state.clock_ms(), info)

    def _queued_flag(self, client, command: "Command", flag: int, every: bool = False) -> bool:
        """For EXEC: whether a queued command has the flag (or, with `every`, whether one lacks it); Redis
        keeps the queued commands' flags and judges EXEC by them."""
        if command.name != "exec" or client.multi is None:
            return False
        for argv in client.multi:
            queued = self.lookup(argv)
            if queued is not None and bool(queued.flags & flag) != every:
                return True
        return False

    def _good_replicas(self) -> int:
        master_side = self.state.master_side
        return 0 if master_side is None else master_side.good_replicas()

    def _master_link_down(self) -> bool:
        link = self.state.replica_link
        return link is None or link.role_offset < 0

    def _slow(self, client, command: "Command", argv: list[bytes], elapsed_ns: int) -> None:
        """SLOWLOG and the latency monitor's "command" / "fast-command" events."""
        state = self.state
        if elapsed_ns >= self.slowlog_threshold_ns and not command.flags & SKIP_SLOWLOG:
            state.slowlog.add(redact(argv), elapsed_ns // 1000, client.now_ms // 1000, client.addr, client.name)
        if elapsed_ns >= self.latency_threshold_ns:
            event = "fast-command" if command.flags & FAST else "command"
            state.latency.record(event, elapsed_ns // 1_000_000, client.now_ms // 1000)

    def _internal_error(self, command: "Command") -> ErrorReply:
        log.exception("command_failed", extra={"command": command.name})
        command.failed_calls += 1
        self.state.stats.unexpected_error_replies += 1
        reply = ErrorReply(errors.internal_error(command.name))
        self.state.stats.count_error(reply)
        return reply

    def _reject(self, client, command: Command | None, message: bytes) -> ErrorReply:
        """A command refused before it ran: counted as rejected, as Redis's errorstats do. Inside MULTI it
        dooms the transaction: EXEC will answer EXECABORT. EXEC itself is refused as EXECABORT, discarding
        the transaction."""
        if command is not None and command.name == "exec":
            discard_transaction(client)
            message = errors.exec_abort(message)
        elif client.multi is not None:
            client.multi_error = True
        if command is not None:
            command.rejected_calls += 1
        self.state.stats.count_error(message)
        return ErrorReply(message)

    def _paused(self, client, command: Command) -> bool:
        state = self.state
        if state.clock_ms() >= state.pause_until_ms:
            state.pause_until_ms = 0
            return False
        if client.kind in ("replica", "master"):
            return False
        if state.pause_writes_only:
            # EXEC counts as a write when it would run one
            return bool(command.flags & WRITE_LIKE) or self._queued_flag(client, command, WRITE_LIKE)
        return True

    def feed_monitors(self, client, argv: list[bytes]) -> None:
        now_us = self.state.clock_ns() // 1000
        line = b"+%d.%06d [%d %s] %s" % (
            now_us // 1_000_000,
            now_us % 1_000_000,
            client.db_index,
            (client.addr or "lua").encode(),
            b" ".join(_monitor_quote(arg) for arg in redact(argv)),
        )
        for monitor in list(cast("list[Client]", self.state.monitors)):  # (the server's contexts are Clients)
            if monitor.connection is not None:  # (a client without a connection cannot MONITOR: belt and braces)
                monitor.connection.send_raw(line + b"\r\n")


def _monitor_quote(arg: bytes) -> bytes:
    """sdscatrepr: a quoted, escaped rendering of one argument."""
    out = bytearray(b'"')
    for byte in arg:
        if byte in (34, 92):
            out += b"\\" + bytes([byte])
        elif byte == 10:
            out += b"\\n"
        elif byte == 13:
            out += b"\\r"
        elif byte == 9:
            out += b"\\t"
        elif byte == 7:
            out += b"\\a"
        elif byte == 8:
            out += b"\\b"
        elif 32 <= byte < 127:
            out.append(byte)
        else:
            out += b"\\x%02x" % byte
    return bytes(out + b'"')
