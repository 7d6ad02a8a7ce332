"""A seeded generator of write sequences for the replay differential (test_replay_differential.py): every
command with the `write` flag, over every data type, in several databases, plus transactions (SELECT inside),
scripts and functions that write with non-deterministic-looking inputs, blocking pops served by another
client's push, DUMP/RESTORE and FUNCTION DUMP/RESTORE, and keys that expire during the run.

TTLs are either short (at most 50 ms, and a sequence ends with a pause longer than that, so those keys are gone
before the state is read) or long (at least 100 s), so no key can expire between reading the state and
reading it back after a restart, and a deadline replayed relative to the load time instead of absolute shows.

Key names that are also option words (`left`, `right`, `min`, `max`, `ex`, `count`) are deliberate: they catch
a rewrite that looks for an option among the keys.
"""

import hashlib
import random
from dataclasses import dataclass, field

DATABASES = 4  # SELECT, MOVE, COPY DB and SWAPDB pick among 0..3

STRINGS = [b"str:a", b"str:b", b"ex", b"num", b"flt"]
LISTS = [b"left", b"right", b"list:a"]
HASHES = [b"hash:a", b"hash:b"]
SETS = [b"set:a", b"set:b", b"count"]
ZSETS = [b"max", b"min", b"zset:a"]
HLLS = [b"hll:a", b"hll:b"]
BITMAPS = [b"bits:a", b"bits:b"]
GEOS = [b"geo:a", b"geo:b"]
KEYS_BY_TYPE = {
    "string": STRINGS,
    "list": LISTS,
    "hash": HASHES,
    "set": SETS,
    "zset": ZSETS,
    "hll": HLLS,
    "bitmap": BITMAPS,
    "geo": GEOS,
}
ALL_KEYS = [key for keys in KEYS_BY_TYPE.values() for key in keys] + [b"\x00bin\r\nkey"]

VALUES = [
    b"a",
    b"b",
    b"c",
    b"v",
    b"hello",
    b"",
    b"12",
    b"-3",
    b"3.5",
    b"7",
    b"100",
    b"abc\r\ndef",
    b"\x00\xff",
    b"x" * 70,
    "caf\u00e9".encode(),
]
FLOAT_INCREMENTS = ["0.5", "-1.25", "3", "1e2", "0.1", "-0.3", "2.5e-3", "10.0"]
SCORES = ["0", "1", "-1", "2.5", "-3.75", "10", "1e-5", "3.14159", "100", "-inf", "+inf", "1e20"]
LONG_SECONDS = ["100", "1000", "5000", "86400"]
LONG_MS = ["100000", "250000", "5000000"]
SHORT_MS = ["1", "5", "20", "35", "50"]
SHORT_TTL_MS = 50
PAST_SECONDS = ["1", "-5", "0"]


@dataclass(frozen=True)
class At:
    """An absolute Unix time `offset_ms` from the moment the command is sent, in seconds or milliseconds."""

    offset_ms: int
    unit: str = "ms"

    def resolve(self, now_ms: int) -> bytes:
        when = now_ms + self.offset_ms
        return b"%d" % (when if self.unit == "ms" else when // 1000)


@dataclass
class Step:
    """One thing the runner does.

    kind "run"          one command on the main connection (`commands[0]`)
         "multi"        MULTI, `commands`, EXEC on the main connection
         "served"       `setup` on a helper connection, the `commands` block on their own connections in database
                        `db`, then `push` on the helper serves them
         "sleep"        `seconds` pause (keys with short TTLs expire meanwhile)
         "restore"      DUMP `source` on the main connection, then `commands[0]` with the payload put in place of
                        the PAYLOAD marker (a missing source leaves the marker: RESTORE answers an error)
         "function_restore"  FUNCTION DUMP, then `commands[0]` (FUNCTION RESTORE) with the payload
    """

    kind: str
    commands: list = field(default_factory=list)
    db: int = 0
    setup: list = field(default_factory=list)
    push: list = field(default_factory=list)
    seconds: float = 0.0
    source: bytes = b""


PAYLOAD = object()  # where a DUMP payload goes in a "restore" step


# -- scripts and functions ---------------------------------------------------------------------------------

# (body, key types, argument builder): scripts whose effects running them again would not reproduce (TIME,
# SPOP, SRANDMEMBER, relative TTLs, a pop whose direction is an argument, SELECT inside the script)
SCRIPTS = [
    ("return redis.call('SET', KEYS[1], ARGV[1], 'EX', 100)", ["string"], lambda g: [g.value()]),
    ("return redis.call('SPOP', KEYS[1])", ["set"], lambda g: []),
    ("return redis.call('INCRBYFLOAT', KEYS[1], ARGV[1])", ["string"], lambda g: [g.rng.choice(FLOAT_INCREMENTS)]),
    (
        "local t = redis.call('TIME') return redis.call('HSET', KEYS[1], 'time', t[1] .. '.' .. t[2])",
        ["hash"],
        lambda g: [],
    ),
    (
        "redis.call('SELECT', ARGV[1]) return redis.call('RPUSH', KEYS[1], 'from-script', ARGV[1])",
        ["list"],
        lambda g: [str(g.db())],
    ),
    (
        "local m = redis.call('SRANDMEMBER', KEYS[1]) if m then redis.call('SADD', KEYS[2], m) end return m",
        ["set", "set"],
        lambda g: [],
    ),
    ("return redis.call('PEXPIRE', KEYS[1], ARGV[1])", ["any"], lambda g: [g.rng.choice(LONG_MS + SHORT_MS)]),
    ("return redis.call('GETEX', KEYS[1], 'PERSIST')", ["string"], lambda g: []),
    ("return redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL')", ["string"], lambda g: [g.value()]),
    ("return redis.call('BLMPOP', 0, 1, KEYS[1], ARGV[1])", ["list"], lambda g: [g.rng.choice(["LEFT", "RIGHT"])]),
    ("return redis.call('BZPOPMIN', KEYS[1], 0)", ["zset"], lambda g: []),
    ("return redis.call('SET', KEYS[1], 'short', 'PX', ARGV[1])", ["string"], lambda g: [g.rng.choice(SHORT_MS)]),
    ("return redis.pcall('ZINCRBY', KEYS[1], ARGV[1], 'm')", ["zset"], lambda g: [g.rng.choice(SCORES[:9])]),
    (
        "redis.call('RPUSH', KEYS[1], 'x') return redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')",
        ["list", "list"],
        lambda g: [],
    ),
]
READ_ONLY_SCRIPTS = [
    ("return redis.call('GET', KEYS[1])", ["string"]),
    ("return redis.call('EXISTS', KEYS[1], KEYS[2])", ["any", "any"]),
    ("return redis.call('TYPE', KEYS[1])", ["any"]),
]
LIBRARY = """#!lua name=replaylib
redis.register_function('set_ex', function(keys, args) return redis.call('SET', keys[1], args[1], 'EX', 100) end)
redis.register_function('spop_one', function(keys, args) return redis.call('SPOP', keys[1]) end)
redis.register_function('add_float', function(keys, args) return redis.call('INCRBYFLOAT', keys[1], args[1]) end)
redis.register_function('stamp', function(keys, args)
  local t = redis.call('TIME') return redis.call('SET', keys[1], t[1] .. t[2]) end)
redis.register_function{function_name='peek', callback=function(keys) return redis.call('GET', keys[1]) end,
                        flags={'no-writes'}}
"""
OTHER_LIBRARIES = [
    """#!lua name=otherlib
redis.register_function('other_push', function(keys, args) return redis.call('LPUSH', keys[1], 'other') end)
""",
    """#!lua name=otherlib
redis.register_function('other_push', function(keys, args) return redis.call('RPUSH', keys[1], 'other2') end)
redis.register_function('other_zadd', function(keys, args) return redis.call('ZADD', keys[1], 'INCR', 1, 'o') end)
""",
]
# (function, key types, argument builder)
FUNCTIONS = [
    ("set_ex", ["string"], lambda g: [g.value()]),
    ("spop_one", ["set"], lambda g: []),
    ("add_float", ["string"], lambda g: [g.rng.choice(FLOAT_INCREMENTS)]),
    ("stamp", ["string"], lambda g: []),
    ("other_push", ["list"], lambda g: []),
    ("other_zadd", ["zset"], lambda g: []),
]


def sha1_hex(body: str) -> str:
    return hashlib.sha1(body.encode()).hexdigest()


def setup_commands() -> list[list]:
    """What every run starts with: the library FCALL uses and the scripts EVALSHA names (SCRIPT LOAD is not
    propagated, so an EVALSHA logged as such could not be replayed)."""
    return [["FUNCTION", "LOAD", "REPLACE", LIBRARY]] + [["SCRIPT", "LOAD", body] for body, *_ in SCRIPTS]


# -- the generator -----------------------------------------------------------------------------------------


class ReplayGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    # -- arguments --

    def key(self, kind: str = "any") -> bytes:
        if kind == "any" or self.rng.random() < 0.08:  # now and then a key of another type: WRONGTYPE paths
            return self.rng.choice(ALL_KEYS)
        return self.rng.choice(KEYS_BY_TYPE[kind])

    def keys(self, kind: str, low: int = 1, high: int = 3) -> list[bytes]:
        return [self.key(kind) for _ in range(self.rng.randint(low, high))]

    def value(self) -> bytes:
        if self.rng.random() < 0.03:
            return b"big" * self.rng.randint(30, 200)  # past the compact encodings' value limit
        return self.rng.choice(VALUES + [str(self.rng.randint(-50, 50)).encode()])

    def values(self, low: int = 1, high: int = 4) -> list[bytes]:
        if self.rng.random() < 0.03:
            return [b"m%d" % index for index in range(self.rng.randint(130, 600))]  # past the listpack limit
        return [self.value() for _ in range(self.rng.randint(low, high))]

    def member(self) -> bytes:
        return self.rng.choice([b"a", b"b", b"c", b"d", b"1", b"2", b"30", b"m", b"\x00z"])

    def score(self) -> str:
        return self.rng.choice(SCORES)

    def db(self) -> int:
        return self.rng.randrange(DATABASES)

    def count(self) -> str:
        return str(self.rng.choice([1, 1, 2, 3, 10]))

    def timeout(self) -> str:
        """A blocking command on the main connection must not wait long: it answers at once or after 10 ms."""
        return self.rng.choice(["0.01", "0.01", "0.02"])

    def long_or_short_ms(self) -> str:
        return self.rng.choice(LONG_MS + SHORT_MS)

    def expiry_option(self) -> list:
        """One of SET's expiry options, short or long."""
        choice = self.rng.choice(["EX", "PX", "PX-short", "EXAT", "PXAT", "PXAT-short", "KEEPTTL"])
        if choice == "EX":
            return ["EX", self.rng.choice(LONG_SECONDS)]
        if choice == "PX":
            return ["PX", self.rng.choice(LONG_MS)]
        if choice == "PX-short":
            return ["PX", self.rng.choice(SHORT_MS)]
        if choice == "EXAT":
            return ["EXAT", self.rng.choice([At(200_000, "s"), At(3_600_000, "s"), "4102444800"])]
        if choice == "PXAT":
            return ["PXAT", self.rng.choice([At(300_000), "4102444800123"])]
        if choice == "PXAT-short":
            return ["PXAT", self.rng.choice([At(int(ms)) for ms in SHORT_MS] + ["1000"])]
        return ["KEEPTTL"]

    def expire_flag(self) -> list:
        return [self.rng.choice(["NX", "XX", "GT", "LT"])] if self.rng.random() < 0.3 else []

    def lr(self) -> str:
        return self.rng.choice(["LEFT", "RIGHT"])

    # -- steps --

    def sequence(self, length: int) -> list[Step]:
        """`length` picks of a builder (a transaction, a served pop or an expiring group counts as one)."""
        return [step for _ in range(length) for step in self.steps()]

    def steps(self) -> list[Step]:
        name = self.rng.choices(list(BUILDERS), weights=[weight for weight, _ in BUILDERS.values()])[0]
        made = BUILDERS[name][1](self)
        if isinstance(made, Step):
            return [made]
        return made if isinstance(made[0], Step) else [Step("run", [made])]

    def plain_command(self) -> list:
        """A write that runs as one command (for MULTI and the eviction scenario)."""
        while True:
            steps = self.steps()
            if len(steps) == 1 and steps[0].kind == "run" and steps[0].commands[0][0] not in NOT_IN_TRANSACTIONS:
                return steps[0].commands[0]

    def transaction(self) -> Step:
        commands = []
        for _ in range(self.rng.randint(1, 6)):
            roll = self.rng.random()
            if roll < 0.15:
                commands.append(["SELECT", str(self.db())])
            elif roll < 0.3:
                commands.append(self.touch())
            else:
                commands.append(self.plain_command())
        return Step("multi", commands)

    def touch(self) -> list:
        """A read that may meet an expired key (and so delete it)."""
        return self.rng.choice(
            [
                ["GET", self.key("string")],
                ["EXISTS", *self.keys("any")],
                ["TYPE", self.key()],
                ["SCAN", "0", "COUNT", "100"],
                ["RANDOMKEY"],
                ["TTL", self.key()],
                ["LRANGE", self.key("list"), "0", "-1"],
                ["SMEMBERS", self.key("set")],
            ]
        )

    def short_lived(self) -> list:
        """A write that leaves its key with a TTL of at most 50 ms."""
        key = self.key("any")
        string_key = self.key("string")
        return self.rng.choice(
            [
                ["SET", string_key, self.value(), "PX", self.rng.choice(SHORT_MS)],
                ["PSETEX", string_key, self.rng.choice(SHORT_MS), self.value()],
                ["SET", string_key, self.value(), "PXAT", At(int(self.rng.choice(SHORT_MS)))],
                ["PEXPIRE", key, self.rng.choice(SHORT_MS)],
                ["PEXPIREAT", key, At(int(self.rng.choice(SHORT_MS)))],
                ["GETEX", string_key, "PX", self.rng.choice(SHORT_MS)],
                ["GETEX", string_key, "PXAT", At(int(self.rng.choice(SHORT_MS)))],
            ]
        )

    def expiring(self) -> list[Step]:
        """Short TTLs, a pause, then a transaction that writes and reads them (lazy expiry inside MULTI)."""
        writes = [Step("run", [self.short_lived()]) for _ in range(self.rng.randint(1, 3))]
        reads = [self.touch() for _ in range(self.rng.randint(1, 3))]
        body = [self.plain_command(), *reads, self.plain_command()]
        return [*writes, Step("sleep", seconds=0.06), Step("multi", body)]


NOT_IN_TRANSACTIONS = {"FLUSHALL", "FLUSHDB", "SWAPDB", "FUNCTION"}  # kept rare: they wipe or move everything


# -- builders: name -> (weight, build(generator) -> argv | Step) ---------------------------------------------

BUILDERS: dict = {}


def builder(name: str, weight: float = 1.0):
    def register(function):
        BUILDERS[name] = (weight, function)
        return function

    return register


# strings


@builder("set", 4)
def _set(g):
    options = []  # groups of words, in any order
    if g.rng.random() < 0.3:
        options.append([g.rng.choice(["NX", "XX"])])
    if g.rng.random() < 0.2:
        options.append(["GET"])
    if g.rng.random() < 0.7:
        options.append(g.expiry_option())
    g.rng.shuffle(options)
    return ["SET", g.key("string"), g.value(), *[word for group in options for word in group]]


@builder("setnx")
def _setnx(g):
    return ["SETNX", g.key("string"), g.value()]


@builder("setex")
def _setex(g):
    return ["SETEX", g.key("string"), g.rng.choice(LONG_SECONDS), g.value()]


@builder("psetex")
def _psetex(g):
    return ["PSETEX", g.key("string"), g.long_or_short_ms(), g.value()]


@builder("getset")
def _getset(g):
    return ["GETSET", g.key("string"), g.value()]


@builder("getdel")
def _getdel(g):
    return ["GETDEL", g.key("string")]


@builder("getex", 2)
def _getex(g):
    options = g.rng.choice(
        [
            [],
            ["EX", g.rng.choice(LONG_SECONDS)],
            ["PX", g.long_or_short_ms()],
            ["EXAT", At(500_000, "s")],
            ["PXAT", At(400_000)],
            ["PXAT", At(20)],
            ["PERSIST"],
            ["PERSIST"],
            ["EXAT", "1"],
        ]
    )
    return ["GETEX", g.key("string"), *options]


@builder("append")
def _append(g):
    return ["APPEND", g.key("string"), g.value()]


@builder("setrange")
def _setrange(g):
    return ["SETRANGE", g.key("string"), str(g.rng.randint(0, 20)), g.value()]


@builder("incr")
def _incr(g):
    return ["INCR", g.rng.choice([b"num", g.key("string")])]


@builder("decr")
def _decr(g):
    return ["DECR", g.rng.choice([b"num", g.key("string")])]


@builder("incrby")
def _incrby(g):
    return ["INCRBY", g.rng.choice([b"num", g.key("string")]), str(g.rng.randint(-100, 100))]


@builder("decrby")
def _decrby(g):
    return ["DECRBY", g.rng.choice([b"num", g.key("string")]), str(g.rng.randint(-100, 100))]


@builder("incrbyfloat", 2)
def _incrbyfloat(g):
    return ["INCRBYFLOAT", g.rng.choice([b"flt", b"num", g.key("string")]), g.rng.choice(FLOAT_INCREMENTS)]


@builder("mset")
def _mset(g):
    pairs = []
    for _ in range(g.rng.randint(1, 3)):
        pairs += [g.key("string"), g.value()]
    return ["MSET", *pairs]


@builder("msetnx")
def _msetnx(g):
    pairs = []
    for _ in range(g.rng.randint(1, 2)):
        pairs += [g.rng.choice([g.key("string"), b"fresh:%d" % g.rng.randint(0, 30)]), g.value()]
    return ["MSETNX", *pairs]


@builder("setbit")
def _setbit(g):
    return ["SETBIT", g.key("bitmap"), str(g.rng.randint(0, 200)), g.rng.choice(["0", "1"])]


@builder("bitfield")
def _bitfield(g):
    ops = []
    for _ in range(g.rng.randint(1, 3)):
        if g.rng.random() < 0.3:
            ops += ["OVERFLOW", g.rng.choice(["WRAP", "SAT", "FAIL"])]
        kind = g.rng.choice(["u8", "i8", "i16", "u4"])
        offset = g.rng.choice(["0", "8", "#2", "13"])
        if g.rng.random() < 0.5:
            ops += ["SET", kind, offset, str(g.rng.randint(-200, 300))]
        else:
            ops += ["INCRBY", kind, offset, str(g.rng.randint(-100, 100))]
    return ["BITFIELD", g.key("bitmap"), *ops]


@builder("bitop")
def _bitop(g):
    operation = g.rng.choice(["AND", "OR", "XOR", "NOT"])
    sources = [g.key("bitmap")] if operation == "NOT" else g.keys("bitmap", 1, 3)
    return ["BITOP", operation, g.rng.choice(BITMAPS + [b"str:a"]), *sources]


# keys


@builder("del")
def _del(g):
    return ["DEL", *g.keys("any", 1, 2)]


@builder("unlink")
def _unlink(g):
    return ["UNLINK", *g.keys("any", 1, 2)]


@builder("expire", 2)
def _expire(g):
    return ["EXPIRE", g.key(), g.rng.choice(LONG_SECONDS + LONG_SECONDS + PAST_SECONDS), *g.expire_flag()]


@builder("pexpire", 2)
def _pexpire(g):
    return ["PEXPIRE", g.key(), g.rng.choice(LONG_MS + SHORT_MS + ["-1"]), *g.expire_flag()]


@builder("expireat", 2)
def _expireat(g):
    when = g.rng.choice([At(200_000, "s"), At(7_200_000, "s"), "4102444800", "1"])
    return ["EXPIREAT", g.key(), when, *g.expire_flag()]


@builder("pexpireat", 2)
def _pexpireat(g):
    when = g.rng.choice([At(150_000), At(30), "4102444800999", "1000"])
    return ["PEXPIREAT", g.key(), when, *g.expire_flag()]


@builder("persist", 2)
def _persist(g):
    return ["PERSIST", g.key()]


@builder("rename")
def _rename(g):
    return ["RENAME", g.key(), g.key()]


@builder("renamenx")
def _renamenx(g):
    return ["RENAMENX", g.key(), g.key()]


@builder("copy", 1.5)
def _copy(g):
    options = g.rng.choice([[], ["REPLACE"], ["DB", str(g.db())], ["DB", str(g.db()), "REPLACE"]])
    return ["COPY", g.key(), g.key(), *options]


@builder("move")
def _move(g):
    return ["MOVE", g.key(), str(g.db())]


@builder("swapdb", 0.4)
def _swapdb(g):
    return ["SWAPDB", str(g.db()), str(g.db())]


@builder("restore", 2)
def _restore(g):
    ttl, flags = g.rng.choice(
        [
            ("0", []),
            (g.rng.choice(LONG_MS), []),
            (g.rng.choice(SHORT_MS), []),
            (At(200_000), ["ABSTTL"]),
            (At(10), ["ABSTTL"]),
            ("1000", ["ABSTTL"]),
        ]
    )
    if g.rng.random() < 0.2:
        flags.append(g.rng.choice(["IDLETIME", "FREQ"]))
        flags.append(str(g.rng.randint(0, 100)))
    if g.rng.random() < 0.7:
        flags.append("REPLACE")
    return Step("restore", [["RESTORE", g.key(), ttl, PAYLOAD, *flags]], source=g.key())


@builder("sort", 1.5)
def _sort(g):
    """SORT ... STORE, and SORT alone (a read). A BY pattern goes only with the read: elements of equal weight
    are left in an order each implementation chooses (redis-server's pqsort is not stable), and Redis logs
    SORT ... STORE as sent, so redis-server replaying the file would store another order than RedisLite held.
    That is a compatibility question of its own (see the report of issue 16), not one of replay."""
    source = g.rng.choice(LISTS + SETS + ZSETS)
    store = g.rng.random() < 0.85
    options = []
    if g.rng.random() < 0.3:
        options += ["BY", g.rng.choice(["nosort"] if store else ["nosort", "str:*", "hash:*->f"])]
    if g.rng.random() < 0.3:
        options += ["LIMIT", str(g.rng.randint(0, 2)), str(g.rng.randint(1, 5))]
    if g.rng.random() < 0.3:
        options += ["GET", g.rng.choice(["#", "str:*"])]
    options += ["ALPHA"] if g.rng.random() < 0.8 else []
    options += ["DESC"] if g.rng.random() < 0.3 else []
    if store:
        options += ["STORE", g.rng.choice(LISTS + [b"sorted"])]
    return ["SORT", source, *options]


# lists


@builder("lpush", 2)
def _lpush(g):
    return ["LPUSH", g.key("list"), *g.values()]


@builder("rpush", 2)
def _rpush(g):
    return ["RPUSH", g.key("list"), *g.values()]


@builder("lpushx")
def _lpushx(g):
    return ["LPUSHX", g.key("list"), *g.values(1, 2)]


@builder("rpushx")
def _rpushx(g):
    return ["RPUSHX", g.key("list"), *g.values(1, 2)]


@builder("linsert")
def _linsert(g):
    return ["LINSERT", g.key("list"), g.rng.choice(["BEFORE", "AFTER"]), g.value(), g.value()]


@builder("lset")
def _lset(g):
    return ["LSET", g.key("list"), str(g.rng.randint(-3, 3)), g.value()]


@builder("lrem")
def _lrem(g):
    return ["LREM", g.key("list"), str(g.rng.randint(-2, 2)), g.value()]


@builder("ltrim")
def _ltrim(g):
    return ["LTRIM", g.key("list"), str(g.rng.randint(-5, 2)), str(g.rng.randint(-3, 10))]


@builder("lpop")
def _lpop(g):
    return ["LPOP", g.key("list"), *([g.count()] if g.rng.random() < 0.4 else [])]


@builder("rpop")
def _rpop(g):
    return ["RPOP", g.key("list"), *([g.count()] if g.rng.random() < 0.4 else [])]


@builder("rpoplpush")
def _rpoplpush(g):
    return ["RPOPLPUSH", g.key("list"), g.key("list")]


@builder("lmove")
def _lmove(g):
    return ["LMOVE", g.key("list"), g.key("list"), g.lr(), g.lr()]


@builder("lmpop")
def _lmpop(g):
    keys = g.keys("list", 1, 2)
    count = ["COUNT", g.count()] if g.rng.random() < 0.5 else []
    return ["LMPOP", str(len(keys)), *keys, g.lr(), *count]


@builder("blpop")
def _blpop(g):
    return ["BLPOP", *g.keys("list", 1, 2), g.timeout()]


@builder("brpop")
def _brpop(g):
    return ["BRPOP", *g.keys("list", 1, 2), g.timeout()]


@builder("brpoplpush")
def _brpoplpush(g):
    return ["BRPOPLPUSH", g.key("list"), g.key("list"), g.timeout()]


@builder("blmove")
def _blmove(g):
    return ["BLMOVE", g.key("list"), g.key("list"), g.lr(), g.lr(), g.timeout()]


@builder("blmpop")
def _blmpop(g):
    keys = g.keys("list", 1, 2)
    count = ["COUNT", g.count()] if g.rng.random() < 0.5 else []
    return ["BLMPOP", g.timeout(), str(len(keys)), *keys, g.lr(), *count]


# hashes


def _field_values(g) -> list:
    if g.rng.random() < 0.03:
        return [item for index in range(g.rng.randint(130, 300)) for item in (b"f%d" % index, b"%d" % index)]
    pairs = []
    for _ in range(g.rng.randint(1, 3)):
        pairs += [g.rng.choice([b"f", b"g", b"h", b"n", b"x"]), g.value()]
    return pairs


@builder("hset", 2)
def _hset(g):
    return ["HSET", g.key("hash"), *_field_values(g)]


@builder("hmset")
def _hmset(g):
    return ["HMSET", g.key("hash"), *_field_values(g)]


@builder("hsetnx")
def _hsetnx(g):
    return ["HSETNX", g.key("hash"), g.rng.choice([b"f", b"g", b"new"]), g.value()]


@builder("hdel")
def _hdel(g):
    return ["HDEL", g.key("hash"), *g.rng.sample([b"f", b"g", b"h", b"n", b"x"], g.rng.randint(1, 3))]


@builder("hincrby")
def _hincrby(g):
    return ["HINCRBY", g.key("hash"), g.rng.choice([b"n", b"f"]), str(g.rng.randint(-10, 10))]


@builder("hincrbyfloat")
def _hincrbyfloat(g):
    return ["HINCRBYFLOAT", g.key("hash"), g.rng.choice([b"n", b"x"]), g.rng.choice(FLOAT_INCREMENTS)]


# sets


@builder("sadd", 2)
def _sadd(g):
    members = g.values() if g.rng.random() < 0.5 else [g.member() for _ in range(g.rng.randint(1, 4))]
    return ["SADD", g.key("set"), *members]


@builder("srem")
def _srem(g):
    return ["SREM", g.key("set"), *[g.member() for _ in range(g.rng.randint(1, 3))]]


@builder("spop", 2)
def _spop(g):
    return ["SPOP", g.key("set"), *([g.count()] if g.rng.random() < 0.5 else [])]


@builder("smove")
def _smove(g):
    return ["SMOVE", g.key("set"), g.key("set"), g.member()]


@builder("sdiffstore")
def _sdiffstore(g):
    return ["SDIFFSTORE", g.key("set"), *g.keys("set", 1, 3)]


@builder("sinterstore")
def _sinterstore(g):
    return ["SINTERSTORE", g.key("set"), *g.keys("set", 1, 3)]


@builder("sunionstore")
def _sunionstore(g):
    return ["SUNIONSTORE", g.key("set"), *g.keys("set", 1, 3)]


# geo: GEOADD is logged as ZADD; the searches that store are logged as themselves

GEO_PLACES = [(13.361389, 38.115556), (15.087269, 37.502669), (-0.1275, 51.5072), (179.9, -85.05), (2.35, 48.85)]


def _geo_point(g) -> list[str]:
    lon, lat = g.rng.choice(GEO_PLACES)
    return ["%.6f" % (lon + g.rng.uniform(-0.5, 0.5)), "%.6f" % max(-85.05, min(85.05, lat + g.rng.uniform(-0.5, 0.5)))]


def _geo_unit(g) -> str:
    return g.rng.choice(["m", "km", "mi", "ft"])


def _geo_radius(g) -> str:
    return g.rng.choice(["50", "200", "1000", "30000"])


def _geo_store(g, storedist_word: bool) -> list:
    destination = g.key(g.rng.choice(["geo", "zset"]))
    if storedist_word:
        return [g.rng.choice(["STORE", "STOREDIST"]), destination]
    return [destination]


@builder("geoadd", 2)
def _geoadd(g):
    options = [option for option in ("NX", "XX", "CH") if g.rng.random() < 0.1]
    if "NX" in options and "XX" in options:
        options.remove("XX")
    triples = [item for _ in range(g.rng.randint(1, 4)) for item in (*_geo_point(g), g.member())]
    return ["GEOADD", g.key("geo"), *options, *triples]


def _geo_options(g) -> list:
    options = []
    if g.rng.random() < 0.4:
        options += ["COUNT", g.count(), *(["ANY"] if g.rng.random() < 0.3 else [])]
    if g.rng.random() < 0.5:
        options.append(g.rng.choice(["ASC", "DESC"]))
    return options


@builder("georadius")
def _georadius(g):
    return ["GEORADIUS", g.key("geo"), *_geo_point(g), _geo_radius(g), "km", *_geo_options(g), *_geo_store(g, True)]


@builder("georadiusbymember")
def _georadiusbymember(g):
    return [
        "GEORADIUSBYMEMBER",
        g.key("geo"),
        g.member(),
        _geo_radius(g),
        _geo_unit(g),
        *_geo_options(g),
        *_geo_store(g, True),
    ]


@builder("geosearchstore")
def _geosearchstore(g):
    centre = ["FROMMEMBER", g.member()] if g.rng.random() < 0.5 else ["FROMLONLAT", *_geo_point(g)]
    shape = (
        ["BYRADIUS", _geo_radius(g), "km"]
        if g.rng.random() < 0.5
        else ["BYBOX", _geo_radius(g), _geo_radius(g), _geo_unit(g)]
    )
    storedist = ["STOREDIST"] if g.rng.random() < 0.5 else []
    return ["GEOSEARCHSTORE", *_geo_store(g, False), g.key("geo"), *centre, *shape, *_geo_options(g), *storedist]


# sorted sets


@builder("zadd", 3)
def _zadd(g):
    options = []
    if g.rng.random() < 0.2:
        options.append(g.rng.choice(["NX", "XX"]))
    if g.rng.random() < 0.2:
        options.append(g.rng.choice(["GT", "LT"]))
    if g.rng.random() < 0.2:
        options.append("CH")
    if g.rng.random() < 0.1:
        return ["ZADD", g.key("zset"), *options, "INCR", g.score(), g.member()]
    if g.rng.random() < 0.03:
        pairs = [item for index in range(g.rng.randint(130, 300)) for item in (str(index), b"z%d" % index)]
    else:
        pairs = [item for _ in range(g.rng.randint(1, 3)) for item in (g.score(), g.member())]
    return ["ZADD", g.key("zset"), *options, *pairs]


@builder("zincrby")
def _zincrby(g):
    return ["ZINCRBY", g.key("zset"), g.rng.choice(FLOAT_INCREMENTS), g.member()]


@builder("zrem")
def _zrem(g):
    return ["ZREM", g.key("zset"), *[g.member() for _ in range(g.rng.randint(1, 3))]]


@builder("zremrangebyscore")
def _zremrangebyscore(g):
    return [
        "ZREMRANGEBYSCORE",
        g.key("zset"),
        g.rng.choice(["-inf", "0", "(1", "2"]),
        g.rng.choice(["+inf", "1", "(10", "2.5"]),
    ]


@builder("zremrangebyrank")
def _zremrangebyrank(g):
    return ["ZREMRANGEBYRANK", g.key("zset"), str(g.rng.randint(-3, 1)), str(g.rng.randint(-2, 2))]


@builder("zremrangebylex")
def _zremrangebylex(g):
    return ["ZREMRANGEBYLEX", g.key("zset"), g.rng.choice(["-", "[a", "(b"]), g.rng.choice(["+", "[c", "(d"])]


@builder("zpopmin")
def _zpopmin(g):
    return ["ZPOPMIN", g.key("zset"), *([g.count()] if g.rng.random() < 0.4 else [])]


@builder("zpopmax")
def _zpopmax(g):
    return ["ZPOPMAX", g.key("zset"), *([g.count()] if g.rng.random() < 0.4 else [])]


@builder("zmpop")
def _zmpop(g):
    keys = g.keys("zset", 1, 2)
    count = ["COUNT", g.count()] if g.rng.random() < 0.5 else []
    return ["ZMPOP", str(len(keys)), *keys, g.rng.choice(["MIN", "MAX"]), *count]


@builder("bzpopmin")
def _bzpopmin(g):
    return ["BZPOPMIN", *g.keys("zset", 1, 2), g.timeout()]


@builder("bzpopmax")
def _bzpopmax(g):
    return ["BZPOPMAX", *g.keys("zset", 1, 2), g.timeout()]


@builder("bzmpop")
def _bzmpop(g):
    keys = g.keys("zset", 1, 2)
    count = ["COUNT", g.count()] if g.rng.random() < 0.5 else []
    return ["BZMPOP", g.timeout(), str(len(keys)), *keys, g.rng.choice(["MIN", "MAX"]), *count]


def _zstore_options(g, weights: int) -> list:
    options = []
    if g.rng.random() < 0.3:
        options += ["WEIGHTS", *[g.rng.choice(["1", "2", "0.5", "-1"]) for _ in range(weights)]]
    if g.rng.random() < 0.3:
        options += ["AGGREGATE", g.rng.choice(["SUM", "MIN", "MAX"])]
    return options


@builder("zunionstore")
def _zunionstore(g):
    sources = g.keys("zset", 1, 3)
    return ["ZUNIONSTORE", g.key("zset"), str(len(sources)), *sources, *_zstore_options(g, len(sources))]


@builder("zinterstore")
def _zinterstore(g):
    sources = g.keys("zset", 1, 3)
    return ["ZINTERSTORE", g.key("zset"), str(len(sources)), *sources, *_zstore_options(g, len(sources))]


@builder("zdiffstore")
def _zdiffstore(g):
    sources = g.keys("zset", 1, 3)
    return ["ZDIFFSTORE", g.key("zset"), str(len(sources)), *sources]


@builder("zrangestore")
def _zrangestore(g):
    form = g.rng.choice(
        [
            ["0", "-1"],
            ["1", "2"],
            ["-inf", "+inf", "BYSCORE"],
            ["(1", "100", "BYSCORE"],
            ["[a", "+", "BYLEX"],
            ["+inf", "-inf", "BYSCORE", "REV", "LIMIT", "0", "2"],
        ]
    )
    return ["ZRANGESTORE", g.key("zset"), g.key("zset"), *form]


# HyperLogLog


@builder("pfadd")
def _pfadd(g):
    return ["PFADD", g.key("hll"), *g.values(1, 5)]


@builder("pfmerge")
def _pfmerge(g):
    return ["PFMERGE", g.key("hll"), *g.keys("hll", 1, 2)]


# server-wide writes (rare: they wipe everything)


@builder("flushdb", 0.4)
def _flushdb(g):
    return ["FLUSHDB", *g.rng.choice([[], ["ASYNC"], ["SYNC"]])]


@builder("flushall", 0.4)
def _flushall(g):
    return ["FLUSHALL", *g.rng.choice([[], ["ASYNC"], ["SYNC"]])]


@builder("function|load", 0.5)
def _function_load(g):
    code = g.rng.choice([LIBRARY, *OTHER_LIBRARIES])
    return ["FUNCTION", "LOAD", *(["REPLACE"] if g.rng.random() < 0.8 else []), code]


@builder("function|delete", 0.2)
def _function_delete(g):
    return ["FUNCTION", "DELETE", g.rng.choice(["otherlib", "replaylib", "nolib"])]


@builder("function|flush", 0.4)
def _function_flush(g):
    return ["FUNCTION", "FLUSH", *g.rng.choice([[], ["ASYNC"], ["SYNC"]])]


@builder("function|restore", 0.6)
def _function_restore(g):
    return Step("function_restore", [["FUNCTION", "RESTORE", PAYLOAD, g.rng.choice(["FLUSH", "REPLACE", "APPEND"])]])


# what is not one write: databases, transactions, scripts, served pops, expiring keys


@builder("select", 2)
def _select(g):
    return ["SELECT", str(g.db())]


@builder("multi", 4)
def _multi(g):
    return g.transaction()


@builder("eval", 3)
def _eval(g):
    body, kinds, arguments = g.rng.choice(SCRIPTS)
    keys = [g.key(kind) for kind in kinds]
    return ["EVAL", body, str(len(keys)), *keys, *arguments(g)]


@builder("evalsha", 2)
def _evalsha(g):
    body, kinds, arguments = g.rng.choice(SCRIPTS)
    keys = [g.key(kind) for kind in kinds]
    return ["EVALSHA", sha1_hex(body), str(len(keys)), *keys, *arguments(g)]


@builder("eval_ro", 1)
def _eval_ro(g):
    body, kinds = g.rng.choice(READ_ONLY_SCRIPTS)
    keys = [g.key(kind) for kind in kinds]
    return ["EVAL_RO", body, str(len(keys)), *keys]


@builder("fcall", 2)
def _fcall(g):
    name, kinds, arguments = g.rng.choice(FUNCTIONS)
    keys = [g.key(kind) for kind in kinds]
    return ["FCALL", name, str(len(keys)), *keys, *arguments(g)]


@builder("fcall_ro", 0.5)
def _fcall_ro(g):
    return ["FCALL_RO", "peek", "1", g.key("string")]


# a blocking pop that waits on an empty key, then another client's push serves it
SERVED_POPS = {
    "BLPOP": lambda g, key: ["BLPOP", key, "0"],
    "BRPOP": lambda g, key: ["BRPOP", b"list:none", key, "0"],
    "BLMOVE": lambda g, key: ["BLMOVE", key, g.rng.choice(LISTS), g.lr(), g.lr(), "0"],
    "BRPOPLPUSH": lambda g, key: ["BRPOPLPUSH", key, g.rng.choice(LISTS), "0"],
    "BLMPOP": lambda g, key: ["BLMPOP", "0", "1", key, g.lr(), *(["COUNT", g.count()] if g.rng.random() < 0.5 else [])],
    "BZPOPMIN": lambda g, key: ["BZPOPMIN", key, "0"],
    "BZPOPMAX": lambda g, key: ["BZPOPMAX", key, "0"],
    "BZMPOP": lambda g, key: [
        "BZMPOP",
        "0",
        "1",
        key,
        g.rng.choice(["MIN", "MAX"]),
        *(["COUNT", g.count()] if g.rng.random() < 0.5 else []),
    ],
}


@builder("served", 6)
def _served(g):
    name = g.rng.choice(sorted(SERVED_POPS))
    zset = name.startswith("BZ")
    key = g.rng.choice(ZSETS if zset else LISTS)
    waiters = [SERVED_POPS[name](g, key) for _ in range(g.rng.choice([1, 1, 2]))]
    if zset:
        push = ["ZADD", key, *[item for index in range(g.rng.randint(1, 4)) for item in (str(index), b"m%d" % index)]]
    else:
        push = [g.rng.choice(["RPUSH", "LPUSH"]), key, *[b"e%d" % index for index in range(g.rng.randint(1, 4))]]
    return Step("served", waiters, db=g.db(), setup=["DEL", key], push=push)


@builder("expiring", 2)
def _expiring(g):
    return g.expiring()


# -- the eviction scenario ----------------------------------------------------------------------------------


def filler(g: ReplayGenerator) -> list:
    """A write of about a kilobyte into one of a few thousand keys (some overwritten), any type."""
    key = b"fill:%d" % g.rng.randrange(3000)
    payload = b"%d:" % g.rng.randrange(10**6) + b"f" * g.rng.randint(400, 1600)
    return g.rng.choice(
        [
            ["SET", key, payload],
            ["SET", key, payload, "EX", g.rng.choice(LONG_SECONDS)],
            ["RPUSH", key + b":list", payload, payload[:100]],
            ["HSET", key + b":hash", "a", payload, "b", payload[:50]],
            ["SADD", key + b":set", payload, payload[:200]],
            ["ZADD", key + b":zset", "1", payload, "2", payload[:300]],
            ["GET", b"fill:%d" % g.rng.randrange(3000)],  # reads steer allkeys-lru
        ]
    )


def eviction_sequence(seed: int, length: int) -> list[Step]:
    """Mostly kilobyte writes in every database (to go past maxmemory again and again), among the usual steps
    (but no FLUSHALL or FLUSHDB, which would make room at once)."""
    g = ReplayGenerator(seed)
    steps = []
    while len(steps) < length:
        if g.rng.random() < 0.75:
            steps.append(Step("run", [filler(g)]))
        elif g.rng.random() < 0.2:
            steps.append(Step("run", [["SELECT", str(g.db())]]))
        else:
            more = g.steps()
            if not any(str(argv[0]).startswith("FLUSH") for step in more for argv in step.commands):
                steps += more
    return steps
