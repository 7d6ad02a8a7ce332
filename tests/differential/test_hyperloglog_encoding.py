"""HyperLogLog bytes, differentially: after every PFADD, PFCOUNT and PFMERGE, every HLL key read with GET must
hold exactly what a real redis-server holds, so DUMP, a replica's copy and an AOF agree with Redis's.

Redis creates an HLL sparse and keeps it sparse until it would outgrow `hll-sparse-max-bytes` or a register
would exceed 32, then promotes it to dense; how the sparse opcodes cut a run of registers depends on the order
the registers were set in, so only the same algorithm gives the same bytes. The sequences are seeded and random:
PFADD of nothing, of a few elements, of hundreds at once and of one element at a time until the promotion,
PFCOUNT of one key (which caches the count in the header) and of several, PFMERGE of sparse and dense sources
into missing and existing destinations, DEL, and CONFIG SET hll-sparse-max-bytes at several values."""

import random

import pytest

from ..servers import redis_server_path
from .harness import Builders, compare_replies

SEEDS = range(24)
STEPS_PER_SEQUENCE = 40

KEYS = [b"h0", b"h1", b"h2", b"h3"]
NOT_HLL_KEY = b"plain"
SPARSE_MAX_BYTES = ["3000", "3000", "0", "40", "300", "1000", "8000", "100000"]
# Elements whose rank is 33 (32 zero bits after the register index): more than a sparse VAL holds, so adding one
# promotes a sparse HLL however small it is. Found by brute force over 8-byte little-endian counters.
RANK_33 = [n.to_bytes(8, "little") for n in (3130853818, 7555790606, 9524120947)]

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


def reads() -> list[list]:
    """What every step is followed by: the bytes of every key."""
    return [["GET", key] for key in KEYS]


def run_both(clients, label: str, commands: list[list]) -> list[bytes]:
    ours, theirs = clients
    commands = [["FLUSHALL"], ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"], *commands]
    expected = theirs.pipeline(commands)
    actual = ours.pipeline(commands)
    compare_replies(label, commands, expected, actual)
    return expected


BUILDERS = Builders()  # name -> (weight, build(sequence) -> the commands of one step, before its reads)


class Sequence:
    """One seeded run of steps: each a command or a short burst, followed by reads()."""

    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.pool = self.rng.randrange(1, 50_000)  # where this run's elements start: some are repeated
        self.commands: list[list] = [["CONFIG", "SET", "hll-sparse-max-bytes", self.rng.choice(SPARSE_MAX_BYTES)]]

    def elements(self, count: int) -> list[bytes]:
        spread = self.rng.choice([50, 3000, 100_000])
        return [b"e%d" % (self.pool + self.rng.randrange(spread)) for _ in range(count)]

    def key(self) -> bytes:
        return self.rng.choice(KEYS)

    def step(self) -> None:
        self.commands += BUILDERS.pick(self.rng)(self) + reads()


@BUILDERS.add("pfadd_few", 22)
def _pfadd_few(s: Sequence) -> list[list]:
    return [["PFADD", s.key(), *s.elements(s.rng.randint(0, 6))]]


@BUILDERS.add("pfadd_many", 18)
def _pfadd_many(s: Sequence) -> list[list]:
    return [["PFADD", s.key(), *s.elements(s.rng.choice([30, 200, 600, 1500]))]]


@BUILDERS.add("pfadd_one_at_a_time", 10)
def _pfadd_one_at_a_time(s: Sequence) -> list[list]:
    """Across a promotion when the key is big enough."""
    key = s.key()
    return [
        command for element in s.elements(s.rng.randint(20, 120)) for command in (["PFADD", key, element], ["GET", key])
    ]


@BUILDERS.add("pfadd_rank_33", 4)
def _pfadd_rank_33(s: Sequence) -> list[list]:
    return [["PFADD", s.key(), *s.elements(s.rng.randint(0, 3)), s.rng.choice(RANK_33)]]


@BUILDERS.add("pfcount", 12)
def _pfcount(s: Sequence) -> list[list]:
    return [["PFCOUNT", s.key()]]


@BUILDERS.add("pfcount_union", 6)
def _pfcount_union(s: Sequence) -> list[list]:
    return [["PFCOUNT", *s.rng.sample(KEYS + [b"missing"], s.rng.randint(2, 4))]]


@BUILDERS.add("pfmerge", 16)
def _pfmerge(s: Sequence) -> list[list]:
    return [["PFMERGE", s.key(), *s.rng.sample(KEYS + [b"missing"], s.rng.randint(0, 3))]]


@BUILDERS.add("del", 5)
def _del(s: Sequence) -> list[list]:
    return [["DEL", s.key()]]


@BUILDERS.add("config_set", 4)
def _config_set(s: Sequence) -> list[list]:
    return [["CONFIG", "SET", "hll-sparse-max-bytes", s.rng.choice(SPARSE_MAX_BYTES)]]


@BUILDERS.add("wrongtype", 3)
def _wrongtype(s: Sequence) -> list[list]:
    """A plain string as destination or source."""
    wrong = s.rng.choice([["PFADD", NOT_HLL_KEY, "a"], ["PFMERGE", s.key(), NOT_HLL_KEY]])
    return [["SET", NOT_HLL_KEY, "hello"], wrong]


@pytest.mark.parametrize("seed", SEEDS)
def test_random_hll_commands_leave_the_same_bytes_as_real_redis(clients, seed):
    sequence = Sequence(seed)
    for _ in range(STEPS_PER_SEQUENCE):
        sequence.step()
    run_both(clients, f"seed {seed}", sequence.commands)


@pytest.mark.parametrize("max_bytes", ["3000", "500", "41", "0"])
def test_pfadd_one_element_at_a_time_is_sparse_until_the_threshold_then_dense(clients, max_bytes):
    commands = [["CONFIG", "SET", "hll-sparse-max-bytes", max_bytes], ["PFADD", "h"], ["GET", "h"]]
    for i in range(2200):
        commands += [["PFADD", "h", b"one:%d" % i], ["GET", "h"]]
    commands += [["PFCOUNT", "h"], ["GET", "h"]]
    replies = run_both(clients, f"hll-sparse-max-bytes {max_bytes}", commands)
    assert replies[4].startswith(b"$18\r\nHYLL\x01")  # the empty sparse HLL PFADD creates
    assert replies[-1].startswith(b"$12304\r\nHYLL\x00")  # promoted on the way (the test saw both encodings)


def test_a_rank_above_32_promotes_a_small_sparse_hll(clients):
    commands = [["PFADD", "h", "a", "b"], ["PFCOUNT", "h"], ["GET", "h"], ["PFADD", "h", RANK_33[0]], ["GET", "h"]]
    commands += [["PFADD", "s", "c"], ["PFMERGE", "m", "s"], ["GET", "m"], ["PFMERGE", "m", "h"], ["GET", "m"]]
    replies = run_both(clients, "rank 33", commands)
    assert replies[-6].startswith(b"$12304\r\nHYLL\x00")


def test_pfmerge_follows_the_encodings_of_its_sources(clients):
    dense_elements = [b"d%d" % i for i in range(3000)]
    commands = [
        ["PFADD", "s1", *[b"a%d" % i for i in range(100)]],
        ["PFADD", "s2", *[b"b%d" % i for i in range(100)]],
        ["PFADD", "d", *dense_elements],
        ["PFCOUNT", "s1"],  # a cached count in the destination's header: kept by a merge, then marked stale
        ["PFMERGE", "s1", "s2"],  # sparse + sparse into an existing sparse destination
        ["PFMERGE", "new", "s1", "s2"],  # into a missing one
        ["PFMERGE", "mixed", "s1", "d"],  # a dense source: the destination turns dense
        ["PFCOUNT", "s2"],
        ["PFMERGE", "s2", "d"],  # an existing sparse destination with a dense source
        ["PFMERGE", "d", "s1"],  # a dense destination stays dense
        ["PFMERGE", "empty"],
        ["CONFIG", "SET", "hll-sparse-max-bytes", "200"],
        ["PFMERGE", "overflow", "s1", "new"],  # promoted halfway through the merge
        *[["GET", key] for key in ("s1", "s2", "d", "new", "mixed", "empty", "overflow")],
    ]
    run_both(clients, "pfmerge encodings", commands)


def sparse(opcodes: bytes, header: bytes = bytes(10) + b"\x80") -> bytes:
    """A hand-made sparse value: the magic, the encoding, then the unused bytes and cached count given."""
    return b"HYLL\x01" + header + opcodes


CORRUPT_OR_ODD = {
    # one register short: a change before the end still works, one at the end cannot
    "short": sparse(b"\x7f\xfe"),
    # one register too many: changes work until a promotion reads the whole value
    "long": sparse(b"\x7f\xff\x00"),
    "no opcodes": sparse(b""),
    # valid, but with unused header bytes set and a cached count (that a promotion keeps)
    "odd header": sparse(b"\x7f\xff", b"\x01\x02\x03" + (7).to_bytes(8, "little")),
    # valid, but its VALs cut as no PFADD would cut them, and an XZERO of one register
    "odd opcodes": sparse(b"\x80\x80\x80\x40\x00\x7f\xfb"),
    # valid: register 0 holds 32, the most a VAL holds (a merge copies it without promoting)
    "top value": sparse(b"\xfc\x7f\xfe"),
    # valid: ones at registers 0 and 2..6, one VAL each, register 1 zero; setting it to 1 merges VALs for all
    # five steps of Redis's merge window: 0..3 in three steps, a fourth that does not fit, then 4 and 5 (not 6)
    "merge window": sparse(b"\x80\x00\x80\x80\x80\x80\x80\x7f\xf8"),
}
REGISTER_1_RANK_1 = b"w116684"


@pytest.mark.parametrize("name", sorted(CORRUPT_OR_ODD))
def test_corrupt_and_unusual_sparse_values_behave_as_in_redis(clients, name):
    value = CORRUPT_OR_ODD[name]
    commands = [
        ["SET", "h", value],
        ["PFADD", "h"],
        ["GET", "h"],
        ["PFADD", "h", "a", "b", "c", *[b"x%d" % i for i in range(40)]],
        ["GET", "h"],
        ["SET", "h", value],
        ["PFADD", "h", REGISTER_1_RANK_1],
        ["GET", "h"],
        ["SET", "h", value],
        ["PFADD", "h", RANK_33[1]],
        ["GET", "h"],
        ["SET", "h", value],
        ["CONFIG", "SET", "hll-sparse-max-bytes", "0"],
        ["PFADD", "h", "a"],
        ["GET", "h"],
        ["CONFIG", "SET", "hll-sparse-max-bytes", "3000"],
        ["SET", "h", value],
        ["PFADD", "h", *[b"y%d" % i for i in range(2000)]],
        ["GET", "h"],
        ["SET", "h", value],
        ["PFCOUNT", "h"],
        ["GET", "h"],
        ["PFCOUNT", "h", "h"],
        ["PFMERGE", "m", "h"],
        ["GET", "m"],
        ["PFMERGE", "h", "h"],
        ["GET", "h"],
    ]
    run_both(clients, name, commands)


def test_config_hll_sparse_max_bytes_takes_what_redis_takes(clients):
    commands = [["CONFIG", "GET", "hll-sparse-max-bytes"]]
    for value in ["0", "3kb", "1gb", "9223372036854775807", "9223372036854775808", "-1", "abc", "1.5", "4000"]:
        commands += [["CONFIG", "SET", "hll-sparse-max-bytes", value], ["CONFIG", "GET", "hll-sparse-max-bytes"]]
    run_both(clients, "config", commands)
