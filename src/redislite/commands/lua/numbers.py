"""Lua 5.1's number rules, which scripts observe through every library: `tonumber` on strings (C's strtod, plus
Lua's hexadecimal rule), `tostring` on numbers (%.14g), and the %.17g Redis uses for redis.call arguments."""

import math

from ...errors import c_string
from ..args import strtod

_SPACE = b" \t\n\v\f\r"


def strtod_prefix(data: bytes, start: int = 0) -> tuple[float, int] | None:
    """C's strtod from `start`: (value, end offset) for the longest number prefix, or None when there is none."""
    value, end, _ = strtod(data, start)
    return None if end == start else (value, end)


def str2number(data: bytes) -> float | None:
    """Lua 5.1's luaO_str2d: the whole string (stopping at a NUL, spaces around allowed) must be a number."""
    data = c_string(data)
    parsed = strtod_prefix(data)
    if parsed is None:
        return None
    value, end = parsed
    while end < len(data) and data[end] in _SPACE:
        end += 1
    return value if end == len(data) else None


def to_number(value) -> float | int | None:
    """lua_tonumber: numbers as they are, numeric strings converted, anything else None."""
    cls = value.__class__
    if cls is int or cls is float:
        return value
    if cls is bytes:
        return str2number(value)
    return None


def lua_type_name(value) -> str:
    """The Lua type name of a value as lupa hands it to Python."""
    from lupa.lua51 import lua_type

    cls = value.__class__
    if value is None:
        return "nil"
    if cls is bool:
        return "boolean"
    if cls is int or cls is float:
        return "number"
    if cls is bytes:
        return "string"
    return lua_type(value) or "userdata"


def format_number(value) -> bytes:
    """How Lua 5.1 turns a number into a string (LUA_NUMBER_FMT, %.14g)."""
    if value.__class__ is int and -(10**14) < value < 10**14:
        return b"%d" % value
    return _format_g(float(value), b"%.14g")


def format_argument(value) -> bytes:
    """How redis.call turns a number argument into a string (%.17g, not Lua's lossy %.14g)."""
    if value.__class__ is int and -(10**17) < value < 10**17:
        return b"%d" % value
    return _format_g(float(value), b"%.17g")


def _format_g(value: float, fmt: bytes) -> bytes:
    if math.isnan(value):  # glibc prints the sign of a NaN, and Lua's 0/0 is negative
        return b"-nan" if math.copysign(1.0, value) < 0 else b"nan"
    return fmt % value


def to_int32(value: float) -> int:
    """C's (int) conversion of a Lua number, as luaL_checkint does on x86-64 (truncation)."""
    if not math.isfinite(value):
        return -(2**31)
    result = int(value)
    return ((result + 2**31) % 2**32) - 2**31


INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def to_int64(value) -> int:
    """C's (long long) cast of a Lua number, as Redis converts script results (out of range: INT64_MIN)."""
    if value.__class__ is int:
        return value if INT64_MIN <= value <= INT64_MAX else INT64_MIN
    if not math.isfinite(value) or not -9.223372036854775808e18 <= value < 9.223372036854775808e18:
        return INT64_MIN
    return int(value)
