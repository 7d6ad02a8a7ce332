"""Hash commands against the RedisLite server process over redis-py; exact error texts and encodings are
also checked against a real redis-server (the `oracle` fixture)."""

import pytest
import redis

from ..servers import reply


def assert_same_replies(lite, o, commands):
    for command in commands:
        assert reply(lite, *command) == reply(o, *command), command


def test_hset_counts_new_fields_and_hget_reads_them(r):
    assert r.hset("h", mapping={"a": "1", "b": "2"}) == 2
    assert r.hset("h", mapping={"a": "3", "c": "4"}) == 1
    assert r.hget("h", "a") == b"3" and r.hget("h", "zz") is None and r.hget("missing", "a") is None
    assert r.hgetall("h") == {b"a": b"3", b"b": b"2", b"c": b"4"}
    assert sorted(r.hkeys("h")) == [b"a", b"b", b"c"] and sorted(r.hvals("h")) == [b"2", b"3", b"4"]
    assert r.hlen("h") == 3 and r.hstrlen("h", "a") == 1 and r.hstrlen("h", "zz") == 0


def test_hmset_hmget_hsetnx_and_hexists(r):
    assert r.execute_command("HMSET", "h", "a", "1") is True
    assert r.hmget("h", "a", "b") == [b"1", None]
    assert r.hmget("missing", "a") == [None]
    assert r.hsetnx("h", "a", "9") == 0 and r.hsetnx("h", "b", "2") == 1
    assert r.hexists("h", "b") and not r.hexists("h", "zz")


def test_hdel_removes_fields_and_an_emptied_hash_disappears(r):
    r.hset("h", mapping={"a": "1", "b": "2"})
    assert r.hdel("h", "a", "zz") == 1
    assert r.hdel("h", "b") == 1
    assert not r.exists("h") and r.hdel("h", "b") == 0


def test_hincrby_and_hincrbyfloat(r):
    assert r.hincrby("h", "n", 5) == 5 and r.hincrby("h", "n", -7) == -2
    assert r.hincrbyfloat("h", "f", "10.5") == 10.5
    assert r.hincrbyfloat("h", "f", "0.1") == 10.6 and r.hget("h", "f") == b"10.6"
    r.hset("h", "s", "abc")
    with pytest.raises(redis.ResponseError, match="^hash value is not an integer$"):
        r.hincrby("h", "s", 1)
    with pytest.raises(redis.ResponseError, match="^hash value is not a float$"):
        r.hincrbyfloat("h", "s", 1)


def test_hrandfield_counts(r):
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert r.hrandfield("h") in (b"a", b"b", b"c")
    assert sorted(r.hrandfield("h", 10)) == [b"a", b"b", b"c"]
    assert len(set(r.hrandfield("h", 2))) == 2
    assert len(r.hrandfield("h", -7)) == 7
    pairs = r.hrandfield("h", -4, withvalues=True)
    assert len(pairs) == 8 and all(r.hget("h", field) == value for field, value in zip(pairs[::2], pairs[1::2]))
    assert r.hrandfield("missing") is None and r.hrandfield("missing", 3) == []


def test_hscan_returns_every_field_of_a_big_hash_once(r):
    r.hset("h", mapping={f"f{i}": str(i) for i in range(500)})
    assert r.object("encoding", "h") == b"hashtable"
    seen = dict(r.hscan_iter("h", count=37))
    assert seen == {f"f{i}".encode(): str(i).encode() for i in range(500)}
    assert dict(r.hscan_iter("h", match="f1*")) == {k: v for k, v in seen.items() if k.startswith(b"f1")}


def test_hash_wrongtype_and_errors_match_redis(lite, o):
    setup = [["SET", "str", "x"], ["HSET", "h", "a", "1", "big", "9223372036854775807"]]
    assert_same_replies(
        lite,
        o,
        setup
        + [
            ["HGET", "str", "a"],
            ["HSET", "str", "a", "1"],
            ["HSET", "h", "a", "1", "b"],
            ["HMSET", "h", "a"],
            ["HINCRBY", "h", "big", "1"],
            ["HINCRBY", "h", "a", "x"],
            ["HINCRBYFLOAT", "h", "a", "inf"],
            ["HINCRBYFLOAT", "h", "a", "nan"],
            ["HRANDFIELD", "h", "1", "foo"],
            ["HRANDFIELD", "h", "-9223372036854775808"],
            ["HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"],
            ["HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES"],  # past -LONG_MAX/2, C's rounding toward 0
            ["HSCAN", "h", "abc"],
            ["HSCAN", "h", "0", "COUNT", "0"],
            ["HSCAN", "h", "0", "TYPE", "hash"],
            ["HSCAN", "missing", "0", "COUNT", "0"],
            ["HLEN", "str"],
        ],
    )


def test_hash_encodings_follow_redis(lite, o):
    long_value = "x" * 65
    assert_same_replies(
        lite,
        o,
        [
            ["HSET", "small", "a", "1"],
            ["OBJECT", "ENCODING", "small"],
            ["HSET", "long", "a", long_value],
            ["OBJECT", "ENCODING", "long"],
            ["HDEL", "long", "a"],
            ["HSET", "long", "a", "1"],
            ["OBJECT", "ENCODING", "long"],
            ["CONFIG", "SET", "hash-max-listpack-entries", "2"],
            ["HSET", "many", "a", "1", "b", "2"],
            ["OBJECT", "ENCODING", "many"],
            ["HSET", "many", "c", "3"],
            ["OBJECT", "ENCODING", "many"],
            ["HDEL", "many", "c", "b"],
            ["OBJECT", "ENCODING", "many"],
            ["CONFIG", "SET", "hash-max-listpack-entries", "128"],
            ["HSET", "inc", "a", "1"],
            ["HINCRBYFLOAT", "inc", "a", "1e70"],
            ["OBJECT", "ENCODING", "inc"],
            ["HSET", "nx", "a", "1"],
            ["HSETNX", "nx", long_value, "1"],
            ["OBJECT", "ENCODING", "nx"],
            ["COPY", "many", "copied"],
            ["OBJECT", "ENCODING", "copied"],
            ["TYPE", "copied"],
        ],
    )


def test_resp3_hgetall_is_a_map_and_hrandfield_withvalues_pairs(server):
    client = redis.Redis(port=server.port, protocol=3)
    client.flushall()
    client.hset("h", mapping={"a": "1"})
    assert client.hgetall("h") == {b"a": b"1"}
    assert client.execute_command("HRANDFIELD", "h", "1", "WITHVALUES") == [[b"a", b"1"]]
    client.close()
