"""TLS on the tls-port: real clients (redis-cli --tls, redis-py sync and asyncio, raw ssl sockets) against a
RedisLite process with a throwaway CA (tests/tls_certs.py); the settings compared with a real redis-server's."""

import asyncio
import socket
import ssl
import subprocess
import sys
import time

import httpx
import pytest
import redis
import redis.asyncio

from ..servers import ServerProcess, free_port, real_redis, redis_server_path, redislite, wait_until
from ..tls_certs import KEY_PASSWORD, make_certificates


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


def tls_server(certs, tmp_path, *extra: str, **options):
    """A RedisLite with a plain port and a tls-port (`process.tls_port`), logs in tmp_path/server.log."""
    tls_port = free_port()
    process = redislite(
        "--save", "", "--tls-port", str(tls_port), *certs.server_args(*extra), cwd=tmp_path,
        stderr_path=tmp_path / "server.log", **options,
    )  # fmt: skip
    process.tls_port = tls_port
    return process


@pytest.fixture
def server(certs, tmp_path):
    with tls_server(certs, tmp_path) as process:
        yield process


def tls_client(certs, process, **options) -> redis.Redis:
    return redis.Redis(port=process.tls_port, **certs.redis_py_options(), **options)


def handshake(port: int, context: ssl.SSLContext) -> str:
    """A raw TLS connection: the protocol agreed, after a PING answered over it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(100) == b"+PONG\r\n"
            return sock.version() or ""


def tls_socket(port: int, context: ssl.SSLContext) -> ssl.SSLSocket:
    return context.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5), server_hostname="localhost")


def refused(port: int, context: ssl.SSLContext) -> bool:
    """Whether the server refuses this client: the handshake fails, or (TLS 1.3, where the server checks the
    client's certificate after the client has finished) the first request finds the connection closed."""
    try:
        handshake(port, context)
    except (ssl.SSLError, ConnectionError, AssertionError, TimeoutError):
        return True
    return False


def clients_connected(port: int) -> int:
    with redis.Redis(port=port) as client:
        return client.info("clients")["connected_clients"]


# -- clients ------------------------------------------------------------------------------------------------


def test_redis_cli_over_tls_pings_sets_and_gets(certs, server):
    def cli(*args: str) -> str:
        command = ["redis-cli", "-p", str(server.tls_port), *certs.redis_cli_args(), *args]
        return subprocess.run(command, capture_output=True, text=True, timeout=10).stdout.strip()

    assert cli("PING") == "PONG"
    assert cli("SET", "greeting", "hello over tls") == "OK"
    assert cli("GET", "greeting") == "hello over tls"
    with redis.Redis(port=server.port) as plain:  # the plain port beside it sees the same data
        assert plain.get("greeting") == b"hello over tls"


def test_redis_py_sync_pipelines_a_large_batch_and_a_10_mb_value(certs, server):
    with tls_client(certs, server) as client:
        pipe = client.pipeline(transaction=False)
        for i in range(20000):
            pipe.set(f"key:{i}", i)
        assert all(pipe.execute())
        pipe = client.pipeline(transaction=False)
        for i in range(20000):
            pipe.get(f"key:{i}")
        assert pipe.execute() == [str(i).encode() for i in range(20000)]
        big = bytes(range(256)) * (10 * 1024 * 1024 // 256)
        assert client.set("big", big)
        assert client.get("big") == big
        assert client.dbsize() == 20001


def test_resp3_hello_over_tls(certs, server):
    with tls_client(certs, server, protocol=3) as client:
        hello = client.execute_command("HELLO", "3")
        assert hello[b"proto"] == 3
        client.hset("h", mapping={"a": "1"})
        assert client.hgetall("h") == {b"a": b"1"}  # a RESP3 map


def test_redis_py_asyncio_over_tls(certs, server):
    async def scenario():
        client = redis.asyncio.Redis(port=server.tls_port, max_connections=50, **certs.redis_py_options())
        try:
            await client.set("async", "yes")
            results = await asyncio.gather(*(client.incr("counter") for _ in range(50)))  # 50 connections
            return await client.get("async"), sorted(results)[-1]
        finally:
            await client.aclose()

    assert asyncio.run(scenario()) == (b"yes", 50)


def test_info_counts_tls_clients(certs, server):
    before = clients_connected(server.port)
    with tls_client(certs, server) as first, tls_client(certs, server) as second:
        first.ping()
        second.ping()
        assert clients_connected(server.port) == before + 2
        on_tls_port = [line for line in first.client_list() if line["laddr"].endswith(f":{server.tls_port}")]
        assert len(on_tls_port) == 2
    wait_until(lambda: clients_connected(server.port) == before)


def test_tls_port_alone_with_port_0(certs, tmp_path):
    tls_port = free_port()
    command = [sys.executable, "-m", "redislite", "--port", "0", "--http-port", "0", "--save", ""]
    command += ["--tls-port", str(tls_port), *certs.server_args()]
    with ServerProcess(command, tls_port, cwd=tmp_path):
        with redis.Redis(port=tls_port, **certs.redis_py_options()) as client:
            assert client.ping()
            assert client.config_get("port") == {"port": "0"}


# -- who may connect ----------------------------------------------------------------------------------------


def test_tls_auth_clients_yes_refuses_a_client_without_a_certificate_or_with_a_strangers(certs, server):
    assert refused(server.tls_port, certs.client_context(with_certificate=False))
    stranger = certs.client_context(with_certificate=False)
    stranger.load_cert_chain(str(certs.stranger_cert), str(certs.stranger_key))
    assert refused(server.tls_port, stranger)
    assert not refused(server.tls_port, certs.client_context())
    with pytest.raises(redis.ConnectionError):
        redis.Redis(port=server.tls_port, **certs.redis_py_options(with_certificate=False)).ping()


@pytest.mark.parametrize("setting", ["optional", "no"])
def test_tls_auth_clients_optional_and_no_accept_a_client_without_a_certificate(certs, tmp_path, setting):
    with tls_server(certs, tmp_path, "--tls-auth-clients", setting) as process:
        assert not refused(process.tls_port, certs.client_context(with_certificate=False))
        stranger = certs.client_context(with_certificate=False)
        stranger.load_cert_chain(str(certs.stranger_cert), str(certs.stranger_key))
        # optional still checks a certificate that is presented; no ignores it
        assert refused(process.tls_port, stranger) == (setting == "optional")


def test_tls_protocols_restricts_the_versions(certs, tmp_path):
    with tls_server(certs, tmp_path, "--tls-protocols", "TLSv1.3") as process:
        old = certs.client_context()
        old.maximum_version = ssl.TLSVersion.TLSv1_2
        assert refused(process.tls_port, old)
        assert handshake(process.tls_port, certs.client_context()) == "TLSv1.3"
    with tls_server(certs, tmp_path, "--tls-protocols", "TLSv1.2") as process:
        assert handshake(process.tls_port, certs.client_context()) == "TLSv1.2"


def test_a_password_protected_key_needs_tls_key_file_pass(certs, tmp_path):
    tls_port = free_port()
    common = ["--save", "", "--tls-port", str(tls_port), "--tls-cert-file", str(certs.server_cert)]
    common += ["--tls-key-file", str(certs.server_key_encrypted), "--tls-ca-cert-file", str(certs.ca_cert)]
    with redislite(*common, "--tls-key-file-pass", KEY_PASSWORD, cwd=tmp_path) as process:
        process.tls_port = tls_port
        with tls_client(certs, process) as client:
            assert client.ping()
    command = [sys.executable, "-m", "redislite", "--port", str(free_port()), "--http-port", "0", *common]
    failed = subprocess.run(command + ["--tls-key-file-pass", "wrong"], capture_output=True, text=True, timeout=30)
    assert failed.returncode == 1
    assert "failed to configure TLS" in failed.stderr


# -- hostile and idle clients -------------------------------------------------------------------------------


def test_a_plain_text_client_on_the_tls_port_is_dropped_and_others_are_served(certs, tmp_path):
    with tls_server(certs, tmp_path, "--tls-handshake-timeout", "1") as process, tls_client(certs, process) as good:
        good.set("before", "1")
        with socket.create_connection(("127.0.0.1", process.tls_port), timeout=5) as plain:
            plain.sendall(b"PING\r\n")
            try:
                answer = plain.recv(100)
            except ConnectionResetError:
                answer = b""
            assert b"PONG" not in answer  # a TLS alert at most, then the close
            assert plain.recv(100) == b""
        # one that says nothing at all is dropped after tls-handshake-timeout and no longer counted
        before = clients_connected(process.port)
        silent = socket.create_connection(("127.0.0.1", process.tls_port))
        wait_until(lambda: clients_connected(process.port) == before + 1)  # a client from its accept on
        wait_until(lambda: clients_connected(process.port) == before, timeout=5)
        silent.settimeout(2)
        assert silent.recv(100) == b""
        silent.close()
        assert good.get("before") == b"1"
        assert good.incr("after") == 1
    log = (tmp_path / "server.log").read_text()
    assert "tls_handshake_failed" in log
    assert "Traceback" not in log and '"level": "error"' not in log


# -- CONFIG ---------------------------------------------------------------------------------------------------


def config_reply(port: int, *args: str):
    with redis.Redis(port=port, decode_responses=True) as client:
        try:
            return client.execute_command("CONFIG", *args)
        except redis.ResponseError as error:
            return ("error", str(error))


TLS_PARAMETERS = "tls-*"


@pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")
def test_config_get_tls_matches_redis_server(tmp_path):
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    ours_dir.mkdir()
    theirs_dir.mkdir()
    with redislite("--save", "", cwd=ours_dir) as ours, real_redis(cwd=theirs_dir) as theirs:
        assert config_reply(ours.port, "GET", TLS_PARAMETERS) == config_reply(theirs.port, "GET", TLS_PARAMETERS)
        # without TLS in use nothing is read, so any file name is taken; bad enum values are refused alike
        for name, value in [("tls-cert-file", "/nonexistent"), ("tls-auth-clients", "maybe")]:
            assert config_reply(ours.port, "SET", name, value) == config_reply(theirs.port, "SET", name, value)


@pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")
def test_config_set_of_a_bad_tls_setting_fails_as_redis_and_changes_nothing(certs, tmp_path):
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    ours_dir.mkdir()
    theirs_dir.mkdir()
    theirs_tls = free_port()
    with (
        tls_server(certs, ours_dir) as ours,
        real_redis("--tls-port", str(theirs_tls), *certs.server_args(), cwd=theirs_dir) as theirs,
    ):
        for name, value in [
            ("tls-cert-file", "/nonexistent"),
            ("tls-protocols", "TLSv1.9"),
            ("tls-ciphers", "bogus"),
            ("tls-ciphersuites", "bogus"),
            ("tls-session-cache-size", "-1"),
        ]:
            expected = config_reply(theirs.port, "SET", name, value)
            assert expected[0] == "error"
            assert config_reply(ours.port, "SET", name, value) == expected
            assert config_reply(ours.port, "GET", name) == config_reply(theirs.port, "GET", name)
        with tls_client(certs, ours) as client:
            assert client.ping()  # the old context still serves


def test_config_set_rebuilds_the_context_for_new_connections(certs, server):
    kept = certs.client_context()
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=5) as raw:
        with kept.wrap_socket(raw, server_hostname="localhost") as open_before:
            open_before.sendall(b"PING\r\n")
            assert open_before.recv(100) == b"+PONG\r\n"
            assert config_reply(server.port, "SET", "tls-protocols", "TLSv1.3") == "OK"
            old = certs.client_context()
            old.maximum_version = ssl.TLSVersion.TLSv1_2
            assert refused(server.tls_port, old)
            assert config_reply(server.port, "SET", "tls-auth-clients", "no") == "OK"
            assert not refused(server.tls_port, certs.client_context(with_certificate=False))
            open_before.sendall(b"PING\r\n")  # a connection keeps the context it was accepted with
            assert open_before.recv(100) == b"+PONG\r\n"


@pytest.mark.parametrize(("setting", "resumed"), [("yes", True), ("no", False)])
def test_tls_session_caching_lets_a_client_resume(certs, tmp_path, setting, resumed):
    with tls_server(certs, tmp_path, "--tls-session-caching", setting, "--tls-protocols", "TLSv1.2") as process:
        context = certs.client_context()
        with socket.create_connection(("127.0.0.1", process.tls_port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost") as first:
                first.sendall(b"PING\r\n")
                first.recv(100)
                session = first.session
        with socket.create_connection(("127.0.0.1", process.tls_port), timeout=5) as raw:
            with context.wrap_socket(raw, server_hostname="localhost", session=session) as second:
                second.sendall(b"PING\r\n")
                assert second.recv(100) == b"+PONG\r\n"
                assert second.session_reused is resumed


# -- HTTPS --------------------------------------------------------------------------------------------------------


def test_the_http_api_serves_https_with_http_tls(certs, tmp_path):
    http_port = free_port()
    with tls_server(certs, tmp_path, "--http-tls", "yes", "--tls-auth-clients", "optional", http_port=http_port) as p:
        deadline = time.monotonic() + 10
        while True:
            try:
                with httpx.Client(verify=certs.client_context(with_certificate=False)) as http:
                    health = http.get(f"https://localhost:{http_port}/health")
                break
            except httpx.ConnectError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert health.status_code == 200
        with httpx.Client(verify=certs.client_context()) as http:
            answer = http.post(f"https://localhost:{http_port}/api/command", json=["SET", "web", "ok"])
            assert answer.status_code == 200
        with redis.Redis(port=p.port) as plain:
            assert plain.get("web") == b"ok"
        with pytest.raises(httpx.HTTPError):  # plain HTTP on the HTTPS port gets no answer
            httpx.get(f"http://127.0.0.1:{http_port}/health", timeout=3)


def test_http_tls_without_a_certificate_refuses_to_start(tmp_path):
    command = [sys.executable, "-m", "redislite", "--port", str(free_port()), "--http-port", str(free_port())]
    failed = subprocess.run(command + ["--http-tls", "yes"], capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert failed.returncode == 1
    assert "tls-cert-file" in failed.stderr


@pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")
def test_config_set_tls_port_opens_moves_and_closes_the_listener_as_redis(certs, tmp_path):
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    ours_dir.mkdir()
    theirs_dir.mkdir()
    files = [word.removeprefix("--") for word in certs.server_args()]
    with redislite("--save", "", cwd=ours_dir) as ours, real_redis(cwd=theirs_dir) as theirs:
        replies = []
        for server in (ours, theirs):
            server.tls_port = free_port()
            replies.append(
                [
                    config_reply(server.port, "SET", "tls-port", str(server.tls_port)),  # no certificate: refused
                    config_reply(server.port, "SET", "tls-port", str(server.tls_port), *files),
                    config_reply(server.port, "SET", "tls-port", str(server.port)),  # taken: the old one stays
                    config_reply(server.port, "GET", "tls-port") == {"tls-port": str(server.tls_port)},
                ]
            )
            with redis.Redis(port=server.tls_port, **certs.redis_py_options()) as client:
                assert client.ping()
        assert replies[0] == replies[1]
        assert replies[0][1:] == ["OK", replies[0][2], True] and replies[0][2][0] == "error"
        assert config_reply(ours.port, "SET", "tls-port", "0") == "OK"
        with pytest.raises(redis.ConnectionError):
            redis.Redis(port=ours.tls_port, **certs.redis_py_options()).ping()


def test_a_tls_client_waits_out_a_busy_script_that_a_plain_client_kills(certs, tmp_path):
    """busy.py serves clients by reading their sockets while a script holds the loop; a TLS client's socket
    carries ciphertext only its TLS transport can read, so its command waits for the script instead."""
    with tls_server(certs, tmp_path, "--busy-reply-threshold", "100") as process:
        context = certs.client_context()
        with tls_socket(process.tls_port, context) as busy, tls_socket(process.tls_port, context) as other:
            busy.sendall(b"EVAL 'while true do end' 0\r\n")
            time.sleep(0.5)  # past busy-reply-threshold
            other.sendall(b"PING\r\n")
            time.sleep(0.3)  # read by nobody while the script runs
            with redis.Redis(port=process.port, socket_timeout=5) as plain:
                assert plain.execute_command("SCRIPT", "KILL") == b"OK"
            busy.settimeout(5)
            other.settimeout(5)
            assert busy.recv(200).startswith(b"-")  # the script was killed
            assert other.recv(100) == b"+PONG\r\n"
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_a_client_in_the_middle_of_its_handshake_does_not_hold_up_shutdown(certs, tmp_path):
    process = tls_server(certs, tmp_path).start()
    try:
        silent = socket.create_connection(("127.0.0.1", process.tls_port))
        wait_until(lambda: clients_connected(process.port) == 2)  # it, and the one asking
        started = time.monotonic()
        process.process.terminate()
        process.process.wait(timeout=10)
        assert time.monotonic() - started < 1.5  # not the 2 s stop waits for clients, nor the 10 s handshake
        silent.close()
    finally:
        process.stop()
    assert process.process.returncode == 0
    assert "Traceback" not in (tmp_path / "server.log").read_text()


def test_tls_ca_cert_dir_is_read_like_a_ca_file(certs, tmp_path):
    authorities = tmp_path / "authorities"
    authorities.mkdir()
    (authorities / "ca.pem").write_bytes(certs.ca_cert.read_bytes())
    subprocess.run(["openssl", "rehash", str(authorities)], check=True, capture_output=True)  # hashed names
    tls_port = free_port()
    files = ["--tls-cert-file", str(certs.server_cert), "--tls-key-file", str(certs.server_key)]
    with redislite("--save", "", "--tls-port", str(tls_port), *files, "--tls-ca-cert-dir", str(authorities)) as p:
        assert handshake(tls_port, certs.client_context()) in ("TLSv1.2", "TLSv1.3")
        stranger = certs.client_context(with_certificate=False)
        stranger.load_cert_chain(str(certs.stranger_cert), str(certs.stranger_key))
        assert refused(tls_port, stranger)
        assert config_reply(p.port, "GET", "tls-ca-cert-dir") == {"tls-ca-cert-dir": str(authorities)}
