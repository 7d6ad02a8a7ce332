"""Argument parsing shared by every command family: Redis's strict number parsing and a small cursor."""

from .. import errors
from ..errors import CommandError

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def parse_int(raw: bytes) -> int | None:
    """Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, signed 64-bit range.
    Python's int() is laxer ('+1', ' 1', '1_0'), so the result must print back as the input."""
    if raw.isdigit() and len(raw) < 19 and (raw[0] != 48 or len(raw) == 1):  # the common case, in range
        return int(raw)
    if len(raw) > 20:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    if b"%d" % value != raw or not INT64_MIN <= value <= INT64_MAX:
        return None
    return value


def parse_float(raw: bytes) -> float | None:
    """Redis's strtold-based parsing: no surrounding spaces, no NaN; 'inf' and exponents accepted."""
    if not raw or raw[0] in b" \t\r\n\v\f" or raw[-1] in b" \t\r\n\v\f" or b"_" in raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return None if value != value else value


def to_int(raw: bytes, error: bytes = errors.NOT_INTEGER) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(error)
    return value


def to_float(raw: bytes, error: bytes = errors.NOT_FLOAT) -> float:
    value = parse_float(raw)
    if value is None:
        raise CommandError(error)
    return value


class ArgCursor:
    """Walks the optional arguments of a command: `while args.more(): match args.next_upper() ...`."""

    __slots__ = ("argv", "pos")

    def __init__(self, argv: list[bytes], start: int):
        self.argv = argv
        self.pos = start

    def more(self) -> bool:
        return self.pos < len(self.argv)

    def next_bytes(self) -> bytes:
        if self.pos >= len(self.argv):
            raise CommandError(errors.SYNTAX)
        value = self.argv[self.pos]
        self.pos += 1
        return value

    def next_upper(self) -> bytes:
        return self.next_bytes().upper()

    def next_int(self, error: bytes = errors.NOT_INTEGER) -> int:
        return to_int(self.next_bytes(), error)

    def next_float(self, error: bytes = errors.NOT_FLOAT) -> float:
        return to_float(self.next_bytes(), error)

    def rest(self) -> list[bytes]:
        values = self.argv[self.pos:]
        self.pos = len(self.argv)
        return values
