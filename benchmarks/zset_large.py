#!/usr/bin/env python3
"""Sorted sets at scale: RedisLite vs a real redis-server with 1,000,000 members in one key.

Both servers start on free ports. Each gets `myzset` loaded with N members (pipelined ZADD batches, timed),
then redis-benchmark runs `-t zadd -c 50 -n 100000` (random members into myzset) and
`-n 20000 ZRANGE myzset 0 99`, and the script prints ops/s and the RedisLite/Redis ratio of each.

    python benchmarks/zset_large.py                 # 1,000,000 members
    python benchmarks/zset_large.py --members 100000
"""

import argparse
import csv
import io
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import real_redis, redislite  # noqa: E402


def encode(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in args)


def load(port: int, members: int, batch: int = 1000) -> float:
    """ZADD myzset in batches of `batch` pairs, 50 commands in flight; the seconds it took."""
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(encode(b"DEL", b"myzset"))
        pending, sent = 1, 0
        buffer = b""
        while sent < members or pending:
            chunk = []
            while sent < members and pending < 50:
                top = min(sent + batch, members)
                pairs = [item for i in range(sent, top) for item in (b"%d" % ((i * 7919) % 1000003), b"m:%d" % i)]
                chunk.append(encode(b"ZADD", b"myzset", *pairs))
                pending += 1
                sent = top
            if chunk:
                sock.sendall(b"".join(chunk))
            buffer += sock.recv(65536)
            replies = buffer.count(b"\r\n")
            pending -= replies
            buffer = buffer[buffer.rfind(b"\r\n") + 2 :] if replies else buffer
    return time.perf_counter() - started


def benchmark(port: int, args: list[str]) -> float:
    command = ["redis-benchmark", "-p", str(port), "--csv", *args]
    output = subprocess.run(command, capture_output=True, text=True, timeout=900, check=True).stdout
    return float(next(iter(csv.DictReader(io.StringIO(output))))["rps"])


TESTS = {
    "ZADD (-t zadd -c 50 -n 100000)": ["-t", "zadd", "-c", "50", "-n", "100000"],
    "ZRANGE myzset 0 99 (-n 20000)": ["-n", "20000", "ZRANGE", "myzset", "0", "99"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=1_000_000)
    options = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as lite_dir,
        tempfile.TemporaryDirectory() as redis_dir,
        redislite(cwd=Path(lite_dir)) as lite,
        real_redis(cwd=Path(redis_dir)) as real,
    ):
        ports = {"redislite": lite.port, "redis": real.port}
        for name, port in ports.items():
            print(f"{name}: loaded {options.members} members in {load(port, options.members):.1f} s", flush=True)
        print(f"{'test':<34} {'redislite ops/s':>16} {'redis ops/s':>12} {'ratio':>7}")
        for test, args in TESTS.items():
            rps = {name: benchmark(port, args) for name, port in ports.items()}
            print(
                f"{test:<34} {rps['redislite']:>16,.0f} {rps['redis']:>12,.0f} {rps['redislite'] / rps['redis']:>7.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
