"""The compact blobs an RDB file carries inside strings: listpack (Redis 7), ziplist (before 7), intset and
zipmap (before 2.6). Each decoder checks the blob's own framing (total size, terminator, entry count,
listpack back-lengths) and raises EncodingError on anything inconsistent, never IndexError.

Elements are bytes; integers stored natively by the encoding come back as their decimal text, which is
what Redis's commands see. Encoders store an element as an integer exactly when Redis would
(lpStringToInt64 / string2ll: canonical decimal, signed 64-bit), so a round trip gives back the same bytes.
"""

import itertools
import struct

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_DIGITS = frozenset(b"-0123456789")


class EncodingError(ValueError):
    pass


def as_integer(element: bytes) -> int | None:
    """string2ll's rules: no '+', no spaces, no leading zeros, '-0' refused, 64-bit signed; None otherwise."""
    if not element or len(element) > 20 or element[0] not in _DIGITS:
        return None
    try:
        value = int(element)
    except ValueError:
        return None
    if not INT64_MIN <= value <= INT64_MAX or b"%d" % value != element:
        return None
    return value


# -- listpack ------------------------------------------------------------------------------------------------


def _backlen(size: int) -> bytes:
    """lpEncodeBacklen: the entry size, 7 bits a byte, read from the right."""
    if size <= 127:
        return bytes((size,))
    if size < 16383:
        return bytes((size >> 7, (size & 127) | 128))
    if size < 2097151:
        return bytes((size >> 14, ((size >> 7) & 127) | 128, (size & 127) | 128))
    if size < 268435455:
        return bytes((size >> 21, ((size >> 14) & 127) | 128, ((size >> 7) & 127) | 128, (size & 127) | 128))
    return bytes(
        (
            size >> 28,
            ((size >> 21) & 127) | 128,
            ((size >> 14) & 127) | 128,
            ((size >> 7) & 127) | 128,
            (size & 127) | 128,
        )
    )


_SMALL_BACKLEN = [bytes((size,)) for size in range(128)]


def listpack_entry(element: bytes) -> bytes:
    """One listpack entry (encoding, data, back-length) for element."""
    value = as_integer(element)
    if value is not None:
        if 0 <= value <= 127:
            return bytes((value, 1))
        if -4096 <= value <= 4095:
            value &= 0x1FFF
            return bytes((0xC0 | (value >> 8), value & 0xFF, 2))
        if -32768 <= value <= 32767:
            return b"\xf1" + value.to_bytes(2, "little", signed=True) + b"\x03"
        if -8388608 <= value <= 8388607:
            return b"\xf2" + value.to_bytes(3, "little", signed=True) + b"\x04"
        if -2147483648 <= value <= 2147483647:
            return b"\xf3" + value.to_bytes(4, "little", signed=True) + b"\x05"
        return b"\xf4" + value.to_bytes(8, "little", signed=True) + b"\x09"
    size = len(element)
    if size < 64:
        return bytes((0x80 | size,)) + element + _SMALL_BACKLEN[size + 1]
    if size < 4096:
        return bytes((0xE0 | (size >> 8), size & 0xFF)) + element + _backlen(size + 2)
    return b"\xf0" + size.to_bytes(4, "little") + element + _backlen(size + 5)


def listpack_entries_size(entries: list[bytes]) -> int:
    return 7 + sum(map(len, entries))


def listpack_from_entries(entries: list[bytes]) -> bytes:
    """A listpack made of already-encoded entries (see listpack_entry)."""
    body = b"".join(entries)
    total = 7 + len(body)
    count = min(len(entries), 65535)
    return struct.pack("<IH", total, count) + body + b"\xff"


def listpack_encode(elements) -> bytes:
    return listpack_from_entries([listpack_entry(element) for element in elements])


def listpack_decode(blob: bytes) -> list[bytes]:
    """Every element of a listpack, in order."""
    size = len(blob)
    if size < 7:
        raise EncodingError("listpack shorter than its header")
    total, count = struct.unpack_from("<IH", blob)
    if total != size:
        raise EncodingError("listpack size header does not match the blob")
    if blob[-1] != 0xFF:
        raise EncodingError("listpack without its terminator")
    elements = []
    append = elements.append
    pos, end = 6, size - 1
    try:
        while pos < end:
            start = pos
            first = blob[pos]
            if first < 0x80:
                append(b"%d" % first)
                pos += 1
            elif first < 0xC0:
                length = first & 0x3F
                append(blob[pos + 1 : pos + 1 + length])
                pos += 1 + length
            elif first < 0xE0:
                value = ((first & 0x1F) << 8) | blob[pos + 1]
                append(b"%d" % (value - 8192 if value >= 4096 else value))
                pos += 2
            elif first < 0xF0:
                length = ((first & 0x0F) << 8) | blob[pos + 1]
                append(blob[pos + 2 : pos + 2 + length])
                pos += 2 + length
            elif first == 0xF0:
                length = int.from_bytes(blob[pos + 1 : pos + 5], "little")
                append(blob[pos + 5 : pos + 5 + length])
                pos += 5 + length
            elif 0xF1 <= first <= 0xF4:
                width = (2, 3, 4, 8)[first - 0xF1]
                append(b"%d" % int.from_bytes(blob[pos + 1 : pos + 1 + width], "little", signed=True))
                pos += 1 + width
            else:
                raise EncodingError(f"listpack entry with unknown encoding 0x{first:02x}")
            if pos > end:
                raise EncodingError("listpack entry runs past the end")
            backlen = _backlen(pos - start)
            if blob[pos : pos + len(backlen)] != backlen:
                raise EncodingError("listpack entry with a wrong back-length")
            pos += len(backlen)
    except IndexError:
        raise EncodingError("listpack entry runs past the end") from None
    if pos != end:
        raise EncodingError("listpack entry runs past the end")
    if count != 65535 and count != len(elements):
        raise EncodingError("listpack entry count does not match its entries")
    return elements


# -- ziplist (RDB files of Redis before 7.0) -----------------------------------------------------------------

_ZIP_INT_WIDTHS = {0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}


def ziplist_decode(blob: bytes) -> list[bytes]:
    size = len(blob)
    if size < 11:
        raise EncodingError("ziplist shorter than its header")
    total, tail, count = struct.unpack_from("<IIH", blob)
    if total != size or blob[-1] != 0xFF or tail >= size:
        raise EncodingError("ziplist header does not match the blob")
    elements = []
    append = elements.append
    pos, end = 10, size - 1
    try:
        while pos < end:
            pos += 1 if blob[pos] < 254 else 5  # prevlen
            first = blob[pos]
            kind = first >> 6
            if kind == 0:
                length = first & 0x3F
                append(blob[pos + 1 : pos + 1 + length])
                pos += 1 + length
            elif kind == 1:
                length = ((first & 0x3F) << 8) | blob[pos + 1]
                append(blob[pos + 2 : pos + 2 + length])
                pos += 2 + length
            elif kind == 2:
                length = int.from_bytes(blob[pos + 1 : pos + 5], "big")
                append(blob[pos + 5 : pos + 5 + length])
                pos += 5 + length
            elif 0xF1 <= first <= 0xFD:
                append(b"%d" % ((first & 0x0F) - 1))
                pos += 1
            elif first in _ZIP_INT_WIDTHS:
                width = _ZIP_INT_WIDTHS[first]
                append(b"%d" % int.from_bytes(blob[pos + 1 : pos + 1 + width], "little", signed=True))
                pos += 1 + width
            else:
                raise EncodingError(f"ziplist entry with unknown encoding 0x{first:02x}")
    except IndexError:
        raise EncodingError("ziplist entry runs past the end") from None
    if pos != end:
        raise EncodingError("ziplist entry runs past the end")
    if count != 65535 and count != len(elements):
        raise EncodingError("ziplist entry count does not match its entries")
    return elements


# -- intset ----------------------------------------------------------------------------------------------------

_INTSET_FORMATS = {2: "h", 4: "i", 8: "q"}


def intset_encode(values: list[int]) -> bytes:
    """An intset of distinct integers (sorted here), in the narrowest width that holds them all."""
    values = sorted(values)
    low, high = (values[0], values[-1]) if values else (0, 0)
    if low >= -32768 and high <= 32767:
        width = 2
    elif low >= -2147483648 and high <= 2147483647:
        width = 4
    else:
        width = 8
    return struct.pack(f"<II{len(values)}{_INTSET_FORMATS[width]}", width, len(values), *values)


def intset_decode(blob: bytes) -> list[bytes]:
    if len(blob) < 8:
        raise EncodingError("intset shorter than its header")
    width, count = struct.unpack_from("<II", blob)
    code = _INTSET_FORMATS.get(width)
    if code is None or len(blob) != 8 + width * count:
        raise EncodingError("intset header does not match the blob")
    values = struct.unpack_from(f"<{count}{code}", blob, 8)
    if any(a >= b for a, b in itertools.pairwise(values)):
        raise EncodingError("intset members out of order")
    return [b"%d" % value for value in values]


# -- zipmap (hashes in RDB files of Redis before 2.6) ---------------------------------------------------------


def zipmap_decode(blob: bytes) -> list[bytes]:
    """Fields and values, alternating."""
    elements = []
    pos = 1
    try:
        while blob[pos] != 0xFF:
            for is_value in (False, True):
                length = blob[pos]
                if length == 254:
                    length = int.from_bytes(blob[pos + 1 : pos + 5], "little")
                    pos += 5
                elif length == 255:
                    raise EncodingError("zipmap ends in the middle of a pair")
                else:
                    pos += 1
                free = 0
                if is_value:
                    free = blob[pos]
                    pos += 1
                if pos + length > len(blob):
                    raise EncodingError("zipmap entry runs past the end")
                elements.append(blob[pos : pos + length])
                pos += length + free
    except IndexError:
        raise EncodingError("zipmap entry runs past the end") from None
    if pos != len(blob) - 1:
        raise EncodingError("zipmap has bytes after its terminator")
    return elements
