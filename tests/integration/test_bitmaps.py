"""Bitmap commands against the RedisLite server process over redis-py; exact replies and errors are compared
with a real redis-server (the `oracle` fixture) where Redis's output is the specification."""

import pytest
import redis

from ..servers import reply


def assert_same_replies(lite, o, commands):
    for command in commands:
        assert reply(lite, *command) == reply(o, *command), command


def test_setbit_returns_the_old_bit_and_grows_the_string_with_zeros(r):
    assert r.setbit("k", 7, 1) == 0
    assert r.setbit("k", 7, 0) == 1
    assert r.setbit("k", 17, 1) == 0
    assert r.get("k") == b"\x00\x00\x40"
    assert r.getbit("k", 17) == 1 and r.getbit("k", 1000) == 0 and r.getbit("missing", 3) == 0


def test_setbit_keeps_the_ttl(r):
    r.set("k", "a", ex=100)
    r.setbit("k", 0, 1)
    assert 0 < r.ttl("k") <= 100


def test_setbit_offset_at_the_512mb_limit_is_refused(r):
    with pytest.raises(redis.ResponseError, match="^bit offset is not an integer or out of range$"):
        r.setbit("k", 2**32, 1)
    with pytest.raises(redis.ResponseError, match="^bit is not an integer or out of range$"):
        r.execute_command("SETBIT", "k", 0, 2)
    assert r.exists("k") == 0


def test_setbit_against_a_list_is_wrongtype(r):
    r.rpush("l", "a")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        r.setbit("l", 0, 1)


def test_bitcount_bytes_and_bits_with_negative_ranges(r):
    r.set("k", "foobar")
    assert r.bitcount("k") == 26
    assert r.bitcount("k", 0, 0) == 4 and r.bitcount("k", 1, 1) == 6
    assert r.bitcount("k", 1, 1, "BYTE") == 6
    assert r.bitcount("k", 5, 30, "BIT") == 17
    assert r.bitcount("k", -2, -1) == 7
    assert r.bitcount("missing") == 0


def test_bitpos_finds_set_and_clear_bits(r):
    r.set("k", b"\xff\xf0\x00")
    assert r.bitpos("k", 0) == 12
    assert r.bitpos("k", 1, 2, -1, "BYTE") == -1
    assert r.bitpos("k", 0, 2, -1, "BYTE") == 16
    assert r.bitpos("k", 1, 7, 15, "BIT") == 7
    r.set("ones", b"\xff\xff")
    assert r.bitpos("ones", 0) == 16  # no end: zeros beyond the string
    assert r.bitpos("ones", 0, 0, -1) == -1  # an explicit end: nothing found
    assert r.bitpos("missing", 0) == 0 and r.bitpos("missing", 1) == -1


def test_bitop_pads_shorter_strings_and_deletes_on_empty_result(r):
    r.set("a", b"\xff\x0f")
    r.set("b", b"\x0f")
    assert r.bitop("AND", "dest", "a", "b") == 2 and r.get("dest") == b"\x0f\x00"
    assert r.bitop("OR", "dest", "a", "b") == 2 and r.get("dest") == b"\xff\x0f"
    assert r.bitop("XOR", "dest", "a", "b") == 2 and r.get("dest") == b"\xf0\x0f"
    assert r.bitop("NOT", "dest", "a") == 2 and r.get("dest") == b"\x00\xf0"
    assert r.bitop("AND", "dest", "nothing", "nada") == 0 and r.exists("dest") == 0


def test_bitop_on_megabyte_strings_is_fast_and_right(r):
    size = 4 << 20
    r.setbit("a", size * 8 - 1, 1)
    r.setbit("b", 0, 1)
    assert r.bitop("OR", "dest", "a", "b") == size
    assert r.bitcount("dest") == 2
    assert r.bitpos("dest", 1, 1) == size * 8 - 1


def test_bitfield_get_set_incrby_and_overflow_modes(r):
    assert r.execute_command("BITFIELD", "k", "SET", "u8", "0", "200", "GET", "u8", "0") == [0, 200]
    assert r.execute_command("BITFIELD", "k", "INCRBY", "u8", "0", "100") == [44]
    assert r.execute_command("BITFIELD", "k", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "300") == [255]
    assert r.execute_command("BITFIELD", "k", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "1") == [None]
    assert r.execute_command("BITFIELD", "k", "SET", "i8", "#1", "-5", "GET", "i8", "8", "GET", "u8", "#1") == [
        0,
        -5,
        251,
    ]
    assert r.execute_command("BITFIELD_RO", "k", "GET", "u8", "0") == [255]
    assert r.execute_command("BITFIELD", "missing", "GET", "i64", "0") == [0]
    assert r.exists("missing") == 0


def test_bitfield_errors_match_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["BITFIELD", "k", "GET", "u64", "0"],
            ["BITFIELD", "k", "GET", "I8", "0"],
            ["BITFIELD", "k", "FOO"],
            ["BITFIELD", "k", "OVERFLOW", "MAYBE"],
            ["BITFIELD", "k", "GET", "u8"],
            ["BITFIELD", "k", "SET", "u8", "0", "x"],
            ["BITFIELD_RO", "k", "SET", "u8", "0", "1"],
            ["BITFIELD", "k", "GET", "u8", "#-1"],
            ["BITFIELD", "k", "OVERFLOW", "SAT", "SET", "i8", "0", "-9223372036854775808", "GET", "i8", "0"],
            ["BITFIELD", "k", "SET", "u8", "8", "-1", "GET", "u8", "8"],
            ["GET", "k"],
        ],
    )


def test_bitmap_errors_and_edge_replies_match_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "s", "foobar"],
            ["BITCOUNT", "s", "1"],
            ["BITCOUNT", "s", "0", "1", "bits"],
            ["BITCOUNT", "s", "-2", "-10", "nonsense"],
            ["BITCOUNT", "nokey", "a", "b"],
            ["BITPOS", "s", "2"],
            ["BITPOS", "nokey", "1", "abc"],
            ["BITPOS", "s", "0", "0", "a", "foo"],
            ["BITPOS", "s", "1", "-1", "-2", "BIT"],
            ["BITOP", "NOT", "d", "s", "s"],
            ["BITOP", "NAND", "d", "s"],
            ["SETBIT", "s", "-1", "1"],
            ["SETBIT", "s", "4294967296", "1"],
            ["GETBIT", "s", "#1"],
            ["BITCOUNT", "s", "0", "-1", "BIT"],
        ],
    )
