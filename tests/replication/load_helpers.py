"""Helpers for the replication tests under load: a seeded generator of writes of every family, a minimal RESP
connection that sends a generated batch as it is (SELECT, MULTI/EXEC and all), and a TCP proxy whose
connections a test can drop."""

import random
import socket
import threading
import time

import hiredis

from .replica_helpers import snapshot

DATABASES = (0, 1, 5, 9)
KEYS_PER_FAMILY = 30
FAMILIES = (b"str", b"list", b"set", b"hash", b"zset", b"zlex", b"bits", b"hll")
BLOCKING_LIST, BLOCKING_ZSET = b"blk:list", b"blk:zset"  # db 0: a blocked client pops what the writer pushes
SHORT_TTL_MS = (50, 1500)  # keys given these expire during the run
LONG_TTL_S = (1000, 100_000)  # these outlive it

SCRIPTS = {
    # a write, then a reply computed from it
    "incr_push": "redis.call('INCRBY', KEYS[1], ARGV[1]); return redis.call('RPUSH', KEYS[2], ARGV[2])",
    # a value the replica cannot compute: effects replication sends the SET
    "time": "local t = redis.call('TIME'); return redis.call('SET', KEYS[1], t[1] .. '.' .. t[2])",
    # a random pop moved to another set
    "spop_move": "local m = redis.call('SPOP', KEYS[1]); if m then redis.call('SADD', KEYS[2], m) end; return m",
    # a write in another database: the stream must SELECT it, and the connection's database stays
    "other_db": "redis.call('SELECT', ARGV[1]); redis.call('SET', KEYS[1], ARGV[2]); return 1",
    # a write, then an error: the write stays
    "write_then_error": "redis.call('SET', KEYS[1], 'not a number'); return redis.call('INCR', KEYS[1])",
    # a short expiry set from a script
    "pexpire": "redis.call('HSET', KEYS[1], 'f', ARGV[1]); return redis.call('PEXPIRE', KEYS[1], ARGV[2])",
}
FUNCTION_LIBRARY = """#!lua name=mix
redis.register_function('mix_zadd', function(keys, args)
    redis.call('ZADD', keys[1], args[1], args[2])
    return redis.call('ZINCRBY', keys[1], 1, args[2])
end)
"""


def encode(argv) -> bytes:
    parts = [b"*%d\r\n" % len(argv)]
    for arg in argv:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class RespConnection:
    """One socket, one database: what is sent is exactly the batch given (no client library choosing
    connections from a pool, which would lose a SELECT). Error replies come back as hiredis.ReplyError values."""

    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = hiredis.Reader()

    def send(self, commands) -> None:
        self.sock.sendall(b"".join(encode(argv) for argv in commands))

    def read(self, count: int) -> list:
        replies = []
        while len(replies) < count:
            reply = self.reader.gets()
            if reply is False:
                data = self.sock.recv(65536)
                if not data:
                    raise ConnectionError("the server closed the connection")
                self.reader.feed(data)
            else:
                replies.append(reply)
        return replies

    def batch(self, commands) -> list:
        self.send(commands)
        return self.read(len(commands))

    def call(self, *argv):
        return self.batch([argv])[0]

    def close(self) -> None:
        self.sock.close()


class WriteMix:
    """Seeded writes of every family over a fixed keyspace in DATABASES: single commands, pipelines, MULTI/EXEC
    blocks (some with SELECT or a failing command inside), scripts and a function, deletes, relative and
    absolute expiries, long and short (short ones expire during the run: `short_deadline_ms` is the last).
    `next_step()` is one batch to send; absolute times are taken when it is generated."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)
        self.db = 0
        self.short_deadline_ms = 0
        self.steps = 0
        self.writers = [
            (12, self.string_write),
            (8, self.list_write),
            (6, self.set_write),
            (6, self.hash_write),
            (7, self.zset_write),
            (2, self.lex_write),
            (3, self.bits_write),
            (3, self.hll_write),
            (3, self.geo_write),
            (6, self.volatile_write),
            (7, self.expiry_write),
            (5, self.key_write),
            (2, self.blocking_feed),
        ]
        self.weights = [weight for weight, _ in self.writers]

    # -- what a step is -------------------------------------------------------------------------------------

    def next_step(self) -> list[list]:
        self.steps += 1
        roll = self.random.random()
        if roll < 0.05:
            return [self.select()]
        if roll < 0.13:
            return self.transaction()
        if roll < 0.20:
            return [self.script()]
        if roll < 0.28:
            return [self.command() for _ in range(self.random.randint(5, 20))]  # one pipelined batch
        if roll < 0.2815:
            return [self.rare()]
        if roll < 0.29:
            return [["WAIT", 1, 10]]  # puts REPLCONF GETACK into the stream
        return [self.command()]

    def command(self) -> list:
        (writer,) = self.random.choices([writer for _, writer in self.writers], self.weights)
        return writer()

    def select(self) -> list:
        self.db = self.random.choice(DATABASES)
        return ["SELECT", self.db]

    def transaction(self) -> list[list]:
        body = [self.command() for _ in range(self.random.randint(1, 6))]
        if self.random.random() < 0.2:
            body.insert(self.random.randrange(len(body) + 1), self.select())  # SELECT inside MULTI
        if self.random.random() < 0.2:
            key = self.key(b"list")
            body.append(["INCR", key])  # fails at EXEC time (WRONGTYPE when the list exists): the rest stays
        return [["MULTI"], *body, ["EXEC"]]

    def script(self) -> list:
        name = self.random.choice([*SCRIPTS, "fcall"])
        r = self.random
        if name == "incr_push":
            argv = [2, self.key(b"str"), self.key(b"list"), r.randint(-5, 5), self.value()]
        elif name == "time":
            argv = [1, self.key(b"str")]
        elif name == "spop_move":
            argv = [2, self.key(b"set"), self.key(b"set")]
        elif name == "other_db":
            argv = [1, self.key(b"str"), r.choice(DATABASES), self.value()]
        elif name == "write_then_error":
            argv = [1, self.key(b"str")]
        elif name == "pexpire":
            argv = [1, self.volatile_key(b"hash"), self.value(), self.short_ms()]
        else:
            return ["FCALL", "mix_zadd", 1, self.key(b"zset"), self.score(), self.member()]
        return ["EVAL", SCRIPTS[name], *argv]

    def rare(self) -> list:
        """Whole-database writes, seldom."""
        if self.random.random() < 0.5:
            return ["SWAPDB", 5, 9]
        return ["FLUSHDB"] if self.db == 9 else ["SELECT", self.db]

    # -- values -------------------------------------------------------------------------------------------

    def key(self, family: bytes) -> bytes:
        return b"%s:%d" % (family, self.random.randrange(KEYS_PER_FAMILY))

    def any_key(self) -> bytes:
        return self.key(self.random.choice(FAMILIES))

    def value(self) -> bytes:
        r = self.random
        kind = r.randrange(5)
        if kind == 0:
            return b"%d" % r.randint(-(10**12), 10**12)
        if kind == 1:
            return bytes(r.randrange(256) for _ in range(r.randrange(12)))  # binary, empty included
        if kind == 2:
            return b"v" * r.randint(60, 300)  # past the small encodings
        return b"val-%d" % r.randrange(1000)

    def member(self) -> bytes:
        r = self.random
        return b"m%d" % r.randrange(60) if r.random() < 0.9 else bytes([r.randrange(256), 0, r.randrange(256)])

    def score(self) -> str:
        r = self.random
        return r.choice([str(r.randint(-100, 100)), repr(r.uniform(-1000, 1000)), "0.1", "-inf", "+inf", "1e-7"])

    def short_ms(self) -> int:
        ms = self.random.randint(*SHORT_TTL_MS)
        self.short_deadline_ms = max(self.short_deadline_ms, int(time.time() * 1000) + ms)
        return ms

    def short_at_ms(self) -> int:
        return int(time.time() * 1000) + self.short_ms()

    def long_s(self) -> int:
        return self.random.randint(*LONG_TTL_S)

    # -- the families ---------------------------------------------------------------------------------------

    def string_write(self) -> list:
        r, key = self.random, self.key(b"str")
        choice = r.randrange(16)
        if choice == 0:
            return ["SET", key, self.value()]
        if choice == 1:
            return ["SET", key, self.value(), r.choice(["NX", "XX", "GET", "KEEPTTL"])]
        if choice == 2:
            return ["SET", key, self.value(), "EX", self.long_s()]
        if choice == 3:
            return ["SET", key, self.value(), "PXAT", int(time.time() * 1000) + self.long_s() * 1000]
        if choice == 4:
            return ["MSET", key, self.value(), self.key(b"str"), self.value()]
        if choice == 5:
            return ["MSETNX", key, self.value(), self.key(b"str"), self.value()]
        if choice == 6:
            return ["APPEND", key, self.value()]
        if choice == 7:
            return ["SETRANGE", key, r.randrange(40), self.value()]
        if choice == 8:
            return [r.choice(["INCR", "DECR"]), key]
        if choice == 9:
            return [r.choice(["INCRBY", "DECRBY"]), key, r.randint(-1000, 1000)]
        if choice == 10:
            return ["INCRBYFLOAT", key, r.choice(["1.5", "-0.25", "3e2", "0.1", "10.000001"])]
        if choice == 11:
            return ["GETSET", key, self.value()]
        if choice == 12:
            return ["GETDEL", key]
        if choice == 13:
            return ["GETEX", key, *r.choice([["PERSIST"], ["EX", self.long_s()], ["EXAT", int(time.time()) + 5000]])]
        if choice == 14:
            return ["SETNX", key, self.value()]
        return ["SETEX", key, self.long_s(), self.value()]

    def list_write(self) -> list:
        r, key = self.random, self.key(b"list")
        choice = r.randrange(14)
        if choice <= 2:
            return [r.choice(["LPUSH", "RPUSH"]), key, *[self.value() for _ in range(r.randint(1, 8))]]
        if choice == 3:
            return [r.choice(["LPUSHX", "RPUSHX"]), key, self.value()]
        if choice == 4:
            return [r.choice(["LPOP", "RPOP"]), key, *([r.randint(1, 4)] if r.random() < 0.5 else [])]
        if choice == 5:
            return ["LSET", key, r.randint(-3, 3), self.value()]
        if choice == 6:
            return ["LINSERT", key, r.choice(["BEFORE", "AFTER"]), self.value(), self.value()]
        if choice == 7:
            return ["LTRIM", key, r.randint(0, 3), r.randint(10, 60)]
        if choice == 8:
            return ["LREM", key, r.randint(-2, 2), self.value()]
        if choice == 9:
            return ["LMOVE", key, self.key(b"list"), r.choice(["LEFT", "RIGHT"]), r.choice(["LEFT", "RIGHT"])]
        if choice == 10:
            return ["RPOPLPUSH", key, self.key(b"list")]
        if choice == 11:
            return ["LMPOP", 2, key, self.key(b"list"), r.choice(["LEFT", "RIGHT"]), "COUNT", r.randint(1, 3)]
        if choice == 12:
            return ["SORT", key, "BY", "nosort", *(["DESC"] if r.random() < 0.5 else []), "STORE", self.key(b"list")]
        return ["RPUSH", key, *[self.value() for _ in range(r.randint(100, 200))]]  # past the listpack size

    def set_write(self) -> list:
        r, key = self.random, self.key(b"set")
        choice = r.randrange(9)
        if choice <= 2:
            members = [b"%d" % r.randrange(600) for _ in range(r.randint(1, 10))] if choice == 0 else None
            return ["SADD", key, *(members or [self.member() for _ in range(r.randint(1, 10))])]
        if choice == 3:
            return ["SREM", key, *[self.member() for _ in range(r.randint(1, 4))]]
        if choice == 4:
            return ["SPOP", key, *([r.randint(1, 5)] if r.random() < 0.5 else [])]
        if choice == 5:
            return ["SMOVE", key, self.key(b"set"), self.member()]
        if choice == 6:
            return [r.choice(["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]), key, self.key(b"set"), self.key(b"set")]
        if choice == 7:
            return ["SADD", key, *[b"%d" % i for i in range(r.randint(100, 200))]]  # past the intset size
        return ["SADD", key, *[self.value() for _ in range(3)]]

    def hash_write(self) -> list:
        r, key = self.random, self.key(b"hash")
        field = b"f%d" % r.randrange(40)
        choice = r.randrange(8)
        if choice <= 1:
            return ["HSET", key, *[x for _ in range(r.randint(1, 6)) for x in (b"f%d" % r.randrange(40), self.value())]]
        if choice == 2:
            return ["HSETNX", key, field, self.value()]
        if choice == 3:
            return ["HDEL", key, field, b"f%d" % r.randrange(40)]
        if choice == 4:
            return ["HINCRBY", key, field, r.randint(-50, 50)]
        if choice == 5:
            return ["HINCRBYFLOAT", key, field, r.choice(["0.5", "-1.25", "2e1", "0.1"])]
        if choice == 6:
            return ["HMSET", key, field, self.value()]
        return ["HSET", key, *[x for i in range(150) for x in (b"big%d" % i, b"%d" % i)]]  # past the listpack

    def geo_write(self) -> list:
        """GEOADD (replicated as ZADD) and the searches that store (replicated as themselves), on the sorted
        sets: a geo index is one (and more keys would slow the final comparison past its TTL tolerance)."""
        r, key = self.random, self.key(b"zset")
        choice = r.randrange(4)
        point = ["%.6f" % r.uniform(-10, 10), "%.6f" % r.uniform(40, 50)]
        if choice <= 1:
            triples = [
                x
                for _ in range(r.randint(1, 4))
                for x in ("%.6f" % r.uniform(-10, 10), "%.5f" % r.uniform(40, 50), self.member())
            ]
            return ["GEOADD", key, *r.sample(["NX", "CH"], r.randint(0, 1)), *triples]
        destination = self.key(b"zset")
        count = ["COUNT", r.randint(1, 5)] if r.random() < 0.4 else []
        if choice == 2:
            store = [r.choice(["STORE", "STOREDIST"]), destination]
            return ["GEORADIUS", key, *point, r.choice(["100", "500", "2000"]), "km", *count, *store]
        return [
            "GEOSEARCHSTORE",
            destination,
            key,
            "FROMLONLAT",
            *point,
            "BYBOX",
            "900",
            "600",
            "km",
            *count,
            "STOREDIST",
        ]

    def zset_write(self) -> list:
        r, key = self.random, self.key(b"zset")
        choice = r.randrange(12)
        if choice <= 2:
            flags = r.sample(["NX", "XX", "GT", "LT", "CH"], r.randint(0, 1))
            pairs = [x for _ in range(r.randint(1, 6)) for x in (self.score(), self.member())]
            return ["ZADD", key, *flags, *pairs]
        if choice == 3:
            return ["ZADD", key, "INCR", r.choice(["1", "-2.5", "0.1"]), self.member()]
        if choice == 4:
            return ["ZINCRBY", key, r.choice(["1", "-2.5", "0.1", "3"]), self.member()]
        if choice == 5:
            return ["ZREM", key, self.member(), self.member()]
        if choice == 6:
            return [r.choice(["ZPOPMIN", "ZPOPMAX"]), key, *([r.randint(1, 3)] if r.random() < 0.5 else [])]
        if choice == 7:
            return r.choice(
                [
                    ["ZREMRANGEBYSCORE", key, "-50", "(10"],
                    ["ZREMRANGEBYRANK", key, 0, r.randint(0, 2)],
                ]
            )
        if choice == 8:
            command = r.choice(["ZUNIONSTORE", "ZINTERSTORE"])
            extra = ["WEIGHTS", "2", "0.5", "AGGREGATE", r.choice(["SUM", "MIN", "MAX"])]
            return [command, key, 2, self.key(b"zset"), self.key(b"zset"), *(extra if r.random() < 0.5 else [])]
        if choice == 9:
            return ["ZRANGESTORE", key, self.key(b"zset"), 0, r.randint(0, 10)]
        if choice == 10:
            return ["ZMPOP", 2, key, self.key(b"zset"), r.choice(["MIN", "MAX"]), "COUNT", r.randint(1, 3)]
        return ["ZADD", key, *[x for i in range(140) for x in (i * 0.25, b"big%d" % i)]]  # past the listpack

    def lex_write(self) -> list:
        """Sorted sets whose members all have score 0, for the lexicographic ranges: on members of different
        scores Redis leaves ZREMRANGEBYLEX unspecified (its skip list walk depends on the nodes' random levels,
        so even two redis-servers disagree), and a replica would differ from its master."""
        r, key = self.random, self.key(b"zlex")
        choice = r.randrange(4)
        if choice <= 1:
            return ["ZADD", key, *[x for _ in range(r.randint(1, 8)) for x in (0, self.member())]]
        if choice == 2:
            return ["ZREMRANGEBYLEX", key, r.choice(["[m1", "-", "(m3"]), r.choice(["(m2", "[m5", "+"])]
        return ["ZRANGESTORE", key, self.key(b"zlex"), "[m2", "(m4", "BYLEX"]

    def bits_write(self) -> list:
        r, key = self.random, self.key(b"bits")
        choice = r.randrange(4)
        if choice <= 1:
            return ["SETBIT", key, r.randrange(2000), r.randint(0, 1)]
        if choice == 2:
            return ["BITOP", r.choice(["AND", "OR", "XOR"]), key, self.key(b"bits"), self.key(b"bits")]
        return [
            "BITFIELD",
            key,
            "OVERFLOW",
            r.choice(["WRAP", "SAT", "FAIL"]),
            "INCRBY",
            r.choice(["i8", "u4", "i16"]),
            r.randrange(64),
            r.randint(-200, 200),
        ]

    def hll_write(self) -> list:
        """HyperLogLogs, sparse and dense (a replica of another kind computes its own bytes from the command)."""
        r, key = self.random, self.key(b"hll")
        choice = r.randrange(6)
        if choice <= 2:
            return ["PFADD", key, *[b"e%d" % r.randrange(20_000) for _ in range(r.randint(0, 12))]]
        if choice == 3:
            return ["PFADD", key, *[b"e%d" % r.randrange(20_000) for _ in range(r.randint(200, 900))]]
        if choice == 4:
            return ["PFMERGE", key, self.key(b"hll"), self.key(b"hll")]
        return ["PFCOUNT", key]  # caches the cardinality in the value: a write

    def volatile_key(self, family: bytes) -> bytes:
        return b"vol:%s:%d" % (family, self.random.randrange(KEYS_PER_FAMILY // 3))

    def volatile_write(self) -> list:
        """Keys that expire during the run, of every family, given their TTL relative or absolute: in their own
        `vol:` names, and now and then any key (which later writes may extend, PERSIST, copy or read, before or
        after its deadline: a replica that applies the expiry late must keep the key as the master did)."""
        r = self.random
        choice = r.randrange(12)
        if choice == 0:
            return ["SET", self.volatile_key(b"str"), self.value(), "PX", self.short_ms()]
        if choice == 1:
            return ["SET", self.volatile_key(b"str"), self.value(), "PXAT", self.short_at_ms()]
        if choice == 2:
            return ["PSETEX", self.volatile_key(b"str"), self.short_ms(), self.value()]
        if choice == 3:
            return ["GETEX", self.volatile_key(b"str"), "PX", self.short_ms()]
        if choice == 4:
            return ["RPUSH", self.volatile_key(b"list"), self.value(), self.value()]
        if choice == 5:
            return ["HSET", self.volatile_key(b"hash"), b"f%d" % r.randrange(5), self.value()]
        if choice == 6:
            return ["ZADD", self.volatile_key(b"zset"), self.score(), self.member()]
        if choice == 7:
            return ["SADD", self.volatile_key(b"set"), self.member()]
        if choice == 8:
            family = r.choice([b"str", b"list", b"hash", b"zset", b"set"])
            return ["PEXPIREAT", self.volatile_key(family), self.short_at_ms()]
        if choice == 9:
            return ["GETEX", self.key(b"str"), "PX", self.short_ms()]
        if choice == 10:
            return ["PEXPIREAT", self.any_key(), self.short_at_ms()]
        return ["PEXPIRE", self.any_key(), self.short_ms()]

    def expiry_write(self) -> list:
        """Long expiries, relative and absolute, with their conditions; PERSIST; expiries in the past (a DEL)."""
        r, key = self.random, self.any_key()
        now = time.time()
        choice = r.randrange(8)
        if choice == 0:
            return ["EXPIRE", key, self.long_s(), *r.sample(["NX", "XX", "GT", "LT"], r.randint(0, 1))]
        if choice == 1:
            return ["PEXPIRE", key, self.long_s() * 1000]
        if choice == 2:
            return ["EXPIREAT", key, int(now) + self.long_s(), *r.sample(["NX", "XX", "GT", "LT"], r.randint(0, 1))]
        if choice == 3:
            return ["PEXPIREAT", key, int(now * 1000) + self.long_s() * 1000]
        if choice == 4:
            return ["PERSIST", key]
        if choice == 5 and r.random() < 0.2:
            return [r.choice(["EXPIREAT", "PEXPIREAT"]), key, r.randint(1, 1000)]  # in the past: deleted
        if choice == 6 and r.random() < 0.2:
            return ["EXPIRE", key, r.choice([0, -5])]  # deleted
        return ["EXPIRE", key, self.long_s()]

    def key_write(self) -> list:
        r = self.random
        family = r.choice(FAMILIES)
        key, other = self.key(family), self.key(family)
        choice = r.randrange(8)
        if choice <= 1:
            return [r.choice(["DEL", "UNLINK"]), key, *[self.any_key() for _ in range(r.randint(0, 3))]]
        if choice == 2:
            return ["RENAME", key, other]
        if choice == 3:
            return ["RENAMENX", key, other]
        if choice == 4:
            return ["COPY", key, other, *(["REPLACE"] if r.random() < 0.5 else [])]
        if choice == 5:
            return ["COPY", key, other, "DB", r.choice(DATABASES), "REPLACE"]
        if choice == 6:
            return ["MOVE", key, r.choice(DATABASES)]
        return ["DEL", key]

    def blocking_feed(self) -> list:
        if self.db != 0:
            return self.list_write()
        if self.random.random() < 0.5:
            return ["RPUSH", BLOCKING_LIST, *[self.value() for _ in range(self.random.randint(1, 3))]]
        return ["ZADD", BLOCKING_ZSET, self.score(), self.member()]

    def all_keys(self) -> list[bytes]:
        """Every key name a step may write (in any database)."""
        names = [b"%s:%d" % (family, i) for family in FAMILIES for i in range(KEYS_PER_FAMILY)]
        volatile = [b"vol:%s:%d" % (family, i) for family in FAMILIES for i in range(KEYS_PER_FAMILY // 3)]
        return names + volatile + [BLOCKING_LIST, BLOCKING_ZSET]


class DroppingProxy:
    """A TCP proxy on a free loopback port to `target_port`, a thread per direction; `drop()` cuts every
    connection it carries at once (the bytes it read and had not passed on are lost, as on a real network)."""

    def __init__(self, target_port: int):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.pairs: list[tuple[socket.socket, socket.socket]] = []
        self.finished: dict = {}  # pair -> directions that ended
        self.accepted = 0
        self.closed = False
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                downstream, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                downstream.close()
                continue
            downstream.settimeout(None)
            pair = (downstream, upstream)
            with self.lock:
                self.pairs.append(pair)
                self.accepted += 1
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pump, args=(source, sink, pair), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, pair) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._cut(pair)
        with self.lock:
            self.finished[pair] = self.finished.get(pair, 0) + 1
            last = self.finished[pair] == 2
        if last:  # both directions are done with the sockets: closing cannot pull one from under a thread
            del self.finished[pair]
            for sock in pair:
                sock.close()

    def _cut(self, pair) -> bool:
        with self.lock:
            if pair not in self.pairs:
                return False
            self.pairs.remove(pair)
        for sock in pair:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        return True

    def drop(self) -> int:
        """Cut every connection; how many there were."""
        with self.lock:
            pairs = list(self.pairs)
        return sum(self._cut(pair) for pair in pairs)

    def close(self) -> None:
        self.closed = True
        self.listener.close()
        self.drop()
        self.thread.join(timeout=2)


def differences(master_port: int, replica_port: int, limit: int = 5) -> list[str]:
    """The keys whose type, value or TTL (beyond a second) differ, as text: what a failed comparison prints."""
    theirs, ours = snapshot(master_port), snapshot(replica_port)
    found = []
    for db in sorted(set(theirs) | set(ours)):
        master_db, replica_db = theirs.get(db, {}), ours.get(db, {})
        for key in sorted(set(master_db) | set(replica_db)):
            expected, got = master_db.get(key), replica_db.get(key)
            if expected is None or got is None or expected[:2] != got[:2] or abs(expected[2] - got[2]) > 1000:
                found.append(f"db {db} {key!r}: master {str(expected)[:600]} replica {str(got)[:600]}")
    return found[:limit] + ([f"... {len(found) - limit} more"] if len(found) > limit else [])
