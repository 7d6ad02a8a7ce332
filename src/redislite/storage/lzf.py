"""LZF, the compression of RDB strings: byte for byte what Redis 7.0's bundled liblzf 3.6 writes.

Redis builds deps/lzf with HLOG 16, VERY_FAST 1, ULTRA_FAST 0 (and an uninitialised hash table, which cannot
change the output: see compress_python). A different (valid) compressor would still load everywhere, but the
bytes of a DUMP payload or an RDB string would differ from Redis's, and so would the choice to compress at all:
Redis keeps the compressed form only when lzf_compress fits it in the room it was given (len - 4 for RDB
strings), and liblzf gives up on conservative room checks even where its output would have fit.

python-lzf (a C extension over the same liblzf 3.6, same settings) does the work when installed; the pure-Python
codec below is the fallback and the reference the unit tests check the extension against.

Format: a control byte c < 32 starts a literal run of c + 1 bytes; otherwise the top 3 bits are a match
length - 2 (7 means "add the next byte"), and the low 5 bits with the byte after the length are a back
offset - 1 into what was already produced (matches may overlap their own output).
"""

import sys
from array import array

try:
    import lzf as _lzf
except ImportError:  # python-lzf is optional (`pip install -e '.[speedups]'`): it needs a compiler
    _lzf = None

MAX_LITERAL = 32  # MAX_LIT
MAX_OFFSET = 1 << 13  # MAX_OFF: a match reaches back at most this far
MAX_MATCH = 264  # MAX_REF: 2 + 7 + 255
HASH_MASK = (1 << 16) - 1  # HLOG 16
WORD = next(code for code in "IL" if array(code).itemsize == 4)  # an array type code of 4-byte words


class LzfError(ValueError):
    pass


def compress(data: bytes, max_length: int) -> bytes | None:
    """lzf_compress(data, len(data), out, max_length): data compressed into at most max_length bytes, exactly as
    liblzf writes it, or None where liblzf gives up (returns 0)."""
    if max_length <= 0 or not data:
        return None
    if _lzf is not None and max_length > 1 and len(data) > 1:
        # python-lzf hands liblzf max_len + 1 bytes of room (and one more for 1-byte input): ask for one less
        result: bytes | None = _lzf.compress(data, max_length - 1)
        return result
    return compress_python(data, max_length)


def decompress(data: bytes, length: int) -> bytes:
    """The `length` bytes that data decompresses to; LzfError when it does not decompress to exactly that."""
    if _lzf is not None and length > 0:
        try:
            out = _lzf.decompress(data, length)
        except ValueError:
            raise LzfError("invalid LZF data") from None
        if out is None or len(out) != length:
            raise LzfError("LZF data does not decompress to the announced length")
        return out
    return decompress_python(data, length)


def decompress_python(data: bytes, length: int) -> bytes:
    out = bytearray()
    pos, end = 0, len(data)
    while pos < end:
        control = data[pos]
        pos += 1
        if control < 32:
            run = control + 1
            if pos + run > end:
                raise LzfError("LZF literal run past the end of the data")
            out += data[pos : pos + run]
            pos += run
        else:
            size = control >> 5
            if pos >= end:
                raise LzfError("LZF back reference past the end of the data")
            if size == 7:
                size += data[pos]
                pos += 1
                if pos >= end:
                    raise LzfError("LZF back reference past the end of the data")
            start = len(out) - ((control & 0x1F) << 8) - data[pos] - 1
            pos += 1
            size += 2
            if start < 0:
                raise LzfError("LZF back reference before the start of the output")
            if start + size <= len(out):
                out += out[start : start + size]
            else:  # the match overlaps what it produces: a repeating pattern
                pattern = bytes(out[start:])
                out += (pattern * (size // len(pattern) + 1))[:size]
        if len(out) > length:
            raise LzfError("LZF data decompresses past the announced length")
    if len(out) != length:
        raise LzfError("LZF data does not decompress to the announced length")
    return bytes(out)


def _literal_runs(out: bytearray, data: bytes, start: int, stop: int) -> None:
    """data[start:stop] as literal runs of at most 32 bytes, each after its control byte (length - 1)."""
    while start < stop:
        run = min(MAX_LITERAL, stop - start)
        out.append(run - 1)
        out += data[start : start + run]
        start += run


def _literal_space(count: int) -> int:
    """Where liblzf's output pointer stands after `count` literals of one run: their bytes, a control byte per
    full 32 and the control byte it reserves for the run in progress."""
    return count + count // MAX_LITERAL + 1


def _match_cap(remaining: int) -> int:
    """How far liblzf's match loop may run at a position with `remaining` bytes left (the match is as long as
    the bytes agree, at least 3, at most this).

    maxlen is min(remaining - 2, MAX_REF); past 16 it first compares bytes 3..18 unrolled and only then checks
    maxlen, so for maxlen 17 or 18 a match that agrees that far takes 19 bytes."""
    maxlen = remaining - 2 if remaining - 2 < MAX_MATCH else MAX_MATCH
    return maxlen if maxlen <= 16 else max(maxlen, 19)


def _pairs(data: bytes) -> list[int]:
    """The 16-bit big-endian value of the 2 bytes at every position but the last (liblzf's FRST), read at C
    speed as the words at even positions and the words at odd positions."""
    size = len(data)
    even = array("H", data[: size - size % 2])
    odd = array("H", data[1 : size - (size - 1) % 2])
    if sys.byteorder == "little":
        even.byteswap()
        odd.byteswap()
    pairs = [0] * (size - 1)
    pairs[0::2] = even
    pairs[1::2] = odd
    return pairs


def _triples_repeat(data: bytes) -> bool:
    """Whether any 3 bytes occur twice in data, counted at C speed: the 4-byte words at each of the 4
    alignments with their last byte zeroed are the 3 bytes at every position (one zero byte of padding
    lets the last 3 count)."""
    padded = data + b"\0"
    seen: set[int] = set()
    count = 0
    for alignment in range(4):
        block = bytearray(padded[alignment:])
        del block[len(block) - len(block) % 4 :]
        block[3::4] = bytes(len(block) // 4)
        words = array(WORD, block)
        count += len(words)
        seen.update(words)
    return len(seen) < count


def _literals_only(data: bytes, max_length: int) -> bytes | None:
    """What liblzf writes for data in which no match is found: literal runs, if they fit."""
    if _literal_space(max(len(data) - 2, 0)) + 3 > max_length:
        return None
    out = bytearray()
    _literal_runs(out, data, 0, len(data))
    return bytes(out)


def compress_python(data: bytes, max_length: int) -> bytes | None:
    """liblzf 3.6's lzf_compress as Redis configures it, in Python.

    liblzf hashes the 3 bytes at each position it visits into a 64K-slot table of positions (the last writer
    wins, so 3-byte groups with the same hash evict each other) and takes a match when the slot's position is
    not 0, at most 8192 back and starts with the same 3 bytes. It visits every position of a literal stretch,
    then after a match only its last two positions before carrying on behind it. It never looks at a slot
    before writing one, and the first occurrence of any 3 bytes is always visited, so what an uninitialised
    table held before cannot produce a match: the output depends on the input only.

    Giving up: liblzf's output pointer only grows (by at least 2 past a match's undone empty run), so its last
    check (3 bytes of room after the main loop) fails whenever any earlier one (before each literal, 4 bytes
    before each match) would have: that check alone decides, and the one before a match is kept only to stop
    early. Input where no 3 bytes repeat can hold no match, so it is literal runs at once: most incompressible
    values end there, found at C speed (no 2 bytes repeating, or, when few do, no 3).
    """
    size = len(data)
    if max_length <= 0 or size == 0:
        return None
    limit = size - 2  # the main loop visits positions 0 .. size - 3
    if limit <= 0:
        return _literals_only(data, max_length)
    pairs = _pairs(data)
    distinct = len(set(pairs))
    if distinct == len(pairs):  # no 2 bytes repeat, so no 3 bytes do
        return _literals_only(data, max_length)
    if distinct * 8 > len(pairs) * 7 and not _triples_repeat(data):  # few pairs repeat: perhaps no triple
        return _literals_only(data, max_length)
    table: dict[int, int] = {}  # hash slot -> the last position visited with that hash
    lookup = table.get
    mask, reach = HASH_MASK, MAX_OFFSET  # locals: the loop below runs once per input byte
    out = bytearray()
    literal_start = 0  # where the literal stretch in progress began
    pos = 0  # the position the main loop visits
    while pos < limit:
        # IDX(NEXT(hval)) with HLOG 16 and VERY_FAST: ((h >> 8) - h * 5) & 0xffff keeps only the 3 bytes at
        # the position, so with p and q the pairs there and one further on it is (p - 5 * q) & 0xffff
        pair = pairs[pos]
        slot = (pair - 5 * pairs[pos + 1]) & mask
        ref = lookup(slot, 0)
        table[slot] = pos
        # the same hash and the same first two bytes: the third is the same too
        if not ref or pos - ref > reach or pairs[ref] != pair:
            pos += 1
            continue
        # a match: liblzf first closes the literal run in progress, then wants 4 bytes of room (3 for the
        # match, 1 for the next run's control byte) before the end
        run = pos - literal_start
        if 0 < run <= MAX_LITERAL:
            out.append(run - 1)
            out += data[literal_start:pos]
        elif run:
            _literal_runs(out, data, literal_start, pos)
        if len(out) + 4 >= max_length:
            return None
        cap = _match_cap(size - pos)
        length = 3  # how many bytes agree, up to cap: 16 at a time while they do, then one by one
        while length + 16 <= cap and data[ref + length : ref + length + 16] == data[pos + length : pos + length + 16]:
            length += 16
        while length < cap and data[ref + length] == data[pos + length]:
            length += 1
        offset = pos - ref - 1
        if length < 9:
            out.append(((length - 2) << 5) | (offset >> 8))
        else:
            out.append((7 << 5) | (offset >> 8))
            out.append(length - 9)
        out.append(offset & 0xFF)
        pos = literal_start = pos + length
        if pos >= limit:
            break
        # VERY_FAST: the match's last two positions go into the table
        behind = pos - 2
        table[(pairs[behind] - 5 * pairs[behind + 1]) & mask] = behind
        table[(pairs[behind + 1] - 5 * pairs[pos]) & mask] = behind + 1
    pending = pos - literal_start  # literals the main loop copied into the run still open
    if len(out) + _literal_space(pending) + 3 > max_length:
        return None
    _literal_runs(out, data, literal_start, size)
    return bytes(out)
