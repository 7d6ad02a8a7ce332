"""Start real server processes on free ports for tests: RedisLite and, when installed, redis-server."""

import gc
import os
import shutil
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


# Tests use DEBUG (RELOAD, SLEEP, POPULATE, ...), which Redis 7.0 refuses unless enabled at start-up
DEBUG_ENABLED = ("--enable-debug-command", "yes")


def with_debug_enabled(args) -> list[str]:
    """`args` with DEBUG enabled, unless they say otherwise themselves."""
    args = list(args)
    return args if "--enable-debug-command" in args else [*args, *DEBUG_ENABLED]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@asynccontextmanager
async def in_process_server(with_http: bool = False, args: tuple[str, ...] = ()):
    """A RedisLiteServer in this process, for tests that look at its objects: `server.port`, and with
    `with_http` its HTTP door on `server.http_port`; `args` are more command-line flags."""
    from redislite.config import load_settings
    from redislite.http.door import HttpDoor
    from redislite.server.app import RedisLiteServer

    port, http_port = free_port(), free_port() if with_http else 0
    flags = ["--port", str(port), "--http-port", str(http_port), "--save", "", *with_debug_enabled(args)]
    settings, config_file = load_settings(flags)
    server = RedisLiteServer(settings, config_file)
    server.port, server.http_port = port, http_port
    door = HttpDoor(server, "127.0.0.1", http_port, settings) if with_http else None
    if door is not None:
        await door.start()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
        if door is not None:
            await door.stop()


@contextmanager
def gc_paused():
    """The cyclic garbage collector off (after one full run): what is alive is what references keep alive."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def wait_for_port(port: int, process: subprocess.Popen, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with status {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port} within {timeout}s")


class ServerProcess:
    """A server subprocess on a free port; use as a context manager so it is always stopped."""

    def __init__(
        self,
        command: list[str],
        port: int,
        cwd: Path | None = None,
        env: dict | None = None,
        stderr_path: Path | None = None,
    ):
        self.port = port
        self.command = command
        self.cwd = cwd
        self.env = env
        self.stderr_path = stderr_path  # stderr goes to this file instead of a pipe (logs a test reads)
        self.process: subprocess.Popen | None = None

    def start(self) -> "ServerProcess":
        if self.stderr_path is not None:
            with open(self.stderr_path, "ab") as stderr:  # the child keeps its own copy of the descriptor
                self.process = subprocess.Popen(
                    self.command, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL, stderr=stderr
                )
        else:
            self.process = subprocess.Popen(
                self.command, cwd=self.cwd, env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
        wait_for_port(self.port, self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self.process and self.process.stderr:
            self.process.stderr.close()

    def __enter__(self) -> "ServerProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def redislite(
    *args: str,
    port: int | None = None,
    cwd: Path | None = None,
    env: dict | None = None,
    config_file: Path | None = None,
    http_port: int = 0,
    stderr_path: Path | None = None,
) -> ServerProcess:
    """A RedisLite process; `config_file` goes first on the command line, as redis-server expects.
    The HTTP API is off unless `http_port` is given; `stderr_path` sends stderr (the logs) to a file. DEBUG is
    enabled unless `args` set enable-debug-command themselves."""
    port = free_port() if port is None else port
    environment = {key: value for key, value in os.environ.items() if not key.startswith("REDISLITE_")}
    environment.update(env or {})
    first = [str(config_file)] if config_file is not None else []
    command = [
        sys.executable,
        "-m",
        "redislite",
        *first,
        "--port",
        str(port),
        "--http-port",
        str(http_port),
        *with_debug_enabled(args),
    ]
    return ServerProcess(command, port, cwd=cwd, env=environment, stderr_path=stderr_path)


@contextmanager
def redislite_with_http(*args: str, cwd: Path | None = None):
    """A RedisLite process with the HTTP API on a free port too (`process.http_port`), both doors ready."""
    http_port = free_port()
    with redislite(*args, http_port=http_port, cwd=cwd) as process:
        wait_for_port(http_port, process.process)
        process.http_port = http_port
        yield process


def redis_server_path() -> str | None:
    return shutil.which("redis-server")


def real_redis(*args: str, port: int | None = None, cwd: Path | None = None) -> ServerProcess:
    port = free_port() if port is None else port
    command = [
        redis_server_path(),
        "--port",
        str(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        *args,
    ]
    return ServerProcess(command, port, cwd=cwd)


# -- clients for tests ---------------------------------------------------------------------------------------


def raw_client(port: int, db: int = 0):
    """A redis-py RESP2 client that returns replies as sent (no response callbacks), so comparisons are exact."""
    import redis

    client = redis.Redis(port=port, protocol=2, db=db)
    client.response_callbacks.clear()
    return client


def reply(client, *args):
    """A command's reply, or ("error", text) for an error reply: errors become comparable values."""
    import redis

    try:
        return client.execute_command(*args)
    except redis.ResponseError as error:
        return ("error", str(error))


def send_raw(port: int, payload: bytes, wait: float = 0.3) -> bytes:
    """Send bytes on a fresh socket; everything received until `wait` seconds of silence."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(payload)
        sock.settimeout(wait)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except TimeoutError:
            pass
        return data


def wait_until(condition, timeout: float = 5.0, interval: float = 0.01) -> None:
    """Poll condition() until it is true; AssertionError after timeout seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


def exchange(port: int, data: bytes, step: int | None = None, wait: float = 0.5) -> tuple[bytes, bool]:
    """Send data (in `step`-byte writes, when given); return what came back until the server closed or went
    quiet, and whether it closed (a reset counts: Redis resets when it closes with input left unread)."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            for start in range(0, len(data), step or len(data)):
                sock.sendall(data[start : start + (step or len(data))])
                if step:
                    time.sleep(0.0005)
        except OSError:
            pass  # closed on us mid-send: what it answered is still readable
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except TimeoutError:
            return received, False
        except ConnectionResetError:
            pass
        return received, True
