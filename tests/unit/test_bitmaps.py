"""Bitmap helpers: bit-range search, bitfield reads and writes, and the overflow rules of BITFIELD, against
plain-Python models over random strings."""

import random

import pytest

from redislite.commands.bitmaps import (
    UINT64_MASK,
    first_bit,
    read_field,
    signed_overflow,
    unsigned_overflow,
    write_field,
)


def bits_of(value: bytes) -> str:
    return "".join(f"{byte:08b}" for byte in value)


def model_first_bit(value: bytes, bit: int, start: int, end: int) -> int:
    return bits_of(value).find(str(bit), start, end + 1)


def test_first_bit_matches_a_string_search_on_random_ranges():
    rng = random.Random(11)
    for _ in range(500):
        fill = rng.choice([b"\x00", b"\xff", b"\x0f"])
        value = bytearray(fill * rng.randint(1, 60))
        for _ in range(rng.randint(0, 2)):
            value[rng.randrange(len(value))] = rng.randrange(256)
        value = bytes(value)
        start = rng.randrange(len(value) * 8)
        end = rng.randrange(start, len(value) * 8)
        for bit in (0, 1):
            assert first_bit(value, bit, start, end) == model_first_bit(value, bit, start, end)


def test_first_bit_on_a_long_zero_run_finds_the_single_set_bit():
    value = bytes(1 << 20) + b"\x01" + bytes(100)
    assert first_bit(value, 1, 0, len(value) * 8 - 1) == (1 << 23) + 7
    assert first_bit(value, 0, 0, len(value) * 8 - 1) == 0


@pytest.mark.parametrize("signed", [False, True])
def test_read_field_matches_the_bit_string_model(signed):
    rng = random.Random(5)
    value = bytes(rng.randrange(256) for _ in range(20))
    for _ in range(300):
        bits = rng.randint(1, 64 if signed else 63)
        offset = rng.randrange(0, 200)
        text = (bits_of(value) + "0" * 300)[offset : offset + bits]
        expected = int(text, 2)
        if signed and text[0] == "1":
            expected -= 1 << bits
        assert read_field(value, offset, bits, signed) == expected


def test_write_field_changes_only_its_bits():
    rng = random.Random(9)
    for _ in range(200):
        buffer = bytearray(rng.randrange(256) for _ in range(16))
        before = bits_of(buffer)
        bits, offset = rng.randint(1, 64), rng.randrange(0, 64)
        number = rng.randrange(-(2**63), 2**64)
        write_field(buffer, offset, bits, number)
        after = bits_of(buffer)
        assert after[:offset] == before[:offset] and after[offset + bits :] == before[offset + bits :]
        assert after[offset : offset + bits] == format(number & ((1 << bits) - 1), f"0{bits}b")


def test_unsigned_overflow_wraps_saturates_and_reports_direction():
    assert unsigned_overflow(250, 10, 8, b"WRAP") == (1, 4)
    assert unsigned_overflow(250, 10, 8, b"SAT") == (1, 255)
    assert unsigned_overflow(5, -10, 8, b"WRAP") == (-1, 251)
    assert unsigned_overflow(5, -10, 8, b"SAT") == (-1, 0)
    assert unsigned_overflow(5, 10, 8, b"FAIL") == (0, 15)
    # SET u8 -1: the uint64 pattern is above the maximum, so SAT gives the maximum, WRAP the low bits.
    assert unsigned_overflow(-1 & UINT64_MASK, 0, 8, b"SAT") == (1, 255)
    assert unsigned_overflow(-1 & UINT64_MASK, 0, 8, b"WRAP") == (1, 255)


def test_signed_overflow_follows_redis_int64_arithmetic():
    assert signed_overflow(120, 10, 8, b"WRAP") == (1, -126)
    assert signed_overflow(120, 10, 8, b"SAT") == (1, 127)
    assert signed_overflow(-120, -10, 8, b"SAT") == (-1, -128)
    assert signed_overflow(-120, -10, 8, b"WRAP") == (-1, 126)
    assert signed_overflow(2**63 - 1, 1, 64, b"WRAP") == (1, -(2**63))
    assert signed_overflow(5, 0, 64, b"SAT") == (0, 5)
    # Redis computes max - value in int64: for INT64_MIN that wraps, and SET i8 INT64_MIN saturates *up*.
    assert signed_overflow(-(2**63), 0, 8, b"SAT") == (1, 127)
