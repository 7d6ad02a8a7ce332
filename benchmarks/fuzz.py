"""Long fuzz runs against a fresh RedisLite: `benchmarks/fuzz.py --inputs 1000000 --seed 7 --exclude-known`.

Prints inputs/s, every finding (with the file holding its seed and batch), RSS at start, after the warm-up
and at the end, and the longest PING round trip seen after a batch; exits 1 when there were findings not
attributed to a known class. `--replay FILE` runs a saved batch again on a fresh server, `--minimize` (on
by default for new findings) shrinks each new finding's batch to the steps that still cause it.
See tests/fuzz/ for what is generated and what the oracle checks.
"""

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fuzz.fuzzer import Fuzzer, FuzzServer  # noqa: E402
from tests.fuzz.generator import CLASSES, Batch  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=400)
    parser.add_argument(
        "--warmup",
        type=int,
        default=None,
        help="inputs before the warm-up RSS is taken (default: 5%% of --inputs, at least 2000)",
    )
    parser.add_argument("--exclude-known", action="store_true", help="leave out every known defect class")
    parser.add_argument(
        "--exclude", default="", help=f"comma-separated known classes to leave out: {', '.join(CLASSES)}"
    )
    parser.add_argument(
        "--findings",
        type=Path,
        default=Path("fuzz-findings"),
        help="where reproducers are written (default: ./fuzz-findings)",
    )
    parser.add_argument("--no-minimize", action="store_true", help="keep whole batches as reproducers")
    parser.add_argument("--replay", type=Path, help="run a saved finding's batch again and report")
    args = parser.parse_args(argv)

    exclude = set(CLASSES) if args.exclude_known else {name for name in args.exclude.split(",") if name}
    with tempfile.TemporaryDirectory(prefix="redislite-fuzz-") as workdir, FuzzServer(Path(workdir)) as server:
        if args.replay:
            return replay(server, args.replay, not args.no_minimize)
        fuzzer = Fuzzer(
            server, args.seed, exclude, args.batch_size, args.findings, progress=lambda line: print(line, flush=True)
        )
        warmup = args.warmup if args.warmup is not None else max(2000, args.inputs // 20)
        print(
            f"fuzzing {args.inputs} inputs, seed {args.seed}, excluded: {', '.join(sorted(exclude)) or 'none'}",
            flush=True,
        )
        report = fuzzer.run(args.inputs, warmup)
        print("\n".join(report.lines()), flush=True)
        if not args.no_minimize:
            for finding in report.new_findings:
                if finding.path is not None and finding.kind != "rss_growth":
                    minimize(fuzzer, Path(finding.path), finding.signature)
        return 1 if report.new_findings else 0


def replay(server: FuzzServer, path: Path, minimizing: bool) -> int:
    document = json.loads(path.read_text())
    fuzzer = Fuzzer(server, document["seed"], document.get("excluded", ()))
    found = fuzzer.replay(Batch.from_json(document["batch"]))
    expected = document["finding"]["signature"]
    for finding in found:
        print(("  same: " if finding.signature == expected else "  other: ") + finding.summary())
    reproduced = any(finding.signature == expected for finding in found)
    print(("reproduced: " if reproduced else "not reproduced: ") + expected)
    if reproduced and minimizing and not path.name.endswith(".min.json"):
        minimize(fuzzer, path, expected)
    return 0 if reproduced else 1


def minimize(fuzzer: Fuzzer, path: Path, signature: str) -> None:
    """Shrink a finding's saved batch and write the minimal steps next to it (`*.min.json`)."""
    document = json.loads(path.read_text())
    started = time.monotonic()
    steps = fuzzer.minimize(Batch.from_json(document["batch"]), signature)
    document["batch"] = Batch(document["batch"]["index"], steps, True).to_json()
    minimal = path.with_suffix(".min.json")
    minimal.write_text(json.dumps(document, indent=1))
    print(f"minimized {signature} to {len(steps)} steps in {time.monotonic() - started:.0f} s -> {minimal}")
    for step in steps:
        print(f"    {step.kind} lane {step.lane}: {step.note or step.data[:120]!r}")


if __name__ == "__main__":
    sys.exit(main())
