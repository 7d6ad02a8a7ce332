"""The LZF codec against liblzf 3.6 as Redis 7.0 builds it: the expected bytes below are what lzf_compress
returns (those over 20 bytes are also what redis-server 7.0.15 put in DUMP payloads), including where it gives
up for want of room; and compress/decompress round trips over seeded data, with the pure-Python codec and, when
python-lzf is installed, the extension agreeing byte for byte."""

import random

import pytest

from redislite.storage import lzf

SPARSE_HLL_ABC = b"HYLL\x01" + bytes(10) + b"\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ"  # PFADD h a b c, from redis-server
COLLIDES_WITH_XYZ = b"\x00\xc7\xf0"  # the same slot of liblzf's hash table as b"xyz"

COMPRESSORS = [lzf.compress, lzf.compress_python]
DECOMPRESSORS = [lzf.decompress, lzf.decompress_python]

# (data, the smallest room lzf_compress succeeds in, what it writes)
LIBLZF = [
    (b"a" * 57, 10, "016161e02c00016161"),
    (b"abc" * 200, 18, "0361626361e0ff02e1ff07e13907016263"),
    # a match runs to maxlen = remaining - 2 ... except that 17 and 18 are checked only after 16 unrolled
    # comparisons, which take 19 bytes: to the end of the input here
    (b"a" * 21, 10, "016161e00a00"),
    (b"a" * 22, 10, "016161e00a000061"),
    (b"a" * 23, 10, "016161e00a00016161"),
    (b"z" * 600, 16, "017a7ae0ff00e0ff00e03b00017a7a"),  # 264 bytes at most per match
    (b"a" * 40 + b"b" * 40, 15, "016161e01d000062e01c00016262"),
    # position 0 is never a match source: the second "xyz" and "abc" are literals
    (b"xyzxyzxyzxyz", 11, "0378797a78800201797a"),
    (b"abcdefgh" * 2, 16, "086162636465666768616007016768"),
    (b"0123456789" * 3 + b"012345678X", 19, "0a3031323334353637383930e01209013858"),
    # a 3-byte group with the same hash evicts the earlier "xyz" from the table: no match
    (b".xyz-qqq+xyz!?", 16, "082e78797a2d7171712b200701213f"),
    (b".xyz-" + COLLIDES_WITH_XYZ + b"+xyz!?", 16, "0d2e78797a2d00c7f02b78797a213f"),
    # 23 bytes of output, but liblzf wants room for 3 more bytes after its main loop: not in 23 (len - 4)
    (SPARSE_HLL_ABC, 24, "0548594c4c0100e000000b8060f38050b1844bfb80425a"),
]


@pytest.mark.parametrize("compress", COMPRESSORS)
@pytest.mark.parametrize("data,room,expected", LIBLZF)
def test_lzf_writes_what_liblzf_writes_and_gives_up_where_it_does(compress, data, room, expected):
    assert compress(data, len(data) + 100) == bytes.fromhex(expected)
    assert compress(data, room) == bytes.fromhex(expected)
    assert compress(data, room - 1) is None


@pytest.mark.parametrize("compress", COMPRESSORS)
def test_a_match_reaches_back_8192_bytes_and_no_further(compress):
    rng = random.Random(3)
    chunk = b"0123456789"
    for distance, tail in ((8192, "dfff01392e"), (8193, "333435363738392e")):
        data = chunk + rng.randbytes(distance - len(chunk)) + chunk + b"."
        assert compress(data, 2 * len(data)).endswith(bytes.fromhex(tail))


@pytest.mark.parametrize("compress", COMPRESSORS)
def test_a_27_byte_sparse_hyperloglog_is_not_compressed_in_len_minus_4(compress):
    assert len(SPARSE_HLL_ABC) == 27
    assert compress(SPARSE_HLL_ABC, len(SPARSE_HLL_ABC) - 4) is None


@pytest.mark.parametrize("compress", COMPRESSORS)
def test_nothing_to_compress_or_no_room_gives_none(compress):
    assert compress(b"", 10) is None
    assert compress(b"a" * 50, 0) is None
    assert compress(b"a" * 50, -1) is None


def seeded_values(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for size in [1, 2, 3, 4, 5, 6, 20, 21, 22, 27, 33, 64, 100, 500, 3000, 20000]:
        alphabet = rng.randbytes(rng.randint(1, 6))
        pieces = [rng.randbytes(rng.randint(1, 20)) for _ in range(4)]
        patchwork = b"".join(rng.choice(pieces) + rng.randbytes(rng.randint(0, 2)) for _ in range(size))
        out += [
            rng.randbytes(size),
            bytes(rng.choice(alphabet) for _ in range(size)),
            (rng.randbytes(rng.randint(1, 9)) * size)[:size],
            patchwork[:size],
            bytes(size),
        ]
    return out


@pytest.mark.parametrize("seed", range(4))
def test_compressed_values_decompress_to_themselves(seed):
    for data in seeded_values(seed):
        packed = lzf.compress(data, 2 * len(data) + 8)
        assert packed is not None
        for decompress in DECOMPRESSORS:
            assert decompress(packed, len(data)) == data


@pytest.mark.parametrize("seed", range(4))
def test_room_only_decides_whether_liblzf_gives_up(seed):
    """With less room the output is the same or nothing, and what fits in n bytes fits in n + 1."""
    for data in seeded_values(seed)[:60]:
        full = lzf.compress_python(data, 2 * len(data) + 8)
        assert full is not None
        results = [lzf.compress_python(data, room) for room in range(1, len(full) + 6)]
        assert set(results) <= {None, full}
        fits = [result is not None for result in results]
        assert fits == sorted(fits) and fits[-1]


@pytest.mark.skipif(lzf._lzf is None, reason="python-lzf is not installed")
@pytest.mark.parametrize("seed", range(4))
def test_the_extension_and_the_python_codec_agree(seed):
    rng = random.Random(seed)
    for data in seeded_values(seed):
        for room in {1, 2, len(data) - 4, len(data), len(data) + 40, rng.randint(1, 2 * len(data) + 2)}:
            if room > 0:
                assert lzf.compress(data, room) == lzf.compress_python(data, room), (data[:40], room)
