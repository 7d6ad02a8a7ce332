"""Runs the generator's batches against a live RedisLite process and checks the oracle after each batch.

Before a batch the runner puts the server back in a known state on a control connection (configuration,
CLIENT UNPAUSE, SCRIPT/FUNCTION KILL, FLUSHALL, FUNCTION FLUSH, SCRIPT FLUSH unless the class lua-state-cycle is
left out, the fixture keys), so a batch is (nearly) its own reproducer. During it,
every reply is parsed (the server must always speak well-formed RESP) and scanned for `internal error`, and
every HTTP answer is checked (never a 5xx but 503 with a Redis refusal, never a hang). After it:

- a fresh connection gets an answer to PING within PING_BUDGET_S. A first PING that takes longer is
  counted as slow, and is a finding when the server, once it has stopped working (its CPU time no longer
  grows), still does not answer within the budget, when the first answer took over STALL_S, or when there is
  no answer within UNRESPONSIVE_S (the server then prints its Python stack, faulthandler on SIGABRT, into the
  finding, and is restarted);
- the server's log (stderr, JSON lines) has no traceback, no `command_failed`/`connection_failed` event, no
  "internal error", no ERROR-level event other than EXPECTED_ERROR_EVENTS, and no line that is not JSON;
- the HTTP door still answers /health after a batch that used it.

At the end, RSS (VmRSS from /proc) after every connection is closed and the data flushed must be within
RSS_TOLERANCE of the RSS measured the same way after the warm-up phase, plus RSS_SLACK_BYTES.

A finding keeps the seed, the batch and the one before it (a JSON file in `findings_dir`); `minimize`
replays a batch on the same (or a restarted) server and removes steps while the finding still occurs.
"""

import json
import os
import re
import select
import signal
import socket
import struct
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import hiredis

from tests.servers import free_port, redislite, wait_for_port

from .generator import (
    CLASSES,
    DENIED_CONFIG,
    FIXTURE_KEYS,
    Batch,
    CommandTable,
    Generator,
    Step,
    encode_command,
    fixture_commands,
)

PING_BUDGET_S = 0.1
STALL_S = 1.0  # no input is meant to keep the server busy this long
UNRESPONSIVE_S = 3.0  # after STALL_S, how long to keep waiting for PING before restarting the server
HTTP_TIMEOUT_S = 5.0
SETTLE_QUIET_S = 0.01  # a batch's connections are closed once they have been quiet this long
SETTLE_MAX_S = 1.0
CLOSE_WAIT_S = 0.002  # how long a connection closed right after a (bent) request waits for its reply
SEND_STALL_S = 2.0  # a connection the server does not read from (nor write to) this long is dropped
LOG_LINES_KEPT = 50  # the server's log lines of a batch saved with its findings
CONTROL_TIMEOUT_S = 5.0  # setting up a batch (the fixture, DEBUG RELOAD's save) takes milliseconds
PING = b"*1\r\n$4\r\nPING\r\n"
# a batch may make the server a replica of nowhere with replica-serve-stale-data no: then PING (not a `stale`
# command) is refused with MASTERDOWN, as Redis refuses it
ANSWERS_TO_PING = (b"+PONG", b"-BUSY", b"-LOADING", b"-MASTERDOWN")
FAILURE_EVENTS = {"command_failed", "connection_failed", "rdb_save_crashed", "rdb_load_crashed"}
# ERROR-level events that expected conditions cause, with the condition. None so far: the deny-list keeps
# out the fault injection (aof-write-fault-errno) that makes aof_write_failed expected.
EXPECTED_ERROR_EVENTS: dict[str, str] = {}
HTTP_REFUSALS = ("BUSY", "LOADING", "OOM", "MISCONF", "MASTERDOWN")  # what a 503 may say
RSS_TOLERANCE = 0.10
# What the interpreter still adds after a warm-up: code paths first taken late (an error text formatted once,
# a lazily imported module, a pydantic validator built on first use), caches filling (the pool of scripts),
# pymalloc arenas left partly used. Measured (seed 16, 19, 20; 20,000 inputs, warm-up 5,000, classes left out):
# +10, +7, +2 MB. Longer runs grow past it: see benchmarks/README.md.
RSS_SLACK_BYTES = 8 * 1024 * 1024
SERVER_ARGS = ("--proto-max-bulk-len", "2mb", "--save", "", "--appendonly", "no", "--loglevel", "notice")

# The finding kinds each known class can cause: a finding is attributed to a class when its batch exercised
# the class (a step tagged with it) and its kind is one of these. A class that holds the event loop also
# leaves the batch's HTTP requests unanswered.
HOLDS_THE_LOOP = {"stall", "unresponsive", "slow_when_idle", "http_hang", "http_dead"}
KNOWN_SYMPTOMS = {
    "reader": {"traceback", "error_log", *HOLDS_THE_LOOP},
    "keepalive": {"traceback", "error_log", "connect_failed", "ping_refused", *HOLDS_THE_LOOP},
    "http-pubsub": {"http_5xx", "traceback", "error_log", "ping_refused", "internal_error_reply", *HOLDS_THE_LOOP},
    "debug-sleep": {"internal_error_reply", "command_failed", "traceback"},
    "output-buffer": {"rss_growth", *HOLDS_THE_LOOP},  # not seen yet: an unbounded buffer would show so
    "memory-return": {"rss_growth"},
    "glob": HOLDS_THE_LOOP,
    "script-kill-exec": {
        "traceback",
        "error_log",
        "command_failed",
        "internal_error_reply",
        "malformed_reply",
        "script_not_killed",
        *HOLDS_THE_LOOP,
    },
    "debug-object": {"internal_error_reply", "command_failed", "traceback"},
    "busy-accept": {"script_not_killed", *HOLDS_THE_LOOP},
    "lua-state-cycle": {"rss_growth"},
    "glob-cache": {"rss_growth"},
    "resp3-request": {"traceback", "error_log"},
    "error-newline": {"malformed_reply"},
}
# What a class's findings of some kinds say, to tell them from other findings of the same batch; the classes
# in BY_MESSAGE are recognised by that alone, whatever the batch's tags (any bent frame can trigger them).
KNOWN_DETAILS = {
    "error-newline": {"malformed_reply": re.compile(r"expected '\$', got '\\n'")},
    "resp3-request": {"traceback": re.compile(r"TypeError: unhashable type")},
    "debug-object": {"traceback": re.compile(r"has no attribute 'encode'")},
    "debug-sleep": {"traceback": re.compile(r"OverflowError|ValueError")},
    "http-pubsub": {"traceback": re.compile(r"'NoneType' object has no attribute")},
}
BY_MESSAGE = {"error-newline", "resp3-request"}


def attributed(name: str, finding: "Finding", tagged: set) -> bool:
    """Whether a finding is one of the known class `name`'s (`tagged`: the classes its batch exercised)."""
    if finding.kind not in KNOWN_SYMPTOMS[name]:
        return False
    pattern = KNOWN_DETAILS.get(name, {}).get(finding.kind)
    if name in BY_MESSAGE:
        return pattern is not None and pattern.search(finding.detail) is not None
    return name in tagged and (pattern is None or pattern.search(finding.detail) is not None)


@dataclass
class Finding:
    kind: str
    signature: str  # what makes two findings the same defect
    detail: str
    batch: int = -1
    fatal: bool = False  # the server had to be restarted
    known: list = field(default_factory=list)  # known classes it is attributed to
    path: str | None = None  # its saved reproducer
    occurrences: int = 1

    def summary(self) -> str:
        known = f" [known: {', '.join(self.known)}]" if self.known else ""
        where = f" -> {self.path}" if self.path else ""
        return f"{self.kind} x{self.occurrences} (batch {self.batch}){known}: {self.signature}{where}"


@dataclass
class Report:
    seed: int
    inputs: int = 0
    batches: int = 0
    seconds: float = 0.0
    findings: list = field(default_factory=list)
    rss_start: int = 0
    rss_warm: int | None = None
    rss_end: int | None = None
    ping_max_ms: float = 0.0
    ping_max_batch: int = -1
    slow_pings: int = 0
    restarts: int = 0
    dropped_connections: int = 0  # connections given up on because the server neither read nor wrote
    http_requests: int = 0

    @property
    def inputs_per_s(self) -> float:
        return self.inputs / self.seconds if self.seconds else 0.0

    @property
    def new_findings(self) -> list:
        return [finding for finding in self.findings if not finding.known]

    def rss_limit(self) -> int | None:
        return None if self.rss_warm is None else int(self.rss_warm * (1 + RSS_TOLERANCE)) + RSS_SLACK_BYTES

    def lines(self) -> list[str]:
        mb = 1024 * 1024
        rss = [f"start {self.rss_start / mb:.1f} MB"]
        if self.rss_warm is not None:
            rss.append(f"warm-up {self.rss_warm / mb:.1f} MB")
        if self.rss_end is not None and self.rss_warm is not None:
            rss.append(f"end {self.rss_end / mb:.1f} MB (limit {self.rss_limit() / mb:.1f} MB)")
        elif self.rss_end is not None:
            rss.append(f"end {self.rss_end / mb:.1f} MB (not compared: restarted after the warm-up)")
        lines = [
            f"seed {self.seed}: {self.inputs} inputs in {self.batches} batches, {self.seconds:.1f} s, "
            f"{self.inputs_per_s:.0f} inputs/s, {self.http_requests} HTTP requests",
            f"PING max {self.ping_max_ms:.1f} ms (batch {self.ping_max_batch}), {self.slow_pings} slower than "
            f"{PING_BUDGET_S * 1000:.0f} ms; {self.restarts} restarts; {self.dropped_connections} "
            f"connections dropped",
            "RSS " + ", ".join(rss),
            f"findings: {len(self.findings)} ({len(self.new_findings)} not attributed to a known class)",
        ]
        lines += ["  " + finding.summary() for finding in self.findings]
        return lines


# -- the server ---------------------------------------------------------------------------------------------


class FuzzServer:
    """A RedisLite process to fuzz: RESP and HTTP on free ports, its own directory, stderr (the JSON log) to
    a file per start. proto-max-bulk-len is 2 MB so that SETRANGE/SETBIT/BITFIELD offsets cannot legitimately
    allocate half a gigabyte."""

    def __init__(self, workdir: Path, args: tuple = SERVER_ARGS):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.args = args
        self.starts = 0
        self.process = None
        self.log_path: Path | None = None

    def start(self) -> "FuzzServer":
        self.starts += 1
        self.http_port = free_port()
        self.log_path = self.workdir / f"server-{self.starts}.log"
        # faulthandler: SIGABRT makes a hung server print where it is (stack_dump) before it is restarted
        process = redislite(
            *self.args,
            http_port=self.http_port,
            cwd=self.workdir,
            env={"PYTHONFAULTHANDLER": "1"},
            stderr_path=self.log_path,
        )
        try:
            self.process = process.start()
            wait_for_port(self.http_port, process.process)
        except RuntimeError:  # it did not listen in time: do not leave it running
            process.stop()
            raise
        self.port = self.process.port
        return self

    def stop(self) -> None:
        if self.process is not None:
            if self.process.process.poll() is None and self.hung():
                self.process.process.kill()  # a loop that never yields would not handle SIGTERM either
            self.process.stop()
            self.process = None

    def stack_dump(self) -> str:
        """The Python stack of a server that does not answer: SIGABRT, which faulthandler prints to the log
        (the process ends; it is restarted anyway)."""
        size = self.log_path.stat().st_size
        os.kill(self.pid, signal.SIGABRT)
        try:
            self.process.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            return "no stack: the server did not end on SIGABRT"
        with open(self.log_path, "rb") as log:
            log.seek(size)
            text = log.read().decode("utf-8", "replace")
        frames = [line for line in text.splitlines() if not line.startswith("{")]
        return "\n".join(frames[:60])

    def hung(self) -> bool:
        """Whether it would not even handle SIGTERM (a loop that never yields): then it is killed."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.settimeout(0.5)
                sock.sendall(PING)
                return not sock.recv(64)
        except OSError:
            return True

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def pid(self) -> int:
        return self.process.process.pid

    def exit_status(self) -> int | None:
        return self.process.process.poll()

    def rss(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def cpu_ticks(self) -> int:
        with open(f"/proc/{self.pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime

    def __enter__(self) -> "FuzzServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


# -- connections ----------------------------------------------------------------------------------------------


class Control:
    """A blocking RESP3 connection for setting up batches and reading the command table."""

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=CONTROL_TIMEOUT_S)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.reader = hiredis.Reader()
        self.call(b"HELLO", b"3")
        self.call(b"CLIENT", b"SETNAME", b"fuzz-control")

    def pipeline(self, commands: list[list[bytes]]) -> list:
        self.sock.sendall(b"".join(map(encode_command, commands)))
        replies = []
        while len(replies) < len(commands):
            reply = self.reader.gets()
            if reply is False:
                chunk = self.sock.recv(1 << 20)
                if not chunk:
                    raise ConnectionError("control connection closed")
                self.reader.feed(chunk)
                continue
            replies.append(reply)
        return replies

    def call(self, *argv: bytes):
        return self.pipeline([list(argv)])[0]

    def close(self) -> None:
        self.sock.close()


class Lane:
    """One RESP connection of a batch: non-blocking, every reply read as it comes and checked."""

    def __init__(self, port: int, report_problem):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=1.0)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.setblocking(False)
        self.reader = hiredis.Reader()
        self.report_problem = report_problem
        self.raw = False  # replies are no longer RESP (SYNC), or could not be parsed: stop parsing
        self.tail = b""  # the end of the last chunk, so a text split between two reads is still seen
        self.open = True
        self.replies = 0
        self.group = 0  # of the last step sent on it

    def send(self, data: bytes) -> bool:
        """Write all of data, reading replies meanwhile; False when the server neither read nor wrote for
        SEND_STALL_S (the connection is then dropped) or the connection is gone."""
        view = memoryview(data)
        deadline = time.monotonic() + SEND_STALL_S
        while view and self.open:
            try:
                sent = self.sock.send(view)
                view = view[sent:]
                deadline = time.monotonic() + SEND_STALL_S
            except BlockingIOError:
                readable, _, _ = select.select([self.sock], [self.sock], [], 0.05)[:3]
                if readable:
                    self.drain()
                elif time.monotonic() > deadline:
                    self.close(abort=True)
                    return False
            except OSError:
                self.open = False
        self.drain()
        return True

    def await_reply(self, replies: int, timeout: float = 1.0) -> None:
        """Read until the connection has had `replies` replies (or `timeout` passed)."""
        deadline = time.monotonic() + timeout
        while self.open and self.replies < replies and time.monotonic() < deadline:
            select.select([self.sock], [], [], 0.01)
            self.drain()

    def drain(self) -> None:
        while self.open:
            try:
                chunk = self.sock.recv(1 << 18)
            except BlockingIOError:
                return
            except OSError:
                self.open = False
                return
            if not chunk:
                self.open = False
                return
            self.check(chunk)

    def check(self, chunk: bytes) -> None:
        seen = self.tail + chunk
        if b"internal error" in seen:
            match = re.search(rb"[-!]?[^\r\n]{0,20}internal error[^\r\n]{0,120}", seen)
            text = match.group(0).decode("latin-1") if match else "internal error"
            self.report_problem(Finding("internal_error_reply", re.sub(r"\d+", "N", text), text))
        self.tail = chunk[-40:]
        if self.raw:
            return
        try:
            self.reader.feed(chunk)
            while self.reader.gets() is not False:
                self.replies += 1
        except hiredis.ProtocolError as error:
            self.raw = True
            quoted = re.search(rb"-ERR Protocol error[^\r]{0,60}\r\n", chunk)  # an error line that quotes a byte
            self.report_problem(
                Finding(
                    "malformed_reply",
                    f"malformed reply: {error}",
                    f"{error}; last bytes {chunk[-200:]!r}" + (f"; {quoted.group(0)!r}" if quoted else ""),
                )
            )

    def close(self, abort: bool = False) -> None:
        if abort:  # RST instead of FIN
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()
        self.open = False


class HttpClient:
    """Raw HTTP/1.1 on one keep-alive connection (reopened when the server closes it)."""

    def __init__(self, port: int):
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def request(self, data: bytes) -> tuple[int, bytes] | None:
        """(status, body); None when no answer came within HTTP_TIMEOUT_S."""
        for attempt in (1, 2):
            if self.sock is None:
                self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=HTTP_TIMEOUT_S)
                self.buffer = b""
            try:
                self.sock.sendall(data)
                return self.response(head_only=data.startswith(b"HEAD "))
            except TimeoutError:
                self.close()
                return None
            except (ConnectionError, EOFError, OSError):
                self.close()  # a keep-alive connection the server had closed: once more on a new one
                if attempt == 2:
                    raise
        return None

    def response(self, head_only: bool) -> tuple[int, bytes]:
        head = self.until(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip().lower()
        if head_only or status in (204, 304) or 100 <= status < 200:
            body = b""
        elif headers.get(b"transfer-encoding") == b"chunked":
            body = b""
            while size := int(self.until(b"\r\n").split(b";")[0], 16):
                body += self.exactly(size + 2)[:-2]
            self.until(b"\r\n")
        elif b"content-length" in headers:
            body = self.exactly(int(headers[b"content-length"]))
        else:
            body = self.buffer + self.read_to_end()
            self.buffer = b""
        if headers.get(b"connection") == b"close":
            self.close()
        return status, body

    def until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self.fill()
        part, _, self.buffer = self.buffer.partition(marker)
        return part

    def exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self.fill()
        part, self.buffer = self.buffer[:size], self.buffer[size:]
        return part

    def fill(self) -> None:
        chunk = self.sock.recv(1 << 18)
        if not chunk:
            raise EOFError("HTTP connection closed")
        self.buffer += chunk

    def read_to_end(self) -> bytes:
        chunks = []
        while chunk := self.sock.recv(1 << 18):
            chunks.append(chunk)
        return b"".join(chunks)

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None


# -- the runner -------------------------------------------------------------------------------------------


class Fuzzer:
    def __init__(
        self,
        server: FuzzServer,
        seed: int,
        exclude=(),
        batch_size: int = 400,
        findings_dir: Path | None = None,
        stop_known: bool = False,
        progress=None,
    ):
        """`exclude`: known classes (generator.CLASSES) left out; `stop_known`: leave a known class out as
        soon as a finding was attributed to it (a short run then does not spend itself on restarts)."""
        unknown = set(exclude) - set(CLASSES)
        if unknown:
            raise ValueError(f"unknown classes {sorted(unknown)}; known: {sorted(CLASSES)}")
        self.server = server
        self.seed = seed
        self.batch_size = batch_size
        self.findings_dir = Path(findings_dir) if findings_dir else None
        self.stop_known = stop_known
        self.progress = progress
        self.report = Report(seed)
        self.findings: dict[str, Finding] = {}
        self.problems: list[Finding] = []  # seen during the current batch
        self.previous: Batch | None = None
        self.batch_index = -1
        self.exclude = set(exclude)
        self.connect()
        self.table = CommandTable.from_server(self.control.call)
        self.baseline_config = dict(self.table.config)
        self.config_dirty = False
        self.generator = Generator(seed, self.table, self.exclude, self.dump_payloads())
        self.generator.exclude = self.exclude  # one set: stop_known leaves a class out of both
        self.warmup = self.warm_at = 0
        self.classes_since_warmup: set[str] = set()  # known classes run since the warm-up RSS was taken

    def connect(self) -> None:
        self.control = Control(self.server.port)
        self.http = HttpClient(self.server.http_port)
        self.log_offset = 0
        self.log_partial = b""
        self.batch_log: list[bytes] = []  # the server's log lines of the last batch, kept with its findings
        self.http_broken = False

    def dump_payloads(self) -> list[bytes]:
        self.prepare()
        payloads = self.control.pipeline([[b"DUMP", key] for key in FIXTURE_KEYS])
        return [payload for payload in payloads if isinstance(payload, bytes)]

    # -- a whole run --------------------------------------------------------------------------------------

    def run(self, inputs: int, warmup: int = 2000) -> Report:
        """`inputs` inputs in batches; the warm-up RSS is taken after `warmup` of them (again after a
        restart: RSS is only compared within one server process)."""
        report = self.report
        report.rss_start = self.server.rss()
        started = last_progress = time.monotonic()
        self.warmup = warmup
        self.warm_at = min(warmup, inputs)
        while report.inputs < inputs:
            batch = self.generator.next_batch(min(self.batch_size, inputs - report.inputs))
            self.run_batch(batch)
            report.inputs += batch.inputs
            report.batches += 1
            if report.rss_warm is None:
                if report.inputs >= self.warm_at:
                    report.rss_warm = self.quiet_rss()
                    self.classes_since_warmup = set()
            else:
                self.classes_since_warmup.update(step.known for step in batch.steps if step.known)
                if "lua-state-cycle" not in self.exclude:  # prepare() flushes the scripts
                    self.classes_since_warmup.add("lua-state-cycle")
            if self.progress and time.monotonic() - last_progress > 10:
                last_progress = time.monotonic()
                self.progress(
                    f"{report.inputs} inputs, {report.inputs / (last_progress - started):.0f}/s, "
                    f"{len(self.findings)} findings, RSS {self.server.rss() / 2**20:.1f} MB, "
                    f"PING max {report.ping_max_ms:.1f} ms"
                )
        report.seconds = time.monotonic() - started
        report.rss_end = self.quiet_rss()
        limit = report.rss_limit()
        if limit is not None and report.rss_end > limit:
            growth = Finding(
                "rss_growth",
                "RSS grew past the warm-up RSS + 10% + slack",
                f"warm-up {report.rss_warm}, end {report.rss_end}, limit {limit}",
            )
            self.record(growth, self.previous, self.classes_since_warmup)
        report.findings = list(self.findings.values())
        return report

    def quiet_rss(self) -> int:
        """RSS with no fuzz connection open and no data: what must not grow over a run."""
        self.http.close()
        self.reconnect_control()
        self.reset_config()
        self.control.pipeline(
            [
                [b"FLUSHALL"],
                *self.script_flush(),
                [b"FUNCTION", b"FLUSH"],
                [b"SLOWLOG", b"RESET"],
                [b"LATENCY", b"RESET"],
                [b"MEMORY", b"PURGE"],
            ]
        )
        time.sleep(1.1)  # let the cron run (it hands freed heap back once a second) and connections be torn down
        return min(self.server.rss() for _ in range(3) if time.sleep(0.05) is None)

    # -- one batch ----------------------------------------------------------------------------------------

    def run_batch(self, batch: Batch) -> list[Finding]:
        """Run a batch and check the oracle; the findings it caused (new or seen before)."""
        self.problems = []
        self.batch_index = batch.index
        try:
            self.prepare()
        except OSError as error:  # what the last batch left cannot be cleaned up: a finding of that batch
            self.record(
                Finding(
                    "unresponsive",
                    f"setting up a batch failed: {type(error).__name__}",
                    f"{error}; log: {self.log_tail()}",
                    fatal=True,
                ),
                self.previous,
            )
            self.restart()
            self.prepare()
        self.config_dirty = batch.config_changed
        lanes: dict[int, Lane] = {}
        for step in batch.steps:
            self.execute(step, lanes)
        self.settle(lanes)
        fatal = self.check()
        found = [self.record(problem, batch) for problem in self.problems]
        self.previous = batch
        if fatal:
            self.restart()
        return found

    def execute(self, step: Step, lanes: dict) -> None:
        if step.kind in ("send", "connect"):
            lane = lanes.get(step.lane)
            if lane is not None and not lane.open and lane.group == step.group:
                return  # the server closed it inside this group: the rest of the group went with it
            if lane is None or not lane.open:
                try:
                    lane = lanes[step.lane] = Lane(self.server.port, self.problems.append)
                except OSError as error:
                    self.problems.append(Finding("connect_failed", f"connect failed: {error}", str(error)))
                    return
            if step.kind == "connect":
                return
            lane.raw = lane.raw or step.raw
            lane.group = step.group
            expected = lane.replies + 1
            if not lane.send(step.data):
                self.report.dropped_connections += 1
            elif step.await_reply:
                lane.await_reply(expected)
        elif step.kind in ("close", "abort"):
            lane = lanes.pop(step.lane, None)
            if lane is not None and lane.open:
                if lane.group == step.group:  # closing right after its own input: let its reply be read
                    select.select([lane.sock], [], [], CLOSE_WAIT_S)
                lane.drain()
                lane.close(abort=step.kind == "abort")
        elif step.kind == "pause":
            time.sleep(step.pause_ms / 1000)
        elif step.kind == "http":
            self.http_step(step)

    def http_step(self, step: Step) -> None:
        if self.http_broken:
            return
        self.report.http_requests += 1
        try:
            answer = self.http.request(step.data)
        except (OSError, EOFError, ValueError, IndexError) as error:
            self.problems.append(
                Finding("http_dead", f"HTTP connection failed: {type(error).__name__}", f"{error} after {step.note}")
            )
            self.http_broken = True
            return
        if answer is None:
            self.http_broken = True
            if not self.script_busy():  # a busy script holds the loop the HTTP door shares: a documented limit
                self.problems.append(Finding("http_hang", f"no HTTP answer within {HTTP_TIMEOUT_S} s", step.note))
            return
        status, body = answer
        if status >= 500 and not (status == 503 and _refusal(body)):
            self.problems.append(
                Finding("http_5xx", f"HTTP {status} {_error_text(body)}", f"{step.note}: {body[:300]!r}")
            )

    def settle(self, lanes: dict) -> None:
        """Read what the batch's connections still get until they are quiet, then close them."""
        deadline = time.monotonic() + SETTLE_MAX_S
        while time.monotonic() < deadline:
            open_lanes = {lane.sock: lane for lane in lanes.values() if lane.open}
            if not open_lanes:
                break
            readable, _, _ = select.select(list(open_lanes), [], [], SETTLE_QUIET_S)
            if not readable:
                break
            for sock in readable:
                open_lanes[sock].drain()
        for lane in lanes.values():
            if lane.open:
                lane.close()

    # -- before a batch -----------------------------------------------------------------------------------

    def prepare(self) -> None:
        """The known state a batch starts from: configuration as at start-up, nothing paused or running,
        every database flushed, no scripts or functions, the fixture keys."""
        self.reconnect_control()
        if self.config_dirty:
            self.reset_config()
        self.control.pipeline(
            [
                [b"REPLICAOF", b"NO", b"ONE"],  # a batch's REPLICAOF made it a replica (refusing writes)
                [b"CLIENT", b"UNPAUSE"],
                [b"SCRIPT", b"KILL"],
                [b"FUNCTION", b"KILL"],
                [b"DEBUG", b"SET-ACTIVE-EXPIRE", b"1"],
                [b"SELECT", b"0"],
                [b"FLUSHALL"],
                *self.script_flush(),
                [b"FUNCTION", b"FLUSH"],
                *fixture_commands(),
            ]
        )

    def script_flush(self) -> list[list[bytes]]:
        """SCRIPT FLUSH, unless the class lua-state-cycle is left out (each flush leaves a Lua state behind
        until the next full collection; the generator's pool of scripts keeps the cache small instead)."""
        return [] if "lua-state-cycle" in self.exclude else [[b"SCRIPT", b"FLUSH"]]

    def reconnect_control(self) -> None:
        try:
            self.control.call(b"PING")
        except OSError:  # CLIENT KILL or `timeout` closed it: a new one
            self.control.close()
            self.control = Control(self.server.port)

    def reset_config(self) -> None:
        self.control.pipeline(
            [
                [b"CONFIG", b"SET", name.encode(), value.encode()]
                for name, value in self.baseline_config.items()
                if name not in DENIED_CONFIG
            ]
        )
        self.config_dirty = False

    # -- after a batch: the oracle ------------------------------------------------------------------------

    def check(self) -> bool:
        """The oracle's checks after a batch; True when the server must be restarted."""
        status = self.server.exit_status()
        if status is not None:
            self.problems.append(
                Finding("server_exit", f"server exited with status {status}", self.log_tail(), fatal=True)
            )
            self.scan_log()
            return True
        fatal = self.check_ping()
        if self.server.exit_status() is not None:  # stack_dump ended it
            return True
        if not fatal and self.http_broken:
            fatal = not self.health()
            if fatal:
                self.problems.append(Finding("http_dead", "the HTTP door stopped answering /health", "", fatal=True))
        self.scan_log()
        return fatal

    def check_ping(self) -> bool:
        report = self.report
        for _attempt in (1, 2):  # the batch's last CLIENT KILL may still close a new connection: once more
            started = time.monotonic()
            try:
                sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=STALL_S)
            except OSError as error:
                self.problems.append(
                    Finding("connect_failed", f"connect failed: {type(error).__name__}", str(error), fatal=True)
                )
                return True
            with sock:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.sendall(PING)
                answer = _read_line(sock, started + STALL_S + UNRESPONSIVE_S)
            if answer != b"":
                break
        latency = time.monotonic() - started
        if answer is None:
            busy = self.busy_for(0.3)
            self.scan_log()  # what it logged before: the dump that follows is not JSON
            self.problems.append(
                Finding(
                    "unresponsive",
                    f"no answer to PING ({'busy' if busy else 'idle'})",
                    f"waited {latency:.1f} s; stack:\n{self.server.stack_dump()}",
                    fatal=True,
                )
            )
            return True
        if latency * 1000 > report.ping_max_ms:
            report.ping_max_ms = latency * 1000
            report.ping_max_batch = self.batch_index
        if answer.startswith(b"-BUSY") and not self.script_ends():
            # The batch's own SCRIPT KILL can reach the server before its script starts (it answers NOTBUSY, as
            # Redis does when both arrive in one loop turn): then a kill sent now must stop the script. Meanwhile
            # the HTTP door, served by the loop the script holds, could not answer (a documented limit).
            if not self.kill_script():
                self.problems.append(
                    Finding(
                        "script_not_killed", "a script still runs a second after the batch", answer.decode("latin-1")
                    )
                )
                return False
            self.problems = [problem for problem in self.problems if problem.kind not in ("http_hang", "http_dead")]
            self.http_broken = False
            return False
        if not answer.startswith(ANSWERS_TO_PING):
            self.problems.append(Finding("ping_refused", f"PING answered {answer[:60]!r}", answer.decode("latin-1")))
            return False
        if latency <= PING_BUDGET_S:
            return False
        report.slow_pings += 1
        if latency > STALL_S:
            self.problems.append(
                Finding("stall", f"first PING after a batch took over {STALL_S} s", f"{latency:.2f} s")
            )
        self.wait_idle(UNRESPONSIVE_S)
        again = time.monotonic()
        try:
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=PING_BUDGET_S) as sock:
                sock.sendall(PING)
                answer = _read_line(sock, again + PING_BUDGET_S)
        except OSError:
            answer = None
        if answer is None:
            self.problems.append(
                Finding(
                    "slow_when_idle",
                    f"no PING answer within {PING_BUDGET_S * 1000:.0f} ms with the server idle",
                    f"first PING took {latency:.2f} s",
                )
            )
        return False

    def script_busy(self) -> bool:
        """Whether a script holds the server now (PING from a fresh connection answers -BUSY). A batch's own
        SCRIPT KILL can reach the server before its script starts (NOTBUSY, as in Redis); a later one ends it."""
        try:
            with socket.create_connection(("127.0.0.1", self.server.port), timeout=STALL_S) as sock:
                sock.sendall(PING)
                answer = _read_line(sock, time.monotonic() + STALL_S)
        except OSError:
            return False
        return answer is not None and answer.startswith(b"-BUSY")

    def script_ends(self) -> bool:
        """Whether PING gets PONG again within STALL_S: every script a batch starts ends or is killed in it."""
        deadline = time.monotonic() + STALL_S
        while time.monotonic() < deadline:
            time.sleep(0.05)
            try:
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=STALL_S) as sock:
                    sock.sendall(PING)
                    if _read_line(sock, time.monotonic() + STALL_S) == b"+PONG":
                        return True
            except OSError:
                pass
        return False

    def kill_script(self) -> bool:
        """SCRIPT KILL (and FUNCTION KILL) from a fresh connection; whether the script then ends."""
        for kill in (b"*2\r\n$6\r\nSCRIPT\r\n$4\r\nKILL\r\n", b"*2\r\n$8\r\nFUNCTION\r\n$4\r\nKILL\r\n"):
            try:
                with socket.create_connection(("127.0.0.1", self.server.port), timeout=STALL_S) as sock:
                    sock.sendall(kill)
                    _read_line(sock, time.monotonic() + STALL_S)
            except OSError:
                pass
        return self.script_ends()

    def busy_for(self, seconds: float) -> bool:
        before = self.server.cpu_ticks()
        time.sleep(seconds)
        return self.server.cpu_ticks() - before > seconds * 20  # a fifth of a core: the two cores are shared

    def wait_idle(self, limit: float) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline and self.busy_for(0.1):
            pass

    def health(self) -> bool:
        client = HttpClient(self.server.http_port)
        try:
            answer = client.request(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        except (OSError, EOFError, ValueError):
            return False
        finally:
            client.close()
        self.http_broken = answer is None or answer[0] != 200
        return not self.http_broken

    def scan_log(self) -> None:
        """The log lines written since the last scan: JSON, and none of them a failure."""
        with open(self.server.log_path, "rb") as log:
            log.seek(self.log_offset)
            data = self.log_partial + log.read()
        self.log_offset += len(data) - len(self.log_partial)
        lines = data.split(b"\n")
        self.log_partial = lines.pop()
        self.batch_log = lines[-LOG_LINES_KEPT:]
        for line in lines:
            if line.strip():
                problem = log_problem(line)
                if problem is not None:
                    self.problems.append(problem)

    def log_tail(self) -> str:
        try:
            return self.server.log_path.read_bytes()[-2000:].decode("utf-8", "replace")
        except OSError:
            return ""

    # -- findings -----------------------------------------------------------------------------------------

    def record(self, finding: Finding, batch: Batch | None, classes: set | None = None) -> Finding:
        """Keep a finding (once per signature, counting repeats), attributed to the known classes its batch
        (or `classes`) exercised that can cause its kind, and save its reproducer."""
        if batch is not None:
            finding.batch = batch.index
            if classes is None:
                classes = {step.known for step in batch.steps if step.known}
        finding.known = sorted(name for name in KNOWN_SYMPTOMS if attributed(name, finding, classes or set()))
        if self.stop_known:
            self.exclude.update(finding.known)
        seen = self.findings.get(finding.signature)
        if seen is not None:
            seen.occurrences += 1
            return seen
        self.findings[finding.signature] = finding
        if self.findings_dir is not None and batch is not None:
            finding.path = str(self.save(finding, batch))
        return finding

    def save(self, finding: Finding, batch: Batch) -> Path:
        self.findings_dir.mkdir(parents=True, exist_ok=True)
        path = self.findings_dir / f"seed{self.seed}-batch{batch.index}-{finding.kind}.json"
        document = {
            "seed": self.seed,
            "excluded": sorted(self.exclude),
            "finding": {
                "kind": finding.kind,
                "signature": finding.signature,
                "detail": finding.detail,
                "known": finding.known,
            },
            "log": [line.decode("utf-8", "replace")[:2000] for line in self.batch_log],
            "batch": batch.to_json(),
            "previous_batch": self.previous.to_json() if self.previous is not None else None,
        }
        path.write_text(json.dumps(document, indent=1))
        return path

    def restart(self) -> None:
        self.report.restarts += 1
        if self.report.rss_warm is not None:  # a new process warms up anew
            self.report.rss_warm = None
            self.warm_at = self.report.inputs + self.warmup
        try:
            self.control.close()
        except OSError:
            pass
        self.http.close()
        self.server.restart()
        self.connect()
        self.config_dirty = True

    # -- replaying and minimizing -------------------------------------------------------------------------

    def replay(self, batch: Batch) -> list[Finding]:
        """Run one saved batch again; the findings it causes (recorded like any other)."""
        self.findings.clear()
        self.previous = None
        saving, self.findings_dir = self.findings_dir, None  # replays write no reproducers of their own
        try:
            return self.run_batch(batch)
        finally:
            self.findings_dir = saving

    def reproduces(self, steps: list[Step], signature: str) -> bool:
        return any(found.signature == signature for found in self.replay(Batch(-1, steps, True)))

    def minimize(self, batch: Batch, signature: str, budget: int = 40) -> list[Step]:
        """The fewest groups of steps (delta debugging within `budget` replays; a group, such as a busy script
        and its kill, stays whole) that still cause the finding; the whole batch when it does not recur."""
        groups: list[list[Step]] = []
        for step in batch.steps:
            if groups and groups[-1][0].group == step.group:
                groups[-1].append(step)
            else:
                groups.append([step])

        def steps_of(chosen: list) -> list[Step]:
            return [step for group in chosen for step in group]

        if not self.reproduces(batch.steps, signature):
            return list(batch.steps)
        budget -= 1
        chunks = 2
        while len(groups) > 1 and budget > 0:
            size = max(len(groups) // chunks, 1)
            for start in range(0, len(groups), size):
                candidate = groups[:start] + groups[start + size :]
                budget -= 1
                if candidate and self.reproduces(steps_of(candidate), signature):
                    groups = candidate
                    chunks = max(chunks - 1, 2)
                    break
                if budget <= 0:
                    break
            else:
                if size == 1:
                    break
                chunks = min(chunks * 2, len(groups))
        return steps_of(groups)


def log_problem(line: bytes) -> Finding | None:
    """What is wrong with one log line, if anything."""
    try:
        record = json.loads(line)
    except ValueError:
        text = line[:300].decode("utf-8", "replace")
        return Finding("unstructured_log", "log line that is not JSON: " + re.sub(r"\d+", "N", text[:80]), text)
    if not isinstance(record, dict):
        return Finding("unstructured_log", "log line that is not a JSON object", line[:300].decode("latin-1"))
    event = str(record.get("event", ""))
    level = str(record.get("level", ""))
    exception = record.get("exception")
    first_line = event.split("\n", 1)[0]
    if exception:
        frames = re.findall(r'File "[^"]*/(redislite/[^"]+|asyncio/[^"]+|uvicorn/[^"]+)", line (\d+)', exception)
        where = ":".join(frames[-1]) if frames else "?"
        last = exception.strip().splitlines()[-1][:120]
        return Finding(
            "traceback",
            f"{first_line[:80]} at {where}: {re.sub(r'0x[0-9a-f]+', '0x..', last)}",
            f"{event[:300]}\n{exception[-2500:]}",
        )
    if event in FAILURE_EVENTS:
        return Finding("command_failed", f"{event} {record.get('command', '')}", line[:1000].decode("latin-1"))
    if "internal error" in line.decode("utf-8", "replace"):
        return Finding("error_log", f"internal error in log: {first_line[:80]}", line[:1000].decode("latin-1"))
    if level in ("error", "critical") and event not in EXPECTED_ERROR_EVENTS:
        return Finding("error_log", f"{level} {first_line[:100]}", line[:1000].decode("latin-1"))
    return None


def _read_line(sock: socket.socket, deadline: float) -> bytes | None:
    data = b""
    while b"\r\n" not in data:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(256)
        except TimeoutError:
            return None
        except OSError:
            return b""
        if not chunk:
            return data or b""
        data += chunk
    return data.split(b"\r\n", 1)[0]


def _error_text(body: bytes) -> str:
    try:
        return str(json.loads(body).get("error", ""))[:80]
    except (ValueError, AttributeError):
        return body[:80].decode("latin-1")


def _refusal(body: bytes) -> bool:
    """A 503's error is a refusal Redis makes (EXECABORT when a queued command was refused for one)."""
    text = _error_text(body)
    return text.startswith(HTTP_REFUSALS) or (
        text.startswith("EXECABORT") and any(f"({refusal}" in text for refusal in HTTP_REFUSALS)
    )
