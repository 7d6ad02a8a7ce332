"""List commands against the RedisLite server process over redis-py; where Redis's exact output is the
specification, the same commands also go to a real redis-server (the `oracle` fixture) and replies must match."""

import pytest
import redis

from ..servers import reply


def assert_same_replies(lite, o, commands):
    """Run each command on both servers in turn; every reply, errors included, must be equal."""
    for command in commands:
        assert reply(lite, *command) == reply(o, *command), command


# -- push and pop ------------------------------------------------------------------------------------------


def test_push_returns_the_new_length_and_keeps_order(r):
    assert r.rpush("l", "a", "b") == 2
    assert r.lpush("l", "x", "y") == 4
    assert r.lrange("l", 0, -1) == [b"y", b"x", b"a", b"b"]


def test_pushx_only_pushes_onto_an_existing_list(r):
    assert r.lpushx("l", "a") == 0
    assert r.rpushx("l", "a") == 0
    assert not r.exists("l")
    r.rpush("l", "a")
    assert r.lpushx("l", "b", "c") == 3
    assert r.rpushx("l", "d") == 4
    assert r.lrange("l", 0, -1) == [b"c", b"b", b"a", b"d"]


def test_pop_without_count_returns_one_element_or_nil(r):
    r.rpush("l", "a", "b", "c")
    assert r.lpop("l") == b"a"
    assert r.rpop("l") == b"c"
    assert r.lpop("missing") is None


def test_pop_with_count_returns_an_array(r):
    r.rpush("l", "a", "b", "c", "d")
    assert r.lpop("l", 2) == [b"a", b"b"]
    assert r.rpop("l", 5) == [b"d", b"c"]


def test_the_last_pop_deletes_the_key(r):
    r.rpush("l", "a")
    r.lpop("l")
    assert r.exists("l") == 0
    assert r.type("l") == b"none"
    assert r.dbsize() == 0


@pytest.mark.parametrize(
    "command",
    [
        ["LPOP", "missing"],
        ["LPOP", "missing", "0"],
        ["LPOP", "missing", "3"],
        ["LPOP", "l", "0"],
        ["RPOP", "l", "0"],
        ["LPOP", "l", "-1"],
        ["LPOP", "l", "abc"],
        ["LPOP", "missing", "-1"],
        ["RPOP", "l", "1", "2"],
        ["LPOP", "s"],
        ["LPOP", "s", "0"],
        ["LPOP", "s", "-1"],
        ["LPOP", "l", "100"],
        ["LPOP", "l", "9223372036854775808"],
    ],
)
def test_pop_count_replies_and_errors_match_redis(lite, o, command):
    setup = [["RPUSH", "l", "a", "b", "c"], ["SET", "s", "v"]]
    assert_same_replies(lite, o, setup + [command, ["LRANGE", "l", "0", "-1"], ["EXISTS", "l"]])


def test_pop_with_count_zero_distinguishes_an_empty_array_from_a_missing_key(lite, o):
    lite.execute_command("RPUSH", "l", "a")
    o.execute_command("RPUSH", "l", "a")
    assert reply(lite, "LPOP", "l", "0") == reply(o, "LPOP", "l", "0") == []
    assert reply(lite, "LPOP", "nokey", "0") == reply(o, "LPOP", "nokey", "0") is None


def test_a_push_keeps_the_keys_ttl(r):
    r.rpush("l", "a")
    r.expire("l", 100)
    r.rpush("l", "b")
    assert 0 < r.ttl("l") <= 100


# -- reading -----------------------------------------------------------------------------------------------


def test_lrange_with_negative_and_out_of_range_indexes(r):
    r.rpush("l", *"abcde")
    assert r.lrange("l", -2, -1) == [b"d", b"e"]
    assert r.lrange("l", -100, 1) == [b"a", b"b"]
    assert r.lrange("l", 3, 100) == [b"d", b"e"]
    assert r.lrange("l", 4, 2) == []
    assert r.lrange("l", 5, 10) == []
    assert r.lrange("missing", 0, -1) == []


def test_lrange_near_the_tail_of_a_long_list(r):
    r.rpush("l", *range(10_000))
    assert r.lrange("l", -3, -1) == [b"9997", b"9998", b"9999"]
    assert r.lrange("l", 9_990, 9_991) == [b"9990", b"9991"]
    assert r.llen("l") == 10_000


def test_lindex_counts_from_either_end(r):
    r.rpush("l", "a", "b", "c")
    assert r.lindex("l", 0) == b"a"
    assert r.lindex("l", -1) == b"c"
    assert r.lindex("l", 3) is None
    assert r.lindex("missing", 0) is None


def test_llen_of_a_missing_key_is_zero(r):
    assert r.llen("missing") == 0


def test_list_reads_count_keyspace_hits_and_misses(r):
    r.rpush("l", "a")
    before = r.info("stats")
    r.llen("l")
    r.lrange("l", 0, -1)
    r.lindex("missing", 0)
    r.lpos("missing", "a")
    after = r.info("stats")
    assert after["keyspace_hits"] - before["keyspace_hits"] == 2
    assert after["keyspace_misses"] - before["keyspace_misses"] == 2


# -- changing elements -------------------------------------------------------------------------------------


def test_lset_replaces_by_index(r):
    r.rpush("l", "a", "b", "c")
    assert r.lset("l", -1, "z") is True
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"z"]
    with pytest.raises(redis.ResponseError, match="^index out of range$"):
        r.lset("l", 3, "x")
    with pytest.raises(redis.ResponseError, match="^no such key$"):
        r.lset("missing", 0, "x")


def test_linsert_before_and_after_the_first_pivot(r):
    r.rpush("l", "a", "c", "c")
    assert r.linsert("l", "BEFORE", "c", "b") == 4
    assert r.linsert("l", "after", "c", "d") == 5
    assert r.linsert("l", "AFTER", "nothere", "x") == -1
    assert r.linsert("missing", "BEFORE", "a", "x") == 0
    assert not r.exists("missing")
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c", b"d", b"c"]


def test_lrem_from_head_tail_or_everywhere(r):
    r.rpush("l", *"abacaba")
    assert r.lrem("l", 2, "a") == 2
    assert r.lrange("l", 0, -1) == list(map(str.encode, "bcaba"))
    assert r.lrem("l", -1, "a") == 1
    assert r.lrange("l", 0, -1) == list(map(str.encode, "bcab"))
    assert r.lrem("l", 0, "b") == 2
    assert r.lrange("l", 0, -1) == [b"c", b"a"]


def test_lrem_of_every_element_deletes_the_key(r):
    r.rpush("l", "a", "a")
    assert r.lrem("l", 0, "a") == 2
    assert not r.exists("l")


def test_ltrim_keeps_a_range_and_an_empty_range_deletes_the_key(r):
    r.rpush("l", *"abcdef")
    assert r.ltrim("l", 1, -2) is True
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"d", b"e"]
    r.ltrim("l", 3, 1)
    assert not r.exists("l")
    assert r.ltrim("missing", 0, 1) is True


# -- LPOS --------------------------------------------------------------------------------------------------


def test_lpos_with_rank_count_and_maxlen(r):
    r.rpush("l", "a", "b", "c", "1", "2", "3", "c", "c")
    assert r.lpos("l", "c") == 2
    assert r.lpos("l", "c", rank=2) == 6
    assert r.lpos("l", "c", rank=-1) == 7
    assert r.lpos("l", "c", count=2) == [2, 6]
    assert r.lpos("l", "c", count=0) == [2, 6, 7]
    assert r.lpos("l", "c", rank=-1, count=2) == [7, 6]
    assert r.lpos("l", "c", count=0, maxlen=7) == [2, 6]
    assert r.lpos("l", "z") is None
    assert r.lpos("l", "z", count=1) == []


@pytest.mark.parametrize(
    "options",
    [
        ["RANK", "0"],
        ["RANK", "abc"],
        ["COUNT", "-1"],
        ["COUNT", "x"],
        ["MAXLEN", "-1"],
        ["MAXLEN", "x"],
        ["FOO"],
        ["RANK"],
        ["RANK", "-9223372036854775808"],
        ["RANK", "-9223372036854775808", "COUNT", "1"],
        ["COUNT", "1", "COUNT", "0"],
        ["rank", "2", "maxlen", "3", "count", "0"],
        ["RANK", "9223372036854775807"],
    ],
)
def test_lpos_options_and_errors_match_redis(lite, o, options):
    setup = [["RPUSH", "l", "a", "b", "a", "c", "a"], ["SET", "s", "v"]]
    assert_same_replies(lite, o, setup + [["LPOS", key, "a", *options] for key in ("l", "s", "missing")])


# -- moving ------------------------------------------------------------------------------------------------


def test_lmove_moves_between_ends_and_creates_the_destination(r):
    r.rpush("src", "a", "b", "c")
    assert r.lmove("src", "dst", "LEFT", "RIGHT") == b"a"
    assert r.lmove("src", "dst", "RIGHT", "LEFT") == b"c"
    assert r.lrange("dst", 0, -1) == [b"c", b"a"]
    assert r.rpoplpush("src", "dst") == b"b"
    assert not r.exists("src")
    assert r.lmove("src", "dst", "LEFT", "LEFT") is None


def test_lmove_onto_the_same_list_rotates_it(r):
    r.rpush("l", "a", "b", "c")
    assert r.lmove("l", "l", "LEFT", "RIGHT") == b"a"
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"a"]
    r.delete("l")
    r.rpush("l", "x")
    assert r.rpoplpush("l", "l") == b"x"
    assert r.lrange("l", 0, -1) == [b"x"]


def test_lmove_to_a_string_moves_nothing(lite, o):
    setup = [["RPUSH", "src", "a"], ["SET", "s", "v"]]
    assert_same_replies(
        lite,
        o,
        setup
        + [
            ["LMOVE", "src", "s", "LEFT", "RIGHT"],
            ["LRANGE", "src", "0", "-1"],
            ["RPOPLPUSH", "missing", "s"],
            ["LMOVE", "s", "src", "LEFT", "LEFT"],
            ["LMOVE", "src", "dst", "UP", "LEFT"],
        ],
    )


def test_lmpop_pops_from_the_first_non_empty_list(r):
    r.rpush("b", "1", "2", "3")
    assert r.lmpop(2, "a", "b", direction="LEFT") == [b"b", [b"1"]]
    assert r.lmpop(2, "a", "b", direction="RIGHT", count=5) == [b"b", [b"3", b"2"]]
    assert not r.exists("b")
    assert r.lmpop(2, "a", "b", direction="LEFT") is None


@pytest.mark.parametrize(
    "args",
    [
        ["0", "l", "LEFT"],
        ["-1", "l", "LEFT"],
        ["abc", "l", "LEFT"],
        ["2", "l", "LEFT"],
        ["1", "l", "UP"],
        ["1", "l", "LEFT", "COUNT", "0"],
        ["1", "l", "LEFT", "COUNT", "-2"],
        ["1", "l", "LEFT", "COUNT"],
        ["1", "l", "LEFT", "COUNT", "1", "COUNT", "1"],
        ["1", "l", "LEFT", "FOO"],
        ["2", "s", "l", "LEFT"],
        ["2", "missing", "s", "RIGHT"],
        ["2", "missing", "l", "right", "count", "2"],
        ["1", "missing", "LEFT"],
        ["9223372036854775807", "l", "LEFT"],
    ],
)
def test_lmpop_replies_and_errors_match_redis(lite, o, args):
    setup = [["RPUSH", "l", "a", "b", "c"], ["SET", "s", "v"]]
    assert_same_replies(lite, o, setup + [["LMPOP", *args], ["LRANGE", "l", "0", "-1"]])


# -- types and the keyspace --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        ["LPUSH", "s", "a"],
        ["RPUSHX", "s", "a"],
        ["LLEN", "s"],
        ["LRANGE", "s", "0", "-1"],
        ["LINDEX", "s", "0"],
        ["LSET", "s", "0", "x"],
        ["LINSERT", "s", "BEFORE", "a", "b"],
        ["LREM", "s", "0", "a"],
        ["LTRIM", "s", "0", "1"],
        ["LPOS", "s", "a"],
        ["RPOPLPUSH", "s", "d"],
        ["GET", "l"],
        ["APPEND", "l", "x"],
        ["LRANGE", "s", "x", "0"],
        ["LSET", "missing", "x", "v"],
        ["LINSERT", "s", "MIDDLE", "a", "b"],
        ["LREM", "missing", "x", "a"],
        ["LINDEX", "missing", "x"],
        ["LINDEX", "l", "x"],
    ],
)
def test_wrong_types_and_check_order_match_redis(lite, o, command):
    setup = [["RPUSH", "l", "a"], ["SET", "s", "a"]]
    assert_same_replies(lite, o, setup + [command])


def test_type_and_object_encoding_match_redis_for_small_and_big_lists(lite, o):
    big = [str(i) for i in range(1000)]
    setup = [["RPUSH", "small", "a", "b"], ["RPUSH", "big", *big], ["RPUSH", "wide", "x" * 10_000]]
    assert_same_replies(
        lite,
        o,
        setup
        + [["TYPE", key] for key in ("small", "big", "wide")]
        + [["OBJECT", "ENCODING", key] for key in ("small", "big", "wide")],
    )


def test_copy_duplicates_a_list_independently(r):
    r.rpush("l", "a", "b")
    assert r.copy("l", "c") is True
    r.rpush("c", "z")
    assert r.lrange("l", 0, -1) == [b"a", b"b"]
    assert r.lrange("c", 0, -1) == [b"a", b"b", b"z"]


def test_rename_moves_a_list(r):
    r.rpush("l", "a")
    r.rename("l", "m")
    assert r.lrange("m", 0, -1) == [b"a"]
    assert r.type("l") == b"none"


def test_scan_type_list_finds_only_lists(r):
    r.rpush("l1", "a")
    r.rpush("l2", "a")
    r.set("s", "v")
    assert sorted(r.scan_iter(_type="list")) == [b"l1", b"l2"]


def test_binary_elements_round_trip(r):
    values = [b"\x00\xff", b"a\r\nb", b""]
    r.rpush("l", *values)
    assert r.lrange("l", 0, -1) == values
    assert r.lpos("l", b"a\r\nb") == 1


def test_pipelined_list_commands_answer_in_order(r):
    with r.pipeline(transaction=False) as pipe:
        pipe.rpush("l", "a", "b").lpop("l").llen("l")
        assert pipe.execute() == [2, b"a", 1]
