"""What an attacker who reaches the port must not get (issue 19): DEBUG and the protected configs (`dir`,
`dbfilename`) are off unless enabled at start-up, a file name cannot hold a path, a browser's cross-protocol POST
is dropped, the request limits cannot be set below Redis's minimums, maxclients fits the open-files limit, and the
HTTP API closes half-sent requests. Error texts are compared with a real redis-server 7.0 where one is installed."""

import json
import resource
import socket
import time

import httpx
import pytest
import redis

from redislite import errors
from tests.servers import exchange, real_redis, redis_server_path, redislite, redislite_with_http, wait_until

needs_redis = pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")

DEBUG_REFUSED = errors.protected_command_refused("DEBUG", "enable-debug-command").decode().removeprefix("ERR ")


def error_of(client: redis.Redis, *args) -> str:
    with pytest.raises(redis.ResponseError) as caught:
        client.execute_command(*args)
    return str(caught.value)


@pytest.fixture(scope="module")
def default_server(tmp_path_factory):
    """Started as a user would start it: DEBUG and the protected configs at their defaults."""
    with redislite("--enable-debug-command", "no", "--save", "", cwd=tmp_path_factory.mktemp("defaults")) as server:
        yield server


@pytest.fixture(scope="module")
def oracle(tmp_path_factory):
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    with real_redis(cwd=tmp_path_factory.mktemp("oracle")) as server:
        yield server


# -- DEBUG -------------------------------------------------------------------------------------------------


def test_debug_is_refused_by_default_with_redis_text(default_server):
    client = redis.Redis(port=default_server.port)
    assert error_of(client, "DEBUG", "SLEEP", "0") == DEBUG_REFUSED
    assert error_of(client, "debug", "populate", "10") == DEBUG_REFUSED
    assert client.dbsize() == 0
    assert error_of(client, "DEBUG") == "wrong number of arguments for 'debug' command"  # arity comes first


@needs_redis
def test_debug_refusals_match_redis(default_server, oracle):
    # refused while queueing, as Redis's processCommand does: EXEC answers EXECABORT
    transaction = b"MULTI\r\nDEBUG SLEEP 0\r\nEXEC\r\n"
    reply, _ = exchange(default_server.port, transaction)
    assert reply.startswith(b"+OK\r\n-ERR DEBUG command not allowed") and b"-EXECABORT" in reply
    assert reply == exchange(oracle.port, transaction)[0]
    ours, theirs = redis.Redis(port=default_server.port), redis.Redis(port=oracle.port)
    for args in (("DEBUG", "SLEEP", "0"), ("DEBUG",), ("CONFIG", "SET", "enable-debug-command", "yes")):
        assert error_of(ours, *args) == error_of(theirs, *args)


@pytest.mark.parametrize("setting", ["yes", "local"])
def test_debug_runs_when_enabled_for_everyone_or_for_loopback(setting, tmp_path):
    with redislite("--enable-debug-command", setting, "--save", "", cwd=tmp_path) as server:
        client = redis.Redis(port=server.port)
        assert client.execute_command("DEBUG", "POPULATE", "5") == b"OK"
        assert client.dbsize() == 5
        assert client.config_get("enable-debug-command") == {"enable-debug-command": setting}


def test_enable_debug_command_takes_only_no_yes_or_local(tmp_path):
    server = redislite("--enable-debug-command", "maybe", cwd=tmp_path)
    with pytest.raises(RuntimeError, match="exited"):
        server.start()
    assert b"argument(s) must be one of the following: no, yes, local" in server.process.stderr.read()
    server.stop()


# -- protected configs and file names -----------------------------------------------------------------------


@needs_redis
@pytest.mark.parametrize(
    "args",
    [
        ("dir", "/tmp"),
        ("dbfilename", "evil.sh"),
        ("maxmemory", "1mb", "dir", "/"),
        ("enable-protected-configs", "yes"),
        ("appendfilename", "x.aof"),
        ("proto-max-bulk-len", "1000"),
        ("client-query-buffer-limit", "1048575"),
        ("proto-max-bulk-len", "1mb", "client-query-buffer-limit", "2k"),
    ],
)
def test_config_set_refusals_match_redis(default_server, oracle, args):
    ours, theirs = redis.Redis(port=default_server.port), redis.Redis(port=oracle.port)
    assert error_of(ours, "CONFIG", "SET", *args) == error_of(theirs, "CONFIG", "SET", *args)
    assert ours.config_get("dir") and ours.config_get("maxmemory") == {"maxmemory": "0"}  # nothing changed


def test_the_lowest_request_limits_redis_accepts_are_accepted(default_server):
    client = redis.Redis(port=default_server.port)
    assert client.config_set("proto-max-bulk-len", "1mb") is True
    assert client.config_set("client-query-buffer-limit", 1048576) is True
    client.config_set("proto-max-bulk-len", "512mb")
    client.config_set("client-query-buffer-limit", "1gb")


def test_save_cannot_write_outside_dir_by_default(default_server, tmp_path):
    """The classic attack: CONFIG SET dir /etc/cron.d, dbfilename x, SAVE. Each step is refused."""
    client = redis.Redis(port=default_server.port)
    client.set("payload", "\n* * * * * root evil\n")
    assert "protected config" in error_of(client, "CONFIG", "SET", "dir", str(tmp_path))
    assert "protected config" in error_of(client, "CONFIG", "SET", "dbfilename", "evil.sh")
    assert client.save() is True
    assert list(tmp_path.iterdir()) == []
    client.delete("payload")


@pytest.mark.parametrize("setting", ["yes", "local"])
def test_enabled_protected_configs_still_refuse_a_path_as_file_name(setting, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with redislite("--enable-protected-configs", setting, "--save", "", cwd=data) as server:
        client = redis.Redis(port=server.port)
        for name in ("../escaped.rdb", "sub/x.rdb", "..\\x.rdb"):
            message = error_of(client, "CONFIG", "SET", "dbfilename", name)
            assert message == (
                "CONFIG SET failed (possibly related to argument 'dbfilename') - "
                "dbfilename can't be a path, just a filename"
            )
        assert client.config_set("dbfilename", "other.rdb") is True
        client.set("k", "v")
        assert client.save() is True
        assert sorted(path.name for path in tmp_path.rglob("*.rdb")) == ["other.rdb"]
        assert (data / "other.rdb").exists()


@pytest.mark.parametrize(
    "name, value, message",
    [
        ("dbfilename", "../x.rdb", "dbfilename can't be a path, just a filename"),
        ("appendfilename", "a/b.aof", "appendfilename can't be a path, just a filename"),
        ("appenddirname", "/tmp/aof", "appenddirname can't be a path, just a dirname"),
    ],
)
def test_a_path_as_file_name_stops_the_start(tmp_path, name, value, message):
    server = redislite(f"--{name}", value, cwd=tmp_path)
    with pytest.raises(RuntimeError, match="exited"):
        server.start()
    assert message.encode() in server.process.stderr.read()
    server.stop()


# -- cross-protocol scripting --------------------------------------------------------------------------------


CROSS_PROTOCOL = [
    b"POST /api HTTP/1.1\r\nHost: localhost:6379\r\nContent-Length: 20\r\n\r\nSET pwned 1\r\nPING\r\n",
    b"PING\r\nHost: evil\r\nSET pwned 1\r\n",
    b"PING\r\npost / HTTP/1.0\r\nSET pwned 1\r\n",
    b"*1\r\n$4\r\nPOST\r\n*3\r\n$3\r\nSET\r\n$5\r\npwned\r\n$1\r\n1\r\n",
]


@pytest.mark.parametrize("payload", CROSS_PROTOCOL)
def test_a_cross_protocol_post_closes_the_connection_and_runs_nothing(default_server, payload):
    reply, closed = exchange(default_server.port, payload)
    assert (reply, closed) == (b"", True)  # not even the replies before it (Redis frees the client at once)
    client = redis.Redis(port=default_server.port)
    assert client.exists("pwned") == 0
    assert client.ping() is True


@needs_redis
@pytest.mark.parametrize("payload", [*CROSS_PROTOCOL, b"PING\r\nHost:x\r\nPING\r\n", b"GET / HTTP/1.1\r\nPING\r\n"])
def test_cross_protocol_handling_matches_redis(default_server, oracle, payload):
    assert exchange(default_server.port, payload) == exchange(oracle.port, payload)


def test_the_attack_is_logged_once_a_minute(tmp_path):
    log_path = tmp_path / "server.log"
    with redislite("--save", "", cwd=tmp_path, stderr_path=log_path) as server:
        for _ in range(3):
            exchange(server.port, CROSS_PROTOCOL[0])
        redis.Redis(port=server.port).ping()
    events = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    attacks = [event for event in events if event["event"] == "security_attack"]
    assert len(attacks) == 1
    assert attacks[0]["warning"] == errors.CROSS_PROTOCOL_ATTACK
    assert attacks[0]["level"] == "warning"


# -- maxclients and the open-files limit ----------------------------------------------------------------------


def _limit_open_files(limit: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))

    return apply


def test_maxclients_is_lowered_to_fit_the_open_files_limit_and_extra_clients_get_the_error(tmp_path):
    """Under `ulimit -n 256` (hard limit too, so it cannot be raised), maxclients 10000 becomes 224; of 400
    clients 224 are served and every other one is told "max number of clients reached"."""
    log_path = tmp_path / "server.log"
    server = redislite("--save", "", cwd=tmp_path, stderr_path=log_path)
    server.start = _start_with(server, _limit_open_files(256))
    with server:
        assert redis.Redis(port=server.port).config_get("maxclients") == {"maxclients": "224"}
        sockets, refused = [], 0
        try:
            for _ in range(400):
                sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
                sockets.append(sock)
            for sock in sockets:
                sock.sendall(b"PING\r\n")
            for sock in sockets:
                reply = sock.recv(100)
                if reply == errors.MAX_CLIENTS_REACHED:
                    refused += 1
                else:
                    assert reply == b"+PONG\r\n"
        finally:
            for sock in sockets:
                sock.close()
        assert refused == 400 - 224
    events = [json.loads(line) for line in log_path.read_text().splitlines() if line.startswith("{")]
    reduced = [event for event in events if event["event"] == "maxclients_reduced"]
    assert reduced and reduced[0]["maxclients"] == 224 and reduced[0]["requested"] == 10000


def test_config_set_maxclients_beyond_the_open_files_limit_is_refused_as_redis_refuses_it(tmp_path):
    server = redislite("--save", "", cwd=tmp_path, stderr_path=tmp_path / "server.log")
    server.start = _start_with(server, _limit_open_files(256))
    with server:
        client = redis.Redis(port=server.port)
        message = error_of(client, "CONFIG", "SET", "maxclients", "1000")
        assert message == (
            "CONFIG SET failed (possibly related to argument 'maxclients') - The operating system is not able to "
            "handle the specified number of clients, try with 224"
        )
        assert client.config_get("maxclients") == {"maxclients": "224"}  # left as it was
        assert client.config_set("maxclients", 100) is True
        assert client.config_get("maxclients") == {"maxclients": "100"}
        if redis_server_path() is None:
            return
        real_dir = tmp_path / "real"
        real_dir.mkdir()
        oracle = real_redis(cwd=real_dir)
        oracle.start = _start_with(oracle, _limit_open_files(256))
        with oracle:
            assert error_of(redis.Redis(port=oracle.port), "CONFIG", "SET", "maxclients", "1000") == message


def _start_with(server, preexec):
    """server.start, with the child's limits set by `preexec` before it runs."""
    import subprocess

    from tests.servers import wait_for_port

    def start():
        with open(server.stderr_path or "/dev/null", "ab") as stderr:
            server.process = subprocess.Popen(
                server.command,
                cwd=server.cwd,
                env=server.env,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=preexec,
            )
        wait_for_port(server.port, server.process)
        return server

    return start


# -- the HTTP API's request deadline -------------------------------------------------------------------------


def test_half_sent_http_requests_are_closed_and_the_api_keeps_answering(tmp_path):
    """300 connections send half a request and stall (a slowloris); the API answers others meanwhile and closes
    every stalled connection after http-request-timeout (1 s here)."""
    with redislite_with_http("--http-request-timeout", "1", "--save", "", cwd=tmp_path) as server:
        stalled = []
        try:
            for number in range(300):
                sock = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
                if number % 2:  # half stop inside the headers, half inside the body
                    sock.sendall(b"POST /api/command HTTP/1.1\r\nHost: x\r\nContent-Le")
                else:
                    sock.sendall(b'POST /api/command HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n["PI')
                stalled.append(sock)
            started = time.monotonic()
            with httpx.Client(base_url=f"http://127.0.0.1:{server.http_port}", timeout=5) as api:
                response = api.post("/api/command", json=["PING"])
                assert (response.status_code, response.json()) == (200, {"result": "PONG"})
            assert time.monotonic() - started < 1.0
            closed = 0
            deadline = time.monotonic() + 10
            for sock in stalled:
                sock.settimeout(max(deadline - time.monotonic(), 0.1))
                try:
                    if sock.recv(100) in (b"",):
                        closed += 1
                except OSError:
                    closed += 1
            assert closed == 300
        finally:
            for sock in stalled:
                sock.close()


def test_a_slow_request_is_not_cut_while_its_command_runs(tmp_path):
    """The deadline covers reading the request, not serving it: a BLPOP that waits 1.5 s outlives a 1 s deadline."""
    with redislite_with_http("--http-request-timeout", "1", "--save", "", cwd=tmp_path) as server:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.http_port}", timeout=10) as api:
            response = api.post("/api/command", json=["BLPOP", "nothing", "1.5"])
            assert (response.status_code, response.json()) == (200, {"result": None})
            assert api.post("/api/command", json=["PING"]).json() == {"result": "PONG"}


def test_http_connections_over_maxclients_are_closed(tmp_path):
    with redislite_with_http("--maxclients", "20", "--save", "", cwd=tmp_path) as server:
        held = [socket.create_connection(("127.0.0.1", server.http_port), timeout=5) for _ in range(20)]
        try:
            extra = socket.create_connection(("127.0.0.1", server.http_port), timeout=5)
            extra.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                assert extra.recv(100) == b""
            except ConnectionResetError:
                pass
            extra.close()
        finally:
            for sock in held:
                sock.close()
        wait_until(lambda: httpx.get(f"http://127.0.0.1:{server.http_port}/health").status_code == 200)
