"""How the Python side of the Lua API raises Lua errors, and how deep it may nest.

A Python function called from Lua cannot raise a Lua error value directly: lupa turns the exception into a
userdata. The sandbox (prelude.py) unwraps it wherever Lua code can see an error (the script's error handler,
pcall, xpcall, coroutine.resume) and, like luaL_error, prefixes "chunk:line: " of the calling Lua function
when `positioned` is set.

The C libraries Redis ships (cjson, cmsgpack) nest as deep as the Lua stack lets one C function grow:
LUAI_MAXCSTACK slots, checked with lua_checkstack. Their Python versions count the same slots, so they stop at
the same depth with the same error, and recurse in Python no deeper than that.
"""

import sys
from contextlib import contextmanager

LUA_STACK_SLOTS = 8000  # LUAI_MAXCSTACK


class LuaRaise(Exception):
    """Raise `value` (bytes or a Lua table) as a Lua error from a Python API function."""

    def __init__(self, value, positioned: bool = False):
        super().__init__(value)
        self.value = value
        self.positioned = positioned


def lua_error(message: str | bytes) -> LuaRaise:
    """luaL_error: a message with the caller's position."""
    return LuaRaise(message.encode() if isinstance(message, str) else message, positioned=True)


def arg_error(number: int, function: str, message: str) -> LuaRaise:
    """luaL_argerror: "bad argument #n to 'f' (message)", with the caller's position."""
    return lua_error(f"bad argument #{number} to '{function}' ({message})")


def type_error(number: int, function: str, expected: str, got: str) -> LuaRaise:
    """luaL_typerror."""
    return arg_error(number, function, f"{expected} expected, got {got}")


def stack_overflow(what: str) -> LuaRaise:
    """luaL_checkstack's error."""
    return lua_error(f"stack overflow ({what})")


@contextmanager
def recursion_room(depth: int):
    """Room for `depth` levels of nesting (about three Python frames each), as the C library's own recursion."""
    previous = sys.getrecursionlimit()
    wanted = previous + 3 * min(depth, LUA_STACK_SLOTS) + 100
    if wanted > previous:
        sys.setrecursionlimit(wanted)
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def unwrap(error):
    """The Lua value and the position flag of an error raised by a Python API function (for the prelude).
    The exception lingers as a Lua userdata until Lua's collector runs, which may be never: its traceback (and
    through it every frame of the command that ran the script, with its replies) must not linger with it."""
    if isinstance(error, BaseException):
        error.__traceback__ = error.__context__ = None
    if isinstance(error, LuaRaise):
        return error.value, error.positioned
    return str(error).encode(), False
