"""Lua CJSON 2.1.0 (the `cjson` library Redis ships): encode and decode JSON with its settings, its rules for
telling arrays from objects, its %.14g numbers and its error texts.

Encoding walks Lua tables in their own `next` order (as the C library does), so objects come out with keys in
the same order as Redis. Decoded objects are built by inserting keys in document order into a fresh table,
which gives them the same layout, and iteration order, as tables built by the C library.
"""

import math
import re

from lupa.lua51 import lua_type

from ...errors import c_string
from .errors import LUA_STACK_SLOTS, arg_error, lua_error, recursion_room, type_error
from .numbers import format_number, lua_type_name, strtod_prefix, to_number

NAME = b"cjson"
VERSION = b"2.1.0"

_ESCAPES = {i: b"\\u%04x" % i for i in range(32)}
_ESCAPES.update(
    {8: b"\\b", 9: b"\\t", 10: b"\\n", 12: b"\\f", 13: b"\\r", 34: b'\\"', 47: b"\\/", 92: b"\\\\", 127: b"\\u007f"}
)
_ESCAPE_TABLE = [_ESCAPES.get(i, bytes([i])) for i in range(256)]
_NEEDS_ESCAPE = re.compile(rb'[\x00-\x1f"/\\\x7f]')

_WHITESPACE = re.compile(rb"[ \t\n\r]*")
_PLAIN_STRING = re.compile(rb'"([^"\\\x00]*)"')
_TOKEN_NAMES = {
    "{": "T_OBJ_BEGIN",
    "}": "T_OBJ_END",
    "[": "T_ARR_BEGIN",
    "]": "T_ARR_END",
    ":": "T_COLON",
    ",": "T_COMMA",
}
_UNESCAPE = {
    ord('"'): b'"',
    ord("\\"): b"\\",
    ord("/"): b"/",
    ord("b"): b"\b",
    ord("t"): b"\t",
    ord("n"): b"\n",
    ord("f"): b"\f",
    ord("r"): b"\r",
}


class Null:
    """cjson.null: Redis's is a NULL lightuserdata; scripts compare with it and `type()` says "userdata"."""

    def __repr__(self):
        return "userdata: (nil)"

    __str__ = __repr__


NULL = Null()


class _ParseError(Exception):
    def __init__(self, expected: str, found: str, index: int):
        super().__init__(f"Expected {expected} but found {found} at character {index + 1}")


class _Token:
    __slots__ = ("index", "kind", "value")

    def __init__(self, kind: str, value, index: int):
        self.kind = kind
        self.value = value
        self.index = index


def _escape(data: bytes) -> bytes:
    if _NEEDS_ESCAPE.search(data) is None:
        return b'"' + data + b'"'
    return b'"' + b"".join([_ESCAPE_TABLE[byte] for byte in data]) + b'"'


class CJson:
    """One cjson module instance: its settings and functions (cjson.new() makes another)."""

    def __init__(self, new_array, new_object, api_types):
        self.new_array = new_array
        self.new_object = new_object
        self.api_types = api_types  # value -> Lua type name for userdata that stand for functions
        self.sparse_convert = False
        self.sparse_ratio = 2
        self.sparse_safe = 10
        self.encode_max = 1000
        self.decode_max = 1000
        self.encode_invalid = 0  # off / on / null
        self.decode_invalid = True
        self.keep_buffer = True
        self.precision = 14

    # -- encoding ------------------------------------------------------------------------------------------

    def encode(self, *args):
        if len(args) != 1:
            raise arg_error(1, "encode", "expected 1 argument")
        out: list[bytes] = []
        try:
            with recursion_room(self.encode_max):
                self._append(out, args[0], 0, 1)
        except RecursionError:
            raise lua_error("Cannot serialise, excessive nesting") from None
        return b"".join(out)

    def _type_name(self, value) -> str:
        name = self.api_types(value)
        return name if name is not None else lua_type_name(value)

    def _number(self, value) -> bytes:
        if value.__class__ is float and not math.isfinite(value):
            if self.encode_invalid == 0:
                raise lua_error("Cannot serialise number: must not be NaN or Inf")
            if self.encode_invalid == 1:
                return b"NaN" if math.isnan(value) else (b"-Infinity" if value < 0 else b"Infinity")
            return b"null"
        if self.precision == 14:
            return format_number(value)
        return (b"%%.%dg" % self.precision) % value

    def _append(self, out: list, value, depth: int, slots: int) -> None:
        """`slots`: the Lua stack the C library holds here (its argument, and a value, or a key and a value, per
        enclosing table); it checks for 3 more at each table."""
        cls = value.__class__
        if cls is bytes:
            out.append(_escape(value))
        elif cls is int or cls is float:
            out.append(self._number(value))
        elif cls is bool:
            out.append(b"true" if value else b"false")
        elif value is None or value is NULL:
            out.append(b"null")
        elif lua_type(value) == "table":
            depth += 1
            if depth > self.encode_max or slots + 3 > LUA_STACK_SLOTS:
                raise lua_error(f"Cannot serialise, excessive nesting ({depth})")
            length = self._array_length(value)
            if length > 0:
                out.append(b"[")
                for index in range(1, length + 1):
                    if index > 1:
                        out.append(b",")
                    self._append(out, value[index], depth, slots + 1)
                out.append(b"]")
            else:
                self._append_object(out, value, depth, slots)
        else:
            raise lua_error(f"Cannot serialise {self._type_name(value)}: type not supported")

    def _array_length(self, table) -> int:
        largest = items = 0
        for key in table:  # a LuaTable: its keys
            cls = key.__class__
            if (cls is int or cls is float) and key and math.floor(key) == key and key >= 1:
                largest = max(largest, key)
                items += 1
                continue
            return -1
        if self.sparse_ratio > 0 and largest > items * self.sparse_ratio and largest > self.sparse_safe:
            if not self.sparse_convert:
                raise lua_error("Cannot serialise table: excessively sparse array")
            return -1
        return int(largest)

    def _append_object(self, out: list, table, depth: int, slots: int) -> None:
        out.append(b"{")
        first = True
        for key, item in table.items():
            if not first:
                out.append(b",")
            first = False
            cls = key.__class__
            if cls is int or cls is float:
                out.append(b'"' + self._number(key) + b'":')
            elif cls is bytes:
                out.append(_escape(key) + b":")
            else:
                raise lua_error(f"Cannot serialise {self._type_name(key)}: table key must be a number or string")
            self._append(out, item, depth, slots + 2)
        out.append(b"}")

    # -- decoding ------------------------------------------------------------------------------------------

    def decode(self, *args):
        if len(args) != 1:
            raise arg_error(1, "decode", "expected 1 argument")
        data = args[0]
        cls = data.__class__
        if cls is int or cls is float:
            data = format_number(data)
        elif cls is not bytes:
            raise type_error(1, "decode", "string", lua_type_name(data))
        if len(data) >= 2 and (not data[0] or not data[1]):
            raise lua_error("JSON parser does not support UTF-16 or UTF-32")
        data = c_string(data)  # the C parser stops at a NUL
        parser = _Parser(data, self)
        try:
            with recursion_room(self.decode_max):
                value = parser.value(parser.next_token())
            token = parser.next_token()
            if token.kind != "T_END":
                parser.fail("the end", token)
        except _ParseError as error:
            raise lua_error(str(error)) from None
        except RecursionError:
            raise lua_error(
                f"Found too many nested data structures ({parser.depth}) at character {parser.pos}"
            ) from None
        return value

    # -- settings (each returns the current value) ---------------------------------------------------------

    def _args(self, args: tuple, most: int, function: str) -> list:
        if len(args) > most:
            raise arg_error(most + 1, function, "found too many arguments")
        return list(args) + [None] * (most - len(args))

    def _integer_option(self, value, current: int, low: int, high: int, function: str, index: int = 1) -> int:
        if value is None:
            return current
        number = to_number(value)
        if number is None:
            raise type_error(index, function, "number", lua_type_name(value))
        number = int(number)
        if not low <= number <= high:
            raise arg_error(1, function, f"expected integer between {low} and {high}")
        return number

    def _enum_option(self, value, current: int, options: tuple, function: str) -> int:
        if value is None:
            return current
        if value.__class__ is bool:
            return 1 if value else 0
        name = (
            value if value.__class__ is bytes else (format_number(value) if value.__class__ in (int, float) else None)
        )
        if name is None:
            raise type_error(1, function, "string", lua_type_name(value))
        if name.decode("latin-1") not in options:
            raise arg_error(1, function, f"invalid option '{name.decode('latin-1')}'")
        return options.index(name.decode("latin-1"))

    @staticmethod
    def _enum_reply(setting: int, options: tuple):
        return bool(setting) if setting in (0, 1) else options[setting].encode()

    def encode_sparse_array(self, *args):
        convert, ratio, safe = self._args(args, 3, "encode_sparse_array")
        self.sparse_convert = bool(
            self._enum_option(convert, int(self.sparse_convert), ("off", "on"), "encode_sparse_array")
        )
        self.sparse_ratio = self._integer_option(ratio, self.sparse_ratio, 0, 2**31 - 1, "encode_sparse_array", 2)
        self.sparse_safe = self._integer_option(safe, self.sparse_safe, 0, 2**31 - 1, "encode_sparse_array", 3)
        return self.sparse_convert, self.sparse_ratio, self.sparse_safe

    def encode_max_depth(self, *args):
        (depth,) = self._args(args, 1, "encode_max_depth")
        self.encode_max = self._integer_option(depth, self.encode_max, 1, 2**31 - 1, "encode_max_depth")
        return self.encode_max

    def decode_max_depth(self, *args):
        (depth,) = self._args(args, 1, "decode_max_depth")
        self.decode_max = self._integer_option(depth, self.decode_max, 1, 2**31 - 1, "decode_max_depth")
        return self.decode_max

    def encode_number_precision(self, *args):
        (precision,) = self._args(args, 1, "encode_number_precision")
        self.precision = self._integer_option(precision, self.precision, 1, 14, "encode_number_precision")
        return self.precision

    def encode_keep_buffer(self, *args):
        (keep,) = self._args(args, 1, "encode_keep_buffer")
        self.keep_buffer = bool(self._enum_option(keep, int(self.keep_buffer), ("off", "on"), "encode_keep_buffer"))
        return self.keep_buffer

    def encode_invalid_numbers(self, *args):
        (setting,) = self._args(args, 1, "encode_invalid_numbers")
        options = ("off", "on", "null")
        self.encode_invalid = self._enum_option(setting, self.encode_invalid, options, "encode_invalid_numbers")
        return self._enum_reply(self.encode_invalid, options)

    def decode_invalid_numbers(self, *args):
        (setting,) = self._args(args, 1, "decode_invalid_numbers")
        self.decode_invalid = bool(
            self._enum_option(setting, int(self.decode_invalid), ("off", "on"), "decode_invalid_numbers")
        )
        return self.decode_invalid

    def functions(self) -> dict:
        return {
            name: getattr(self, name)
            for name in (
                "encode",
                "decode",
                "encode_sparse_array",
                "encode_max_depth",
                "decode_max_depth",
                "encode_number_precision",
                "encode_keep_buffer",
                "encode_invalid_numbers",
                "decode_invalid_numbers",
            )
        }


class _Parser:
    """cjson's tokenizer and recursive descent, with its error positions."""

    def __init__(self, data: bytes, config: CJson):
        self.data = data
        self.pos = 0
        self.config = config
        self.depth = 0
        self.slots = 1  # the Lua stack the C parser holds: its argument, each open table, each pending key

    def fail(self, expected: str, token: _Token):
        found = token.value if token.kind == "T_ERROR" else token.kind
        raise _ParseError(expected, found, token.index)

    def next_token(self) -> _Token:
        data = self.data
        whitespace = _WHITESPACE.match(data, self.pos)
        assert whitespace is not None  # `*` matches the empty string too
        self.pos = whitespace.end()
        pos = self.pos
        if pos >= len(data):
            return _Token("T_END", None, pos)
        char = chr(data[pos])
        kind = _TOKEN_NAMES.get(char)
        if kind is not None:
            self.pos += 1
            return _Token(kind, None, pos)
        if char == '"':
            return self.string_token()
        if char == "-" or (char.isdigit() and char.isascii()):
            if not self.config.decode_invalid and self.invalid_number():
                return _Token("T_ERROR", "invalid number", pos)
            return self.number_token()
        if data.startswith(b"true", pos):
            self.pos += 4
            return _Token("T_BOOLEAN", True, pos)
        if data.startswith(b"false", pos):
            self.pos += 5
            return _Token("T_BOOLEAN", False, pos)
        if data.startswith(b"null", pos):
            self.pos += 4
            return _Token("T_NULL", NULL, pos)
        if char in "iInN+" and self.config.decode_invalid and self.invalid_number():
            return self.number_token()
        return _Token("T_ERROR", "invalid token", pos)

    def invalid_number(self) -> bool:
        """json_is_invalid_number: strtod accepts forms that JSON does not (+, hex, leading zeros, inf, nan)."""
        data, pos = self.data, self.pos
        if data[pos : pos + 1] == b"+":
            return True
        if data[pos : pos + 1] == b"-":
            pos += 1
        if data[pos : pos + 1] == b"0":
            following = data[pos + 1 : pos + 2]
            return following.lower() == b"x" or following.isdigit()
        if pos < len(data) and data[pos] <= ord("9"):
            return False
        lower = data[pos : pos + 3].lower()
        return lower in (b"inf", b"nan")

    def number_token(self) -> _Token:
        start = self.pos
        parsed = strtod_prefix(self.data, start)
        if parsed is None:
            return _Token("T_ERROR", "invalid number", start)
        value, self.pos = parsed
        return _Token("T_NUMBER", value, start)

    def string_token(self) -> _Token:
        data, start = self.data, self.pos
        plain = _PLAIN_STRING.match(data, start)
        if plain is not None:
            self.pos = plain.end()
            return _Token("T_STRING", plain.group(1), start)
        out = bytearray()
        pos = start + 1
        while True:
            if pos >= len(data):
                self.pos = pos
                return _Token("T_ERROR", "unexpected end of string", pos)
            byte = data[pos]
            if byte == 34:
                break
            if byte == 92:
                escape = data[pos + 1] if pos + 1 < len(data) else 0
                if escape == ord("u"):
                    decoded = self.unicode_escape(pos)
                    if decoded is None:
                        self.pos = pos
                        return _Token("T_ERROR", "invalid unicode escape code", pos)
                    text, pos = decoded
                    out += text
                    continue
                translated = _UNESCAPE.get(escape)
                if translated is None:
                    self.pos = pos
                    return _Token("T_ERROR", "invalid escape code", pos)
                out += translated
                pos += 2
                continue
            out.append(byte)
            pos += 1
        self.pos = pos + 1
        return _Token("T_STRING", bytes(out), start)

    def hex4(self, pos: int) -> int | None:
        digits = self.data[pos : pos + 4]
        if len(digits) != 4 or not all(chr(c) in "0123456789abcdefABCDEF" for c in digits):
            return None
        return int(digits, 16)

    def unicode_escape(self, pos: int):
        """\\uXXXX (and surrogate pairs) at pos -> (UTF-8 bytes, position after the escape), or None."""
        codepoint = self.hex4(pos + 2)
        if codepoint is None:
            return None
        length = 6
        if 0xDC00 <= codepoint <= 0xDFFF:
            return None
        if 0xD800 <= codepoint <= 0xDBFF:
            if self.data[pos + 6 : pos + 8] != b"\\u":
                return None
            low = self.hex4(pos + 8)
            if low is None or not 0xDC00 <= low <= 0xDFFF:
                return None
            codepoint = (((codepoint & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000
            length = 12
        return chr(codepoint).encode("utf-8", "surrogatepass"), pos + length

    def value(self, token: _Token):
        kind = token.kind
        if kind in ("T_STRING", "T_NUMBER", "T_BOOLEAN", "T_NULL"):
            return token.value
        if kind == "T_OBJ_BEGIN":
            return self.object()
        if kind == "T_ARR_BEGIN":
            return self.array()
        self.fail("value", token)

    def descend(self, needed_slots: int) -> None:
        self.depth += 1
        if self.depth > self.config.decode_max or self.slots + needed_slots > LUA_STACK_SLOTS:
            raise lua_error(f"Found too many nested data structures ({self.depth}) at character {self.pos}")
        self.slots += 1

    def object(self):
        self.descend(3)
        items = {}
        token = self.next_token()
        if token.kind != "T_OBJ_END":
            while True:
                if token.kind != "T_STRING":
                    self.fail("object key string", token)
                key = token.value
                token = self.next_token()
                if token.kind != "T_COLON":
                    self.fail("colon", token)
                self.slots += 1
                items[key] = self.value(self.next_token())
                self.slots -= 1
                token = self.next_token()
                if token.kind == "T_OBJ_END":
                    break
                if token.kind != "T_COMMA":
                    self.fail("comma or object end", token)
                token = self.next_token()
        self.depth -= 1
        self.slots -= 1
        return self.config.new_object(items)

    def array(self):
        self.descend(2)
        values = []
        token = self.next_token()
        if token.kind != "T_ARR_END":
            while True:
                values.append(self.value(token))
                token = self.next_token()
                if token.kind == "T_ARR_END":
                    break
                if token.kind != "T_COMMA":
                    self.fail("comma or array end", token)
                token = self.next_token()
        self.depth -= 1
        self.slots -= 1
        return self.config.new_array(values)
