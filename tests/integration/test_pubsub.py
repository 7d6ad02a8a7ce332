"""Pub/sub over redis-py (RESP2 and RESP3) and raw sockets: delivery, patterns, shard channels, PUBSUB
introspection, the RESP2 subscribed context, and the output buffer limit for slow subscribers."""

import socket
import time

import pytest
import redis

from ..differential.resp import RawClient


def next_message(pubsub, timeout=5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = pubsub.get_message(timeout=0.1)
        if message is not None and message["type"] in ("message", "pmessage", "smessage"):
            return message
    raise AssertionError("no message arrived")


@pytest.mark.parametrize("protocol", [2, 3])
def test_subscribers_get_messages_and_publish_counts_them(server, protocol):
    publisher = redis.Redis(port=server.port, protocol=protocol)
    subscriber = redis.Redis(port=server.port, protocol=protocol)
    pubsub = subscriber.pubsub()
    pubsub.subscribe("news")
    pubsub.psubscribe("n*")
    time.sleep(0.05)
    assert publisher.publish("news", "hello") == 2
    first, second = next_message(pubsub), next_message(pubsub)
    assert (first["type"], first["channel"], first["data"]) == ("message", b"news", b"hello")
    assert (second["type"], second["pattern"], second["data"]) == ("pmessage", b"n*", b"hello")
    assert publisher.publish("other", "x") == 0
    pubsub.close()
    subscriber.close()
    publisher.close()


def test_resp3_connection_keeps_working_while_subscribed(server, r):
    client = RawClient(server.port)
    client.call("HELLO", "3")
    assert client.call("SUBSCRIBE", "c") == b">3\r\n$9\r\nsubscribe\r\n$1\r\nc\r\n:1\r\n"
    r.set("k", "v")
    assert client.call("GET", "k") == b"$1\r\nv\r\n"
    assert r.publish("c", "hi") == 1
    assert client.read_reply() == b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$2\r\nhi\r\n"
    assert client.call("PUBLISH", "c", "self") == b">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$4\r\nself\r\n"
    assert client.read_reply() == b":1\r\n"  # the message to itself comes before PUBLISH's reply
    client.close()


def test_resp2_subscribed_context_allows_only_redis_list(server, oracle):
    replies = []
    for port in (server.port, oracle.port):
        client = RawClient(port)
        client.call("SUBSCRIBE", "a", "b")
        client.read_reply()
        replies.append(
            [
                client.call("GET", "x"),
                client.call("CONFIG", "GET", "x"),
                client.call("PING"),
                client.call("PING", "hi"),
                client.call("MULTI"),
                client.call("PSUBSCRIBE", "p*"),
                client.call("SSUBSCRIBE", "s"),
                client.call("UNSUBSCRIBE", "a"),
                client.call("PUNSUBSCRIBE"),
                client.call("SUNSUBSCRIBE", "s", "t"),
            ]
        )
        client.call("UNSUBSCRIBE")
        replies[-1].append(client.call("GET", "x"))
        client.close()
    assert replies[0] == replies[1]


@pytest.mark.parametrize("resp3", [False, True])
def test_pubsub_introspection_and_publish_replies_match_redis(server, oracle, resp3):
    transcripts = []
    for port in (server.port, oracle.port):
        subscriber, publisher = RawClient(port), RawClient(port)
        if resp3:
            subscriber.call("HELLO", "3")
        transcript = [subscriber.call("SUBSCRIBE", "news")]
        transcript += [subscriber.call("PSUBSCRIBE", "ne*", "x?"), subscriber.read_reply()]
        transcript += [subscriber.call("SSUBSCRIBE", "shard")]
        for command in (
            ["PUBSUB", "CHANNELS"],
            ["PUBSUB", "CHANNELS", "n*"],
            ["PUBSUB", "NUMSUB", "news", "none"],
            ["PUBSUB", "NUMPAT"],
            ["PUBSUB", "SHARDCHANNELS"],
            ["PUBSUB", "SHARDNUMSUB", "shard"],
            ["PUBSUB", "CHANNELS", "a", "b"],
            ["PUBSUB", "NUMPAT", "x"],
            ["PUBSUB", "NOSUCH"],
            ["PUBLISH", "news", "m1"],
            ["PUBLISH", "xy", "m2"],
            ["SPUBLISH", "shard", "m3"],
            ["PUBLISH", "none", "m4"],
            ["PUBLISH", "news"],
        ):
            transcript.append(publisher.call(*command))
        transcript += [subscriber.read_reply() for _ in range(4)]  # message, pmessage, pmessage, smessage
        subscriber.close()
        publisher.close()
        transcripts.append(transcript)
    assert transcripts[0] == transcripts[1]


def test_subscriptions_end_with_the_connection_and_with_reset(server, r):
    client = RawClient(server.port)
    client.call("SUBSCRIBE", "gone")
    assert r.pubsub_numsub("gone") == [(b"gone", 1)]
    assert client.call("RESET") == b"+RESET\r\n"
    assert r.pubsub_numsub("gone") == [(b"gone", 0)]
    client.call("SUBSCRIBE", "gone")
    client.close()
    deadline = time.monotonic() + 5
    while r.pubsub_numsub("gone") != [(b"gone", 0)]:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_slow_subscriber_is_disconnected_at_the_output_buffer_limit(server, r):
    r.config_set("client-output-buffer-limit", "pubsub 1mb 256kb 1")
    try:
        slow = socket.create_connection(("127.0.0.1", server.port))
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(b"SUBSCRIBE firehose\r\n")
        time.sleep(0.1)
        payload = b"x" * 64 * 1024
        before = r.info("stats")["client_output_buffer_limit_disconnections"]
        for _ in range(200):  # 12.5 MB, never read by the subscriber
            if r.publish("firehose", payload) == 0:
                break
        assert r.pubsub_numsub("firehose") == [(b"firehose", 0)]
        assert r.info("stats")["client_output_buffer_limit_disconnections"] == before + 1
        assert r.ping()
        slow.close()
    finally:
        r.config_set("client-output-buffer-limit", "pubsub 32mb 8mb 60")
