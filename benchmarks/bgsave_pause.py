#!/usr/bin/env python3
"""What a BGSAVE of a big dataset costs the other clients, RedisLite next to a real redis-server.

Fills each server with N string keys (default 1,000,000), then runs BGSAVE while a probe client sends PING
back to back. Reports the longest PING round trip seen during the save (the pause other clients see; on a
busy 2-core machine it includes scheduling noise), the server-side stalls LATENCY records meanwhile (the
BGSAVE command includes the fork), the fork time, the memory the child copied (Private_Dirty, INFO
rdb_last_cow_size), the parent's RSS, the file size, how long a blocking SAVE takes and how long a restart
takes to load the file.

    python benchmarks/bgsave_pause.py                 # 1M keys
    python benchmarks/bgsave_pause.py --keys 200000
"""

import argparse
import json
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import raw_client, real_redis, redislite  # noqa: E402


def info(client, section="persistence") -> dict:
    text = client.execute_command("INFO", section).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def fill(port: int, keys: int) -> None:
    client = raw_client(port)
    batch = 2000
    for start in range(0, keys, batch):
        pipe = client.pipeline(transaction=False)
        mapping = {f"key:{i}": f"value:{i}:{'x' * 8}" for i in range(start, min(start + batch, keys))}
        pipe.mset(mapping)
        pipe.execute()


def rss_bytes(port: int) -> int:
    return int(info(raw_client(port), "memory")["used_memory_rss"])


def probe_during(port: int, action) -> tuple[float, int, float]:
    """Run action() while a second client PINGs back to back; (longest round trip in ms, pings, p99 ms)."""
    stop = threading.Event()
    samples: list[float] = []

    def ping_loop():
        client = raw_client(port)
        while not stop.is_set():
            started = time.perf_counter()
            client.ping()
            samples.append(time.perf_counter() - started)

    thread = threading.Thread(target=ping_loop)
    thread.start()
    time.sleep(0.3)
    before = len(samples)
    try:
        action()
    finally:
        stop.set()
        thread.join()
    during = sorted(samples[before:]) or [0.0]
    return max(during) * 1000, len(during), during[int(len(during) * 0.99) - 1] * 1000


def measure(name: str, start_server, keys: int) -> dict:
    directory = Path(tempfile.mkdtemp(prefix=f"bgsave-{name}-"))
    result = {"server": name, "keys": keys}
    with start_server(directory) as server:
        port = server.port
        client = raw_client(port)
        started = time.perf_counter()
        fill(port, keys)
        result["fill_s"] = round(time.perf_counter() - started, 1)
        result["rss_mb"] = round(rss_bytes(port) / 2**20, 1)

        def bgsave():
            client.bgsave()
            while info(client)["rdb_bgsave_in_progress"] == "1":
                time.sleep(0.05)

        client.config_set("latency-monitor-threshold", 1)
        client.execute_command("LATENCY", "RESET")
        started = time.perf_counter()
        worst, pings, p99 = probe_during(port, bgsave)
        result["bgsave_wall_s"] = round(time.perf_counter() - started, 2)
        fields, stats = info(client), info(client, "stats")
        result["bgsave_status"] = fields["rdb_last_bgsave_status"]
        result["max_ping_ms_during_bgsave"] = round(worst, 2)
        result["p99_ping_ms_during_bgsave"] = round(p99, 3)
        result["pings_during_bgsave"] = pings
        result["fork_ms"] = round(int(stats["latest_fork_usec"]) / 1000, 2)
        # server-side stalls of 1 ms or more while the save ran (the BGSAVE command includes the fork)
        result["server_stalls_ms"] = {
            event.decode(): worst_ms for event, _, _, worst_ms in client.execute_command("LATENCY", "LATEST")
        }
        result["child_cow_mb"] = round(int(fields["rdb_last_cow_size"]) / 2**20, 1)
        result["file_mb"] = round((directory / "dump.rdb").stat().st_size / 2**20, 1)
        started = time.perf_counter()
        client.save()
        result["save_s"] = round(time.perf_counter() - started, 2)
    with start_server(directory) as server:  # the restart loads dump.rdb before it answers
        client = raw_client(server.port)
        started = time.perf_counter()
        while True:
            try:
                if client.dbsize() == keys:
                    break
            except Exception:
                pass
            time.sleep(0.05)
        result["load_s_after_listening"] = round(time.perf_counter() - started, 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--only", choices=["redislite", "redis"])
    args = parser.parse_args()
    servers = {
        "redislite": lambda d: redislite("--dir", str(d), cwd=d),
        "redis": lambda d: real_redis("--dir", str(d), cwd=d),
    }
    for name, start in servers.items():
        if args.only and name != args.only:
            continue
        print(json.dumps(measure(name, start, args.keys)), flush=True)


if __name__ == "__main__":
    main()
