"""LZF-compressed strings, differentially: the same values SET in RedisLite and in a real redis-server must DUMP
to the same bytes, and SAVE must write them with the same string encoding into dump.rdb.

Redis compresses a string longer than 20 bytes with its bundled liblzf 3.6 and keeps the result only when
lzf_compress fits it in len - 4 bytes (rdbSaveLzfStringObject); liblzf picks its matches through a 64K-slot
hash table and gives up on conservative room checks, so only the same algorithm gives the same bytes and the
same choice to compress at all. The values are seeded: random bytes, text from a small vocabulary, periodic
patterns, runs, low-entropy alphabets, a chunk repeated about 8192 bytes later (liblzf's longest reach), long
runs past the longest match (264 bytes), lengths just above 20, sparse and dense HyperLogLogs made by the real
server, list and hash encodings whose listpack blob is compressed, and each with rdbcompression yes and no."""

import random
from dataclasses import dataclass
from pathlib import Path

import pytest

from ..servers import raw_client, real_redis, redis_server_path, redislite

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)

SEEDS = range(8)
VALUES_PER_SEED = 300
LENGTHS = [21, 22, 23, 24, 25, 26, 27, 28, 30, 32, 33, 36, 40, 44, 45, 50, 64, 65, 100, 127, 200, 300, 1000, 4000]
WORDS = [b"user", b"session", b"id", b"name", b"email", b"value", b":", b"=", b" ", b"{", b"}", b'"', b",", b"\n"]
HLL_SIZES = [1, 2, 3, 4, 6, 10, 20, 50, 100, 200, 400, 800, 1500, 3000]  # sparse ... dense


def text(rng: random.Random, size: int) -> bytes:
    out = b""
    while len(out) < size:
        out += rng.choice(WORDS) + str(rng.randrange(rng.choice([10, 1000, 100_000]))).encode()
    return out[:size]


def periodic(rng: random.Random, size: int) -> bytes:
    return (rng.randbytes(rng.randint(1, 40)) * (size // 2 + 1))[:size]


def runs(rng: random.Random, size: int) -> bytes:
    out = b""
    while len(out) < size:
        out += bytes([rng.randrange(256)]) * rng.randint(1, 12)
    return out[:size]


def low_entropy(rng: random.Random, size: int) -> bytes:
    alphabet = rng.randbytes(rng.randint(1, 8))
    return bytes(rng.choice(alphabet) for _ in range(size))


def patchwork(rng: random.Random, size: int) -> bytes:
    """A few random pieces repeated in random order with noise between: matches of every length."""
    pieces = [rng.randbytes(rng.randint(2, 30)) for _ in range(rng.randint(2, 6))]
    out = b""
    while len(out) < size:
        out += rng.choice(pieces) + rng.randbytes(rng.randint(0, 4))
    return out[:size]


def far_repeat(rng: random.Random, size: int) -> bytes:
    """A chunk again after a random gap of about 8192 bytes: just within liblzf's reach, or just past it."""
    chunk = rng.randbytes(rng.randint(3, 40))
    gap = 8192 - len(chunk) + rng.randint(-3, 3)
    return chunk + rng.randbytes(gap) + chunk + rng.randbytes(rng.randint(0, 4))


def long_runs(rng: random.Random, size: int) -> bytes:
    return bytes([rng.randrange(256)]) * rng.randint(250, 2000) + rng.randbytes(rng.randint(0, 5))


def sparse_hll_like(rng: random.Random, size: int) -> bytes:
    return b"HYLL\x01" + bytes(11) + bytes(rng.choice([0x00, 0x40, 0x7F, 0x80, 0x84, 0x90]) for _ in range(size))


KINDS = [
    (lambda rng, size: rng.randbytes(size), 2),
    (text, 4),
    (periodic, 2),
    (runs, 2),
    (low_entropy, 3),
    (patchwork, 4),
    (far_repeat, 0.3),
    (long_runs, 0.5),
    (sparse_hll_like, 2),
]


def values(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    generators, weights = zip(*KINDS)
    out = [rng.choices(generators, weights)[0](rng, rng.choice(LENGTHS)) for _ in range(VALUES_PER_SEED)]
    out.append(text(rng, 300_000))  # one long value: many 8 KB windows, table collisions
    out.append(rng.randbytes(20) * 3)  # 60 bytes that would compress, below and above 20 on their own
    return out


def hll_values(real_port: int) -> list[bytes]:
    """What PFADD makes of a b c, then of 1 ... 3000 elements, on the real server (sparse, then dense), read
    with GET, before and after PFCOUNT caches the cardinality in the header."""
    client = raw_client(real_port)
    client.delete("h")
    client.pfadd("h", "a", "b", "c")
    out = [client.get("h")]
    for size in HLL_SIZES:
        client.delete("h")
        client.pfadd("h", *[f"e{i}" for i in range(size)])
        out.append(client.get("h"))
        client.pfcount("h")  # the cached cardinality changes the header
        out.append(client.get("h"))
    client.delete("h")
    return out


@dataclass(frozen=True)
class Server:
    port: int
    dir: Path  # where SAVE writes dump.rdb


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """(RedisLite, redis-server): both on a directory of their own, for SAVE."""
    lite_dir, real_dir = tmp_path_factory.mktemp("lite"), tmp_path_factory.mktemp("real")
    with (
        redislite("--dir", str(lite_dir), cwd=lite_dir) as lite,
        real_redis("--dir", str(real_dir), cwd=real_dir) as real,
    ):
        yield Server(lite.port, lite_dir), Server(real.port, real_dir)


def set_on_both(servers, keyed: dict[bytes, bytes], compression: str) -> None:
    for server in servers:
        client = raw_client(server.port)
        client.flushall()
        client.config_set("rdbcompression", compression)
        pipe = client.pipeline(transaction=False)
        for key, value in keyed.items():
            pipe.set(key, value)
        pipe.execute()


def dumps(port: int, keys) -> list[bytes]:
    pipe = raw_client(port).pipeline(transaction=False)
    for key in keys:
        pipe.dump(key)
    return pipe.execute()


def assert_same_dumps(servers, keyed: dict[bytes, bytes]) -> list[bytes]:
    lite, real = servers
    theirs, ours = dumps(real.port, keyed), dumps(lite.port, keyed)
    different = [
        f"{key!r}: {len(keyed[key])} bytes {keyed[key][:40]!r}\n  redis:     {want[:80]!r}\n  redislite: {got[:80]!r}"
        for key, want, got in zip(keyed, theirs, ours)
        if want != got
    ]
    assert not different, f"{len(different)} of {len(keyed)} DUMP payloads differ\n" + "\n".join(different[:10])
    return theirs


def lzf_sizes(payload: bytes) -> tuple[int, int] | None:
    """(compressed, original) length of a string DUMP payload stored LZF-compressed, else None."""
    if payload[1] != 0xC3:
        return None
    compressed, pos = read_length(payload, 2)
    original, _ = read_length(payload, pos)
    return compressed, original


@pytest.mark.parametrize("compression", ["yes", "no"])
@pytest.mark.parametrize("seed", SEEDS)
def test_dump_of_every_string_is_byte_identical(servers, seed, compression):
    keyed = {b"k:%d" % index: value for index, value in enumerate(values(seed))}
    set_on_both(servers, keyed, compression)
    payloads = assert_same_dumps(servers, keyed)
    if compression == "yes":  # the seeded values reach both sides of Redis's choice, and its edge
        compressed = [sizes for sizes in map(lzf_sizes, payloads) if sizes is not None]
        assert compressed and len(compressed) < len(payloads)
        assert any(packed >= original - 6 for packed, original in compressed)
    else:
        assert all(lzf_sizes(payload) is None for payload in payloads)


def test_dump_of_hyperloglogs_made_by_redis_is_byte_identical(servers):
    real = servers[1]
    keyed = {b"hll:%d" % index: value for index, value in enumerate(hll_values(real.port))}
    set_on_both(servers, keyed, "yes")
    payloads = assert_same_dumps(servers, keyed)
    # PFADD h a b c: 27 bytes that liblzf gives up on in 23 (a greedier LZF fits them): stored plain
    assert len(keyed[b"hll:0"]) == 27 and lzf_sizes(payloads[0]) is None
    assert any(lzf_sizes(payload) for payload in payloads)


def test_dump_of_compressed_listpacks_is_byte_identical(servers):
    rng = random.Random(99)
    for server in servers:
        client = raw_client(server.port)
        client.flushall()
        client.config_set("rdbcompression", "yes")
    keys = []
    for index in range(60):
        elements = [text(rng, rng.randint(1, 30)) for _ in range(rng.randint(1, 60))]
        for server in servers:
            client = raw_client(server.port)
            client.rpush(b"list:%d" % index, *elements)
            client.hset(b"hash:%d" % index, mapping={b"f%d" % i: e for i, e in enumerate(elements)})
            client.sadd(b"set:%d" % index, *elements)
        keys += [b"list:%d" % index, b"hash:%d" % index]  # a set of strings is a hashtable: its order differs
    assert_same_dumps(servers, dict.fromkeys(keys, b""))


# -- the string encodings in dump.rdb -----------------------------------------------------------------------


def read_length(data: bytes, pos: int) -> tuple[int, int]:
    """(rdbLoadLen value, position after it) for a plain length."""
    first = data[pos]
    kind = first >> 6
    if kind == 0:
        return first & 0x3F, pos + 1
    if kind == 1:
        return ((first & 0x3F) << 8) | data[pos + 1], pos + 2
    if first == 0x80:
        return int.from_bytes(data[pos + 1 : pos + 5], "big"), pos + 5
    if first == 0x81:
        return int.from_bytes(data[pos + 1 : pos + 9], "big"), pos + 9
    raise AssertionError(f"not a plain length: {first:#x} at {pos}")


def skip_string(data: bytes, pos: int) -> int:
    """The position after the string encoded at pos: plain, an int8/16/32 or LZF."""
    first = data[pos]
    if first >> 6 != 3:
        size, pos = read_length(data, pos)
        return pos + size
    special = first & 0x3F
    if special in (0, 1, 2):
        return pos + 1 + (1 << special)
    assert special == 3, f"unknown string encoding {first:#x}"
    compressed, pos = read_length(data, pos + 1)
    _, pos = read_length(data, pos)
    return pos + compressed


def string_encodings(path) -> dict[bytes, bytes]:
    """key encoding -> value encoding, as written, for a file of plain string keys without expiries. The aux
    fields (redis-ver, ctime, used-mem, ...) and the order of the keys legitimately differ between servers."""
    data = path.read_bytes()
    assert data[:9] == b"REDIS0010", data[:9]
    out: dict[bytes, bytes] = {}
    pos = 9
    while (opcode := data[pos]) != 0xFF:
        pos += 1
        if opcode == 0xFA:  # AUX key value
            pos = skip_string(data, skip_string(data, pos))
        elif opcode == 0xFE:  # SELECTDB
            _, pos = read_length(data, pos)
        elif opcode == 0xFB:  # RESIZEDB
            pos = read_length(data, read_length(data, pos)[1])[1]
        else:
            assert opcode == 0x00, f"not a string key: opcode {opcode:#x} at {pos - 1}"
            key_end = skip_string(data, pos)
            value_end = skip_string(data, key_end)
            out[data[pos:key_end]] = data[key_end:value_end]
            pos = value_end
    assert len(data) == pos + 1 + 8  # EOF and the checksum
    return out


@pytest.mark.parametrize("seed", [100, 101])
def test_saved_files_hold_the_same_string_encodings(servers, seed):
    lite, real = servers
    keyed = {b"k:%d" % index: value for index, value in enumerate(values(seed))}
    keyed |= {b"hll:%d" % index: value for index, value in enumerate(hll_values(real.port))}
    set_on_both(servers, keyed, "yes")
    for server in servers:
        assert raw_client(server.port).save() == b"OK"
    theirs, ours = string_encodings(real.dir / "dump.rdb"), string_encodings(lite.dir / "dump.rdb")
    assert len(theirs) == len(keyed)
    different = [key for key in theirs if ours.get(key) != theirs[key]]
    assert not different and ours.keys() == theirs.keys(), different[:10]
