"""Quality of eviction against real Redis: the same skewed read trace (10% of the keys get 90% of the reads;
a miss is followed by SET, as a cache does) runs on RedisLite and on redis-server side by side, each with a
maxmemory that holds half of the keys (measured on that server). RedisLite's hit rate under allkeys-lru and
allkeys-lfu must be at least 90% of Redis's. EVICTION_TRACE_READS=1000000 runs a longer trace."""

import os
import random

import pytest
import redis

from ..servers import real_redis, redis_server_path, redislite

KEYS = 10_000
READS = int(os.environ.get("EVICTION_TRACE_READS", "100000"))
VALUE = b"x" * 100
BATCH = 200

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


def skewed_trace(seed: int) -> list[str]:
    rng = random.Random(seed)
    keys = [f"key:{i}" for i in range(KEYS)]
    rng.shuffle(keys)
    hot, cold = keys[: KEYS // 10], keys[KEYS // 10 :]
    return [rng.choice(hot) if rng.random() < 0.9 else rng.choice(cold) for _ in range(READS)]


def set_all(client, keys) -> None:
    for start in range(0, len(keys), 1000):
        pipe = client.pipeline(transaction=False)
        for key in keys[start : start + 1000]:
            pipe.set(key, VALUE)
        pipe.execute()


def half_the_keys_limit(client) -> int:
    """A maxmemory that holds about half of the keys, from this server's own used_memory per key."""
    client.flushall()
    empty = client.info("memory")["used_memory"]
    set_all(client, [f"key:{i}" for i in range(KEYS)])
    per_key = (client.info("memory")["used_memory"] - empty) / KEYS
    client.flushall()
    return int(client.info("memory")["used_memory"] + per_key * KEYS / 2)


def hit_rate(client, policy: str, trace: list[str]) -> float:
    limit = half_the_keys_limit(client)
    client.config_set("maxmemory-policy", policy)
    client.config_set("maxmemory", limit)
    hits = 0
    for start in range(0, len(trace), BATCH):
        batch = trace[start : start + BATCH]
        replies = client.mget(batch)
        misses = [key for key, value in zip(batch, replies) if value is None]
        hits += len(batch) - len(misses)
        if misses:
            set_all(client, misses)
    client.config_set("maxmemory", 0)
    return hits / len(trace)


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with (
        redislite(cwd=tmp_path_factory.mktemp("lite")) as lite,
        real_redis(cwd=tmp_path_factory.mktemp("real")) as real,
    ):
        ours, theirs = redis.Redis(port=lite.port), redis.Redis(port=real.port)
        yield ours, theirs
        ours.close()
        theirs.close()


@pytest.mark.parametrize("policy", ["allkeys-lru", "allkeys-lfu"])
def test_hit_rate_on_a_skewed_trace_is_at_least_ninety_percent_of_redis(servers, policy, capsys):
    ours, theirs = servers
    trace = skewed_trace(seed=42)
    redis_rate = hit_rate(theirs, policy, trace)
    our_rate = hit_rate(ours, policy, trace)
    with capsys.disabled():
        print(
            f"\n{policy}: hit rate RedisLite {our_rate:.3f}, Redis {redis_rate:.3f} "
            f"({our_rate / redis_rate:.2f}x) over {len(trace)} reads of {KEYS} keys"
        )
    assert our_rate >= 0.9 * redis_rate
