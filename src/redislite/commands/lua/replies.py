"""Reply values that only scripts produce: RESP3 big numbers, verbatim strings with any format, maps whose keys
Python cannot hash or that repeat (a Lua table converts to an exact list of pairs), and doubles whose NaN sign
Redis prints. Registered with both encoders here, next to the only code that creates them.

(When another command family needs one of these, it belongs in protocol/values.py instead.)
"""

import math

from ...protocol.encoder import RESP2, RESP3, format_double


class BigNumber(bytes):
    """`(` in RESP3; a bulk string in RESP2."""


class FormattedVerbatim(bytes):
    """A verbatim string with its own three-letter format (`=` in RESP3; a bulk string in RESP2)."""

    format: bytes = b"txt"

    @classmethod
    def of(cls, data: bytes, fmt: bytes) -> "FormattedVerbatim":
        value = cls(data)
        value.format = (fmt + b"\0\0\0")[:3] if len(fmt) < 3 else fmt[:3]
        return value


class PairsMap(list):
    """A map given as a list of (key, value) pairs (`%` in RESP3; a flat array in RESP2)."""


class ScriptDouble(float):
    """A double from a script's {double=...}: like float, but NaN keeps the sign glibc prints (-nan)."""


def _double_text(value: float) -> bytes:
    if math.isnan(value):
        return b"-nan" if math.copysign(1.0, value) < 0 else b"nan"
    return format_double(float(value))


def _bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


def _register(encoder) -> None:
    by_type = encoder.by_type
    resp3 = encoder.resp3

    def big_number(value):
        return b"(%s\r\n" % bytes(value) if resp3 else _bulk(bytes(value))

    def verbatim(value):
        if resp3:
            return b"=%d\r\n%s:%s\r\n" % (len(value) + 4, value.format, bytes(value))
        return _bulk(bytes(value))

    def pairs_map(value):
        flat = [item for pair in value for item in pair]
        items = b"".join([by_type[type(item)](item) for item in flat])
        if resp3:
            return b"%%%d\r\n%s" % (len(value), items)
        return b"*%d\r\n%s" % (len(flat), items)

    def double(value):
        text = _double_text(value)
        return b",%s\r\n" % text if resp3 else _bulk(text)

    by_type.setdefault(BigNumber, big_number)
    by_type.setdefault(FormattedVerbatim, verbatim)
    by_type.setdefault(PairsMap, pairs_map)
    by_type.setdefault(ScriptDouble, double)


_register(RESP2)
_register(RESP3)
