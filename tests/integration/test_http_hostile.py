"""The HTTP API against requests it cannot or must not serve. Commands that need a connection staying open after
their reply (MONITOR, the SUBSCRIBE family, CLIENT TRACKING, CLIENT REPLY, SYNC) are refused with a Redis-style
error, alone, in a pipeline and in a transaction; a request's client leaves nothing in the server's tables
(subscriptions, watched keys, tracking, monitors, waiters, the client list); and no input (lone surrogates,
URLs that are not UTF-8, NaN, numbers too long to read, deep nesting, bad base64, ...) gets a 500."""

import asyncio

import httpx
import pytest
import redis

from redislite.config import load_settings
from redislite.engine.client import Client
from redislite.http.app import CONNECTION_COMMANDS, create_app
from redislite.server.app import RedisLiteServer
from tests.servers import redislite_with_http

JSON = {"content-type": "application/json"}
NOT_UNICODE = "not valid Unicode (a lone surrogate): send bytes that are not UTF-8 as base64"
URL_NOT_UTF8 = "the URL is not UTF-8 once percent-decoded: send keys that are not UTF-8 with ?encoding=base64"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with redislite_with_http("--save", "", cwd=tmp_path_factory.mktemp("hostile")) as process:
        yield process


def refusal(name: str) -> str:
    return f"ERR {name} is not available over the HTTP API"


# -- commands that need a connection -------------------------------------------------------------------


def test_monitor_is_refused_and_both_doors_keep_working(api, resp):
    response = api.post("/api/command", json=["MONITOR"])
    assert (response.status_code, response.json()) == (400, {"error": refusal("MONITOR")})
    assert resp.ping() is True
    assert api.post("/api/command", json=["PING"]).json() == {"result": "PONG"}
    with resp.monitor() as monitor:  # a RESP monitor still sees what HTTP requests run
        api.post("/api/command", json=["SET", "watched-by-monitor", "1"])
        assert monitor.next_command()["command"] == "SET watched-by-monitor 1"
    assert resp.get("watched-by-monitor") == b"1"


@pytest.mark.parametrize(
    "command, name",
    [
        (["MONITOR"], "MONITOR"),
        (["subscribe", "c"], "SUBSCRIBE"),
        (["PSUBSCRIBE", "p*"], "PSUBSCRIBE"),
        (["SSUBSCRIBE", "s"], "SSUBSCRIBE"),
        (["UNSUBSCRIBE"], "UNSUBSCRIBE"),
        (["PUNSUBSCRIBE"], "PUNSUBSCRIBE"),
        (["SUNSUBSCRIBE"], "SUNSUBSCRIBE"),
        (["CLIENT", "REPLY", "OFF"], "CLIENT REPLY"),
        (["client", "Tracking", "on"], "CLIENT TRACKING"),
        (["SYNC"], "SYNC"),
    ],
)
def test_commands_that_need_a_connection_are_refused(api, command, name):
    response = api.post("/api/command", json=command)
    assert (response.status_code, response.json()) == (400, {"error": refusal(name)})


def test_a_refused_command_in_a_pipeline_fails_alone(api):
    response = api.post("/api/command", json=[["SET", "piped", "1"], ["SUBSCRIBE", "c"], ["GET", "piped"]])
    assert response.json() == [{"result": "OK"}, {"error": refusal("SUBSCRIBE")}, {"result": "1"}]


def test_a_refused_command_aborts_its_transaction(api, resp):
    response = api.post("/api/command", json={"commands": [["SET", "in-tx", "1"], ["MONITOR"]], "transaction": True})
    assert response.status_code == 400
    assert response.json() == {
        "error": f"EXECABORT Transaction discarded because of previous errors. ({refusal('MONITOR')})"
    }
    # MULTI sent as a command of a pipeline: EXEC aborts as it does after a command refused while queuing
    response = api.post("/api/command", json=[["MULTI"], ["SET", "in-tx", "1"], ["PSUBSCRIBE", "*"], ["EXEC"]])
    assert response.json() == [
        {"result": "OK"},
        {"result": "QUEUED"},
        {"error": refusal("PSUBSCRIBE")},
        {"error": "EXECABORT Transaction discarded because of previous errors."},
    ]
    assert resp.exists("in-tx") == 0


def test_connection_commands_that_end_with_their_reply_still_run(api):
    answers = api.post(
        "/api/command",
        json=[["HELLO", "2"], ["HSET", "h", "f", "v"], ["HGETALL", "h"], ["RESET"], ["CLIENT", "PAUSE", "1"], ["QUIT"]],
    ).json()
    assert answers[0]["result"]["proto"] == 2
    # JSON is made from the reply values, not from RESP2 or RESP3 bytes: a map stays an object
    assert answers[1:] == [
        {"result": 1},
        {"result": {"f": "v"}},
        {"result": "RESET"},
        {"result": "OK"},
        {"result": "OK"},
    ]
    assert api.post("/api/command", json=["BLPOP", "nothing", "0"]).json() == {"result": None}


def test_hundreds_of_requests_leave_no_subscriber_watcher_or_client_behind(api, resp):
    clients_before = len(resp.client_list())
    requests = [
        ["SUBSCRIBE", "news"],
        ["PSUBSCRIBE", "n*"],
        ["SSUBSCRIBE", "news"],
        [["WATCH", "w"], ["MULTI"], ["SET", "w", "1"]],
        ["CLIENT", "TRACKING", "ON"],
        [["BLPOP", "empty", "0"], ["BZPOPMIN", "empty-zset", "0"]],
        ["MONITOR"],
    ]
    for i in range(350):
        assert api.post("/api/command", json=requests[i % len(requests)]).status_code in (200, 400)
    assert resp.publish("news", "hello") == 0
    assert resp.execute_command("SPUBLISH", "news", "hello") == 0
    assert resp.pubsub_numpat() == 0
    assert resp.pubsub_channels() == [] and resp.execute_command("PUBSUB", "SHARDCHANNELS") == []
    assert len(resp.client_list()) == clients_before
    assert resp.info("clients")["blocked_clients"] == 0
    assert resp.exists("w") == 0  # MULTI without EXEC ran nothing
    assert resp.set("after", "1") and api.get("/api/get/after").json()["value"] == "1"


def test_shutdown_works_after_refused_and_unfinished_requests(tmp_path):
    with redislite_with_http("--save", "", cwd=tmp_path) as process:
        with httpx.Client(base_url=f"http://127.0.0.1:{process.http_port}", timeout=10) as api:
            for command in (["MONITOR"], ["SUBSCRIBE", "c"], [["WATCH", "k"], ["MULTI"]]):
                api.post("/api/command", json=command)
        redis.Redis(port=process.port).shutdown(nosave=True)  # redis-py raises unless the connection closes
        assert process.process.wait(timeout=10) == 0


# -- a request's client leaves no trace (checked inside the server: WATCH is not visible from outside) -------


def test_every_request_leaves_the_server_tables_as_they_were():
    settings, config_file = load_settings(["--port", "0", "--save", ""])
    server = RedisLiteServer(settings, config_file)
    app = create_app()
    app.state.redislite = server
    requests = [
        ["SUBSCRIBE", "c"],
        ["PSUBSCRIBE", "*"],
        ["SSUBSCRIBE", "s"],
        ["MONITOR"],
        ["CLIENT", "TRACKING", "ON", "BCAST"],
        ["WATCH", "k"],
        [["WATCH", "k"], ["MULTI"], ["SET", "k", "1"]],
        {"commands": [["WATCH", "k"]], "transaction": True},
        [["SELECT", "3"], ["WATCH", "k3"]],
        [["BLPOP", "list", "0"], ["BLMOVE", "list", "other", "LEFT", "LEFT", "0"]],
    ]

    async def send_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as api:
            for request in requests:
                response = await api.post("/api/command", json=request)
                assert response.status_code in (200, 400), (request, response.text)

    asyncio.run(send_all())
    state, engine = server.state, server.engine
    assert (state.channels, state.patterns, state.shard_channels, state.monitors) == ({}, {}, {}, [])
    assert [db.index for db in state.databases if db.watched] == []
    assert (state.tracking.clients, state.tracking.prefixes, state.clients) == (0, {}, {})
    engine.observers_changed()
    assert engine.hooks is False  # nothing observes commands any more: no watcher, monitor, waiter or tracker


def test_every_refused_command_is_in_the_command_table():
    settings, config_file = load_settings(["--port", "0", "--save", ""])
    engine = RedisLiteServer(settings, config_file).engine
    for name in CONNECTION_COMMANDS:
        assert engine.lookup([part.encode() for part in name.split("|")]).name == name
    client = Client(engine.state)
    assert engine.execute(client, [b"MONITOR"]) == b"OK"  # RESP clients still may, of course


# -- hostile inputs: Redis's error or a 400 with a JSON body, never a 500 ----------------------------------

DEEP = "[" * 100_000 + "]" * 100_000
HOSTILE = [
    # lone surrogates in JSON strings: keys, values, command arguments, pipelines, transactions
    ("POST", "/api/set", '{"key": "\\ud800", "value": "x"}', NOT_UNICODE),
    ("POST", "/api/set", '{"key": "k", "value": "a\\udfffb"}', NOT_UNICODE),
    ("POST", "/api/command", '["SET", "\\ud800", "x"]', NOT_UNICODE),
    ("POST", "/api/command", '["\\udc80"]', NOT_UNICODE),
    ("POST", "/api/command", '[["PING"], ["SET", "k", "\\ud800"]]', NOT_UNICODE),
    ("POST", "/api/command", '{"commands": [["SET", "\\ud800", "x"]], "transaction": true}', NOT_UNICODE),
    ("POST", "/api/set", '{"key": "\\ud800", "value": "x", "encoding": "base64"}', "invalid base64: '\\ud800'"),
    ("POST", "/api/set", b'{"key": "\xed\xa0\x80", "value": "x"}', NOT_UNICODE),  # JSON bytes read as surrogatepass
    # URLs whose percent-decoded bytes are not UTF-8 (a surrogate's encoding, a stray byte)
    ("GET", "/api/get/%ED%A0%80", None, URL_NOT_UTF8),
    ("GET", "/api/get/%FF", None, URL_NOT_UTF8),
    ("DELETE", "/api/delete/a%C3", None, URL_NOT_UTF8),
    ("GET", "/api/ttl/a?encoding=%FF", None, URL_NOT_UTF8),
    ("POST", "/api/expire/%ED%A0%80", '{"seconds": 5}', URL_NOT_UTF8),
    ("GET", "/api/keys?pattern=%ED%A0%80", None, URL_NOT_UTF8),
    # numbers: NaN, Infinity, overflowing floats, integers too long to read, out-of-range TTLs
    ("POST", "/api/command", '["SET", "k", NaN]', None),
    ("POST", "/api/command", '["SET", "k", -Infinity]', None),
    ("POST", "/api/command", '["SET", "k", 1e400]', None),
    ("POST", "/api/command", '["SET", "k", 1' + "0" * 5000 + "]", "There was an error parsing the body"),
    ("POST", "/api/command", '["INCRBY", "n", 1' + "0" * 40 + "]", "ERR value is not an integer or out of range"),
    ("POST", "/api/set", '{"key": "k", "value": "v", "ttl": NaN}', "body.ttl: Input should be a finite number"),
    ("POST", "/api/set", '{"key": "k", "value": "v", "ttl": 1e400}', "body.ttl: Input should be a finite number"),
    ("POST", "/api/set", '{"key": "k", "value": "v", "ttl": -5}', "body.ttl: Input should be greater than 0"),
    ("POST", "/api/set", '{"key": "k", "value": "v", "ttl": 1' + "0" * 30 + "}", None),
    ("POST", "/api/expire/k", '{"seconds": -1' + "0" * 30 + "}", None),
    ("POST", "/api/expire/k", '{"seconds": Infinity}', "body.seconds: Input should be a finite number"),
    ("GET", "/api/keys?cursor=-1", None, "query.cursor: Input should be greater than or equal to 0"),
    ("GET", "/api/keys?cursor=18446744073709551616", None, None),
    ("GET", "/api/keys?count=1e3", None, None),
    # shapes: nesting, wrong element types, empty commands, bodies that are not JSON or not UTF-8
    ("POST", "/api/command", DEEP, "There was an error parsing the body"),
    ("POST", "/api/set", DEEP, "There was an error parsing the body"),
    ("POST", "/api/command", "[" * 300 + '"PING"' + "]" * 300, None),
    ("POST", "/api/command", '["SET", "k", null]', None),
    ("POST", "/api/command", '["SET", "k", true]', None),
    ("POST", "/api/command", '["SET", "k", {"a": 1}]', None),
    ("POST", "/api/command", "[]", None),
    ("POST", "/api/command", "[[]]", None),
    ("POST", "/api/command", '{"commands": []}', None),
    ("POST", "/api/command", '{"commands": [[]]}', None),
    ("POST", "/api/command", '[""]', "ERR unknown command '', with args beginning with: "),
    ("POST", "/api/command", '{"commands": [["PING"]], "transaction": "\\ud800"}', None),
    ("POST", "/api/set", b'{"key": "\xff", "value": "x"}', "There was an error parsing the body"),
    ("POST", "/api/set", "not json", None),
    ("POST", "/api/set", "null", None),
    # base64 and encodings
    ("POST", "/api/set", '{"key": "YQ", "value": "eA==", "encoding": "base64"}', "invalid base64: 'YQ'"),
    ("POST", "/api/command", '{"commands": [["UElORw="]], "encoding": "base64"}', "invalid base64: 'UElORw='"),
    ("GET", "/api/get/Y?encoding=base64", None, "invalid base64: 'Y'"),
    ("GET", "/api/get/k?encoding=bogus", None, "query.encoding: Input should be 'utf-8' or 'base64'"),
    ("POST", "/api/set", '{"key": "k", "value": "v", "encoding": "bogus"}', None),
]


@pytest.mark.parametrize(
    "method, url, body, error",
    HOSTILE,
    ids=[f"{method} {url[:40]} {str(body)[:40]}" for method, url, body, _ in HOSTILE],
)
def test_hostile_input_gets_a_400_with_a_json_error(api, method, url, body, error):
    content = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    response = api.request(method, url, content=content, headers=JSON if body is not None else None)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    answer = response.json()
    assert list(answer) == ["error"] and isinstance(answer["error"], str)
    if error is not None:
        assert answer["error"] == error


def test_keys_in_utf8_urls_still_work(api, resp):
    resp.set("héllo wörld", "1")
    assert api.get("/api/get/h%C3%A9llo%20w%C3%B6rld").json()["value"] == "1"
    assert api.get("/api/keys", params={"pattern": "h\u00e9llo*"}).json()["keys"] == ["héllo wörld"]
    assert api.get("/api/get/%F0%9F%94%91").status_code == 404  # a 4-byte character: UTF-8 all right


def test_a_refused_request_body_is_freed_without_the_cyclic_collector():
    """An answered error's frames hold the error (a cycle) and, through them, the request's body: 400s for
    bad JSON kept every body until a full garbage collection."""
    import asyncio
    import gc

    from ..servers import gc_paused, in_process_server

    body = b'["SET", "k", "' + b"x" * 200_000 + b'"'  # not JSON: the closing bracket is missing

    async def scenario() -> int:
        async with in_process_server(with_http=True) as server:
            for _ in range(5):
                reader, writer = await asyncio.open_connection("127.0.0.1", server.http_port)
                writer.write(
                    b"POST /api/command HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
                )
                assert (await reader.readline()).startswith(b"HTTP/1.1 400")
                await reader.read()
                writer.close()
            await asyncio.sleep(0.1)
            gc.set_debug(gc.DEBUG_SAVEALL)
            try:
                gc.collect()
                return sum(
                    len(r)
                    for o in gc.garbage
                    for r in gc.get_referents(o)
                    if isinstance(r, (bytes, str)) and len(r) >= 200_000
                )
            finally:
                gc.set_debug(0)
                gc.garbage.clear()

    with gc_paused():
        assert asyncio.run(scenario()) == 0
