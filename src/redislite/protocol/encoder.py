"""Reply values -> RESP2 / RESP3 bytes. One encoder per protocol version, dispatching on the value's exact type."""

from collections.abc import Callable
from typing import Any

from hiredis import pack_command

from ..errors import CommandError
from .values import Encoded, ErrorReply, HumanDouble, NullArray, Push, Replies, SetReply, SimpleString, Verbatim

_SMALL_INTS = [b":%d\r\n" % i for i in range(1024)]
_BULK_HEADS = [b"$%d" % n for n in range(1024)]
_BULK_LINES = [b"$%d\r\n" % n for n in range(1024)]
_ONLY_BYTES = {bytes}


def encode_command(argv) -> bytes:
    """A command as a RESP array of bulk strings: what the AOF and the replication stream hold."""
    try:
        return pack_command(tuple(argv))  # hiredis, in C: a write propagated to replicas pays this per command
    except TypeError:  # an argument that is a bytearray
        return b"".join([b"*%d\r\n" % len(argv), *[b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in argv]])


def format_double(value: float) -> bytes:
    """Redis 7.0's double formatting: %.17g (inf, -inf and nan come out as Redis spells them)."""
    return b"%.17g" % value


def sanitize_error(message: bytes) -> bytes:
    # Redis never lets a newline into an error line: it would desynchronise the client.
    return message.replace(b"\r", b" ").replace(b"\n", b" ")


def _bulk(value: bytes) -> bytes:
    length = len(value)
    if length < 1024:  # two concatenations cost less than the % formatting (GET's reply)
        return _BULK_LINES[length] + value + b"\r\n"
    return b"$%d\r\n%s\r\n" % (length, value)


def _int(value: int) -> bytes:
    if 0 <= value < 1024:
        return _SMALL_INTS[value]
    return b":%d\r\n" % value  # a dict with __missing__ measured slower (benchmarks/README.md)


class _StatusReplies(dict):
    """`+OK\r\n` by status: a handful of constants (OK, PONG, QUEUED ...) encoded once; scripts can return
    any status, so the table stops growing at 64."""

    def __missing__(self, value: bytes) -> bytes:
        encoded = b"+%s\r\n" % value
        if len(self) < 64:
            self[value] = encoded
        return encoded


_simple = _StatusReplies().__getitem__


def _error(value: bytes) -> bytes:
    return b"-%s\r\n" % sanitize_error(value)


class Encoder:
    """Encodes reply values for one protocol version (2 or 3)."""

    def __init__(self, resp3: bool):
        self.resp3 = resp3
        self.null = b"_\r\n" if resp3 else b"$-1\r\n"
        self.null_array = b"_\r\n" if resp3 else b"*-1\r\n"
        # a reply's exact class -> its encoding function (each takes values of its own class)
        self.by_type: dict[type, Callable[[Any], bytes]] = {
            bytes: _bulk,
            int: _int,
            bool: self._bool,
            SimpleString: _simple,
            ErrorReply: _error,
            list: self._array,
            tuple: self._array,
            SetReply: self._set,
            Push: self._push,
            dict: self._map,
            float: self._double,
            HumanDouble: self._human_double,
            Verbatim: self._verbatim,
            NullArray: self._null_array,
            Encoded: bytes,
            Replies: self._items,
            type(None): self._null,
        }

    def encode(self, value) -> bytes:
        return self.by_type[type(value)](value)

    def encode_error(self, error: CommandError) -> bytes:
        return _error(error.message)

    def _null(self, _value) -> bytes:
        return self.null

    def _null_array(self, _value) -> bytes:
        return self.null_array

    def _bool(self, value: bool) -> bytes:
        if self.resp3:
            return b"#t\r\n" if value else b"#f\r\n"
        return _SMALL_INTS[int(value)]

    def _items(self, values) -> bytes:
        by_type = self.by_type
        return b"".join([by_type[type(v)](v) for v in values])

    def _array(self, values) -> bytes:
        count = len(values)
        if count > 4 and set(map(type, values)) == _ONLY_BYTES:
            # LRANGE & co.: length headers from a table and one join, instead of a call per element.
            parts = [b""] * (2 * count)
            try:
                parts[0::2] = [_BULK_HEADS[len(value)] for value in values]
            except IndexError:
                parts[0::2] = [b"$%d" % len(value) for value in values]
            parts[1::2] = values
            return b"*%d\r\n%s\r\n" % (count, b"\r\n".join(parts))
        return b"*%d\r\n%s" % (count, self._items(values))

    def _set(self, values) -> bytes:
        return b"%c%d\r\n%s" % (126 if self.resp3 else 42, len(values), self._items(values))

    def _push(self, values) -> bytes:
        return b"%c%d\r\n%s" % (62 if self.resp3 else 42, len(values), self._items(values))

    def _map(self, mapping: dict) -> bytes:
        flat = [item for pair in mapping.items() for item in pair]
        if self.resp3:
            return b"%%%d\r\n%s" % (len(mapping), self._items(flat))
        return b"*%d\r\n%s" % (len(flat), self._items(flat))

    def _double(self, value: float) -> bytes:
        text = format_double(value)
        if self.resp3:
            return b",%s\r\n" % text
        return _bulk(text)

    def _human_double(self, value: bytes) -> bytes:
        return b",%s\r\n" % value if self.resp3 else _bulk(value)

    def _verbatim(self, value: bytes) -> bytes:
        if self.resp3:
            return b"=%d\r\ntxt:%s\r\n" % (len(value) + 4, value)
        return _bulk(value)


RESP2 = Encoder(resp3=False)
RESP3 = Encoder(resp3=True)
