"""The HyperLogLog storage: MurmurHash64A, register/rank, the dense 6-bit packing, the sparse decoder, the
register merge and Ertl's estimator, checked on examples, against plain-Python models and for accuracy."""

import random

import pytest

from redislite.storage import hyperloglog as hll


def model_registers(packed: bytes) -> bytearray:
    """hllDenseGetRegister, one register at a time, the obvious way."""
    registers = bytearray(hll.REGISTERS)
    padded = packed + b"\0"
    for index in range(hll.REGISTERS):
        bit = index * 6
        byte, shift = bit >> 3, bit & 7
        registers[index] = ((padded[byte] >> shift) | (padded[byte + 1] << (8 - shift))) & 63
    return registers


def add_all(elements) -> bytearray:
    value = bytearray(hll.EMPTY)
    for element in elements:
        hll.add_to_dense(value, element)
    return value


def test_murmurhash64a_is_64_bit_and_uses_every_tail_length():
    # Agreement with Redis's C code is checked through the counts below and PFDEBUG GETREG in integration.
    assert hll.murmurhash64a(b"abcdefgh") == 0xF3A65DF559914567
    hashes = {hll.murmurhash64a(b"abcdefghijklmnop"[:n]) for n in range(17)}
    assert len(hashes) == 17 and all(0 <= h < 2**64 for h in hashes)


def test_rank_is_one_plus_trailing_zeros_and_at_most_51():
    for element in (b"a", b"b", b"hello", b"12345"):
        index, rank = hll.register_and_rank(element)
        rest = hll.murmurhash64a(element) >> hll.P
        expected = 1
        while rest & 1 == 0 and expected <= hll.Q:
            expected += 1
            rest >>= 1
        assert 0 <= index < hll.REGISTERS and rank == min(expected, hll.Q + 1)


def test_dense_packing_round_trips_and_matches_the_per_register_model():
    rng = random.Random(7)
    registers = bytearray(rng.randrange(64) for _ in range(hll.REGISTERS))
    packed = hll.encode_dense(registers)
    assert len(packed) == 12288
    assert hll.decode_dense(packed) == registers == model_registers(packed)


def test_add_to_dense_writes_the_register_the_model_reads_back():
    value = add_all(b"element:%d" % i for i in range(5000))
    registers = hll.registers_of(bytes(value))
    assert registers == model_registers(bytes(value[hll.HEADER_SIZE :]))
    for i in range(5000):
        index, rank = hll.register_and_rank(b"element:%d" % i)
        assert registers[index] >= rank


def test_add_reports_a_change_only_when_a_register_grows():
    value = bytearray(hll.EMPTY)
    assert hll.add_to_dense(value, b"x") is True
    assert hll.add_to_dense(value, b"x") is False


def test_empty_hll_counts_zero_and_small_sets_count_exactly():
    assert hll.count_registers(bytes(hll.REGISTERS)) == 0
    for n in (1, 2, 10, 100):
        assert hll.count_registers(hll.registers_of(bytes(add_all(b"%d" % i for i in range(n))))) == n


@pytest.mark.parametrize("n, redis_count", [(1000, 1001), (100_000, 99562)])
def test_counts_equal_redis_7_for_the_same_integers(n, redis_count):
    # Redis 7.0.15: PFADD h 1 2 ... n ; PFCOUNT h
    registers = hll.registers_of(bytes(add_all(b"%d" % i for i in range(1, n + 1))))
    assert hll.count_registers(registers) == redis_count


def test_standard_error_is_within_two_percent_for_100000_elements():
    registers = hll.registers_of(bytes(add_all(b"user:%d" % i for i in range(100_000))))
    assert abs(hll.count_registers(registers) - 100_000) / 100_000 < 0.02


def test_merge_is_the_register_wise_maximum():
    rng = random.Random(3)
    a = bytearray(rng.randrange(52) for _ in range(hll.REGISTERS))
    b = bytearray(rng.randrange(52) for _ in range(hll.REGISTERS))
    assert hll.merge_registers(bytearray(a), b) == bytearray(map(max, a, b))
    assert hll.merge_registers(bytearray(hll.REGISTERS), b) == b


def test_sparse_opcodes_decode_and_bad_runs_are_corrupt():
    # XZERO of 16383 registers... then VAL 3 x1: 01111111 11111110, 1 00010 00
    sparse = bytes((0x7F, 0xFE, 0b10001000))
    registers = hll.decode_sparse(sparse)
    assert registers[-1] == 3 and not any(registers[:-1])
    with pytest.raises(hll.CorruptedHLL):
        hll.decode_sparse(bytes((0x7F, 0xFE)))  # one register short
    with pytest.raises(hll.CorruptedHLL):
        hll.decode_sparse(bytes((0x7F, 0xFF, 0x00)))  # one too many


def test_is_hll_checks_magic_encoding_and_dense_size():
    assert hll.is_hll(hll.EMPTY)
    assert not hll.is_hll(b"HYLL")
    assert not hll.is_hll(hll.EMPTY[:-1])
    assert not hll.is_hll(b"HYLX" + hll.EMPTY[4:])
    assert not hll.is_hll(hll.EMPTY[:4] + b"\x02" + hll.EMPTY[5:])


def test_cached_count_is_stale_after_marking_and_readable_after_writing():
    assert hll.cached_count(hll.EMPTY) == 0
    stale = hll.dense_value(bytes(hll.REGISTERS))
    assert hll.cached_count(stale) is None
    assert hll.cached_count(hll.with_cached_count(stale, 1234)) == 1234
