"""Hostile clients (issue 19) that tests/integration/test_protocol_hostile.py (malformed frames, output limits),
test_http_hostile.py, test_busy_scripts.py and test_glob_patterns.py do not already cover: ten thousand idle
connections up to maxclients, a client that pipelines a million commands and never reads, nesting a million
arrays deep, and a script that allocates without bound. None may crash the server or keep memory once the
client is gone; a concurrent PING client measures how long the others wait (its worst round trip is printed:
the bounds are loose because the machine is shared, the figures are in the report)."""

import resource
import socket
import threading
import time

import pytest
import redis

from redislite import errors
from tests.servers import redislite, wait_until


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class PingMonitor:
    """PINGs the server every few milliseconds from its own connection; `worst_ms` is the slowest round trip."""

    def __init__(self, port: int):
        self.client = redis.Redis(port=port, socket_timeout=30)
        self.client.ping()
        self.worst_ms = 0.0
        self.count = 0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            try:
                assert self.client.ping() is True
            except redis.ResponseError as error:  # a busy script: BUSY is an answer too
                assert str(error).startswith("BUSY")
            self.worst_ms = max(self.worst_ms, (time.perf_counter() - started) * 1000)
            self.count += 1
            time.sleep(0.005)

    def __enter__(self) -> "PingMonitor":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        self.thread.join(timeout=30)
        self.client.close()


def raise_own_open_files_limit(wanted: int) -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the open-files hard limit ({hard}) is below {wanted}")
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def test_ten_thousand_idle_connections_fill_maxclients_and_the_next_is_refused(tmp_path):
    """maxclients 10000 (the default): 9,999 idle connections plus the PING monitor are all held; the next one
    is told "max number of clients reached"; PING keeps answering meanwhile; closing them returns the memory."""
    raise_own_open_files_limit(10_500)
    with redislite("--save", "", cwd=tmp_path) as server:
        pid = server.process.pid
        rss_before = rss_mb(pid)
        held = []
        try:
            with PingMonitor(server.port) as monitor:
                while len(held) < 9_999:
                    held.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
                control = held.pop()  # the 10,000th client: runs INFO, then makes room for the refused one
                wait_until(lambda: _connected_clients(server.port, control) == 10_000, timeout=60)
                rss_full = rss_mb(pid)
                extra = socket.create_connection(("127.0.0.1", server.port), timeout=10)
                assert extra.recv(100) == errors.MAX_CLIENTS_REACHED
                extra.close()
                control.close()
            worst = monitor.worst_ms
        finally:
            for sock in held:
                sock.close()
        client = redis.Redis(port=server.port)
        wait_until(lambda: client.info("clients")["connected_clients"] == 1, timeout=60)
        time.sleep(1.5)  # the cron hands freed memory back (malloc_trim) once a second
        rss_after = rss_mb(pid)
        print(
            f"\n10,000 connections: RSS {rss_before:.1f} MB before, {rss_full:.1f} MB with them, "
            f"{rss_after:.1f} MB after; worst PING {worst:.1f} ms over {monitor.count} PINGs"
        )
        assert client.info("stats")["rejected_connections"] == 1
        assert rss_after - rss_before < (rss_full - rss_before) / 2 + 5  # most of it is returned
        assert worst < 2_000  # accepting 10,000 connections never stalls the others for long


def _connected_clients(port: int, sock: socket.socket) -> int:
    sock.sendall(b"INFO clients\r\n")
    data = b""
    while b"connected_clients:" not in data or not data.endswith(b"\r\n\r\n"):
        data += sock.recv(65536)
    return int(data.split(b"connected_clients:")[1].split(b"\r\n")[0])


def test_a_client_pipelining_a_million_commands_without_reading_is_held_back(tmp_path):
    """The server stops reading from a client that does not read its replies (back-pressure): however much it
    sends, what the server holds for it stays bounded, others are served, and all of it goes when it leaves."""
    with redislite("--save", "", cwd=tmp_path) as server:
        pid = server.process.pid
        rss_before = rss_mb(pid)
        command = b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n"
        chunk = command * 10_000
        hostile = socket.create_connection(("127.0.0.1", server.port))
        hostile.settimeout(3.0)  # a send that blocks this long: the server has stopped reading
        sent = 0
        with PingMonitor(server.port) as monitor:
            try:
                while sent < 1_000_000:
                    hostile.sendall(chunk)
                    sent += 10_000
            except TimeoutError:
                pass
            rss_held = rss_mb(pid)
        client = redis.Redis(port=server.port)
        ran = int(client.get("counter"))
        hostile.close()
        wait_until(lambda: client.info("clients")["connected_clients"] == 1, timeout=30)
        time.sleep(1.5)
        rss_after = rss_mb(pid)
        print(
            f"\npipelined without reading: {sent:,} commands sent before the socket blocked, {ran:,} ran; "
            f"RSS {rss_before:.1f} MB before, {rss_held:.1f} MB while held, {rss_after:.1f} MB after; "
            f"worst PING {monitor.worst_ms:.1f} ms"
        )
        assert sent < 1_000_000 or ran < 1_000_000  # it was held back: the server did not run all it was sent
        assert rss_held - rss_before < 150  # bounded by the socket buffers and one read's replies
        assert rss_after - rss_before < 20
        # before the connection yielded after each large read, libuv's 32 reads in a row made PING wait 7 s
        assert monitor.worst_ms < 1_500


@pytest.mark.parametrize(
    "header",
    [b"*1\r\n", b"*2\r\n$4\r\nECHO\r\n", b"%1\r\n", b"~1\r\n", b">1\r\n"],
    ids=["array", "echo-array", "map", "set", "push"],
)
def test_nesting_a_million_levels_deep_is_a_protocol_error_not_a_recursion(tmp_path, header):
    """Inside a command (at a command boundary `%1` would be an inline command, as in Redis)."""
    with redislite("--save", "", cwd=tmp_path) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            try:
                sock.sendall(b"*1\r\n" + header * 1_000_000)
            except (BrokenPipeError, ConnectionResetError):
                pass  # refused after the first bytes, as Redis does
            reply = b""
            try:
                while chunk := sock.recv(65536):
                    reply += chunk
            except (ConnectionResetError, TimeoutError):
                pass
        assert reply.startswith(b"-ERR Protocol error:"), reply[:200]
        assert redis.Redis(port=server.port).ping() is True


def test_a_script_that_allocates_without_bound_fails_at_the_lua_memory_cap(tmp_path):
    """lua-max-memory (64 MB here): the script gets Lua's "not enough memory" as Redis reports a script error,
    the next scripts run (the garbage is collected), and the server's memory stays bounded."""
    grow = "local t = {} for i = 1, 1e9 do t[i] = string.rep('x', 100) .. i end"
    caught = "local ok, e = pcall(function() " + grow + " end) return tostring(e)"
    with redislite("--save", "", "--lua-max-memory", "64mb", cwd=tmp_path) as server:
        pid = server.process.pid
        client = redis.Redis(port=server.port, socket_timeout=60)
        rss_before = rss_mb(pid)
        with PingMonitor(server.port) as monitor:
            for _ in range(3):
                with pytest.raises(redis.ResponseError) as error:
                    client.eval(grow, 0)
                assert str(error.value).startswith("Error running script ")
                assert str(error.value).endswith(", not enough memory")
            assert client.eval(caught, 0) == b"not enough memory"
            assert client.eval("return #string.rep('x', 1024 * 1024)", 0) == 1024 * 1024
        rss_peak = rss_mb(pid)
        print(
            f"\nLua cap 64 MB: RSS {rss_before:.1f} MB before, {rss_peak:.1f} MB after four runs into the cap; "
            f"worst PING {monitor.worst_ms:.1f} ms (BUSY answers PING once the script passes busy-reply-threshold)"
        )
        assert rss_peak - rss_before < 64 * 2 + 30
