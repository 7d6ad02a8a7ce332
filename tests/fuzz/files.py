"""Mutated RDB and AOF files fed to a live server's loaders: the server must load them or refuse them with its
error, never crash, hang, log a traceback or answer "internal error".

A server (appendonly yes, a RESP AOF so the base is text too) is given a varied dataset (every type, both
encodings of each, expiries, several databases, a function library); its `dump.rdb` (SAVE) and AOF files are
the seeds. Each input mutates one of them (bit flips, interesting bytes, truncation, a chunk deleted, duplicated
or inserted, a length or count rewritten; an RDB's CRC64 made right again most of the time, so the mutation
reaches the parser rather than the checksum) and loads it: `DEBUG RELOAD NOSAVE` for an RDB, `DEBUG LOADAOF`
for the AOF directory (its manifest mutated sometimes too). The reply must be OK or a refusal (`-ERR ...`),
PING must answer within a second, and the log must stay clean (tracebacks, failure events, "internal error").
`startup` inputs start a fresh server on a mutated dump.rdb: it must serve, or exit with a message and no
traceback. RESTORE payloads are fuzzed by the command fuzzer (generator.py, `restore_payload`).

    python -m tests.fuzz.files --inputs 1000000 --seed 7 [--startup 50] [--workdir DIR]
"""

import argparse
import json
import random
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis

from redislite.storage.crc64 import crc64
from tests.servers import redislite

from .fuzzer import log_problem

SERVER_ARGS = ("--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--appendfsync", "no", "--save", "")
# A load of a few KB takes milliseconds; these only tell a hang from a busy shared machine (the 200,000-input
# run of 2026-12-07, load average 6-9, saw one load of 3.3 s and one PING of 1.6 s, neither reproducible)
REPLY_TIMEOUT_S = 10.0
PING_BUDGET_S = 2.0
LOG_SCAN_EVERY = 500
INTERESTING_BYTES = (0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 0x0D, 0x0A, 0x24, 0x2A, 0x3A, 0x40, 0xC0, 0xC3, 0xF5)
# what RESP length and count lines may be rewritten to
INTERESTING_NUMBERS = (b"-1", b"0", b"1", b"-2147483648", b"9223372036854775807", b"99999999999", b"536870913")


@dataclass
class FileReport:
    inputs: int = 0
    rdb: int = 0
    aof: int = 0
    startup: int = 0
    loaded: int = 0  # mutated files that loaded (the mutation hit data, not structure)
    refused: int = 0
    seconds: float = 0.0
    slowest_load_s: float = 0.0
    findings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        rate = self.inputs / self.seconds if self.seconds else 0.0
        return [
            f"inputs {self.inputs} (rdb {self.rdb}, aof {self.aof}, start-up {self.startup}) in {self.seconds:.0f} s"
            f" ({rate:.0f}/s); loaded {self.loaded}, refused {self.refused}; slowest load {self.slowest_load_s:.3f} s",
            f"findings: {len(self.findings)}",
            *self.findings[:50],
        ]


def build_dataset(client: redis.Redis) -> None:
    """Every type in both its encodings (the large ones just past the listpack limits, in db 0), expiries,
    three databases, a function library. Small, so that a load takes milliseconds."""
    pipe = client.pipeline(transaction=False)
    for db in (0, 1, 9):
        pipe.select(db)
        pipe.set(f"s{db}", "text value")
        pipe.set(f"int{db}", 12345)
        pipe.set(f"ttl{db}", "v", px=3_600_000)
        pipe.rpush(f"list{db}", *range(5))
        pipe.sadd(f"intset{db}", *range(10))
        pipe.sadd(f"smallset{db}", "a", "b")
        pipe.hset(f"hash{db}", mapping={"f1": "v1", "f2": "2"})
        pipe.zadd(f"zset{db}", {"a": 1, "b": 2.5, "c": -3})
        pipe.pfadd(f"hll{db}", *range(20))
        pipe.expire(f"hash{db}", 100_000)
    pipe.select(0)
    pipe.set("big", "x" * 3000)
    pipe.rpush("quick", *(f"element-{i}" * 3 for i in range(130)))
    pipe.sadd("set", *(f"m{i}" for i in range(130)))
    pipe.hset("bighash", mapping={f"field{i}": "v" * (i % 80) for i in range(130)})
    pipe.zadd("bigzset", {f"member{i}": i / 7 for i in range(130)})
    pipe.execute()
    library = "#!lua name=fuzzlib\nredis.register_function('fuzzfn', function(keys, args) return 1 end)"
    client.execute_command("FUNCTION", "LOAD", "REPLACE", library)


class Mutator:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def bytes(self, data: bytes) -> bytes:
        """One to three structural or byte-level changes."""
        rng = self.rng
        out = bytearray(data)
        for _ in range(rng.choice((1, 1, 1, 2, 3))):
            if not out:
                out += bytes([rng.randrange(256)])
                continue
            at = rng.randrange(len(out))
            how = rng.randrange(8)
            if how == 0:
                out[at] ^= 1 << rng.randrange(8)
            elif how == 1:
                out[at] = rng.choice(INTERESTING_BYTES)
            elif how == 2:
                del out[at:]
            elif how == 3:
                del out[at : at + rng.randint(1, 64)]
            elif how == 4:
                chunk = out[at : at + rng.randint(1, 64)]
                out[at:at] = chunk * rng.randint(1, 4)
            elif how == 5:
                out[at:at] = rng.randbytes(rng.randint(1, 16))
            elif how == 6:
                out[at : at + 4] = rng.randbytes(4)
            else:
                out[at : at + 8] = (rng.getrandbits(64)).to_bytes(8, "little")
        return bytes(out)

    def rdb(self, data: bytes) -> bytes:
        """A mutated body; its CRC64 made right again 80% of the time (else the old one, or zero: no check)."""
        body = self.bytes(data[:-8])
        roll = self.rng.random()
        if roll < 0.8:
            return body + crc64(body).to_bytes(8, "little")
        return body + (data[-8:] if roll < 0.9 else bytes(8))

    def resp(self, data: bytes) -> bytes:
        """Half the time a RESP length or count rewritten, else byte-level changes."""
        if self.rng.random() < 0.5:
            headers = list(re.finditer(rb"[*$](-?\d+)\r\n", data))
            if headers:
                match = self.rng.choice(headers)
                number = self.rng.choice(INTERESTING_NUMBERS + (str(int(match.group(1)) + 1).encode(),))
                return data[: match.start(1)] + number + data[match.end(1) :]
        return self.bytes(data)


class FileFuzzer:
    def __init__(self, workdir: Path, seed: int):
        self.workdir = Path(workdir)
        self.rng = random.Random(seed)
        self.mutate = Mutator(self.rng)
        self.report = FileReport()
        self.log_offset = 0

    def run(self, inputs: int, startup: int = 0) -> FileReport:
        started = time.monotonic()
        data = self.workdir / "data"
        shutil.rmtree(data, ignore_errors=True)  # a previous run's mutated files would stop the start
        data.mkdir(parents=True)
        self.log_path = self.workdir / "server.log"
        self.log_path.unlink(missing_ok=True)
        with redislite(*SERVER_ARGS, cwd=data, stderr_path=self.log_path) as server:
            self.server = server
            self.client = redis.Redis(port=server.port, socket_timeout=REPLY_TIMEOUT_S)
            build_dataset(self.client)
            self.client.save()
            self.client.execute_command("BGREWRITEAOF")
            self.wait_for_rewrite()
            build_dataset(self.client)  # again, so the incremental file holds writes too
            self.client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
            self.rdb_path = data / "dump.rdb"
            self.aof_dir = data / "appendonlydir"
            rdb_seed = self.rdb_path.read_bytes()
            aof_seeds = {path: path.read_bytes() for path in sorted(self.aof_dir.iterdir())}
            for number in range(inputs):
                if self.rng.random() < 0.5:
                    self.fuzz_rdb(rdb_seed)
                else:
                    self.fuzz_aof(aof_seeds)
                self.report.inputs += 1
                if number % LOG_SCAN_EVERY == 0:
                    self.scan_log()
                if server.process.poll() is not None:
                    self.report.findings.append(f"server exited ({server.process.returncode}) at input {number}")
                    break
            self.scan_log()
        for _ in range(startup):
            self.fuzz_startup(rdb_seed)
            self.report.inputs += 1
        self.report.seconds = time.monotonic() - started
        return self.report

    def wait_for_rewrite(self) -> None:
        deadline = time.monotonic() + 30
        while self.client.info("persistence")["aof_rewrite_in_progress"] and time.monotonic() < deadline:
            time.sleep(0.05)

    def fuzz_rdb(self, seed: bytes) -> None:
        self.report.rdb += 1
        mutated = self.mutate.rdb(seed)
        self.rdb_path.write_bytes(mutated)
        self.load(mutated, ["DEBUG", "RELOAD", "NOSAVE"], "rdb")

    def fuzz_aof(self, seeds: dict) -> None:
        self.report.aof += 1
        for path, content in seeds.items():
            path.write_bytes(content)
        targets = [path for path in seeds if not path.name.endswith(".manifest")]
        target = self.rng.choice(targets)
        if self.rng.random() < 0.1:
            target = next(path for path in seeds if path.name.endswith(".manifest"))
        mutated = self.mutate.resp(seeds[target])
        target.write_bytes(mutated)
        self.load(mutated, ["DEBUG", "LOADAOF"], f"aof-{target.name}")

    def load(self, mutated: bytes, command: list[str], kind: str) -> None:
        started = time.monotonic()
        try:
            self.client.execute_command(*command)
            self.report.loaded += 1
        except redis.ResponseError as error:
            if "internal error" in str(error):
                self.finding(kind, mutated, f"internal error: {error}")
            self.report.refused += 1
        except (redis.ConnectionError, redis.TimeoutError) as error:
            self.finding(kind, mutated, f"{type(error).__name__}: {error}")
            self.reconnect()
            return
        elapsed = time.monotonic() - started
        self.report.slowest_load_s = max(self.report.slowest_load_s, elapsed)
        started = time.monotonic()
        try:
            assert self.client.ping() is True
        except (redis.RedisError, AssertionError) as error:
            self.finding(kind, mutated, f"no PING after the load: {error!r}")
            self.reconnect()
            return
        if time.monotonic() - started > PING_BUDGET_S:
            self.finding(kind, mutated, f"PING took {time.monotonic() - started:.2f} s after the load")

    def reconnect(self) -> None:
        self.client.close()
        self.client = redis.Redis(port=self.server.port, socket_timeout=REPLY_TIMEOUT_S)

    def fuzz_startup(self, seed: bytes) -> None:
        """A fresh server on a mutated dump.rdb: it serves, or exits with a message (never a traceback)."""
        self.report.startup += 1
        data = self.workdir / f"startup-{self.report.startup}"
        data.mkdir(parents=True, exist_ok=True)
        mutated = self.mutate.rdb(seed)
        (data / "dump.rdb").write_bytes(mutated)
        log_path = data / "server.log"
        server = redislite("--save", "", cwd=data, stderr_path=log_path)
        try:
            server.start()
            assert redis.Redis(port=server.port, socket_timeout=REPLY_TIMEOUT_S).ping() is True
            self.report.loaded += 1
        except RuntimeError:  # it exited: with a message, not a traceback
            self.report.refused += 1
            text = log_path.read_text(errors="replace")
            if "Traceback" in text or not text.strip():
                self.finding("startup", mutated, "exit without a clean message: " + text[-500:])
        except (redis.RedisError, AssertionError, subprocess.TimeoutExpired) as error:
            self.finding("startup", mutated, f"started but does not answer: {error!r}")
        finally:
            server.stop()
        for line in log_path.read_bytes().splitlines():
            if line.startswith(b"{") and (problem := log_problem(line)) is not None:
                self.finding("startup", mutated, problem.signature)

    def scan_log(self) -> None:
        with open(self.log_path, "rb") as log:
            log.seek(self.log_offset)
            lines = log.read().splitlines()
            self.log_offset = log.tell()
        for line in lines:
            if not line.strip():
                continue
            problem = log_problem(line)
            if problem is not None:
                self.report.findings.append(f"log: {problem.signature}")

    def finding(self, kind: str, mutated: bytes, what: str) -> None:
        number = len(self.report.findings)
        path = self.workdir / "findings" / f"{kind}-{number}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(mutated)
        self.report.findings.append(f"{kind}: {what} ({path})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--startup", type=int, default=20, help="inputs that start a fresh server (slow)")
    parser.add_argument("--workdir", type=Path, default=Path("fuzz-files"))
    args = parser.parse_args()
    report = FileFuzzer(args.workdir, args.seed).run(args.inputs, args.startup)
    print("\n".join(report.lines()))
    print(json.dumps({"inputs": report.inputs, "findings": len(report.findings)}))
    return 1 if report.findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
