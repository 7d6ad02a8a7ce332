"""Generic keyspace commands and expiry against the RedisLite server process; exact replies and errors are
compared with a real redis-server (the `oracle` fixture) where Redis's output is the specification."""

import threading
import time

import pytest
import redis

from ..servers import reply


def assert_same_replies(lite, o, commands, unordered=()):
    """Run each command on both servers in turn; every reply, errors included, must be equal. Commands whose
    name is in `unordered` have their array reply compared as a sorted list."""
    for command in commands:
        ours, theirs = reply(lite, *command), reply(o, *command)
        if command[0] in unordered:
            ours, theirs = sorted(ours), sorted(theirs)
        assert ours == theirs, command


# -- DEL, EXISTS, TYPE, KEYS, RANDOMKEY ------------------------------------------------------------------------


def test_del_unlink_exists_count_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["MSET", "a", "1", "b", "2", "c", "3"],
            ["EXISTS", "a", "a", "nokey", "b"],
            ["DEL", "a", "a", "nokey"],
            ["UNLINK", "b", "c", "b"],
            ["EXISTS", "a", "b", "c"],
            ["DEL", "nokey"],
        ],
    )


def test_type_answers_a_status_string(lite, o):
    assert_same_replies(lite, o, [["SET", "s", "v"], ["TYPE", "s"], ["TYPE", "nokey"]])
    assert lite.execute_command("TYPE", "s") == b"string"


def test_keys_patterns_return_what_redis_returns(lite, o):
    keys = ["hello", "hallo", "hxllo", "hllo", "heeeello", "h*llo", "h[a]llo", "a\\b", "x\ny", "", "[", "]"]
    for client in (lite, o):
        for key in keys:
            client.set(key, "1")
    patterns = [
        "*",
        "h?llo",
        "h*llo",
        "h[ae]llo",
        "h[^e]llo",
        "h[a-b]llo",
        "h\\*llo",
        "*\\\\*",
        "x?y",
        "[",
        "h[a]llo",
        "\\[",
        "[]]",
        "nomatch",
    ]
    assert_same_replies(lite, o, [["KEYS", pattern] for pattern in patterns], unordered={"KEYS"})


def test_randomkey_is_nil_on_an_empty_database_and_a_live_key_otherwise(r):
    assert r.randomkey() is None
    r.mset({"a": "1", "b": "2"})
    r.set("gone", "x", px=1)
    time.sleep(0.01)
    for _ in range(20):
        assert r.randomkey() in (b"a", b"b")


# -- SCAN ------------------------------------------------------------------------------------------------------


def test_scan_argument_errors_are_redis_errors(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SCAN", "abc"],
            ["SCAN", " 0"],
            ["SCAN", "0 "],
            ["SCAN", "1.5"],
            ["SCAN", "99999999999999999999"],
            ["SCAN", "0", "COUNT", "0"],
            ["SCAN", "0", "COUNT", "-1"],
            ["SCAN", "0", "COUNT", "x"],
            ["SCAN", "0", "COUNT"],
            ["SCAN", "0", "MATCH"],
            ["SCAN", "0", "FOO", "bar"],
            ["SCAN", "0", "TYPE"],
            ["SCAN", ""],
        ],
    )


def scan_everything(client, **options) -> list[bytes]:
    keys, cursor = [], 0
    while True:
        cursor, page = client.scan(cursor, **options)
        keys += page
        if cursor == 0:
            return keys


def test_scan_iterates_every_key_once_with_match_and_type(r):
    r.mset({f"user:{i}": i for i in range(500)} | {f"other:{i}": i for i in range(100)})
    assert sorted(scan_everything(r, count=17)) == sorted(r.keys("*"))
    assert len(scan_everything(r)) == 600
    assert sorted(scan_everything(r, match="other:*", count=50)) == sorted(r.keys("other:*"))
    assert len(scan_everything(r, _type="string")) == 600
    assert scan_everything(r, _type="list") == []
    assert len(scan_everything(r, _type="STRING")) == 600


def test_scan_returns_every_key_present_for_the_whole_scan_while_another_client_writes(r, server):
    r.mset({f"stable:{i}": i for i in range(3000)})
    r.mset({f"doomed:{i}": i for i in range(1000)})
    writer = redis.Redis(port=server.port, protocol=2)
    seen, cursor, step = set(), 0, 0
    while True:
        cursor, page = r.scan(cursor, count=25)
        seen.update(page)
        step += 1
        writer.mset({f"added:{step}:{i}": i for i in range(40)})
        writer.delete(*[f"doomed:{(step * 7 + i) % 1000}" for i in range(10)])
        if cursor == 0:
            break
    writer.close()
    assert {f"stable:{i}".encode() for i in range(3000)} <= seen


def test_scan_never_returns_expired_keys(r):
    r.mset({f"k{i}": i for i in range(50)})
    for i in range(25):
        r.pexpire(f"k{i}", 1)
    time.sleep(0.01)
    assert sorted(scan_everything(r, count=5)) == sorted(f"k{i}".encode() for i in range(25, 50))


# -- RENAME, COPY, MOVE, SWAPDB -------------------------------------------------------------------------------


def test_rename_and_renamenx_reply_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["RENAME", "nokey", "x"],
            ["RENAMENX", "nokey", "x"],
            ["SET", "a", "1"],
            ["RENAME", "a", "a"],
            ["RENAMENX", "a", "a"],
            ["RENAME", "a", "b"],
            ["GET", "b"],
            ["EXISTS", "a"],
            ["SET", "c", "3"],
            ["RENAMENX", "b", "c"],
            ["RENAMENX", "b", "d"],
            ["RENAME", "d", "c"],
            ["MGET", "b", "c", "d"],
        ],
    )


def test_rename_carries_the_ttl_and_replaces_the_target_ttl(r):
    r.set("src", "v", ex=100)
    r.set("dst", "w", ex=1000)
    r.rename("src", "dst")
    assert 0 < r.ttl("dst") <= 100
    r.set("plain", "p")
    r.set("timed", "t", ex=50)
    r.rename("plain", "timed")
    assert r.ttl("timed") == -1


def test_copy_replies_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "a", "1"],
            ["COPY", "a", "a"],
            ["COPY", "a", "b"],
            ["GET", "b"],
            ["COPY", "a", "b"],
            ["SET", "a", "2"],
            ["COPY", "a", "b", "REPLACE"],
            ["GET", "b"],
            ["COPY", "nokey", "c"],
            ["COPY", "a", "a", "DB", "1"],
            ["COPY", "a", "a", "DB", "0"],
            ["COPY", "a", "x", "DB", "16"],
            ["COPY", "a", "x", "DB", "-1"],
            ["COPY", "a", "x", "DB", "abc"],
            ["COPY", "a", "x", "DB"],
            ["COPY", "a", "x", "FOO"],
            ["COPY", "a", "x", "DB", "99999999999"],
            ["MOVE", "a", "99999999999"],
            ["SWAPDB", "0", "99999999999"],
            ["COPY", "a", "x", "replace", "db", "2"],
        ],
    )


def test_copy_to_another_database_carries_the_ttl(r, server):
    r.set("a", "v", ex=100)
    assert r.copy("a", "a", destination_db=3) == 1
    other = redis.Redis(port=server.port, protocol=2, db=3)
    assert other.get("a") == b"v"
    assert 0 < other.ttl("a") <= 100
    other.close()


def test_move_replies_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "a", "1"],
            ["MOVE", "a", "0"],
            ["MOVE", "a", "16"],
            ["MOVE", "a", "-1"],
            ["MOVE", "a", "x"],
            ["MOVE", "nokey", "1"],
            ["MOVE", "a", "1"],
            ["EXISTS", "a"],
            ["SET", "a", "2"],
            ["MOVE", "a", "1"],
            ["GET", "a"],
        ],
    )


def test_move_carries_the_value_and_ttl_to_the_other_database(r, server):
    r.set("a", "v", ex=100)
    assert r.move("a", 2) == 1
    other = redis.Redis(port=server.port, protocol=2, db=2)
    assert other.get("a") == b"v"
    assert 0 < other.ttl("a") <= 100
    other.close()


def test_swapdb_replies_like_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SWAPDB", "a", "1"],
            ["SWAPDB", "0", "b"],
            ["SWAPDB", "0", "16"],
            ["SWAPDB", "-1", "0"],
            ["SWAPDB", "0", "0"],
            ["SET", "k", "0"],
            ["SWAPDB", "0", "1"],
            ["GET", "k"],
            ["SWAPDB", "1", "0"],
            ["GET", "k"],
        ],
    )


def test_swapdb_swaps_what_clients_of_each_database_see(r, server):
    r.set("k", "in-zero", ex=100)
    other = redis.Redis(port=server.port, protocol=2, db=5)
    other.set("k", "in-five")
    r.swapdb(0, 5)
    assert r.get("k") == b"in-five"
    assert other.get("k") == b"in-zero"
    assert 0 < other.ttl("k") <= 100
    other.close()


# -- EXPIRE family, TTL, PERSIST, TOUCH ------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_conditions_and_errors_reply_like_redis(lite, o, command):
    far = {"EXPIRE": 1000, "PEXPIRE": 1_000_000, "EXPIREAT": 4_000_000_000, "PEXPIREAT": 4_000_000_000_000}[command]
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "k", "v"],
            [command, "nokey", far],
            [command, "k", far, "NX", "XX"],
            [command, "k", far, "GT", "LT"],
            [command, "k", far, "NX", "GT"],
            [command, "k", far, "FOO"],
            [command, "k", "abc"],
            [command, "k", "1.5"],
            [command, "k", far, "XX"],
            [command, "k", far, "GT"],
            [command, "k", far, "LT"],
            [command, "k", far, "NX"],
            [command, "k", far * 2, "NX"],
            [command, "k", far * 2, "LT"],
            [command, "k", far * 2, "GT"],
            [command, "k", far, "gt"],
            [command, "k", far, "lt"],
            [command, "k", far * 3, "xx"],
            [command, "k", "9223372036854775807"],
            [command, "k", "-9223372036854775808"],
            [command, "k", "9223372036854775"],
            [command, "k", "-9223372036854775"],
            ["PERSIST", "k"],
            ["PERSIST", "k"],
            [command, "k", far, "LT"],
            ["PERSIST", "k"],
            [command, "k", "0"],
            ["EXISTS", "k"],
            ["SET", "k", "v"],
            [command, "k", "-5"],
            ["EXISTS", "k"],
        ],
    )


def test_ttl_pttl_expiretime_pexpiretime(r):
    assert r.ttl("nokey") == -2 and r.pttl("nokey") == -2
    assert r.execute_command("EXPIRETIME", "nokey") == -2
    r.set("k", "v")
    assert r.ttl("k") == -1 and r.pttl("k") == -1
    assert r.execute_command("PEXPIRETIME", "k") == -1
    r.pexpireat("k", 4_000_000_000_123)
    assert r.execute_command("PEXPIRETIME", "k") == 4_000_000_000_123
    assert r.execute_command("EXPIRETIME", "k") == 4_000_000_000
    r.pexpire("k", 10_600)
    assert r.ttl("k") == 11  # seconds are rounded to the nearest, as in Redis
    assert 10_000 < r.pttl("k") <= 10_600


def test_expire_with_a_past_time_deletes_the_key_and_counts_it(r):
    r.set("k", "v")
    assert r.expireat("k", 1) is True
    assert r.exists("k") == 0


def test_persist_removes_the_ttl(r):
    r.set("k", "v", ex=100)
    assert r.persist("k") is True
    assert r.ttl("k") == -1
    assert r.persist("k") is False
    assert r.persist("nokey") is False


def test_touch_counts_existing_keys_and_resets_idle_time(lite, o):
    assert_same_replies(
        lite, o, [["MSET", "a", "1", "b", "2"], ["TOUCH", "a", "b", "nokey", "a"], ["OBJECT", "IDLETIME", "a"]]
    )


# -- OBJECT ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "0",
        "123",
        "9999",
        "10000",
        "-1",
        "9223372036854775807",
        "9223372036854775808",
        "01",
        "+1",
        " 1",
        "1.5",
        "x" * 20,
        "x" * 44,
        "x" * 45,
        "12345678901234567890",
        "",
        "-0",
    ],
)
def test_object_encoding_and_refcount_of_strings_match_redis(lite, o, value):
    assert_same_replies(lite, o, [["SET", "k", value], ["OBJECT", "ENCODING", "k"], ["OBJECT", "REFCOUNT", "k"]])


def test_object_encoding_of_counters_matches_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["INCRBY", "n", "99999"],
            ["OBJECT", "ENCODING", "n"],
            ["OBJECT", "REFCOUNT", "n"],
            ["INCRBYFLOAT", "f", "1.5"],
            ["OBJECT", "ENCODING", "f"],
        ],
    )


def test_object_subcommands_errors_and_help_match_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "k", "v"],
            ["OBJECT", "HELP"],
            ["OBJECT", "FOO"],
            ["OBJECT", "ENCODING"],
            ["OBJECT"],
            ["OBJECT", "ENCODING", "nokey"],
            ["OBJECT", "REFCOUNT", "nokey"],
            ["OBJECT", "IDLETIME", "nokey"],
            ["OBJECT", "FREQ", "nokey"],
            ["OBJECT", "FREQ", "k"],
            ["OBJECT", "IDLETIME", "k"],
            ["OBJECT", "help"],
            ["OBJECT", "ENCODING", "k", "extra"],
        ],
    )


def test_object_freq_and_idletime_follow_the_eviction_policy(r):
    r.set("k", "v")
    r.config_set("maxmemory-policy", "allkeys-lfu")
    try:
        assert isinstance(r.object("freq", "k"), int)
        with pytest.raises(redis.ResponseError, match="^An LFU maxmemory policy is selected, idle time not tracked"):
            r.object("idletime", "k")
    finally:
        r.config_set("maxmemory-policy", "noeviction")


def test_object_idletime_grows_without_access_and_get_resets_it(r):
    r.set("k", "v")
    time.sleep(2.1)
    assert r.object("idletime", "k") >= 2
    r.get("k")
    assert r.object("idletime", "k") == 0


# -- expiry ------------------------------------------------------------------------------------------------------


def test_an_expired_key_is_invisible_to_every_command(r):
    r.set("k", "v", px=30)
    r.set("keep", "v")
    time.sleep(0.05)
    assert r.get("k") is None
    assert r.exists("k") == 0
    assert r.ttl("k") == -2
    assert r.type("k") == b"none"
    assert r.keys("*") == [b"keep"]
    assert r.mget("k") == [None]
    assert r.strlen("k") == 0
    assert r.object("encoding", "k") is None
    assert r.rename("keep", "keep") is True
    with pytest.raises(redis.ResponseError, match="no such key"):
        r.rename("k", "x")
    assert r.incr("k") == 1  # a new key, not the old value
    assert r.ttl("k") == -1


def expired_keys(client) -> int:
    return int(client.info("stats")["expired_keys"])


def test_active_expiry_reclaims_keys_nobody_touches(r):
    before = expired_keys(r)
    with r.pipeline(transaction=False) as pipe:
        for i in range(5000):
            pipe.set(f"k{i}", "v", px=50)
        pipe.execute()
    r.set("keep", "v")
    deadline = time.monotonic() + 5
    while r.dbsize() > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert r.dbsize() == 1
    assert expired_keys(r) - before == 5000


def test_reads_from_another_client_keep_working_while_keys_expire(r, server):
    with r.pipeline(transaction=False) as pipe:
        for i in range(20000):
            pipe.set(f"k{i}", "v", px=100)
        pipe.execute()
    r.set("probe", "value")
    stop = threading.Event()
    answers = []

    def reader():
        client = redis.Redis(port=server.port, protocol=2)
        while not stop.is_set():
            answers.append(client.get("probe"))
        client.close()

    thread = threading.Thread(target=reader)
    thread.start()
    time.sleep(0.5)
    stop.set()
    thread.join()
    assert answers and set(answers) == {b"value"}
    assert r.dbsize() == 1
