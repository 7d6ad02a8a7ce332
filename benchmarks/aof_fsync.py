#!/usr/bin/env python3
"""What appendfsync costs: `redis-benchmark -t set -n 100000 -c 50` against RedisLite and a real redis-server,
side by side, with appendonly no, appendfsync everysec and appendfsync always.

Each run gets fresh servers in a fresh temporary directory (so no run inherits another's AOF); within a round
the two servers alternate which goes first. Prints ops/s (median over rounds), p50/p99 latency and the
RedisLite/Redis ratio per mode, and RedisLite's cost of each mode relative to appendonly no.

    .venv/bin/python benchmarks/aof_fsync.py
    .venv/bin/python benchmarks/aof_fsync.py -n 20000 --rounds 1
"""

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.compare import run_benchmark  # noqa: E402
from tests.servers import real_redis, redislite  # noqa: E402

MODES = {
    "appendonly no": ["--appendonly", "no"],
    "everysec": ["--appendonly", "yes", "--appendfsync", "everysec"],
    "always": ["--appendonly", "yes", "--appendfsync", "always"],
}


def start(kind: str, mode_args: list[str], directory: str):
    args = ["--save", "", "--dir", directory, *mode_args]
    return redislite(*args) if kind == "redislite" else real_redis(*args)


def measure(kind: str, mode_args: list[str], clients: int, requests: int) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"aof-fsync-{kind}-") as directory:
        with start(kind, mode_args, directory) as server:
            return run_benchmark(server.port, "set", clients, requests, 1, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("-n", "--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="runs per mode and server; medians are reported")
    args = parser.parse_args()
    rows = []
    for mode, mode_args in MODES.items():
        samples = {"redis": [], "redislite": []}
        for round_index in range(args.rounds):
            order = ["redis", "redislite"] if round_index % 2 == 0 else ["redislite", "redis"]
            for kind in order:
                samples[kind].append(measure(kind, mode_args, args.clients, args.requests))
        row = {"mode": mode}
        for kind, runs in samples.items():
            row[kind] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        rows.append(row)
        print(f"{mode}: done", file=sys.stderr, flush=True)
    baseline = rows[0]["redislite"]["rps"]
    print(f"redis-benchmark -t set -n {args.requests} -c {args.clients}, median of {args.rounds} run(s)\n")
    print(
        f"{'mode':<14} {'redis ops/s':>12} {'p50/p99 ms':>12} {'redislite ops/s':>16} {'p50/p99 ms':>12} "
        f"{'lite/redis':>10} {'lite vs no':>10}"
    )
    for row in rows:
        redis, lite = row["redis"], row["redislite"]
        print(
            f"{row['mode']:<14} {redis['rps']:>12,.0f} {redis['p50_ms']:>5.2f}/{redis['p99_ms']:<6.2f} "
            f"{lite['rps']:>16,.0f} {lite['p50_ms']:>5.2f}/{lite['p99_ms']:<6.2f} "
            f"{lite['rps'] / redis['rps']:>10.2f} {lite['rps'] / baseline:>10.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
