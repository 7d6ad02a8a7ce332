"""Protected mode and bind, seen from off the loopback interface: the test makes a network namespace joined to
this one by a veth pair (10.x addresses), runs its clients inside it, and compares what RedisLite and a real
redis-server 7.0 send them. Skipped, saying why, where namespaces cannot be made (not root, no `ip`)."""

import json
import shutil
import socket
import subprocess
import sys
import uuid

import pytest
import redis

from redislite import errors
from tests.servers import free_port, real_redis, redis_server_path, redislite, wait_for_port

DENIED = errors.PROTECTED_MODE_DENIED

# what the client in the namespace runs: connect, send argv[3] (hex), print every byte received until EOF or
# a quiet second, and whether the server closed the connection
RAW_CLIENT = """
import socket, sys
sock = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
sock.sendall(bytes.fromhex(sys.argv[3]))
sock.settimeout(1.0)
data, closed = b"", False
try:
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            closed = True
            break
        data += chunk
except socket.timeout:
    pass
except OSError:  # reset: closed too
    closed = True
print(data.hex(), closed)
"""

HTTP_CLIENT = """
import http.client, sys
connection = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=5)
connection.request("POST", "/api/command", body=sys.argv[3], headers={"content-type": "application/json"})
response = connection.getresponse()
print(response.status, response.getheader("connection"), response.read().decode())
"""


class Namespace:
    """A network namespace reached through a veth pair: this side has `host_ip`, the namespace `remote_ip`."""

    def __init__(self):
        tag = uuid.uuid4().hex[:6]
        self.name = f"rlt{tag}"
        self.link = f"rl{tag}h"
        number = int(tag, 16)
        self.host_ip = f"10.{200 + number % 50}.{(number >> 8) % 256}.{(number % 64) * 4 + 1}"
        self.remote_ip = self.host_ip.rsplit(".", 1)[0] + "." + str(int(self.host_ip.rsplit(".", 1)[1]) + 1)

    def create(self) -> None:
        for command in (
            f"ip netns add {self.name}",
            f"ip link add {self.link} type veth peer name {self.link[:-1]}n netns {self.name}",
            f"ip addr add {self.host_ip}/30 dev {self.link}",
            f"ip link set {self.link} up",
            f"ip -n {self.name} addr add {self.remote_ip}/30 dev {self.link[:-1]}n",
            f"ip -n {self.name} link set {self.link[:-1]}n up",
            f"ip -n {self.name} link set lo up",
        ):
            subprocess.run(command.split(), check=True, capture_output=True, timeout=10)

    def remove(self) -> None:
        subprocess.run(["ip", "link", "del", self.link], capture_output=True, timeout=10)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True, timeout=10)

    def run(self, script: str, *args: str) -> str:
        result = subprocess.run(
            ["ip", "netns", "exec", self.name, sys.executable, "-c", script, *args],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def exchange(self, port: int, payload: bytes) -> tuple[bytes, bool]:
        """What a client in the namespace receives from our host_ip:port after sending payload."""
        data, closed = self.run(RAW_CLIENT, self.host_ip, str(port), payload.hex()).split()
        return bytes.fromhex(data), closed == "True"

    def http(self, port: int, body: str) -> tuple[int, str, str]:
        status, connection, text = self.run(HTTP_CLIENT, self.host_ip, str(port), body).split(" ", 2)
        return int(status), connection, text


@pytest.fixture(scope="module")
def namespace():
    if shutil.which("ip") is None:
        pytest.skip("no `ip` command: cannot make a network namespace for a non-loopback client")
    space = Namespace()
    try:
        space.create()
    except (subprocess.CalledProcessError, OSError) as error:
        space.remove()
        detail = getattr(error, "stderr", b"") or str(error)
        pytest.skip(f"network namespaces are not permitted here ({detail!r}): cannot test non-loopback clients")
    try:
        yield space
    finally:
        space.remove()


PING = b"*1\r\n$4\r\nPING\r\n"


def test_a_remote_client_gets_redis_denied_text_and_is_closed(namespace, tmp_path):
    """Bound to every interface, no password: off-loopback clients are refused as redis-server refuses them."""
    with redislite("--bind", "* -::*", "--save", "", cwd=tmp_path) as server:
        assert namespace.exchange(server.port, b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n") == (DENIED, True)
        assert namespace.exchange(server.port, b"CONFIG GET protected-mode\r\n") == (DENIED, True)
        local = redis.Redis(port=server.port)
        assert local.exists("k") == 0  # the remote SET never ran
        assert local.ping() is True  # loopback clients are served
        assert local.info("stats")["rejected_connections"] == 2
    if redis_server_path() is None:
        return
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    with real_redis("--bind", "* -::*", cwd=real_dir) as real:
        assert namespace.exchange(real.port, PING) == (DENIED, True)


def test_a_password_or_protected_mode_no_lets_remote_clients_in(namespace, tmp_path):
    with redislite("--bind", "0.0.0.0", "--requirepass", "secret", "--save", "", cwd=tmp_path) as server:
        reply, closed = namespace.exchange(server.port, PING)
        assert (reply, closed) == (b"-NOAUTH Authentication required.\r\n", False)
        auth_then_ping = b"*2\r\n$4\r\nAUTH\r\n$6\r\nsecret\r\n" + PING
        assert namespace.exchange(server.port, auth_then_ping) == (b"+OK\r\n+PONG\r\n", False)
    with redislite("--bind", "0.0.0.0", "--protected-mode", "no", "--save", "", cwd=tmp_path) as server:
        assert namespace.exchange(server.port, PING) == (b"+PONG\r\n", False)


def test_config_set_protected_mode_applies_to_the_next_connections(namespace, tmp_path):
    with redislite("--bind", "0.0.0.0", "--save", "", cwd=tmp_path) as server:
        local = redis.Redis(port=server.port)
        assert namespace.exchange(server.port, PING) == (DENIED, True)
        local.config_set("protected-mode", "no")
        assert namespace.exchange(server.port, PING) == (b"+PONG\r\n", False)
        local.config_set("protected-mode", "yes")
        local.config_set("requirepass", "pw")  # a password lifts protected mode too
        assert namespace.exchange(server.port, PING) == (b"-NOAUTH Authentication required.\r\n", False)


def test_the_http_api_refuses_remote_requests_with_403_and_the_denied_text(namespace, tmp_path):
    http_port = free_port()
    with redislite("--bind", "0.0.0.0", "--save", "", http_port=http_port, cwd=tmp_path) as server:
        wait_for_port(http_port, server.process)
        status, connection, body = namespace.http(http_port, '["SET", "k", "v"]')
        assert (status, connection) == (403, "close")
        assert json.loads(body) == {"error": DENIED[1:-2].decode()}
        assert redis.Redis(port=server.port).exists("k") == 0
        redis.Redis(port=server.port).config_set("protected-mode", "no")
        status, _, body = namespace.http(http_port, '["SET", "k", "v"]')
        assert (status, json.loads(body)) == (200, {"result": "OK"})


def test_bind_takes_several_addresses_and_skips_a_missing_optional_one(namespace, tmp_path):
    """`127.0.0.1 <veth address> -10.x (absent) -::1`: listens on the first two (and ::1 where IPv6 exists);
    the namespace reaches the veth address and gets DENIED, not a refused connection."""
    missing = "10.254.254.254"
    bind = f"127.0.0.1 {namespace.host_ip} -{missing} -::1"
    with redislite("--bind", bind, "--save", "", cwd=tmp_path) as server:
        assert redis.Redis(port=server.port).ping() is True
        assert namespace.exchange(server.port, PING) == (DENIED, True)
        if socket.has_ipv6 and _ipv6_loopback():
            assert redis.Redis(host="::1", port=server.port).ping() is True


def test_a_missing_bind_address_without_the_dash_stops_the_start(tmp_path):
    server = redislite("--bind", "127.0.0.1 10.254.254.254", "--save", "", cwd=tmp_path)
    with pytest.raises(RuntimeError, match="exited"):
        server.start()
    server.stop()


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def test_every_interface_with_star_binds_ipv4_and_ipv6(tmp_path):
    with redislite("--bind", "* -::*", "--save", "", cwd=tmp_path) as server:
        assert redis.Redis(port=server.port).ping() is True
        if _ipv6_loopback():
            assert redis.Redis(host="::1", port=server.port).ping() is True
