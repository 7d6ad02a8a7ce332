"""Passwords never show in SLOWLOG or MONITOR: the same commands against RedisLite and redis-server, with every
command slow-logged, and the logged arguments compared (Redis replaces them with "(redacted)")."""

import socket
import time

import pytest
import redis

from tests.servers import real_redis, redis_server_path, redislite

pytestmark = pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")

PASSWORD = "s3cret"
COMMANDS = [
    ("AUTH", PASSWORD),
    ("AUTH", "default", PASSWORD),
    ("AUTH", "default", "wrong-password"),
    ("HELLO", "2", "AUTH", "default", PASSWORD, "SETNAME", "auth"),
    ("HELLO", "2", "SETNAME", "name", "AUTH", "default", PASSWORD),
    ("CONFIG", "SET", "masterauth", "hidden-1", "maxmemory-samples", "5"),
    ("CONFIG", "SET", "requirepass", PASSWORD),
    ("ACL", "SETUSER", "someone", "on", ">" + PASSWORD, "+get"),
    ("ACL", "DELUSER", "someone"),
    ("ECHO", PASSWORD),  # other commands' arguments stay as they are
]


def resp(*args: str) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a.encode()) for a in args)


def run_and_log(port: int) -> tuple[list, list]:
    """Run COMMANDS on a raw connection with a MONITOR watching; returns (slowlog argument lists, MONITOR
    lines without their timestamps and addresses)."""
    admin = redis.Redis(port=port, password=PASSWORD, protocol=2)
    admin.config_set("slowlog-log-slower-than", 0)
    monitor = socket.create_connection(("127.0.0.1", port))
    monitor.sendall(resp("AUTH", PASSWORD) + resp("MONITOR"))
    time.sleep(0.2)
    admin.slowlog_reset()
    client = socket.create_connection(("127.0.0.1", port))
    client.sendall(b"".join(resp(*command) for command in COMMANDS))
    time.sleep(0.3)
    monitor.settimeout(1)
    seen = monitor.recv(65536).decode()
    monitor.close()
    client.close()
    slowlog = [entry["command"].split() for entry in reversed(admin.slowlog_get(100))]
    lines = [line.split("] ", 1)[1] for line in seen.split("\r\n") if "] " in line]
    return slowlog, lines


def test_slowlog_and_monitor_redact_passwords_as_redis_does():
    with real_redis("--requirepass", PASSWORD) as oracle, redislite("--requirepass", PASSWORD) as lite:
        expected, got = run_and_log(oracle.port), run_and_log(lite.port)
    assert got == expected
    slowlog, monitor_lines = got
    assert [b"AUTH", b"(redacted)"] in slowlog
    assert not [entry for entry in slowlog if PASSWORD.encode() in entry and entry[0] != b"ECHO"]
    assert not [line for line in monitor_lines if PASSWORD in line and not line.startswith('"ECHO"')]
