"""Keyspace notifications differentially: the seeded command sequences of the other differential tests (strings
and keys, lists, hashes and sets, sorted sets, bitmaps and HyperLogLogs, SORT), some of them wrapped in
MULTI/EXEC, go to RedisLite and to a real redis-server with notify-keyspace-events on. On each server a RESP2
connection has PSUBSCRIBEd `__key*__:*`; after every command (or EXEC) it sends PING, whose reply marks the
end of that command's events, and the events before it must be equal byte for byte, in order.

Active expiry is off on both servers (DEBUG SET-ACTIVE-EXPIRE 0), so keys set with a deadline already past
expire lazily, at the same command on both, and their "expired" events are compared too. Even seeds use
"KEA" (Redis's "AKE"); odd seeds add "n" and "m", so "new" and "keymiss" events are compared as well.
"""

import pytest

from ..servers import real_redis, redis_server_path, redislite
from .conftest import COVERAGE, ERROR_REPLIES
from .generator import Generator
from .resp import RawClient
from .test_bitmaps import BitmapGenerator
from .test_geo import GeoGenerator
from .test_hashes_and_sets import HashSetGenerator
from .test_lists import ListGenerator
from .test_sort import ERRNO_RESET, SortGenerator
from .test_zsets import ZSetGenerator

SEEDS = range(24)
COMMANDS_PER_SEQUENCE = 200
MULTI_CHANCE = 0.06  # a few commands in a row go into one transaction now and then
PONG = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # PING's reply to a subscribed RESP2 connection

FAMILIES = {
    "strings_and_keys": Generator,
    "lists": ListGenerator,
    "hashes_and_sets": HashSetGenerator,
    "zsets": lambda seed: ZSetGenerator(seed, True),
    "bitmaps_and_hll": BitmapGenerator,
    "sort": SortGenerator,
    "geo": GeoGenerator,
}

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


class Side:
    """One server: a connection for commands and a subscriber for the events they cause."""

    def __init__(self, port: int):
        self.commands = RawClient(port)
        self.events = RawClient(port)
        self.events.call("PSUBSCRIBE", "__key*__:*")

    def run(self, argv: list) -> bytes:
        return self.commands.call(*argv)

    def drain(self) -> list[bytes]:
        """The events published since the last drain, each a raw pmessage."""
        self.events.send_raw(b"*1\r\n$4\r\nPING\r\n")
        received = []
        while (message := self.events.read_reply()) != PONG:
            received.append(message)
        return received

    def close(self) -> None:
        self.commands.close()
        self.events.close()


@pytest.fixture(scope="module")
def sides(tmp_path_factory):
    with (
        redislite(cwd=tmp_path_factory.mktemp("lite")) as lite,
        real_redis("--enable-debug-command", "yes", cwd=tmp_path_factory.mktemp("real")) as real,
    ):
        ours, theirs = Side(lite.port), Side(real.port)
        for side in (ours, theirs):
            assert side.run(["DEBUG", "SET-ACTIVE-EXPIRE", "0"]) == b"+OK\r\n"
        yield ours, theirs
        ours.close()
        theirs.close()


def _as_bytes(arg) -> bytes:
    return arg if isinstance(arg, bytes) else str(arg).encode()


def comparable(step: list, events: list[bytes]):
    """SORT looks up BY and GET keys in the order it meets the elements, and a set's (or a sorted set's
    hash table's) order is Redis's to choose: with a SORT in the step, "keymiss" events are compared as a
    multiset, the others in order."""
    if not any(_as_bytes(argv[0]).upper() in (b"SORT", b"SORT_RO") for argv in step):
        return events
    misses = [event for event in events if b"__:keymiss\r\n" in event or event.endswith(b"$7\r\nkeymiss\r\n")]
    return [event for event in events if event not in misses], sorted(misses)


def with_errno_reset(argv: list) -> list[list]:
    """Redis's SORT reads a stale errno after strtod; a ZADD that parses a score first clears it (as in
    test_sort.py), so SORT's replies, and hence its events, do not depend on the command before."""
    if _as_bytes(argv[0]).upper() in (b"SORT", b"SORT_RO"):
        return [ERRNO_RESET, argv]
    return [argv]


def steps(generator, count: int):
    """Commands one by one, and now and then a few of them as one MULTI ... EXEC step."""
    rng = generator.rng
    produced = 0
    while produced < count:
        if rng.random() < MULTI_CHANCE:
            block = [generator.command() for _ in range(rng.randint(1, 4))]
            produced += len(block)
            yield [["MULTI"], *[command for argv in block for command in with_errno_reset(argv)], ["EXEC"]]
        else:
            produced += 1
            yield with_errno_reset(generator.command())


def resync_set(ours: Side, theirs: Side, key) -> None:
    """After an SPOP (random members) give both servers Redis's survivors; the events of that are dropped."""
    members = theirs.run(["SMEMBERS", key])
    if members.startswith((b"*", b"~")):
        items = members.split(b"\r\n")[2:-1:2]
        rebuild = [["DEL", key]] + ([["SADD", key, *items]] if items else [])
        for side in (ours, theirs):
            for argv in rebuild:
                side.run(argv)
    for side in (ours, theirs):
        side.drain()


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("family", list(FAMILIES))
def test_keyspace_events_match_real_redis(sides, family, seed):
    ours, theirs = sides
    flags = "KEA" if seed % 2 == 0 else "KEAnm"
    for side in (ours, theirs):
        side.run(["FLUSHALL"])
        side.run(["CONFIG", "SET", "notify-keyspace-events", flags])
        side.drain()
    generator = FAMILIES[family](seed)
    mismatches = []
    try:
        for index, step in enumerate(steps(generator, COMMANDS_PER_SEQUENCE)):
            replies = {}
            for name, side in (("redis", theirs), ("redislite", ours)):
                replies[name] = [side.run(argv) for argv in step]
            expected, actual = theirs.drain(), ours.drain()
            for argv, want in zip(step, replies["redis"]):
                if argv is ERRNO_RESET:
                    continue
                name = _as_bytes(argv[0]).decode("latin-1").lower()
                COVERAGE[name] += 1
                if want.startswith(b"-"):
                    ERROR_REPLIES[name] += 1
            if comparable(step, expected) != comparable(step, actual):
                mismatches.append(
                    f"#{index} {[[_as_bytes(a) for a in argv] for argv in step]}\n"
                    f"    redis:     {expected!r}\n    redislite: {actual!r}\n"
                    f"    replies:   {replies['redis']!r}\n               {replies['redislite']!r}"
                )
            for argv in step:
                if _as_bytes(argv[0]).upper() == b"SPOP" and len(argv) > 1:
                    resync_set(ours, theirs, argv[1])
    finally:
        for side in (ours, theirs):
            side.run(["SELECT", "0"])
            side.run(["CONFIG", "SET", "notify-keyspace-events", ""])
            side.run(["FLUSHALL"])
            side.drain()
    assert not mismatches, f"{family} seed {seed} ({flags}): {len(mismatches)} event streams differ\n" + "\n".join(
        mismatches[:10]
    )
