"""SORT and SORT_RO, differentially: seeded random sequences go to RedisLite and to a real redis-server, and
every reply must be equal byte for byte, errors included. The sequences build lists, sets and sorted sets of
numbers, words and strings that are not numbers (inf, hex, leading spaces, NaN, overflow, NUL bytes), string
and hash weights (some of the wrong type), then sort them with random options in random order: BY (with `*`,
`->field`, no `*`, NUL bytes), GET (`#`, missing keys and fields), LIMIT (negative, huge, malformed),
ASC/DESC, ALPHA, STORE (over lists, strings and keys with a TTL), unknown options and missing arguments.

Where Redis's order depends on its hash tables it cannot be compared exactly: a set or sorted set sorted
ALPHA BY weights that tie, and a hashtable set not sorted at all. Those replies are compared as sorted
groups (an element with its GET values), and the generator gives them no LIMIT and no STORE, so the rest of
the sequence stays in step. Lists and intsets (ascending integers) are always compared exactly, ties
included (Redis's qsort is stable, its partial quicksort for BY + LIMIT is not, and both orders must be
reproduced).

Redis's SORT reads errno after strtod without clearing it first, so a float overflow in any earlier command
would make later SORTs fail; a ZADD ... XX, which clears errno, goes before every SORT to keep runs
independent of one another."""

import random

import pytest

from ..servers import redis_server_path
from .harness import Builders, as_bytes, compare_replies
from .resp import parse_reply

SEEDS = range(40)
COMMANDS_PER_SEQUENCE = 220

NUMBER_LISTS = [b"n0", b"n1"]
WORD_LISTS = [b"w0"]
SETS = [b"s0", b"s1"]
INTSETS = [b"i0"]  # integers only: an intset (unless the limits are small), whose order Redis defines
ZSETS = [b"z0"]
SOURCES = NUMBER_LISTS + WORD_LISTS + SETS + ZSETS + [b"str", b"missing", b"h_a"] + INTSETS
SOURCE_WEIGHTS = [6, 4, 5, 4, 4, 4, 1, 1, 1, 3]
DESTINATIONS = [b"d0", b"d1", b"n1", b"str", b"s1", b"z0"]
DESTINATION_WEIGHTS = [8, 4, 1, 1, 0.3, 0.3]

NUMBERS = [
    b"1",
    b"2",
    b"10",
    b"-3",
    b"1.5",
    b"0",
    b"-0",
    b"007",
    b"1e5",
    b"inf",
    b"-inf",
    b"+5",
    b" 7",
    b"0x10",
    b"",
    b"3.0",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"2.5e-3",
    b"infinity",
    b"\t4",
    b"6\x00junk",
]
BAD_NUMBERS = [b"3 ", b"nan", b"abc", b"1e400", b"1e-400", b"1e-310", b"0x", b"1e", b".", b"-"]
WORDS = [
    b"a",
    b"b",
    b"B",
    b"abc",
    b"ab",
    b"",
    b"\xff",
    b"\xc3\xa9",
    b"a\x00b",
    b"a\x00a",
    b"\x00z",
    b"zz",
    b"x" * 50,
    b"1",
    b"10",
    b"2",
]
# In sets and sorted sets no two members may compare equal as C strings: ALPHA order would then depend on
# the hash table. "q\x00r" is the one member with a NUL byte, and no other member starts with "q".
SET_NUMBERS = [
    b"1",
    b"2",
    b"3",
    b"10",
    b"-3",
    b"0",
    b"100",
    b"-100",
    b"7",
    b"1.5",
    b"inf",
    b"-inf",
    b"1e3",
    b" 9",
    b"0x1A",
]
INTSET_MEMBERS = [b"5", b"-1", b"10", b"3", b"0", b"-20", b"7", b"100", b"42"]
SET_WORDS = [b"a", b"b", b"B", b"abc", b"ab", b"", b"\xff", b"\xc3\xa9", b"q\x00r", b"zz", b"x" * 70, b"5"]
WEIGHTS = NUMBERS[:16] + [b"abc", b"b", b"a", b"B", b"", b"3 ", b"nan", b"1e400", b"zz"]
FIELDS = [b"f", b"g"]
BY_PATTERNS = [
    b"w_*",
    b"w_*",
    b"h_*->f",
    b"h_*->g",
    b"h_*->f",
    b"nosort",
    b"#",
    b"w_*->",
    b"h_*->",
    b"*",
    b"h_*->f\x00x",
    b"nos\x00*",
    b"w_*-",
    b"h_*->missing",
    b"w_*\x00",
]
GET_PATTERNS = [
    b"#",
    b"#",
    b"w_*",
    b"h_*->f",
    b"h_*->g",
    b"h_*->missing",
    b"nostar",
    b"#\x00",
    b"*",
    b"w_*->",
    b"##",
    b"h_*->f->g",
]
OFFSETS = ["0", "1", "2", "3", "-1", "-5", "5", "10", "100", "9223372036854775807", "-9223372036854775808"]
COUNTS = ["0", "1", "2", "3", "5", "-1", "-3", "10", "100", "9223372036854775807", "-9223372036854775808"]
BAD_INTEGERS = ["abc", "1.5", "", " 1", "+1", "99999999999999999999"]
SMALL_LIMITS = [["CONFIG", "SET", "set-max-intset-entries", "4"], ["CONFIG", "SET", "zset-max-listpack-entries", "4"]]
DEFAULT_LIMITS = [
    ["CONFIG", "SET", "set-max-intset-entries", "512"],
    ["CONFIG", "SET", "zset-max-listpack-entries", "128"],
]
ERRNO_RESET = ["ZADD", "errno-reset", "XX", "0", "m"]

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


class SortGenerator:
    def __init__(self, seed: int, small_limits: bool = False):
        self.rng = random.Random(seed)
        self.sources = SOURCES[:-1] if small_limits else SOURCES
        self.source_weights = SOURCE_WEIGHTS[: len(self.sources)]

    def pick(self, pool, weights=None):
        return self.rng.choices(pool, weights=weights)[0] if weights else self.rng.choice(pool)

    def list_elements(self, key: bytes) -> list[bytes]:
        if key in WORD_LISTS:
            pool = WORDS
        else:
            pool = NUMBERS if self.rng.random() < 0.9 else NUMBERS + BAD_NUMBERS
        return [self.pick(pool) for _ in range(self.rng.randint(1, 6))]

    def set_members(self, key: bytes) -> list[bytes]:
        pool = {b"s0": SET_NUMBERS, b"i0": INTSET_MEMBERS}.get(key, SET_WORDS)
        return [self.pick(pool) for _ in range(self.rng.randint(1, 4))]

    def any_element(self) -> bytes:
        return self.pick(NUMBERS + WORDS + SET_NUMBERS + SET_WORDS)

    def offset(self) -> str:
        roll = self.rng.random()
        if roll < 0.6:
            return str(self.rng.randint(-2, 8))
        return self.pick(OFFSETS if roll < 0.95 else BAD_INTEGERS)

    def count(self) -> str:
        roll = self.rng.random()
        if roll < 0.6:
            return str(self.rng.randint(-1, 8))
        return self.pick(COUNTS if roll < 0.95 else BAD_INTEGERS)

    def command(self) -> list:
        return BUILDERS.pick(self.rng)(self)


BUILDERS = Builders()
_builder = BUILDERS.add


@_builder("lists", 8)
def _lists(g):
    key = g.pick(NUMBER_LISTS + WORD_LISTS)
    roll = g.rng.random()
    if roll < 0.1:
        return ["LPOP", key, "2"]
    if roll < 0.15:  # long lists reach the partial quicksort's median-of-medians pivots (over 40 elements)
        return ["RPUSH", key, *[element for _ in range(8) for element in g.list_elements(key)]]
    return [g.pick(["RPUSH", "LPUSH"]), key, *g.list_elements(key)]


@_builder("sets", 5)
def _sets(g):
    key = g.pick(SETS + INTSETS)
    if g.rng.random() < 0.1:
        return ["SREM", key, *g.set_members(key)]
    return ["SADD", key, *g.set_members(key)]


@_builder("zsets", 4)
def _zsets(g):
    argv = ["ZADD", b"z0"]
    for _ in range(g.rng.randint(1, 3)):
        argv += [g.pick(["1", "2", "0", "-1", "1.5", "inf", "2"]), g.pick(SET_NUMBERS + SET_WORDS)]
    return argv


@_builder("weights", 10)
def _weights(g):
    element = g.any_element()
    roll = g.rng.random()
    if roll < 0.5:
        return ["SET", b"w_" + element, g.pick(WEIGHTS)]
    if roll < 0.85:
        return ["HSET", b"h_" + element, g.pick(FIELDS), g.pick(WEIGHTS)]
    if roll < 0.93:
        return ["DEL", b"w_" + element, b"h_" + element]
    # weights of the wrong type count as missing
    return g.pick([["RPUSH", b"w_" + element, "1"], ["SET", b"h_" + element, "5"]])


@_builder("generic", 4)
def _generic(g):
    return g.pick(
        [
            ["DEL", g.pick(g.sources)],
            ["SET", b"str", g.pick(WEIGHTS)],
            ["OBJECT", "ENCODING", g.pick(ZSETS + SETS + INTSETS)],
            ["TYPE", g.pick(DESTINATIONS)],
            ["LRANGE", g.pick(DESTINATIONS), "0", "-1"],
            ["TTL", g.pick(DESTINATIONS)],
            ["EXPIRE", g.pick(DESTINATIONS), "1000"],
            ["SET", g.pick(DESTINATIONS[:2]), "v", "EX", "1000"],
            ["HSET", b"h_a", "f", "1"],
            ["EXISTS", g.pick(DESTINATIONS)],
        ]
    )


@_builder("sort", 30)
def _sort(g):
    return sort_command(g)


def option_groups(g, source: bytes, readonly: bool) -> list[list]:
    """Random SORT options (each a group of arguments kept together), order and repeats random."""
    groups = []
    if g.rng.random() < 0.55:
        groups.append(["BY", g.pick(BY_PATTERNS)])
    for _ in range(g.rng.choices([0, 1, 2, 3], weights=[5, 4, 2, 1])[0]):
        groups.append(["GET", g.pick(GET_PATTERNS)])
    if g.rng.random() < 0.45:
        groups.append(["LIMIT", g.offset(), g.count()])
    if g.rng.random() < 0.5:
        groups.append([g.pick(["ASC", "DESC", "desc", "Asc"])])
    if g.rng.random() < (0.8 if source in WORD_LISTS + SETS[1:] else 0.4):
        groups.append([g.pick(["ALPHA", "alpha"])])
    if not readonly and g.rng.random() < 0.3:
        groups.append(["STORE", g.pick(DESTINATIONS, DESTINATION_WEIGHTS)])
    if g.rng.random() < 0.04:
        groups.append(
            g.pick(
                [
                    ["FOO"],
                    ["STORE", "d0"],
                    ["BY"],
                    ["GET"],
                    ["LIMIT", "1"],
                    ["ASC\x00x"],
                    ["BY", "w_*", "BY", "nosort"],
                    ["BY", "nosort", "BY", "w_*"],
                ]
            )
        )
    g.rng.shuffle(groups)
    return groups


def hash_ordered(source: bytes, argv: list) -> bool:
    """Whether Redis's reply order depends on its hash tables (see the module docstring)."""
    if source not in SETS + ZSETS:
        return False
    by, alpha, store = by_option(argv), False, False
    for arg in argv[2:]:
        word = as_bytes(arg).split(b"\0")[0].upper()
        alpha = alpha or word == b"ALPHA"
        store = store or word == b"STORE"
    sorted_by_weight = by is not None and b"*" in by.split(b"\0")[0]
    unsorted = by is not None and b"*" not in by.split(b"\0")[0]
    return (alpha and sorted_by_weight and not unsorted) or (source in SETS and unsorted and not store)


def by_option(argv: list) -> bytes | None:
    """The BY pattern SORT uses (the last one), or b"nosort" when any BY had no `*` (that one sticks)."""
    found = None
    for index, arg in enumerate(argv[2:-1], start=2):
        if as_bytes(arg).split(b"\0")[0].upper() == b"BY":
            pattern = as_bytes(argv[index + 1])
            if b"*" not in pattern.split(b"\0")[0]:
                return b"nosort"
            found = pattern
    return found


def sort_command(g) -> list:
    readonly = g.rng.random() < 0.25
    source = g.pick(g.sources, g.source_weights)
    name = "SORT_RO" if readonly else g.pick(["SORT", "SORT", "sort"])
    argv = [name, source, *[arg for group in option_groups(g, source, readonly) for arg in group]]
    if readonly and g.rng.random() < 0.05:
        argv += ["STORE", "d0"]
    if hash_ordered(source, argv):
        # keep only what can be compared: no LIMIT window, no STORE
        argv = [name, source] + [
            arg for group in _regroup(argv[2:]) if group[0].upper() not in ("LIMIT", "STORE") for arg in group
        ]
    return argv


def _regroup(args: list) -> list[list]:
    groups, pos = [], 0
    sizes = {"LIMIT": 3, "STORE": 2, "BY": 2, "GET": 2}
    while pos < len(args):
        word = as_bytes(args[pos]).decode("latin-1").upper()
        size = sizes.get(word, 1) if pos + sizes.get(word, 1) <= len(args) else 1
        groups.append([word if size > 1 else args[pos], *args[pos + 1 : pos + size]])
        pos += size
    return groups


# -- replies ---------------------------------------------------------------------------------------------------


def normalize(argv: list, reply: bytes):
    """Exact bytes, or for a hash-ordered SORT reply the sorted groups of (element, GET values...)."""
    if as_bytes(argv[0]).upper() not in (b"SORT", b"SORT_RO") or not hash_ordered(as_bytes(argv[1]), argv):
        return reply
    value, _ = parse_reply(reply)
    if not isinstance(value, list):
        return reply
    gets = sum(1 for arg in argv[2:-1] if as_bytes(arg).upper() == b"GET") or 1
    groups = [tuple(value[i : i + gets]) for i in range(0, len(value), gets)]
    return sorted(groups, key=repr)


@pytest.mark.parametrize("seed", SEEDS)
def test_sort_replies_match_real_redis(clients, seed):
    ours, theirs = clients
    small_limits = seed % 3 == 1
    generator = SortGenerator(seed, small_limits)
    resp = "3" if seed % 4 == 3 else "2"
    setup = [["FLUSHALL"], ["HELLO", resp]] + (SMALL_LIMITS if small_limits else DEFAULT_LIMITS)
    theirs.pipeline(setup)
    ours.pipeline(setup)
    commands = []
    for _ in range(COMMANDS_PER_SEQUENCE):
        argv = generator.command()
        if as_bytes(argv[0]).upper() in (b"SORT", b"SORT_RO"):
            commands.append(ERRNO_RESET)
        commands.append(argv)
    # Read the whole keyspace back so a wrong state shows even when no reply exposed it.
    commands += [["LRANGE", key, "0", "-1"] for key in DESTINATIONS + NUMBER_LISTS + WORD_LISTS]
    commands += [["TYPE", key] for key in SOURCES + DESTINATIONS] + [["TTL", key] for key in DESTINATIONS]
    commands += [["OBJECT", "ENCODING", key] for key in ZSETS + SETS + INTSETS] + [["DBSIZE"]]
    try:
        expected = theirs.pipeline(commands)
        actual = ours.pipeline(commands)
    finally:
        teardown = [["HELLO", "2"], *DEFAULT_LIMITS, ["FLUSHALL"]]
        theirs.pipeline(teardown)
        ours.pipeline(teardown)
    compare_replies(f"seed {seed}", commands, expected, actual, normalize, skip=[ERRNO_RESET])
