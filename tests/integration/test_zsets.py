"""Sorted set commands over redis-py against a running RedisLite."""

import pytest
import redis

from ..differential.resp import RawClient


def test_zadd_and_zrange_withscores(r):
    assert r.zadd("z", {"a": 1, "b": 2.5, "c": float("-inf")}) == 3
    assert r.zrange("z", 0, -1, withscores=True) == [(b"c", float("-inf")), (b"a", 1.0), (b"b", 2.5)]
    assert r.zcard("z") == 3 and r.zscore("z", "b") == 2.5 and r.zscore("z", "nope") is None


def test_zadd_options_nx_xx_gt_lt_ch_incr(r):
    r.zadd("z", {"a": 5})
    assert r.zadd("z", {"a": 1}, nx=True) == 0 and r.zscore("z", "a") == 5
    assert r.zadd("z", {"b": 1}, xx=True) == 0 and r.zscore("z", "b") is None
    assert r.zadd("z", {"a": 3}, gt=True, ch=True) == 0
    assert r.zadd("z", {"a": 3}, lt=True, ch=True) == 1 and r.zscore("z", "a") == 3
    assert r.zadd("z", {"a": 2}, incr=True) == 5.0
    assert r.zadd("z", {"a": -10}, incr=True, gt=True) is None


def test_zadd_option_conflicts_are_redis_errors(r):
    with pytest.raises(redis.ResponseError, match="XX and NX options at the same time are not compatible"):
        r.execute_command("ZADD", "z", "NX", "XX", 1, "a")
    with pytest.raises(redis.ResponseError, match="GT, LT, and/or NX options"):
        r.execute_command("ZADD", "z", "GT", "LT", 1, "a")
    with pytest.raises(redis.ResponseError, match="INCR option supports a single increment-element pair"):
        r.execute_command("ZADD", "z", "INCR", 1, "a", 2, "b")
    with pytest.raises(redis.ResponseError, match="^value is not a valid float$"):
        r.execute_command("ZADD", "z", "nan", "a")


def test_zincrby_to_nan_is_an_error(r):
    r.zadd("z", {"a": float("inf")})
    with pytest.raises(redis.ResponseError, match=r"resulting score is not a number \(NaN\)"):
        r.zincrby("z", float("-inf"), "a")


def test_score_ranges_with_exclusive_bounds_and_limit(r):
    r.zadd("z", {f"m{i}": i for i in range(10)})
    assert r.zrangebyscore("z", "(2", 5) == [b"m3", b"m4", b"m5"]
    assert r.zrevrangebyscore("z", "+inf", "(7") == [b"m9", b"m8"]
    assert r.zrangebyscore("z", "-inf", "+inf", start=2, num=3) == [b"m2", b"m3", b"m4"]
    assert r.zcount("z", "(0", "(9") == 8
    with pytest.raises(redis.ResponseError, match="min or max is not a float"):
        r.zcount("z", "x", 1)


def test_lex_ranges(r):
    r.zadd("z", dict.fromkeys(("a", "b", "c", "d", "e"), 0))
    assert r.zrangebylex("z", "[b", "(d") == [b"b", b"c"]
    assert r.zrevrangebylex("z", "+", "(c") == [b"e", b"d"]
    assert r.zlexcount("z", "-", "+") == 5
    assert r.zremrangebylex("z", "[a", "[b") == 2
    with pytest.raises(redis.ResponseError, match="min or max not valid string range item"):
        r.zrangebylex("z", "a", "+")


def test_zrange_unified_syntax_and_zrangestore(r):
    r.zadd("z", {f"m{i}": i for i in range(6)})
    assert r.zrange("z", 4, 1, byscore=True, desc=True, offset=1, num=2) == [b"m3", b"m2"]
    assert r.zrangestore("dst", "z", 0, 2) == 3 and r.zrange("dst", 0, -1) == [b"m0", b"m1", b"m2"]
    assert r.zrangestore("dst", "z", 100, 200) == 0 and r.exists("dst") == 0
    with pytest.raises(redis.ResponseError, match="LIMIT is only supported"):
        r.execute_command("ZRANGE", "z", 0, 1, "LIMIT", 0, 1)


def test_ranks_negative_indexes_and_remrange(r):
    r.zadd("z", {f"m{i}": i for i in range(5)})
    assert r.zrank("z", "m1") == 1 and r.zrevrank("z", "m1") == 3 and r.zrank("z", "x") is None
    assert r.zrange("z", -2, -1) == [b"m3", b"m4"] and r.zrevrange("z", 0, 0) == [b"m4"]
    assert r.zremrangebyrank("z", 0, 1) == 2 and r.zremrangebyscore("z", "(3", "inf") == 1
    assert r.zrange("z", 0, -1) == [b"m2", b"m3"]


def test_an_emptied_sorted_set_disappears(r):
    r.zadd("z", {"a": 1, "b": 2})
    r.zrem("z", "a", "b")
    assert r.exists("z") == 0
    r.zadd("z", {"a": 1})
    assert r.zpopmin("z") == [(b"a", 1.0)] and r.exists("z") == 0


def test_pops_and_zmpop(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zpopmax("z", 2) == [(b"c", 3.0), (b"b", 2.0)]
    assert r.execute_command("ZMPOP", 2, "missing", "z", "MIN", "COUNT", 5) == [b"z", [[b"a", b"1"]]]
    assert r.execute_command("ZMPOP", 1, "z", "MIN") is None
    r.set("s", "v")
    with pytest.raises(redis.ResponseError, match="WRONGTYPE"):
        r.zpopmin("s")


def test_union_inter_diff_with_weights_and_aggregate(r):
    r.zadd("a", {"x": 1, "y": 2})
    r.zadd("b", {"y": 3, "z": 4})
    assert r.zunion(["a", "b"], withscores=True) == [(b"x", 1.0), (b"z", 4.0), (b"y", 5.0)]
    assert r.zinter({"a": 2, "b": 1}, aggregate="MAX", withscores=True) == [(b"y", 4.0)]
    assert r.zdiff(["a", "b"]) == [b"x"]
    assert r.zunionstore("out", ["a", "b"], aggregate="MIN") == 3 and r.zscore("out", "y") == 2
    assert r.zinterstore("out", ["a", "missing"]) == 0 and r.exists("out") == 0
    assert r.zdiffstore("out", ["b", "a"]) == 1 and r.zintercard(2, ["a", "b"]) == 1
    with pytest.raises(redis.ResponseError, match="at least 1 input key is needed for 'zunionstore' command"):
        r.execute_command("ZUNIONSTORE", "out", 0, "a")


def test_plain_sets_are_sorted_set_inputs_with_score_one(r):
    try:
        r.sadd("s", "x", "w")
    except redis.ResponseError:
        pytest.skip("SADD is not implemented yet")
    r.zadd("a", {"x": 5})
    assert r.zunion(["a", "s"], withscores=True) == [(b"w", 1.0), (b"x", 6.0)]


def test_zunionstore_replaces_the_destination_and_drops_its_ttl(r):
    r.zadd("a", {"x": 1})
    r.set("out", "string", ex=100)
    assert r.zunionstore("out", ["a"]) == 1
    assert r.type("out") == b"zset" and r.ttl("out") == -1


def test_encoding_turns_skiplist_when_the_set_outgrows_the_listpack_limits(r):
    r.zadd("small", {"a": 1})
    assert r.object("encoding", "small") == b"listpack"
    r.zadd("small", {"x" * 65: 1})
    assert r.object("encoding", "small") == b"skiplist"
    r.zrem("small", "x" * 65)
    assert r.object("encoding", "small") == b"skiplist"  # one way
    r.zadd("many", {f"m{i}": i for i in range(129)})
    assert r.object("encoding", "many") == b"skiplist"
    assert r.zrangestore("copy", "many", 0, 9) == 10 and r.object("encoding", "copy") == b"listpack"
    r.config_set("zset-max-listpack-entries", 2)
    try:
        r.zadd("tiny", {"a": 1, "b": 2, "c": 3})
        assert r.object("encoding", "tiny") == b"skiplist"
    finally:
        r.config_set("zset-max-listpack-entries", 128)


def test_copy_keeps_an_independent_sorted_set(r):
    r.zadd("z", {"a": 1})
    assert r.copy("z", "z2") == 1
    r.zadd("z2", {"b": 2})
    assert r.zcard("z") == 1 and r.zcard("z2") == 2 and r.type("z2") == b"zset"


def test_zscan_pages_a_large_set_and_returns_every_member_once(r):
    r.zadd("big", {f"m{i}": i for i in range(1000)})
    seen, cursor = [], 0
    while True:
        cursor, page = r.zscan("big", cursor, count=100)
        seen += [member for member, _ in page]
        if cursor == 0:
            break
    assert sorted(seen) == sorted(f"m{i}".encode() for i in range(1000))
    assert r.zscan("big", 0, match="m99?", count=2000)[1] == [(f"m99{i}".encode(), 990.0 + i) for i in range(10)]


def test_zrandmember_counts(r):
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrandmember("z") in (b"a", b"b", b"c")
    assert sorted(r.zrandmember("z", 10)) == [b"a", b"b", b"c"]
    assert len(r.zrandmember("z", -7)) == 7 and len(r.zrandmember("z", 2)) == 2
    assert len(set(r.zrandmember("z", 2))) == 2
    assert len(r.zrandmember("z", 2, withscores=True)) == 4


def test_resp3_replies_use_doubles_and_pairs(server, r):
    r.zadd("z", {"a": 1.5, "b": 2})
    client = RawClient(server.port)
    try:
        client.call("HELLO", "3")
        assert client.call("ZSCORE", "z", "a") == b",1.5\r\n"
        assert (
            client.call("ZRANGE", "z", "0", "-1", "WITHSCORES")
            == b"*2\r\n*2\r\n$1\r\na\r\n,1.5\r\n*2\r\n$1\r\nb\r\n,2\r\n"
        )
        assert client.call("ZPOPMIN", "z") == b"*2\r\n$1\r\na\r\n,1.5\r\n"
        assert client.call("ZPOPMAX", "z", "1") == b"*1\r\n*2\r\n$1\r\nb\r\n,2\r\n"
    finally:
        client.close()


def test_command_getkeys_for_movable_key_commands(r):
    assert r.command_getkeys("ZUNIONSTORE", "out", "2", "a", "b", "WEIGHTS", "1", "2") == ["out", "a", "b"]
    assert r.command_getkeys("ZMPOP", "2", "a", "b", "MIN") == ["a", "b"]
    assert r.command_getkeys("ZINTER", "1", "a") == ["a"]
