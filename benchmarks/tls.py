#!/usr/bin/env python3
"""What TLS costs: redis-benchmark -t set,get against the plain port and the tls-port of the same server
(RedisLite, and redis-server for reference), with a throwaway CA (tests/tls_certs.py).

Runs are interleaved (plain, TLS, plain, TLS, ... the order reversed every round) so that the VM's swings hit
both alike; prints the median requests per second of each over --rounds and the TLS/plain ratio.

    python benchmarks/tls.py --rounds 5 --requests 100000 --clients 50
    python benchmarks/tls.py --pipeline 16
"""

import argparse
import csv
import io
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import free_port, real_redis, redislite  # noqa: E402
from tests.tls_certs import make_certificates  # noqa: E402

TESTS = "set,get"


def run_benchmark(port: int, tls_args: list[str], options) -> dict[str, float]:
    command = ["redis-benchmark", "-p", str(port), "-t", TESTS, "-c", str(options.clients)]
    command += ["-n", str(options.requests), "-P", str(options.pipeline), "-q", "--csv", *tls_args]
    output = subprocess.run(command, capture_output=True, text=True, check=True, timeout=600).stdout
    rows = list(csv.reader(io.StringIO(output)))
    return {row[0].lower(): float(row[1]) for row in rows[1:] if row and row[0] != "test"}


def measure(name: str, server, tls_port: int, certs, options) -> dict[str, tuple[float, float]]:
    tls_args = ["--tls", "--cacert", str(certs.ca_cert), "--cert", str(certs.client_cert)]
    tls_args += ["--key", str(certs.client_key)]
    runs: dict[str, dict[str, list[float]]] = {"plain": {}, "tls": {}}
    for round_number in range(options.rounds):
        order = [("plain", server.port, []), ("tls", tls_port, tls_args)]
        for kind, port, args in order if round_number % 2 == 0 else order[::-1]:
            for test, rps in run_benchmark(port, args, options).items():
                runs[kind].setdefault(test, []).append(rps)
    result = {}
    for test in runs["plain"]:
        plain, tls = statistics.median(runs["plain"][test]), statistics.median(runs["tls"][test])
        result[test] = (plain, tls)
        print(f"{name:10} {test:4}  plain {plain:9.0f}  tls {tls:9.0f}  tls/plain {tls / plain:5.2f}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=100000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--pipeline", type=int, default=1)
    parser.add_argument("--no-redis", action="store_true", help="RedisLite only")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        certs = make_certificates(directory / "certs")
        servers = [("redislite", redislite), ("redis", None if options.no_redis else real_redis)]
        for name, start in servers:
            if start is None:
                continue
            tls_port = free_port()
            workdir = directory / name
            workdir.mkdir()
            arguments = ["--tls-port", str(tls_port), *certs.server_args()]
            if name == "redislite":
                arguments = ["--save", "", *arguments]
            with start(*arguments, cwd=workdir) as server:
                measure(name, server, tls_port, certs, options)


if __name__ == "__main__":
    main()
