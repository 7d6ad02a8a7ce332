"""Redis's RDB format, version 10 (what Redis 7.0 writes), both ways.

A file is "REDIS0010", auxiliary fields, function libraries, then for each non-empty database SELECTDB and
RESIZEDB followed by its keys (each optionally preceded by an absolute expiry in ms and LRU idle time), EOF,
and the CRC-64 of everything before it. DUMP's payload is one value in the same encoding, then the RDB
version (2 bytes) and the CRC-64 (8 bytes), both little-endian.

Values are written as Redis 7.0 writes them:

    string           STRING: an int8/16/32 encoding when the text is a canonical 32-bit integer, LZF when
                     longer than 20 bytes and `rdbcompression yes` and it saves at least 4 bytes, else raw
    list             LIST_QUICKLIST_2: listpack nodes cut as list-max-listpack-size cuts them
    set (intset)     SET_INTSET; other sets SET
    hash (listpack)  HASH_LISTPACK; other hashes HASH
    zset (listpack)  ZSET_LISTPACK; other zsets ZSET_2 (binary doubles, highest score first)

HyperLogLogs are strings already in Redis's byte layout, so they need nothing. The reader also takes
what older Redis versions wrote (plain LIST, ZSET with text scores, ziplists, quicklist v1, zipmap) and the
7.2 listpack set; streams and module values are refused with an error naming them.

Every decoding problem raises RdbError carrying the byte offset where it was noticed; nothing else escapes.
"""

import math
import os
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from ..storage import lzf
from ..storage.crc64 import crc64
from ..storage.hashes import HashValue
from ..storage.lists import ListValue
from ..storage.sets import SetValue
from ..storage.zset import ZSet
from .encodings import (
    EncodingError,
    as_integer,
    intset_decode,
    intset_encode,
    listpack_decode,
    listpack_entry,
    listpack_from_entries,
    ziplist_decode,
    zipmap_decode,
)

RDB_VERSION = 10
MAX_READ_VERSION = 12  # 7.2 and 7.4 files load when they hold only types we know
MAGIC = b"REDIS"

# value types (rdb.h)
TYPE_STRING, TYPE_LIST, TYPE_SET, TYPE_ZSET, TYPE_HASH, TYPE_ZSET_2 = 0, 1, 2, 3, 4, 5
TYPE_MODULE_PRE_GA, TYPE_MODULE_2 = 6, 7
TYPE_HASH_ZIPMAP, TYPE_LIST_ZIPLIST, TYPE_SET_INTSET, TYPE_ZSET_ZIPLIST, TYPE_HASH_ZIPLIST = 9, 10, 11, 12, 13
TYPE_LIST_QUICKLIST, TYPE_STREAM_LISTPACKS, TYPE_HASH_LISTPACK, TYPE_ZSET_LISTPACK = 14, 15, 16, 17
TYPE_LIST_QUICKLIST_2, TYPE_STREAM_LISTPACKS_2, TYPE_SET_LISTPACK, TYPE_STREAM_LISTPACKS_3 = 18, 19, 20, 21
TYPE_NAMES = {
    TYPE_MODULE_PRE_GA: "module",
    TYPE_MODULE_2: "module",
    TYPE_STREAM_LISTPACKS: "stream",
    TYPE_STREAM_LISTPACKS_2: "stream",
    TYPE_STREAM_LISTPACKS_3: "stream",
    22: "hash with field expiry (Redis 7.4)",
    23: "hash with field expiry (Redis 7.4)",
    24: "hash with field expiry (Redis 7.4)",
    25: "hash with field expiry (Redis 7.4)",
}

# opcodes
OPCODE_FUNCTION2, OPCODE_FUNCTION_PRE_GA, OPCODE_MODULE_AUX = 245, 246, 247
OPCODE_IDLE, OPCODE_FREQ, OPCODE_AUX, OPCODE_RESIZEDB = 248, 249, 250, 251
OPCODE_EXPIRETIME_MS, OPCODE_EXPIRETIME, OPCODE_SELECTDB, OPCODE_EOF = 252, 253, 254, 255

ENC_INT8, ENC_INT16, ENC_INT32, ENC_LZF = 0, 1, 2, 3
QUICKLIST_NODE_PLAIN, QUICKLIST_NODE_PACKED = 1, 2
PACKED_THRESHOLD = 1 << 30  # elements this large go in plain quicklist nodes
LIST_SIZE_LIMITS = {-1: 4096, -2: 8192, -3: 16384, -4: 32768, -5: 65536}
SIZE_SAFETY_LIMIT = 8192
DOUBLE_NAN, DOUBLE_POS_INF, DOUBLE_NEG_INF = 253, 254, 255
MAX_LZF_RATIO = 100  # an LZF stream cannot expand more than about 88 times: a bigger claim is corruption

_pack_double = struct.Struct("<d").pack
_pack_int64 = struct.Struct("<q").pack


class RdbError(Exception):
    """A file or payload that cannot be read (or a value that cannot be written), with the byte offset."""

    def __init__(self, message: str, offset: int | None = None):
        super().__init__(message)
        self.message = message
        self.offset = offset

    def __str__(self) -> str:
        return self.message if self.offset is None else f"{self.message} (at byte offset {self.offset})"


@dataclass
class SaveOptions:
    compression: bool = True  # rdbcompression
    checksum: bool = True  # rdbchecksum
    list_fill: int = -2  # list-max-listpack-size
    idle_clock_s: int | None = None  # when set (an LRU maxmemory-policy), keys carry their idle time
    freq_clock_s: int | None = None  # when set (an LFU maxmemory-policy), keys carry their LFU counter
    key_save_delay_us: int = 0  # rdb-key-save-delay, to slow saves down in tests
    incremental_fsync: bool = False  # rdb-save-incremental-fsync: fsync every 4 MB, so the flush at the end is short
    key_progress: Callable[[int], None] | None = None  # given the keys written so far every 1024 keys (fork children)


@dataclass
class EncodingLimits:
    """The encoding thresholds a loaded value is fitted to (Redis converts on load as it would on write)."""

    hash_max_listpack_entries: int = 128
    hash_max_listpack_value: int = 64
    set_max_intset_entries: int = 512
    zset_max_listpack_entries: int = 128
    zset_max_listpack_value: int = 64


# -- writing ---------------------------------------------------------------------------------------------------

_SMALL_LENGTHS = [bytes((n,)) for n in range(64)]
_NUMERIC_START = frozenset(b"-0123456789")


def length_bytes(n: int) -> bytes:
    """rdbSaveLen: 6 bits, 14 bits, 32 bits or 64 bits (big-endian after the marker)."""
    if n < 64:
        return _SMALL_LENGTHS[n]
    if n < 16384:
        return bytes((0x40 | (n >> 8), n & 0xFF))
    if n <= 0xFFFFFFFF:
        return b"\x80" + n.to_bytes(4, "big")
    return b"\x81" + n.to_bytes(8, "big")


def write_string(out: bytearray, data: bytes, compress: bool) -> None:
    """rdbSaveRawString: integer encoding for short integer text, LZF for long text when it pays."""
    size = len(data)
    if size <= 11:
        if size and data[0] in _NUMERIC_START:
            value = as_integer(data)
            if value is not None:
                if -128 <= value <= 127:
                    out += b"\xc0" + value.to_bytes(1, "little", signed=True)
                    return
                if -32768 <= value <= 32767:
                    out += b"\xc1" + value.to_bytes(2, "little", signed=True)
                    return
                if -2147483648 <= value <= 2147483647:
                    out += b"\xc2" + value.to_bytes(4, "little", signed=True)
                    return
    elif compress and size > 20:
        packed = lzf.compress(data, size - 4)
        if packed is not None:
            out += b"\xc3"
            out += length_bytes(len(packed))
            out += length_bytes(size)
            out += packed
            return
    out += _SMALL_LENGTHS[size] if size < 64 else length_bytes(size)
    out += data


def score_text(score: float) -> bytes:
    """d2string, as a listpack zset stores a score: an integer when exactly one, else %.17g."""
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    if score.is_integer() and -4503599627370495 < score < 4503599627370496:
        return b"%d" % int(score)
    return b"%.17g" % score


def list_nodes(items, fill: int) -> list[tuple[int, bytes]]:
    """The quicklist nodes Redis would build for these elements: (container, listpack or plain element)."""
    size_limit = LIST_SIZE_LIMITS.get(fill) if fill < 0 else None
    count_limit = fill if fill > 0 else None
    nodes = []
    entries: list[bytes] = []
    node_size = 0
    for item in items:
        if len(item) >= PACKED_THRESHOLD:
            if entries:
                nodes.append((QUICKLIST_NODE_PACKED, listpack_from_entries(entries)))
                entries, node_size = [], 0
            nodes.append((QUICKLIST_NODE_PLAIN, item))
            continue
        entry = listpack_entry(item)
        if entries:
            new_size = node_size + len(entry) + 8
            if size_limit is not None:
                full = new_size > size_limit
            else:
                full = len(entries) + 1 > (count_limit or 1) or new_size > SIZE_SAFETY_LIMIT
            if full:
                nodes.append((QUICKLIST_NODE_PACKED, listpack_from_entries(entries)))
                entries, node_size = [], 0
        entries.append(entry)
        node_size = (node_size or 7) + len(entry)
    if entries:
        nodes.append((QUICKLIST_NODE_PACKED, listpack_from_entries(entries)))
    return nodes


def _write_list(out: bytearray, value, options: SaveOptions) -> None:
    out.append(TYPE_LIST_QUICKLIST_2)
    nodes = list_nodes(value, options.list_fill)
    out += length_bytes(len(nodes))
    compress = options.compression
    for container, blob in nodes:
        out.append(container)
        write_string(out, blob, compress)


def _write_set(out: bytearray, value, options: SaveOptions) -> None:
    if value.intset:
        numbers = [as_integer(member) for member in value]
        if None not in numbers:
            out.append(TYPE_SET_INTSET)
            write_string(out, intset_encode(numbers), options.compression)
            return
    out.append(TYPE_SET)
    out += length_bytes(len(value))
    compress = options.compression
    for member in value:
        write_string(out, member, compress)


def _write_hash(out: bytearray, value, options: SaveOptions) -> None:
    compress = options.compression
    if value.listpack:
        out.append(TYPE_HASH_LISTPACK)
        entries = []
        for field_name, field_value in value.items():
            entries.append(listpack_entry(field_name))
            entries.append(listpack_entry(field_value))
        write_string(out, listpack_from_entries(entries), compress)
        return
    out.append(TYPE_HASH)
    out += length_bytes(len(value))
    for field_name, field_value in value.items():
        write_string(out, field_name, compress)
        write_string(out, field_value, compress)


def _write_zset(out: bytearray, value, options: SaveOptions) -> None:
    compress = options.compression
    if value.listpack:
        out.append(TYPE_ZSET_LISTPACK)
        entries = []
        for score, member in value.pairs():
            entries.append(listpack_entry(member))
            entries.append(listpack_entry(score_text(score)))
        write_string(out, listpack_from_entries(entries), compress)
        return
    out.append(TYPE_ZSET_2)
    out += length_bytes(len(value))
    # Highest first, as zsetSave writes them: the loader then always inserts at the head.
    for score, member in reversed(value.ordered):
        write_string(out, member, compress)
        out += _pack_double(score)


def _write_string_value(out: bytearray, value, options: SaveOptions) -> None:
    out.append(TYPE_STRING)
    write_string(out, bytes(value), options.compression)


VALUE_WRITERS = {
    bytes: _write_string_value,
    bytearray: _write_string_value,
    ListValue: _write_list,
    SetValue: _write_set,
    HashValue: _write_hash,
    ZSet: _write_zset,
}


def write_value(out: bytearray, value, options: SaveOptions) -> None:
    """The type byte and the value (rdbSaveObjectType + rdbSaveObject)."""
    writer = VALUE_WRITERS.get(value.__class__)
    if writer is None:
        raise RdbError(f"cannot save a value of type {value.__class__.__name__}")
    writer(out, value, options)


def dump_payload(value, options: SaveOptions) -> bytes:
    """DUMP's serialization: the value, the RDB version and a CRC-64, all little-endian."""
    out = bytearray()
    write_value(out, value, options)
    out += RDB_VERSION.to_bytes(2, "little")
    out += crc64(out).to_bytes(8, "little")
    return bytes(out)


def aux_field(out: bytearray, name: bytes, value: bytes) -> None:
    out.append(OPCODE_AUX)
    write_string(out, name, False)
    write_string(out, value, False)


class RdbFileWriter:
    """Streams an RDB file to a binary file object in ~1 MB writes, keeping the running CRC."""

    FLUSH_AT = 1 << 20
    AUTOSYNC_BYTES = 4 << 20  # REDIS_AUTOSYNC_BYTES

    def __init__(self, file, options: SaveOptions):
        self.file = file
        self.options = options
        self.crc = 0
        self.written = 0
        self.synced = 0
        self.keys = 0
        self.buffer = bytearray()

    def flush(self) -> None:
        if self.buffer:
            if self.options.checksum:
                self.crc = crc64(self.buffer, self.crc)
            self.file.write(self.buffer)
            self.written += len(self.buffer)
            self.buffer = bytearray()
            if self.options.incremental_fsync and self.written - self.synced >= self.AUTOSYNC_BYTES:
                self.file.flush()
                os.fsync(self.file.fileno())
                self.synced = self.written

    def write_file(self, databases, aux: list[tuple[bytes, bytes]], functions: list[bytes] = ()) -> int:
        """The whole file; returns its size in bytes."""
        out = self.buffer
        out += b"%s%04d" % (MAGIC, RDB_VERSION)
        for name, value in aux:
            aux_field(out, name, value)
        for code in functions:
            out.append(OPCODE_FUNCTION2)
            write_string(out, code, self.options.compression)
        for db in databases:
            if db.data:
                self.write_database(db)
        self.buffer.append(OPCODE_EOF)
        self.flush()
        self.file.write(self.crc.to_bytes(8, "little") if self.options.checksum else bytes(8))
        self.written += 8
        return self.written

    def write_database(self, db) -> None:
        out = self.buffer
        out.append(OPCODE_SELECTDB)
        out += length_bytes(db.index)
        out.append(OPCODE_RESIZEDB)
        out += length_bytes(len(db.data))
        out += length_bytes(len(db.expires))
        options = self.options
        compress = options.compression
        expires = db.expires
        idle_clock = options.idle_clock_s
        freq_clock = options.freq_clock_s if db.lfu is not None else None
        access = db.access
        delay = options.key_save_delay_us / 1_000_000 if options.key_save_delay_us else 0
        progress = options.key_progress
        writers = VALUE_WRITERS
        flush_at = self.FLUSH_AT
        for key, value in db.data.items():
            if expires:
                deadline = expires.get(key)
                if deadline is not None:
                    out.append(OPCODE_EXPIRETIME_MS)
                    out += _pack_int64(deadline)
            if idle_clock is not None:
                out.append(OPCODE_IDLE)
                out += length_bytes(max(idle_clock - access.get(key, idle_clock), 0))
            elif freq_clock is not None:
                out.append(OPCODE_FREQ)
                word = access.get(key)
                out.append(5 if word is None else db.lfu.decayed(word, freq_clock))
            if value.__class__ is bytes:
                out.append(TYPE_STRING)
                write_string(out, key, compress)
                write_string(out, value, compress)
            else:
                writer = writers.get(value.__class__)
                if writer is None:
                    raise RdbError(f"cannot save the value of a key of type {value.__class__.__name__}")
                value_out = bytearray()
                writer(value_out, value, options)
                out.append(value_out[0])
                write_string(out, key, compress)
                out += memoryview(value_out)[1:]
            self.keys += 1
            if progress is not None and (self.keys & 1023) == 1:
                progress(self.keys)
            if len(out) >= flush_at:
                self.flush()
                out = self.buffer
            if delay:
                time.sleep(delay)


# -- reading ---------------------------------------------------------------------------------------------------


@dataclass
class LoadedKey:
    db: int
    key: bytes
    value: object
    expire_ms: int | None
    idle_s: int | None
    freq: int | None


@dataclass
class FileSummary:
    version: int = 0
    aux: dict = field(default_factory=dict)
    functions: list = field(default_factory=list)
    checksum_checked: bool = False


class RdbReader:
    """A cursor over an RDB file or payload held in memory."""

    def __init__(self, data: bytes, limits=None, pos: int = 0, end: int | None = None):
        self.data = data
        self.pos = pos
        self.end = len(data) if end is None else end
        self.limits = limits or EncodingLimits()

    def fail(self, message: str, offset: int | None = None):
        raise RdbError(message, self.pos if offset is None else offset)

    def take(self, count: int) -> bytes:
        start = self.pos
        stop = start + count
        if stop > self.end:
            self.fail(f"unexpected end of data: {count} bytes wanted, {self.end - start} left")
        self.pos = stop
        return self.data[start:stop]

    def byte(self) -> int:
        pos = self.pos
        if pos >= self.end:
            self.fail("unexpected end of data")
        self.pos = pos + 1
        return self.data[pos]

    def length_or_encoding(self) -> tuple[int, bool]:
        first = self.byte()
        kind = first >> 6
        if kind == 0:
            return first, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.byte(), False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            return int.from_bytes(self.take(4), "big"), False
        if first == 0x81:
            return int.from_bytes(self.take(8), "big"), False
        self.fail(f"unknown length encoding 0x{first:02x}", self.pos - 1)

    def length(self) -> int:
        start = self.pos
        value, encoded = self.length_or_encoding()
        if encoded:
            self.fail("a length was expected, found a string encoding", start)
        return value

    def string(self) -> bytes:
        pos = self.pos
        if pos < self.end:  # the common case first: a raw string of fewer than 64 bytes
            first = self.data[pos]
            if first < 64:
                stop = pos + 1 + first
                if stop <= self.end:
                    self.pos = stop
                    return self.data[pos + 1 : stop]
        return self._encoded_string()

    def _encoded_string(self) -> bytes:
        start = self.pos
        value, encoded = self.length_or_encoding()
        if not encoded:
            return self.take(value)
        if value == ENC_INT8:
            return b"%d" % int.from_bytes(self.take(1), "little", signed=True)
        if value == ENC_INT16:
            return b"%d" % int.from_bytes(self.take(2), "little", signed=True)
        if value == ENC_INT32:
            return b"%d" % int.from_bytes(self.take(4), "little", signed=True)
        if value == ENC_LZF:
            compressed_size = self.length()
            size = self.length()
            if size > compressed_size * MAX_LZF_RATIO + 64:
                self.fail("LZF string claims an impossible length", start)
            packed = self.take(compressed_size)
            try:
                return lzf.decompress(packed, size)
            except lzf.LzfError as error:
                self.fail(f"invalid LZF compressed string: {error}", start)
        self.fail(f"unknown string encoding {value}", start)

    def string_double(self) -> float:
        """A score in RDB_TYPE_ZSET: a length byte (253 NaN, 254 +inf, 255 -inf) then text."""
        size = self.byte()
        if size == DOUBLE_NAN:
            return math.nan
        if size == DOUBLE_POS_INF:
            return math.inf
        if size == DOUBLE_NEG_INF:
            return -math.inf
        start = self.pos
        try:
            return float(self.take(size))
        except ValueError:
            self.fail("invalid double value", start)

    def binary_double(self) -> float:
        return struct.unpack("<d", self.take(8))[0]

    def strings(self, count: int) -> list[bytes]:
        string = self.string
        return [string() for _ in range(count)]

    # -- values ------------------------------------------------------------------------------------------

    def value(self, type_byte: int):
        """rdbLoadObject: the value of a key of this type, fitted to the encoding limits. Returns None for
        a value that turns out empty (Redis skips such keys)."""
        start = self.pos
        loader = _LOADERS.get(type_byte)
        if loader is None:
            name = TYPE_NAMES.get(type_byte)
            if name is not None:
                self.fail(f"the RDB holds a {name} value, which RedisLite does not support", start - 1)
            self.fail(f"unknown value type {type_byte}", start - 1)
        try:
            return loader(self)
        except RdbError:
            raise
        except (EncodingError, ValueError, OverflowError, struct.error) as error:
            self.fail(f"corrupt {_TYPE_FAMILY.get(type_byte, 'value')} value: {error}", start)

    def blob_elements(self, decode) -> list[bytes]:
        start = self.pos
        blob = self.string()
        try:
            return decode(blob)
        except EncodingError as error:
            self.fail(f"corrupt encoded value: {error}", start)

    def checked_count(self) -> int:
        """An element count, refused when the data left could not possibly hold that many elements."""
        count = self.length()
        if count > self.end - self.pos:
            self.fail(f"element count {count} exceeds the data left", self.pos)
        return count

    # lists

    def list_plain(self):
        return ListValue(self.strings(self.checked_count()))

    def list_ziplist(self):
        return ListValue(self.blob_elements(ziplist_decode))

    def list_quicklist(self):
        items = ListValue()
        for _ in range(self.checked_count()):
            items.extend(self.blob_elements(ziplist_decode))
        return items

    def list_quicklist_2(self):
        items = ListValue()
        for _ in range(self.checked_count()):
            start = self.pos
            container = self.length()
            if container == QUICKLIST_NODE_PLAIN:
                items.append(self.string())
            elif container == QUICKLIST_NODE_PACKED:
                items.extend(self.blob_elements(listpack_decode))
            else:
                self.fail(f"unknown quicklist node container {container}", start)
        return items

    # sets

    def set_plain(self):
        count = self.checked_count()
        return self.build_set(self.strings(count))

    def set_intset(self):
        return self.build_set(self.blob_elements(intset_decode))

    def set_listpack(self):
        return self.build_set(self.blob_elements(listpack_decode))

    def build_set(self, members: list[bytes]):
        value = SetValue.built_from(members, self.limits.set_max_intset_entries)
        if len(value) != len(members):
            raise EncodingError("duplicate set members")
        return value

    # hashes

    def hash_plain(self):
        count = self.checked_count()
        return self.build_hash(self.strings(2 * count))

    def hash_zipmap(self):
        return self.build_hash(self.blob_elements(zipmap_decode))

    def hash_ziplist(self):
        return self.build_hash(self.blob_elements(ziplist_decode))

    def hash_listpack(self):
        return self.build_hash(self.blob_elements(listpack_decode))

    def build_hash(self, flat: list[bytes]):
        if len(flat) % 2:
            raise EncodingError("a hash field without its value")
        value = HashValue(zip(flat[::2], flat[1::2]))
        if 2 * len(value) != len(flat):
            raise EncodingError("duplicate hash fields")
        limits = self.limits
        value.listpack = (
            len(value) <= limits.hash_max_listpack_entries
            and max(map(len, flat), default=0) <= limits.hash_max_listpack_value
        )
        return value

    # sorted sets

    def zset_text_scores(self):
        pairs = []
        for _ in range(self.checked_count()):
            member = self.string()
            pairs.append((member, self.string_double()))
        return self.build_zset(pairs)

    def zset_binary_scores(self):
        pairs = []
        for _ in range(self.checked_count()):
            member = self.string()
            pairs.append((member, self.binary_double()))
        return self.build_zset(pairs)

    def zset_ziplist(self):
        return self.build_zset(_score_pairs(self.blob_elements(ziplist_decode)))

    def zset_listpack(self):
        return self.build_zset(_score_pairs(self.blob_elements(listpack_decode)))

    def build_zset(self, pairs: list[tuple[bytes, float]]):
        if any(math.isnan(score) for _, score in pairs):
            raise EncodingError("NaN score")
        limits = self.limits
        listpack = (
            len(pairs) <= limits.zset_max_listpack_entries
            and max((len(member) for member, _ in pairs), default=0) <= limits.zset_max_listpack_value
        )
        value = ZSet(pairs, listpack=listpack)
        if len(value) != len(pairs):
            raise EncodingError("duplicate sorted set members")
        return value

    # -- files -------------------------------------------------------------------------------------------

    def header(self) -> int:
        magic = self.take(9) if self.end >= 9 else self.fail("file too short to be an RDB file", 0)
        if magic[:5] != MAGIC or not magic[5:].isdigit():
            self.fail("not an RDB file (wrong signature)", 0)
        version = int(magic[5:])
        if not 1 <= version <= MAX_READ_VERSION:
            self.fail(f"RDB format version {version} is not supported", 5)
        return version

    def records(self, summary: FileSummary, databases: int, check_crc: bool = True) -> Iterator[tuple]:
        """Read a whole file: yields (db, key, value, expire_ms, idle_s, freq) for every key (a value may be
        empty: Redis skips those), and fills summary."""
        summary.version = self.header()
        db = 0
        expire_ms = idle_s = freq = None
        string, byte, value_of = self.string, self.byte, self.value
        while True:
            opcode_offset = self.pos
            opcode = byte()
            if opcode < OPCODE_FUNCTION2:  # a key and its value
                key = string()
                value = string() if opcode == TYPE_STRING else value_of(opcode)
                yield db, key, value, expire_ms, idle_s, freq
                if expire_ms is not None or idle_s is not None or freq is not None:
                    expire_ms = idle_s = freq = None
            elif opcode == OPCODE_EXPIRETIME_MS:
                expire_ms = int.from_bytes(self.take(8), "little", signed=True)
            elif opcode == OPCODE_EXPIRETIME:
                expire_ms = int.from_bytes(self.take(4), "little", signed=True) * 1000
            elif opcode == OPCODE_IDLE:
                idle_s = self.length()
            elif opcode == OPCODE_FREQ:
                freq = byte()
            elif opcode == OPCODE_SELECTDB:
                db = self.length()
                if db >= databases:
                    self.fail(
                        f"the file uses database {db}, but only {databases} databases are configured", opcode_offset
                    )
            elif opcode == OPCODE_RESIZEDB:
                self.length()
                self.length()
            elif opcode == OPCODE_AUX:
                name = string()
                summary.aux[name] = string()
            elif opcode == OPCODE_FUNCTION2:
                summary.functions.append(string())
            elif opcode == OPCODE_FUNCTION_PRE_GA:
                self.fail("function libraries in the pre-release 7.0 format are not supported", opcode_offset)
            elif opcode == OPCODE_MODULE_AUX:
                self.fail("the RDB holds module auxiliary data, which RedisLite does not support", opcode_offset)
            else:  # OPCODE_EOF
                break
        if summary.version >= 5:
            crc_offset = self.pos
            expected = int.from_bytes(self.take(8), "little")
            if check_crc and expected:
                actual = crc64(memoryview(self.data)[:crc_offset])
                if actual != expected:
                    self.fail(f"wrong RDB checksum: expected {expected:016x}, computed {actual:016x}", crc_offset)
                summary.checksum_checked = True


def _score_pairs(flat: list[bytes]) -> list[tuple[bytes, float]]:
    if len(flat) % 2:
        raise EncodingError("a sorted set member without its score")
    return [(member, float(score)) for member, score in zip(flat[::2], flat[1::2])]


_LOADERS = {
    TYPE_STRING: RdbReader.string,
    TYPE_LIST: RdbReader.list_plain,
    TYPE_SET: RdbReader.set_plain,
    TYPE_ZSET: RdbReader.zset_text_scores,
    TYPE_HASH: RdbReader.hash_plain,
    TYPE_ZSET_2: RdbReader.zset_binary_scores,
    TYPE_HASH_ZIPMAP: RdbReader.hash_zipmap,
    TYPE_LIST_ZIPLIST: RdbReader.list_ziplist,
    TYPE_SET_INTSET: RdbReader.set_intset,
    TYPE_ZSET_ZIPLIST: RdbReader.zset_ziplist,
    TYPE_HASH_ZIPLIST: RdbReader.hash_ziplist,
    TYPE_LIST_QUICKLIST: RdbReader.list_quicklist,
    TYPE_HASH_LISTPACK: RdbReader.hash_listpack,
    TYPE_ZSET_LISTPACK: RdbReader.zset_listpack,
    TYPE_LIST_QUICKLIST_2: RdbReader.list_quicklist_2,
    TYPE_SET_LISTPACK: RdbReader.set_listpack,
}
_TYPE_FAMILY = {
    TYPE_STRING: "string",
    TYPE_LIST: "list",
    TYPE_LIST_ZIPLIST: "list",
    TYPE_LIST_QUICKLIST: "list",
    TYPE_LIST_QUICKLIST_2: "list",
    TYPE_SET: "set",
    TYPE_SET_INTSET: "set",
    TYPE_SET_LISTPACK: "set",
    TYPE_HASH: "hash",
    TYPE_HASH_ZIPMAP: "hash",
    TYPE_HASH_ZIPLIST: "hash",
    TYPE_HASH_LISTPACK: "hash",
    TYPE_ZSET: "sorted set",
    TYPE_ZSET_2: "sorted set",
    TYPE_ZSET_ZIPLIST: "sorted set",
    TYPE_ZSET_LISTPACK: "sorted set",
}


def is_empty(value) -> bool:
    return value.__class__ is not bytes and not value


def verify_payload(payload: bytes) -> bool:
    """verifyDumpPayload: at least a footer, an RDB version we read, and a matching CRC-64."""
    if len(payload) < 10:
        return False
    version = int.from_bytes(payload[-10:-8], "little")
    if version > RDB_VERSION:
        return False
    return crc64(memoryview(payload)[:-8]) == int.from_bytes(payload[-8:], "little")


def load_payload(payload: bytes, limits=None):
    """The value in a verified DUMP payload; RdbError when it is not one well-formed non-empty value."""
    reader = RdbReader(payload, limits, end=len(payload) - 10)
    type_byte = reader.byte()
    if type_byte >= OPCODE_FUNCTION2:
        reader.fail("a value type was expected", 0)
    value = reader.value(type_byte)
    if is_empty(value):
        reader.fail("empty value", 0)
    return value


def read_file(
    data: bytes, limits=None, databases: int = 16, check_crc: bool = True
) -> tuple[FileSummary, list[LoadedKey]]:
    """A whole file at once (tests, tools): its summary and every key, empty ones dropped."""
    summary = FileSummary()
    keys = [
        LoadedKey(*record)
        for record in RdbReader(data, limits).records(summary, databases, check_crc)
        if not is_empty(record[2])
    ]
    return summary, keys
