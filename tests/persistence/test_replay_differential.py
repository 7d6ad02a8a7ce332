"""Replay gives the data the server held: seeded write sequences (every command with the `write` flag in the
live server's COMMAND table, transactions with SELECT inside, scripts and functions, blocking pops served by a
later push, short and long TTLs, keys expiring during the run, several databases) run against RedisLite with
`appendonly yes` and `appendfsync always`; then its state (every key's type, value and expiry deadline, and
the function libraries) is compared with what a restart reads back:

    aof            RedisLite from the AOF directory
    aof-rewritten  the same, with BGREWRITEAOF (RDB preamble or RESP base) halfway through the run
    rdb            RedisLite from the dump.rdb that SAVE wrote at the end, with appendonly no
    redis-aof      a real redis-server 7.0 from a copy of the AOF directory
    redis-rdb      a real redis-server 7.0 from the dump.rdb

Deadlines are compared with PEXPIRETIME within TOLERANCE_MS; TTLs are at most 50 ms (gone before the state is
read) or at least 100 s, and the first restart begins at least RESTART_GAP_S after the last write, so a deadline
replayed relative to the load time cannot pass. A difference names the key, what differs and the commands of
the run that named the key (or the whole keyspace). Eviction under maxmemory is a scenario of its own; fixed
sequences hold the cases issue 16 names; one more test checks where the AOF logs lazily expired keys.

Runs are seeded but not exactly repeatable (timing decides which short TTLs lapse before a command, SPOP picks,
TIME differs); a failure names the directory that keeps the run's files (pytest keeps only its last few
base directories: --basetemp=DIR keeps them for sure). For longer local runs:
REPLAY_SEEDS=40 (seeds 1..40), REPLAY_SEEDS=5,9,11 or REPLAY_SEEDS=9, (one seed); REPLAY_LENGTH=1000 (steps
per seed, default 350); REPLAY_EVICTION_LENGTH=10000."""

import os
import select
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from redislite.persistence.aof_format import parse_commands

from ..differential.resp import RawClient, encode
from ..servers import ServerProcess, real_redis, redis_server_path, redislite
from .replay_generator import (
    PAYLOAD,
    SERVED_POPS,
    SHORT_TTL_MS,
    At,
    ReplayGenerator,
    Step,
    eviction_sequence,
    setup_commands,
)

TOLERANCE_MS = 1000
RESTART_GAP_S = 1.5
REWRITE_OVERLAP = 15  # steps run while the rewrite child works
AOF_DIR = "appendonlydir"
DEFAULT_SEEDS = "6"
DEFAULT_LENGTH = 350
# Write commands the generator may leave out, each with the reason it cannot run in this setting. (RedisLite
# has no MIGRATE today; the entry is here so that adding one does not fail this test for the wrong reason.)
EXCLUDED = {
    "migrate": "moves keys to another server: what the source logs is a DEL, and there is no target here",
}
# Not write commands, but ways of writing that replay must handle: each must appear in the generated runs.
ALSO_COVERED = {"multi", "select", "eval", "evalsha", "eval_ro", "fcall", "fcall_ro"}


def seeds() -> list[int]:
    text = os.environ.get("REPLAY_SEEDS", DEFAULT_SEEDS)
    """REPLAY_SEEDS: a count N (seeds 1..N) or a list with commas ("9," is seed 9 alone)."""
    if "," in text:
        return [int(part) for part in text.split(",") if part.strip()]
    return list(range(1, int(text) + 1))


def sequence_length() -> int:
    return int(os.environ.get("REPLAY_LENGTH", DEFAULT_LENGTH))


def rewrite_mode(seed: int) -> str:
    """Seeds take turns: no rewrite, a rewrite with an RDB preamble, one with a RESP base."""
    return ("none", "rdb-preamble", "resp-base")[seed % 3]


# -- running a sequence --------------------------------------------------------------------------------------


def as_bytes(arg) -> bytes:
    return arg if isinstance(arg, bytes) else str(arg).encode()


def bulk(raw: bytes) -> bytes | None:
    """The payload of a raw bulk-string reply (None for a null)."""
    if not raw.startswith(b"$") or raw.startswith(b"$-1"):
        return None
    header, rest = raw.split(b"\r\n", 1)
    return rest[: int(header[1:])]


def shown(argv) -> str:
    parts = []
    for arg in argv:
        text = repr(as_bytes(arg))[2:-1]
        parts.append(text if len(text) <= 40 else text[:37] + "...")
    return " ".join(parts[:12]) + (" ..." if len(argv) > 12 else "")


@dataclass
class Entry:
    """One command of the run, for the failure report."""

    index: int
    db: int
    argv: list
    reply: bytes

    def mentions(self, key: bytes) -> bool:
        return any(as_bytes(arg) == key for arg in self.argv[1:]) or as_bytes(self.argv[0]).upper() in (
            b"SWAPDB",
            b"FLUSHALL",
            b"FLUSHDB",
        )

    def __str__(self) -> str:
        reply = self.reply[:60].replace(b"\r\n", b" ")
        return f"    #{self.index} db{self.db}: {shown(self.argv)} -> {reply!r}"


@dataclass
class Run:
    """Executes steps on a live server and keeps the log of what ran."""

    port: int
    log: list = field(default_factory=list)
    db: int = 0
    last_write: float = 0.0

    def __post_init__(self):
        self.main = RawClient(self.port)
        self.helper = RawClient(self.port)

    def close(self) -> None:
        self.main.close()
        self.helper.close()

    def record(self, db: int, argv, reply: bytes) -> None:
        self.log.append(Entry(len(self.log), db, argv, reply))

    def execute(self, steps: list[Step], rewrite_at: int | None = None) -> None:
        for argv in setup_commands():
            self.record(self.db, argv, self.main.call(*argv))
        batch: list = []
        for index, step in enumerate(steps):
            if index == rewrite_at:
                self.flush(batch)
                self.start_rewrite()
            if rewrite_at is not None and index == rewrite_at + REWRITE_OVERLAP:
                self.flush(batch)
                self.finish_rewrite()
            if step.kind == "run":
                batch.append(step.commands[0])
                if len(batch) >= 25:
                    self.flush(batch)
                continue
            self.flush(batch)
            getattr(self, "run_" + step.kind)(step)
        self.flush(batch)
        if rewrite_at is not None and len(steps) < rewrite_at + REWRITE_OVERLAP:
            self.finish_rewrite()
        self.last_write = time.time()

    def flush(self, batch: list) -> None:
        """The pending single commands, pipelined (one fsync for several writes)."""
        if not batch:
            return
        commands = [resolve(argv) for argv in batch]
        for argv, reply in zip(commands, self.main.pipeline(commands)):
            self.record(self.db, argv, reply)
            if as_bytes(argv[0]).upper() == b"SELECT" and reply == b"+OK\r\n":
                self.db = int(argv[1])
        batch.clear()

    def run_multi(self, step: Step) -> None:
        commands = [resolve(argv) for argv in step.commands]
        replies = self.main.pipeline([["MULTI"], *commands, ["EXEC"]])
        self.record(self.db, ["MULTI"], replies[0])
        db = self.db
        for argv, reply in zip(commands, replies[1:-1]):
            self.record(db, argv, reply)
            if as_bytes(argv[0]).upper() == b"SELECT":
                db = int(argv[1])
        self.record(self.db, ["EXEC"], replies[-1])
        if replies[-1].startswith(b"*") and not replies[-1].startswith(b"*-1"):
            self.db = db

    def run_sleep(self, step: Step) -> None:
        time.sleep(step.seconds)

    def run_restore(self, step: Step) -> None:
        payload = bulk(self.main.call("DUMP", step.source))
        self.record(self.db, ["DUMP", step.source], b"(payload)" if payload is not None else b"$-1")
        argv = [payload if arg is PAYLOAD else arg for arg in resolve(step.commands[0])]
        argv = [b"not a payload" if arg is None else arg for arg in argv]
        self.record(self.db, argv, self.main.call(*argv))

    def run_function_restore(self, step: Step) -> None:
        payload = bulk(self.main.call("FUNCTION", "DUMP"))
        argv = [payload if arg is PAYLOAD else arg for arg in step.commands[0]]
        self.record(self.db, ["FUNCTION", "DUMP"], b"(payload)")
        self.record(self.db, argv, self.main.call(*argv))

    def run_served(self, step: Step) -> None:
        """The waiters block on their own connections; the helper's push serves them (pushing again while one
        still waits: two waiters may need more elements than one push brings)."""
        self.helper.call("SELECT", step.db)
        self.record(step.db, step.setup, self.helper.call(*step.setup))
        waiters = []
        for argv in step.commands:
            waiter = RawClient(self.port)
            waiter.call("SELECT", step.db)
            waiter.send_raw(encode(*argv))
            waiters.append((waiter, argv))
        try:

            def all_waiting():  # or answered at once (an error)
                answered = select.select([waiter.sock for waiter, _argv in waiters], [], [], 0)[0]
                return blocked_clients(self.helper) + len(answered) >= len(waiters)

            wait_until(all_waiting, "the waiters to block")
            self.record(step.db, step.push, self.helper.call(*step.push))
            for number, (waiter, argv) in enumerate(waiters):
                for _attempt in range(3):
                    if select.select([waiter.sock], [], [], 0.2)[0]:
                        break
                    self.record(step.db, step.push, self.helper.call(*step.push))
                self.record(step.db, [f"(waiter {number})", *argv], waiter.read_reply())
        finally:
            for waiter, _argv in waiters:
                waiter.close()

    def start_rewrite(self) -> None:
        self.record(self.db, ["BGREWRITEAOF"], self.helper.call("BGREWRITEAOF"))

    def finish_rewrite(self) -> None:
        def done():
            fields = info(self.helper, "persistence")
            return fields["aof_rewrite_in_progress"] == "0" and fields["aof_rewrite_scheduled"] == "0"

        wait_until(done, "BGREWRITEAOF to finish", timeout=60)
        status = info(self.helper, "persistence")["aof_last_bgrewrite_status"]
        assert status == "ok", f"BGREWRITEAOF failed: {status}"

    def history(self, key: bytes, limit: int = 25) -> str:
        lines = [str(entry) for entry in self.log if entry.mentions(key)]
        return "\n".join(lines[-limit:]) if lines else "    (no command named it)"


def resolve(argv) -> list:
    """The command with its At placeholders turned into absolute times as of now."""
    now_ms = int(time.time() * 1000)
    return [arg.resolve(now_ms) if isinstance(arg, At) else arg for arg in argv]


def info(client: RawClient, section: str) -> dict:
    text = bulk(client.call("INFO", section)).decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def blocked_clients(client: RawClient) -> int:
    return int(info(client, "clients")["blocked_clients"])


def wait_until(condition, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


# -- reading a server's state --------------------------------------------------------------------------------


def parse(raw: bytes):
    """A raw RESP2 reply as Python values (enough for the replies read_state asks for)."""
    value, _end = _parse_at(raw, 0)
    return value


def _parse_at(raw: bytes, pos: int):
    end = raw.index(b"\r\n", pos)
    kind, header = raw[pos : pos + 1], raw[pos + 1 : end]
    if kind == b"$":
        length = int(header)
        if length < 0:
            return None, end + 2
        return raw[end + 2 : end + 2 + length], end + 4 + length
    if kind == b"*":
        count = int(header)
        if count < 0:
            return None, end + 2
        items, pos = [], end + 2
        for _ in range(count):
            item, pos = _parse_at(raw, pos)
            items.append(item)
        return items, pos
    if kind == b":":
        return int(header), end + 2
    if kind == b"-":
        raise AssertionError(f"error reply while reading the state: {header!r}")
    return header, end + 2


HLL_REGISTERS = 16384


def hll_registers(data: bytes) -> tuple | None:
    """The 16384 registers of a HyperLogLog string (dense or sparse), None when it is not one. Servers may
    differ in the representation (redis-server 7.0 keeps PFMERGE's result sparse when every input is), and in
    the cached cardinality, so HyperLogLogs are compared by their registers."""
    if not data.startswith(b"HYLL") or len(data) < 16 or data[4] not in (0, 1):
        return None
    body = data[16:]
    if data[4] == 0:
        if len(body) != HLL_REGISTERS * 6 // 8:
            return None
        padded = body + b"\x00"
        return tuple(
            (padded[bit // 8] | padded[bit // 8 + 1] << 8) >> (bit % 8) & 63 for bit in range(0, HLL_REGISTERS * 6, 6)
        )
    registers, pos = [], 0
    while pos < len(body):
        opcode = body[pos]
        if opcode & 0xC0 == 0:  # ZERO: 1-64 empty registers
            registers += [0] * ((opcode & 0x3F) + 1)
            pos += 1
        elif opcode & 0xC0 == 0x40:  # XZERO: 1-16384 empty registers, two bytes
            registers += [0] * (((opcode & 0x3F) << 8 | body[pos + 1]) + 1)
            pos += 2
        else:  # VAL: 1-4 registers of value 1-32
            registers += [((opcode >> 2) & 0x1F) + 1] * ((opcode & 3) + 1)
            pos += 1
    return tuple(registers) if len(registers) == HLL_REGISTERS else None


@dataclass(frozen=True)
class HyperLogLog:
    registers: tuple

    def __repr__(self) -> str:
        used = [(index, value) for index, value in enumerate(self.registers) if value]
        return f"HyperLogLog({len(used)} registers set: {used[:8]}{'...' if len(used) > 8 else ''})"


def read_value(client: RawClient, kind: bytes, key: bytes):
    if kind == b"string":
        value = parse(client.call("GET", key))
        registers = hll_registers(value)
        return value if registers is None else HyperLogLog(registers)
    if kind == b"list":
        return parse(client.call("LRANGE", key, 0, -1))
    if kind == b"set":
        return sorted(parse(client.call("SMEMBERS", key)))
    if kind == b"hash":
        flat = parse(client.call("HGETALL", key))
        return sorted(zip(flat[::2], flat[1::2]))
    if kind == b"zset":
        flat = parse(client.call("ZRANGE", key, 0, -1, "WITHSCORES"))
        return [(member, float(score)) for member, score in zip(flat[::2], flat[1::2])]
    if kind == b"stream":
        return parse(client.call("XRANGE", key, "-", "+"))
    return f"(a {kind!r}: not read)"


def read_state(port: int) -> dict:
    """{(db, key): (type, value, deadline ms or -1)} for every key in every database, plus
    {("functions", name): code} for the function libraries."""
    client = RawClient(port)
    try:
        wait_until(lambda: client.call("PING") == b"+PONG\r\n", "the data to load", timeout=60)
        state = {}
        for db in range(16):
            client.call("SELECT", db)
            keys, cursor = set(), b"0"
            while True:
                cursor, batch = parse(client.call("SCAN", cursor, "COUNT", 1000))
                keys.update(batch)
                if cursor == b"0":
                    break
            for key in sorted(keys):
                kind = parse(client.call("TYPE", key))
                if kind == b"none":  # expired since SCAN (only short TTLs can)
                    continue
                value = read_value(client, kind, key)
                state[(db, key)] = (kind, value, parse(client.call("PEXPIRETIME", key)))
        for library in parse(client.call("FUNCTION", "LIST", "WITHCODE")):
            fields = dict(zip(library[::2], library[1::2]))
            state[("functions", fields[b"library_name"])] = (b"library", fields[b"library_code"], -1)
        return state
    finally:
        client.close()


def differences(expected: dict, actual: dict, run: "Run | None") -> list[str]:
    out = []
    now_ms = int(time.time() * 1000)
    for where in sorted(expected.keys() | actual.keys(), key=repr):
        want, got = expected.get(where), actual.get(where)
        if want is not None and got is not None and want[:2] == got[:2] and deadlines_agree(want[2], got[2]):
            continue
        if got is None and 0 <= want[2] <= now_ms:  # its TTL ran out since (only in runs longer than 100 s)
            continue
        label = "functions" if where[0] == "functions" else f"db{where[0]}"
        line = f"  {label} {where[1]!r}: held {describe(want)}\n      read back {describe(got)}"
        if want is not None and got is not None and want[:2] != got[:2]:
            line += f"\n      {value_difference(want[1], got[1])}"
        if run is not None and where[0] != "functions":
            line += f"\n    commands naming it (or every key):\n{run.history(where[1])}"
        out.append(line)
    return out


def deadlines_agree(want: int, got: int) -> bool:
    return want == got == -1 or (want >= 0 and got >= 0 and abs(want - got) <= TOLERANCE_MS)


def describe(entry) -> str:
    if entry is None:
        return "(no such key)"
    kind, value, deadline = entry
    text = repr(value)
    text = text if len(text) <= 160 else text[:157] + "..."
    expiry = (
        "no TTL" if deadline == -1 else f"PEXPIRETIME {deadline} ({deadline - int(time.time() * 1000)} ms from now)"
    )
    return f"{kind.decode()} {text}, {expiry}"


def value_difference(want, got) -> str:
    """Where two values of a key differ, when the values are too long to read side by side."""
    if isinstance(want, HyperLogLog) and isinstance(got, HyperLogLog):
        changed = [(index, a, b) for index, (a, b) in enumerate(zip(want.registers, got.registers)) if a != b]
        return f"registers (index, held, read back): {changed[:10]}"
    if isinstance(want, list) and isinstance(got, list):
        first = next((index for index, (a, b) in enumerate(zip(want, got)) if a != b), min(len(want), len(got)))
        return (
            f"lengths {len(want)} and {len(got)}, first difference at index {first}: "
            f"{want[first : first + 3]!r} / {got[first : first + 3]!r}; held only: "
            f"{[item for item in want if item not in got][:5]!r}, read back only: "
            f"{[item for item in got if item not in want][:5]!r}"
        )
    return "values differ"


# -- servers and restarts ------------------------------------------------------------------------------------


def source_server(directory: Path, *args: str) -> ServerProcess:
    return redislite(
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--save",
        "",
        "--dir",
        str(directory),
        *args,
        stderr_path=directory.parent / f"{directory.name}.log",
    )


def copy_of(source: Path, target: Path, names: list[str]) -> Path:
    target.mkdir()
    for name in names:
        if (source / name).is_dir():
            shutil.copytree(source / name, target / name)
        elif (source / name).exists():
            shutil.copy2(source / name, target / name)
    return target


def state_after_restart(process: ServerProcess, log: Path) -> dict | str:
    """The state the restarted server holds, or why it did not start."""
    try:
        process.start()
    except RuntimeError as error:
        process.stop()
        return f"did not start ({error}); its log ends:\n{tail(log)}"
    try:
        return read_state(process.port)
    finally:
        process.stop()


def tail(log: Path, lines: int = 8) -> str:
    text = log.read_text(errors="replace") if log.exists() else "(no log)"
    return "\n".join("      " + line for line in text.splitlines()[-lines:])


def restarts(source: Path, work: Path, kinds: list[str]) -> dict[str, dict | str]:
    """Each kind of restart on its own copy of the files, so one loader cannot change what another reads."""
    results = {}
    for kind in kinds:
        directory = work / kind
        log = work / f"{kind}.log"
        if kind.startswith("redis-") and redis_server_path() is None:
            continue
        if kind in ("aof", "aof-rewritten"):
            copy_of(source, directory, [AOF_DIR])
            process = redislite("--appendonly", "yes", "--save", "", "--dir", str(directory), stderr_path=log)
        elif kind == "rdb":
            copy_of(source, directory, ["dump.rdb"])
            process = redislite("--appendonly", "no", "--save", "", "--dir", str(directory), stderr_path=log)
        elif kind == "redis-aof":
            copy_of(source, directory, [AOF_DIR])
            process = real_redis(
                "--appendonly", "yes", "--appenddirname", AOF_DIR, "--dir", str(directory), "--logfile", str(log)
            )
        else:
            copy_of(source, directory, ["dump.rdb"])
            process = real_redis("--dir", str(directory), "--dbfilename", "dump.rdb", "--logfile", str(log))
        results[kind] = state_after_restart(process, log)
    return results


def finish_and_read(run: Run, server: ServerProcess) -> dict:
    """Let short TTLs lapse, read the state the server holds, SAVE, stop it; wait out RESTART_GAP_S."""
    time.sleep(SHORT_TTL_MS / 1000 + 0.05)
    expected = read_state(server.port)
    assert run.helper.call("SAVE") == b"+OK\r\n"
    run.close()
    server.stop()
    time.sleep(max(0.0, run.last_write + RESTART_GAP_S - time.time()))
    return expected


def report(label: str, expected: dict, results: dict, run: Run | None) -> list[str]:
    failures = []
    for kind, actual in results.items():
        if isinstance(actual, str):
            failures.append(f"{label}, {kind}: the restart {actual}")
            continue
        found = differences(expected, actual, run)
        if found:
            failures.append(f"{label}, {kind}: {len(found)} of {len(expected)} keys differ\n" + "\n".join(found[:12]))
    return failures


# -- the tests -----------------------------------------------------------------------------------------------


def command_name(argv, containers: set[str]) -> str:
    name = as_bytes(argv[0]).decode("latin-1").lower()
    if name in containers and len(argv) > 1:
        return f"{name}|{as_bytes(argv[1]).decode('latin-1').lower()}"
    return name


def test_the_generator_covers_every_write_command(server):
    """The write commands come from the live COMMAND table, so a command added later without a generator
    builder fails here by name."""
    client = RawClient(server.port)
    table = parse(client.call("COMMAND"))
    client.close()
    writes, containers = set(), set()
    for entry in table:
        name = entry[0].decode()
        if b"write" in entry[2]:
            writes.add(name)
        for subcommand in entry[9] if len(entry) > 9 else []:
            containers.add(name)
            if b"write" in subcommand[2]:
                writes.add(subcommand[0].decode())
    sent, served = set(), set()
    for seed in seeds():
        for step in ReplayGenerator(seed).sequence(sequence_length()):
            for argv in step.commands + ([step.push] if step.push else []):
                sent.add(command_name(argv, containers))
            if step.kind == "multi":
                sent.add("multi")
            if step.kind == "served":
                served.add(as_bytes(step.commands[0][0]).decode())
    missing = sorted(writes - sent - EXCLUDED.keys())
    assert not missing, f"write commands the replay generator never sends: {missing}"
    assert not ALSO_COVERED - sent, f"never sent: {sorted(ALSO_COVERED - sent)}"
    assert served == set(SERVED_POPS), f"blocking pops never served by a push: {sorted(set(SERVED_POPS) - served)}"


@pytest.mark.parametrize("seed", seeds())
def test_replay_gives_the_data_the_server_held(tmp_path, seed):
    mode = rewrite_mode(seed)
    steps = ReplayGenerator(seed).sequence(sequence_length())
    source = tmp_path / "source"
    source.mkdir()
    extra = ("--aof-use-rdb-preamble", "no") if mode == "resp-base" else ()
    with source_server(source, *extra) as server:
        run = Run(server.port)
        run.execute(steps, rewrite_at=None if mode == "none" else len(steps) // 2)
        expected = finish_and_read(run, server)
    kinds = ["aof" if mode == "none" else "aof-rewritten", "rdb", "redis-aof", "redis-rdb"]
    results = restarts(source, tmp_path, kinds)
    failures = report(
        f"seed {seed} (rewrite: {mode}, {len(steps)} steps, {len(run.log)} commands, files in {tmp_path})",
        expected,
        results,
        run,
    )
    assert not failures, "\n\n".join(failures)


KNOWN_CASES = [
    # Short TTLs and what follows within them, pipelined (one batch: it all runs within a few ms). The replay
    # runs after the deadlines passed: a loader that expires keys while it loads (Redis does not) drops a key
    # that the later commands still found, or keeps one that was meant to expire.
    *(
        SHORT_TTLS_THEN := [
            Step("run", [["SET", "keepttl:short", "v", "PX", "40"]]),
            Step("run", [["SET", "keepttl:short", "w", "KEEPTTL"]]),  # expires with its first TTL
            Step("run", [["SET", "persist:short", "v", "PX", "40"]]),
            Step("run", [["GETEX", "persist:short", "PERSIST"]]),  # stays, without a TTL
            Step("run", [["RPUSH", "source:short", "a", "b"]]),
            Step("run", [["PEXPIRE", "source:short", "40"]]),
            Step("run", [["RPOPLPUSH", "source:short", "moved"]]),  # `moved` keeps b
        ]
    ),
    Step("run", [["SADD", "set:a", "x", "y", "z"]]),
    # a deadline already past: the key is gone at once, and what is logged must say so (Redis logs a DEL, or
    # nothing when there was nothing to delete), or a loader that does not expire while it loads, as Redis's,
    # finds the key still there when the next command of the file looks
    Step("run", [["SET", "past:set", "v", "PXAT", "1000"]]),
    Step("run", [["SET", "past:set", "w", "NX"]]),
    Step("run", [["SET", "past:restore", "replaced"]]),
    Step("restore", [["RESTORE", "past:restore", "1000", PAYLOAD, "ABSTTL", "REPLACE"]], source=b"set:a"),
    Step("restore", [["RESTORE", "past:restore", At(300_000), PAYLOAD, "ABSTTL"]], source=b"set:a"),
    # a served BLMPOP or BZMPOP whose key is named like a direction
    Step(
        "served",
        [["BLMPOP", "0", "1", "left", "RIGHT"]],
        db=0,
        setup=["DEL", "left"],
        push=["RPUSH", "left", "a", "b", "c"],
    ),
    Step(
        "served",
        [["BZMPOP", "0", "1", "max", "MIN"]],
        db=1,
        setup=["DEL", "max"],
        push=["ZADD", "max", "1", "a", "2", "b"],
    ),
    Step("run", [["RPUSH", "right", "a", "b", "c"]]),
    Step("run", [["EVAL", "return redis.call('BLMPOP', 0, 1, KEYS[1], 'LEFT')", "1", "right"]]),  # in a script
    Step("run", [["SET", "keep", "v", "EX", "1000"]]),
    Step("run", [["SET", "keep", "w", "GET", "KEEPTTL"]]),
    Step("run", [["SET", "persisted", "v", "EX", "1000"]]),
    Step("run", [["GETEX", "persisted", "PERSIST"]]),
    Step("run", [["SET", "short", "v", "PX", "10"]]),
    Step("sleep", seconds=0.06),
    Step("multi", [["SET", "in-multi", "1"], ["GET", "short"], ["SELECT", "2"], ["SET", "in-multi", "2"]]),
    Step("run", [["SELECT", "0"]]),
    Step(
        "run",
        [
            [
                "EVAL",
                "redis.call('SET', KEYS[1], 'x', 'EX', 100) return redis.call('SPOP', KEYS[2])",
                "2",
                "scripted",
                "set:a",
            ]
        ],
    ),
]


def test_replay_of_the_known_cases(tmp_path):
    """The cases issue 16 names, as one fixed sequence through every restart."""
    source = tmp_path / "source"
    source.mkdir()
    with source_server(source) as server:
        run = Run(server.port)
        run.execute(KNOWN_CASES)
        expected = finish_and_read(run, server)
    failures = report(
        "known cases", expected, restarts(source, tmp_path, ["aof", "rdb", "redis-aof", "redis-rdb"]), run
    )
    assert not failures, "\n\n".join(failures)


def test_replay_after_evictions(tmp_path):
    """allkeys-lru under a small maxmemory, written past it again and again: the evicted keys must be logged
    (as DEL), so that a restart reads back what the server held, not everything it was sent. The restarts run
    without maxmemory: with it, a server that prices the loaded data higher would evict on its first command,
    which is eviction, not replay."""
    source = tmp_path / "source"
    source.mkdir()
    steps = eviction_sequence(seed=99, length=int(os.environ.get("REPLAY_EVICTION_LENGTH", 2500)))
    with source_server(source, "--maxmemory-policy", "allkeys-lru") as server:
        run = Run(server.port)
        used = int(info(run.helper, "memory")["used_memory"])
        run.helper.call("CONFIG", "SET", "maxmemory", used + 1_000_000)
        run.execute(steps)
        evicted = int(info(run.helper, "stats")["evicted_keys"])
        assert evicted >= 100, f"the scenario evicted only {evicted} keys: raise its length"
        run.helper.call("CONFIG", "SET", "maxmemory", 0)  # reading the state must not evict
        expected = finish_and_read(run, server)
    failures = report(
        f"eviction ({evicted} keys evicted, {len(run.log)} commands)",
        expected,
        restarts(source, tmp_path, ["aof", "rdb", "redis-aof"]),
        run,
    )
    assert not failures, "\n\n".join(failures)


def commands_in_incr_files(directory: Path) -> list[list[bytes]]:
    """Every command of the AOF directory's incremental files, in order."""
    commands = []
    incr_files = sorted(directory.glob("*.incr.aof"), key=lambda path: int(path.name.split(".")[-3]))
    for path in incr_files:
        commands += [argv for argv, _start, _end in parse_commands(path.read_bytes())]
    return commands


def test_lazily_expired_keys_are_logged_outside_transactions(tmp_path):
    """A key found expired while EXEC or a script runs is logged as a DEL of its own, not inside the
    transaction's MULTI/EXEC: the deletion is not the transaction's effect (DESIGN.md: "lazy expiry and eviction
    propagate DEL outside any transaction"). The data replayed is the same either way, so only the file's shape
    can show it. Note that redis-server 7.0.15 itself logs such a DEL inside the MULTI/EXEC: this checks the
    design's rule, not 7.0's file."""
    process = redislite("--appendonly", "yes", "--appendfsync", "always", "--save", "", "--dir", str(tmp_path))
    expiring = [b"gone:1", b"gone:2", b"gone:3"]
    with process:
        client = RawClient(process.port)
        client.call("SET", "gone:1", "v", "PX", 10)
        client.call("SELECT", 1)
        client.call("SET", "gone:2", "v", "PX", 10)
        client.call("SELECT", 0)
        client.call("SET", "gone:3", "v", "PX", 10)
        time.sleep(0.05)
        replies = client.pipeline(
            [
                ["MULTI"],
                ["SET", "a", "1"],
                ["GET", "gone:1"],
                ["SELECT", 1],
                ["EXISTS", "gone:2"],
                ["SET", "b", "2"],
                ["EXEC"],
            ]
        )
        assert replies[-1].startswith(b"*5\r\n"), replies
        client.call("SELECT", 0)
        script = "redis.call('SET', 'c', '1') redis.call('GET', 'gone:3') return redis.call('SET', 'd', '1')"
        assert client.call("EVAL", script, 0) == b"+OK\r\n"
        client.close()
    commands = commands_in_incr_files(tmp_path / AOF_DIR)
    inside, deletions = [], []
    in_transaction = False
    for argv in commands:
        name = argv[0].upper()
        if name == b"MULTI":
            in_transaction = True
        elif name == b"EXEC":
            in_transaction = False
        elif name == b"DEL" and argv[1] in expiring:
            deletions.append(argv[1])
            if in_transaction:
                inside.append(argv[1])
    assert sorted(deletions) == expiring, commands
    shape = "\n".join("    " + shown(argv) for argv in commands)
    assert not inside, f"expired keys logged as DEL inside MULTI/EXEC: {inside}; the file:\n{shape}"


def test_keys_that_expire_before_the_restart_untouched(tmp_path):
    """The short-TTL known cases with nothing reading the keys before the server stops, so no DEL is logged
    after them: the restart must still agree with what redis-server reads from the same files (a key whose
    TTL ran out stays gone; a key made persistent in time stays)."""
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    source = tmp_path / "source"
    source.mkdir()
    with source_server(source, "--hz", "1") as server:  # the cron's active expiry must not get there first
        run = Run(server.port)
        run.execute(SHORT_TTLS_THEN)
        run.close()
    time.sleep(0.1)
    results = restarts(source, tmp_path, ["aof", "redis-aof"])
    expected = results.pop("redis-aof")
    assert isinstance(expected, dict) and (0, b"persist:short") in expected and (0, b"keepttl:short") not in expected, (
        expected
    )
    failures = report("short TTLs, untouched (held = what redis-server reads back)", expected, results, run)
    assert not failures, "\n\n".join(failures)
