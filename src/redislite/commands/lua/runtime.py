"""One sandboxed Lua 5.1 state (lupa.lua51: the Lua version Redis embeds) and the Python side of its API.

`LuaEngine` owns the state, compiles scripts, runs them, and converts values both ways. Everything that needs
the server (running a command, the random generator, logging, the busy-script hook) goes through its `host`,
the scripting state in commands/scripting.py, so this module knows nothing about commands.
"""

import hashlib
import logging
import math
import struct

from lupa.lua51 import LuaError, LuaRuntime, lua_type

from ... import errors
from ...errors import c_string
from ...observability.logs import VERBOSE
from ...protocol.encoder import format_double
from ...protocol.values import (
    ErrorReply,
    HumanDouble,
    NullArray,
    Push,
    SetReply,
    SimpleString,
    Verbatim,
)
from . import bitlib, structlib
from .cjson import NULL, CJson
from .errors import LuaRaise, arg_error, lua_error, type_error
from .errors import unwrap as unwrap_error
from .msgpack import MsgPack
from .numbers import (
    format_argument,
    format_number,
    lua_type_name,
    to_int32,
    to_int64,
    to_number,
)
from .prelude import PRELUDE
from .replies import BigNumber, FormattedVerbatim, PairsMap, ScriptDouble

log = logging.getLogger("redislite.scripting")

HOOK_INSTRUCTIONS = 100_000  # how often a running script checks the clock (Redis's count hook)
UNPACK_CHUNK = 4000  # values fetched per call when reading a Lua array (below Lua 5.1's C stack limit)
MAX_REPLY_DEPTH = 200  # nested tables deeper than this reply "reached lua stack limit" (Redis: its Lua stack,
# about 8000 levels; the encoders recurse a few Python frames per level, so ours must stay well below 1000)
_STRINGS = {bytes}
_PLAIN = {bytes, int}
LOG_LEVELS = {0: logging.DEBUG, 1: VERBOSE, 2: logging.INFO, 3: logging.WARNING}  # redis.LOG_* levels


def _deny_attributes(obj, name, is_setting):
    """Scripts may not reach Python attributes through the userdata that stand for API functions."""
    raise AttributeError("not accessible from scripts")


def lua_error_text(error: LuaError) -> bytes:
    """The message of a Lua error that surfaced in Python, without the traceback lupa appends."""
    return str(error).split("\nstack traceback:", 1)[0].encode("utf-8", "surrogateescape")


def error_message(message: bytes) -> bytes:
    """Redis's luaPushErrorBuff: "-CODE text" or "text" -> "CODE text" (ERR by default), newlines trimmed."""
    message = c_string(message)
    code, text = b"ERR", message
    if message.startswith(b"-"):
        head, space, rest = message[1:].partition(b" ")
        if space:
            code, text = head, rest
        else:
            text = message[1:]
    return code + b" " + text.strip(b"\r\n")


FORGOTTEN = LuaRaise(b"")  # the error value forget_raised fails with


class LuaEngine:
    """A Lua state with Redis's sandbox: `kind` is "eval" (EVAL scripts) or "function" (FUNCTION libraries)."""

    def __init__(self, host, kind: str, max_memory: int = 0):
        self.host = host
        self.kind = kind
        # lua-max-memory: a script that allocates without bound fails with "not enough memory" (0: no cap)
        self.max_memory = max_memory
        self.lua = LuaRuntime(
            max_memory=max_memory,
            encoding=None,
            unpack_returned_tuples=True,
            register_eval=False,
            register_builtins=False,
            attribute_filter=_deny_attributes,
        )
        self.table_from = self.lua.table_from
        self.nil_marker = object()
        self.raised = False  # a Python API function raised into Lua during this run (see forget_raised)
        self.builtins: set[int] = set()
        globals_ = self.lua.globals()
        globals_.python = None
        # The prelude runs without line information, so its frames never show in error positions (see prelude).
        compiled = globals_.loadstring(PRELUDE.encode(), b"=redislite")
        stripped = strip_debug_info(globals_.string.dump(compiled))
        prelude = globals_.loadstring(stripped, b"=redislite")
        helpers = prelude(self._api_table(), kind.encode())
        self.compile_chunk = helpers.compile
        self.run_eval_chunk = helpers.run_eval
        self.run_function_chunk = helpers.run_function
        self.load_library_chunk = helpers.load_library
        self.describe = helpers.describe
        self.error_info = helpers.error_info
        self.build_map_chunk = helpers.build_map
        self.unpack = helpers.unpack
        self.new_library = helpers.new_library
        self.rethrow = self.lua.eval("function(e) error(e, 0) end")

    def close(self) -> None:
        """Free the Lua state now. It and the Python callbacks it holds refer to each other: left alone, that
        cycle waits for a full garbage collection (SCRIPT FLUSH in a loop grew RSS). Lua's own garbage
        goes first: an error value a script caught (a Python object holding a Lua table) is a cycle through the
        Lua state that neither collector sees whole, and kept the state alive for good."""
        self.lua.gccollect()
        vars(self).clear()

    # -- the API table handed to the prelude -------------------------------------------------------------

    def _api_table(self):
        self.cjson = CJson(self.new_array, self.new_object, self.builtin_type)
        self.msgpack = MsgPack(self.new_array, self.new_map)
        cjson_functions = dict(self.cjson.functions())
        cjson_functions["new"] = self.cjson_new
        cjson_functions["_NAME"] = b"cjson"
        cjson_functions["_VERSION"] = b"2.1.0"
        cmsgpack_functions = dict(self.msgpack.functions())
        cmsgpack_functions.update(
            {
                "_NAME": b"cmsgpack",
                "_VERSION": b"lua-cmsgpack 0.4.0",
                "_COPYRIGHT": b"Copyright (C) 2012, Salvatore Sanfilippo",
                "_DESCRIPTION": b"MessagePack C implementation for Lua",
            }
        )
        api = {
            "unwrap": self.unwrap_error,
            "interrupt": self.host.interrupt,
            "address": self.address,
            "call": self.call,
            "pcall": self.pcall,
            "sha1hex": self.sha1hex,
            "log": self.log,
            "setresp": self.setresp,
            "set_repl": self.set_repl,
            "acl_check_cmd": self.acl_check_cmd,
            "random": self.random,
            "randomseed": self.randomseed,
            "register_function": self.register_function,
            "version": self.host.redis_version.encode(),
            "version_num": self.host.redis_version_num,
            "killed_error": errors.SCRIPT_KILLED,
            "load_timeout_error": errors.FUNCTION_LOAD_TIMEOUT,
            "cjson": self._table(cjson_functions),
            "cjson_null": NULL,
            "cmsgpack": self._table(cmsgpack_functions),
            "struct": self._table(structlib.FUNCTIONS),
            "bit": self._table(bitlib.FUNCTIONS),
        }
        return self._table(api)

    def _table(self, mapping: dict):
        table = self.table_from({})
        for name, value in mapping.items():
            table[name.encode()] = value
        return table

    def address(self, fn) -> bytes:
        self.builtins.add(id(fn))
        return b"0x%x" % id(fn)

    def builtin_type(self, value) -> str | None:
        """The Lua type Redis would report for a value that is a Python object here."""
        if value is NULL:
            return "userdata"
        if callable(value) and lua_type(value) is None:
            return "function"
        return None

    def cjson_new(self, *args):
        instance = CJson(self.new_array, self.new_object, self.builtin_type)
        fields = dict(instance.functions())
        fields.update({"new": self.cjson_new, "null": NULL, "_NAME": b"cjson", "_VERSION": b"2.1.0"})
        return self.new_library(self._table(fields))

    # -- building Lua values ---------------------------------------------------------------------------

    def new_array(self, values: list):
        return self.table_from(values)

    def new_object(self, items: dict):
        return self.table_from(items)

    def new_map(self, flat: list):
        marker = self.nil_marker
        try:
            return self.build_map_chunk(self.table_from([marker if v is None else v for v in flat]), len(flat), marker)
        except LuaError as error:
            raise LuaRaise(lua_error_text(error)) from None

    def error_table(self, message: bytes, ignore_stats: bool = False):
        return self.table_from(self.error_fields(message, ignore_stats))

    @staticmethod
    def error_fields(message: bytes, ignore_stats: bool = False) -> dict:
        fields: dict[bytes, bytes | bool] = {b"err": error_message(message)}
        if ignore_stats:
            fields[b"ignore_error_stats_update"] = True
        return fields

    def to_lua(self, value, resp3: bool):
        """A command's reply as redis.call returns it (Redis's redisProtocolToLuaType). The reply becomes plain
        lists and dicts first, then Lua tables in one crossing into Lua (not one per table: big nested replies
        such as COMMAND DOCS have thousands)."""
        plain = self._plain(value, resp3)
        cls = plain.__class__
        if cls is list or cls is dict:
            return self.table_from(plain, recursive=True)
        return plain

    def _plain(self, value, resp3: bool):
        """`value` with each Lua table it becomes as a list (an array) or a dict (a table with keys)."""
        cls = value.__class__
        if cls is bytes or cls is int:
            return value
        if value is None or cls is NullArray:
            return None if resp3 else False
        if cls is list or cls is tuple or cls is Push or (cls is SetReply and not resp3):
            if set(map(type, value)) <= _PLAIN:  # LRANGE & co.: no element needs converting
                return list(value)
            plain = self._plain
            return [plain(item, resp3) for item in value]
        if cls is SimpleString:
            return {b"ok": bytes(value)}
        if cls is ErrorReply:
            return self.error_fields(b"-" + bytes(value), ignore_stats=True)
        if cls is bool:
            return value if resp3 else int(value)
        if cls is float:
            return {b"double": value} if resp3 else format_double(value)
        if cls is dict:
            plain = self._plain
            if resp3:
                return {b"map": {self._key(k): plain(v, resp3) for k, v in value.items()}}
            return [plain(item, resp3) for pair in value.items() for item in pair]
        if cls is SetReply:
            return {b"set": {self._key(member): True for member in value}}
        if cls is HumanDouble:
            return {b"double": float(value)} if resp3 else bytes(value)
        if cls is Verbatim:
            if resp3:
                return {b"verbatim_string": {b"format": b"txt", b"string": bytes(value)}}
            return bytes(value)
        if isinstance(value, bytes):
            return bytes(value)
        return []

    def _key(self, value):
        """A RESP3 map key or set member as a Lua table key (a table when it is one: dicts cannot hold lists)."""
        return self.to_lua(value, True)

    # -- reading Lua values --------------------------------------------------------------------------

    def array_values(self, table, count: int) -> list:
        values = []
        for start in range(1, count + 1, UNPACK_CHUNK):
            end = min(start + UNPACK_CHUNK - 1, count)
            chunk = self.unpack(table, start, end)
            if end == start:
                values.append(chunk)
            else:
                values.extend(chunk)
        return values

    def to_reply(self, value, resp3: bool, error_replies: list[tuple[ErrorReply, bool]] | None = None, depth: int = 0):
        """A script's return value as a reply (Redis's luaReplyToRedisReply). Errors, at any depth, come back as
        ErrorReply; for the caller's error statistics they are also appended to `error_replies`, each with
        whether Redis already counted it (ignore_stats)."""
        cls = value.__class__
        if cls is bytes:
            return value
        if cls is int or cls is float:
            return to_int64(value)
        if cls is bool:
            if resp3:
                return value
            return 1 if value else None
        if value is None or lua_type(value) != "table":
            return None
        if depth > MAX_REPLY_DEPTH:
            reply = ErrorReply(errors.LUA_STACK_LIMIT)
            if error_replies is not None:
                error_replies.append((reply, False))
            return reply
        described = self.describe(value)
        kind = described[0]
        if kind == 8:
            items = self.array_values(value, described[2])
            kinds = set(map(type, items))
            if kinds <= _STRINGS:  # the common case: strings only, nothing to convert
                return items
            if kinds <= _PLAIN:
                return [item if item.__class__ is bytes else to_int64(item) for item in items]
            return [self.to_reply(item, resp3, error_replies, depth + 1) for item in items]
        if kind == 1:
            reply = ErrorReply(c_string(described[1]).strip(b"\r\n"))
            if error_replies is not None:
                error_replies.append((reply, described[2]))
            return reply
        if kind == 2:
            return SimpleString(c_string(described[1]).replace(b"\r", b" ").replace(b"\n", b" "))
        if kind == 3:
            return ScriptDouble(described[1])
        if kind == 4:
            return BigNumber(described[1].replace(b"\r", b" ").replace(b"\n", b" "))
        if kind == 5:
            return FormattedVerbatim.of(described[1], c_string(described[2]))
        if kind == 6:
            flat = self.array_values(described[1], described[2])
            return PairsMap(
                (
                    self.to_reply(flat[i], resp3, error_replies, depth + 1),
                    self.to_reply(flat[i + 1], resp3, error_replies, depth + 1),
                )
                for i in range(0, len(flat), 2)
            )
        members = self.array_values(described[1], described[2])
        return SetReply(self.to_reply(member, resp3, error_replies, depth + 1) for member in members)

    # -- compiling and running -------------------------------------------------------------------------

    def compile(self, body: bytes, chunkname: bytes):
        """(function, None) or (None, Lua's error message)."""
        result = self.compile_chunk(body, chunkname)
        if isinstance(result, tuple):
            return None, result[1]
        return result, None

    def run_eval(self, function, keys: list, argv: list, hook: bool):
        try:
            return self.run_eval_chunk(
                function, self.table_from(keys), self.table_from(argv), HOOK_INSTRUCTIONS if hook else 0
            )
        finally:
            self.after_run()

    def run_function(self, function, keys: list, args: list, hook: bool):
        try:
            return self.run_function_chunk(
                function, self.table_from(keys), self.table_from(args), HOOK_INSTRUCTIONS if hook else 0
            )
        finally:
            self.after_run()

    def load_library(self, function):
        try:
            return self.load_library_chunk(function, HOOK_INSTRUCTIONS)
        finally:
            self.after_run()

    def unwrap_error(self, error):
        self.raised = True
        return unwrap_error(error)

    def after_run(self) -> None:
        self.forget_raised()
        self.collect_if_near_cap()

    def collect_if_near_cap(self) -> None:
        """Lua 5.1 collects no garbage when an allocation fails: after a script that filled most of the cap
        (or failed on it), collect now, or the next script would find the cap still full of that garbage."""
        if self.max_memory and self.lua.get_memory_used() > self.max_memory // 2:
            self.lua.gccollect()

    def forget_raised(self) -> None:
        """lupa keeps the last exception a Python function raised into Lua, with its traceback (and through it
        every frame of the command that ran the script, with its replies), until it re-raises it for a call
        that fails with a Python exception as its error: make such a call, once, after a run that raised."""
        if self.raised:
            self.raised = False
            try:
                self.rethrow(FORGOTTEN)
            except BaseException as kept:  # re-raised here: Lua may still hold it, without a traceback now
                kept.__traceback__ = kept.__context__ = None

    def failure(self, error) -> tuple[bytes | None, bytes | None, bytes | None, bool]:
        """(message, source, line, ignore_stats) of the error a failed run returned."""
        info = self.error_info(error)
        if not isinstance(info, tuple):
            return info, None, None, False
        message, source, line, ignore = (tuple(info) + (None, None, None, False))[:4]
        return message, source, line, bool(ignore)

    # -- the redis.* API -------------------------------------------------------------------------------

    def call(self, *args):
        return self._redis_call(args, raise_error=True)

    def pcall(self, *args):
        return self._redis_call(args, raise_error=False)

    def _fail(self, table, raise_error: bool):
        if raise_error:
            raise LuaRaise(table)
        return table

    def _arguments(self, args: tuple) -> list[bytes] | bytes:
        """redis.call's arguments as argv, or the error message."""
        if not args:
            return errors.LUA_CALL_WITHOUT_ARGUMENTS
        argv = []
        for value in args:
            cls = value.__class__
            if cls is bytes:
                argv.append(value)
            elif cls is int or cls is float:
                argv.append(format_argument(value))
            else:
                return errors.LUA_CALL_ARGUMENT_TYPE
        return argv

    def _redis_call(self, args: tuple, raise_error: bool):
        run = self.host.run
        if run is None:
            raise LuaRaise(self.error_table(errors.lua_outside_script(b"redis.call/pcall")))
        argv = self._arguments(args)
        if argv.__class__ is bytes:
            return self._fail(self.error_table(argv), raise_error)
        reply, refused = self.host.script_call(argv)
        if refused is not None:
            return self._fail(self.error_table(refused, ignore_stats=True), raise_error)
        value = self.to_lua(reply, run.resp == 3)
        if raise_error and reply.__class__ is ErrorReply:
            raise LuaRaise(value)
        return value

    def sha1hex(self, *args):
        if len(args) != 1:
            raise LuaRaise(self.error_table(errors.LUA_WRONG_NUMBER_OF_ARGUMENTS))
        value = args[0]
        cls = value.__class__
        data = value if cls is bytes else format_number(value) if cls is int or cls is float else b""
        return hashlib.sha1(data).hexdigest().encode()

    def log(self, *args):
        if len(args) < 2:
            raise LuaRaise(self.error_table(errors.LUA_LOG_ARGUMENTS))
        level = to_number(args[0])
        if level is None:
            raise LuaRaise(self.error_table(errors.LUA_LOG_LEVEL_NOT_A_NUMBER))
        level = to_int32(level)
        if not 0 <= level <= 3:
            raise LuaRaise(self.error_table(errors.LUA_LOG_LEVEL_INVALID))
        if level < self.host.log_verbosity():
            return
        parts = []
        for value in args[1:]:
            cls = value.__class__
            if cls is bytes:
                parts.append(value)
            elif cls is int or cls is float:
                parts.append(format_number(value))
        message = b" ".join(parts).decode("utf-8", "replace")
        log.log(LOG_LEVELS[level], "script_log", extra={"message_text": message})
        return

    def setresp(self, *args):
        run = self.host.run
        if run is None:
            raise LuaRaise(self.error_table(errors.lua_outside_script(b"redis.setresp")))
        if len(args) != 1:
            raise LuaRaise(self.error_table(errors.LUA_SETRESP_ARGUMENTS))
        number = to_number(args[0])
        resp = to_int32(number) if number is not None else 0
        if resp not in (2, 3):
            raise LuaRaise(self.error_table(errors.LUA_SETRESP_VERSION))
        run.set_resp(resp)

    def set_repl(self, *args):
        if self.host.run is None:
            raise LuaRaise(self.error_table(errors.lua_outside_script(b"redis.set_repl")))
        if len(args) != 1:
            raise LuaRaise(self.error_table(errors.LUA_SET_REPL_ARGUMENTS))
        number = to_number(args[0])
        flags = to_int32(number) if number is not None else 0
        if flags & ~3:
            raise LuaRaise(self.error_table(errors.LUA_SET_REPL_FLAGS))
        # nothing to propagate to until replication and AOF exist

    def acl_check_cmd(self, *args):
        if self.host.run is None:
            raise LuaRaise(self.error_table(errors.lua_outside_script(b"redis.acl_check_cmd")))
        argv = self._arguments(args)
        if argv.__class__ is bytes:
            raise LuaRaise(self.error_table(argv))
        if not self.host.command_exists(argv):
            raise LuaRaise(self.error_table(errors.LUA_ACL_CHECK_COMMAND))
        return self.host.acl_allows(argv)

    # -- math.random (Redis's rand48, shared by every script) ----------------------------------------------

    @staticmethod
    def _int_arg(args: tuple, index: int) -> int:
        value = to_number(args[index])
        if value is None:
            raise type_error(index + 1, "random", "number", lua_type_name(args[index]))
        return to_int32(value)

    def random(self, *args):
        r = self.host.random_fraction()
        if not args:
            return r
        if len(args) == 1:
            upper = self._int_arg(args, 0)
            if upper < 1:
                raise arg_error(1, "random", "interval is empty")
            return math.floor(r * upper) + 1
        if len(args) == 2:
            lower, upper = self._int_arg(args, 0), self._int_arg(args, 1)
            if lower > upper:
                raise arg_error(2, "random", "interval is empty")
            return math.floor(r * (upper - lower + 1)) + lower
        raise lua_error("wrong number of arguments")

    def randomseed(self, *args):
        value = to_number(args[0]) if args else None
        if value is None:
            raise type_error(1, "randomseed", "number", lua_type_name(args[0]) if args else "no value")
        self.host.random_seed(to_int32(value))

    # -- redis.register_function (FUNCTION LOAD only) ---------------------------------------------------

    def register_function(self, *args):
        library = self.host.loading
        if library is None:
            raise LuaRaise(self.error_table(errors.REGISTER_OUTSIDE_LOAD))
        if not 1 <= len(args) <= 2:
            raise LuaRaise(self.error_table(errors.REGISTER_ARGUMENT_COUNT))
        if len(args) == 1:
            name, callback, description, flags = self._named_registration(args[0])
        else:
            name = self._lua_string(args[0])
            if name is None:
                raise LuaRaise(self.error_table(errors.REGISTER_NAME_NOT_STRING))
            if lua_type(args[1]) != "function":
                raise LuaRaise(self.error_table(errors.REGISTER_CALLBACK_NOT_FUNCTION))
            callback, description, flags = args[1], None, []
        refused = library.add_function(name, callback, description, flags)
        if refused is not None:
            raise LuaRaise(self.error_table(refused))

    @staticmethod
    def _lua_string(value) -> bytes | None:
        cls = value.__class__
        if cls is bytes:
            return value
        if cls is int or cls is float:
            return format_number(value)
        return None

    def _named_registration(self, table):
        def refuse(message: bytes):
            return LuaRaise(self.error_table(message))

        if lua_type(table) != "table":
            raise refuse(errors.REGISTER_SINGLE_NOT_TABLE)
        name = description = callback = None
        flags: list[bytes] | None = []
        for key, value in table.items():
            key_text = self._lua_string(key)
            if key_text is None:
                raise refuse(errors.REGISTER_KEY_NOT_STRING)
            key_text = key_text.lower()
            if key_text == b"function_name":
                name = self._lua_string(value)
                if name is None:
                    raise refuse(errors.REGISTER_NAMED_NAME_NOT_STRING)
            elif key_text == b"description":
                description = self._lua_string(value)
                if description is None:
                    raise refuse(errors.REGISTER_DESCRIPTION_NOT_STRING)
            elif key_text == b"callback":
                if lua_type(value) != "function":
                    raise refuse(errors.REGISTER_NAMED_CALLBACK_NOT_FUNCTION)
                callback = value
            elif key_text == b"flags":
                if lua_type(value) != "table":
                    raise refuse(errors.REGISTER_FLAGS_NOT_TABLE)
                flags = self._flags(value)
                if flags is None:
                    raise refuse(errors.REGISTER_UNKNOWN_FLAG)
            else:
                raise refuse(errors.REGISTER_UNKNOWN_ARGUMENT)
        if name is None:
            raise refuse(errors.REGISTER_NAME_MISSING)
        if callback is None:
            raise refuse(errors.REGISTER_CALLBACK_MISSING)
        return name, callback, description, flags

    def _flags(self, table) -> list[bytes] | None:
        flags: list[bytes] = []
        index = 1
        while True:
            value = table[index]
            if value is None:
                return flags
            text = self._lua_string(value)
            if text is None:
                return None
            flag = self.host.known_flag(text)
            if flag is None:
                return None
            if flag not in flags:
                flags.append(flag)
            index += 1


# -- stripping line information from the prelude -------------------------------------------------------------


def strip_debug_info(dump: bytes) -> bytes:
    """A Lua 5.1 binary chunk without line info, local and upvalue names (what `luac -s` writes)."""
    header = dump[:12]
    if header[:5] != b"\x1bLuaQ":
        raise ValueError("not a Lua 5.1 chunk")
    int_size, size_t_size, number_size = header[7], header[8], header[10]
    endian = "<" if header[6] == 1 else ">"
    int_format = endian + {4: "i", 8: "q"}[int_size]
    size_format = endian + {4: "I", 8: "Q"}[size_t_size]
    out = bytearray(header)
    pos = 12

    def read_int():
        nonlocal pos
        value = struct.unpack_from(int_format, dump, pos)[0]
        pos += int_size
        return value

    def copy_int():
        value = read_int()
        out.extend(struct.pack(int_format, value))
        return value

    def read_string() -> bytes:
        nonlocal pos
        size = struct.unpack_from(size_format, dump, pos)[0]
        raw = dump[pos : pos + size_t_size + size]
        pos += size_t_size + size
        return raw

    def function():
        nonlocal pos
        out.extend(read_string())  # source
        copy_int()  # linedefined
        copy_int()  # lastlinedefined
        out.extend(dump[pos : pos + 4])  # nups, numparams, is_vararg, maxstacksize
        pos += 4
        code_size = copy_int()
        out.extend(dump[pos : pos + 4 * code_size])
        pos += 4 * code_size
        for _ in range(copy_int()):  # constants
            kind = dump[pos]
            out.append(kind)
            pos += 1
            if kind == 1:
                out.append(dump[pos])
                pos += 1
            elif kind == 3:
                out.extend(dump[pos : pos + number_size])
                pos += number_size
            elif kind == 4:
                out.extend(read_string())
        for _ in range(copy_int()):  # nested functions
            function()
        line_count = read_int()  # line info
        pos += 4 * line_count
        for _ in range(read_int()):  # local names
            read_string()
            read_int()
            read_int()
        for _ in range(read_int()):  # upvalue names
            read_string()
        out.extend(struct.pack(int_format, 0) * 3)

    try:
        function()
    finally:
        # it refers to itself: a cycle that held both buffers until a full collection (`del` would do, but
        # linters then take the recursive call for an undefined name)
        function = None  # type: ignore[assignment]
    return bytes(out)
