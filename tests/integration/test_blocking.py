"""Blocking commands: clients wait without polling, are served oldest first, time out with millisecond
precision, and leave the queue when they disconnect or are unblocked."""

import socket
import threading
import time

import pytest
import redis

from ..servers import reply


def in_background(function, *args):
    """Run function in a thread; returns a getter that waits for its result."""
    result = {}

    def target():
        try:
            result["value"] = function(*args)
        except Exception as error:  # the test inspects it
            result["value"] = error

    thread = threading.Thread(target=target, daemon=True)
    thread.start()

    def get(timeout=5):
        thread.join(timeout)
        assert not thread.is_alive(), "the blocked command never returned"
        return result["value"]

    return get


def wait_for_blocked(r, count, timeout=5):
    deadline = time.monotonic() + timeout
    while r.info("clients")["blocked_clients"] != count:
        assert time.monotonic() < deadline, f"expected {count} blocked clients"
        time.sleep(0.01)


@pytest.fixture
def clients(server, r):
    made = []

    def make():
        client = redis.Redis(port=server.port, protocol=2, socket_timeout=10)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


def test_blpop_waits_for_a_push_from_another_client(r, clients):
    waiting = in_background(clients().blpop, ["queue"], 0)
    wait_for_blocked(r, 1)
    r.rpush("queue", "job")
    assert waiting() == (b"queue", b"job")
    assert r.exists("queue") == 0


def test_blocked_clients_are_served_in_the_order_they_blocked(r, clients):
    getters = []
    for index in range(3):
        getters.append(in_background(clients().brpop, ["fifo"], 5))
        wait_for_blocked(r, index + 1)
    r.rpush("fifo", "a", "b", "c")
    assert [get()[1] for get in getters] == [b"c", b"b", b"a"]


def test_a_timeout_returns_nil_after_that_many_milliseconds(r):
    started = time.monotonic()
    assert r.blpop(["nothing"], 0.15) is None
    assert 0.14 <= time.monotonic() - started < 1.0


def test_a_client_that_disconnects_while_blocked_leaves_the_queue(r, server):
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(b"*3\r\n$5\r\nBLPOP\r\n$4\r\ngone\r\n$1\r\n0\r\n")
    wait_for_blocked(r, 1)
    sock.close()
    wait_for_blocked(r, 0)
    r.rpush("gone", "kept")
    assert r.lrange("gone", 0, -1) == [b"kept"]


@pytest.mark.parametrize("reason, expected", [("TIMEOUT", None), ("ERROR", "UNBLOCKED")])
def test_client_unblock_ends_the_wait(r, clients, reason, expected):
    blocked = clients()
    blocked_id = blocked.client_id()
    waiting = in_background(blocked.blpop, ["never"], 0)
    wait_for_blocked(r, 1)
    assert r.execute_command("CLIENT", "UNBLOCK", blocked_id, reason) == 1
    result = waiting()
    if expected is None:
        assert result is None
    else:
        assert isinstance(result, redis.ResponseError) and str(result).startswith("UNBLOCKED client unblocked")
    assert r.execute_command("CLIENT", "UNBLOCK", blocked_id) == 0


def test_a_key_turned_into_another_type_fails_the_waiter_with_wrongtype(r, clients):
    waiting = in_background(clients().blpop, ["shifty"], 5)
    wait_for_blocked(r, 1)
    r.set("shifty", "now a string")
    result = waiting()
    assert isinstance(result, redis.ResponseError) and str(result).startswith("WRONGTYPE")


def test_blmove_to_a_list_someone_waits_on_wakes_them_too(r, clients):
    first = in_background(clients().blmove, "stage1", "stage2", 5, "LEFT", "RIGHT")
    wait_for_blocked(r, 1)
    second = in_background(clients().blpop, ["stage2"], 5)
    wait_for_blocked(r, 2)
    r.rpush("stage1", "item")
    assert first() == b"item"
    assert second() == (b"stage2", b"item")


def test_commands_pipelined_after_a_blocking_one_run_once_it_is_served(r, server):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"BLPOP later 0\r\nPING\r\n")
        wait_for_blocked(r, 1)
        r.lpush("later", "x")
        sock.settimeout(5)
        data = b""
        while not data.endswith(b"+PONG\r\n"):
            data += sock.recv(1024)
        assert data == b"*2\r\n$5\r\nlater\r\n$1\r\nx\r\n+PONG\r\n"


def test_blmpop_and_brpoplpush_serve_at_once_when_data_is_there(r):
    r.rpush("m", "1", "2", "3")
    assert r.execute_command("BLMPOP", 0, 2, "none", "m", "RIGHT", "COUNT", 2) == [b"m", [b"3", b"2"]]
    assert r.execute_command("BRPOPLPUSH", "m", "dest", 0) == b"1"
    assert r.lrange("dest", 0, -1) == [b"1"]


@pytest.mark.parametrize(
    "command",
    [
        ("BLPOP", "k", "-1"),
        ("BLPOP", "k", "soon"),
        ("BLPOP", "k", "inf"),
        ("BLMOVE", "a", "b", "UP", "LEFT", "0"),
        ("BLMPOP", "x", "1", "a", "LEFT"),
        ("BLMPOP", "0", "0", "a", "LEFT"),
        ("BLMPOP", "0", "1", "a", "LEFT", "COUNT", "0"),
        ("BLMPOP", "x", "0", "a", "LEFT"),
        ("BLPOP", "str", "0"),
        ("BRPOPLPUSH", "str", "dest", "0"),
        ("BLPOP",),
        ("BZPOPMIN", "k", "-1"),
        ("BZPOPMAX", "k", "soon"),
        ("BZPOPMIN", "str", "0"),
        ("BZPOPMAX", "k"),
        ("BZMPOP", "x", "0", "a", "MIN"),
        ("BZMPOP", "x", "1", "a", "MIN"),
        ("BZMPOP", "0", "1", "a", "MIN", "COUNT", "0"),
        ("BZMPOP", "0", "1", "a", "UP"),
        ("BZMPOP", "0", "1", "str", "MAX"),
        ("BZMPOP", "0", "2", "a", "MIN"),
        # timeouts are read with strtold: hex is a number, underflow is not, past LLONG_MAX ms is "negative"
        ("BLPOP", "k", "0x1p-7"),
        ("BLPOP", "k", "1e-5000"),
        ("BLPOP", "k", "0x"),
        ("BLPOP", "k", " 1"),
        ("BLPOP", "k", "nan"),
        ("BLPOP", "k", "9223372036854775.808"),
        ("BLPOP", "k", "1e5000"),
    ],
)
def test_bad_requests_get_redis_errors(lite, o, command):
    for client in (lite, o):
        client.set("str", "x")
    assert reply(lite, *command) == reply(o, *command)


def test_timeouts_reply_like_redis_in_resp2_and_resp3(server, oracle):
    for protocol in (2, 3):
        replies = []
        for port in (server.port, oracle.port):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                hello = b"HELLO 3\r\n" if protocol == 3 else b""
                sock.sendall(
                    hello + b"BLPOP none 0.01\r\nBRPOPLPUSH none x 0.01\r\nBLMPOP 0.01 1 none LEFT\r\n"
                    b"BZPOPMIN none 0.01\r\nBZMPOP 0.01 1 none MAX\r\nDEL z\r\nZADD z 1.5 a 2 b inf c\r\n"
                    b"BZPOPMIN none z 0\r\nBZPOPMAX z 0\r\nBZMPOP 0 1 z MIN COUNT 3\r\nPING\r\n"
                )
                sock.settimeout(5)
                data = b""
                while not data.endswith(b"+PONG\r\n"):
                    data += sock.recv(4096)
                replies.append(data.split(b"\r\n", 1)[1] if protocol == 3 else data)
        if protocol == 3:  # the HELLO maps differ (server name, version, id); compare what follows them
            replies = [data[data.index(b"_\r\n") :] for data in replies]
        assert replies[0] == replies[1]


def test_bzpopmin_waits_for_a_zadd_and_gets_key_member_and_score(r, clients):
    waiting = in_background(clients().bzpopmin, ["zq", "other"], 0)
    wait_for_blocked(r, 1)
    r.zadd("zq", {"b": 2, "a": 1})
    assert waiting() == (b"zq", b"a", 1.0)
    assert r.zrange("zq", 0, -1) == [b"b"]


def test_several_zset_waiters_are_served_in_order_one_member_each(r, clients):
    getters = []
    for index in range(4):
        getters.append(in_background(clients().bzpopmax, ["scores"], 5))
        wait_for_blocked(r, index + 1)
    r.zadd("scores", {"low": 1, "mid": 2, "high": 3})
    served = [get() for get in getters[:3]]
    assert served == [(b"scores", b"high", 3.0), (b"scores", b"mid", 2.0), (b"scores", b"low", 1.0)]
    wait_for_blocked(r, 1)  # the fourth still waits: the emptied key is gone
    assert r.exists("scores") == 0
    r.zadd("scores", {"late": 9})
    assert getters[3]() == (b"scores", b"late", 9.0)


def test_bzmpop_wakes_on_a_zunionstore_into_its_key(r, clients):
    waiting = in_background(clients().execute_command, "BZMPOP", 0, 1, "dest", "MIN", "COUNT", 5)
    wait_for_blocked(r, 1)
    r.zadd("src", {"x": 1, "y": 2})
    r.zunionstore("dest", ["src"])
    assert waiting() == [b"dest", [[b"x", b"1"], [b"y", b"2"]]]


def test_many_clients_racing_on_blocking_pops_each_get_exactly_one_member(r, clients):
    getters = [in_background(clients().bzpopmin, ["race"], 5) for _ in range(20)]
    wait_for_blocked(r, 20)
    pusher = clients()
    for index in range(20):
        pusher.zadd("race", {f"m{index}": index})
    members = sorted(get()[1] for get in getters)
    assert members == sorted(f"m{index}".encode() for index in range(20))
    assert r.exists("race") == 0
