"""List commands, differentially: seeded random sequences of list commands (with string commands on the same
keys for WRONGTYPE, negative and huge indexes, missing keys, bad counts and bad arity) go to RedisLite and to a
real redis-server; every reply must be equal byte for byte, errors included."""

import random

import pytest

from ..servers import redis_server_path
from .harness import Builders, compare_replies

SEEDS = range(40)
COMMANDS_PER_SEQUENCE = 250

KEYS = [b"l0", b"l1", b"l2", b"str", b"\x00list\r\n"]
KEY_WEIGHTS = [5, 4, 2, 1, 1]  # mostly lists, so they grow long enough for ranges, trims and ranks
ELEMENTS = [b"a", b"b", b"c", b"", b"a", b"12", b"-3", b"\x00\xff", b"x" * 50, b"a b"]
INDEXES = ["0", "1", "-1", "2", "-2", "3", "-5", "10", "-100", "100", "9223372036854775807", "-9223372036854775808"]
BAD_INTEGERS = ["abc", "1.5", "", " 1", "+1", "99999999999999999999", "0x1"]
COUNTS = ["0", "1", "2", "3", "5", "100", "-1", "9223372036854775807", "-9223372036854775808"]

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


class ListGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def key(self) -> bytes:
        return self.rng.choices(KEYS, weights=KEY_WEIGHTS)[0]

    def element(self) -> bytes:
        return self.rng.choice(ELEMENTS)

    def elements(self, most: int = 6) -> list[bytes]:
        return [self.element() for _ in range(self.rng.randint(1, most))]

    def index(self) -> str:
        roll = self.rng.random()
        if roll < 0.6:
            return str(self.rng.randint(-12, 12))
        return self.rng.choice(INDEXES if roll < 0.92 else BAD_INTEGERS)

    def count(self) -> str:
        roll = self.rng.random()
        if roll < 0.6:
            return str(self.rng.randint(0, 6))
        return self.rng.choice(COUNTS if roll < 0.9 else BAD_INTEGERS)

    def side(self) -> str:
        return self.rng.choice(["LEFT", "RIGHT", "left", "Right"] * 8 + ["MIDDLE"])

    def command(self) -> list:
        argv = BUILDERS.pick(self.rng)(self)
        roll = self.rng.random()
        if roll < 0.03:  # bad arity: drop or add arguments
            argv = argv[:1] if len(argv) > 1 and self.rng.random() < 0.5 else argv + ["extra"] * 3
        return argv


BUILDERS = Builders()
_builder = BUILDERS.add


@_builder("push", 12)
def _push(g):
    return [g.rng.choice(["LPUSH", "RPUSH", "LPUSHX", "RPUSHX", "RPUSH"]), g.key(), *g.elements()]


@_builder("pop", 8)
def _pop(g):
    argv = [g.rng.choice(["LPOP", "RPOP"]), g.key()]
    return argv + [g.count()] if g.rng.random() < 0.5 else argv


@_builder("llen", 2)
def _llen(g):
    return ["LLEN", g.key()]


@_builder("lrange", 6)
def _lrange(g):
    return ["LRANGE", g.key(), g.index(), g.index()]


@_builder("lindex", 3)
def _lindex(g):
    return ["LINDEX", g.key(), g.index()]


@_builder("lset", 3)
def _lset(g):
    return ["LSET", g.key(), g.index(), g.element()]


@_builder("linsert", 3)
def _linsert(g):
    where = g.rng.choice(["BEFORE", "AFTER", "before", "after", "BEFORE", "AFTER", "MIDDLE"])
    return ["LINSERT", g.key(), where, g.element(), g.element()]


@_builder("lrem", 3)
def _lrem(g):
    return ["LREM", g.key(), g.rng.choice([g.index(), "0", "1", "-1", "2", "-2"]), g.element()]


@_builder("ltrim", 2)
def _ltrim(g):
    return ["LTRIM", g.key(), g.index(), g.index()]


@_builder("lpos", 4)
def _lpos(g):
    options = []
    for option in ("RANK", "COUNT", "MAXLEN"):
        if g.rng.random() < 0.35:
            value = {
                "RANK": lambda: g.rng.choice(
                    ["1", "2", "-1", "-2", "3", "0", "-9223372036854775808", "9223372036854775807", "abc"]
                ),
                "COUNT": g.count,
                "MAXLEN": g.count,
            }[option]()
            options.append([option if g.rng.random() < 0.8 else option.lower(), value])
    g.rng.shuffle(options)
    flat = [arg for pair in options for arg in pair]
    if g.rng.random() < 0.05:
        flat += g.rng.choice([["FOO"], ["RANK"], ["COUNT", "1", "COUNT", "2"]])
    return ["LPOS", g.key(), g.element(), *flat]


@_builder("lmove", 4)
def _lmove(g):
    if g.rng.random() < 0.3:
        return ["RPOPLPUSH", g.key(), g.key()]
    return ["LMOVE", g.key(), g.key(), g.side(), g.side()]


@_builder("lmpop", 3)
def _lmpop(g):
    keys = [g.key() for _ in range(g.rng.randint(1, 3))]
    numkeys = str(len(keys))
    roll = g.rng.random()
    if roll < 0.08:
        numkeys = g.rng.choice(["0", "-1", "abc", str(len(keys) + 1), "9223372036854775807"])
    argv = ["LMPOP", numkeys, *keys, g.side()]
    roll = g.rng.random()
    if roll < 0.4:
        argv += [g.rng.choice(["COUNT", "count"]), g.rng.choice([g.count(), "1", "2", "10"])]
    elif roll < 0.45:
        argv += g.rng.choice([["COUNT"], ["FOO"], ["COUNT", "1", "COUNT", "2"]])
    return argv


@_builder("strings", 3)
def _strings(g):
    # (no APPEND: OBJECT ENCODING of an appended string is a strings-module matter, not compared here)
    # A list key turned string stays WRONGTYPE until DEL, so most string writes go to the "str" key.
    target = g.key() if g.rng.random() < 0.25 else b"str"
    return g.rng.choice([["SET", target, g.element()], ["GET", g.key()], ["SET", b"str", b"v"]])


@_builder("generic", 3)
def _generic(g):
    return g.rng.choice(
        [
            ["TYPE", g.key()],
            ["OBJECT", "ENCODING", g.key()],
            ["EXISTS", g.key()],
            ["DEL", g.key()],
            ["DEL", g.key()],
            ["COPY", g.key(), g.key()],
            ["RENAME", g.key(), g.key()],
            ["DBSIZE"],
        ]
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_list_replies_match_real_redis(clients, seed):
    ours, theirs = clients
    generator = ListGenerator(seed)
    commands = [generator.command() for _ in range(COMMANDS_PER_SEQUENCE)]
    # Read the whole keyspace back so a wrong state shows even when no reply exposed it.
    commands += [["LRANGE", key, "0", "-1"] for key in KEYS] + [["DBSIZE"], ["FLUSHALL"]]
    expected = theirs.pipeline(commands)
    actual = ours.pipeline(commands)
    compare_replies(f"seed {seed}", commands, expected, actual)
