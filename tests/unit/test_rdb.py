"""The RDB codec: CRC-64, LZF, the compact encodings, every value type both ways, whole files, DUMP payloads, and
what a truncated or corrupted file does (a clean RdbError with an offset, never another exception)."""

import math
import os
import random
import struct

import pytest

from redislite.persistence.encodings import (
    EncodingError,
    as_integer,
    intset_decode,
    intset_encode,
    listpack_decode,
    listpack_encode,
    ziplist_decode,
    zipmap_decode,
)
from redislite.persistence.rdb import (
    EncodingLimits,
    RdbError,
    RdbFileWriter,
    RdbReader,
    SaveOptions,
    dump_payload,
    length_bytes,
    list_nodes,
    load_payload,
    read_file,
    verify_payload,
    write_string,
    write_value,
)
from redislite.storage import lzf
from redislite.storage.crc64 import crc64, crc64_python
from redislite.storage.database import Database
from redislite.storage.hashes import HashValue
from redislite.storage.lists import ListValue
from redislite.storage.sets import SetValue
from redislite.storage.zset import ZSet

# dump.rdb as redis-server 7.0.15 wrote it after:
#   RPUSH l a 1 300 -5; SADD si 1 2 3; SADD ss a b; HSET h f v f2 12; ZADD z 1.5 a 2 b; SET s 12345;
#   SET big <57 x "a">; PFADD hll x y z; SET e v PX 100000
REDIS_7_FILE = bytes.fromhex(
    "524544495330303130fa0972656469732d76657206372e302e3135fa0a72656469732d62697473c040fa056374696d65c287050"
    "96bfa08757365642d6d656dc218be1100fa08616f662d62617365c000fe00fb090112016c0102121200000004008161020101c1"
    "2c02dffb02ff0b0273690e02000000030000000100020003000003686c6c1a48594c4c01000000000000000000008061848058cd"
    "8845a0840811017a1414000000040081610283312e35048162020201ff10016813130000000400816602817602826632030c01ff"
    "0003626967c30939016161e02c00016161020273730201620161000173c13930fc9f1f3f1ba20100000001650176ff80a7f1a806"
    "7cfde5"
)


def contents(value):
    """A comparable picture of a value: its type and elements (and encoding flags)."""
    if isinstance(value, bytes):
        return ("string", value)
    if isinstance(value, ListValue):
        return ("list", list(value))
    if isinstance(value, SetValue):
        return ("set", sorted(value), value.intset)
    if isinstance(value, HashValue):
        return ("hash", sorted(value.items()), value.listpack)
    if isinstance(value, ZSet):
        return ("zset", list(value.pairs()), value.listpack)
    raise AssertionError(value)


def round_trip(value, options=None, limits=None):
    out = bytearray()
    write_value(out, value, options or SaveOptions())
    reader = RdbReader(bytes(out), limits)
    loaded = reader.value(reader.byte())
    assert reader.pos == len(out)
    return loaded, bytes(out)


# -- CRC-64 --------------------------------------------------------------------------------------------------


def test_crc64_matches_redis_check_value():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA
    assert crc64_python(b"123456789") == 0xE9C6D914C4B8D9CA


def test_crc64_of_nothing_is_zero_and_it_continues_across_chunks():
    data = os.urandom(10_000)
    assert crc64(b"") == 0
    assert crc64(data[5000:], crc64(data[:5000])) == crc64(data) == crc64_python(data)


def test_crc64_of_a_redis_file_is_its_last_eight_bytes():
    assert crc64(REDIS_7_FILE[:-8]) == int.from_bytes(REDIS_7_FILE[-8:], "little")


# -- LZF -----------------------------------------------------------------------------------------------------


def test_lzf_decompresses_what_redis_compressed():
    # SET big <57 x "a">: Redis wrote c3 09 39 <9 bytes>
    assert lzf.decompress(bytes.fromhex("016161e02c00016161"), 57) == b"a" * 57
    assert lzf.decompress_python(bytes.fromhex("016161e02c00016161"), 57) == b"a" * 57


@pytest.mark.parametrize(
    "data",
    [
        b"hello hello hello hello hello hello",
        b"a" * 1000,
        b"abc" * 500,
        bytes(random.Random(1).choice(b"abcd") for _ in range(5000)),
        os.urandom(64) + b"z" * 300,
    ],
)
def test_lzf_round_trips_between_the_extension_and_the_python_codec(data):
    for compressed in (lzf.compress(data, len(data) - 4), lzf.compress_python(data, len(data) - 4)):
        assert compressed is not None and len(compressed) <= len(data) - 4
        assert lzf.decompress(compressed, len(data)) == data
        assert lzf.decompress_python(compressed, len(data)) == data


def test_lzf_refuses_incompressible_data():
    data = os.urandom(200)
    assert lzf.compress(data, len(data) - 4) is None
    assert lzf.compress_python(data, len(data) - 4) is None


@pytest.mark.parametrize("decompress", [lzf.decompress, lzf.decompress_python])
@pytest.mark.parametrize(
    "data,length",
    [(b"\x05abc", 6), (b"\x20\x00", 10), (b"\x00a\xe0", 40), (b"\x00a\x20\x05", 3), (b"\x01ab", 5), (b"\x01ab", 1)],
)
def test_lzf_corrupt_data_raises_lzf_error(decompress, data, length):
    with pytest.raises(lzf.LzfError):
        decompress(data, length)


# -- compact encodings ---------------------------------------------------------------------------------------

INTEGER_EDGES = [
    0,
    1,
    127,
    128,
    -1,
    -4096,
    4095,
    4096,
    -4097,
    32767,
    -32768,
    32768,
    8388607,
    -8388608,
    8388608,
    2**31 - 1,
    -(2**31),
    2**31,
    2**63 - 1,
    -(2**63),
]
NOT_INTEGERS = [
    b"007",
    b"+1",
    b"-0",
    b" 1",
    b"1 ",
    b"1_000",
    b"9223372036854775808",
    b"",
    b"-",
    b"1e3",
    b"12345678901234567890123",
    b"\xff",
]


def test_integer_text_is_recognised_as_string2ll_does():
    for number in INTEGER_EDGES:
        assert as_integer(b"%d" % number) == number
    for text in NOT_INTEGERS:
        assert as_integer(text) is None


def test_listpack_matches_redis_bytes():
    # RPUSH l a 1 300 -5 in Redis 7.0 gives this listpack
    assert listpack_encode([b"a", b"1", b"300", b"-5"]).hex() == "1200000004008161020101c12c02dffb02ff"


@pytest.mark.parametrize("size", [0, 1, 63, 64, 127, 128, 4095, 4096, 20000, 70000])
def test_listpack_round_trips_strings_of_every_header_size(size):
    elements = [random.Random(size).randbytes(size), b"x", b""]
    assert listpack_decode(listpack_encode(elements)) == elements


def test_listpack_round_trips_integers_and_integer_lookalikes():
    elements = [b"%d" % number for number in INTEGER_EDGES] + NOT_INTEGERS
    assert listpack_decode(listpack_encode(elements)) == elements


def test_listpack_with_more_than_65535_entries_keeps_them_all():
    elements = [b"%d" % (i % 300) for i in range(70000)]
    blob = listpack_encode(elements)
    assert blob[4:6] == b"\xff\xff"
    assert listpack_decode(blob) == elements


@pytest.mark.parametrize(
    "blob",
    [
        b"",
        b"\x07\x00\x00\x00\x00\x00\xff"[:6],
        b"\x08\x00\x00\x00\x00\x00\x00\xff",
        b"\x07\x00\x00\x00\x01\x00\xff",
        b"\x09\x00\x00\x00\x01\x00\x81\x61\xff",
        b"\x0a\x00\x00\x00\x01\x00\x81\x61\x03\xff",
        b"\x08\x00\x00\x00\x01\x00\xf9\xff",
    ],
)
def test_listpack_corruption_raises_encoding_error(blob):
    with pytest.raises(EncodingError):
        listpack_decode(blob)


def test_intset_matches_redis_bytes_and_picks_the_narrowest_width():
    assert intset_encode([3, 1, 2]).hex() == "0200000003000000010002000300"
    for values, width in (([1, -32768], 2), ([1, 70000], 4), ([-(2**63), 5], 8)):
        blob = intset_encode(values)
        assert struct.unpack_from("<I", blob)[0] == width
        assert intset_decode(blob) == [b"%d" % value for value in sorted(values)]


@pytest.mark.parametrize(
    "blob",
    [
        b"\x02\x00\x00",
        b"\x03\x00\x00\x00\x01\x00\x00\x00\x01\x00",
        b"\x02\x00\x00\x00\x02\x00\x00\x00\x01\x00",
        b"\x02\x00\x00\x00\x02\x00\x00\x00\x02\x00\x01\x00",
    ],
)
def test_intset_corruption_raises_encoding_error(blob):
    with pytest.raises(EncodingError):
        intset_decode(blob)


def ziplist(entries) -> bytes:
    """A ziplist as Redis before 7.0 wrote them (every string and integer encoding), built from the spec."""
    body = bytearray()
    previous = 0
    offsets = []
    for entry in entries:
        prevlen = bytes((previous,)) if previous < 254 else b"\xfe" + previous.to_bytes(4, "little")
        if isinstance(entry, int):
            if 0 <= entry <= 12:
                encoding = bytes((0xF1 + entry,))
            elif -128 <= entry <= 127:
                encoding = b"\xfe" + entry.to_bytes(1, "little", signed=True)
            elif -32768 <= entry <= 32767:
                encoding = b"\xc0" + entry.to_bytes(2, "little", signed=True)
            elif -(2**23) <= entry < 2**23:
                encoding = b"\xf0" + entry.to_bytes(3, "little", signed=True)
            elif -(2**31) <= entry < 2**31:
                encoding = b"\xd0" + entry.to_bytes(4, "little", signed=True)
            else:
                encoding = b"\xe0" + entry.to_bytes(8, "little", signed=True)
        elif len(entry) < 64:
            encoding = bytes((len(entry),)) + entry
        elif len(entry) < 16384:
            encoding = bytes((0x40 | (len(entry) >> 8), len(entry) & 0xFF)) + entry
        else:
            encoding = b"\x80" + len(entry).to_bytes(4, "big") + entry
        offsets.append(10 + len(body))
        body += prevlen + encoding
        previous = len(prevlen) + len(encoding)
    total = 10 + len(body) + 1
    tail = offsets[-1] if offsets else 10
    return struct.pack("<IIH", total, tail, len(entries)) + bytes(body) + b"\xff"


ZIPLIST_ENTRIES = [
    b"",
    b"a",
    b"x" * 100,
    b"y" * 300,
    b"z" * 17000,
    0,
    7,
    12,
    13,
    -1,
    -128,
    200,
    -32768,
    100000,
    -(2**23),
    2**31 - 1,
    2**40,
    -(2**63),
]


def test_ziplist_decodes_every_entry_encoding():
    expected = [entry if isinstance(entry, bytes) else b"%d" % entry for entry in ZIPLIST_ENTRIES]
    assert ziplist_decode(ziplist(ZIPLIST_ENTRIES)) == expected


def test_ziplist_corruption_raises_encoding_error():
    blob = ziplist([b"abc", 5])
    for broken in (
        blob[:-1],
        blob[:11] + b"\xff",
        blob.replace(b"abc", b"ab\xff")[:-1] + b"\x00",
        b"\x0b\x00\x00\x00\x0a\x00\x00\x00\x00\x00\xff"[:-1] + b"\x00",
    ):
        with pytest.raises(EncodingError):
            ziplist_decode(broken)


def test_zipmap_decodes_pairs_with_free_bytes():
    blob = b"\x02" + b"\x03foo\x03\x02bar..\x01k\xfe" + (300).to_bytes(4, "little") + b"\x00" + b"v" * 300 + b"\xff"
    assert zipmap_decode(blob) == [b"foo", b"bar", b"k", b"v" * 300]
    with pytest.raises(EncodingError):
        zipmap_decode(blob[:-5])


# -- values --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        b"",
        b"a",
        b"12345",
        b"-1",
        b"007",
        b"2147483647",
        b"2147483648",
        b"\x00\xff" * 40,
        b"x" * 100,
        os.urandom(300),
        b"9" * 20,
    ],
)
def test_strings_round_trip(value):
    loaded, _ = round_trip(value)
    assert loaded == value


def test_string_encodings_follow_redis():
    def encoded(data, compress=True):
        out = bytearray()
        write_string(out, data, compress)
        return bytes(out)

    assert encoded(b"12345") == b"\xc1\x39\x30"
    assert encoded(b"-5") == b"\xc0\xfb"
    assert encoded(b"100000") == b"\xc2\xa0\x86\x01\x00"
    assert encoded(b"3000000000") == b"\x0a3000000000"  # beyond 32 bits: text
    assert encoded(b"a" * 57) == bytes.fromhex("c30939016161e02c00016161")[:1] + encoded(b"a" * 57)[1:]
    assert encoded(b"a" * 57)[0] == 0xC3  # LZF
    assert encoded(b"a" * 57, compress=False) == b"\x39" + b"a" * 57
    assert encoded(b"a" * 20) == b"\x14" + b"a" * 20  # 20 bytes or fewer: never compressed


def test_lengths_use_every_width():
    for n, expected in (
        (5, "05"),
        (63, "3f"),
        (64, "4040"),
        (16383, "7fff"),
        (16384, "8000004000"),
        (2**32, "810000000100000000"),
    ):
        assert length_bytes(n).hex() == expected
        assert RdbReader(length_bytes(n)).length() == n


@pytest.mark.parametrize(
    "items",
    [
        [b"a"],
        [b"a", b"1", b"300", b"-5"],
        [b"x" * 100] * 300,
        [b"%d" % i for i in range(5000)],
        [b"big" * 5000, b"small"],
    ],
)
def test_lists_round_trip_as_quicklist_2(items):
    loaded, raw = round_trip(ListValue(items))
    assert raw[0] == 18
    assert list(loaded) == items


def test_list_nodes_are_cut_as_list_max_listpack_size_says():
    items = [b"x" * 100] * 300
    assert len(list_nodes(items, -2)) == len(list_nodes(items, -1)) // 2 + (len(list_nodes(items, -1)) % 2)
    assert all(len(blob) <= 8192 for _, blob in list_nodes(items, -2))
    assert [len(listpack_decode(blob)) for _, blob in list_nodes([b"a"] * 10, 4)] == [4, 4, 2]


def test_sets_round_trip_as_intset_or_plain_set():
    limits = EncodingLimits()
    intset, raw = round_trip(SetValue.built_from([b"1", b"-70000", b"9223372036854775807"], 512), limits=limits)
    assert raw[0] == 11 and intset.intset and sorted(intset) == sorted([b"1", b"-70000", b"9223372036854775807"])
    plain, raw = round_trip(SetValue.built_from([b"a", b"1", b"\x00"], 512))
    assert raw[0] == 2 and not plain.intset and plain == {b"a", b"1", b"\x00"}


def test_a_loaded_set_takes_the_configured_intset_limit():
    limits = EncodingLimits(set_max_intset_entries=2)
    loaded, _ = round_trip(SetValue.built_from([b"1", b"2", b"3"], 512), limits=limits)
    assert not loaded.intset and len(loaded) == 3


def test_hashes_round_trip_as_listpack_or_plain_hash():
    small = HashValue({b"f": b"v", b"n": b"12", b"\xff": b""})
    loaded, raw = round_trip(small)
    assert raw[0] == 16 and contents(loaded) == contents(small)
    big = HashValue({b"f%d" % i: b"v" * (i % 70) for i in range(300)})
    big.listpack = False
    loaded, raw = round_trip(big)
    assert raw[0] == 4 and contents(loaded) == contents(big)


def test_zsets_round_trip_as_listpack_or_zset_2_with_exact_doubles():
    pairs = [
        (b"a", 1.5),
        (b"b", 2.0),
        (b"c", math.inf),
        (b"d", -math.inf),
        (b"e", 0.1),
        (b"f", -3.0),
        (b"g", 1e300),
        (b"h", 5e-324),
        (b"i", 4503599627370496.0),
        (b"j", 123456789.0),
    ]
    small = ZSet(pairs)
    loaded, raw = round_trip(small)
    assert raw[0] == 17 and contents(loaded) == contents(small)
    big = ZSet(pairs + [(b"m%d" % i, i / 7) for i in range(200)], listpack=False)
    loaded, raw = round_trip(big)
    assert raw[0] == 5 and contents(loaded) == contents(big)


def test_zset_listpack_scores_match_redis_bytes():
    out = bytearray()
    write_value(out, ZSet([(b"a", 1.5), (b"b", 2.0)]), SaveOptions())
    assert out.hex() == "111414000000040081610283312e35048162020201ff"


def test_hyperloglog_values_are_plain_strings_in_redis_layout():
    sparse = bytes.fromhex("48594c4c01000000000000000000008061848058cd8845a08408")
    loaded, raw = round_trip(sparse)
    assert raw[0] == 0 and loaded == sparse


def test_reader_takes_every_older_encoding():
    limits = EncodingLimits()

    def read(type_byte, payload):
        reader = RdbReader(bytes((type_byte,)) + payload, limits)
        return contents(reader.value(reader.byte()))

    def blob(data):
        return length_bytes(len(data)) + data

    assert read(1, b"\x02\x01a\x01b") == ("list", [b"a", b"b"])
    assert read(10, blob(ziplist([b"a", 5]))) == ("list", [b"a", b"5"])
    assert read(14, b"\x02" + blob(ziplist([b"a"])) + blob(ziplist([1, 2]))) == ("list", [b"a", b"1", b"2"])
    assert read(18, b"\x02\x01\x03big\x02" + blob(listpack_encode([b"x"]))) == ("list", [b"big", b"x"])
    assert read(13, blob(ziplist([b"f", b"v", b"n", 7]))) == ("hash", [(b"f", b"v"), (b"n", b"7")], True)
    assert read(9, blob(b"\x01\x01f\x01\x00v\xff")) == ("hash", [(b"f", b"v")], True)
    assert read(12, blob(ziplist([b"a", b"1.5", b"b", 2]))) == ("zset", [(1.5, b"a"), (2.0, b"b")], True)
    assert read(3, b"\x03\x01a\x031.5\x01b\xfe\x01c\xff") == (
        "zset",
        [(-math.inf, b"c"), (1.5, b"a"), (math.inf, b"b")],
        True,
    )
    assert read(20, blob(listpack_encode([b"a", b"1"]))) == ("set", [b"1", b"a"], False)


@pytest.mark.parametrize(
    "type_byte,name", [(15, "stream"), (19, "stream"), (21, "stream"), (7, "module"), (6, "module")]
)
def test_unsupported_types_are_named_in_the_error(type_byte, name):
    with pytest.raises(RdbError, match=name):
        RdbReader(bytes((type_byte,)) + b"\x00" * 20).value(type_byte)


def test_duplicates_and_nan_scores_are_corruption():
    cases = [
        (2, b"\x02\x01a\x01a"),
        (4, b"\x02\x01f\x01v\x01f\x01w"),
        (3, b"\x01\x01a\xfd"),
        (5, b"\x01\x01a" + struct.pack("<d", math.nan)),
    ]
    for type_byte, payload in cases:
        with pytest.raises(RdbError):
            RdbReader(payload).value(type_byte)


# -- files ---------------------------------------------------------------------------------------------------


def test_a_file_written_by_redis_7_loads_with_every_value():
    summary, keys = read_file(REDIS_7_FILE)
    assert summary.version == 10 and summary.checksum_checked
    assert summary.aux[b"redis-ver"] == b"7.0.15"
    loaded = {record.key: contents(record.value) for record in keys}
    assert loaded == {
        b"l": ("list", [b"a", b"1", b"300", b"-5"]),
        b"si": ("set", [b"1", b"2", b"3"], True),
        b"ss": ("set", [b"a", b"b"], False),
        b"h": ("hash", [(b"f", b"v"), (b"f2", b"12")], True),
        b"z": ("zset", [(1.5, b"a"), (2.0, b"b")], True),
        b"s": ("string", b"12345"),
        b"big": ("string", b"a" * 57),
        b"hll": ("string", bytes.fromhex("48594c4c01000000000000000000008061848058cd8845a08408")),
        b"e": ("string", b"v"),
    }
    assert {record.key: record.expire_ms for record in keys if record.expire_ms} == {b"e": 1795753451423}


def sample_databases(big: bool = True):
    first, third, empty = Database(0), Database(3), Database(5)
    first.store(b"string", b"hello")
    first.store(b"number", b"-42")
    first.store(b"binary\x00\xff", bytes(range(256)))
    first.store(b"long", b"abc" * 40)
    first.store(b"list", ListValue([b"a", b"1", b"x" * 70]))
    first.store(b"intset", SetValue.built_from([b"1", b"2", b"-3"], 512))
    first.store(b"set", SetValue.built_from([b"a", b"b"], 512))
    first.store(b"hash", HashValue({b"f": b"v"}))
    first.store(b"zset", ZSet([(b"a", 1.0), (b"b", 2.5)]))
    first.set_deadline(b"string", 4_000_000_000_000)
    third.store(b"in db 3", ZSet([(b"m%d" % i, -i / 3) for i in range(200 if big else 3)], listpack=False))
    return [first, Database(1), Database(2), third, Database(4), empty]


def write_file(databases, **options) -> bytes:
    import io

    buffer = io.BytesIO()
    RdbFileWriter(buffer, SaveOptions(**options)).write_file(databases, [(b"redis-ver", b"7.0.15")], [])
    return buffer.getvalue()


def test_files_round_trip_every_database_key_and_expiry():
    databases = sample_databases()
    summary, keys = read_file(write_file(databases))
    assert summary.version == 10 and summary.checksum_checked
    loaded = {(record.db, record.key): (contents(record.value), record.expire_ms) for record in keys}
    expected = {
        (db.index, key): (contents(value), db.expires.get(key)) for db in databases for key, value in db.data.items()
    }
    assert loaded == expected


def test_an_empty_dataset_is_a_header_and_a_checksum():
    data = write_file([Database(0)])
    _summary, keys = read_file(data)
    assert keys == [] and data.startswith(b"REDIS0010") and data[-9] == 0xFF


def test_a_file_saved_without_checksum_loads_unchecked():
    data = write_file(sample_databases(), checksum=False)
    assert data[-8:] == bytes(8)
    summary, keys = read_file(data)
    assert not summary.checksum_checked and len(keys) == 10


def test_idle_times_are_written_when_asked():
    db = Database(0)
    db.set_clock(1000)
    db.store(b"k", b"v")
    db.set_access_time(b"k", 900)
    _summary, (record,) = read_file(write_file([db], idle_clock_s=1000))
    assert record.idle_s == 100


def test_keys_in_databases_beyond_the_configured_count_are_refused():
    with pytest.raises(RdbError, match="database 3"):
        read_file(write_file(sample_databases()), databases=2)


def test_a_file_of_a_later_version_or_another_format_is_refused():
    with pytest.raises(RdbError, match="version 13"):
        read_file(b"REDIS0013" + b"\xff" + bytes(8))
    with pytest.raises(RdbError, match="signature"):
        read_file(b"NOTREDIS1" + b"\xff" + bytes(8))


def test_truncation_at_every_byte_offset_is_a_clean_error():
    data = write_file(sample_databases(big=False))
    assert len(data) > 300
    for size in range(len(data)):
        with pytest.raises(RdbError) as error:
            read_file(data[:size])
        assert error.value.offset is not None and 0 <= error.value.offset <= size


def test_a_flipped_byte_anywhere_is_a_clean_error():
    data = write_file(sample_databases(big=False))
    for position in range(len(data)):
        for mask in (0xFF, 0x01, 0x80):
            corrupted = bytearray(data)
            corrupted[position] ^= mask
            with pytest.raises(RdbError):
                read_file(bytes(corrupted))


def test_without_the_checksum_a_flipped_byte_loads_or_is_a_clean_error():
    data = write_file(sample_databases(big=False), checksum=False)
    for position in range(len(data)):
        corrupted = bytearray(data)
        corrupted[position] ^= 0x5A
        try:
            read_file(bytes(corrupted))
        except RdbError:
            pass


def test_random_garbage_after_the_header_is_a_clean_error():
    rng = random.Random(7)
    for _ in range(300):
        garbage = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 200)))
        try:
            read_file(b"REDIS0010" + garbage, check_crc=False)
        except RdbError:
            pass


# -- DUMP payloads -------------------------------------------------------------------------------------------


def test_dump_payload_is_value_version_and_crc():
    payload = dump_payload(b"10", SaveOptions())
    assert payload[:-8] == b"\x00\xc0\x0a\x0a\x00"
    assert verify_payload(payload)
    assert load_payload(payload) == b"10"


def test_dump_payloads_round_trip_every_type():
    for db in sample_databases():
        for value in db.data.values():
            assert contents(load_payload(dump_payload(value, SaveOptions()))) == contents(value)


def test_damaged_payloads_fail_verification_or_loading():
    payload = dump_payload(ListValue([b"a", b"b"]), SaveOptions())
    assert not verify_payload(payload[:-1]) and not verify_payload(b"\x00" * 9)
    assert not verify_payload(payload[:-10] + b"\x0b\x00" + payload[-8:])  # version 11: too new for 7.0
    for position in range(len(payload)):
        corrupted = bytearray(payload)
        corrupted[position] ^= 0x40
        assert not verify_payload(bytes(corrupted))
    body = b"\x12\x05"  # a quicklist claiming five nodes, with none
    forged = body + b"\x0a\x00"
    forged += crc64(forged).to_bytes(8, "little")
    assert verify_payload(forged)
    with pytest.raises(RdbError):
        load_payload(forged)


# -- redislite-check-rdb -------------------------------------------------------------------------------------


def test_check_rdb_accepts_a_sound_file_and_names_the_offset_of_a_damaged_one(tmp_path):
    import io

    from redislite.persistence.check_rdb import check, main

    sound, damaged = tmp_path / "sound.rdb", tmp_path / "damaged.rdb"
    sound.write_bytes(REDIS_7_FILE)
    damaged.write_bytes(REDIS_7_FILE[:120])
    report = io.StringIO()
    assert check(sound, report) and "9 keys" in report.getvalue() and "checksum OK" in report.getvalue()
    report = io.StringIO()
    assert not check(damaged, report) and "offset" in report.getvalue()
    assert main([str(damaged)]) == 1 and main([]) == 2
