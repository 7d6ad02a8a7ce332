"""The HyperLogLog storage: MurmurHash64A, register/rank, the dense 6-bit packing, the sparse decoder, changes
to the sparse encoding and the promotion to dense, the register merge and Ertl's estimator, checked on examples,
against plain-Python models and for accuracy. (tests/differential/test_hyperloglog_encoding.py checks the bytes
against a real redis-server.)"""

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


EMPTY_DENSE = b"HYLL" + bytes(12) + bytes(12288)


def add_all(elements) -> bytearray:
    sketch = hll.HyperLogLog(EMPTY_DENSE)
    for element in elements:
        sketch.add(element, 3000)
    return bytearray(sketch.value())


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


def test_dense_set_writes_the_register_the_model_reads_back():
    value = add_all(b"element:%d" % i for i in range(5000))
    registers = hll.registers_of(bytes(value))
    assert registers == model_registers(bytes(value[hll.HEADER_SIZE :]))
    for i in range(5000):
        index, rank = hll.register_and_rank(b"element:%d" % i)
        assert registers[index] >= rank


def test_add_reports_a_change_only_when_a_register_grows():
    for empty in (EMPTY_DENSE, hll.EMPTY):
        sketch = hll.HyperLogLog(empty)
        assert sketch.add(b"x", 3000) is True
        assert sketch.add(b"x", 3000) is False


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
    assert hll.is_hll(hll.EMPTY) and hll.is_hll(EMPTY_DENSE)
    assert not hll.is_hll(b"HYLL")
    assert not hll.is_hll(EMPTY_DENSE[:-1])
    assert hll.is_hll(hll.EMPTY[:-1])  # a sparse value's length is not checked (its opcodes are, when read)
    assert not hll.is_hll(b"HYLX" + hll.EMPTY[4:])
    assert not hll.is_hll(hll.EMPTY[:4] + b"\x02" + hll.EMPTY[5:])


def test_cached_count_is_stale_after_marking_and_readable_after_writing():
    assert hll.cached_count(hll.EMPTY) == 0
    sketch = hll.HyperLogLog(hll.EMPTY)
    sketch.invalidate_cache()
    stale = sketch.value()
    assert hll.cached_count(stale) is None
    assert hll.cached_count(hll.with_cached_count(stale, 1234)) == 1234


# -- the sparse encoding: hllSparseSet, byte for byte -----------------------------------------------------


def opcodes(sketch: hll.HyperLogLog) -> bytes:
    return sketch.value()[hll.HEADER_SIZE :]


def test_a_new_hll_is_sparse_with_one_xzero_of_every_register():
    assert b"HYLL\x01" + bytes(11) + b"\x7f\xff" == hll.EMPTY
    assert hll.registers_of(hll.EMPTY) == bytes(hll.REGISTERS)


def test_setting_a_register_splits_the_zero_run_into_zero_val_zero():
    sketch = hll.HyperLogLog(hll.EMPTY)
    assert sketch.set(100, 3, 3000)
    # XZERO of 100, VAL 3 x1, XZERO of 16283
    assert opcodes(sketch) == bytes((0x40, 99, 0x88, 0x40 | (16282 >> 8), 16282 & 0xFF))
    assert sketch.set(40, 1, 3000)  # a run of 64 or fewer zeros is a one-byte ZERO: 40, VAL 1, 59
    assert opcodes(sketch)[:4] == bytes((39, 0x80, 58, 0x88))
    assert not sketch.set(100, 2, 3000)  # lower than the register: nothing changes
    assert hll.cached_count(sketch.value()) is None  # a change marks the cached count stale


def test_adjacent_vals_of_one_value_merge_up_to_four_registers():
    sketch = hll.HyperLogLog(hll.EMPTY)
    for index in (0, 1, 2, 3, 4):
        sketch.set(index, 2, 3000)
    assert opcodes(sketch) == bytes((0x87, 0x84, 0x40 | (16378 >> 8), 16378 & 0xFF))  # VAL 2 x4, VAL 2 x1
    registers = hll.registers_of(sketch.value())
    assert registers[:6] == bytes((2, 2, 2, 2, 2, 0))


def test_raising_one_register_of_a_val_run_splits_it():
    sketch = hll.HyperLogLog(hll.EMPTY)
    for index in (0, 1, 2):
        sketch.set(index, 2, 3000)
    sketch.set(1, 5, 3000)
    assert opcodes(sketch)[:3] == bytes((0x84, 0x90, 0x84))  # VAL 2, VAL 5, VAL 2


def test_growing_past_the_size_limit_promotes_to_dense_keeping_the_header():
    header = b"HYLL\x01\x07\x08\x09" + (42).to_bytes(8, "little")
    sketch = hll.HyperLogLog(header + b"\x7f\xff")
    assert sketch.set(5000, 1, 21)  # 21 bytes fit: XZERO VAL XZERO
    assert len(sketch.value()) == 21
    assert sketch.set(9000, 1, 21)
    value = sketch.value()
    assert len(value) == hll.DENSE_SIZE and value[4] == hll.DENSE
    assert value[5:8] == b"\x07\x08\x09" and value[15] & hll.STALE_CACHE
    registers = hll.registers_of(value)
    assert registers[5000] == registers[9000] == 1 and sum(registers) == 2


def test_a_register_above_32_promotes_to_dense():
    sketch = hll.HyperLogLog(hll.EMPTY)
    assert sketch.set(7, 32, 3000) and sketch.value()[4] == hll.SPARSE
    assert sketch.set(8, 33, 3000) and sketch.value()[4] == hll.DENSE


def test_a_change_past_the_end_of_a_short_sparse_value_is_corrupt():
    short = b"HYLL\x01" + bytes(11) + b"\x7f\xfe"  # 16383 registers
    sketch = hll.HyperLogLog(short)
    assert sketch.set(0, 1, 3000)  # Redis only walks the opcodes up to the register
    with pytest.raises(hll.CorruptedHLL):
        sketch.set(16383, 1, 3000)
    with pytest.raises(hll.CorruptedHLL):
        sketch.set(0, 40, 3000)  # a promotion reads them all


def test_pfmerge_sets_registers_in_order_and_promotes_halfway_when_full():
    registers = bytearray(hll.REGISTERS)
    registers[0:3000:3] = b"\x01" * 1000
    small = hll.HyperLogLog(hll.EMPTY)
    small.raise_registers(registers, 100_000)
    assert small.value()[4] == hll.SPARSE and hll.registers_of(small.value()) == registers
    full = hll.HyperLogLog(hll.EMPTY)
    full.raise_registers(registers, 300)
    assert full.value()[4] == hll.DENSE and hll.registers_of(full.value()) == registers


def test_a_truncated_last_xzero_reads_its_missing_byte_as_zero():
    # XZERO of 16383 registers, then a one-byte XZERO cut short: 0x40 and the 0 C reads past the end = 1 register
    assert hll.decode_sparse(bytes((0x7F, 0xFE, 0x40))) == bytes(hll.REGISTERS)
