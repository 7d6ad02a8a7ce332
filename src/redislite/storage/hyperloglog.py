"""HyperLogLog values in Redis's own byte layout (hyperloglog.c), so counts equal Redis's for the same inputs.

A value is a string: a 16-byte header ("HYLL", encoding byte, 3 unused bytes, 8-byte little-endian cached
cardinality whose top bit marks it stale) followed by the registers. RedisLite always writes the dense
encoding: 16384 six-bit registers packed least-significant-bit first (12288 bytes). The sparse encoding Redis
writes for small sets is read (a value restored from Redis) and turned dense on the first write.

Registers are decoded to one byte each with translate tables and strided slices, so a count or a merge is a
handful of C-speed passes over 12 KB, never a Python loop over 16384 registers.
"""

import math

P = 14  # HLL_P: register index bits
Q = 64 - P  # HLL_Q: bits left for the run of zeros
REGISTERS = 1 << P  # HLL_REGISTERS
REGISTER_MASK = REGISTERS - 1
HEADER_SIZE = 16
DENSE, SPARSE = 0, 1
DENSE_SIZE = HEADER_SIZE + (REGISTERS * 6 + 7) // 8  # HLL_DENSE_SIZE, 12304
ALPHA_INF = 0.721347520444481703680  # HLL_ALPHA_INF, 1 / (2 ln 2)
STALE_CACHE = 0x80  # the top bit of the cached cardinality's last byte

MAGIC = b"HYLL"
MURMUR_M = 0xC6A4A7935BD1E995
MURMUR_SEED = 0xADC83B19
UINT64 = 2**64 - 1


class CorruptedHLL(Exception):
    """A sparse value whose opcodes do not describe exactly 16384 registers (Redis's INVALIDOBJ)."""


def murmurhash64a(data: bytes, seed: int = MURMUR_SEED) -> int:
    """MurmurHash64A as hyperloglog.c has it (little-endian 8-byte blocks)."""
    m = MURMUR_M
    length = len(data)
    h = (seed ^ (length * m)) & UINT64
    blocks = length - (length & 7)
    for pos in range(0, blocks, 8):
        k = (int.from_bytes(data[pos : pos + 8], "little") * m) & UINT64
        k ^= k >> 47
        k = (k * m) & UINT64
        h ^= k
        h = (h * m) & UINT64
    if length & 7:
        h ^= int.from_bytes(data[blocks:], "little")
        h = (h * m) & UINT64
    h ^= h >> 47
    h = (h * m) & UINT64
    return h ^ (h >> 47)


def register_and_rank(element: bytes) -> tuple[int, int]:
    """hllPatLen: the register index (low 14 bits of the hash) and the rank, 1 + the number of trailing
    zeros of the remaining 50 bits (at most 51)."""
    hashed = murmurhash64a(element)
    rest = (hashed >> P) | (1 << Q)
    return hashed & REGISTER_MASK, (rest & -rest).bit_length()


# -- dense registers <-> one byte per register ---------------------------------------------------------------
# Four 6-bit registers fill three bytes a, b, c:  r0 = a & 63, r1 = a >> 6 | (b & 15) << 2,
# r2 = b >> 4 | (c & 3) << 4, r3 = c >> 2.


def _table(function) -> bytes:
    return bytes(function(byte) & 0xFF for byte in range(256))


_A_R0, _A_R1 = _table(lambda a: a & 63), _table(lambda a: a >> 6)
_B_R1, _B_R2 = _table(lambda b: (b & 15) << 2), _table(lambda b: b >> 4)
_C_R2, _C_R3 = _table(lambda c: (c & 3) << 4), _table(lambda c: c >> 2)
_R0_A, _R1_A = _table(lambda r: r & 63), _table(lambda r: (r & 3) << 6)
_R1_B, _R2_B = _table(lambda r: (r & 63) >> 2), _table(lambda r: (r & 15) << 4)
_R2_C, _R3_C = _table(lambda r: (r & 63) >> 4), _table(lambda r: (r & 63) << 2)


def _or(x: bytes, y: bytes) -> bytes:
    """Bytewise OR of two equal-length strings, through big integers."""
    return (int.from_bytes(x, "big") | int.from_bytes(y, "big")).to_bytes(len(x), "big")


def decode_dense(packed: bytes) -> bytearray:
    """12288 bytes of packed registers -> 16384 bytes, one register each."""
    a, b, c = packed[0::3], packed[1::3], packed[2::3]
    registers = bytearray(REGISTERS)
    registers[0::4] = a.translate(_A_R0)
    registers[1::4] = _or(a.translate(_A_R1), b.translate(_B_R1))
    registers[2::4] = _or(b.translate(_B_R2), c.translate(_C_R2))
    registers[3::4] = c.translate(_C_R3)
    return registers


def encode_dense(registers: bytes | bytearray) -> bytes:
    """One byte per register -> 12288 packed bytes."""
    r0, r1, r2, r3 = (bytes(registers[i::4]) for i in range(4))
    packed = bytearray(REGISTERS * 6 // 8)
    packed[0::3] = _or(r0.translate(_R0_A), r1.translate(_R1_A))
    packed[1::3] = _or(r1.translate(_R1_B), r2.translate(_R2_B))
    packed[2::3] = _or(r2.translate(_R2_C), r3.translate(_R3_C))
    return bytes(packed)


def decode_sparse(data: bytes) -> bytearray:
    """The sparse opcodes (ZERO 00xxxxxx, XZERO 01xxxxxx yyyyyyyy, VAL 1vvvvvxx) -> one byte per register."""
    registers = bytearray(REGISTERS)
    index, pos, end = 0, 0, len(data)
    while pos < end:
        opcode = data[pos]
        if opcode & 0x80:  # VAL
            run, value = (opcode & 3) + 1, ((opcode >> 2) & 31) + 1
            if index + run > REGISTERS:
                raise CorruptedHLL
            registers[index : index + run] = bytes((value,)) * run
            pos += 1
        elif opcode & 0x40:  # XZERO
            if pos + 1 >= end:
                raise CorruptedHLL
            run = (((opcode & 63) << 8) | data[pos + 1]) + 1
            pos += 2
        else:  # ZERO
            run = (opcode & 63) + 1
            pos += 1
        index += run
        if index > REGISTERS:
            raise CorruptedHLL
    if index != REGISTERS:
        raise CorruptedHLL
    return registers


def is_hll(value: bytes) -> bool:
    """isHLLObjectOrReply's checks: header, magic, a known encoding, and the exact dense size."""
    if len(value) < HEADER_SIZE or value[:4] != MAGIC or value[4] > SPARSE:
        return False
    return value[4] != DENSE or len(value) == DENSE_SIZE


def registers_of(value: bytes) -> bytearray:
    """One byte per register of a valid HLL value (dense or sparse)."""
    if value[4] == DENSE:
        return decode_dense(value[HEADER_SIZE:])
    return decode_sparse(value[HEADER_SIZE:])


def dense_value(registers: bytes | bytearray, cached: int | None = None) -> bytes:
    """A dense HLL value; `cached` is the cardinality to cache, None for a stale cache."""
    card = (cached if cached is not None else 0).to_bytes(8, "little")
    if cached is None:
        card = card[:7] + bytes((STALE_CACHE,))
    return MAGIC + bytes((DENSE, 0, 0, 0)) + card + encode_dense(registers)


EMPTY = dense_value(bytes(REGISTERS), 0)


def cached_count(value: bytes) -> int | None:
    """The cached cardinality, or None when PFADD/PFMERGE marked it stale."""
    if value[15] & STALE_CACHE:
        return None
    return int.from_bytes(value[8:16], "little")


def with_cached_count(value: bytes, count: int) -> bytes:
    return value[:8] + count.to_bytes(8, "little") + value[16:]


def add_to_dense(value: bytearray, element: bytes) -> bool:
    """hllDenseAdd on a dense value held in a bytearray: True when the register grew."""
    index, rank = register_and_rank(element)
    bit = index * 6
    byte, shift = HEADER_SIZE + (bit >> 3), bit & 7
    low = value[byte]
    high = value[byte + 1] if byte + 1 < len(value) else 0
    current = ((low >> shift) | (high << (8 - shift))) & 63
    if rank <= current:
        return False
    value[byte] = (low & ~(63 << shift) & 0xFF) | ((rank << shift) & 0xFF)
    if shift > 2:  # the register spills into the next byte
        value[byte + 1] = (high & ~(63 >> (8 - shift)) & 0xFF) | (rank >> (8 - shift))
    return True


def merge_registers(target: bytearray, other: bytes | bytearray) -> bytearray:
    """Register-wise maximum (hllMerge)."""
    if not any(other):
        return target
    if not any(target):
        return bytearray(other)
    # SWAR over one big integer with a byte lane per register (values < 64): lane = 0x80 + a - b never
    # borrows from its neighbour, and its top bit says a >= b.
    a, b = int.from_bytes(target, "big"), int.from_bytes(other, "big")
    a_wins = ((((a | _LANE_HIGH) - b) & _LANE_HIGH) >> 7) * 0xFF
    return bytearray(((a & a_wins) | (b & ~a_wins & _LANE_ALL)).to_bytes(REGISTERS, "big"))


_LANE_HIGH = int.from_bytes(b"\x80" * REGISTERS, "big")
_LANE_ALL = (1 << (8 * REGISTERS)) - 1


# -- the estimator: Otmar Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" ----------


def _sigma(x: float) -> float:
    if x == 1.0:
        return math.inf
    y, z = 1.0, x
    while True:
        x *= x
        previous = z
        z += x * y
        y += y
        if previous == z:
            return z


def _tau(x: float) -> float:
    if x == 0.0 or x == 1.0:
        return 0.0
    y, z = 1.0, 1.0 - x
    while True:
        x = math.sqrt(x)
        previous = z
        y *= 0.5
        z -= (1.0 - x) ** 2 * y
        if previous == z:
            return z / 3.0


def count_registers(registers: bytes | bytearray) -> int:
    """hllCount over one byte per register; bit-for-bit the double arithmetic of Redis 7's estimator."""
    m = float(REGISTERS)
    histogram = [registers.count(value) for value in range(Q + 2)]
    z = m * _tau((m - histogram[Q + 1]) / m)
    for rank in range(Q, 0, -1):
        z += histogram[rank]
        z *= 0.5
    z += m * _sigma(histogram[0] / m)
    estimate = ALPHA_INF * m * m / z
    return _llround(estimate)


def _llround(x: float) -> int:
    """C's llround for a non-negative double: halves away from zero."""
    whole = math.floor(x)
    return whole + 1 if x - whole >= 0.5 else whole
