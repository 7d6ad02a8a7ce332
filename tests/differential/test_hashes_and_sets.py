"""Hash and set commands, differentially: seeded random sequences (with SET on the same keys for WRONGTYPE,
missing keys, bad counts, bad cursors and bad arity, small encoding limits on some seeds, RESP3 on some)
go to RedisLite and to a real redis-server; replies must be equal byte for byte, except where Redis leaves
the order unspecified (compared as sorted elements) or picks at random (compared by shape and count).
After an SPOP both servers are given Redis's surviving members, so the sequences stay in step."""

import random

import pytest

from ..servers import redis_server_path
from .conftest import COVERAGE, ERROR_REPLIES
from .harness import Builders, as_bytes

SEEDS = range(40)
COMMANDS_PER_SEQUENCE = 200

HASH_KEYS = [b"h0", b"h1", b"h2"]
SET_KEYS = [b"s0", b"s1", b"s2", b"s3"]
OTHER_KEYS = [b"str", b"missing"]
FIELDS = [b"f0", b"f1", b"f2", b"f3", b"f4", b"f5", b"", b"n", b"x" * 70, b"\x00\xff"]
VALUES = [
    b"1",
    b"-2",
    b"1.5",
    b"abc",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"10e3",
    b"0x10",
    b"",
    b"x" * 70,
    b"3.0",
    b" 1",
    b"inf",
]
MEMBERS = [
    b"1",
    b"2",
    b"3",
    b"-5",
    b"10",
    b"0",
    b"007",
    b"-0",
    b"a",
    b"b",
    b"c",
    b"",
    b"x" * 70,
    b"9223372036854775807",
    b"9223372036854775808",
    b"\x00\xff",
    b"4",
    b"5",
    b"6",
    b"7",
]
INCREMENTS = ["1", "-1", "5", "0", "9223372036854775807", "-9223372036854775808", "abc", "1.5", ""]
FLOAT_INCREMENTS = ["1", "0.1", "-1.5", "1e10", "abc", "inf", "-inf", "nan", "1e4932", "3", "0x10", ""]
COUNTS = ["0", "1", "2", "3", "5", "100", "-1", "-3", "abc", "9223372036854775807", "-9223372036854775808", ""]
CURSORS = ["0", "0", "0", "1", "abc", "-1", "18446744073709551616"]
UNORDERED = {b"SMEMBERS", b"SINTER", b"SUNION", b"SDIFF", b"HKEYS", b"HVALS", b"HGETALL"}
RANDOM = {b"SPOP", b"SRANDMEMBER", b"HRANDFIELD"}
SCANS = {b"SSCAN", b"HSCAN"}
# A hashtable's scan is compared by shape only: Redis walks buckets, we page a snapshot (and may finish sooner).
UNFINISHED_SCAN = "unfinished scan"

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


# -- replies, parsed so unordered and random ones can be normalized ----------------------------------------------


def parse(reply: bytes, pos: int = 0):
    """(kind, value, end): kind is the RESP type byte; value the payload bytes or a list of parsed children."""
    kind = reply[pos : pos + 1]
    end = reply.index(b"\r\n", pos)
    header = reply[pos + 1 : end]
    if kind in (b"$", b"=", b"!"):
        length = int(header)
        if length < 0:
            return kind, None, end + 2
        return kind, reply[end + 2 : end + 2 + length], end + 2 + length + 2
    if kind in (b"*", b"~", b">", b"%"):
        count = int(header)
        if count < 0:
            return kind, None, end + 2
        count *= 2 if kind == b"%" else 1
        children, pos = [], end + 2
        for _ in range(count):
            child_kind, value, pos = parse(reply, pos)
            children.append((child_kind, value))
        return kind, children, pos
    return kind, header, end + 2


def canonical(node):
    kind, value = node
    if isinstance(value, list):
        return kind, tuple(canonical(child) for child in value)
    return kind, value


def normalize(argv: list, reply: bytes):
    name = as_bytes(argv[0]).upper()
    kind, value, _ = parse(reply)
    if kind == b"-" or not isinstance(value, list):
        if name in RANDOM and kind in (b"$", b"_"):
            return kind  # a random member, or null
        return reply
    items = [canonical(child) for child in value]
    if name in UNORDERED:
        if name == b"HGETALL" and kind == b"*":
            items = list(zip(items[::2], items[1::2]))
        return kind, sorted(items)
    if name in RANDOM:
        return kind, len(items)
    if name in SCANS:
        cursor, elements = items
        if cursor[1] != b"0" or as_bytes(argv[2]) != b"0":
            return kind, UNFINISHED_SCAN
        elements = list(elements[1])
        if name == b"HSCAN":
            elements = list(zip(elements[::2], elements[1::2]))
        return kind, sorted(elements)
    return reply


# -- command generation -----------------------------------------------------------------------------------------


class HashSetGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def pick(self, options):
        return self.rng.choice(options)

    def hash_key(self) -> bytes:
        return self.pick(HASH_KEYS) if self.rng.random() < 0.88 else self.pick(SET_KEYS + OTHER_KEYS)

    def set_key(self) -> bytes:
        return self.pick(SET_KEYS) if self.rng.random() < 0.88 else self.pick(HASH_KEYS + OTHER_KEYS)

    def fields(self, most: int = 4) -> list[bytes]:
        return [self.pick(FIELDS) for _ in range(self.rng.randint(1, most))]

    def members(self, most: int = 5) -> list[bytes]:
        return [self.pick(MEMBERS) for _ in range(self.rng.randint(1, most))]

    def set_keys(self, most: int = 3) -> list[bytes]:
        return [self.set_key() for _ in range(self.rng.randint(1, most))]

    def count(self) -> str:
        return str(self.rng.randint(-4, 6)) if self.rng.random() < 0.6 else self.pick(COUNTS)

    def scan_options(self) -> list:
        options = []
        if self.rng.random() < 0.4:
            options += ["COUNT", self.pick(["1", "2", "5", "100", "0", "-1", "abc"])]
        if self.rng.random() < 0.3:
            options += ["MATCH", self.pick(["*", "f*", "[0-9]*", "?", "*x*", "a"])]
        if self.rng.random() < 0.05:
            options += self.pick([["TYPE", "set"], ["COUNT"], ["FOO", "1"]])
        return options

    def command(self) -> list:
        argv = BUILDERS.pick(self.rng)(self)
        if self.rng.random() < 0.03:  # bad arity: drop or add arguments
            argv = argv[:1] if len(argv) > 1 and self.rng.random() < 0.5 else argv + ["extra"] * 3
        return argv


BUILDERS = Builders()
_builder = BUILDERS.add


@_builder("hset", 10)
def _hset(g):
    pairs = [item for field in g.fields() for item in (field, g.pick(VALUES))]
    if g.rng.random() < 0.05:
        pairs = pairs[:-1]
    return [g.pick(["HSET", "HSET", "HMSET"]), g.hash_key(), *pairs]


@_builder("hsetnx", 2)
def _hsetnx(g):
    return ["HSETNX", g.hash_key(), g.pick(FIELDS), g.pick(VALUES)]


@_builder("hget", 5)
def _hget(g):
    return [g.pick(["HGET", "HEXISTS", "HSTRLEN"]), g.hash_key(), g.pick(FIELDS)]


@_builder("hmget", 2)
def _hmget(g):
    return ["HMGET", g.hash_key(), *g.fields()]


@_builder("hwhole", 4)
def _hwhole(g):
    return [g.pick(["HGETALL", "HKEYS", "HVALS", "HLEN"]), g.hash_key()]


@_builder("hdel", 4)
def _hdel(g):
    return ["HDEL", g.hash_key(), *g.fields()]


@_builder("hincrby", 4)
def _hincrby(g):
    return ["HINCRBY", g.hash_key(), g.pick(FIELDS), g.pick(INCREMENTS)]


@_builder("hincrbyfloat", 4)
def _hincrbyfloat(g):
    return ["HINCRBYFLOAT", g.hash_key(), g.pick(FIELDS), g.pick(FLOAT_INCREMENTS)]


@_builder("hrandfield", 3)
def _hrandfield(g):
    argv = ["HRANDFIELD", g.hash_key()]
    if g.rng.random() < 0.7:
        argv.append(g.count())
        if g.rng.random() < 0.5:
            argv.append(g.pick(["WITHVALUES", "withvalues", "WITHVALUES", "foo"]))
    return argv


@_builder("hscan", 3)
def _hscan(g):
    return ["HSCAN", g.hash_key(), g.pick(CURSORS), *g.scan_options()]


@_builder("sadd", 12)
def _sadd(g):
    return ["SADD", g.set_key(), *g.members()]


@_builder("srem", 5)
def _srem(g):
    return ["SREM", g.set_key(), *g.members(3)]


@_builder("sread", 6)
def _sread(g):
    return [g.pick(["SMEMBERS", "SCARD"]), g.set_key()]


@_builder("sismember", 4)
def _sismember(g):
    if g.rng.random() < 0.5:
        return ["SISMEMBER", g.set_key(), g.pick(MEMBERS)]
    return ["SMISMEMBER", g.set_key(), *g.members()]


@_builder("spop", 3)
def _spop(g):
    argv = ["SPOP", g.set_key()]
    return argv + [g.count()] if g.rng.random() < 0.6 else argv


@_builder("srandmember", 3)
def _srandmember(g):
    argv = ["SRANDMEMBER", g.set_key()]
    return argv + [g.count()] if g.rng.random() < 0.7 else argv


@_builder("smove", 3)
def _smove(g):
    return ["SMOVE", g.set_key(), g.set_key(), g.pick(MEMBERS)]


@_builder("setops", 8)
def _setops(g):
    name = g.pick(["SINTER", "SUNION", "SDIFF"])
    if g.rng.random() < 0.5:
        return [name + "STORE", g.pick(SET_KEYS + OTHER_KEYS), *g.set_keys()]
    return [name, *g.set_keys()]


@_builder("sintercard", 3)
def _sintercard(g):
    keys = g.set_keys()
    numkeys = str(len(keys)) if g.rng.random() < 0.85 else g.pick(["0", "-1", "abc", "9", str(len(keys) + 1)])
    argv = ["SINTERCARD", numkeys, *keys]
    if g.rng.random() < 0.4:
        argv += ["LIMIT", g.pick(["0", "1", "2", "-1", "abc"])]
    elif g.rng.random() < 0.05:
        argv += g.pick([["LIMIT"], ["FOO"]])
    return argv


@_builder("sscan", 3)
def _sscan(g):
    return ["SSCAN", g.set_key(), g.pick(CURSORS), *g.scan_options()]


@_builder("generic", 5)
def _generic(g):
    key = g.pick(HASH_KEYS + SET_KEYS + OTHER_KEYS)
    return g.pick(
        [
            ["TYPE", key],
            ["OBJECT", "ENCODING", key],
            ["EXISTS", key],
            ["SET", key, "v"],
            ["DEL", key],
            ["OBJECT", "ENCODING", key],
            ["COPY", key, g.pick(HASH_KEYS + SET_KEYS)],
        ]
    )


# -- the test ----------------------------------------------------------------------------------------------------

SMALL_LIMITS = [
    ["CONFIG", "SET", "set-max-intset-entries", "4"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "3"],
    ["CONFIG", "SET", "hash-max-listpack-value", "4"],
]
DEFAULT_LIMITS = [
    ["CONFIG", "SET", "set-max-intset-entries", "512"],
    ["CONFIG", "SET", "hash-max-listpack-entries", "128"],
    ["CONFIG", "SET", "hash-max-listpack-value", "64"],
]


def resync_set(ours, theirs, key) -> None:
    """Give both servers Redis's members of key, rebuilt the same way, after a random SPOP."""
    _, members, _ = parse(theirs.call("SMEMBERS", key))
    if not isinstance(members, list):
        return  # not a set (WRONGTYPE): nothing was popped
    rebuild = [["DEL", key]] + ([["SADD", key, *[value for _, value in members]]] if members else [])
    theirs.pipeline(rebuild)
    ours.pipeline(rebuild)


def run_chunk(ours, theirs, commands, mismatches, offset):
    expected, actual = theirs.pipeline(commands), ours.pipeline(commands)
    for index, (argv, want, got) in enumerate(zip(commands, expected, actual)):
        name = as_bytes(argv[0]).upper()
        COVERAGE[name.decode("latin-1").lower()] += 1
        if want.startswith(b"-"):
            ERROR_REPLIES[name.decode("latin-1").lower()] += 1
        expected, actual = normalize(argv, want), normalize(argv, got)
        if (
            name in SCANS
            and isinstance(expected, tuple)
            and isinstance(actual, tuple)
            and (UNFINISHED_SCAN in (expected[1], actual[1]))
        ):
            expected, actual = expected[0], actual[0]
        if expected != actual:
            mismatches.append(
                f"#{offset + index} {[as_bytes(a) for a in argv]}\n    redis:     {want!r}\n    redislite: {got!r}"
            )


@pytest.mark.parametrize("seed", SEEDS)
def test_hash_and_set_replies_match_real_redis(clients, seed):
    ours, theirs = clients
    generator = HashSetGenerator(seed)
    setup = [["FLUSHALL"], ["HELLO", "3" if seed % 4 == 3 else "2"]] + (SMALL_LIMITS if seed % 3 == 1 else [])
    theirs.pipeline(setup)
    ours.pipeline(setup)
    commands = [generator.command() for _ in range(COMMANDS_PER_SEQUENCE)]
    mismatches: list[str] = []
    chunk: list = []
    try:
        for index, argv in enumerate(commands):
            chunk.append(argv)
            if argv[0] == "SPOP" or index == len(commands) - 1:
                run_chunk(ours, theirs, chunk, mismatches, index + 1 - len(chunk))
                chunk = []
                if argv[0] == "SPOP" and len(argv) > 1:
                    resync_set(ours, theirs, argv[1])
    finally:
        teardown = [["HELLO", "2"], *DEFAULT_LIMITS, ["FLUSHALL"]]
        theirs.pipeline(teardown)
        ours.pipeline(teardown)
    assert not mismatches, f"seed {seed}: {len(mismatches)} replies differ\n" + "\n".join(mismatches[:15])
