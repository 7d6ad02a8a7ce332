#!/usr/bin/env python3
"""What replication costs: RedisLite vs a real redis-server, each as a master with 0, 1 and 2 replicas of its own
kind, under redis-benchmark; how far the replicas trail; and how long a full sync of a large dataset takes.

1. Throughput. Six setups (two kinds x 0/1/2 replicas) run side by side; each round runs
   `redis-benchmark -t set,incr,lpush -c 50 -n N -q --csv` against every master in turn (the order reverses
   every round, so machine noise hits all alike), then waits for that master's replicas to catch up and
   flushes, so one run's replication does not slow the next. Medians over the rounds; the ratio of a setup
   with replicas to the same kind without them says what replication costs.
2. Lag. One more run per setup with replicas, sampled meanwhile: every 10 ms, master_repl_offset minus each
   replica's slave_repl_offset (INFO replication, master first, so a sample never overstates the lag), and
   every 20 ms a timestamped SET on the master polled on each replica until it is visible (write-to-visible
   milliseconds). Also the time the replicas need to catch up after the run ends (drain).
3. Full sync. A fresh master of each kind gets `DEBUG POPULATE <keys>`; a fresh replica of the same kind is
   pointed at it with REPLICAOF: the time until its master_link_status is up, and until its DBSIZE equals
   the master's. Diskless (both servers' default, without the gathering delay) and disk-based.

    python benchmarks/replication.py                     # -n 100000, 3 rounds, 1,000,000 keys to sync
    python benchmarks/replication.py -n 30000 --rounds 3 --sync-keys 200000 --sync-modes disk
    python benchmarks/replication.py --skip-sync --json replication.json
"""

import argparse
import csv
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.servers import ServerProcess, raw_client, real_redis, redislite  # noqa: E402

KINDS = ("redislite", "redis")
REPLICA_COUNTS = (0, 1, 2)
TESTS = "set,incr,lpush"
OFFSET_SAMPLE_S = 0.010
PROBE_EVERY_S = 0.020


def info(client, section: str = "replication") -> dict[str, str]:
    text = client.execute_command("INFO", section)
    text = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


def wait_for(condition, timeout: float, what: str, interval: float = 0.02) -> float:
    """Poll until condition() holds; the seconds it took."""
    started = time.monotonic()
    while not condition():
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"{what} not reached within {timeout} s")
        time.sleep(interval)
    return time.monotonic() - started


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def start_server(kind: str, directory: Path, *args: str) -> ServerProcess:
    """A server of `kind` working in `directory`, without snapshots or AOF, diskless syncs without delay."""
    directory.mkdir(parents=True, exist_ok=True)
    common = ("--dir", str(directory), "--repl-diskless-sync-delay", "0", *args)
    if kind == "redislite":
        return redislite("--save", "", "--appendonly", "no", *common, cwd=directory).start()
    return real_redis(*common, cwd=directory).start()


class Setup:
    """A master of one kind with `count` replicas of the same kind, all started and in sync."""

    def __init__(self, kind: str, count: int, workdir: Path):
        self.kind, self.count = kind, count
        self.name = f"{kind}+{count}"
        self.master = start_server(kind, workdir / self.name / "master")
        self.replicas: list[ServerProcess] = []
        self.client = raw_client(self.master.port)
        self.replica_clients: list = []
        try:
            for index in range(count):
                directory = workdir / self.name / f"replica{index}"
                replica = start_server(kind, directory, "--replicaof", "127.0.0.1", str(self.master.port))
                self.replicas.append(replica)
                self.replica_clients.append(raw_client(replica.port))
            wait_for(self.online, 60, f"{self.name}: replicas online")
        except BaseException:
            self.stop()
            raise

    def online(self) -> bool:
        replication = info(self.client)
        lines = [replication.get(f"slave{index}", "") for index in range(self.count)]
        return replication.get("connected_slaves") == str(self.count) and all("state=online" in x for x in lines)

    def caught_up(self) -> bool:
        offset = info(self.client)["master_repl_offset"]
        for replica in self.replica_clients:
            theirs = info(replica)
            if theirs.get("master_link_status") != "up" or theirs.get("slave_repl_offset") != offset:
                return False
        return True

    def settle(self) -> float:
        """Wait until every replica applied everything (the seconds it took), then empty the dataset."""
        drained = wait_for(self.caught_up, 300, f"{self.name}: replicas caught up", interval=0.005)
        self.client.execute_command("FLUSHALL")
        wait_for(self.caught_up, 60, f"{self.name}: FLUSHALL replicated", interval=0.005)
        return drained

    def stop(self) -> None:
        for client in (self.client, *self.replica_clients):
            client.close()
        for process in (*self.replicas, self.master):
            process.stop()


def cpu_seconds(process: ServerProcess) -> float:
    """User + system CPU time a server process has used (/proc/<pid>/stat utime and stime)."""
    assert process.process is not None
    with open(f"/proc/{process.process.pid}/stat") as stat:
        fields = stat.read().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_benchmark(port: int, clients: int, requests: int) -> dict[str, dict[str, float]]:
    command = ["redis-benchmark", "-p", str(port), "-t", TESTS, "-c", str(clients), "-n", str(requests), "-q", "--csv"]
    output = subprocess.run(command, capture_output=True, text=True, timeout=900, check=True).stdout
    rows = {row["test"].lower(): row for row in csv.DictReader(io.StringIO(output))}
    if set(rows) != set(TESTS.split(",")):
        raise RuntimeError(f"redis-benchmark printed {sorted(rows)}: {output!r}")
    return {
        test: {"rps": float(row["rps"]), "p50_ms": float(row["p50_latency_ms"]), "p99_ms": float(row["p99_latency_ms"])}
        for test, row in rows.items()
    }


# -- 1. throughput ---------------------------------------------------------------------------------------------


def measure_throughput(setups: list[Setup], clients: int, requests: int, rounds: int) -> dict:
    samples: dict[str, list[dict]] = {setup.name: [] for setup in setups}
    for round_index in range(rounds):
        order = setups if round_index % 2 == 0 else list(reversed(setups))
        for setup in order:
            processes = [setup.master, *setup.replicas]
            before = [cpu_seconds(process) for process in processes]
            result = run_benchmark(setup.master.port, clients, requests)
            setup.settle()  # the replicas' CPU counts until they caught up
            spent = [cpu_seconds(process) - used for process, used in zip(processes, before)]
            operations = requests * len(result)
            cpu = {"master_us_per_op": spent[0] * 1e6 / operations}
            if setup.replicas:
                cpu["replica_us_per_op"] = statistics.mean(spent[1:]) * 1e6 / operations
            samples[setup.name].append({**result, "cpu": cpu})
            rates = ", ".join(f"{test} {result[test]['rps']:,.0f}" for test in result)
            print(f"  round {round_index + 1}: {setup.name:<12} {rates} ops/s", flush=True)
    medians = {}
    for name, runs in samples.items():
        medians[name] = {
            test: {key: statistics.median(run[test][key] for run in runs) for key in runs[0][test]} for test in runs[0]
        }
    return {"medians": medians, "runs": samples}


# -- 2. lag ----------------------------------------------------------------------------------------------------


class LagSampler:
    """While redis-benchmark runs: offset lag in bytes every OFFSET_SAMPLE_S, and write-to-visible latency of a
    probe key on every replica every PROBE_EVERY_S."""

    def __init__(self, setup: Setup):
        self.setup = setup
        self.stop = threading.Event()
        self.offset_lags: list[int] = []
        self.visible_ms: list[float] = []
        self.probe_timeouts = 0
        self.threads = [threading.Thread(target=self._offsets), threading.Thread(target=self._probe)]

    def __enter__(self) -> "LagSampler":
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def _offsets(self) -> None:
        master = raw_client(self.setup.master.port)
        replicas = [raw_client(replica.port) for replica in self.setup.replicas]
        while not self.stop.is_set():
            offset = int(info(master)["master_repl_offset"])
            for replica in replicas:
                self.offset_lags.append(max(0, offset - int(info(replica).get("slave_repl_offset", offset))))
            time.sleep(OFFSET_SAMPLE_S)
        for client in (master, *replicas):
            client.close()

    def _probe(self) -> None:
        master = raw_client(self.setup.master.port)
        replicas = [raw_client(replica.port) for replica in self.setup.replicas]
        sequence = 0
        while not self.stop.is_set():
            sequence += 1
            value = b"%d:%d" % (sequence, time.time_ns())
            written = time.perf_counter()
            master.execute_command("SET", "replication-benchmark:probe", value)
            waiting = list(replicas)
            while waiting:
                if time.perf_counter() - written > 10:
                    self.probe_timeouts += len(waiting)
                    break
                for replica in list(waiting):
                    if replica.execute_command("GET", "replication-benchmark:probe") == value:
                        self.visible_ms.append((time.perf_counter() - written) * 1000)
                        waiting.remove(replica)
                if waiting:
                    time.sleep(0.0002)
            time.sleep(PROBE_EVERY_S)
        for client in (master, *replicas):
            client.close()


def measure_lag(setup: Setup, clients: int, requests: int) -> dict:
    with LagSampler(setup) as sampler:
        result = run_benchmark(setup.master.port, clients, requests)
    drained = setup.settle()
    lags, visible = sampler.offset_lags, sampler.visible_ms
    row = {
        "lag_bytes_p50": percentile(lags, 0.50),
        "lag_bytes_p99": percentile(lags, 0.99),
        "lag_bytes_max": max(lags, default=0),
        "lag_samples": len(lags),
        "visible_ms_p50": percentile(visible, 0.50),
        "visible_ms_p99": percentile(visible, 0.99),
        "visible_ms_max": max(visible, default=float("nan")),
        "visible_samples": len(visible),
        "probe_timeouts": sampler.probe_timeouts,
        "drain_s": drained,
        "benchmark": result,
    }
    print(
        f"  {setup.name:<12} lag p99 {row['lag_bytes_p99']:,.0f} B, visible p50 {row['visible_ms_p50']:.2f} ms "
        f"p99 {row['visible_ms_p99']:.2f} ms, drain {drained:.2f} s",
        flush=True,
    )
    return row


# -- 3. full sync ----------------------------------------------------------------------------------------------


def measure_full_sync(kind: str, keys: int, mode: str, workdir: Path) -> dict:
    options = ["--repl-diskless-sync", "yes" if mode == "diskless" else "no"]
    if kind == "redis":
        options += ["--enable-debug-command", "local"]  # for DEBUG POPULATE
    with ExitStack() as stack:
        master = start_server(kind, workdir / f"sync-{kind}-{mode}" / "master", *options)
        stack.callback(master.stop)
        client = raw_client(master.port)
        started = time.monotonic()
        client.execute_command("DEBUG", "POPULATE", keys)
        populated = time.monotonic() - started
        master_keys = client.execute_command("DBSIZE")
        replica = start_server(kind, workdir / f"sync-{kind}-{mode}" / "replica")
        stack.callback(replica.stop)
        replica_client = raw_client(replica.port)
        started = time.monotonic()
        replica_client.execute_command("REPLICAOF", "127.0.0.1", master.port)
        link_up = wait_for(lambda: info(replica_client).get("master_link_status") == "up", 600, "link up")
        keys_equal = wait_for(lambda: replica_client.execute_command("DBSIZE") == master_keys, 600, "keys equal")
        keys_equal += link_up
        rss = {
            name: int(info(c, "memory").get("used_memory_rss", 0))
            for name, c in (("master", client), ("replica", replica_client))
        }
        client.close()
        replica_client.close()
    row = {"keys": master_keys, "mode": mode, "populate_s": populated, "link_up_s": link_up, "keys_equal_s": keys_equal}
    row["rss_mb"] = {name: value / 1e6 for name, value in rss.items()}
    print(f"  {kind:<10} {mode}: link up after {link_up:.2f} s, keys equal after {keys_equal:.2f} s", flush=True)
    return row


# -- report ----------------------------------------------------------------------------------------------------


def markdown(results: dict) -> str:
    lines = []
    throughput = results.get("throughput")
    if throughput:
        medians = throughput["medians"]
        lines += [
            f"Throughput, ops/s (median of {results['settings']['rounds']} rounds, `-c {results['settings']['clients']}"
            f' -n {results["settings"]["requests"]}`); "vs 0" is the rate with replicas over the rate without:',
            "",
            "| test | replicas | RedisLite | vs 0 | Redis | vs 0 | RedisLite/Redis |",
            "|---|---|---|---|---|---|---|",
        ]
        for test in TESTS.split(","):
            for count in REPLICA_COUNTS:
                lite, redis = medians[f"redislite+{count}"][test], medians[f"redis+{count}"][test]
                lite0, redis0 = medians["redislite+0"][test], medians["redis+0"][test]
                lines.append(
                    f"| {test.upper()} | {count} | {lite['rps']:,.0f} | {lite['rps'] / lite0['rps']:.2f} | "
                    f"{redis['rps']:,.0f} | {redis['rps'] / redis0['rps']:.2f} | {lite['rps'] / redis['rps']:.2f} |"
                )
        lines += [
            "",
            "Server CPU per command (median; the master's, and each replica's until it caught up), which on two "
            "cores is what the replicas take away from the master and redis-benchmark:",
            "",
            "| replicas | RedisLite master | RedisLite replica | Redis master | Redis replica |",
            "|---|---|---|---|---|",
        ]
        for count in REPLICA_COUNTS:
            cells = []
            for kind in KINDS:
                cpu = medians[f"{kind}+{count}"]["cpu"]
                replica = f"{cpu['replica_us_per_op']:.1f} µs" if count else "-"
                cells += [f"{cpu['master_us_per_op']:.1f} µs", replica]
            lines.append(f"| {count} | " + " | ".join(cells) + " |")
        lines.append("")
    lag = results.get("lag")
    if lag:
        lines += [
            "Replica lag during one more run per setup (offset lag: master_repl_offset - slave_repl_offset every "
            f"{OFFSET_SAMPLE_S * 1000:.0f} ms; visible: a SET on the master until GET on the replica returns it; "
            "drain: until the replicas applied everything after the run):",
            "",
            "| server | replicas | offset lag p50 | offset lag p99 | visible p50 | visible p99 | visible max | drain |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for name, row in lag.items():
            kind, count = name.split("+")
            label = "RedisLite" if kind == "redislite" else "Redis"
            lines.append(
                f"| {label} | {count} | {row['lag_bytes_p50']:,.0f} B | {row['lag_bytes_p99']:,.0f} B | "
                f"{row['visible_ms_p50']:.2f} ms | {row['visible_ms_p99']:.2f} ms | {row['visible_ms_max']:.1f} ms | "
                f"{row['drain_s']:.2f} s |"
            )
        lines.append("")
    sync = results.get("full_sync")
    if sync:
        lines += [
            "Full sync to a fresh replica of the same kind (REPLICAOF until master_link_status:up, and until DBSIZE "
            "equals the master's):",
            "",
            "| server | keys | mode | link up | keys equal | master RSS | replica RSS |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in sync.items():
            label = "RedisLite" if name.startswith("redislite") else "Redis"
            lines.append(
                f"| {label} | {row['keys']:,} | {row['mode']} | {row['link_up_s']:.2f} s | {row['keys_equal_s']:.2f} s "
                f"| {row['rss_mb']['master']:.0f} MB | {row['rss_mb']['replica']:.0f} MB |"
            )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-c", "--clients", type=int, default=50)
    parser.add_argument("-n", "--requests", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="throughput runs per setup; medians are reported")
    parser.add_argument("--sync-keys", type=int, default=1_000_000, help="keys for the full-sync timing")
    parser.add_argument("--sync-modes", default="diskless,disk", help="diskless, disk or both")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-lag", action="store_true")
    parser.add_argument("--skip-sync", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    for tool in ("redis-server", "redis-benchmark"):
        if shutil.which(tool) is None:
            print(
                f"replication.py: {tool} is not installed (apt-get install redis-server redis-tools)", file=sys.stderr
            )
            return 2
    results: dict = {
        "date": time.strftime("%Y-%m-%d"),
        "settings": {
            "clients": args.clients,
            "requests": args.requests,
            "rounds": args.rounds,
            "tests": TESTS,
            "sync_keys": args.sync_keys,
            "sync_modes": args.sync_modes,
        },
    }
    with tempfile.TemporaryDirectory() as directory:
        workdir = Path(directory)
        if not (args.skip_throughput and args.skip_lag):
            setups: list[Setup] = []
            try:
                for count in REPLICA_COUNTS:
                    for kind in KINDS:
                        setups.append(Setup(kind, count, workdir))
                if not args.skip_throughput:
                    print(f"-- throughput: {TESTS}, {args.rounds} rounds", flush=True)
                    results["throughput"] = measure_throughput(setups, args.clients, args.requests, args.rounds)
                if not args.skip_lag:
                    print("-- replica lag", flush=True)
                    results["lag"] = {
                        setup.name: measure_lag(setup, args.clients, args.requests) for setup in setups if setup.count
                    }
            finally:
                for setup in setups:
                    setup.stop()
        if not args.skip_sync:
            print(f"-- full sync of {args.sync_keys:,} keys", flush=True)
            results["full_sync"] = {}
            for mode in args.sync_modes.split(","):
                for kind in KINDS:
                    results["full_sync"][f"{kind}/{mode}"] = measure_full_sync(kind, args.sync_keys, mode, workdir)
    print()
    print(markdown(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
