"""JSON logs of the real server process: one JSON object per line with event, timestamp (ISO 8601 UTC), level
and logger; Redis's loglevel (flag, REDISLITE_LOG_LEVEL, CONFIG SET) filters them; client connections are
logged at verbose only; per-command `command_executed` events appear only while log-commands is yes. Under
`uvicorn api.index:app`, uvicorn's own lines (start-up, access) are the same JSON."""

import json
import os
import sys
import time
from datetime import datetime, timedelta

import httpx
import pytest
import redis

from tests.servers import ROOT, ServerProcess, free_port, redislite, wait_for_port

REQUIRED_KEYS = {"event", "timestamp", "level", "logger"}


def log_lines(path) -> list[dict]:
    """Every non-empty line of the log file, parsed; a line that is not a JSON object fails the test."""
    events = []
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            raise AssertionError(f"not JSON: {line!r}") from None
        assert isinstance(event, dict), line
        events.append(event)
    return events


def wait_for_event(path, name: str, timeout: float = 5.0, **fields) -> dict:
    """The first event called `name` whose fields include `fields`, waiting for the server to write it."""
    deadline = time.monotonic() + timeout
    while True:
        for event in log_lines(path):
            if event["event"] == name and all(event.get(key) == value for key, value in fields.items()):
                return event
        if time.monotonic() > deadline:
            raise AssertionError(f"no {name} {fields} in {path.read_text()}")
        time.sleep(0.05)


def names(path) -> list[str]:
    return [event["event"] for event in log_lines(path)]


@pytest.fixture
def log_path(tmp_path):
    return tmp_path / "stderr.log"


def start(tmp_path, log_path, *args, env=None):
    return redislite("--save", "", *args, cwd=tmp_path, env=env, stderr_path=log_path)


def test_every_line_is_a_json_object_with_the_required_keys(tmp_path, log_path):
    with start(tmp_path, log_path) as server:
        redis.Redis(port=server.port).set("k", "v")
    events = log_lines(log_path)
    assert {"server_started", "shutdown_requested", "server_stopped"} <= {event["event"] for event in events}
    for event in events:
        assert set(event) >= REQUIRED_KEYS, event
        stamp = datetime.fromisoformat(event["timestamp"])
        assert event["timestamp"].endswith("Z") and stamp.utcoffset() == timedelta(0), event
        assert event["logger"].startswith("redislite"), event
    started = next(event for event in events if event["event"] == "server_started")
    assert (started["level"], started["port"]) == ("info", server.port)


def test_the_default_notice_level_leaves_out_connections_and_commands(tmp_path, log_path):
    with start(tmp_path, log_path) as server:
        client = redis.Redis(port=server.port)
        client.set("k", "v")
        client.close()
        client = redis.Redis(port=server.port)
        assert client.config_get("log-commands") == {"log-commands": "no"}
        client.close()
    assert not {"client_connected", "client_disconnected", "command_executed"} & set(names(log_path))


def test_verbose_logs_client_connections_and_disconnections(tmp_path, log_path):
    with start(tmp_path, log_path, "--loglevel", "verbose") as server:
        client = redis.Redis(port=server.port)
        client_id = client.client_id()
        client.close()
        connected = wait_for_event(log_path, "client_connected", client_id=client_id)
        disconnected = wait_for_event(log_path, "client_disconnected", client_id=client_id)
    assert connected["level"] == disconnected["level"] == "verbose"
    assert connected["addr"].startswith("127.0.0.1:")


def test_the_environment_level_filters_notices_and_keeps_warnings(tmp_path, log_path):
    with start(tmp_path, log_path, env={"REDISLITE_LOG_LEVEL": "warning"}) as server:
        client = redis.Redis(port=server.port)
        assert client.config_get("loglevel") == {"loglevel": "warning"}
        client.execute_command("DEBUG", "LOG", "hello from the test")
        wait_for_event(log_path, "debug_log", message_text="hello from the test")
        client.close()
    events = log_lines(log_path)
    assert "server_started" not in names(log_path)
    assert all(event["level"] in ("warning", "error", "critical") for event in events), events


def test_config_set_loglevel_changes_the_filter_at_run_time(tmp_path, log_path):
    with start(tmp_path, log_path, "--loglevel", "warning") as server:
        client = redis.Redis(port=server.port)
        client.config_set("loglevel", "debug")
        client.close()
        wait_for_event(log_path, "client_disconnected")  # debug includes verbose
    assert "server_started" not in names(log_path)
    assert "server_stopped" in names(log_path)


def test_command_events_appear_only_while_log_commands_is_yes(tmp_path, log_path):
    with start(tmp_path, log_path) as server:
        client = redis.Redis(port=server.port)
        client.set("before", "1")
        client.config_set("log-commands", "yes")
        client.set("greeting", "hello")
        client.mset({"first": "1", "second": "2"})
        client.ping()
        with pytest.raises(redis.ResponseError):
            client.lpush("greeting", "x")
        client.config_set("log-commands", "no")
        client.set("after", "1")
        client.close()
    commands = [event for event in log_lines(log_path) if event["event"] == "command_executed"]
    # the setting is read before each command: the CONFIG SET that turns it on is not logged, the one that
    # turns it off is (an audit trail shows who stopped it)
    assert [(event["command"], event["key"], event["status"]) for event in commands] == [
        ("set", "greeting", "ok"),
        ("mset", "first", "ok"),
        ("ping", None, "ok"),
        ("lpush", "greeting", "error"),
        ("config|set", None, "ok"),
    ]
    for event in commands:
        assert REQUIRED_KEYS | {"command", "key", "status", "latency_ms"} <= set(event), event
        assert event["level"] == "info" and event["logger"] == "redislite.commands"
        assert isinstance(event["latency_ms"], float) and 0 <= event["latency_ms"] < 1000
    assert "value" not in json.dumps(commands) and "hello" not in json.dumps(commands)  # values are never logged


def test_log_commands_can_be_turned_on_at_start_and_keys_that_are_not_utf8_are_escaped(tmp_path, log_path):
    with start(tmp_path, log_path, "--log-commands", "yes") as server:
        redis.Redis(port=server.port).get(b"\xff\x00key")
        event = wait_for_event(log_path, "command_executed", command="get")
    assert event["key"] == "\\xff\x00key"


def test_logfile_receives_the_same_json_lines(tmp_path, log_path):
    logfile = tmp_path / "redislite.log"
    with start(tmp_path, log_path, "--logfile", str(logfile)):
        wait_for_event(logfile, "server_started")
    assert "server_stopped" in names(logfile)
    assert "server_started" not in log_path.read_text()


def test_with_the_http_api_every_line_stays_json(tmp_path, log_path):
    http_port = free_port()
    with redislite("--save", "", http_port=http_port, cwd=tmp_path, stderr_path=log_path) as server:
        wait_for_port(http_port, server.process)
        assert httpx.get(f"http://127.0.0.1:{http_port}/api/info").status_code == 200
        assert httpx.get(f"http://127.0.0.1:{http_port}/missing").status_code == 404
    events = log_lines(log_path)
    assert {"http_started", "server_started", "server_stopped"} <= {event["event"] for event in events}
    for event in events:
        assert set(event) >= REQUIRED_KEYS, event


def test_under_uvicorn_api_index_app_every_line_on_stderr_is_json_uvicorns_included(tmp_path, log_path):
    resp_port, http_port = free_port(), free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("REDISLITE_")}
    environment.update(REDISLITE_TCP_PORT=str(resp_port), REDISLITE_SAVE="")
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(ROOT),
        "api.index:app",
        "--host",
        "127.0.0.1",
        "--port",
        str(http_port),
    ]
    with ServerProcess(command, resp_port, cwd=tmp_path, env=environment, stderr_path=log_path) as process:
        wait_for_port(http_port, process.process)
        assert httpx.get(f"http://127.0.0.1:{http_port}/api/info").status_code == 200
        access = wait_for_event(log_path, "http_request", status=200)
    events = log_lines(log_path)
    for event in events:
        assert set(event) >= REQUIRED_KEYS, event
        assert "color_message" not in event, event
    uvicorn_events = [event["event"] for event in events if event["logger"] == "uvicorn.error"]
    assert f"Started server process [{process.process.pid}]" in uvicorn_events
    assert f"Uvicorn running on http://127.0.0.1:{http_port} (Press CTRL+C to quit)" in uvicorn_events
    assert {"server_started", "server_stopped"} <= {event["event"] for event in events}
    assert (access["logger"], access["level"], access["method"], access["path"]) == (
        "uvicorn.access",
        "info",
        "GET",
        "/api/info",
    )
