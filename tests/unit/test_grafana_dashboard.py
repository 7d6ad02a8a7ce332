"""deploy/grafana/redislite.json: a Grafana dashboard model whose PromQL names only metrics that /metrics
really exports (taken from the collector of an in-process server after some traffic), with the data source
as the ${DS_PROMETHEUS} input; promtool parses every expression when it is installed."""

import json
import re
import shutil
import subprocess

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from redislite.config import load_settings
from redislite.engine.client import Client
from redislite.http.metrics import metrics_registry
from redislite.server.app import RedisLiteServer
from tests.servers import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "redislite.json"
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$instance": ".*"}  # what Grafana puts in before querying
PROMQL_WORDS = {"and", "or", "unless", "bool", "offset"}
# What the dashboard is for: it must chart each of these
REQUIRED = {
    "redislite_command_calls_total",
    "redislite_command_latency_seconds_bucket",
    "redislite_memory_bytes",
    "redislite_max_memory_bytes",
    "redislite_evictions_total",
    "redislite_expirations_total",
    "redislite_connected_clients",
    "redislite_keyspace_hits_total",
    "redislite_keyspace_misses_total",
    "redislite_replication_role",
}


@pytest.fixture(scope="module")
def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


@pytest.fixture(scope="module")
def exported() -> set[str]:
    """Every sample name one scrape of a server that has run commands (and failed some) exports."""
    settings, config_file = load_settings(["--port", "0", "--save", ""])
    server = RedisLiteServer(settings, config_file)
    client = Client(server.state, addr="test")
    for argv in (
        [b"SET", b"a", b"1"],
        [b"GET", b"a"],
        [b"GET", b"missing"],
        [b"LPUSH", b"a", b"x"],
        [b"NO-SUCH-COMMAND"],
    ):
        server.engine.execute(client, argv)
    text = generate_latest(metrics_registry(server)).decode()
    return {sample.name for family in text_string_to_metric_families(text) for sample in family.samples}


def panels(dashboard: dict) -> list[dict]:
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))  # a collapsed row keeps its panels inside
    return found


def expressions(dashboard: dict) -> list[str]:
    return [target["expr"] for panel in panels(dashboard) for target in panel.get("targets", [])]


def metric_names(expr: str) -> set[str]:
    """The metric names in a PromQL expression: identifiers that are not functions, keywords, label names
    (inside {...}, by (...), without (...)) or durations."""
    expr = re.sub(r'"(?:[^"\\]|\\.)*"', "", expr)  # strings (label values)
    expr = re.sub(r"\{[^}]*\}", "", expr)  # label matchers
    expr = re.sub(r"\[[^\]]*\]", "", expr)  # range durations
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?", "", expr)  # numbers
    names = set()
    for match in re.finditer(r"([a-zA-Z_:][\w:]*)(\s*\()?", expr):
        if match.group(2) is None and match.group(1) not in PROMQL_WORDS:
            names.add(match.group(1))
    return names


def test_metric_names_are_found_in_promql():
    assert metric_names('histogram_quantile(0.99, sum by (le, command) (rate(a_bucket{command="get"}[5m])))') == {
        "a_bucket"
    }
    assert metric_names('time() - b_seconds{instance=~"$instance"} / (c > 0) and on (x) d') == {"b_seconds", "c", "d"}


def test_every_expression_names_only_metrics_the_server_exports(dashboard, exported):
    referenced = set()
    for expr in expressions(dashboard):
        names = metric_names(expr)
        assert names, f"no metric in {expr!r}"
        assert names <= exported, f"{expr!r} uses metrics /metrics does not export: {names - exported}"
        referenced |= names
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            metric = re.fullmatch(r"label_values\((\w+),\s*\w+\)", variable["query"]["query"]).group(1)
            assert metric in exported
    assert referenced >= REQUIRED, f"not charted: {REQUIRED - referenced}"


def test_the_dashboard_is_a_grafana_model_with_a_prometheus_input(dashboard):
    assert dashboard["title"] == "RedisLite" and dashboard["uid"] == "redislite"
    assert isinstance(dashboard["schemaVersion"], int)
    assert [item["name"] for item in dashboard["__inputs"]] == ["DS_PROMETHEUS"]
    assert dashboard["__inputs"][0]["pluginId"] == "prometheus"
    variables = {variable["name"]: variable for variable in dashboard["templating"]["list"]}
    assert variables["DS_PROMETHEUS"]["type"] == "datasource"
    ids = [panel["id"] for panel in panels(dashboard)]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24 and grid["h"] > 0
        if panel["type"] == "row":
            continue
        assert panel["type"] in {"timeseries", "stat"} and panel["title"]
        assert panel["datasource"] == DATASOURCE
        assert panel["targets"]
        assert len({target["refId"] for target in panel["targets"]}) == len(panel["targets"])
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE


def test_promtool_parses_every_expression(dashboard, tmp_path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool is not installed (apt-get install prometheus)")
    rules = ["groups:", "  - name: dashboard", "    rules:"]
    for number, expr in enumerate(expressions(dashboard)):
        for variable, value in GRAFANA_VARIABLES.items():
            expr = expr.replace(variable, value)
        rules += [f"      - record: dashboard:expression_{number}", f"        expr: {json.dumps(expr)}"]
    path = tmp_path / "rules.yml"
    path.write_text("\n".join(rules) + "\n")
    result = subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
