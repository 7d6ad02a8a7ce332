"""Set commands against the RedisLite server process over redis-py; exact error texts and encodings are
also checked against a real redis-server (the `oracle` fixture)."""

from ..differential.resp import RawClient
from ..servers import reply


def assert_same_replies(lite, o, commands):
    for command in commands:
        assert reply(lite, *command) == reply(o, *command), command


def test_sadd_srem_and_membership(r):
    assert r.sadd("s", "a", "b", "a") == 2
    assert r.sadd("s", "b", "c") == 1
    assert r.smembers("s") == {b"a", b"b", b"c"} and r.scard("s") == 3
    assert r.sismember("s", "a") and not r.sismember("s", "z") and not r.sismember("missing", "a")
    assert r.smismember("s", "a", "z") == [1, 0] and r.smismember("missing", "a") == [0]
    assert r.srem("s", "a", "z") == 1


def test_an_emptied_set_disappears(r):
    r.sadd("s", "a")
    assert r.srem("s", "a") == 1 and not r.exists("s")
    r.sadd("s", "a", "b")
    assert set(r.spop("s", 5)) == {b"a", b"b"} and not r.exists("s")
    r.sadd("s", "a")
    assert r.smove("s", "t", "a") and not r.exists("s") and r.smembers("t") == {b"a"}


def test_spop_and_srandmember_counts(r):
    r.sadd("s", *range(20))
    assert len(set(r.srandmember("s", 5))) == 5
    assert len(r.srandmember("s", -30)) == 30
    assert len(r.srandmember("s", 100)) == 20
    popped = r.spop("s", 17)
    assert len(set(popped)) == 17 and r.scard("s") == 3 and not set(popped) & r.smembers("s")
    assert r.spop("s") in {str(i).encode() for i in range(20)}
    assert r.spop("missing") is None and r.spop("missing", 2) == [] and r.srandmember("missing", 2) == []


def test_set_algebra_and_stores(r):
    r.sadd("a", "1", "2", "3", "x")
    r.sadd("b", "2", "3", "4")
    assert r.sinter("a", "b") == {b"2", b"3"} and r.sinter("a", "missing") == set()
    assert r.sunion("a", "b") == {b"1", b"2", b"3", b"4", b"x"}
    assert r.sdiff("a", "b") == {b"1", b"x"} and r.sdiff("a", "a") == set()
    assert r.sintercard(2, ["a", "b"]) == 2 and r.sintercard(2, ["a", "b"], limit=1) == 1
    assert r.sinterstore("d", ["a", "b"]) == 2 and r.smembers("d") == {b"2", b"3"}
    assert r.sunionstore("d", ["a", "b"]) == 5
    assert r.sdiffstore("d", ["a", "b"]) == 2
    r.set("str", "v")
    assert r.sinterstore("str", ["a", "missing"]) == 0 and not r.exists("str")


def test_sscan_returns_every_member_of_a_big_set_once_despite_writes(r):
    r.sadd("s", *[f"m{i}" for i in range(1000)])
    cursor, seen = 0, []
    first = True
    while first or cursor:
        first = False
        cursor, members = r.sscan("s", cursor, count=50)
        seen += members
        r.sadd("s", f"new{len(seen)}")
    assert {f"m{i}".encode() for i in range(1000)} <= set(seen)


def test_set_errors_match_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SET", "str", "x"],
            ["SADD", "s", "1", "2", "a"],
            ["SADD", "str", "a"],
            ["SPOP", "s", "-1"],
            ["SPOP", "s", "1", "2"],
            ["SRANDMEMBER", "s", "abc"],
            ["SRANDMEMBER", "s", "-9223372036854775808"],
            ["SINTERCARD", "0", "s"],
            ["SINTERCARD", "3", "s"],
            ["SINTERCARD", "1", "s", "LIMIT", "-1"],
            ["SINTERCARD", "1", "s", "FOO"],
            ["SINTER", "missing", "str"],
            ["SMOVE", "missing", "str", "a"],
            ["SMOVE", "s", "str", "a"],
            ["SMOVE", "s", "s", "a"],
            ["SSCAN", "s", "0", "COUNT", "0"],
            ["SSCAN", "str", "0"],
            ["SUNIONSTORE", "d", "s", "str"],
            ["COMMAND", "GETKEYS", "SINTERCARD", "2", "a", "b", "LIMIT", "1"],
        ],
    )


def test_set_encodings_follow_redis(lite, o):
    assert_same_replies(
        lite,
        o,
        [
            ["SADD", "ints", "1", "2", "-5"],
            ["OBJECT", "ENCODING", "ints"],
            ["SADD", "ints", "007"],
            ["OBJECT", "ENCODING", "ints"],
            ["SREM", "ints", "007"],
            ["OBJECT", "ENCODING", "ints"],
            ["SADD", "minus0", "-0"],
            ["OBJECT", "ENCODING", "minus0"],
            ["CONFIG", "SET", "set-max-intset-entries", "2"],
            ["SADD", "few", "1", "2"],
            ["OBJECT", "ENCODING", "few"],
            ["SADD", "few", "3"],
            ["OBJECT", "ENCODING", "few"],
            ["SINTERSTORE", "d", "few", "few"],
            ["OBJECT", "ENCODING", "d"],
            ["SDIFFSTORE", "d2", "few", "ints"],
            ["OBJECT", "ENCODING", "d2"],
            ["CONFIG", "SET", "set-max-intset-entries", "512"],
            ["SMOVE", "ints", "moved", "1"],
            ["OBJECT", "ENCODING", "moved"],
            ["TYPE", "moved"],
        ],
    )


def test_resp3_smembers_and_set_algebra_reply_sets(r, server):
    r.sadd("s", "a")
    client = RawClient(server.port)
    client.call("HELLO", "3")
    assert client.call("SMEMBERS", "s") == b"~1\r\n$1\r\na\r\n"
    assert client.call("SUNION", "s", "missing") == b"~1\r\n$1\r\na\r\n"
    assert client.call("SMEMBERS", "missing") == b"~0\r\n"
    assert client.call("SRANDMEMBER", "s", "2") == b"*1\r\n$1\r\na\r\n"
    client.close()
