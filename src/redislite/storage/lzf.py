"""LZF, the compression of RDB strings (Redis's bundled liblzf).

python-lzf (a C extension over liblzf) does the work when installed; the pure-Python codec below is the
fallback and the reference the unit tests check the extension against. Any valid LZF stream is accepted
on load: the bytes Redis's compressor chooses need not be reproduced, only understood.

Format: a control byte c < 32 starts a literal run of c + 1 bytes; otherwise the top 3 bits are a match
length - 2 (7 means "add the next byte"), and the low 5 bits with the byte after the length are a back
offset - 1 into what was already produced (matches may overlap their own output).
"""

try:
    import lzf as _lzf
except ImportError:  # python-lzf is optional (`pip install -e '.[speedups]'`): it needs a compiler
    _lzf = None

MAX_LITERAL = 32
MAX_OFFSET = 1 << 13
MAX_MATCH = 264  # 2 + 7 + 255


class LzfError(ValueError):
    pass


def compress(data: bytes, max_length: int) -> bytes | None:
    """data compressed into at most max_length bytes, or None when it does not get that small."""
    if max_length <= 0 or not data:
        return None
    if _lzf is not None:
        return _lzf.compress(data, max_length)
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


def compress_python(data: bytes, max_length: int) -> bytes | None:
    """A plain greedy LZF compressor (a dict of 3-byte prefixes), valid for any LZF decompressor."""
    out = bytearray()
    literal_start = 0
    last: dict[bytes, int] = {}
    pos, size = 0, len(data)

    def flush_literals(stop: int) -> None:
        start = literal_start
        while start < stop:
            run = min(MAX_LITERAL, stop - start)
            out.append(run - 1)
            out.extend(data[start : start + run])
            start += run

    while pos + 2 < size:
        prefix = data[pos : pos + 3]
        candidate = last.get(prefix)
        last[prefix] = pos
        if candidate is not None and pos - candidate <= MAX_OFFSET:
            match = 3
            limit = min(MAX_MATCH, size - pos)
            while match < limit and data[candidate + match] == data[pos + match]:
                match += 1
            flush_literals(pos)
            offset = pos - candidate - 1
            code = match - 2
            if code < 7:
                out.append((code << 5) | (offset >> 8))
            else:
                out.append((7 << 5) | (offset >> 8))
                out.append(code - 7)
            out.append(offset & 0xFF)
            pos += match
            literal_start = pos
        else:
            pos += 1
        if len(out) > max_length:
            return None
    flush_literals(size)
    return bytes(out) if len(out) <= max_length else None
