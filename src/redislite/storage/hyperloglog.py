"""HyperLogLog values in Redis's own byte layout (hyperloglog.c), byte for byte what Redis 7.0 holds after the
same commands, so GET, DUMP and a replica's copy agree with a real Redis.

A value is a string: a 16-byte header ("HYLL", encoding byte, 3 unused bytes, 8-byte little-endian cached
cardinality whose top bit marks it stale) followed by the registers in one of two encodings:

- sparse, what PFADD creates: run-length opcodes, ZERO 00xxxxxx (1..64 zero registers), XZERO 01xxxxxx yyyyyyyy
  (1..16384 zero registers) and VAL 1vvvvvxx (1..4 registers holding 1..32). A value stays sparse until a
  register would exceed 32 or the value would outgrow `hll-sparse-max-bytes`, then it is promoted to
- dense: 16384 six-bit registers packed least-significant-bit first (12288 bytes).

The sparse opcodes are not a function of the registers alone: how a run of non-zero registers is cut into VAL
opcodes depends on the order in which they were set, so `SparseRegisters.set` replays Redis's hllSparseSet step
by step (the split of the opcode holding the register, then the merge of equal neighbours within five opcodes).

Dense registers are decoded to one byte each with translate tables and strided slices, so a count or a merge is a
handful of C-speed passes over 12 KB, never a Python loop over 16384 registers.
"""

import math
from bisect import bisect_right
from collections.abc import Callable
from functools import partial

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
    """A sparse value whose opcodes do not describe exactly 16384 registers (Redis's INVALIDOBJ), found where
    Redis finds it: a count, a merge or a promotion reads them all, a change only up to its register."""


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
        elif opcode & 0x40:  # XZERO (cut short at the end, its second byte reads as C's terminator, 0)
            run = (((opcode & 63) << 8) | (data[pos + 1] if pos + 1 < end else 0)) + 1
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


EMPTY = MAGIC + bytes((SPARSE, 0, 0, 0)) + bytes(8) + bytes((0x7F, 0xFF))  # createHLLObject: one XZERO of 16384


def cached_count(value: bytes) -> int | None:
    """The cached cardinality, or None when PFADD/PFMERGE marked it stale."""
    if value[15] & STALE_CACHE:
        return None
    return int.from_bytes(value[8:16], "little")


def with_cached_count(value: bytes, count: int) -> bytes:
    return value[:8] + count.to_bytes(8, "little") + value[16:]


def dense_set(packed: bytearray, index: int, count: int) -> bool:
    """hllDenseSet on packed registers: raise register `index` to `count`; True when it grew."""
    bit = index * 6
    byte, shift = bit >> 3, bit & 7
    low = packed[byte]
    high = packed[byte + 1] if byte + 1 < len(packed) else 0
    current = ((low >> shift) | (high << (8 - shift))) & 63
    if count <= current:
        return False
    packed[byte] = (low & ~(63 << shift) & 0xFF) | ((count << shift) & 0xFF)
    if shift > 2:  # the register spills into the next byte
        packed[byte + 1] = (high & ~(63 >> (8 - shift)) & 0xFF) | (count >> (8 - shift))
    return True


# -- changing the sparse encoding ------------------------------------------------------------------------------
# An opcode is held as the number its bytes spell: ZERO is its byte (< 0x40), VAL its byte (0x80..0xff) and XZERO
# its two bytes read big-endian (0x4000..0x7fff), so the three kinds never overlap.

ZERO_MAX_LEN = 64  # HLL_SPARSE_ZERO_MAX_LEN (XZERO_MAX_LEN is 16384, all the registers)
VAL_MAX_VALUE = 32  # HLL_SPARSE_VAL_MAX_VALUE: a larger register needs the dense encoding
VAL_MAX_LEN = 4  # HLL_SPARSE_VAL_MAX_LEN
MERGE_WINDOW = 5  # hllSparseSet merges VALs within this many opcodes, from the one before the change
UNCHANGED, UPDATED, PROMOTE = 0, 1, 2  # what SparseRegisters.set did


def _run_length(opcode: int) -> int:
    if opcode < 0x40:
        return opcode + 1
    if opcode < 0x100:
        return (opcode & 3) + 1
    return (opcode & 0x3FFF) + 1


def _opcode_size(opcode: int) -> int:
    return 2 if opcode > 0xFF else 1


def _zero_run(length: int) -> int:
    """The opcode for `length` zero registers: ZERO up to 64 of them, XZERO beyond."""
    return length - 1 if length <= ZERO_MAX_LEN else 0x4000 | (length - 1)


def _val(value: int, length: int) -> int:
    return 0x80 | (value - 1) << 2 | (length - 1)


def _is_val(opcode: int) -> bool:
    return 0x80 <= opcode < 0x100


class SparseRegisters:
    """The opcodes of a sparse value while PFADD or PFMERGE changes them (hllSparseSet's in-place edits).

    `ops` are the opcodes and `starts[i]` the first register `ops[i]` covers. A split or a merge only rewrites the
    registers of one or two adjacent opcodes, so every other opcode keeps its start: the list stays sorted and
    the opcode holding a register is a bisect away, where Redis walks the opcodes from the left. Splicing the
    lists is a memmove, as in Redis, so a change costs O(sparse length) at worst with a C-speed constant.
    """

    __slots__ = ("ops", "starts", "size", "covered")

    def __init__(self, data: bytes):
        ops: list[int] = []
        starts: list[int] = []
        index = pos = 0
        end = len(data)
        while pos < end:
            opcode = data[pos]
            if opcode & 0xC0 == 0x40:  # XZERO (cut short at the end, its second byte reads as C's terminator)
                opcode = opcode << 8 | (data[pos + 1] if pos + 1 < end else 0)
                pos += 2
            else:
                pos += 1
            ops.append(opcode)
            starts.append(index)
            index += _run_length(opcode)
        self.ops, self.starts = ops, starts
        self.size = pos  # bytes of opcodes, the header not included
        self.covered = index  # registers the opcodes describe: 16384 unless the value is corrupt

    def encode(self) -> bytes:
        out = bytearray()
        for opcode in self.ops:
            if opcode > 0xFF:
                out += opcode.to_bytes(2, "big")
            else:
                out.append(opcode)
        return bytes(out)

    def set(self, index: int, count: int, max_bytes: int) -> int:
        """hllSparseSet: raise register `index` to `count`. UNCHANGED when it already held as much, UPDATED, or
        PROMOTE (nothing changed) when the value must turn dense first: `count` does not fit a VAL, or the new
        opcodes would grow the value, header included, past `max_bytes` (hll-sparse-max-bytes). CorruptedHLL
        when the opcodes end before the register."""
        if count > VAL_MAX_VALUE:
            return PROMOTE
        if index >= self.covered:
            raise CorruptedHLL
        ops, starts = self.ops, self.starts
        at = bisect_right(starts, index) - 1
        opcode, first = ops[at], starts[at]
        run_of: Callable[[int], int]  # the opcode for a run of the registers it held
        if _is_val(opcode):
            current = (opcode >> 2 & 31) + 1
            if current >= count:
                return UNCHANGED
            run_of = partial(_val, current)
        else:
            run_of = _zero_run
        # The opcode is split into [the registers before] VAL(count) [the registers after]; for an opcode of
        # this one register alone that is Redis's rewrite in place.
        last = first + _run_length(opcode) - 1
        new_ops, new_starts = [], []
        if index != first:
            new_ops.append(run_of(index - first))
            new_starts.append(first)
        new_ops.append(_val(count, 1))
        new_starts.append(index)
        if index != last:
            new_ops.append(run_of(last - index))
            new_starts.append(index + 1)
        grown = sum(map(_opcode_size, new_ops)) - _opcode_size(opcode)
        if grown > 0 and HEADER_SIZE + self.size + grown > max_bytes:
            return PROMOTE
        ops[at : at + 1] = new_ops
        starts[at : at + 1] = new_starts
        self.size += grown
        self._merge_vals(at)
        return UPDATED

    def _merge_vals(self, at: int) -> None:
        """hllSparseSet's last step: starting at the opcode before the changed one and for MERGE_WINDOW steps,
        two adjacent VALs of one value whose runs fit one VAL become that VAL (which may then merge again)."""
        ops, starts = self.ops, self.starts
        i = at - 1 if at else 0
        for _ in range(MERGE_WINDOW):
            if i >= len(ops):
                return
            opcode = ops[i]
            if _is_val(opcode) and i + 1 < len(ops):
                following = ops[i + 1]
                length = (opcode & 3) + (following & 3) + 2
                if _is_val(following) and (opcode ^ following) & 0x7C == 0 and length <= VAL_MAX_LEN:
                    ops[i : i + 2] = [(opcode & ~3) | (length - 1)]
                    del starts[i + 1]
                    self.size -= 1
                    continue
            i += 1


class HyperLogLog:
    """A value being changed by PFADD or PFMERGE, in whichever encoding it holds, as Redis changes its object in
    place: sparse until a register or the size needs the dense encoding, then dense for good."""

    __slots__ = ("header", "sparse", "dense")

    def __init__(self, value: bytes):
        self.header = bytearray(value[:HEADER_SIZE])
        self.sparse: SparseRegisters | None = None
        self.dense = bytearray()  # the packed registers, once dense
        if value[4] == DENSE:
            self.dense[:] = value[HEADER_SIZE:]
        else:
            self.sparse = SparseRegisters(value[HEADER_SIZE:])

    @classmethod
    def empty(cls) -> "HyperLogLog":
        """createHLLObject: sparse, every register zero, cached cardinality 0."""
        return cls(EMPTY)

    def value(self) -> bytes:
        body = self.dense if self.sparse is None else self.sparse.encode()
        return bytes(self.header) + body

    def invalidate_cache(self) -> None:
        self.header[15] |= STALE_CACHE

    def add(self, element: bytes, max_bytes: int) -> bool:
        """hllAdd: True when the element raised its register."""
        index, rank = register_and_rank(element)
        return self.set(index, rank, max_bytes)

    def set(self, index: int, count: int, max_bytes: int) -> bool:
        sparse = self.sparse
        if sparse is not None:
            outcome = sparse.set(index, count, max_bytes)
            if outcome != PROMOTE:
                if outcome == UPDATED:
                    self.invalidate_cache()  # hllSparseSet's own, which a PFADD failing further on leaves behind
                return outcome == UPDATED
            self.to_dense()
        return dense_set(self.dense, index, count)

    def to_dense(self) -> None:
        """hllSparseToDense: the header is kept (unused bytes and cached cardinality too), only the encoding
        byte changes. CorruptedHLL when the opcodes do not describe exactly 16384 registers."""
        if self.sparse is None:
            return
        self.dense = bytearray(encode_dense(decode_sparse(self.sparse.encode())))
        self.sparse = None
        self.header[4] = DENSE

    def raise_registers(self, registers: bytes | bytearray, max_bytes: int) -> None:
        """PFMERGE's write: every non-zero register of `registers` set in index order, by hllSparseSet (which
        may promote on the way) or hllDenseSet. Once dense, that is the register-wise maximum."""
        sparse = self.sparse
        if sparse is not None:
            for index in [index for index, count in enumerate(registers) if count]:
                if sparse.set(index, registers[index], max_bytes) == PROMOTE:
                    self.to_dense()
                    break
            else:
                return
        merged = merge_registers(decode_dense(bytes(self.dense)), registers)
        self.dense = bytearray(encode_dense(merged))


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
