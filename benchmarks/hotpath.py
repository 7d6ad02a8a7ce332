#!/usr/bin/env python3
"""The hot path's own cost, in-process: parse -> dispatch -> execute -> encode -> queue, per command.

redis-benchmark ratios on a shared 2-core VM swing by 20-30% between runs, too much to see a 5% change. This
drives the server's real Connection objects (50 of them, replies written to a transport that only counts)
with redis-benchmark's own requests, unpipelined and at -P 16, and reports

- CPU microseconds per command, the best of several runs (`time.process_time`), and
- with --bytecodes, the number of bytecodes executed per command (a settrace counter): deterministic, so it
  shows the effect of a change to the Python code exactly (but not of C-level work).

--against REF measures a git revision's src/ the same way, in alternating subprocess runs, and prints both:

    python benchmarks/hotpath.py                          # set,get,incr,mset at -P 1 and -P 16
    python benchmarks/hotpath.py --against HEAD~3 --rounds 4
    python benchmarks/hotpath.py --bytecodes --tests incr
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 50
REQUESTS = {  # as redis-benchmark sends them (no -r: one key)
    "set": b"*3\r\n$3\r\nSET\r\n$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n",
    "get": b"*2\r\n$3\r\nGET\r\n$16\r\nkey:__rand_int__\r\n",
    "incr": b"*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n",
    "mset": b"*21\r\n$4\r\nMSET\r\n" + b"$16\r\nkey:__rand_int__\r\n$3\r\nxxx\r\n" * 10,
}


class CountingTransport:
    """What Connection needs of an asyncio transport; writes are counted, never sent."""

    def __init__(self):
        self.writes = 0

    def write(self, data: bytes) -> None:
        self.writes += 1

    def is_closing(self) -> bool:
        return False

    def get_write_buffer_size(self) -> int:
        return 0

    def get_extra_info(self, name: str):
        return None

    def close(self) -> None:
        pass


class TurnlessLoop:
    """The server schedules its end-of-turn write with call_soon; the harness writes after each round."""

    def call_soon(self, callback, *args) -> None:
        pass


def build_server():
    from redislite.config import load_settings
    from redislite.server.app import RedisLiteServer
    from redislite.server.connection import Connection

    settings, config_file = load_settings(["--port", "0", "--http-port", "0", "--save", ""])
    server = RedisLiteServer(settings, config_file)
    server.loop = TurnlessLoop()
    connections = []
    for _ in range(CONNECTIONS):
        connection = Connection(server, CountingTransport())
        connections.append(connection)
    connections[0].data_received(REQUESTS["set"])  # redis-benchmark's GET test finds the key its SET test set
    server.write_replies()
    return server, connections


def drive(server, connections, request: bytes, pipeline: int, commands: int) -> int:
    """Every connection receives `pipeline` requests in one read, then the loop turn's writes go out; about
    `commands` in all (whole turns, at least one). Returns how many were sent."""
    chunk = request * pipeline
    turns = max(commands // (CONNECTIONS * pipeline), 1)
    for _ in range(turns):
        for connection in connections:
            connection.data_received(chunk)
        server.write_replies()
    return turns * CONNECTIONS * pipeline


def measure(tests: list[str], pipelines: list[int], commands: int, repeats: int, bytecodes: bool) -> dict:
    server, connections = build_server()
    results = {}
    for test in tests:
        for pipeline in pipelines:
            request = REQUESTS[test]
            drive(server, connections, request, pipeline, commands // 4)  # warm up
            if bytecodes:
                value = count_bytecodes(lambda: drive(server, connections, request, pipeline, commands // 10))  # noqa: B023
            else:
                value = float("inf")
                for _ in range(repeats):
                    start = time.process_time()
                    sent = drive(server, connections, request, pipeline, commands)
                    value = min(value, (time.process_time() - start) / sent * 1e6)
            results[f"{test} -P {pipeline}"] = value
    if not all(connection.transport.writes for connection in connections):
        raise RuntimeError("a connection wrote no replies: the harness no longer drives the server")
    return results


def count_bytecodes(run) -> float:
    """Bytecodes executed per command by run() (which returns how many commands it sent)."""
    executed = 0

    def tracer(frame, event, arg):
        nonlocal executed
        frame.f_trace_opcodes = True
        if event == "opcode":
            executed += 1
        return tracer

    sys.settrace(tracer)
    try:
        commands = run()
    finally:
        sys.settrace(None)
    return executed / commands


def measure_in_subprocess(src: Path, args: argparse.Namespace, test: str, pipeline: int) -> float:
    command = [
        sys.executable,
        __file__,
        "--json-only",
        "--src",
        str(src),
        "--tests",
        test,
        "--pipelines",
        str(pipeline),
        "--commands",
        str(args.commands),
        "--repeats",
        str(args.repeats),
    ]
    if args.bytecodes:
        command.append("--bytecodes")
    completed = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(completed.stdout)[f"{test} -P {pipeline}"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tests", default="set,get,incr,mset")
    parser.add_argument("--pipelines", default="1,16")
    parser.add_argument("--commands", type=int, default=24_000, help="commands per measurement")
    parser.add_argument("--repeats", type=int, default=9, help="measurements per figure; the best counts")
    parser.add_argument("--bytecodes", action="store_true", help="count executed bytecodes instead of time")
    parser.add_argument("--against", metavar="REF", help="also measure this git revision, alternating")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds with --against")
    parser.add_argument("--json-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--src", default=str(ROOT / "src"), help=argparse.SUPPRESS)  # the redislite measured
    args = parser.parse_args()
    sys.path.insert(0, args.src)
    tests = [t for t in args.tests.split(",") if t]
    unknown = sorted(set(tests) - set(REQUESTS))
    if unknown:
        print(f"hotpath.py: unknown test(s) {', '.join(unknown)}; known: {', '.join(REQUESTS)}", file=sys.stderr)
        return 2
    pipelines = [int(p) for p in args.pipelines.split(",")]
    unit = "bytecodes/command" if args.bytecodes else "CPU us/command (best)"
    if args.json_only:
        print(json.dumps(measure(tests, pipelines, args.commands, args.repeats, args.bytecodes)))
        return 0
    if not args.against:
        for name, value in measure(tests, pipelines, args.commands, args.repeats, args.bytecodes).items():
            print(f"{name:>12}  {value:8.2f} {unit}")
        return 0
    with tempfile.TemporaryDirectory() as workdir:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.against, "src"], capture_output=True)
        if archive.returncode:
            print(f"hotpath.py: git archive {args.against}: {archive.stderr.decode().strip()}", file=sys.stderr)
            return 2
        subprocess.run(["tar", "-x", "-C", workdir], input=archive.stdout, check=True)
        sources = {"this tree": ROOT / "src", args.against: Path(workdir) / "src"}
        print(f"{'':>12}  {'this tree':>10}  {args.against:>10}  ratio   ({unit})")
        for test in tests:
            for pipeline in pipelines:  # the two alternate figure by figure: the VM's slow spells hit both
                best = {label: float("inf") for label in sources}
                for round_index in range(1 if args.bytecodes else args.rounds):
                    order = list(sources) if round_index % 2 == 0 else list(reversed(sources))
                    for label in order:
                        best[label] = min(best[label], measure_in_subprocess(sources[label], args, test, pipeline))
                base, other = best["this tree"], best[args.against]
                print(f"{f'{test} -P {pipeline}':>12}  {base:10.2f}  {other:10.2f}  {base / other:5.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
