"""Bitmap and HyperLogLog commands, differentially: seeded random sequences of SETBIT, GETBIT, BITCOUNT, BITPOS,
BITOP, BITFIELD, BITFIELD_RO, PFADD, PFCOUNT and PFMERGE (with plain strings on the same keys for the
HyperLogLog WRONGTYPE, offsets up to a few MB, negative ranges, BIT/BYTE units, the three overflow modes, bad
integers and bad arity) go to RedisLite and to a real redis-server; every reply must be equal byte for byte.

HyperLogLog keys are read back with GET at the end (test_hyperloglog_encoding.py compares their bytes after
every step)."""

import random

import pytest

from ..servers import redis_server_path
from .harness import Builders, compare_replies

SEEDS = range(40)
COMMANDS_PER_SEQUENCE = 200

BIT_KEYS = [b"b0", b"b1", b"b2", b"\x00bits\r\n", b"missing"]
BIT_KEY_WEIGHTS = [5, 4, 2, 1, 1]
HLL_KEYS = [b"h0", b"h1", b"h2"]
STRING_KEY = b"str"
NOT_HLL_KEY = b"hstr"  # only ever SET to plain strings: the HyperLogLog WRONGTYPE target, never written by HLLs
STRING_VALUES = [b"hello", b"", b"12", b"\x00\xff\x0f", b"foobar", b"x" * 50, b"HYLL"]
BAD_INTEGERS = ["abc", "1.5", "", " 1", "+1", "99999999999999999999", "0x1", "-0"]
RANGE_EDGES = ["0", "-1", "1", "-2", "7", "8", "-8", "100", "-100", "9223372036854775807", "-9223372036854775808"]
ELEMENTS = [b"a", b"b", b"c", b"", b"12", b"\x00\xff", b"x" * 30] + [b"e%d" % i for i in range(40)]

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


class BitmapGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def bit_key(self) -> bytes:
        if self.rng.random() < 0.05:
            return STRING_KEY
        return self.rng.choices(BIT_KEYS, weights=BIT_KEY_WEIGHTS)[0]

    def hll_key(self, read_only: bool = False) -> bytes:
        roll = self.rng.random()
        if roll < 0.05:
            return NOT_HLL_KEY
        if roll < 0.08 and read_only:
            return self.rng.choice(BIT_KEYS + [STRING_KEY])  # a bitmap is no HyperLogLog (or missing)
        return self.rng.choice(HLL_KEYS)

    def offset(self) -> str:
        roll = self.rng.random()
        if roll < 0.75:
            return str(self.rng.randint(0, 200))
        if roll < 0.85:
            return str(self.rng.randint(0, 2000))
        if roll < 0.865:
            return str(self.rng.randint(0, 4 * 8 * 1024 * 1024))  # a few MB
        if roll < 0.92:
            return self.rng.choice(["4294967296", "-1", "9223372036854775807", "#1"])
        return self.rng.choice(BAD_INTEGERS)

    def index(self) -> str:
        roll = self.rng.random()
        if roll < 0.7:
            return str(self.rng.randint(-30, 30))
        if roll < 0.93:
            return self.rng.choice(RANGE_EDGES)
        return self.rng.choice(BAD_INTEGERS)

    def unit(self) -> list[str]:
        roll = self.rng.random()
        if roll < 0.4:
            return []
        if roll < 0.95:
            return [self.rng.choice(["BIT", "BYTE", "bit", "Byte"])]
        return [self.rng.choice(["BITS", "", "x"])]

    def bitfield_type(self) -> str:
        roll = self.rng.random()
        if roll < 0.96:
            sign = self.rng.choice("iu")
            top = 64 if sign == "i" else 63
            bits = self.rng.choice([1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 31, 32, 33, top, top - 1, self.rng.randint(1, top)])
            return f"{sign if self.rng.random() < 0.9 else sign.upper()}{bits}"
        return self.rng.choice(["u64", "i65", "i0", "u0", "x8", "8", "i", "u-1", "i08"])

    def bitfield_offset(self) -> str:
        roll = self.rng.random()
        if roll < 0.2:
            return f"#{self.rng.randint(0, 12)}"
        if roll < 0.23:
            return self.rng.choice(["#-1", "#abc", "#", "##1"])
        if roll < 0.95:
            return str(self.rng.randint(0, 150))
        return self.offset()

    def bitfield_value(self) -> str:
        roll = self.rng.random()
        if roll < 0.6:
            return str(self.rng.randint(-300, 300))
        if roll < 0.92:
            return self.rng.choice(
                [
                    "127",
                    "128",
                    "-128",
                    "-129",
                    "255",
                    "256",
                    "9223372036854775807",
                    "-9223372036854775808",
                    "4294967295",
                    "-4294967296",
                    "2147483648",
                ]
            )
        return self.rng.choice(BAD_INTEGERS)

    def command(self) -> list:
        argv = BUILDERS.pick(self.rng)(self)
        if self.rng.random() < 0.03:  # bad arity: drop or add arguments
            argv = argv[:1] if len(argv) > 1 and self.rng.random() < 0.5 else argv + ["extra"] * 3
        return argv


BUILDERS = Builders()
_builder = BUILDERS.add


@_builder("setbit", 14)
def _setbit(g):
    value = g.rng.choice(["0", "1", "1", "0", "1"]) if g.rng.random() < 0.93 else g.rng.choice(["2", "-1", "a", ""])
    return ["SETBIT", g.bit_key(), g.offset(), value]


@_builder("getbit", 5)
def _getbit(g):
    return ["GETBIT", g.bit_key(), g.offset()]


@_builder("bitcount", 8)
def _bitcount(g):
    roll = g.rng.random()
    if roll < 0.2:
        return ["BITCOUNT", g.bit_key()]
    if roll < 0.25:
        return ["BITCOUNT", g.bit_key(), g.index()]
    return ["BITCOUNT", g.bit_key(), g.index(), g.index(), *g.unit()]


@_builder("bitpos", 8)
def _bitpos(g):
    bit = g.rng.choice(["0", "1"]) if g.rng.random() < 0.95 else g.rng.choice(["2", "-1", "abc"])
    argv = ["BITPOS", g.bit_key(), bit]
    roll = g.rng.random()
    if roll < 0.25:
        return argv
    if roll < 0.45:
        return argv + [g.index()]
    return argv + [g.index(), g.index(), *g.unit()]


@_builder("bitop", 5)
def _bitop(g):
    operation = g.rng.choice(["AND", "OR", "XOR", "NOT", "and", "xor", "Or", "not", "NAND"])
    sources = [
        g.bit_key() for _ in range(1 if operation.upper() == "NOT" and g.rng.random() < 0.9 else g.rng.randint(1, 3))
    ]
    return ["BITOP", operation, g.bit_key(), *sources]


@_builder("bitfield", 10)
def _bitfield(g):
    argv = ["BITFIELD", g.bit_key()]
    for _ in range(g.rng.randint(0, 4)):
        roll = g.rng.random()
        if roll < 0.2:
            argv += [
                "OVERFLOW",
                g.rng.choice(["WRAP", "SAT", "FAIL", "wrap", "sat", "fail"]) if g.rng.random() < 0.95 else "SATURATE",
            ]
        elif roll < 0.5:
            argv += ["GET", g.bitfield_type(), g.bitfield_offset()]
        elif roll < 0.7:
            argv += ["SET", g.bitfield_type(), g.bitfield_offset(), g.bitfield_value()]
        elif roll < 0.97:
            argv += [g.rng.choice(["INCRBY", "incrby"]), g.bitfield_type(), g.bitfield_offset(), g.bitfield_value()]
        else:
            argv += g.rng.choice([["FOO"], ["GET", "u8"], ["OVERFLOW"], ["SET", "u8", "0"]])
    return argv


@_builder("bitfield_ro", 3)
def _bitfield_ro(g):
    argv = ["BITFIELD_RO", g.bit_key()]
    for _ in range(g.rng.randint(0, 3)):
        if g.rng.random() < 0.9:
            argv += ["GET", g.bitfield_type(), g.bitfield_offset()]
        else:
            argv += g.rng.choice([["SET", "u8", "0", "1"], ["INCRBY", "i8", "0", "1"], ["OVERFLOW", "SAT"]])
    return argv


@_builder("strings", 4)
def _strings(g):
    return g.rng.choice(
        [
            ["SET", STRING_KEY, g.rng.choice(STRING_VALUES)],
            ["GET", g.bit_key()],
            ["STRLEN", g.bit_key()],
            ["DEL", g.bit_key()],
            ["SET", g.bit_key(), g.rng.choice(STRING_VALUES)],
            ["SET", NOT_HLL_KEY, g.rng.choice(STRING_VALUES)],
            ["TYPE", g.hll_key()],
            ["EXISTS", g.hll_key()],
        ]
    )


@_builder("pfadd", 10)
def _pfadd(g):
    return ["PFADD", g.hll_key(), *g.rng.sample(ELEMENTS, g.rng.randint(0, 6))]


@_builder("pfadd_many", 2)
def _pfadd_many(g):
    start = g.rng.randint(0, 5000)
    return ["PFADD", g.hll_key(), *(b"m%d" % i for i in range(start, start + g.rng.randint(50, 400)))]


@_builder("pfcount", 8)
def _pfcount(g):
    return ["PFCOUNT", *(g.hll_key(read_only=True) for _ in range(g.rng.choice([1, 1, 1, 2, 3])))]


@_builder("pfmerge", 4)
def _pfmerge(g):
    return ["PFMERGE", g.hll_key(), *(g.hll_key(read_only=True) for _ in range(g.rng.randint(0, 3)))]


@_builder("hll_generic", 1)
def _hll_generic(g):
    return g.rng.choice(
        [
            ["DEL", g.rng.choice(HLL_KEYS)],
            ["COPY", g.rng.choice(HLL_KEYS), g.rng.choice(HLL_KEYS)],
            ["RENAME", g.rng.choice(HLL_KEYS), g.rng.choice(HLL_KEYS)],
        ]
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_bitmap_and_hyperloglog_replies_match_real_redis(clients, seed):
    ours, theirs = clients
    generator = BitmapGenerator(seed)
    commands = [["SET", NOT_HLL_KEY, "hello"]]
    commands += [generator.command() for _ in range(COMMANDS_PER_SEQUENCE)]
    # Read the whole keyspace back so a wrong state shows even when no reply exposed it.
    commands += [["GET", key] for key in BIT_KEYS + [STRING_KEY, NOT_HLL_KEY] + HLL_KEYS]
    commands += [["PFCOUNT", key] for key in HLL_KEYS] + [["PFCOUNT", *HLL_KEYS], ["DBSIZE"], ["FLUSHALL"]]
    expected = theirs.pipeline(commands)
    actual = ours.pipeline(commands)
    compare_replies(f"seed {seed}", commands, expected, actual)
