"""Engine.execute: Redis's processCommand() + call(). Look the command up, check arity and the gates
declared in its spec, run the handler, record stats and slow log. Errors come back as ErrorReply values."""

import logging
from time import time_ns

from .. import errors
from .blocking import BlockingRegistry
from ..commands.blocking import Block
from ..commands.registry import TABLE, CommandFlag, CommandSpec
from ..errors import CommandError
from ..protocol.values import ErrorReply

log = logging.getLogger("redislite.engine")


class Blocked:
    """Returned instead of a reply when the client must wait (CLIENT PAUSE); the connection retries later."""


BLOCKED = Blocked()


class Parked:
    """Returned instead of a reply when the command waits for keys (BLPOP ...); the engine delivers its reply
    later through client.connection.resume(reply)."""


PARKED = Parked()

# Flags as plain ints: IntFlag arithmetic is slow on the hot path.
NO_AUTH = int(CommandFlag.NO_AUTH)
SKIP_SLOWLOG = int(CommandFlag.SKIP_SLOWLOG)
WRITE = int(CommandFlag.WRITE)
FAST = int(CommandFlag.FAST)
UNMONITORED = int(CommandFlag.SKIP_MONITOR | CommandFlag.ADMIN)
WRITE_LIKE = int(CommandFlag.WRITE | CommandFlag.MAY_REPLICATE)


class Command:
    """A command as one server dispatches it: the static spec plus this server's counters."""

    __slots__ = ("spec", "name", "handler", "arity", "flags", "subcommands", "calls", "nsec",
                 "rejected_calls", "failed_calls")

    def __init__(self, spec: CommandSpec):
        self.spec = spec
        self.name = spec.name
        self.handler = spec.handler
        self.arity = spec.arity
        self.flags = int(spec.flags)
        self.subcommands = {sub.encode(): Command(s) for sub, s in spec.subcommands.items()} or None
        self.reset_stats()

    def reset_stats(self) -> None:
        self.calls = self.nsec = self.rejected_calls = self.failed_calls = 0

    @property
    def usec(self) -> int:
        """Time spent in the handler, as INFO commandstats reports it."""
        return self.nsec // 1000

    def all_commands(self):
        yield self
        for sub in (self.subcommands or {}).values():
            yield sub


class Engine:
    def __init__(self, state):
        from .. import commands  # noqa: F401  (importing the package registers every family)

        self.state = state
        self.monitors = state.monitors  # the same list, read on every command
        self.blocking = BlockingRegistry()
        self.waiters = self.blocking.waiters  # the same dict, read on every command
        state.engine = self
        self.commands: dict[str, Command] = {name: Command(spec) for name, spec in TABLE.specs.items()}
        # Dispatch accepts the lower- and upper-case spellings without calling lower() on the hot path.
        self.dispatch: dict[bytes, Command] = {}
        for name, entry in self.commands.items():
            self.dispatch[name.encode()] = entry
            self.dispatch[name.upper().encode()] = entry
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

    def execute(self, client, argv: list[bytes]):
        """Run one command for client; returns its reply value, an ErrorReply, BLOCKED (paused: retry it
        later) or PARKED (waiting for keys: the engine delivers the reply later)."""
        command = self.dispatch.get(argv[0])
        if command is None or command.subcommands is not None:
            command = self._resolve(argv, command)
            if command.__class__ is ErrorReply:
                return command
        arity = command.arity
        if len(argv) != arity and (arity > 0 or len(argv) < -arity):
            return self._reject(command, errors.wrong_arity(command.name))
        if (client.gated or self.state.pause_until_ms) and (rejection := self._gate(client, command)) is not None:
            return rejection

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
        elapsed_ns = time_ns() - start
        command.calls += 1
        command.nsec += elapsed_ns
        client.last_command = command.name
        if elapsed_ns >= self.slow_ns:
            self._slow(client, command, argv, elapsed_ns)
        if reply.__class__ is Block:
            if self.monitors and not command.flags & UNMONITORED:
                self._feed_monitors(client, argv)
            if client.blocked_on is None:
                self.blocking.park(client, argv, reply)
                return PARKED
            return reply  # a retry that still finds nothing: the client keeps its place in line
        if self.monitors or self.waiters:  # both empty on the hot path
            if self.monitors and not command.flags & UNMONITORED:
                self._feed_monitors(client, argv)
            if self.waiters and command.flags & WRITE:
                self._wake_waiters(client, command, argv)
        return reply

    # -- blocking on keys ------------------------------------------------------------------------------

    def _wake_waiters(self, client, command: "Command", argv: list[bytes]) -> None:
        """After a write: serve clients blocked on the keys it touched, in the order they blocked. A served
        command that writes (BLMOVE) only signals: the loop already running serves its keys too."""
        self.blocking.signal(client.db_index, [argv[i] for i in command.spec.key_positions(argv)])
        if self.blocking.ready and not self.blocking.serving:
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
        return True, blocked_on.timeout_reply if error is None else error

    def _resolve(self, argv: list[bytes], command: "Command | None"):
        """The slow half of the lookup: other spellings of the name, and subcommands."""
        if command is None:
            command = self.dispatch.get(argv[0].lower())
            if command is None:
                return self._reject(None, errors.unknown_command(argv))
        if command.subcommands is not None and len(argv) > 1:
            sub = command.subcommands.get(argv[1].lower())
            if sub is None:
                return self._reject(command, errors.unknown_subcommand(command.name, argv[1]))
            return sub
        return command

    def _gate(self, client, command: "Command"):
        """Checks that apply only to some clients or server states (client.gated says when to look)."""
        if not client.authenticated and not command.flags & NO_AUTH:
            return self._reject(command, errors.NOAUTH)
        if self.state.pause_until_ms and self._paused(client, command):
            return BLOCKED
        return None

    def _slow(self, client, command: "Command", argv: list[bytes], elapsed_ns: int) -> None:
        """SLOWLOG and the latency monitor's "command" / "fast-command" events."""
        state = self.state
        if elapsed_ns >= self.slowlog_threshold_ns and not command.flags & SKIP_SLOWLOG:
            state.slowlog.add(argv, elapsed_ns // 1000, client.now_ms // 1000, client.addr, client.name)
        if elapsed_ns >= self.latency_threshold_ns:
            event = "fast-command" if command.flags & FAST else "command"
            state.latency.record(event, elapsed_ns // 1_000_000, client.now_ms // 1000)

    def _internal_error(self, command: "Command") -> ErrorReply:
        log.exception("command_failed", extra={"command": command.name})
        command.failed_calls += 1
        self.state.stats.unexpected_error_replies += 1
        reply = ErrorReply(b"ERR internal error while running '%s'" % command.name.encode())
        self.state.stats.count_error(reply)
        return reply

    def _reject(self, command: Command | None, message: bytes) -> ErrorReply:
        """A command refused before it ran: counted as rejected, as Redis's errorstats do."""
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
            return bool(command.flags & WRITE_LIKE)
        return True

    def _feed_monitors(self, client, argv: list[bytes]) -> None:
        now_us = self.state.clock_ns() // 1000
        line = b'+%d.%06d [%d %s] %s' % (
            now_us // 1_000_000, now_us % 1_000_000, client.db_index, (client.addr or "lua").encode(),
            b" ".join(_monitor_quote(arg) for arg in argv))
        for monitor in list(self.state.monitors):
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
