"""Bitmap commands: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO.

Bitmaps are plain strings (`bytes`); bit 0 is the most significant bit of byte 0, as in Redis. Whole-range work
(counting, searching, AND/OR/XOR/NOT) runs over the byte string at C speed: `int.from_bytes(...).bit_count()`,
`bytes.lstrip`, and big-integer arithmetic, never a per-bit Python loop.
"""

from .. import errors
from ..errors import CommandError, c_string
from .args import INT64_MAX, ArgCursor, keyword, parse_int, to_int
from .context import Argv, Context
from .keys import lookup_read
from .notifications import NOTIFY_GENERIC, NOTIFY_STRING, new_key, notify
from .registry import Index, KeyFlag, KeySpec, Range, command
from .strings import lookup_string_write

UINT64_MASK = 2**64 - 1


def to_int64(value: int) -> int:
    """C's conversion of a 64-bit pattern to int64_t (two's complement)."""
    value &= UINT64_MASK
    return value - 2**64 if value > INT64_MAX else value


def bit_offset(ctx: Context, raw: bytes, hash_bits: int = 0) -> int:
    """getBitOffsetFromArgument: a non-negative bit offset below proto-max-bulk-len bytes; with `hash_bits`
    (BITFIELD), "#N" means N * the field width."""
    use_hash = hash_bits > 0 and raw[:1] == b"#"
    offset = parse_int(raw[1:] if use_hash else raw)
    if offset is None:
        raise CommandError(errors.BIT_OFFSET)
    if use_hash:
        offset = to_int64(offset * hash_bits)  # Redis multiplies in a long long, wrapping
    if offset < 0 or (offset >> 3) >= ctx.server.config.proto_max_bulk_len:
        raise CommandError(errors.BIT_OFFSET)
    return offset


def lookup_bitmap(ctx: Context, key: bytes):
    """lookupKeyRead + checkType(OBJ_STRING): None for a missing key."""
    value = lookup_read(ctx, key, ctx.touch)
    if value is not None and value.__class__ is not bytes:
        raise CommandError(errors.WRONGTYPE)
    return value


def grown(value: bytes | None, size: int) -> bytes:
    """lookupStringForBitCommand's sdsgrowzero: the value zero-padded to at least `size` bytes."""
    value = value or b""
    return value + bytes(size - len(value)) if len(value) < size else value


@command(
    "setbit",
    arity=4,
    flags="write denyoom",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="bitmap",
    since="2.2.0",
    complexity="O(1)",
)
def setbit_command(ctx: Context, argv: Argv):
    """SETBIT key offset value — Sets or clears the bit at offset in the string value stored at key"""
    key = argv[1]
    offset = bit_offset(ctx, argv[2])
    on = to_int(argv[3], errors.BIT_VALUE)
    if on & ~1:
        raise CommandError(errors.BIT_VALUE)
    old = lookup_string_write(ctx, key)
    byte, shift = offset >> 3, 7 - (offset & 7)
    value = grown(old, byte + 1)
    current = value[byte]
    bit = (current >> shift) & 1
    # Redis writes (and counts a change) only when the key is new, grew, or the bit flips.
    if old is None or len(value) != len(old) or bit != on:
        patched = (current & ~(1 << shift)) | (on << shift)
        ctx.db.store(
            key, value[:byte] + bytes((patched,)) + value[byte + 1 :], keep_ttl=True, touch=ctx.touch, in_place=True
        )
        ctx.server.dirty += 1
        if ctx.server.notify_flags:
            if old is None:
                new_key(ctx, key)
            notify(ctx, NOTIFY_STRING, b"setbit", key)
    return bit


@command(
    "getbit",
    arity=3,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="bitmap",
    since="2.2.0",
    complexity="O(1)",
)
def getbit_command(ctx: Context, argv: Argv):
    """GETBIT key offset — Returns the bit value at offset in the string value stored at key"""
    offset = bit_offset(ctx, argv[2])
    value = lookup_bitmap(ctx, argv[1])
    byte = offset >> 3
    if value is None or byte >= len(value):
        return 0
    return (value[byte] >> (7 - (offset & 7))) & 1


UNITS = {b"BIT": True, b"BYTE": False}  # BITCOUNT's and BITPOS's range unit: is it bits?


def clamp_range(start: int, end: int, total: int) -> tuple[int, int]:
    """Redis's negative-index conversion for BITCOUNT/BITPOS: the result may be empty (start > end)."""
    if start < 0:
        start += total
    if end < 0:
        end += total
    start, end = max(start, 0), max(end, 0)
    return start, min(end, total - 1)


def popcount(data: bytes) -> int:
    return int.from_bytes(data, "big").bit_count()


@command(
    "bitcount",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="bitmap",
    since="2.6.0",
    complexity="O(N)",
)
def bitcount_command(ctx: Context, argv: Argv):
    """BITCOUNT key [start end [BYTE | BIT]] — Count set bits in a string"""
    # Redis 7.0 looks the key up before it parses the range: a missing key answers 0 whatever follows.
    value = lookup_bitmap(ctx, argv[1])
    if value is None:
        return 0
    if len(argv) == 2:
        return popcount(value)
    if len(argv) not in (4, 5):
        raise CommandError(errors.SYNTAX)
    start, end = to_int(argv[2]), to_int(argv[3])
    if start < 0 and end < 0 and start > end:  # Redis answers this before it reads the unit
        return 0
    is_bit = len(argv) == 5 and keyword(argv[4], UNITS)
    total = len(value) * 8 if is_bit else len(value)
    start, end = clamp_range(start, end, total)
    if start > end:
        return 0
    if not is_bit:
        return popcount(value[start : end + 1])
    chunk = int.from_bytes(value[start >> 3 : (end >> 3) + 1], "big")
    chunk >>= 7 - (end & 7)  # drop the bits after `end` in its byte
    return (chunk & ((1 << (end - start + 1)) - 1)).bit_count()


def first_bit(value: bytes, bit: int, start: int, end: int) -> int:
    """The index of the first bit equal to `bit` in value's bit range [start, end], or -1."""
    first_byte, last_byte = start >> 3, end >> 3
    width = end - start + 1
    if last_byte - first_byte < 16:  # a short range: one integer
        chunk = int.from_bytes(value[first_byte : last_byte + 1], "big") >> (7 - (end & 7))
        chunk &= (1 << width) - 1
        if not bit:
            chunk ^= (1 << width) - 1
        return -1 if chunk == 0 else start + width - chunk.bit_length()
    # A long range: the partial edges as integers, the middle with lstrip at C speed.
    head_end = (first_byte << 3) + 7
    found = first_bit(value, bit, start, head_end)
    if found >= 0:
        return found
    middle = value[first_byte + 1 : last_byte]
    skip = len(middle) - len(middle.lstrip(b"\xff" if not bit else b"\x00"))
    if skip < len(middle):
        return first_bit(value, bit, (first_byte + 1 + skip) << 3, ((first_byte + 1 + skip) << 3) + 7)
    return first_bit(value, bit, last_byte << 3, end)


@command(
    "bitpos",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="bitmap",
    since="2.8.7",
    complexity="O(N)",
)
def bitpos_command(ctx: Context, argv: Argv):
    """BITPOS key bit [start [end [BYTE | BIT]]] — Find first bit set or clear in a string"""
    bit = to_int(argv[2])
    if bit not in (0, 1):
        raise CommandError(errors.BITPOS_BIT)
    value = lookup_bitmap(ctx, argv[1])
    if value is None:  # an endless run of zeros
        return -1 if bit else 0
    end_given = len(argv) >= 5
    if len(argv) == 3:
        start, end, is_bit = 0, len(value) - 1, False
    elif len(argv) <= 6:
        start = to_int(argv[3])
        is_bit = len(argv) == 6 and keyword(argv[5], UNITS)
        end = to_int(argv[4]) if end_given else (len(value) * 8 - 1 if is_bit else len(value) - 1)
        start, end = clamp_range(start, end, len(value) * 8 if is_bit else len(value))
    else:
        raise CommandError(errors.SYNTAX)
    if start > end:
        return -1
    if not is_bit:
        start, end = start * 8, end * 8 + 7
    found = first_bit(value, bit, start, end)
    if found < 0 and not bit and not end_given:
        # Without an explicit end the string counts as padded with zeros on the right.
        return end + 1
    return found


BITOP_OPERATIONS = {b"AND", b"OR", b"XOR", b"NOT"}


@command(
    "bitop",
    arity=-4,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(2)), KeySpec("RO ACCESS", Index(3), Range(-1))],
    group="bitmap",
    since="2.6.0",
    complexity="O(N)",
)
def bitop_command(ctx: Context, argv: Argv):
    """BITOP AND|OR|XOR|NOT destkey key [key ...] — Perform bitwise operations between strings"""
    operation = argv[1].upper()
    if operation not in BITOP_OPERATIONS:
        raise CommandError(errors.SYNTAX)
    if operation == b"NOT" and len(argv) != 4:
        raise CommandError(errors.BITOP_NOT_ONE_KEY)
    sources = [lookup_bitmap(ctx, key) or b"" for key in argv[3:]]
    size = max(len(source) for source in sources)
    destination = argv[2]
    if not size:
        if ctx.db.delete(destination):
            ctx.server.dirty += 1
            if ctx.server.notify_flags:
                notify(ctx, NOTIFY_GENERIC, b"del", destination)
        return 0
    # Shorter strings are zero-padded on the right: pad, then operate on big integers.
    numbers = [int.from_bytes(source.ljust(size, b"\0"), "big") for source in sources]
    result = numbers[0]
    if operation == b"AND":
        for number in numbers[1:]:
            result &= number
    elif operation == b"OR":
        for number in numbers[1:]:
            result |= number
    elif operation == b"XOR":
        for number in numbers[1:]:
            result ^= number
    else:
        result ^= (1 << (size * 8)) - 1
    notifying = ctx.server.notify_flags
    if notifying:  # setKey's lookupKeyWrite: an expired target goes first, then "new"
        created = ctx.db.lookup(destination, ctx.now_ms) is None
    ctx.db.store(destination, result.to_bytes(size, "big"), touch=ctx.touch, in_place=True)
    ctx.server.dirty += 1
    if notifying:
        if created:
            new_key(ctx, destination)
        notify(ctx, NOTIFY_STRING, b"set", destination)
    return size


# -- BITFIELD ----------------------------------------------------------------------------------------------

OVERFLOW_TYPES = {b"WRAP", b"SAT", b"FAIL"}


def bitfield_type(raw: bytes) -> tuple[bool, int]:
    """getBitfieldTypeFromArgument: (signed, bits) for i1..i64 and u1..u63."""
    kind = raw[:1]
    bits = parse_int(c_string(raw[1:])) if kind in (b"i", b"u") else None
    if bits is None or bits < 1 or bits > (64 if kind == b"i" else 63):
        raise CommandError(errors.BITFIELD_TYPE)
    return kind == b"i", bits


def read_field(value: bytes | bytearray, offset: int, bits: int, signed: bool) -> int:
    """The `bits`-wide big-endian field at bit `offset`, the string zero-padded on the right."""
    first, last = offset >> 3, (offset + bits - 1) >> 3
    chunk = value[first : last + 1]
    number = int.from_bytes(chunk.ljust(last - first + 1, b"\0"), "big")
    number = (number >> (7 - ((offset + bits - 1) & 7))) & ((1 << bits) - 1)
    if signed and number >> (bits - 1):
        number -= 1 << bits
    return number


def write_field(buffer: bytearray, offset: int, bits: int, number: int) -> None:
    first, last = offset >> 3, (offset + bits - 1) >> 3
    shift = 7 - ((offset + bits - 1) & 7)
    mask = ((1 << bits) - 1) << shift
    size = last - first + 1
    current = int.from_bytes(buffer[first : last + 1], "big")
    current = (current & ~mask) | (((number & ((1 << bits) - 1)) << shift) & mask)
    buffer[first : last + 1] = current.to_bytes(size, "big")


def signed_overflow(value: int, increment: int, bits: int, overflow: bytes) -> tuple[int, int]:
    """checkSignedBitfieldOverflow, with its int64 arithmetic (so SET i8 -9223372036854775808 saturates up,
    as Redis's does). Returns (direction: 0, 1 or -1, the replacement value)."""
    high = INT64_MAX if bits == 64 else (1 << (bits - 1)) - 1
    low = -high - 1
    max_increment, min_increment = to_int64(high - value), to_int64(low - value)
    if (
        value > high
        or (bits != 64 and increment > max_increment)
        or (value >= 0 and increment > 0 and increment > max_increment)
    ):
        direction, limit = 1, high
    elif (
        value < low
        or (bits != 64 and increment < min_increment)
        or (value < 0 and increment < 0 and increment < min_increment)
    ):
        direction, limit = -1, low
    else:
        return 0, value + increment
    if overflow == b"WRAP":
        wrapped = (value + increment) & UINT64_MASK
        if bits < 64:
            wrapped &= (1 << bits) - 1
            if wrapped >> (bits - 1):
                wrapped -= 1 << bits
            return direction, wrapped
        return direction, to_int64(wrapped)
    return direction, limit


def unsigned_overflow(value: int, increment: int, bits: int, overflow: bytes) -> tuple[int, int]:
    """checkUnsignedBitfieldOverflow; `value` is the uint64 pattern of the operand."""
    high = (1 << bits) - 1
    max_increment, min_increment = to_int64(high - value), to_int64(-value)
    if value > high or (increment > 0 and increment > max_increment):
        direction, limit = 1, high
    elif increment < 0 and increment < min_increment:
        direction, limit = -1, 0
    else:
        return 0, value + increment
    if overflow == b"WRAP":
        return direction, (value + increment) & high
    return direction, limit


def bitfield_generic(ctx: Context, argv: Argv, read_only_command: bool):
    """bitfieldGeneric: every operation is parsed (and every error raised) before any is executed."""
    operations = []  # (opcode, signed, bits, offset, operand, overflow)
    overflow = b"WRAP"
    writes = False
    highest_write = 0
    args = ArgCursor(argv, 2)
    while args.more():
        opcode = args.next_upper()
        if opcode == b"OVERFLOW":
            overflow = args.next_upper()
            if overflow not in OVERFLOW_TYPES:
                raise CommandError(errors.BITFIELD_OVERFLOW)
            continue
        if opcode == b"GET":
            type_raw, offset_raw = args.take(2)
        elif opcode in (b"SET", b"INCRBY"):
            type_raw, offset_raw, operand_raw = args.take(3)
        else:
            raise CommandError(errors.SYNTAX)
        signed, bits = bitfield_type(type_raw)
        offset = bit_offset(ctx, offset_raw, bits)
        operand = 0
        if opcode != b"GET":
            writes = True
            highest_write = max(highest_write, offset + bits - 1)
            operand = to_int(operand_raw)
        operations.append((opcode, signed, bits, offset, operand, overflow))

    key = argv[1]
    if not writes:
        value = lookup_bitmap(ctx, key) or b""
        return [read_field(value, offset, bits, signed) for _, signed, bits, offset, _, _ in operations]
    if read_only_command:
        raise CommandError(errors.BITFIELD_RO_GET_ONLY)
    old_value = lookup_string_write(ctx, key)
    buffer = bytearray(grown(old_value, (highest_write >> 3) + 1))
    # Redis tells of the write ("setbit") when a SET or INCRBY is carried out (not failed) and the key was
    # created or grew, or the field changed.
    grew = old_value is None or len(buffer) != len(old_value)
    changed = False
    replies: list[int | None] = []
    for opcode, signed, bits, offset, operand, overflow in operations:
        if opcode == b"GET":
            replies.append(read_field(buffer, offset, bits, signed))
            continue
        old = read_field(buffer, offset, bits, signed)
        check = signed_overflow if signed else unsigned_overflow
        if opcode == b"INCRBY":
            direction, new = check(old, operand, bits, overflow)
            answer = new
        else:
            direction, new = check(operand if signed else operand & UINT64_MASK, 0, bits, overflow)
            answer = old
        if direction and overflow == b"FAIL":
            replies.append(None)
        else:
            replies.append(answer)
            write_field(buffer, offset, bits, new)
            changed = changed or grew or new != old
    ctx.db.store(key, bytes(buffer), keep_ttl=True, touch=ctx.touch, in_place=True)
    ctx.server.dirty += sum(1 for operation in operations if operation[0] != b"GET")
    if ctx.server.notify_flags:
        if old_value is None:
            new_key(ctx, key)
        if changed:
            notify(ctx, NOTIFY_STRING, b"setbit", key)
    return replies


BITFIELD_KEY = KeySpec(
    "RW ACCESS UPDATE VARIABLE_FLAGS", Index(1), notes="This command allows both access and modification of the key"
)


def bitfield_keys(argv: list[bytes]) -> list[tuple[int, KeyFlag]]:
    """bitfieldGetKeys: a BITFIELD of GET and OVERFLOW operations only reads its key; a SET, an INCRBY or
    anything it does not understand (a syntax error to come) may write it."""
    pos = 2
    while pos < len(argv):
        remaining = len(argv) - pos - 1
        operation = argv[pos].partition(b"\0")[0].lower()  # compared as a C string
        if operation == b"get" and remaining >= 2:
            pos += 3
        elif operation == b"overflow" and remaining >= 1:
            pos += 2
        else:
            return [(1, KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.UPDATE)]
    return [(1, KeyFlag.RO | KeyFlag.ACCESS)]


@command(
    "bitfield",
    arity=-2,
    flags="write denyoom",
    key_specs=[BITFIELD_KEY],
    key_finder=bitfield_keys,
    group="bitmap",
    since="3.2.0",
    complexity="O(1) for each subcommand specified",
)
def bitfield_command(ctx: Context, argv: Argv):
    """BITFIELD key [GET encoding offset | [OVERFLOW WRAP | SAT | FAIL] SET encoding offset value | INCRBY encoding
    offset increment ...] — Perform arbitrary bitfield integer operations on strings"""
    return bitfield_generic(ctx, argv, read_only_command=False)


@command(
    "bitfield_ro",
    arity=-2,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="bitmap",
    since="6.0.0",
    complexity="O(1) for each subcommand specified",
)
def bitfield_ro_command(ctx: Context, argv: Argv):
    """BITFIELD_RO key [GET encoding offset ...] — Perform arbitrary bitfield integer operations on strings. Read-only
    variant of BITFIELD"""
    return bitfield_generic(ctx, argv, read_only_command=True)
