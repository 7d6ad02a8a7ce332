"""HyperLogLog commands against the RedisLite server process over redis-py, with a real redis-server (the
`oracle` fixture) for exact counts, registers and error texts."""

import pytest
import redis

from ..servers import raw_client, reply


def test_pfadd_reports_whether_the_estimate_changed(r):
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a") == 0
    assert r.pfadd("new") == 1  # creating the key is a change
    assert r.pfadd("new") == 0
    assert r.pfcount("h") == 3 and r.pfcount("new") == 0 and r.pfcount("missing") == 0


def test_an_hll_is_a_string_created_sparse_and_made_dense_when_large(r):
    r.pfadd("h", "a")
    value = r.get("h")
    assert r.type("h") == b"string"
    assert value[:5] == b"HYLL\x01" and len(value) < 30  # sparse: run-length opcodes
    r.pfadd("h", *range(5000))
    value = r.get("h")
    assert value[:5] == b"HYLL\x00" and len(value) == 12304  # dense: 16384 six-bit registers


def test_pfadd_writes_the_same_bytes_as_real_redis(lite, o):
    for client in (lite, o):
        client.execute_command("PFADD", "h", *[f"e{i}" for i in range(100)])
    assert len(o.execute_command("GET", "h")) == 285
    assert lite.execute_command("GET", "h") == o.execute_command("GET", "h")


def test_pfcount_of_several_keys_counts_the_union(r):
    r.pfadd("a", *range(600))
    r.pfadd("b", *range(300, 900))
    assert r.pfcount("a", "b", "missing") == 902  # what Redis 7.0.15 answers for the same inputs
    assert r.pfmerge("u", "a", "b")
    assert r.pfcount("u") == 902


def test_pfmerge_includes_the_destination_and_keeps_its_ttl(r):
    r.pfadd("dest", "x", "y")
    r.expire("dest", 100)
    r.pfadd("src", "z")
    assert r.pfmerge("dest", "src")
    assert r.pfcount("dest") == 3 and 0 < r.ttl("dest") <= 100
    assert r.pfmerge("empty")
    assert r.pfcount("empty") == 0


def test_pfadd_on_a_plain_string_is_the_hll_wrongtype(r):
    r.set("s", "hello")
    r.rpush("l", "a")
    with pytest.raises(redis.ResponseError, match="^WRONGTYPE Key is not a valid HyperLogLog string value.$"):
        r.pfadd("s", "a")
    with pytest.raises(
        redis.ResponseError, match="^WRONGTYPE Operation against a key holding the wrong kind of value$"
    ):
        r.pfcount("l")


def test_counts_and_registers_equal_real_redis(lite, o):
    for client in (lite, o):
        for start in range(1, 100_001, 10_000):
            client.execute_command("PFADD", "h", *range(start, start + 10_000))
        client.execute_command("PFADD", "small", *range(1, 1001))
    assert reply(lite, "PFCOUNT", "small") == reply(o, "PFCOUNT", "small") == 1001
    assert reply(lite, "PFCOUNT", "h") == reply(o, "PFCOUNT", "h") == 99562
    assert reply(lite, "PFCOUNT", "h", "small") == reply(o, "PFCOUNT", "h", "small")
    o.execute_command("PFDEBUG", "TODENSE", "h")
    assert lite.execute_command("GET", "h")[16:] == o.execute_command("GET", "h")[16:]


def test_pfcount_of_100000_distinct_elements_is_within_two_percent(r):
    for start in range(0, 100_000, 10_000):
        r.pfadd("h", *(f"element:{i}" for i in range(start, start + 10_000)))
    assert abs(r.pfcount("h") - 100_000) <= 2_000


def test_a_dense_hll_from_redis_is_read_and_a_sparse_one_too(lite, o):
    o.execute_command("PFADD", "sparse", "a", "b", "c")
    o.execute_command("PFADD", "dense", *range(5000))
    o.execute_command("PFDEBUG", "TODENSE", "dense")
    for key in ("sparse", "dense"):
        lite.execute_command("SET", key, o.execute_command("GET", key))
        assert reply(lite, "PFCOUNT", key) == reply(o, "PFCOUNT", key)
        assert reply(lite, "PFADD", key, "new-element") == reply(o, "PFADD", key, "new-element")
        assert reply(lite, "PFCOUNT", key) == reply(o, "PFCOUNT", key)


def test_pfcount_of_a_corrupted_sparse_hll_is_invalidobj(lite, o):
    # A stale cached cardinality (top bit of byte 15) forces a count; the opcodes are one register short.
    corrupt = b"HYLL\x01\x00\x00\x00" + bytes(7) + b"\x80" + b"\x7f\xfe"
    for client in (lite, o):
        client.execute_command("SET", "bad", corrupt)
    assert (
        reply(lite, "PFCOUNT", "bad")
        == reply(o, "PFCOUNT", "bad")
        == ("error", "INVALIDOBJ Corrupted HLL object detected")
    )


def test_hll_errors_match_redis(lite, o):
    for client in (lite, o):
        client.execute_command("SET", "s", "HYLL")
        client.execute_command("SET", "n", "123")
    for command in (
        ["PFADD", "s", "a"],
        ["PFADD", "n", "a"],
        ["PFCOUNT", "s"],
        ["PFCOUNT", "s", "n"],
        ["PFMERGE", "d", "s"],
        ["PFMERGE", "s"],
        ["EXISTS", "d"],
        ["PFADD"],
        ["PFCOUNT"],
    ):
        assert reply(lite, *command) == reply(o, *command), command


def test_pfcount_caches_the_cardinality_in_the_header(server):
    client = raw_client(server.port)
    client.execute_command("DEL", "h")
    client.execute_command("PFADD", "h", "a", "b")
    assert client.execute_command("GET", "h")[15] & 0x80  # stale after PFADD
    assert client.execute_command("PFCOUNT", "h") == 2
    value = client.execute_command("GET", "h")
    assert value[15] & 0x80 == 0 and int.from_bytes(value[8:16], "little") == 2
    client.close()
