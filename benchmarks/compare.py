#!/usr/bin/env python3
"""RedisLite vs a real redis-server under redis-benchmark, side by side in one run.

Both servers start on free ports; each redis-benchmark test runs against one then the other, alternating,
so machine noise hits both alike. Prints ops/s, p50/p99 latency and the RedisLite/Redis ratio per test,
plus the geometric mean of the ratios.

    python benchmarks/compare.py                          # set,get,incr,mset at -c 50, unpipelined and -P 16
    python benchmarks/compare.py --tests lpush,lpop -c 1 -P 1
"""

import argparse
import csv
import io
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import real_redis, redislite  # noqa: E402


def run_benchmark(port: int, test: str, clients: int, requests: int, pipeline: int, keyspace: int) -> dict:
    command = [
        "redis-benchmark",
        "-p",
        str(port),
        "-t",
        test,
        "-c",
        str(clients),
        "-n",
        str(requests),
        "-P",
        str(pipeline),
        "--csv",
    ] + (["-r", str(keyspace)] if keyspace else [])
    output = subprocess.run(command, capture_output=True, text=True, timeout=600, check=True).stdout
    rows = list(csv.DictReader(io.StringIO(output)))
    if not rows:
        raise RuntimeError(f"redis-benchmark printed no result for {test}: {output!r}")
    row = rows[0]
    return {"rps": float(row["rps"]), "p50_ms": float(row["p50_latency_ms"]), "p99_ms": float(row["p99_latency_ms"])}


def compare(
    ports: dict[str, int], tests: list[str], clients: int, requests: int, pipeline: int, rounds: int, keyspace: int
) -> list[dict]:
    results = []
    for test in tests:
        samples = {name: [] for name in ports}
        for round_index in range(rounds):
            order = list(ports) if round_index % 2 == 0 else list(reversed(ports))
            for name in order:
                samples[name].append(run_benchmark(ports[name], test, clients, requests, pipeline, keyspace))
        row = {"test": test, "clients": clients, "pipeline": pipeline}
        for name, runs in samples.items():
            row[name] = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        row["ratio"] = row["redislite"]["rps"] / row["redis"]["rps"]
        row["p99_ratio"] = row["redislite"]["p99_ms"] / max(row["redis"]["p99_ms"], 0.001)
        results.append(row)
        print(format_row(row), flush=True)
    return results


def format_row(row: dict) -> str:
    redis, lite = row["redis"], row["redislite"]
    return (
        f"{row['test']:>10} -c {row['clients']:<3} -P {row['pipeline']:<3} redis {redis['rps']:>10,.0f} ops/s "
        f"p99 {redis['p99_ms']:6.3f} ms | redislite {lite['rps']:>10,.0f} ops/s p99 {lite['p99_ms']:6.3f} ms "
        f"| ratio {row['ratio']:.2f}  p99 ratio {row['p99_ratio']:.2f}"
    )


def geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", default="set,get,incr,mset")
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("-n", "--requests", type=int, default=100_000)
    parser.add_argument("-P", "--pipeline", type=int, action="append", help="pipeline depth(s); default 1 and 16")
    parser.add_argument(
        "-r", "--keyspace", type=int, default=0, help="random keys (-r); 0: one key, as the issue runs it"
    )
    parser.add_argument("--rounds", type=int, default=3, help="runs per test and server; medians are reported")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            print(f"compare.py: {tool} is not installed (apt-get install redis-server redis-tools)", file=sys.stderr)
            return 2
    tests = [t.strip() for t in args.tests.split(",") if t.strip()]
    all_results = []
    with (
        tempfile.TemporaryDirectory() as workdir,
        real_redis(cwd=Path(workdir)) as redis,
        redislite("--save", "", cwd=Path(workdir)) as lite,
    ):
        ports = {"redis": redis.port, "redislite": lite.port}
        for pipeline in args.pipeline or [1, 16]:
            print(
                f"-- pipeline {pipeline}, {args.clients} clients, {args.requests:,} requests, "
                f"median of {args.rounds} rounds",
                flush=True,
            )
            results = compare(ports, tests, args.clients, args.requests, pipeline, args.rounds, args.keyspace)
            print(f"   geomean ratio at -P {pipeline}: {geomean([r['ratio'] for r in results]):.2f}", flush=True)
            all_results += results
    if args.json:
        args.json.write_text(json.dumps(all_results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
