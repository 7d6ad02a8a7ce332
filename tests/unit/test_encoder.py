"""Reply encoding: the array fast path must produce exactly what encoding element by element produces."""

import random

import pytest

from redislite.protocol.encoder import RESP2, RESP3
from redislite.protocol.values import ErrorReply, SimpleString


def bulk(value: bytes) -> bytes:
    return b"$%d\r\n%s\r\n" % (len(value), value)


@pytest.mark.parametrize("count", [0, 1, 4, 5, 100])
@pytest.mark.parametrize("with_long_element", [False, True])
def test_an_array_of_bulk_strings_encodes_element_by_element(count, with_long_element):
    rng = random.Random(count)
    values = [bytes(rng.randrange(256) for _ in range(rng.randrange(40))) for _ in range(count)]
    if with_long_element and values:
        values[-1] = b"\r\n" * 1500  # longer than the header table
    expected = b"*%d\r\n" % count + b"".join(bulk(v) for v in values)
    assert RESP2.encode(values) == expected
    assert RESP3.encode(values) == expected


def test_status_and_error_values_inside_an_array_keep_their_types():
    values = [b"a", SimpleString(b"OK"), b"b", ErrorReply(b"ERR no"), b"c", b"d"]
    assert RESP2.encode(values) == b"*6\r\n$1\r\na\r\n+OK\r\n$1\r\nb\r\n-ERR no\r\n$1\r\nc\r\n$1\r\nd\r\n"


def test_resp3_doubles_maps_and_nulls_differ_from_resp2():
    assert RESP3.encode(1.5) == b",1.5\r\n" and RESP2.encode(1.5) == b"$3\r\n1.5\r\n"
    assert RESP3.encode({b"k": 1}) == b"%1\r\n$1\r\nk\r\n:1\r\n"
    assert RESP2.encode({b"k": 1}) == b"*2\r\n$1\r\nk\r\n:1\r\n"
    assert RESP3.encode(None) == b"_\r\n" and RESP2.encode(None) == b"$-1\r\n"
