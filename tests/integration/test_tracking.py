"""Client-side caching: CLIENT TRACKING in default, BCAST, OPTIN/OPTOUT and NOLOOP modes, REDIRECT to a
RESP2 subscriber, and redis-py's own client-side cache (RESP3) working against RedisLite."""

import time

import pytest
import redis
from redis.cache import CacheConfig

from ..differential.resp import RawClient


def transcript(port, sequences):
    """Run [(client index, command), ...] on fresh raw RESP3 connections; return every reply read, plus the
    pushes that arrived for the other connections, per connection in arrival order."""
    clients = [RawClient(port) for _ in range(3)]
    try:
        for client in clients:
            client.call("HELLO", "3")
        clients[0].call("FLUSHALL")
        seen = []
        for who, command, extra_reads in sequences:
            seen.append((who, clients[who].call(*command)))
            for reader, count in extra_reads:
                seen += [(reader, clients[reader].read_reply()) for _ in range(count)]
        return seen
    finally:
        for client in clients:
            client.close()


def test_default_mode_bcast_optin_and_noloop_match_redis(server, oracle):
    sequence = [
        (0, ["CLIENT", "TRACKING", "ON"], []),
        (0, ["GET", "a"], []),
        (0, ["MGET", "b", "c"], []),
        (1, ["SET", "a", "1"], [(0, 1)]),  # client 0 is told a changed
        (1, ["SET", "a", "2"], []),  # and only once, until it reads a again
        (1, ["SET", "b", "1"], [(0, 1)]),
        (0, ["GET", "b"], []),
        (1, ["DEL", "b", "c", "zz"], [(0, 1)]),  # b deleted (c and zz did not exist: nothing for them)
        (0, ["SET", "own", "x"], []),
        (0, ["GET", "own"], []),
        (0, ["SET", "own", "y"], [(0, 1)]),  # its own change: the invalidation follows the reply
        (2, ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "user:", "PREFIX", "job:", "NOLOOP"], []),
        (1, ["SET", "user:1", "a"], [(2, 1)]),
        (1, ["SET", "other", "a"], []),
        (2, ["SET", "user:2", "b"], []),  # NOLOOP: nothing for its own change
        (1, ["INCR", "job:7"], [(2, 1)]),
        (1, ["CLIENT", "TRACKING", "ON", "OPTIN"], []),
        (1, ["GET", "skipped"], []),
        (1, ["CLIENT", "CACHING", "YES"], []),
        (1, ["GET", "kept"], []),
        (0, ["MSET", "skipped", "1", "kept", "2"], [(1, 1), (0, 0)]),
        (1, ["FLUSHDB"], [(0, 1), (2, 1)]),
        (2, ["CLIENT", "TRACKINGINFO"], []),
    ]
    assert transcript(server.port, sequence) == transcript(oracle.port, sequence)


def test_resp2_redirect_sends_invalidations_on_the_invalidate_channel(server, r):
    listener = RawClient(server.port)
    listener_id = int(listener.call("CLIENT", "ID")[1:-2])
    listener.call("SUBSCRIBE", "__redis__:invalidate")
    tracked = RawClient(server.port)
    assert tracked.call("CLIENT", "TRACKING", "ON", "REDIRECT", str(listener_id)) == b"+OK\r\n"
    assert tracked.call("CLIENT", "GETREDIR") == b":%d\r\n" % listener_id
    tracked.call("GET", "watched:key")
    r.set("watched:key", "new")
    assert listener.read_reply() == (
        b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$11\r\nwatched:key\r\n"
    )
    listener.close()
    tracked.close()


def test_a_vanished_redirect_target_is_reported_to_a_resp3_client(server, oracle):
    replies = []
    for port in (server.port, oracle.port):
        target, tracked, writer = RawClient(port), RawClient(port), RawClient(port)
        target_id = target.call("CLIENT", "ID")[1:-2]
        tracked.call("HELLO", "3")
        tracked.call("CLIENT", "TRACKING", "ON", "REDIRECT", target_id)
        tracked.call("GET", "k")
        target.close()
        time.sleep(0.05)
        writer.call("SET", "k", "v")
        hidden = b":%s\r\n" % target_id  # ids differ between the servers
        push = tracked.read_reply().replace(hidden, b":<id>\r\n")
        info = tracked.call("CLIENT", "TRACKINGINFO").replace(hidden, b":<id>\r\n")
        replies.append((push, info))
        tracked.close()
        writer.close()
    assert replies[0] == replies[1]


@pytest.mark.parametrize(
    "command",
    [
        ["CLIENT", "TRACKING", "ON", "PREFIX", "a"],
        ["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"],
        ["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"],
        ["CLIENT", "TRACKING", "ON", "REDIRECT", "999999"],
        ["CLIENT", "TRACKING", "ON", "REDIRECT", "x"],
        ["CLIENT", "TRACKING", "MAYBE"],
        ["CLIENT", "TRACKING", "ON", "FOO"],
        ["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab"],
        ["CLIENT", "CACHING", "YES"],
        ["CLIENT", "TRACKINGINFO"],
        ["CLIENT", "GETREDIR"],
        ["CLIENT", "TRACKING"],
    ],
)
def test_bad_and_idle_requests_answer_like_redis(server, oracle, command):
    ours, theirs = RawClient(server.port), RawClient(oracle.port)
    assert ours.call(*command) == theirs.call(*command)
    ours.close()
    theirs.close()


def test_redis_py_client_side_cache_sees_other_clients_changes(server, r, monkeypatch):
    # redis-py enables its cache only for servers that say they are Redis 7.4 or later; we say 7.0.15, the
    # version whose behaviour we follow, so the test lowers that gate (as a user of a 7.0 server would).
    monkeypatch.setattr(redis.connection.CacheProxyConnection, "MIN_ALLOWED_VERSION", "7.0.0")
    cached = redis.Redis(port=server.port, protocol=3, cache_config=CacheConfig())
    r.set("profile", "v1")
    assert cached.get("profile") == b"v1"
    gets_before = r.info("commandstats")["cmdstat_get"]["calls"]
    assert cached.get("profile") == b"v1"  # served from the local cache
    assert r.info("commandstats")["cmdstat_get"]["calls"] == gets_before
    r.set("profile", "v2")
    deadline = time.monotonic() + 5
    while cached.get("profile") != b"v2":
        assert time.monotonic() < deadline, "the cache was never invalidated"
        time.sleep(0.01)
    cached.close()


def test_keys_a_script_reads_are_tracked_for_its_caller(server, r):
    client = RawClient(server.port)
    client.call("HELLO", "3")
    client.call("CLIENT", "TRACKING", "ON")
    client.call("EVAL", "return redis.call('GET', KEYS[1])", "1", "scripted")
    r.set("scripted", "changed")
    assert client.read_reply() == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$8\r\nscripted\r\n"
    client.close()


def test_a_tracked_key_that_expires_is_invalidated(server, r):
    client = RawClient(server.port)
    client.call("HELLO", "3")
    client.call("CLIENT", "TRACKING", "ON")
    r.set("short", "lived", px=50)
    client.call("GET", "short")
    # Nobody touches the key again: the active expiry cycle deletes it and tells the tracking client.
    assert client.read_reply() == b">2\r\n$10\r\ninvalidate\r\n*1\r\n$5\r\nshort\r\n"
    client.close()
