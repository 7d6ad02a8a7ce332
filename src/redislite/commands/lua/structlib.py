"""The `struct` library Redis ships (Roberto Ierusalimschy's struct 0.2): pack, unpack and size of binary
records. Formats: < > ![n] (endianness, alignment), x (pad), b/B h/H l/L T i[n]/I[n] (integers), f d (floats),
c[n] (fixed strings; c0 = whole string / previous number), s (zero-terminated), spaces ignored."""

import math
import struct
from typing import Any

from .errors import arg_error, lua_error, type_error
from .numbers import format_number, lua_type_name, to_number

MAXINTSIZE = 32
MAXALIGN = 8
_SIZES = {"b": 1, "B": 1, "h": 2, "H": 2, "l": 8, "L": 8, "T": 8, "f": 4, "d": 8, "x": 1}
_INTEGERS = set("bBhHlLTiI")


class _Format:
    """A cursor over a format string (getnum / optsize / controloptions)."""

    def __init__(self, text: bytes, function: str):
        self.text = text.decode("latin-1")
        self.function = function  # pack, unpack or size: named in errors
        self.pos = 0
        self.little = True  # x86-64 is little-endian, the default
        self.align = 1

    def __iter__(self):
        while self.pos < len(self.text) and self.text[self.pos] != "\0":
            opt = self.text[self.pos]
            self.pos += 1
            yield opt, self.size(opt)

    def number(self, default: int) -> int:
        if self.pos >= len(self.text) or not self.text[self.pos].isdigit():
            return default
        value = 0
        while self.pos < len(self.text) and self.text[self.pos].isdigit():
            digit = ord(self.text[self.pos]) - 48
            if value > (2**31 - 1) // 10 or value * 10 > (2**31 - 1) - digit:
                raise lua_error("integral size overflow")
            value = value * 10 + digit
            self.pos += 1
        return value

    def size(self, opt: str) -> int:
        if opt in _SIZES:
            return _SIZES[opt]
        if opt == "c":
            return self.number(1)
        if opt in "iI":
            size = self.number(4)
            if size > MAXINTSIZE:
                raise lua_error(f"integral size {size} is larger than limit of {MAXINTSIZE}")
            return size
        return 0

    def padding(self, offset: int, opt: str, size: int) -> int:
        if size == 0 or opt == "c":
            return 0
        size = min(size, self.align)
        return (size - (offset & (size - 1))) & (size - 1)

    def control(self, opt: str) -> None:
        if opt == " ":
            return
        if opt == ">":
            self.little = False
        elif opt == "<":
            self.little = True
        elif opt == "!":
            align = self.number(MAXALIGN)
            if align <= 0 or align & (align - 1):
                raise lua_error(f"alignment {align} is not a power of 2")
            self.align = align
        else:
            raise arg_error(1, self.function, f"invalid format option '{opt}'")


def _string_arg(args: tuple, index: int, function: str) -> bytes:
    value: Any = args[index] if index < len(args) else None
    cls = value.__class__
    if cls is bytes:
        return value
    if cls is int or cls is float:
        return format_number(value)
    got = lua_type_name(value) if index < len(args) else _missing(args, index, function)
    raise type_error(index + 1, function, "string", got)


def _missing(args: tuple, index: int, function: str) -> str:
    # pack pushes a nil just above its arguments, so the first missing one reads as nil
    return "nil" if function == "pack" and index == len(args) and index >= 1 else "no value"


def _number_arg(args: tuple, index: int, function: str):
    value = to_number(args[index]) if index < len(args) else None
    if value is None:
        got = lua_type_name(args[index]) if index < len(args) else _missing(args, index, function)
        raise type_error(index + 1, function, "number", got)
    return value


def _format(args: tuple, function: str) -> _Format:
    return _Format(_string_arg(args, 0, function), function)


def pack(*args):
    fmt = _format(args, "pack")
    out = bytearray()
    arg = 1
    for opt, size in fmt:
        out += b"\0" * fmt.padding(len(out), opt, size)
        if opt in _INTEGERS:
            number = _number_arg(args, arg, "pack")
            arg += 1
            value = int(number) if math.isfinite(number) else 0
            value &= 0xFFFFFFFFFFFFFFFF
            raw = bytes((value >> (8 * i)) & 0xFF if i < 8 else 0 for i in range(size))
            out += raw if fmt.little else raw[::-1]
        elif opt == "x":
            out += b"\0"
        elif opt in "fd":
            number = float(_number_arg(args, arg, "pack"))
            arg += 1
            code = ("<" if fmt.little else ">") + opt
            try:
                out += struct.pack(code, number)
            except OverflowError:  # a double too large for a float: C gives infinity
                out += struct.pack(code, float("inf") if number > 0 else float("-inf"))
        elif opt in "cs":
            data = _string_arg(args, arg, "pack")
            arg += 1
            length = len(data) if size == 0 else size
            if len(data) < length:
                raise arg_error(arg + 1, "pack", "string too short")  # struct.c names the next argument
            out += data[:length]
            if opt == "s":
                out += b"\0"
        else:
            fmt.control(opt)
    return bytes(out)


def _integer(raw: bytes, little: bool, signed: bool, size: int) -> float:
    ordered = raw[::-1] if little else raw
    value = 0
    for byte in ordered:
        value = ((value << 8) | byte) & 0xFFFFFFFFFFFFFFFF
    if signed:
        mask = (0xFFFFFFFFFFFFFFFF << ((size * 8 - 1) & 63)) & 0xFFFFFFFFFFFFFFFF
        if value & mask:
            value |= mask
        if value & 0x8000000000000000:
            value -= 1 << 64
    return value if -(2**53) < value < 2**53 else float(value)


def unpack(*args):
    fmt = _format(args, "unpack")
    data = _string_arg(args, 1, "unpack")
    start = args[2] if len(args) > 2 else None
    if start is None:
        pos = 0
    else:
        number = _number_arg(args, 2, "unpack")
        pos = int(number) - 1
    length = len(data)
    if pos < 0:
        raise arg_error(3, "unpack", "offset must be 1 or greater")
    results: list[bytes | float] = []
    for opt, size in fmt:
        pos += fmt.padding(pos, opt, size)
        if size > length or pos > length - size:
            raise arg_error(2, "unpack", "data string too short")
        if opt in _INTEGERS:
            results.append(_integer(data[pos : pos + size], fmt.little, opt.islower(), size))
        elif opt in "fd":
            value = struct.unpack(("<" if fmt.little else ">") + opt, data[pos : pos + size])[0]
            results.append(value)
        elif opt == "c":
            if size == 0:
                previous = to_number(results[-1]) if results else None
                if previous is None:
                    raise lua_error("format 'c0' needs a previous size")
                size = int(previous)
                results.pop()
                if size > length or pos > length - size:
                    raise arg_error(2, "unpack", "data string too short")
            results.append(data[pos : pos + size])
        elif opt == "s":
            end = data.find(b"\0", pos)
            if end < 0:
                raise lua_error("unfinished string in data")
            size = end - pos + 1
            results.append(data[pos:end])
        elif opt != "x":
            fmt.control(opt)
        pos += size
    results.append(pos + 1)
    return tuple(results)


def size(*args):
    fmt = _format(args, "size")
    pos = 0
    for opt, width in fmt:
        pos += fmt.padding(pos, opt, width)
        if opt == "s":
            raise arg_error(1, "size", "option 's' has no fixed size")
        if opt == "c" and width == 0:
            raise arg_error(1, "size", "option 'c0' has no fixed size")
        if not (opt.isascii() and opt.isalnum()):
            fmt.control(opt)
        pos += width
    return pos


FUNCTIONS = {"pack": pack, "unpack": unpack, "size": size}
