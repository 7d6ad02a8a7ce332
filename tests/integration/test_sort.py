"""SORT and SORT_RO against the RedisLite server process over redis-py; where Redis's exact output is the
specification, the same commands also go to a real redis-server (the `oracle` fixture) and replies must match."""

import threading
import time

import pytest
import redis

from ..servers import reply

NOT_DOUBLE = "One or more scores can't be converted into double"
WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def sort(r, *args):
    return r.execute_command("SORT", *args)


def assert_same_replies(lite, o, commands):
    """Run each command on both servers in turn; every reply, errors included, must be equal."""
    for command in commands:
        assert reply(lite, *command) == reply(o, *command), command


# -- sources ---------------------------------------------------------------------------------------------------


def test_sort_orders_a_list_numerically(r):
    r.rpush("l", 3, 1, 10, 2, -5, 1.5)
    assert sort(r, "l") == [b"-5", b"1", b"1.5", b"2", b"3", b"10"]
    assert sort(r, "l", "DESC") == [b"10", b"3", b"2", b"1.5", b"1", b"-5"]
    assert r.lrange("l", 0, -1) == [b"3", b"1", b"10", b"2", b"-5", b"1.5"]  # the source is untouched


def test_sort_orders_sets_and_sorted_sets_by_their_members(r):
    r.sadd("s", 5, 3, 40, -1)
    r.zadd("z", {"7": 3, "2": 1, "30": 2})
    assert sort(r, "s") == [b"-1", b"3", b"5", b"40"]
    assert sort(r, "z") == [b"2", b"7", b"30"]
    assert sort(r, "z", "ALPHA") == [b"2", b"30", b"7"]


def test_sort_of_a_missing_key_is_an_empty_array(r):
    assert sort(r, "missing") == []
    assert sort(r, "missing", "LIMIT", "0", "10", "GET", "#") == []


@pytest.mark.parametrize("make", [lambda r: r.set("k", "1"), lambda r: r.hset("k", "f", "1")])
def test_sort_of_a_string_or_hash_is_wrongtype(r, make):
    make(r)
    with pytest.raises(redis.ResponseError, match=f"^{WRONGTYPE}$"):
        sort(r, "k")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE"):
        r.execute_command("SORT_RO", "k", "ALPHA")


def test_options_are_checked_before_the_key_type(r):
    r.set("k", "1")
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        sort(r, "k", "NOSUCH")


def test_sort_converts_a_small_sorted_set_to_a_skiplist(r):
    r.zadd("z", {"a": 1, "b": 2})
    assert r.object("encoding", "z") == b"listpack"
    sort(r, "z", "BY", "nosort")
    assert r.object("encoding", "z") == b"skiplist"


# -- numbers ---------------------------------------------------------------------------------------------------


def test_infinities_sort_at_the_ends(r):
    r.rpush("l", "1", "inf", "-inf", "0", "-1e300")
    assert sort(r, "l") == [b"-inf", b"-1e300", b"0", b"1", b"inf"]


def test_strtod_accepts_leading_spaces_hex_and_an_empty_string(r):
    r.rpush("l", " 7", "0x10", "", "+5", "1e3", "6\x00junk")
    assert sort(r, "l") == [b"", b"+5", b"6\x00junk", b" 7", b"0x10", b"1e3"]


@pytest.mark.parametrize("bad", ["abc", "3 ", "nan", "-nan", "1e400", "-1e400", "1e-400", "1e-310", "0x", "1e", "."])
def test_elements_that_are_not_doubles_fail_the_sort(r, bad):
    r.rpush("l", "1", bad, "2")
    with pytest.raises(redis.ResponseError, match=f"^{NOT_DOUBLE}$"):
        sort(r, "l")
    assert sort(r, "l", "ALPHA")  # ALPHA does not parse numbers


def test_a_failed_sort_stores_nothing(r):
    r.rpush("l", "1", "x")
    r.set("dst", "keep")
    with pytest.raises(redis.ResponseError, match=NOT_DOUBLE):
        sort(r, "l", "STORE", "dst")
    assert r.get("dst") == b"keep"


def test_equal_scores_are_ordered_by_the_elements_as_binary_strings(r):
    r.rpush("l", "1.0", "01", "1", "1e0", "0.1e1")
    assert sort(r, "l") == [b"0.1e1", b"01", b"1", b"1.0", b"1e0"]
    assert sort(r, "l", "DESC") == [b"1e0", b"1.0", b"1", b"01", b"0.1e1"]


# -- ALPHA -----------------------------------------------------------------------------------------------------


def test_alpha_compares_bytes(r):
    r.rpush("l", "b", "B", "a", "\xe9", "", "ab", "\xff")
    assert sort(r, "l", "ALPHA") == [b"", b"B", b"a", b"ab", b"b", b"\xc3\xa9", b"\xc3\xbf"]
    assert sort(r, "l", "ALPHA", "DESC") == [b"\xc3\xbf", b"\xc3\xa9", b"b", b"ab", b"a", b"B", b""]


def test_alpha_stops_at_a_nul_byte_except_when_storing(r):
    """strcoll sees C strings, so these three tie and keep their list order; STORE compares binary-safe."""
    r.rpush("l", "a\x00c", "a", "a\x00b")
    assert sort(r, "l", "ALPHA") == [b"a\x00c", b"a", b"a\x00b"]
    assert sort(r, "l", "ALPHA", "DESC") == [b"a\x00c", b"a", b"a\x00b"]
    assert sort(r, "l", "ALPHA", "STORE", "dst") == 3
    assert r.lrange("dst", 0, -1) == [b"a", b"a\x00b", b"a\x00c"]


# -- LIMIT -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "offset, count, expected",
    [
        (0, 2, [b"1", b"2"]),
        (2, 2, [b"3", b"4"]),
        (3, 100, [b"4", b"5"]),
        (0, 0, []),
        (1, -1, [b"2", b"3", b"4", b"5"]),
        (3, -5, [b"4", b"5"]),
        (-3, 2, [b"1", b"2"]),
        (5, 1, []),
        (100, 1, []),
        (4, 1, [b"5"]),
        (2, 9223372036854775807, [b"3", b"4", b"5"]),
        (-9223372036854775808, 9223372036854775807, [b"1", b"2", b"3", b"4", b"5"]),
        (9223372036854775807, -9223372036854775808, []),
    ],
)
def test_limit_windows(r, offset, count, expected):
    r.rpush("l", 5, 3, 1, 4, 2)
    assert sort(r, "l", "LIMIT", offset, count) == expected


@pytest.mark.parametrize(
    "args, error",
    [
        (["LIMIT", "a", "1"], "value is not an integer or out of range"),
        (["LIMIT", "1", "1.5"], "value is not an integer or out of range"),
        (["LIMIT", "1", "99999999999999999999"], "value is not an integer or out of range"),
        (["LIMIT", "1"], "syntax error"),
        (["LIMIT"], "syntax error"),
        (["FOO", "LIMIT", "a", "b"], "syntax error"),
        (["LIMIT", "a", "b", "FOO"], "value is not an integer or out of range"),
        (["BY"], "syntax error"),
        (["GET"], "syntax error"),
        (["STORE"], "syntax error"),
        (["ALPHA", "DESC", "ASCENDING"], "syntax error"),
    ],
)
def test_option_errors(r, args, error):
    r.rpush("l", 1, 2)
    with pytest.raises(redis.ResponseError, match=f"^{error}$"):
        sort(r, "l", *args)


def test_option_names_are_case_insensitive_and_read_as_c_strings(r):
    r.rpush("l", "b", "a")
    assert sort(r, "l", "alpha", "Desc") == [b"b", b"a"]
    assert sort(r, "l", "ALPHA\x00anything") == [b"a", b"b"]


# -- BY ---------------------------------------------------------------------------------------------------------


def test_by_sorts_by_the_weight_keys(r):
    r.rpush("l", "a", "b", "c")
    r.mset({"w_a": 3, "w_b": 1, "w_c": 2})
    assert sort(r, "l", "BY", "w_*") == [b"b", b"c", b"a"]
    assert sort(r, "l", "BY", "w_*", "DESC") == [b"a", b"c", b"b"]


def test_by_reads_hash_fields(r):
    r.rpush("l", "a", "b", "c")
    r.hset("h_a", mapping={"age": 30, "name": "zed"})
    r.hset("h_b", mapping={"age": 20, "name": "amy"})
    r.hset("h_c", mapping={"age": 25, "name": "bob"})
    assert sort(r, "l", "BY", "h_*->age") == [b"b", b"c", b"a"]
    assert sort(r, "l", "BY", "h_*->name", "ALPHA") == [b"b", b"c", b"a"]


def test_missing_weights_count_as_zero_or_sort_first_with_alpha(r):
    r.rpush("l", "a", "b", "c", "d")
    r.mset({"w_a": 2, "w_c": -1})
    r.rpush("w_d", "a list is not a weight")
    assert sort(r, "l", "BY", "w_*") == [b"c", b"b", b"d", b"a"]  # b and d weigh 0: the elements decide
    r.mset({"v_a": "y", "v_c": "x"})
    assert sort(r, "l", "BY", "v_*", "ALPHA") == [b"b", b"d", b"c", b"a"]  # missing first, in list order


def test_weights_that_are_not_doubles_fail_the_sort(r):
    r.rpush("l", "a", "b")
    r.mset({"w_a": "1", "w_b": "heavy"})
    with pytest.raises(redis.ResponseError, match=NOT_DOUBLE):
        sort(r, "l", "BY", "w_*")
    assert sort(r, "l", "BY", "w_*", "ALPHA") == [b"a", b"b"]


def test_by_without_a_star_keeps_the_list_order(r):
    r.rpush("l", "3", "1", "x", "2")
    assert sort(r, "l", "BY", "nosort") == [b"3", b"1", b"x", b"2"]
    assert sort(r, "l", "BY", "nosort", "DESC") == [b"2", b"x", b"1", b"3"]
    assert sort(r, "l", "BY", "nosort", "LIMIT", "1", "2") == [b"1", b"x"]
    assert sort(r, "l", "BY", "nosort", "DESC", "LIMIT", "1", "2") == [b"x", b"1"]


def test_a_by_without_a_star_wins_over_a_later_one_with_a_star(r):
    r.rpush("l", "b", "a", "c")
    r.mset({"w_a": 1, "w_b": 2, "w_c": 3})
    assert sort(r, "l", "BY", "nosort", "BY", "w_*") == [b"b", b"a", b"c"]
    assert sort(r, "l", "BY", "w_*", "BY", "nosort") == [b"b", b"a", b"c"]


def test_by_without_a_star_keeps_the_sorted_set_order_and_limits_that_range(r):
    r.zadd("z", {"c": 1, "a": 2, "b": 3, "d": 4})
    assert sort(r, "z", "BY", "nosort") == [b"c", b"a", b"b", b"d"]
    assert sort(r, "z", "BY", "nosort", "DESC") == [b"d", b"b", b"a", b"c"]
    assert sort(r, "z", "BY", "nosort", "LIMIT", "1", "2") == [b"a", b"b"]
    assert sort(r, "z", "BY", "nosort", "DESC", "LIMIT", "1", "2") == [b"b", b"a"]
    assert sort(r, "z", "BY", "nosort", "LIMIT", "3", "5") == [b"d"]


def test_an_unsorted_intset_comes_in_ascending_order_and_ignores_desc(r):
    r.sadd("s", 5, 3, 10, -1)
    assert sort(r, "s", "BY", "nosort") == [b"-1", b"3", b"5", b"10"]
    assert sort(r, "s", "BY", "nosort", "DESC") == [b"-1", b"3", b"5", b"10"]
    assert sort(r, "s", "BY", "nosort", "LIMIT", "1", "2") == [b"3", b"5"]


def test_storing_an_unsorted_set_sorts_it_alpha(r):
    r.sadd("s", "b", "10", "a", "9")
    assert sort(r, "s", "BY", "nosort", "STORE", "dst") == 4
    assert r.lrange("dst", 0, -1) == [b"10", b"9", b"a", b"b"]


def test_by_patterns_with_nul_bytes_and_arrows_at_the_end(r):
    r.rpush("l", "a", "b")
    r.mset({"w_a->": 2, "w_b->": 1})
    assert sort(r, "l", "BY", "w_*->") == [b"b", b"a"]  # nothing after the arrow: part of the key name
    assert sort(r, "l", "BY", "x\x00*") == [b"a", b"b"]  # the star is after a NUL: no star, no sorting


# -- GET -------------------------------------------------------------------------------------------------------


def test_get_returns_values_for_each_element_in_order(r):
    r.rpush("l", "2", "1", "3")
    r.mset({"name_1": "one", "name_3": "three"})
    r.hset("obj_2", "color", "red")
    assert sort(r, "l", "GET", "name_*", "GET", "#", "GET", "obj_*->color") == [
        b"one",
        b"1",
        None,
        None,
        b"2",
        b"red",
        b"three",
        b"3",
        None,
    ]


def test_get_of_a_pattern_without_a_star_or_a_wrong_type_is_nil(r):
    r.rpush("l", "a")
    r.set("fixed", "value")
    r.rpush("k_a", "list")
    r.set("h_a", "string, not a hash")
    assert sort(r, "l", "ALPHA", "GET", "fixed", "GET", "k_*", "GET", "h_*->f", "GET", "#\x00x") == [
        None,
        None,
        None,
        b"a",
    ]


def test_get_replies_nulls_in_resp3(server, r):
    r.rpush("l", "a")
    client = redis.Redis(port=server.port, protocol=3)
    try:
        assert client.execute_command("SORT", "l", "ALPHA", "GET", "missing_*", "GET", "#") == [None, b"a"]
    finally:
        client.close()


# -- STORE -----------------------------------------------------------------------------------------------------


def test_store_writes_a_list_and_returns_its_length(r):
    r.rpush("l", 3, 1, 2)
    assert sort(r, "l", "STORE", "dst") == 3
    assert r.type("dst") == b"list"
    assert r.lrange("dst", 0, -1) == [b"1", b"2", b"3"]


def test_store_with_get_stores_empty_strings_for_missing_values(r):
    r.rpush("l", "a", "b")
    r.set("v_a", "A")
    assert sort(r, "l", "ALPHA", "GET", "#", "GET", "v_*", "STORE", "dst") == 4
    assert r.lrange("dst", 0, -1) == [b"a", b"A", b"b", b""]


def test_store_replaces_any_type_and_clears_the_ttl(r):
    r.rpush("l", 1)
    r.set("dst", "string", ex=100)
    assert sort(r, "l", "STORE", "dst") == 1
    assert r.type("dst") == b"list" and r.ttl("dst") == -1
    r.sadd("set", "x")
    assert sort(r, "l", "STORE", "set") == 1
    assert r.lrange("set", 0, -1) == [b"1"]


def test_store_of_an_empty_result_deletes_the_destination(r):
    r.set("dst", "old")
    assert sort(r, "missing", "STORE", "dst") == 0
    assert r.exists("dst") == 0
    r.rpush("l", 1, 2)
    r.set("dst", "old")
    assert sort(r, "l", "LIMIT", "0", "0", "STORE", "dst") == 0
    assert r.exists("dst") == 0


def test_store_onto_the_source_key(r):
    r.rpush("l", 3, 1, 2)
    assert sort(r, "l", "STORE", "l") == 3
    assert r.lrange("l", 0, -1) == [b"1", b"2", b"3"]


def test_the_last_store_option_wins(r):
    r.rpush("l", 1)
    assert sort(r, "l", "STORE", "a", "STORE", "b") == 1
    assert r.exists("a") == 0 and r.lrange("b", 0, -1) == [b"1"]


def test_store_serves_a_client_blocked_on_the_destination(server, r):
    waiter = redis.Redis(port=server.port, protocol=2, socket_timeout=10)
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("popped", waiter.blpop(["dst"], 5)), daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while r.info("clients")["blocked_clients"] != 1:
        assert time.monotonic() < deadline, "the BLPOP never blocked"
        time.sleep(0.01)
    r.rpush("l", 2, 1)
    assert sort(r, "l", "STORE", "dst") == 2
    thread.join(5)
    waiter.close()
    assert result["popped"] == (b"dst", b"1")
    assert r.lrange("dst", 0, -1) == [b"2"]


# -- SORT_RO ---------------------------------------------------------------------------------------------------


def test_sort_ro_sorts_like_sort(r):
    r.rpush("l", "b", "a", "c")
    r.mset({"w_a": 3, "w_b": 2, "w_c": 1})
    assert r.execute_command("SORT_RO", "l", "ALPHA") == [b"a", b"b", b"c"]
    assert r.execute_command("SORT_RO", "l", "BY", "w_*", "GET", "#", "GET", "w_*") == [
        b"c",
        b"1",
        b"b",
        b"2",
        b"a",
        b"3",
    ]


def test_sort_ro_has_no_store_option(r):
    r.rpush("l", 1)
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        r.execute_command("SORT_RO", "l", "STORE", "dst")
    assert r.exists("dst") == 0


# -- expiry and statistics --------------------------------------------------------------------------------------


def test_expired_keys_are_invisible_to_by_and_get(r):
    r.rpush("l", "a", "b")
    r.set("w_a", 5)
    r.set("w_b", 1, px=1)
    r.set("v_a", "A", px=1)
    time.sleep(0.02)
    assert sort(r, "l", "BY", "w_*", "GET", "#", "GET", "v_*") == [b"b", None, b"a", None]
    r.rpush("gone", 1)
    r.pexpire("gone", 1)
    time.sleep(0.02)
    assert sort(r, "gone") == []


def test_lookups_count_keyspace_hits_and_misses(r):
    r.rpush("l", "a", "b")
    r.set("w_a", 1)
    r.config_resetstat()
    assert sort(r, "l", "BY", "w_*", "GET", "w_*", "GET", "#") == [None, b"b", b"1", b"a"]
    stats = r.info("stats")
    assert (stats["keyspace_hits"], stats["keyspace_misses"]) == (3, 2)


# -- the command table ------------------------------------------------------------------------------------------


def test_command_getkeys_finds_the_key_and_the_last_store(lite):
    def getkeys(*args):
        return lite.execute_command("COMMAND", "GETKEYS", *args)

    assert getkeys("SORT", "l") == [b"l"]
    assert getkeys("SORT", "l", "BY", "w_*", "GET", "#", "STORE", "d") == [b"l", b"d"]
    assert getkeys("SORT", "l", "STORE", "d", "STORE", "e") == [b"l", b"e"]
    assert getkeys("SORT", "l", "LIMIT", "STORE", "x", "STORE") == [b"l"]
    assert getkeys("SORT_RO", "l", "BY", "x", "GET", "y") == [b"l"]


def test_command_info_flags_and_categories(lite):
    sort_info, sort_ro_info = lite.execute_command("COMMAND", "INFO", "sort", "sort_ro")
    assert sort_info[:2] == [b"sort", -2] and sort_info[3:6] == [1, 1, 1]
    assert sort_ro_info[:2] == [b"sort_ro", -2] and sort_ro_info[3:6] == [1, 1, 1]
    assert set(sort_info[2]) == {b"write", b"denyoom", b"movablekeys"}
    assert set(sort_ro_info[2]) == {b"readonly", b"movablekeys"}
    assert set(sort_info[6]) == {b"@write", b"@set", b"@sortedset", b"@list", b"@slow", b"@dangerous"}
    assert set(sort_ro_info[6]) == {b"@read", b"@set", b"@sortedset", b"@list", b"@slow", b"@dangerous"}


# -- against redis-server ---------------------------------------------------------------------------------------


def test_tricky_sorts_match_redis(lite, o):
    """Ties that Redis's partial quicksort (BY + LIMIT) leaves in its own order, and other corner cases."""
    setup = [
        ["RPUSH", "l", *[f"e{i}" for i in range(30)]],
        ["SET", "w_e3", "b"],
        ["SET", "w_e7", "a"],
        ["SET", "w_e20", "b"],
        ["HSET", "h_e5", "f", "x"],
        ["HSET", "h_e9", "f", "x"],
        ["RPUSH", "n", "3", "1", " 2", "0x1", "inf", "-inf", "", "7"],
        ["RPUSH", "seven", *[f"s{i}" for i in range(7)]],
        *[["SET", f"v_s{i}", weight] for i, weight in enumerate("babxaaa") if weight != "x"],
    ]
    commands = setup + [
        ["SORT", "l", "BY", "w_*", "ALPHA"],
        ["SORT", "l", "BY", "w_*", "ALPHA", "DESC"],
        ["SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", "2", "10"],
        ["SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", "2", "10", "DESC"],
        ["SORT", "l", "BY", "h_*->f", "ALPHA", "LIMIT", "0", "5", "GET", "#", "GET", "h_*->f"],
        ["SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", "25", "10", "STORE", "dst"],
        ["LRANGE", "dst", "0", "-1"],
        ["SORT", "seven", "BY", "v_*", "ALPHA", "DESC", "LIMIT", "0", "6"],  # a partition pass that swaps nothing
        ["SORT", "seven", "BY", "v_*", "ALPHA", "LIMIT", "1", "6"],
        ["SORT", "n", "LIMIT", "1", "3"],
        ["SORT", "n", "DESC", "GET", "#", "GET", "nothing"],
        ["SORT", "n", "BY", "nosort", "LIMIT", "-2", "3", "DESC"],
        ["SORT_RO", "n", "STORE", "x"],
        ["SORT", "n", "LIMIT", "1"],
        ["SORT", "n", "ASC\x00x"],
    ]
    assert_same_replies(lite, o, commands)
