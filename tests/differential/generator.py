"""A seeded generator of string and keyspace command sequences, valid and invalid, for the differential test.

Expiry times are always far in the future (or in the past, which deletes at once), so no reply depends on
when a command runs; TTL-style replies are compared by class (-2, -1, positive) only.
"""

import random

KEYS = [b"k0", b"k1", b"k2", b"num", b"flt", b"s:1", b"s:2", b"\x00bin\r\n"]
PATTERNS = [b"*", b"k?", b"k[0-1]", b"k[^0]", b"s:*", b"*1*", b"\\*", b"[a-z]*", b"nomatch", b"k[!0]", b"*\\[", b"?"]
SMALL_INTS = ["0", "1", "-1", "5", "42", "-7", "100", "9223372036854775807", "-9223372036854775808"]
BAD_INTS = ["abc", "1.5", "", " 1", "1 ", "0x10", "99999999999999999999", "+1", "1e3"]
FLOATS = ["0.5", "-1.25", "3", "1e2", "-0", "10.0", "inf", "nan", "abc", "1.5e", "0.1", "5.0e3"]
VALUES = [b"v", b"hello", b"", b"12", b"-3", b"3.5", b"abc\r\ndef", b"\x00\xff", b"x" * 40, b"10"]
TTL_SECONDS = ["100", "1000", "5000", "86400"]


class Generator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def key(self) -> bytes:
        return self.rng.choice(KEYS)

    def value(self) -> bytes:
        return self.rng.choice(VALUES + [str(self.rng.randint(-50, 50)).encode()])

    def integer(self) -> str:
        roll = self.rng.random()
        if roll < 0.75:
            return str(self.rng.randint(-20, 20))
        if roll < 0.9:
            return self.rng.choice(SMALL_INTS)
        return self.rng.choice(BAD_INTS)

    def ttl(self) -> str:
        roll = self.rng.random()
        if roll < 0.85:
            return self.rng.choice(TTL_SECONDS)
        return self.rng.choice(["0", "-5", "abc", "1.5", "9223372036854775807"])

    def expire_flags(self) -> list[str]:
        roll = self.rng.random()
        if roll < 0.5:
            return []
        if roll < 0.9:
            return [self.rng.choice(["NX", "XX", "GT", "LT", "nx", "gt"])]
        return self.rng.sample(["NX", "XX", "GT", "LT", "FOO"], 2)

    def set_options(self) -> list[str]:
        options = []
        rng = self.rng
        if rng.random() < 0.3:
            options.append(rng.choice(["NX", "XX", "nx"]))
        if rng.random() < 0.3:
            choice = rng.choice(["EX", "PX", "EXAT", "PXAT", "KEEPTTL", "ex"])
            if choice in ("EX", "ex"):
                options += [choice, self.ttl()]
            elif choice == "PX":
                options += [choice, str(int(self.rng.choice(TTL_SECONDS)) * 1000)]
            elif choice == "EXAT":
                options += [choice, rng.choice(["4102444800", "1", "abc"])]
            elif choice == "PXAT":
                options += [choice, rng.choice(["4102444800000", "1000"])]
            else:
                options.append(choice)
        if rng.random() < 0.2:
            options.append("GET")
        if rng.random() < 0.05:
            options += rng.choice([["EX", "10", "PX", "100"], ["NX", "XX"], ["FOO"], ["EX"], ["KEEPTTL", "EX", "10"]])
        rng.shuffle(options) if rng.random() < 0.1 else None
        return options

    # -- one command --------------------------------------------------------------------------------------

    def command(self) -> list:
        rng = self.rng
        name = rng.choices(list(BUILDERS), weights=[w for w, _ in BUILDERS.values()])[0]
        argv = BUILDERS[name][1](self)
        roll = rng.random()
        if roll < 0.03:  # bad arity: drop or add arguments
            argv = argv[:1] if len(argv) > 1 and rng.random() < 0.5 else argv + [b"extra"] * 3
        elif roll < 0.04:
            argv = [rng.choice([b"FOOBAR", b"getx", b"S E T"]), *argv[1:3]]
        return argv


def _b(name: str, weight: float):
    def register(function):
        BUILDERS[name] = (weight, function)
        return function

    return register


BUILDERS: dict = {}


@_b("set", 6)
def _set(g):
    return ["SET", g.key(), g.value(), *g.set_options()]


@_b("get", 5)
def _get(g):
    return ["GET", g.key()]


@_b("setnx", 1)
def _setnx(g):
    return ["SETNX", g.key(), g.value()]


@_b("setex", 1)
def _setex(g):
    return [g.rng.choice(["SETEX", "PSETEX"]), g.key(), g.ttl(), g.value()]


@_b("incr", 4)
def _incr(g):
    return [g.rng.choice(["INCR", "DECR"]), g.rng.choice([b"num", g.key()])]


@_b("incrby", 3)
def _incrby(g):
    return [g.rng.choice(["INCRBY", "DECRBY"]), g.rng.choice([b"num", g.key()]), g.integer()]


@_b("incrbyfloat", 3)
def _incrbyfloat(g):
    return ["INCRBYFLOAT", g.rng.choice([b"flt", b"num", g.key()]), g.rng.choice(FLOATS)]


@_b("append", 2)
def _append(g):
    return ["APPEND", g.key(), g.value()]


@_b("getrange", 2)
def _getrange(g):
    return [g.rng.choice(["GETRANGE", "SUBSTR"]), g.key(), g.integer(), g.integer()]


@_b("setrange", 2)
def _setrange(g):
    offset = g.rng.choice(["0", "1", "3", "10", "-1", "abc", "536870912"])
    return ["SETRANGE", g.key(), offset, g.value()]


@_b("strlen", 2)
def _strlen(g):
    return ["STRLEN", g.key()]


@_b("mset", 2)
def _mset(g):
    args = []
    for _ in range(g.rng.randint(1, 3)):
        args += [g.key(), g.value()]
    if g.rng.random() < 0.1:
        args.append(g.key())  # odd number of arguments
    return [g.rng.choice(["MSET", "MSETNX"]), *args]


@_b("mget", 2)
def _mget(g):
    return ["MGET", *[g.key() for _ in range(g.rng.randint(1, 4))]]


@_b("getset", 1)
def _getset(g):
    return ["GETSET", g.key(), g.value()]


@_b("getdel", 1)
def _getdel(g):
    return ["GETDEL", g.key()]


@_b("getex", 2)
def _getex(g):
    options = g.rng.choice(
        [
            [],
            ["EX", g.ttl()],
            ["PX", "100000"],
            ["PERSIST"],
            ["EXAT", "4102444800"],
            ["PXAT", "1000"],
            ["EX"],
            ["FOO"],
            ["EX", "10", "PERSIST"],
        ]
    )
    return ["GETEX", g.key(), *options]


@_b("del", 3)
def _del(g):
    return [g.rng.choice(["DEL", "UNLINK", "EXISTS", "TOUCH"]), *[g.key() for _ in range(g.rng.randint(1, 3))]]


@_b("type", 1)
def _type(g):
    return ["TYPE", g.key()]


@_b("rename", 2)
def _rename(g):
    return [g.rng.choice(["RENAME", "RENAMENX"]), g.key(), g.key()]


@_b("copy", 2)
def _copy(g):
    options = g.rng.choice([[], ["REPLACE"], ["DB", "1"], ["DB", "2", "REPLACE"], ["DB", "99"], ["DB", "x"], ["FOO"]])
    return ["COPY", g.key(), g.key(), *options]


@_b("expire", 4)
def _expire(g):
    name = g.rng.choice(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
    if name == "EXPIRE":
        when = g.ttl()
    elif name == "PEXPIRE":
        when = g.rng.choice(["100000", "5000000", "-1", "abc"])
    elif name == "EXPIREAT":
        when = g.rng.choice(["4102444800", "4102444900", "1", "abc"])
    else:
        when = g.rng.choice(["4102444800000", "4102444800500", "1000"])
    return [name, g.key(), when, *g.expire_flags()]


@_b("ttl", 4)
def _ttl(g):
    return [g.rng.choice(["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"]), g.key()]


@_b("persist", 1)
def _persist(g):
    return ["PERSIST", g.key()]


@_b("keys", 1.5)
def _keys(g):
    return ["KEYS", g.rng.choice(PATTERNS)]


@_b("dbsize", 1)
def _dbsize(g):
    return ["DBSIZE"]


@_b("select", 1)
def _select(g):
    return ["SELECT", g.rng.choice(["0", "0", "1", "2", "16", "-1", "abc"])]


@_b("move", 1)
def _move(g):
    return ["MOVE", g.key(), g.rng.choice(["0", "1", "2", "16", "abc"])]


@_b("swapdb", 0.5)
def _swapdb(g):
    return ["SWAPDB", g.rng.choice(["0", "1", "2", "x"]), g.rng.choice(["0", "1", "2", "99"])]


@_b("lcs", 0.5)
def _lcs(g):
    return [
        "LCS",
        g.key(),
        g.key(),
        *g.rng.choice([[], ["LEN"], ["IDX"], ["IDX", "MINMATCHLEN", "2"], ["IDX", "WITHMATCHLEN"], ["FOO"]]),
    ]


@_b("ping", 0.5)
def _ping(g):
    return g.rng.choice([["PING"], ["PING", "hi"], ["ECHO", g.value()]])


@_b("flushdb", 0.2)
def _flushdb(g):
    return ["FLUSHDB"]
