"""Memory benchmarks (issue 6): bytes per key against real Redis, and used_memory against RSS.

    .venv/bin/python benchmarks/memory.py                  # 1,000,000 keys (a few minutes)
    .venv/bin/python benchmarks/memory.py --keys 100000    # quicker

1. Bytes per key: 16-byte keys with 16-byte values, loaded with pipelined SET (and SET ... EX for the TTL
   run) into a fresh RedisLite and a fresh redis-server; RSS growth of each process divided by the keys.
2. Accounting: RedisLite alone, one fresh server per type; keys of each type (strings, and lists, hashes,
   sets and sorted sets of 4 members) are loaded and used_memory growth is compared with RSS growth.
"""

import argparse
import os
import socket
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.servers import real_redis, redis_server_path, redislite

PAGE = os.sysconf("SC_PAGE_SIZE")


def encode(*parts: bytes) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


def send_all(port: int, commands) -> None:
    """Pipeline commands with one-line replies (OK, integers), at most 2000 in flight."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        pending, buffer = 0, b""
        chunk = []
        for command in commands:
            chunk.append(command)
            if len(chunk) == 500:
                sock.sendall(b"".join(chunk))
                pending += len(chunk)
                chunk = []
                while pending > 2000:
                    buffer += sock.recv(1 << 16)
                    lines = buffer.count(b"\r\n")
                    if b"-" in buffer:
                        raise RuntimeError(f"error reply: {buffer[:200]!r}")
                    pending -= lines
                    buffer = buffer[buffer.rfind(b"\r\n") + 2 :] if lines else buffer
        sock.sendall(b"".join(chunk))
        pending += len(chunk)
        while pending > 0:
            buffer += sock.recv(1 << 16)
            lines = buffer.count(b"\r\n")
            pending -= lines
            buffer = buffer[buffer.rfind(b"\r\n") + 2 :] if lines else buffer


def rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * PAGE


def used_memory(port: int) -> int:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(encode(b"INFO", b"memory"))
        data = b""
        while not data.endswith(b"\r\n\r\n") and b"used_memory:" not in data:
            data += sock.recv(1 << 16)
        time.sleep(0.05)
        data += sock.recv(1 << 16) if b"maxmemory" not in data else b""
    for line in data.split(b"\r\n"):
        if line.startswith(b"used_memory:"):
            return int(line.split(b":")[1])
    raise RuntimeError("no used_memory in INFO")


def key(i: int) -> bytes:
    return b"key:%012d" % i  # 16 bytes


def string_commands(count: int, ttl: bool):
    value = b"v" * 16
    for i in range(count):
        yield encode(b"SET", key(i), value, b"EX", b"100000") if ttl else encode(b"SET", key(i), value)


TYPE_COMMANDS = {
    "string": lambda i: encode(b"SET", key(i), b"v" * 16),
    "list": lambda i: encode(b"RPUSH", key(i), b"element-1", b"element-2", b"element-3", b"element-4"),
    "hash": lambda i: encode(
        b"HSET", key(i), b"field-1", b"value-1", b"field-2", b"value-2", b"field-3", b"value-3", b"field-4", b"value-4"
    ),
    "set": lambda i: encode(b"SADD", key(i), b"member-1", b"member-2", b"member-3", b"member-4"),
    "zset": lambda i: encode(
        b"ZADD", key(i), b"1", b"member-1", b"2", b"member-2", b"3", b"member-3", b"4", b"member-4"
    ),
}


def measure_growth(server, commands) -> tuple[int, int]:
    """(RSS growth, used_memory growth) while the commands run."""
    pid = server.process.pid
    time.sleep(0.2)
    rss_before, used_before = rss(pid), used_memory(server.port)
    send_all(server.port, commands)
    time.sleep(0.2)
    return rss(pid) - rss_before, used_memory(server.port) - used_before


def bytes_per_key(count: int, workdir: Path) -> None:
    print(f"bytes per key, {count:,} keys of 16 bytes with 16-byte values (RSS growth / keys)")
    servers = [("RedisLite", lambda: redislite("--save", "", cwd=workdir))]
    if redis_server_path():
        servers.append(("Redis", lambda: real_redis(cwd=workdir)))
    results = {}
    for ttl in (False, True):
        for name, start in servers:
            with start() as server:
                growth, _ = measure_growth(server, string_commands(count, ttl))
            results[(name, ttl)] = growth / count
            print(f"  {name:<10} {'with TTL' if ttl else 'no TTL':<9} {growth / count:7.1f} B/key")
    if len(servers) == 2:
        for ttl in (False, True):
            ratio = results[("RedisLite", ttl)] / results[("Redis", ttl)]
            print(f"  ratio {'with TTL' if ttl else 'no TTL'}: {ratio:.2f}x")


def accounting(count: int, workdir: Path) -> None:
    print(f"used_memory growth against RSS growth, RedisLite, {count:,} keys per type")
    for name, make in TYPE_COMMANDS.items():
        with redislite("--save", "", cwd=workdir) as server:
            rss_growth, used_growth = measure_growth(server, (make(i) for i in range(count)))
        print(
            f"  {name:<7} RSS +{rss_growth / 2**20:8.1f} MiB  used_memory +{used_growth / 2**20:8.1f} MiB  "
            f"({100 * (used_growth - rss_growth) / rss_growth:+.1f}%)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--only", choices=("bytes-per-key", "accounting"))
    args = parser.parse_args()
    workdir = Path(os.environ.get("TMPDIR", "/tmp"))
    if args.only != "accounting":
        bytes_per_key(args.keys, workdir)
    if args.only != "bytes-per-key":
        accounting(args.keys, workdir)


if __name__ == "__main__":
    main()
