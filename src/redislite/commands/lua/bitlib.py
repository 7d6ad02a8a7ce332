"""LuaBitOp (the `bit` library Redis ships): 32-bit operations on Lua numbers. Numbers become 32-bit integers
the way LuaBitOp does it (adding 2^52 + 2^51 and keeping the low word), results are signed."""

import struct

from .errors import type_error
from .numbers import lua_type_name, to_number

_MAGIC = 6755399441055744.0  # 2^52 + 2^51
_DOUBLE = struct.Struct("<d")
_WORDS = struct.Struct("<II")


def _bits(args: tuple, index: int, name: str) -> int:
    """barg(): argument `index` (0-based) as an unsigned 32-bit value."""
    value = to_number(args[index]) if index < len(args) else None
    if value is None:
        got = lua_type_name(args[index]) if index < len(args) else "no value"
        raise type_error(index + 1, name, "number", got)
    low, _ = _WORDS.unpack(_DOUBLE.pack(float(value) + _MAGIC))
    return low


def _signed(value: int) -> int:
    value &= 0xFFFFFFFF
    return value - 0x100000000 if value & 0x80000000 else value


def tobit(*args):
    return _signed(_bits(args, 0, "tobit"))


def bnot(*args):
    return _signed(~_bits(args, 0, "bnot"))


def _fold(name: str, operation):
    def fold(*args):
        result = _bits(args, 0, name)
        for index in range(1, len(args)):
            result = operation(result, _bits(args, index, name))
        return _signed(result)

    fold.__name__ = name
    return fold


band = _fold("band", lambda a, b: a & b)
bor = _fold("bor", lambda a, b: a | b)
bxor = _fold("bxor", lambda a, b: a ^ b)


def lshift(*args):
    value, count = _bits(args, 0, "lshift"), _bits(args, 1, "lshift") & 31
    return _signed(value << count)


def rshift(*args):
    value, count = _bits(args, 0, "rshift"), _bits(args, 1, "rshift") & 31
    return _signed(value >> count)


def arshift(*args):
    value, count = _bits(args, 0, "arshift"), _bits(args, 1, "arshift") & 31
    return _signed(_signed(value) >> count)


def rol(*args):
    value, count = _bits(args, 0, "rol"), _bits(args, 1, "rol") & 31
    return _signed((value << count) | (value >> (32 - count)))


def ror(*args):
    value, count = _bits(args, 0, "ror"), _bits(args, 1, "ror") & 31
    return _signed((value >> count) | (value << (32 - count)))


def bswap(*args):
    value = _bits(args, 0, "bswap")
    return _signed(int.from_bytes(value.to_bytes(4, "little"), "big"))


def tohex(*args):
    value = _bits(args, 0, "tohex")
    digits = 8 if len(args) < 2 else _signed(_bits(args, 1, "tohex"))
    alphabet = "0123456789abcdef"
    if digits < 0:
        digits, alphabet = -digits, "0123456789ABCDEF"
    digits = min(digits, 8)
    out = []
    for _ in range(digits):
        out.append(alphabet[value & 15])
        value >>= 4
    return "".join(reversed(out)).encode()


FUNCTIONS = {
    name: globals()[name]
    for name in ("tobit", "bnot", "band", "bor", "bxor", "lshift", "rshift", "arshift", "rol", "ror", "bswap", "tohex")
}
