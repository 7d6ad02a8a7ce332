"""Scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT (LOAD, EXISTS, FLUSH, KILL, DEBUG, HELP),
FCALL, FCALL_RO, FUNCTION (LOAD, LIST, DELETE, FLUSH, DUMP, RESTORE, STATS, KILL, HELP).

Scripts run in a sandboxed Lua 5.1 state (commands/lua/). redis.call goes through Engine.execute with a client
of the scripts' own that starts every run in the caller's database, so a script's commands are counted, logged
and monitored like any other. EVAL scripts and function libraries live in separate Lua states, as in Redis.

A script runs to completion inside its command, so it is atomic. Every 100,000 Lua instructions it checks the
clock; past `busy-reply-threshold` it lets the server read other clients (`state.process_events_while_blocked`,
installed by the server): they get -BUSY, except for the commands Redis allows then (SCRIPT KILL, FUNCTION KILL,
SHUTDOWN NOSAVE, ...). SCRIPT KILL stops a script that has not written yet.
"""

import hashlib
import logging
import time
from typing import Any, Protocol

from .. import REDIS_COMPAT_VERSION, errors
from ..errors import CommandError, c_string
from ..protocol.reader import split_inline_args
from ..protocol.values import OK, ErrorReply, SetReply, SimpleString
from ..storage.acl import DENIED_COMMAND
from ..storage.glob import compile_glob
from .args import ArgCursor, parse_flush_mode
from .client import help_reply
from .context import Argv, Context, Server
from .lua import payload
from .lua.runtime import LuaEngine
from .registry import CommandFlag, Index, KeyNum, KeySpec, command

LUA_MEMORY_ERROR = b"not enough memory"  # what Lua's allocator failing (lua-max-memory) raises
log = logging.getLogger("redislite.scripting")

# Script flags (shebang "flags=" for EVAL, `flags` of redis.register_function), as Redis spells them.
SCRIPT_FLAGS = (b"no-writes", b"allow-oom", b"allow-stale", b"no-cluster", b"allow-cross-slot-keys")
LOAD_TIMEOUT_MS = 500  # FUNCTION LOAD gives up on library code running longer than this
INITIAL_RAND48 = 0x1234ABCD330E  # Redis's rand48 state before any math.randomseed

WRITE = int(CommandFlag.WRITE)
NOSCRIPT_FLAG = int(CommandFlag.NOSCRIPT)
DENYOOM = int(CommandFlag.DENYOOM)


class RunContext:
    """The script or function being run (Redis's scriptRunCtx)."""

    def __init__(
        self, client: "ScriptClient", caller: Context, name: bytes, is_eval: bool, read_only: bool, argv: list[bytes]
    ):
        self.client = client
        self.caller = caller
        self.name = name
        self.is_eval = is_eval
        self.read_only = read_only
        self.argv = argv
        self.resp = 2
        self.wrote = False
        self.out_of_memory = False  # over maxmemory when the script started: its first write may be refused
        self.timed_out = False
        self.killed = False
        self.start_ns = time.monotonic_ns()

    def set_resp(self, resp: int) -> None:
        self.resp = resp
        self.client.set_protocol(resp)

    def elapsed_ms(self) -> int:
        return (time.monotonic_ns() - self.start_ns) // 1_000_000

    def busy_error(self) -> bytes:
        return errors.BUSY_EVAL if self.is_eval else errors.BUSY_FUNCTION


class Script:
    """An EVAL script in the cache: its body, compiled function and shebang flags (None: no shebang)."""

    __slots__ = ("body", "flags", "function")

    def __init__(self, body: bytes, function, flags: list[bytes] | None):
        self.body = body
        self.function = function
        self.flags = flags


class Function:
    __slots__ = ("callback", "description", "flags", "library_name", "name")

    def __init__(self, name: bytes, library_name: bytes, callback, description: bytes | None, flags: list[bytes]):
        self.name = name
        self.library_name = library_name  # the name, not the Library: a cycle kept replaced code until gc
        self.callback = callback
        self.description = description
        self.flags = flags


class Library:
    """A FUNCTION LOAD library: its code and the functions it registered."""

    def __init__(self, name: bytes, code: bytes):
        self.name = name
        self.code = code
        self.functions: dict[bytes, Function] = {}  # by lower-case name

    def add_function(self, name: bytes, callback, description, flags) -> bytes | None:
        """redis.register_function's checks; returns the refusal, or None."""
        if not valid_name(name):
            return errors.LIBRARY_NAME_RULE
        if name.lower() in self.functions:
            return errors.FUNCTION_EXISTS_IN_LIBRARY
        self.functions[name.lower()] = Function(name, self.name, callback, description, flags)
        return None


def valid_name(name: bytes) -> bool:
    return bool(name) and all(c == 95 or 48 <= c <= 57 or 65 <= c <= 90 or 97 <= c <= 122 for c in name)


class ScriptClient(Context, Protocol):
    """The scripts' own client: Redis freezes time at the start of a script, so keys cannot expire half-way."""

    frozen_ms: int | None


def new_script_client(caller: Context, state: Server) -> ScriptClient:
    """A client of the caller's class (the engine's, which commands know only as Context) with a clock that
    stands still while frozen_ms is set."""
    base: Any = type(caller)

    class FrozenClockClient(base):
        frozen_ms = None

        @property
        def now_ms(self):
            return self.frozen_ms if self.frozen_ms is not None else self._now_ms

        @now_ms.setter
        def now_ms(self, value):
            self._now_ms = value

    return FrozenClockClient(state)


class Scripting:
    """One server's scripting state: the two Lua states, the script cache, the function libraries, the running
    script, and the random generator scripts share. It is the `host` of both LuaEngines."""

    redis_version = REDIS_COMPAT_VERSION
    redis_version_num = int.from_bytes(bytes(int(part) for part in REDIS_COMPAT_VERSION.split(".")), "big")

    def __init__(self, state: Server):
        self.state = state
        self._eval_engine: LuaEngine | None = None
        self._function_engine: LuaEngine | None = None
        self.scripts: dict[bytes, Script] = {}
        self.libraries: dict[bytes, Library] = {}
        self.functions: dict[bytes, Function] = {}
        self.client: ScriptClient | None = None
        self.run: RunContext | None = None
        self.loading: Library | None = None
        self.load_started_ns = 0
        self.rand48 = INITIAL_RAND48

    @property
    def eval_engine(self) -> LuaEngine:
        if self._eval_engine is None:
            self._eval_engine = LuaEngine(self, "eval", self.state.config.lua_max_memory)
        return self._eval_engine

    @property
    def function_engine(self) -> LuaEngine:
        if self._function_engine is None:
            self._function_engine = LuaEngine(self, "function", self.state.config.lua_max_memory)
        return self._function_engine

    def script_client(self, caller: Context) -> ScriptClient:
        client = self.client
        if client is None:
            client = self.client = new_script_client(caller, self.state)
            client.authenticated = True
            client.user = self.state.acl.superuser  # redis.call checks the caller's user itself (script_call)
            # Like EXEC's: blocking commands answer at once, CLIENT PAUSE does not hold the script, and clients
            # blocked on keys the script writes are served after the script (by the engine, after EVAL).
            client.atomic = True
        return client

    # -- services for the Lua side ---------------------------------------------------------------------

    def random_fraction(self) -> float:
        """Redis's redisLrand48() % INT32_MAX / INT32_MAX."""
        self.rand48 = (0x5DEECE66D * self.rand48 + 0xB) & 0xFFFFFFFFFFFF
        return ((self.rand48 >> 17) % 2147483647) / 2147483647

    def random_seed(self, seed: int) -> None:
        self.rand48 = ((seed & 0xFFFFFFFF) << 16) | 0x330E

    def log_verbosity(self) -> int:
        return {"debug": 0, "verbose": 1, "notice": 2, "warning": 3}.get(self.state.config.loglevel, 2)

    @staticmethod
    def known_flag(text: bytes) -> bytes | None:
        lower = text.lower()
        return lower if lower in SCRIPT_FLAGS else None

    def command_exists(self, argv: list[bytes]) -> bool:
        return self.state.engine.lookup(argv) is not None

    def acl_allows(self, argv: list[bytes]) -> bool:
        """redis.acl_check_cmd: whether the script's caller may run the command (an existing one) with argv."""
        run = self.run
        command = self.state.engine.lookup(argv)
        assert run is not None and command is not None  # (the Lua side checks both first)
        caller = run.caller
        return not caller.acl_limited or caller.user.check(command.acl, argv) is None

    def script_call(self, argv: list[bytes]):
        """Run redis.call's command: (reply, None), or (None, the refusal) for what scripts may not run (counted
        as an error reply then, as Redis counts it)."""
        run = self.run
        assert run is not None  # the Lua side calls this only while a script runs
        engine = self.state.engine
        command = engine.lookup(argv)
        if command is None:
            return None, self._refuse(errors.SCRIPT_UNKNOWN_COMMAND)
        arity = command.arity
        if (arity > 0 and arity != len(argv)) or len(argv) < -arity:
            return None, self._refuse(errors.SCRIPT_WRONG_ARITY)
        flags = command.flags
        if flags & NOSCRIPT_FLAG:
            command.rejected_calls += 1
            return None, self._refuse(errors.SCRIPT_COMMAND_NOT_ALLOWED)
        caller = run.caller  # scriptVerifyACL comes before the write and OOM checks
        if caller.acl_limited and (denied := caller.user.check(command.acl, argv)) is not None:
            reason, position = denied
            logged = command.name.encode() if reason == DENIED_COMMAND else argv[position]
            running = engine.lookup(run.argv)
            engine.log_denial(caller, reason, b"lua", logged, running=running.name if running is not None else "")
            return None, self._refuse(errors.script_noperm(reason))
        if flags & DENYOOM and run.out_of_memory and not run.wrote:  # a script is never stopped half way
            command.rejected_calls += 1
            self.state.stats.count_error(errors.OOM)
            return None, b"-" + errors.OOM
        if flags & WRITE:
            if run.read_only:
                return None, self._refuse(errors.SCRIPT_WRITE_IN_READ_ONLY)
            run.wrote = True
        run.client.script_caller = run.caller  # keys read and changed count as the caller's (CLIENT TRACKING)
        return engine.execute(run.client, argv), None

    def _refuse(self, message: bytes) -> bytes:
        self.state.stats.count_error(b"ERR")
        return message

    def interrupt(self) -> bool:
        """The count hook: True when the running script must stop (SCRIPT KILL, or a FUNCTION LOAD timeout)."""
        if self.loading is not None:
            return (time.monotonic_ns() - self.load_started_ns) // 1_000_000 > LOAD_TIMEOUT_MS
        run = self.run
        if run is None:
            return False
        if not run.timed_out:
            elapsed = run.elapsed_ms()
            if elapsed < self.state.config.busy_reply_threshold:
                return False
            run.timed_out = True
            log.warning(
                "slow_script_detected",
                extra={"elapsed_ms": elapsed, "kill_with": "SCRIPT KILL" if run.is_eval else "FUNCTION KILL"},
            )
        process = self.state.process_events_while_blocked
        if process is not None and process(run.busy_error(), run.caller):
            run.killed = True  # SHUTDOWN NOSAVE arrived: stop whatever the script did
            self.state.propagation.stop()  # Redis exits right there: nothing it wrote reaches the AOF
        return run.killed

    def busy_error(self) -> bytes | None:
        """What other clients are told while a script runs past busy-reply-threshold (Redis's
        isInsideYieldingLongCommand), or None while none does."""
        run = self.run
        if run is None or not run.timed_out:
            return None
        return run.busy_error()

    # -- running -------------------------------------------------------------------------------------

    def start(
        self,
        ctx: Context,
        name: bytes,
        is_eval: bool,
        flags: list[bytes] | None,
        read_only_command: bool,
        argv: list[bytes],
    ) -> RunContext:
        """scriptPrepareForRun: the flag checks, then a run context on the scripts' client."""
        if flags is not None and b"no-writes" not in flags and read_only_command:
            raise CommandError(errors.RO_WITH_WRITE_FLAG)
        read_only = read_only_command or (flags is not None and b"no-writes" in flags)
        client = self.script_client(ctx)
        client.select(ctx.db_index)
        client.set_protocol(2)
        client.frozen_ms = ctx.now_ms
        run = RunContext(client, ctx, name, is_eval, read_only, argv)
        maxmemory = self.state.config.maxmemory
        if maxmemory and (flags is None or b"allow-oom" not in flags):
            run.out_of_memory = self.state.memory.used_memory() > maxmemory
        self.run = run
        self.state.propagation.begin()  # the script's effects propagate as one MULTI ... EXEC
        return run

    def finish(self, run: RunContext) -> None:
        self.run = None
        run.client.frozen_ms = None
        self.state.propagation.end()

    def outcome(self, engine: LuaEngine, run: RunContext, ok: bool, result):
        """The command's reply for a finished run: the converted result, or the error (Redis's formats)."""
        if ok:
            errors_in_reply: list[tuple[ErrorReply, bool]] = []
            reply = engine.to_reply(result, run.resp == 3, errors_in_reply)
            self.count_errors(run, errors_in_reply)
            return reply
        message, source, line, ignore = engine.failure(result)
        text = c_string(message) if message is not None else errors.SCRIPT_UNKNOWN_ERROR
        if text == LUA_MEMORY_ERROR:  # Lua raises it past the error handler: a bare string, as Redis reports it
            text = errors.script_run_failed(run.name, text)
        elif source is not None and line is not None:
            text = errors.script_error(text, run.name, c_string(source), c_string(line))
        reply = ErrorReply(text)
        self.count_errors(run, [(reply, ignore)])
        return reply

    def count_errors(self, run: RunContext, replies: list[tuple[ErrorReply, bool]]) -> None:
        """Error statistics for the error replies a script sends, as Redis keeps them: an error redis.call
        already counted (the command's own, or a refusal) only marks EVAL/FCALL as failed; any other is
        counted under its code (ERR when no code is given) and marks the command failed once."""
        if not replies:
            return
        command = self.state.engine.lookup(run.argv)
        assert command is not None  # run.argv is the EVAL or FCALL running
        uncounted = False
        for reply, ignore_stats in replies:
            if ignore_stats:
                command.failed_calls += 1
            else:
                uncounted = True
                self.state.stats.count_error(reply if b" " in reply[:31] else b"ERR")
        if uncounted:
            command.failed_calls += 1

    # -- EVAL scripts --------------------------------------------------------------------------------

    def eval_script(self, body: bytes) -> tuple[bytes, Script]:
        sha = hashlib.sha1(body).hexdigest().encode()
        script = self.scripts.get(sha)
        if script is None:
            script = self.compile_script(body)
            self.scripts[sha] = script
        return sha, script

    def compile_script(self, body: bytes) -> Script:
        flags, shebang_length = parse_shebang(body)
        function, error = self.eval_engine.compile(body[shebang_length:], b"@user_script")
        if function is None:
            raise CommandError(errors.script_compile_error(error))
        return Script(body, function, flags)

    def run_script(self, ctx, sha: bytes, script: Script, keys, args, read_only: bool, argv):
        run = self.start(ctx, sha, True, script.flags, read_only, argv)
        engine = self.eval_engine
        try:
            ok, result = engine.run_eval(script.function, keys, args, self.state.config.busy_reply_threshold > 0)
            return self.outcome(engine, run, ok, result)
        finally:
            self.finish(run)

    def flush_scripts(self) -> None:
        self.scripts.clear()
        if self._eval_engine is not None:  # SCRIPT FLUSH starts a fresh Lua state, as Redis does
            self._eval_engine.close()
            self._eval_engine = None

    # -- functions ------------------------------------------------------------------------------------

    def create_library(
        self, code: bytes, replace: bool, libraries: dict | None = None, functions: dict | None = None
    ) -> Library:
        """functionsCreateWithLibraryCtx: parse the metadata, run the code, check names; commits to
        `libraries`/`functions` (the server's by default). Raises CommandError with Redis's texts."""
        libraries = self.libraries if libraries is None else libraries
        functions = self.functions if functions is None else functions
        engine_name, name = parse_library_metadata(code)
        if not valid_name(name):
            raise CommandError(errors.INVALID_LIBRARY_NAME)
        if engine_name.lower() != b"lua":
            raise CommandError(errors.engine_not_found(engine_name))
        old = libraries.get(name)
        if old is not None and not replace:
            raise CommandError(errors.library_exists(name))
        library = Library(name, code)
        self.load_code(library)
        if not library.functions:
            raise CommandError(errors.NO_FUNCTIONS_REGISTERED)
        for key, function in library.functions.items():
            existing = functions.get(key)
            if existing is not None and existing.library_name != name:
                raise CommandError(errors.function_exists(function.name))
        if old is not None:
            self.unlink(old, libraries, functions)
        libraries[name] = library
        functions.update(library.functions)
        return library

    def load_code(self, library: Library) -> None:
        engine = self.function_engine
        body = library.code[library.code.index(b"\n") :]
        function, error = engine.compile(body, b"@user_function")
        if function is None:
            raise CommandError(errors.function_compile_error(error))
        self.loading = library
        self.load_started_ns = time.monotonic_ns()
        try:
            ok, result = engine.load_library(function)
        finally:
            self.loading = None
        if not ok:
            # luaExtractErrorInformation: a string error gets "ERR ", a table gives its `err` field
            if result.__class__ is bytes:
                text = errors.generic(result)
            else:
                text = engine.failure(result)[0] or b""
            raise CommandError(errors.function_register_error(c_string(text)))

    @staticmethod
    def unlink(library: Library, libraries: dict, functions: dict) -> None:
        del libraries[library.name]
        for key in library.functions:
            functions.pop(key, None)

    def run_function(self, ctx, function: Function, keys, args, read_only: bool, argv):
        run = self.start(ctx, function.name, False, function.flags, read_only, argv)
        engine = self.function_engine
        try:
            ok, result = engine.run_function(function.callback, keys, args, self.state.config.busy_reply_threshold > 0)
            return self.outcome(engine, run, ok, result)
        finally:
            self.finish(run)

    # -- SCRIPT KILL / FUNCTION KILL --------------------------------------------------------------------

    def kill(self, is_eval: bool):
        run = self.run
        if run is None:
            raise CommandError(errors.NOTBUSY)
        if run.wrote:
            raise CommandError(errors.UNKILLABLE)
        if is_eval and not run.is_eval:
            raise CommandError(errors.BUSY_FUNCTION)
        if not is_eval and run.is_eval:
            raise CommandError(errors.BUSY_EVAL)
        run.killed = True
        return OK


def scripting_of(ctx: Context) -> Scripting:
    return scripting_of_server(ctx.server)


def scripting_of_server(server) -> Scripting:
    """The server's scripting state, made on first use (the persistence service reaches it from here too)."""
    if server.scripting is None:
        server.scripting = Scripting(server)
    return server.scripting


def parse_shebang(body: bytes) -> tuple[list[bytes] | None, int]:
    """evalExtractShebangFlags: (flags or None without a shebang, length of the shebang line)."""
    if not body.startswith(b"#!"):
        return None, 0
    end = body.find(b"\n")
    if end < 0:
        raise CommandError(errors.INVALID_SHEBANG)
    parts = split_inline_args(c_string(body[:end]))
    if not parts:
        raise CommandError(errors.SHEBANG_WITHOUT_ENGINE)
    if parts[0] != b"#!lua":
        raise CommandError(errors.shebang_engine(c_string(parts[0])))
    flags: list[bytes] = []
    for part in parts[1:]:
        if not part.startswith(b"flags="):
            raise CommandError(errors.shebang_option(c_string(part)))
        value = part[6:]
        for flag in value.split(b",") if value else []:
            if flag not in SCRIPT_FLAGS:
                raise CommandError(errors.shebang_flag(c_string(flag)))
            if flag not in flags:
                flags.append(flag)
    return flags, end


def parse_library_metadata(code: bytes) -> tuple[bytes, bytes]:
    """functionExtractLibMetaData: (engine name, library name) from the `#!<engine> name=<library>` line."""
    if not code.startswith(b"#!"):
        raise CommandError(errors.LIBRARY_METADATA_MISSING)
    end = code.find(b"\n")
    if end < 0:
        raise CommandError(errors.LIBRARY_METADATA_INVALID)
    parts = split_inline_args(c_string(code[:end]))
    if not parts:
        raise CommandError(errors.LIBRARY_METADATA_INVALID)
    engine_name = parts[0][2:]
    name = None
    for part in parts[1:]:
        if part[:5].lower() == b"name=":
            if name is not None:
                raise CommandError(errors.LIBRARY_NAME_TWICE)
            name = part[5:]
            continue
        raise CommandError(errors.library_metadata_value(c_string(part)))
    if name is None:
        raise CommandError(errors.LIBRARY_NAME_MISSING)
    return engine_name, name


# -- where EVAL and FCALL find their keys: `numkeys key [key ...]` from argv[2] -------------------------------

WRITE_NOTES = "We cannot tell how the keys will be used so we assume the worst, RW and UPDATE"
READ_NOTES = "We cannot tell how the keys will be used so we assume the worst, RO and ACCESS"


def script_keys(flags: str, notes: str = "") -> list[KeySpec]:
    return [KeySpec(flags, Index(2), KeyNum(0, 1), notes=notes)]


# -- EVAL and friends ------------------------------------------------------------------------------------


def keys_and_args(argv: list[bytes], not_integer: bytes = errors.NOT_INTEGER) -> tuple[list[bytes], list[bytes]]:
    """EVAL's and FCALL's `numkeys [key ...] [arg ...]`: numkeys may be 0."""
    keys = ArgCursor(argv, 2).next_keys(not_integer, errors.NUMKEYS_NEGATIVE, errors.NUMKEYS_TOO_MANY, minimum=0)
    return keys, argv[3 + len(keys) :]


def eval_generic(ctx: Context, argv: Argv, by_sha: bool, read_only: bool):
    feed_monitors(ctx, argv)
    if by_sha and len(argv[1]) != 40:
        raise CommandError(errors.NOSCRIPT)  # Redis answers this before looking at numkeys
    keys, args = keys_and_args(argv)
    scripting = scripting_of(ctx)
    if by_sha:
        sha = argv[1].lower()
        script = scripting.scripts.get(sha)
        if script is None:
            raise CommandError(errors.NOSCRIPT)
    else:
        sha, script = scripting.eval_script(argv[1])
    return scripting.run_script(ctx, sha, script, keys, args, read_only, argv)


def feed_monitors(ctx: Context, argv: list[bytes]) -> None:
    """EVAL and EVALSHA are skip_monitor commands that feed MONITOR themselves, before the commands their script
    runs, so a monitor sees the script first (as in Redis)."""
    if ctx.server.monitors:
        ctx.server.engine.feed_monitors(ctx, argv)


@command(
    "eval",
    arity=-3,
    flags="noscript stale skip_monitor no_mandatory_keys",
    key_specs=script_keys("RW ACCESS UPDATE", WRITE_NOTES),
    group="scripting",
    since="2.6.0",
    complexity="Depends on the script that is executed.",
)
def eval_command(ctx: Context, argv: Argv):
    """EVAL script numkeys [key [key ...]] [arg [arg ...]] — Execute a Lua script server side"""
    return eval_generic(ctx, argv, by_sha=False, read_only=False)


@command(
    "evalsha",
    arity=-3,
    flags="noscript stale skip_monitor no_mandatory_keys",
    key_specs=script_keys("RW ACCESS UPDATE"),
    group="scripting",
    since="2.6.0",
    complexity="Depends on the script that is executed.",
)
def evalsha_command(ctx: Context, argv: Argv):
    """EVALSHA sha1 numkeys [key [key ...]] [arg [arg ...]] — Execute a Lua script server side"""
    return eval_generic(ctx, argv, by_sha=True, read_only=False)


@command(
    "eval_ro",
    arity=-3,
    flags="readonly noscript stale skip_monitor no_mandatory_keys",
    key_specs=script_keys("RO ACCESS", READ_NOTES),
    group="scripting",
    since="7.0.0",
    complexity="Depends on the script that is executed.",
)
def eval_ro_command(ctx: Context, argv: Argv):
    """EVAL_RO script numkeys [key [key ...]] [arg [arg ...]] — Execute a read-only Lua script server side"""
    return eval_generic(ctx, argv, by_sha=False, read_only=True)


@command(
    "evalsha_ro",
    arity=-3,
    flags="readonly noscript stale skip_monitor no_mandatory_keys",
    key_specs=script_keys("RO ACCESS"),
    group="scripting",
    since="7.0.0",
    complexity="Depends on the script that is executed.",
)
def evalsha_ro_command(ctx: Context, argv: Argv):
    """EVALSHA_RO sha1 numkeys [key [key ...]] [arg [arg ...]] — Execute a read-only Lua script server side"""
    return eval_generic(ctx, argv, by_sha=True, read_only=True)


# -- SCRIPT ------------------------------------------------------------------------------------------------

SCRIPT_HELP = """\
SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
DEBUG (YES|SYNC|NO)
    Set the debug mode for subsequent scripts executed.
EXISTS <sha1> [<sha1> ...]
    Return information about the existence of the scripts in the script cache.
FLUSH [ASYNC|SYNC]
    Flush the Lua scripts cache. Very dangerous on replicas.
    When called without the optional mode argument, the behavior is determined by the
    lazyfree-lazy-user-flush configuration directive. Valid modes are:
    * ASYNC: Asynchronously flush the scripts cache.
    * SYNC: Synchronously flush the scripts cache.
KILL
    Kill the currently executing Lua script.
LOAD <script>
    Load a script into the scripts cache without executing it.
HELP
    Prints this help."""


@command("script", arity=-2, group="scripting", since="2.6.0", complexity="Depends on subcommand.")
def script_command(ctx: Context, argv: Argv):
    """SCRIPT — A container for Lua scripts management commands"""
    raise CommandError(errors.wrong_arity("script"))


@command("script|help", arity=2, flags="loading stale", group="scripting", since="5.0.0", complexity="O(1)")
def script_help_command(ctx: Context, argv: Argv):
    """SCRIPT HELP — Show helpful text about the different subcommands"""
    return help_reply(SCRIPT_HELP)


@command(
    "script|exists",
    arity=-3,
    flags="noscript",
    group="scripting",
    since="2.6.0",
    tips="request_policy:all_shards response_policy:agg_logical_and",
    complexity="O(N) with N being the number of scripts to check (so checking a single script is an O(1) operation).",
)
def script_exists_command(ctx: Context, argv: Argv):
    """SCRIPT EXISTS sha1 [sha1 ...] — Check existence of scripts in the script cache."""
    scripts = scripting_of(ctx).scripts
    return [1 if sha.lower() in scripts else 0 for sha in argv[2:]]


@command("script|debug", arity=3, flags="noscript", group="scripting", since="3.2.0", complexity="O(1)")
def script_debug_command(ctx: Context, argv: Argv):
    """SCRIPT DEBUG <YES | SYNC | NO> — Set the debug mode for executed scripts."""
    mode = argv[2].lower()
    if mode == b"no":
        return OK
    if mode in (b"yes", b"sync"):
        raise CommandError(errors.LUA_DEBUGGER_UNSUPPORTED)
    raise CommandError(errors.SCRIPT_DEBUG_MODE)


@command(
    "script|load",
    arity=3,
    flags="noscript stale",
    group="scripting",
    since="2.6.0",
    tips="request_policy:all_nodes response_policy:all_succeeded",
    complexity="O(N) with N being the length in bytes of the script body.",
)
def script_load_command(ctx: Context, argv: Argv):
    """SCRIPT LOAD script — Load the specified Lua script into the script cache."""
    sha, _ = scripting_of(ctx).eval_script(argv[2])
    return sha


@command(
    "script|flush",
    arity=-2,
    flags="noscript",
    group="scripting",
    since="2.6.0",
    tips="request_policy:all_nodes response_policy:all_succeeded",
    complexity="O(N) with N being the number of scripts in cache",
)
def script_flush_command(ctx: Context, argv: Argv):
    """SCRIPT FLUSH [ASYNC | SYNC] — Remove all the scripts from the script cache."""
    parse_flush_mode(argv, 2, errors.SCRIPT_FLUSH_MODE)
    scripting_of(ctx).flush_scripts()
    return OK


@command(
    "script|kill",
    arity=2,
    flags="noscript allow_busy",
    group="scripting",
    since="2.6.0",
    tips="request_policy:all_shards response_policy:one_succeeded",
    complexity="O(1)",
)
def script_kill_command(ctx: Context, argv: Argv):
    """SCRIPT KILL — Kill the script currently in execution."""
    return scripting_of(ctx).kill(is_eval=True)


# -- FCALL ---------------------------------------------------------------------------------------------------


def fcall_generic(ctx: Context, argv: Argv, read_only: bool):
    scripting = scripting_of(ctx)
    function = scripting.functions.get(argv[1].lower())
    if function is None:
        raise CommandError(errors.FUNCTION_NOT_FOUND)
    keys, args = keys_and_args(argv, errors.FCALL_BAD_NUMKEYS)
    return scripting.run_function(ctx, function, keys, args, read_only, argv)


@command(
    "fcall",
    arity=-3,
    flags="noscript stale skip_monitor no_mandatory_keys",
    key_specs=script_keys("RW ACCESS UPDATE", WRITE_NOTES),
    group="scripting",
    since="7.0.0",
    complexity="Depends on the function that is executed.",
)
def fcall_command(ctx: Context, argv: Argv):
    """FCALL function numkeys [key [key ...]] [arg [arg ...]] — Invoke a function"""
    return fcall_generic(ctx, argv, read_only=False)


@command(
    "fcall_ro",
    arity=-3,
    flags="readonly noscript stale skip_monitor no_mandatory_keys",
    key_specs=script_keys("RO ACCESS", READ_NOTES),
    group="scripting",
    since="7.0.0",
    complexity="Depends on the function that is executed.",
)
def fcall_ro_command(ctx: Context, argv: Argv):
    """FCALL_RO function numkeys [key [key ...]] [arg [arg ...]] — Invoke a read-only function"""
    return fcall_generic(ctx, argv, read_only=True)


# -- FUNCTION ------------------------------------------------------------------------------------------------

FUNCTION_HELP = """\
FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
LOAD [REPLACE] <FUNCTION CODE>
    Create a new library with the given library name and code.
DELETE <LIBRARY NAME>
    Delete the given library.
LIST [LIBRARYNAME PATTERN] [WITHCODE]
    Return general information on all the libraries:
    * Library name
    * The engine used to run the Library
    * Library description
    * Functions list
    * Library code (if WITHCODE is given)
    It also possible to get only function that matches a pattern using LIBRARYNAME argument.
STATS
    Return information about the current function running:
    * Function name
    * Command used to run the function
    * Duration in MS that the function is running
    If no function is running, return nil
    In addition, returns a list of available engines.
KILL
    Kill the current running function.
FLUSH [ASYNC|SYNC]
    Delete all the libraries.
    When called without the optional mode argument, the behavior is determined by the
    lazyfree-lazy-user-flush configuration directive. Valid modes are:
    * ASYNC: Asynchronously flush the libraries.
    * SYNC: Synchronously flush the libraries.
DUMP
    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command
RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]
    Restore the libraries represented by the given payload, it is possible to give a restore policy to
    control how to handle existing libraries (default APPEND):
    * FLUSH: delete all existing libraries.
    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.
    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old
      libraries with the new libraries (notice that even on this option there is a chance of failure
      in case of functions name collision with another library).
HELP
    Prints this help."""


@command("function", arity=-2, group="scripting", since="7.0.0", complexity="Depends on subcommand.")
def function_command(ctx: Context, argv: Argv):
    """FUNCTION — A container for function commands"""
    raise CommandError(errors.wrong_arity("function"))


@command("function|help", arity=2, flags="loading stale", group="scripting", since="7.0.0", complexity="O(1)")
def function_help_command(ctx: Context, argv: Argv):
    """FUNCTION HELP — Show helpful text about the different subcommands"""
    return help_reply(FUNCTION_HELP)


@command(
    "function|load",
    arity=-3,
    flags="write denyoom noscript",
    group="scripting",
    since="7.0.0",
    tips="request_policy:all_shards response_policy:all_succeeded",
    complexity="O(1) (considering compilation time is redundant)",
)
def function_load_command(ctx: Context, argv: Argv):
    """FUNCTION LOAD [REPLACE] function-code — Create a function with the given arguments (name, code, description)"""
    *options, code = argv[2:]  # the code comes last; every argument before it must be REPLACE
    for option in options:
        if option.upper() != b"REPLACE":
            raise CommandError(errors.function_load_option(option))
    library = scripting_of(ctx).create_library(code, bool(options))
    ctx.server.dirty += 1
    return library.name


@command(
    "function|delete",
    arity=3,
    flags="write noscript",
    group="scripting",
    since="7.0.0",
    tips="request_policy:all_shards response_policy:all_succeeded",
    complexity="O(1)",
)
def function_delete_command(ctx: Context, argv: Argv):
    """FUNCTION DELETE library-name — Delete a function by name"""
    scripting = scripting_of(ctx)
    library = scripting.libraries.get(argv[2])
    if library is None:
        raise CommandError(errors.LIBRARY_NOT_FOUND)
    scripting.unlink(library, scripting.libraries, scripting.functions)
    ctx.server.dirty += 1
    return OK


@command(
    "function|flush",
    arity=-2,
    flags="write noscript",
    group="scripting",
    since="7.0.0",
    tips="request_policy:all_shards response_policy:all_succeeded",
    complexity="O(N) where N is the number of functions deleted",
)
def function_flush_command(ctx: Context, argv: Argv):
    """FUNCTION FLUSH [ASYNC | SYNC] — Deleting all functions"""
    parse_flush_mode(argv, 2, errors.FUNCTION_FLUSH_MODE)
    scripting = scripting_of(ctx)
    scripting.libraries.clear()
    scripting.functions.clear()
    ctx.server.dirty += 1
    return OK


@command(
    "function|list",
    arity=-2,
    flags="noscript",
    group="scripting",
    since="7.0.0",
    tips="nondeterministic_output_order",
    complexity="O(N) where N is the number of functions",
)
def function_list_command(ctx: Context, argv: Argv):
    """FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE] — List information about all the functions"""
    with_code = False
    pattern = None
    args = ArgCursor(argv, 2)
    while args.more():
        argument = args.next_bytes()
        if not with_code and argument.upper() == b"WITHCODE":
            with_code = True
        elif pattern is None and argument.upper() == b"LIBRARYNAME":
            pattern = args.take(1, errors.LIBRARYNAME_MISSING)[0]
        else:
            raise CommandError(errors.function_list_argument(argument))
    match = compile_glob(pattern, nocase=True).match if pattern is not None else None
    reply = []
    for library in scripting_of(ctx).libraries.values():
        if match is not None and not match(library.name):
            continue
        entry = {
            b"library_name": library.name,
            b"engine": b"LUA",
            b"functions": [
                {
                    b"name": function.name,
                    b"description": function.description,
                    b"flags": SetReply(SimpleString(flag) for flag in function.flags),
                }
                for function in library.functions.values()
            ],
        }
        if with_code:
            entry[b"library_code"] = library.code
        reply.append(entry)
    return reply


@command(
    "function|dump",
    arity=2,
    flags="noscript",
    group="scripting",
    since="7.0.0",
    complexity="O(N) where N is the number of functions",
)
def function_dump_command(ctx: Context, argv: Argv):
    """FUNCTION DUMP — Dump all functions into a serialized binary payload"""
    return payload.dump([library.code for library in scripting_of(ctx).libraries.values()])


@command(
    "function|restore",
    arity=-3,
    flags="write denyoom noscript",
    group="scripting",
    since="7.0.0",
    tips="request_policy:all_shards response_policy:all_succeeded",
    complexity="O(N) where N is the number of functions on the payload",
)
def function_restore_command(ctx: Context, argv: Argv):
    """FUNCTION RESTORE serialized-value [FLUSH | APPEND | REPLACE] — Restore all the functions on the given payload"""
    if len(argv) > 4:
        raise CommandError(errors.unknown_subcommand_or_arity("function", argv[1]))
    policy = argv[3].lower() if len(argv) == 4 else b"append"
    if policy not in (b"append", b"replace", b"flush"):
        raise CommandError(errors.RESTORE_POLICY)
    data = argv[2]
    if not payload.verify(data):
        raise CommandError(errors.DUMP_PAYLOAD_INVALID)
    scripting = scripting_of(ctx)
    libraries: dict[bytes, Library] = {}
    functions: dict[bytes, Function] = {}
    for code in payload.load(data):
        scripting.create_library(code, False, libraries, functions)
    if policy == b"flush":
        scripting.libraries.clear()
        scripting.functions.clear()
    replacing = []
    for name in libraries:
        old = scripting.libraries.get(name)
        if old is not None:
            if policy != b"replace":
                raise CommandError(errors.restored_library_exists(name))
            replacing.append(old)
    replaced_names = {old.name for old in replacing}
    for key, function in functions.items():
        existing = scripting.functions.get(key)
        if existing is not None and existing.library_name not in replaced_names:
            raise CommandError(errors.function_exists(function.name))
    for old in replacing:
        scripting.unlink(old, scripting.libraries, scripting.functions)
    scripting.libraries.update(libraries)
    scripting.functions.update(functions)
    ctx.server.dirty += 1
    return OK


@command(
    "function|stats",
    arity=2,
    flags="noscript allow_busy",
    group="scripting",
    since="7.0.0",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
    complexity="O(1)",
)
def function_stats_command(ctx: Context, argv: Argv):
    """FUNCTION STATS — Return information about the function currently running (name, description, duration)"""
    scripting = scripting_of(ctx)
    run = scripting.run
    if run is not None and run.is_eval:
        raise CommandError(errors.BUSY_EVAL)  # Redis reports running functions only
    running = None
    if run is not None:
        running = {b"name": run.name, b"command": list(run.argv), b"duration_ms": run.elapsed_ms()}
    engines = {b"LUA": {b"libraries_count": len(scripting.libraries), b"functions_count": len(scripting.functions)}}
    return {b"running_script": running, b"engines": engines}


@command(
    "function|kill",
    arity=2,
    flags="noscript allow_busy",
    group="scripting",
    since="7.0.0",
    tips="request_policy:all_shards response_policy:one_succeeded",
    complexity="O(1)",
)
def function_kill_command(ctx: Context, argv: Argv):
    """FUNCTION KILL — Kill the function currently in execution."""
    return scripting_of(ctx).kill(is_eval=False)
