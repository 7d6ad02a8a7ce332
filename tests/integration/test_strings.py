"""String commands against the RedisLite server process; exact replies and errors are compared with a real
redis-server (the `oracle` fixture) where Redis's output is the specification."""

import time

import pytest
import redis

from ..servers import redislite, reply


def assert_same_replies(lite, o, commands):
    """Run each command on both servers in turn; every reply, errors included, must be equal."""
    for command in commands:
        assert reply(lite, *command) == reply(o, *command), command


# -- SET and its options -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        ["EX", "0"],
        ["EX", "-1"],
        ["PX", "0"],
        ["EX", "abc"],
        ["EX", "9223372036854775"],
        ["PX", "9223372036854775807"],
        ["EXAT", "0"],
        ["PXAT", "-5"],
        ["EX", "10", "PX", "10"],
        ["KEEPTTL", "EX", "5"],
        ["EX", "5", "KEEPTTL"],
        ["NX", "XX"],
        ["XX", "NX"],
        ["EX"],
        ["PERSIST"],
        ["FOO"],
        ["EX", "10", "EX", "20"],
        ["NX", "GET"],
        ["GET", "GET"],
        ["XX"],
        ["NX"],
        ["KEEPTTL", "KEEPTTL"],
        ["EXAT", "1"],
        ["ex", "100", "nx"],
        ["EXAT", "1.5"],
    ],
)
def test_set_options_and_their_conflicts_reply_like_redis(lite, o, options):
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "k", "old"],
            ["SET", "k", "new", *options],
            ["GET", "k"],
            ["SET", "missing", "v", *options],
            ["GET", "missing"],
        ],
    )


def test_set_ex_px_exat_pxat_set_the_expected_deadline(r):
    now_ms = int(time.time() * 1000)
    r.execute_command("SET", "ex", "v", "EX", "100")
    r.execute_command("SET", "px", "v", "PX", "100000")
    r.execute_command("SET", "exat", "v", "EXAT", str(now_ms // 1000 + 100))
    r.execute_command("SET", "pxat", "v", "PXAT", str(now_ms + 100_000))
    for key in ("ex", "px", "exat", "pxat"):
        assert 98_000 < r.pttl(key) <= 100_000, key


def test_set_drops_a_ttl_but_keepttl_keeps_it(r):
    r.set("a", "1", ex=100)
    r.set("b", "1", ex=100)
    r.set("a", "2")
    r.set("b", "2", keepttl=True)
    assert r.ttl("a") == -1
    assert 0 < r.ttl("b") <= 100


def test_set_with_a_past_absolute_time_leaves_no_visible_key(r):
    assert r.execute_command("SET", "k", "v", "PXAT", "1")
    assert r.get("k") is None
    assert r.exists("k") == 0


def test_set_get_returns_the_old_value_and_respects_nx(r):
    assert r.set("k", "1", get=True) is None
    assert r.set("k", "2", get=True) == b"1"
    assert r.set("k", "3", nx=True, get=True) == b"2"
    assert r.get("k") == b"2"
    assert r.set("other", "3", xx=True, get=True) is None
    assert r.exists("other") == 0


def test_setnx_setex_psetex_reply_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SETNX", "k", "1"],
            ["SETNX", "k", "2"],
            ["GET", "k"],
            ["SETEX", "k", "0", "v"],
            ["SETEX", "k", "-3", "v"],
            ["SETEX", "k", "x", "v"],
            ["SETEX", "k", "100", "v"],
            ["GET", "k"],
            ["PSETEX", "k", "0", "v"],
            ["PSETEX", "k", "9223372036854775807", "v"],
            ["PSETEX", "k", "100000", "w"],
            ["GET", "k"],
            ["SETEX", "k", "9223372036854775", "v"],
        ],
    )


def test_setex_sets_a_ttl_in_seconds_and_psetex_in_milliseconds(r):
    r.execute_command("SETEX", "s", 100, "v")
    r.execute_command("PSETEX", "p", 100_000, "v")
    assert 98 < r.ttl("s") <= 100
    assert 98_000 < r.pttl("p") <= 100_000


# -- multi-key and get-and-modify commands -------------------------------------------------------------------


def test_mget_mset_msetnx_reply_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["MSET", "a", "1", "b", "2"],
            ["MGET", "a", "b", "nokey", "a"],
            ["MSET", "a", "1", "b"],
            ["MSETNX", "c", "3", "d", "4"],
            ["MSETNX", "c", "x", "e", "5"],
            ["MGET", "c", "d", "e"],
            ["MSETNX", "f", "1", "f", "2"],
            ["GET", "f"],
            ["MSETNX", "g"],
        ],
    )


def test_mset_and_msetnx_drop_ttls(r):
    r.set("a", "1", ex=100)
    r.mset({"a": "2"})
    assert r.ttl("a") == -1


def test_getset_returns_old_value_and_drops_the_ttl(r):
    r.set("k", "old", ex=100)
    assert r.getset("k", "new") == b"old"
    assert r.ttl("k") == -1
    assert r.getset("missing", "v") is None
    assert r.get("missing") == b"v"


def test_getdel_returns_the_value_and_deletes_the_key(r):
    r.set("k", "v")
    assert r.getdel("k") == b"v"
    assert r.exists("k") == 0
    assert r.getdel("k") is None


def test_getex_options_and_errors_reply_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["GETEX", "missing", "EX", "abc"],
            ["SET", "k", "v"],
            ["GETEX", "k"],
            ["GETEX", "k", "PERSIST", "EX", "4"],
            ["GETEX", "k", "KEEPTTL"],
            ["GETEX", "k", "EX", "0"],
            ["GETEX", "k", "EX", "abc"],
            ["GETEX", "k", "NX"],
            ["GETEX", "k", "EX", "10", "PX", "5"],
            ["GETEX", "k", "EX"],
            ["GETEX", "k", "EX", "100"],
            ["TTL", "k"],
            ["GETEX", "k", "PERSIST"],
            ["TTL", "k"],
            ["GETEX", "k", "EXAT", "1"],
            ["EXISTS", "k"],
        ],
    )


def test_getex_sets_px_and_pxat_deadlines(r):
    r.set("k", "v")
    assert r.getex("k", px=50_000) == b"v"
    assert 48_000 < r.pttl("k") <= 50_000
    assert r.getex("k", pxat=int(time.time() * 1000) + 80_000) == b"v"
    assert 78_000 < r.pttl("k") <= 80_000


# -- APPEND, STRLEN, GETRANGE, SETRANGE ----------------------------------------------------------------------


def test_append_and_strlen_reply_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["APPEND", "k", "hello"],
            ["APPEND", "k", " world"],
            ["GET", "k"],
            ["STRLEN", "k"],
            ["STRLEN", "nokey"],
            ["APPEND", "k", ""],
            ["APPEND", "n", "12"],
            ["APPEND", "n", "34"],
            ["INCR", "n"],
        ],
    )


def test_append_keeps_the_ttl(r):
    r.set("k", "a", ex=100)
    r.append("k", "b")
    assert 0 < r.ttl("k") <= 100
    assert r.get("k") == b"ab"


@pytest.mark.parametrize(
    "start, end",
    [
        (0, 3),
        (0, -1),
        (-3, -1),
        (5, 3),
        (-1, -5),
        (0, 100),
        (100, 200),
        (-100, 2),
        (-100, -50),
        (3, 3),
        (0, 9223372036854775807),
        (-9223372036854775808, 0),
        ("x", 0),
        (0, "1.5"),
    ],
)
def test_getrange_and_substr_reply_like_redis(lite, o, start, end):
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "k", "Hello World"],
            ["SET", "n", "12345"],
            ["GETRANGE", "k", start, end],
            ["SUBSTR", "k", start, end],
            ["GETRANGE", "n", start, end],
            ["GETRANGE", "nokey", start, end],
            ["SET", "e", ""],
            ["GETRANGE", "e", start, end],
        ],
    )


def test_setrange_replies_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "k", "Hello World"],
            ["SETRANGE", "k", "6", "Redis"],
            ["GET", "k"],
            ["SETRANGE", "k", "20", "!"],
            ["GET", "k"],
            ["SETRANGE", "new", "3", "abc"],
            ["GET", "new"],
            ["SETRANGE", "empty", "5", ""],
            ["EXISTS", "empty"],
            ["SETRANGE", "k", "0", ""],
            ["SETRANGE", "k", "-1", "x"],
            ["SETRANGE", "k", "x", "y"],
            ["SETRANGE", "k", "536870912", "x"],
            ["SETRANGE", "k", "536870911", ""],
            ["SETRANGE", "n", "536870912", ""],
            ["SET", "i", "123"],
            ["SETRANGE", "i", "1", "9"],
            ["GET", "i"],
        ],
    )


def test_setrange_keeps_the_ttl(r):
    r.set("k", "abc", ex=100)
    r.setrange("k", 1, "X")
    assert 0 < r.ttl("k") <= 100


@pytest.fixture(scope="module")
def small_bulk_server(tmp_path_factory):
    with redislite("--proto-max-bulk-len", "1mb", cwd=tmp_path_factory.mktemp("small-bulk")) as process:
        yield process


def test_append_and_setrange_refuse_values_over_proto_max_bulk_len(small_bulk_server):
    client = redis.Redis(port=small_bulk_server.port, protocol=2)
    client.set("k", b"x" * (1024 * 1024 - 1))
    assert client.append("k", b"y") == 1024 * 1024
    with pytest.raises(redis.ResponseError, match=r"^string exceeds maximum allowed size \(proto-max-bulk-len\)$"):
        client.append("k", b"z")
    with pytest.raises(redis.ResponseError, match="proto-max-bulk-len"):
        client.setrange("other", 1024 * 1024, b"z")
    assert client.setrange("other", 1024 * 1024 - 1, b"z") == 1024 * 1024
    client.close()


# -- counters --------------------------------------------------------------------------------------------------


def test_incr_family_replies_and_errors_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["INCR", "c"],
            ["INCRBY", "c", "10"],
            ["DECR", "c"],
            ["DECRBY", "c", "-5"],
            ["GET", "c"],
            ["INCRBY", "c", "1.5"],
            ["INCRBY", "c", "x"],
            ["INCRBY", "c", " 1"],
            ["INCRBY", "c", "+1"],
            ["INCRBY", "c", "007"],
            ["DECRBY", "c", "-9223372036854775808"],
            ["SET", "big", "9223372036854775806"],
            ["INCR", "big"],
            ["INCR", "big"],
            ["SET", "small", "-9223372036854775807"],
            ["DECR", "small"],
            ["DECR", "small"],
            ["SET", "s", "abc"],
            ["INCR", "s"],
            ["SET", "sp", " 1"],
            ["INCR", "sp"],
            ["SET", "z", "-0"],
            ["INCR", "z"],
            ["SET", "lead", "01"],
            ["INCR", "lead"],
            ["INCRBY", "c", "9223372036854775808"],
        ],
    )


def test_incr_keeps_the_ttl(r):
    r.set("c", "1", ex=100)
    r.incr("c")
    assert 0 < r.ttl("c") <= 100


@pytest.mark.parametrize(
    "start, increment",
    [
        ("10.50", "0.1"),
        ("5.0e3", "2.0e2"),
        ("0", "1e-20"),
        ("3", "-3"),
        ("1.1", "-1.1"),
        ("-5", "0.3"),
        ("1e300", "1"),
        ("0", "0x10"),
        ("0", "1e4000"),
        ("17179869184", "1.5"),
        ("0.1", "0.2"),
        ("1", "1e-17"),
        ("12345678901234567890", "1"),
        ("0", "inf"),
        ("0", "-inf"),
        ("0", "nan"),
        ("0", " 1"),
        ("0", "1 "),
        ("0", "abc"),
        ("abc", "1"),
        ("0", ""),
        ("0", ".5"),
        ("0", "5."),
        ("0", "+3"),
        ("0", "1e5000"),
        ("0", "1e-5000"),
        ("3.0000000000000000001", "0"),
        ("-1e-30", "0"),
        ("1.23456789012345678", "0"),
    ],
)
def test_incrbyfloat_formats_and_errors_exactly_like_redis(lite, o, start, increment):
    assert_same_replies(
        lite, o, [["SET", "f", start], ["INCRBYFLOAT", "f", increment], ["GET", "f"], ["INCRBYFLOAT", "new", increment]]
    )


def test_incrbyfloat_keeps_the_ttl(r):
    r.set("f", "1.5", ex=100)
    assert r.incrbyfloat("f", 1) == 2.5
    assert 0 < r.ttl("f") <= 100


# -- LCS -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["LEN"],
        ["IDX"],
        ["IDX", "WITHMATCHLEN"],
        ["IDX", "MINMATCHLEN", "4"],
        ["IDX", "MINMATCHLEN", "2", "WITHMATCHLEN"],
        ["IDX", "LEN"],
        ["FOO"],
        ["MINMATCHLEN"],
        ["MINMATCHLEN", "x"],
        ["idx", "minmatchlen", "-3"],
    ],
)
def test_lcs_replies_like_redis(lite, o, options):
    assert_same_replies(
        lite,
        o,
        [
            [
                "MSET",
                "a",
                "ohmytext",
                "b",
                "mynewtext",
                "c",
                "",
                "d",
                "ACCGGTCGAGTGCGCGGAAGCCGGCCGAA",
                "e",
                "GTCGTTCGGAATGCCGTTGCTCTGTAAA",
            ],
            ["LCS", "a", "b", *options],
            ["LCS", "d", "e", *options],
            ["LCS", "a", "nokey", *options],
            ["LCS", "c", "a", *options],
            ["LCS", "a", "a", *options],
        ],
    )


def test_lcs_of_random_strings_matches_redis(lite, o):
    import random

    rng = random.Random(11)
    for _ in range(20):
        first = bytes(rng.choice(b"abcd") for _ in range(rng.randrange(0, 40)))
        second = bytes(rng.choice(b"abcd") for _ in range(rng.randrange(0, 40)))
        assert_same_replies(
            lite, o, [["MSET", "x", first, "y", second], ["LCS", "x", "y"], ["LCS", "x", "y", "IDX", "WITHMATCHLEN"]]
        )


# -- keyspace statistics ---------------------------------------------------------------------------------------


def stats(client) -> tuple[int, int]:
    info = dict(line.split(b":", 1) for line in client.execute_command("INFO", "stats").splitlines() if b":" in line)
    return int(info[b"keyspace_hits"]), int(info[b"keyspace_misses"])


def test_keyspace_hits_and_misses_count_reads_like_redis(lite, o):
    setup = [["SET", "a", "1"], ["SET", "b", "2"]]
    commands = [
        ["GET", "a"],
        ["GET", "nokey"],
        ["MGET", "a", "b", "nokey"],
        ["STRLEN", "a"],
        ["GETRANGE", "x", 0, 1],
        ["INCR", "a"],
        ["SET", "a", "5"],
        ["SET", "a", "6", "GET"],
        ["APPEND", "a", "x"],
        ["GETDEL", "b"],
        ["GETEX", "a"],
        ["EXISTS", "a", "nokey"],
        ["TYPE", "a"],
        ["TTL", "nokey"],
        ["TOUCH", "a"],
        ["LCS", "a", "nokey"],
        ["DEL", "nokey"],
        ["EXPIRE", "a", "100"],
        ["SETNX", "a", "1"],
        ["OBJECT", "ENCODING", "a"],
        ["GETSET", "a", "1"],
        ["COPY", "a", "z"],
        ["RENAME", "z", "y"],
    ]
    for client in (lite, o):
        for command in setup:
            client.execute_command(*command)
    before = stats(lite), stats(o)
    for command in commands:
        reply(lite, *command)
        reply(o, *command)
    after = stats(lite), stats(o)
    ours = tuple(a - b for a, b in zip(after[0], before[0]))
    theirs = tuple(a - b for a, b in zip(after[1], before[1]))
    assert ours == theirs
