"""lua-cmsgpack 0.4.0 (the `cmsgpack` library Redis ships): MessagePack pack and unpack of Lua values.

Packing walks Lua tables in their own `next` order, as the C library does; a table is an array when its keys
are exactly 1..n, and nesting deeper than 16 tables packs nil. Unpacking builds tables through the runtime so
that their layout, and therefore their iteration order, matches tables built by the C library, and counts the
Lua stack the C library would hold (errors.py), so deep nesting and many values fail where they fail in Redis.
"""

import math
import struct
from typing import Any

from lupa.lua51 import lua_type

from .errors import LUA_STACK_SLOTS, LuaRaise, arg_error, lua_error, recursion_room, stack_overflow, type_error
from .numbers import format_number, lua_type_name, to_number

MAX_NESTING = 16
TOO_MANY_VALUES = "too many return values at once; use unpack_one or unpack_limit instead."
NAME = b"lua-cmsgpack"
VERSION = b"lua-cmsgpack 0.4.0"
COPYRIGHT = b"Copyright (C) 2012, Salvatore Sanfilippo"
DESCRIPTION = b"MessagePack C implementation for Lua"

_FLOAT = struct.Struct(">f")
_DOUBLE = struct.Struct(">d")


def _int_equivalent(value) -> bool:
    """IS_INT_EQUIVALENT: (int)x == x for a 32-bit int."""
    if value.__class__ is int:
        return -(2**31) <= value < 2**31
    return math.isfinite(value) and -(2**31) <= value < 2**31 and int(value) == value


def _int64_equivalent(value) -> bool:
    if value.__class__ is int:
        return -(2**63) <= value < 2**63
    return math.isfinite(value) and -(2**63) <= value < 2**63 and int(value) == value


def _encode_int(out: bytearray, n: int) -> None:
    if n >= 0:
        if n <= 127:
            out.append(n)
        elif n <= 0xFF:
            out += b"\xcc" + n.to_bytes(1, "big")
        elif n <= 0xFFFF:
            out += b"\xcd" + n.to_bytes(2, "big")
        elif n <= 0xFFFFFFFF:
            out += b"\xce" + n.to_bytes(4, "big")
        else:
            out += b"\xcf" + n.to_bytes(8, "big")
    elif n >= -32:
        out.append(n & 0xFF)
    elif n >= -128:
        out += b"\xd0" + n.to_bytes(1, "big", signed=True)
    elif n >= -32768:
        out += b"\xd1" + n.to_bytes(2, "big", signed=True)
    elif n >= -2147483648:
        out += b"\xd2" + n.to_bytes(4, "big", signed=True)
    else:
        out += b"\xd3" + n.to_bytes(8, "big", signed=True)


def _encode_number(out: bytearray, value) -> None:
    if _int64_equivalent(value):
        _encode_int(out, int(value))
        return
    value = float(value)
    try:
        as_float = _FLOAT.pack(value)
    except OverflowError:
        as_float = None
    if as_float is not None and _FLOAT.unpack(as_float)[0] == value:
        out += b"\xca" + as_float
    else:
        out += b"\xcb" + _DOUBLE.pack(value)


def _encode_string(out: bytearray, data: bytes) -> None:
    length = len(data)
    if length < 32:
        out.append(0xA0 | length)
    elif length <= 0xFF:
        out += b"\xd9" + length.to_bytes(1, "big")
    elif length <= 0xFFFF:
        out += b"\xda" + length.to_bytes(2, "big")
    else:
        out += b"\xdb" + length.to_bytes(4, "big")
    out += data


def _header(out: bytearray, count: int, small: int, code16: bytes, code32: bytes) -> None:
    if count <= 15:
        out.append(small | count)
    elif count <= 0xFFFF:
        out += code16 + count.to_bytes(2, "big")
    else:
        out += code32 + count.to_bytes(4, "big")


def _is_array(table) -> bool:
    count = largest = 0
    for key in table:  # a LuaTable: its keys
        cls = key.__class__
        if cls is not int and cls is not float:
            return False
        if key <= 0 or not _int_equivalent(key):
            return False
        largest = max(largest, key)
        count += 1
    return largest == count


def _encode(out: bytearray, value, level: int) -> None:
    cls = value.__class__
    if cls is bytes:
        _encode_string(out, value)
    elif cls is bool:
        out.append(0xC3 if value else 0xC2)
    elif cls is int or cls is float:
        _encode_number(out, value)
    elif value is not None and lua_type(value) == "table" and level < MAX_NESTING:
        if _is_array(value):
            length = len(value)
            _header(out, length, 0x90, b"\xdc", b"\xdd")
            for index in range(1, length + 1):
                _encode(out, value[index], level + 1)
        else:
            pairs = list(value.items())
            _header(out, len(pairs), 0x80, b"\xde", b"\xdf")
            for key, item in pairs:
                _encode(out, key, level + 1)
                _encode(out, item, level + 1)
    else:
        out.append(0xC0)  # nil, functions, userdata and too deep tables


def pack(*args):
    if not args:
        raise arg_error(0, "pack", "MessagePack pack needs input.")
    out = bytearray()
    for value in args:
        _encode(out, value, 0)
    return bytes(out)


class _Truncated(Exception):
    pass


class _BadFormat(Exception):
    pass


class Decoder:
    """Decodes one object at a time from `data`, building Lua tables with `new_array` / `new_map`. `slots` is
    the Lua stack the C library holds: its arguments, the values decoded so far, and per open table the table
    and an index or a key."""

    def __init__(self, data: bytes, pos: int, new_array, new_map, slots: int):
        self.data = data
        self.pos = pos
        self.new_array = new_array
        self.new_map = new_map
        self.slots = slots

    def reserve(self, what: str) -> None:
        """luaL_checkstack(L, 1, what)."""
        if self.slots + 1 > LUA_STACK_SLOTS:
            raise stack_overflow(what)

    def take(self, count: int) -> bytes:
        end = self.pos + count
        if end > len(self.data):
            raise _Truncated
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def uint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big")

    def sint(self, size: int) -> int:
        return int.from_bytes(self.take(size), "big", signed=True)

    def decode(self):
        """One value, left on the (counted) stack."""
        code = self.take(1)[0]
        self.reserve(TOO_MANY_VALUES)
        self.slots += 1  # the value, or the table being filled
        if code <= 0x7F:
            return code
        if code >= 0xE0:
            return code - 0x100
        if 0xA0 <= code <= 0xBF:
            return self.take(code & 0x1F)
        if 0x90 <= code <= 0x9F:
            return self.array(code & 0x0F)
        if 0x80 <= code <= 0x8F:
            return self.map(code & 0x0F)
        handler = _DECODERS.get(code)
        if handler is None:
            raise _BadFormat
        return handler(self)

    def array(self, count: int):
        self.reserve("in function mp_decode_to_lua_array")
        values = []
        for _ in range(count):
            self.slots += 1  # the index
            values.append(self.decode())
            self.slots -= 2  # lua_settable pops the index and the value
        return self.new_array(values)

    def map(self, count: int):
        flat = []
        for _ in range(count):
            flat.append(self.decode())
            flat.append(self.decode())
            self.slots -= 2
        return self.new_map(flat)


def _number(value: int):
    return value if -(2**53) < value < 2**53 else float(value)


_DECODERS = {
    0xC0: lambda d: None,
    0xC2: lambda d: False,
    0xC3: lambda d: True,
    0xCC: lambda d: d.uint(1),
    0xCD: lambda d: d.uint(2),
    0xCE: lambda d: d.uint(4),
    0xCF: lambda d: _number(d.uint(8)),
    0xD0: lambda d: d.sint(1),
    0xD1: lambda d: d.sint(2),
    0xD2: lambda d: d.sint(4),
    0xD3: lambda d: _number(d.sint(8)),
    0xCA: lambda d: _FLOAT.unpack(d.take(4))[0],
    0xCB: lambda d: _DOUBLE.unpack(d.take(8))[0],
    0xD9: lambda d: d.take(d.uint(1)),
    0xDA: lambda d: d.take(d.uint(2)),
    0xDB: lambda d: d.take(d.uint(4)),
    0xDC: lambda d: d.array(d.uint(2)),
    0xDD: lambda d: d.array(d.uint(4)),
    0xDE: lambda d: d.map(d.uint(2)),
    0xDF: lambda d: d.map(d.uint(4)),
}


class MsgPack:
    """The library's functions, bound to one Lua runtime (for building tables)."""

    def __init__(self, new_array, new_map):
        self.new_array = new_array
        self.new_map = new_map

    def _string(self, args, function: str) -> bytes:
        value: Any = args[0] if args else None
        cls = value.__class__
        if cls is bytes:
            return value
        if cls is int or cls is float:
            return format_number(value)
        raise type_error(1, function, "string", lua_type_name(value) if args else "no value")

    def _unpack(self, data: bytes, limit: int, offset: int, arguments: int = 1):
        """mp_unpack_full; `arguments` stay on the stack below the values (unpack_one and unpack_limit pop all
        but the data)."""
        decode_all = not limit and not offset
        if offset < 0 or limit < 0:
            raise lua_error(f"Invalid request to unpack with offset of {offset} and limit of {len(data)}.")
        if offset > len(data):
            raise lua_error(f"Start offset {offset} greater than input length {len(data)}.")
        if decode_all:
            limit = 2**31 - 1
        decoder = Decoder(data, offset, self.new_array, self.new_map, arguments)
        values: list[Any] = []  # Lua values
        try:
            with recursion_room(LUA_STACK_SLOTS // 2):
                while decoder.pos < len(data) and len(values) < limit:
                    values.append(decoder.decode())
        except _Truncated:
            raise lua_error("Missing bytes in input.") from None
        except _BadFormat:
            raise lua_error("Bad data format in input.") from None
        if not decode_all:
            decoder.reserve("in function mp_unpack_full")
            values.insert(0, -1 if decoder.pos == len(data) else decoder.pos)
        return tuple(values)

    def unpack(self, *args):
        return self._unpack(self._string(args, "unpack"), 0, 0, len(args))

    def unpack_one(self, *args):
        data = self._string(args, "unpack_one")
        offset = self._optinteger(args, 1, "unpack_one")
        return self._unpack(data, 1, offset)

    def unpack_limit(self, *args):
        data = self._string(args, "unpack_limit")
        number = to_number(args[1]) if len(args) > 1 else None
        if number is None:
            raise type_error(2, "unpack_limit", "number", lua_type_name(args[1]) if len(args) > 1 else "no value")
        limit = int(number)
        offset = self._optinteger(args, 2, "unpack_limit")
        return self._unpack(data, limit, offset)

    @staticmethod
    def _optinteger(args, index: int, function: str) -> int:
        if len(args) <= index or args[index] is None:
            return 0
        value = to_number(args[index])
        if value is None:
            raise type_error(index + 1, function, "number", lua_type_name(args[index]))
        return int(value)

    def functions(self) -> dict:
        return {"pack": pack, "unpack": self.unpack, "unpack_one": self.unpack_one, "unpack_limit": self.unpack_limit}


__all__ = ["LuaRaise", "MsgPack", "pack"]
