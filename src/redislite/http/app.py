"""The HTTP API (FastAPI): every endpoint runs Redis commands through `Engine.execute` with a client of its
own, so limits, errors, persistence and statistics are those of a RESP client. `create_app()` builds the
app; the running server is `app.state.redislite` (set by `http/door.py` or `api/index.py`).

Authentication: the Authorization header's credentials (Basic user:password, or Bearer password for the
default user) log the request's client in as AUTH does (its own `authenticate`), so the password check is
Redis's and the commands then run as that user."""

import asyncio
import base64
import json
import pathlib
import traceback
from typing import Annotated, Literal
from urllib.parse import unquote_to_bytes

from fastapi import APIRouter, Body, Depends, FastAPI, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from pydantic import AllowInfNan, BaseModel, BeforeValidator, ConfigDict, Field, StrictFloat, StrictInt, StrictStr
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles

from .. import errors
from ..commands.connection import RESET_STEPS, authenticate
from ..engine.client import Client
from ..engine.core import BLOCKED, PARKED
from ..protocol.values import ErrorReply
from .metrics import exposition, info_integer, metrics_registry, replica_lines
from .values import BASE64, UTF8, BadInput, decode_text, error_status, pair_encoding, reply_to_json, text_or_base64

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
PAUSE_RETRY_S = 0.01
STATIC_DIR = pathlib.Path(__file__).parent / "static"  # the dashboard page served at /

Encoding = Literal["utf-8", "base64"]
# strict: true or "5" is not an integer, as the schema says; NaN and Infinity (which Python's JSON reader takes,
# and 1e400 reads as) are not JSON numbers
Argument = StrictStr | StrictInt | Annotated[StrictFloat, AllowInfNan(False)]
Command = Annotated[list[Argument], Field(min_length=1)]  # the name, then its arguments
# Larger expiry times overflow Redis's millisecond deadlines ("invalid expire time"); 10^15 s is 31 million years.
MAX_EXPIRE_SECONDS = 10**15
MAX_CURSOR = 2**64 - 1  # SCAN cursors are unsigned 64-bit integers
# Commands whose effect needs the connection to stay open after their reply (a MONITOR feed, pub/sub messages,
# tracking invalidations, a SYNC snapshot) or that change how later replies are sent (CLIENT REPLY). A request's
# client ends with its response, so the API refuses them before they run. Names as in the command table.
CONNECTION_COMMANDS = frozenset(
    {
        "monitor",
        "subscribe",
        "psubscribe",
        "ssubscribe",
        "unsubscribe",
        "punsubscribe",
        "sunsubscribe",
        "client|reply",
        "client|tracking",
        "sync",
    }
)


def _json_integer(value):
    """JSON Schema's integer: 5 and 5.0, but neither \"5\" nor true (pydantic's lax mode takes both, its strict
    mode refuses 5.0)."""
    if isinstance(value, (str, bool)):
        raise ValueError("Input should be a valid integer")
    return value


# the bounds come before the validator, so that they reach the JSON schema as minimum and maximum
ExpireSeconds = Annotated[
    int, Field(strict=False, ge=-MAX_EXPIRE_SECONDS, le=MAX_EXPIRE_SECONDS), BeforeValidator(_json_integer)
]
PositiveSeconds = Annotated[int, Field(strict=False, gt=0, le=MAX_EXPIRE_SECONDS), BeforeValidator(_json_integer)]


# -- bodies ----------------------------------------------------------------------------------------------


class ErrorBody(BaseModel):
    error: str = Field(description="The Redis error text, or what was wrong with the request")


class StrictBody(BaseModel):
    """A request body: values must have the types the schema declares (no 0 for false, no "5" for 5)."""

    model_config = ConfigDict(strict=True)


class SetRequest(StrictBody):
    key: str
    value: str
    ttl: PositiveSeconds | None = Field(None, description="Seconds until the key expires")
    encoding: Encoding = Field(UTF8, description="How key and value are written: utf-8 text or base64")


class KeyValue(BaseModel):
    key: str
    value: str
    encoding: Encoding = Field(description="base64 when the key or the value is not UTF-8")


class KeyResult(BaseModel):
    key: str
    encoding: Encoding


class SetResult(KeyResult):
    result: Literal["OK"] = "OK"


class DeleteResult(KeyResult):
    deleted: int


class TtlResult(KeyResult):
    ttl: int = Field(description="Seconds left; -1 when the key has no expiry")


class ExpireRequest(StrictBody):
    seconds: ExpireSeconds = Field(description="Seconds from now; 0 or less deletes the key, as EXPIRE does")


class ExpireResult(KeyResult):
    result: bool


class Base64Bytes(BaseModel):
    encoding: Literal["base64"]
    data: str


class KeysPage(BaseModel):
    cursor: int = Field(description="Pass it back for the next page; 0 when the scan is complete")
    keys: list[str | Base64Bytes] = Field(description="Keys that are not UTF-8 come as base64 objects")


class ConnectedReplica(BaseModel):
    ip: str
    port: int = Field(description="The port it listens on (REPLCONF listening-port)")
    state: str = Field(description="wait_bgsave while its snapshot is made, then online (INFO slaveN state)")
    offset: int = Field(description="The replication offset it last acknowledged")
    lag: int = Field(description="Seconds since its last acknowledgement")
    offset_lag: int = Field(description="Bytes of the stream it has not acknowledged: master_repl_offset - offset")


class MasterLink(BaseModel):
    host: str
    port: int
    link_status: Literal["up", "down"]
    last_io_seconds_ago: int = Field(description="Seconds since the last byte from the master; -1 while down")
    sync_in_progress: bool = Field(description="A full sync from the master is being received")
    link_down_since_seconds: int | None = Field(description="Seconds the link has been down; null while up")
    offset: int = Field(description="The master's stream offset this replica has applied (slave_repl_offset)")


class Replication(BaseModel):
    role: Literal["master", "slave"] = Field(description="As INFO says it: slave on a replica")
    connected_replicas: int
    replication_id: str = Field(description="master_replid: the history this server's offsets belong to")
    master_repl_offset: int
    master: MasterLink | None = Field(description="On a replica, its link to its master; null on a master")
    replicas: list[ConnectedReplica] = Field(description="The replicas connected to this server, as INFO lists them")


class InfoResult(BaseModel):
    keys: int
    memory_bytes: int
    memory_human: str
    max_memory_bytes: int
    eviction_policy: str
    operations_total: int
    sets_total: int
    gets_total: int
    deletes_total: int
    evictions_total: int
    expirations_total: int
    replication: Replication


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Readiness(BaseModel):
    ready: bool
    loading: bool


class CommandBatch(StrictBody):
    commands: list[Command] = Field(min_length=1, description="One command per array: a pipeline")
    transaction: bool = Field(False, description="Run the commands in MULTI/EXEC")
    encoding: Encoding = Field(UTF8, description="How every argument is written")


class CommandResult(BaseModel):
    result: object = Field(
        None,
        description="The reply mapped to JSON (maps as objects, sets as lists, "
        "non-UTF-8 strings as {encoding: base64, data})",
    )
    error: str | None = Field(None, description="The Redis error, when this command failed")


CommandRequest = Command | Annotated[list[Command], Field(min_length=1)] | CommandBatch

# A 401 asks for Basic credentials, so that a browser prompts for them (the dashboard page then works).
AUTH_CHALLENGE = {"WWW-Authenticate": 'Basic realm="redislite"'}
# The security schemes of /api/*; {} because no credentials are needed while no password is set.
SECURITY_SCHEMES = {
    "basicAuth": {
        "type": "http",
        "scheme": "basic",
        "description": "As AUTH username password (the default user when the username is empty)",
    },
    "bearerAuth": {
        "type": "http",
        "scheme": "bearer",
        "description": "The token is the default user's password (requirepass), as AUTH password",
    },
}
SECURITY = [{}, {"basicAuth": []}, {"bearerAuth": []}]

# Every status an endpoint that runs commands can answer besides 200 (values.py's error_status; 401 NOAUTH or
# WRONGPASS while a password is set, 403 NOPERM); request validation answers 400, not FastAPI's 422.
ERRORS = {
    400: {"model": ErrorBody},
    401: {
        "model": ErrorBody,
        "headers": {"WWW-Authenticate": {"description": 'Basic realm="redislite"', "schema": {"type": "string"}}},
    },
    403: {"model": ErrorBody},
    409: {"model": ErrorBody},
    413: {"model": ErrorBody},
    503: {"model": ErrorBody},
}
KEY_ERRORS = {**ERRORS, 404: {"model": ErrorBody}}


class ApiError(Exception):
    def __init__(self, status: int, message: str):
        self.status = status
        self.message = message


# -- running commands ------------------------------------------------------------------------------------


def _client(request: Request) -> Client:
    """The request's own client, made by authenticate_request."""
    return request.state.client


async def authenticate_request(request: Request) -> None:
    """The gate of /api/* and /metrics: a client of the request's own (RESP3 replies, so maps and doubles keep
    their types), logged in with the Authorization header's credentials when there are some. AUTH's check is
    called directly, not AUTH itself, so that requests do not count an AUTH call each in the statistics."""
    server = request.app.state.redislite
    peer = request.client
    client = Client(server.state, addr=f"{peer.host}:{peer.port}" if peer else "http")
    client.set_protocol(3)
    given = _credentials(request.headers.get("authorization", ""))
    if given is not None:
        try:
            authenticate(client, *given)
        except errors.CommandError as error:
            raise ApiError(401, error.message.decode("utf-8", "replace")) from None
    elif not client.authenticated:
        raise ApiError(401, errors.NOAUTH.decode())
    request.state.client = client


def _credentials(authorization: str) -> tuple[bytes, bytes] | None:
    """(username, password) for AUTH from an Authorization header; None without Basic or Bearer credentials."""
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if not value:
        return None
    if scheme.lower() == "bearer":
        return b"default", value.encode("latin-1")  # the header's own bytes (Starlette decodes as latin-1)
    if scheme.lower() == "basic":
        try:
            username, colon, password = base64.b64decode(value, validate=True).partition(b":")
        except ValueError:  # binascii.Error, or characters that are not ASCII
            colon = b""
        if not colon:
            raise ApiError(401, errors.WRONGPASS.decode())
        return username or b"default", password
    return None


async def require_utf8_url(request: Request) -> None:
    """Starlette percent-decodes the path and the query with errors="replace", so %FF would silently name
    the key "\ufffd": such URLs are refused instead (non-UTF-8 keys travel as base64)."""
    try:
        unquote_to_bytes(request.scope.get("raw_path") or b"").decode()
        unquote_to_bytes(request.scope.get("query_string", b"")).decode()
    except UnicodeDecodeError:
        raise ApiError(400, errors.HTTP_URL_NOT_UTF8) from None


async def _execute(request: Request, client: Client, argv: list[bytes]):
    engine = request.app.state.redislite.engine
    command = engine.lookup(argv)
    if command is not None and command.name in CONNECTION_COMMANDS:
        if client.multi is not None:  # as Redis flags a transaction whose command was refused while queuing
            client.multi_error = True
        return ErrorReply(errors.not_over_http(command.name))
    while True:
        reply = engine.execute(client, argv)
        if reply is BLOCKED:  # CLIENT PAUSE: wait as a RESP client would
            await asyncio.sleep(PAUSE_RETRY_S)
            continue
        if reply is PARKED:  # a blocking command with nothing to serve: answer as its timeout would
            _, reply = engine.unblock(client)
        return reply


async def _run(request: Request, *argv: bytes):
    """One command; a Redis error becomes an ApiError with its fitting status."""
    reply = await _execute(request, _client(request), list(argv))
    if isinstance(reply, ErrorReply):
        message = reply.decode("utf-8", "replace")
        raise ApiError(error_status(message), message)
    return reply


def _release(client: Client) -> None:
    """What RESET clears (an unfinished MULTI, WATCHed keys, and anything else a command left in the server's
    tables for this client), cleared when the request ends, as a disconnect does: its client ends with it."""
    for step in RESET_STEPS:
        step(client)


def _key(key: str, encoding: str) -> bytes:
    try:
        return decode_text(key, encoding)
    except BadInput as error:
        raise ApiError(400, str(error)) from None


def _key_result(key: bytes) -> dict:
    text, encoding = text_or_base64(key)
    return {"key": text, "encoding": encoding}


def _argv(command: list, encoding: str) -> list[bytes]:
    if not command:
        raise ApiError(400, errors.HTTP_EMPTY_COMMAND)
    argv = []
    for argument in command:
        if isinstance(argument, str):
            argv.append(_key(argument, encoding))
        else:
            argv.append(repr(argument).encode() if isinstance(argument, float) else b"%d" % argument)
    return argv


# -- the app ---------------------------------------------------------------------------------------------


def create_app(max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, lifespan=None) -> FastAPI:
    app = FastAPI(
        title="RedisLite HTTP API",
        version="1",
        lifespan=lifespan,
        description="Redis commands over HTTP, run by the same engine as RESP clients.",
    )
    app.state.max_body_bytes = max_body_bytes
    app.state.metrics_registry = None
    app.add_middleware(BodyLimit)
    # Everything but the probes and the dashboard's files needs credentials while a password is set
    api = APIRouter(dependencies=[Depends(require_utf8_url), Depends(authenticate_request)])

    @app.exception_handler(ApiError)
    async def api_error(request: Request, error: ApiError):
        forget_frames(error)
        return JSONResponse(
            {"error": error.message}, status_code=error.status, headers=AUTH_CHALLENGE if error.status == 401 else None
        )

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, error: RequestValidationError):
        forget_frames(error)
        problems = "; ".join(f"{'.'.join(map(str, item['loc']))}: {item['msg']}" for item in error.errors())
        return JSONResponse({"error": problems or "invalid request"}, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException):
        forget_frames(error)
        return JSONResponse({"error": str(error.detail)}, status_code=error.status_code)

    @app.get("/health", response_model=Health, tags=["probes"], summary="Liveness: the process answers")
    async def health():
        return Health()

    @app.get(
        "/ready",
        response_model=Readiness,
        responses={503: {"model": Readiness}},
        tags=["probes"],
        summary="Readiness: 503 while the dataset is loading",
    )
    async def ready(request: Request):
        server = request.app.state.redislite
        loading = server.persistence.loading is not None or server.cron_handle is None
        body = Readiness(ready=not loading, loading=loading)
        return JSONResponse(body.model_dump(), status_code=503 if loading else 200)

    @api.post("/api/set", response_model=SetResult, responses=ERRORS, tags=["keys"], summary="SET key value")
    async def set_key(request: Request, body: SetRequest):
        key, value = _key(body.key, body.encoding), _key(body.value, body.encoding)
        ttl = [b"EX", b"%d" % body.ttl] if body.ttl is not None else []
        await _run(request, b"SET", key, value, *ttl)
        return _key_result(key)

    @api.get(
        "/api/get/{key:path}",
        response_model=KeyValue,
        responses=KEY_ERRORS,
        tags=["keys"],
        summary="GET key (404 when missing)",
    )
    async def get_key(request: Request, key: Annotated[str, Path()], encoding: Encoding = UTF8):
        name = _key(key, encoding)
        value = await _run(request, b"GET", name)
        if value is None:
            raise ApiError(404, errors.HTTP_KEY_NOT_FOUND)
        (key_text, value_text), used = pair_encoding(name, value)
        return {"key": key_text, "value": value_text, "encoding": used}

    @api.delete(
        "/api/delete/{key:path}",
        response_model=DeleteResult,
        responses=KEY_ERRORS,
        tags=["keys"],
        summary="DEL key (404 when missing)",
    )
    async def delete_key(request: Request, key: Annotated[str, Path()], encoding: Encoding = UTF8):
        name = _key(key, encoding)
        if not await _run(request, b"DEL", name):
            raise ApiError(404, errors.HTTP_KEY_NOT_FOUND)
        return {**_key_result(name), "deleted": 1}

    @api.get(
        "/api/ttl/{key:path}",
        response_model=TtlResult,
        responses=KEY_ERRORS,
        tags=["keys"],
        summary="TTL key (404 when missing)",
    )
    async def ttl_key(request: Request, key: Annotated[str, Path()], encoding: Encoding = UTF8):
        name = _key(key, encoding)
        seconds = await _run(request, b"TTL", name)
        if seconds == -2:
            raise ApiError(404, errors.HTTP_KEY_NOT_FOUND)
        return {**_key_result(name), "ttl": seconds}

    @api.post(
        "/api/expire/{key:path}",
        response_model=ExpireResult,
        responses=KEY_ERRORS,
        tags=["keys"],
        summary="EXPIRE key seconds (404 when missing)",
    )
    async def expire_key(request: Request, key: Annotated[str, Path()], body: ExpireRequest, encoding: Encoding = UTF8):
        name = _key(key, encoding)
        if not await _run(request, b"EXPIRE", name, b"%d" % body.seconds):
            raise ApiError(404, errors.HTTP_KEY_NOT_FOUND)
        return {**_key_result(name), "result": True}

    @api.get(
        "/api/keys",
        response_model=KeysPage,
        responses=ERRORS,
        tags=["keys"],
        summary="One SCAN page of keys matching a glob pattern",
    )
    async def list_keys(
        request: Request,
        pattern: str = "*",
        cursor: Annotated[int, Query(ge=0, le=MAX_CURSOR)] = 0,
        count: Annotated[int, Query(ge=1, le=100_000)] = 100,
    ):
        reply = await _run(request, b"SCAN", b"%d" % cursor, b"MATCH", _key(pattern, UTF8), b"COUNT", b"%d" % count)
        next_cursor, keys = reply
        return {"cursor": int(next_cursor), "keys": [reply_to_json(key) for key in keys]}

    @api.get(
        "/api/info",
        response_model=InfoResult,
        responses=ERRORS,
        tags=["server"],
        summary="Key count, memory, counters and replication, from INFO",
    )
    async def info(request: Request):
        text = await _run(request, b"INFO", b"memory", b"stats", b"replication", b"keyspace", b"commandstats")
        return info_summary(bytes(text).decode("utf-8", "replace"))

    # Prometheus text, not JSON: kept out of the OpenAPI schema, which describes the JSON API
    @api.get("/metrics", include_in_schema=False)
    @api.get("/api/metrics", include_in_schema=False)
    async def metrics(request: Request):
        """Prometheus metrics (text format; OpenMetrics when the Accept header asks for it)."""
        server = request.app.state.redislite
        if not server.state.config.metrics_enabled:
            raise ApiError(404, errors.HTTP_METRICS_DISABLED)
        cached = request.app.state.metrics_registry  # (server, registry), built on the first scrape
        if cached is None or cached[0] is not server:
            cached = request.app.state.metrics_registry = (server, metrics_registry(server))
        body, content_type = exposition(cached[1], request.headers.get("accept"))
        return Response(body, media_type=content_type)

    @api.post(
        "/api/command",
        response_model=CommandResult | list[CommandResult],
        responses=ERRORS,
        tags=["commands"],
        summary="Any command, a pipeline of commands, or a MULTI/EXEC transaction",
    )
    async def run_command(
        request: Request,
        body: Annotated[
            CommandRequest,
            Body(
                examples=[
                    ["HSET", "h", "f", "v"],
                    [["SET", "a", "1"], ["INCR", "a"]],
                    {"commands": [["INCR", "n"], ["GET", "n"]], "transaction": True},
                ]
            ),
        ],
    ):
        # JSONResponse directly: {"result": null} must keep its null, which the response model would drop
        try:
            if isinstance(body, CommandBatch):
                return JSONResponse(await _batch(request, body.commands, body.transaction, body.encoding))
            if body and all(isinstance(item, list) for item in body):
                return JSONResponse(await _batch(request, body, False, UTF8))
            return JSONResponse(await _single(request, _argv(body, UTF8)))
        finally:
            _release(_client(request))

    app.include_router(api)
    app.openapi = _documented(app.openapi, {route.path_format for route in api.routes})

    # The dashboard page: plain files that poll the JSON API above; not part of the OpenAPI schema
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/", include_in_schema=False)
    async def dashboard():
        return FileResponse(STATIC_DIR / "index.html")

    return app


def _documented(generate, gated_paths: set[str]):
    """FastAPI's document with two corrections. It documents a 422 body for every endpoint with parameters;
    validation_error answers 400 with an ErrorBody instead (declared in ERRORS), so the 422 entries and their
    schemas come out. The gate (authenticate_request) is a plain dependency, so its security schemes are
    declared here, on the paths it guards."""

    def openapi() -> dict:
        schema = generate()  # built once and cached by FastAPI: the edits below are made once too
        for path, operations in schema["paths"].items():
            for operation in operations.values():
                operation["responses"].pop("422", None)
                if path in gated_paths:
                    operation["security"] = SECURITY
        components = schema.setdefault("components", {})
        for name in ("HTTPValidationError", "ValidationError"):
            components.get("schemas", {}).pop(name, None)
        components["securitySchemes"] = SECURITY_SCHEMES
        return schema

    return openapi


async def _single(request: Request, argv: list[bytes]) -> dict:
    return {"result": reply_to_json(await _run(request, *argv))}


async def _batch(request: Request, commands: list[list], transaction: bool, encoding: str) -> list[dict]:
    """A pipeline on the request's client (an answer per command), or a transaction."""
    batch = [_argv(command, encoding) for command in commands]
    if transaction:
        return await _transaction(request, batch)
    client = _client(request)
    return [_command_result(await _execute(request, client, argv)) for argv in batch]


async def _transaction(request: Request, batch: list[list[bytes]]) -> list[dict]:
    """MULTI, the commands, EXEC on one client; a command refused while queuing aborts it all (EXECABORT)."""
    client = _client(request)
    await _execute(request, client, [b"MULTI"])
    queuing_errors = []
    for argv in batch:
        queued = await _execute(request, client, argv)
        if isinstance(queued, ErrorReply):
            queuing_errors.append(queued.decode("utf-8", "replace"))
    reply = await _execute(request, client, [b"EXEC"])
    if isinstance(reply, ErrorReply):
        message = reply.decode("utf-8", "replace")
        detail = f"{message} ({'; '.join(queuing_errors)})" if queuing_errors else message
        raise ApiError(error_status(queuing_errors[0] if queuing_errors else message), detail)
    results = reply_to_json(reply)
    return [
        {"error": item["error"]} if isinstance(item, dict) and set(item) == {"error"} else {"result": item}
        for item in (results or [])
    ]


def _command_result(reply) -> dict:
    if isinstance(reply, ErrorReply):
        return {"error": reply.decode("utf-8", "replace")}
    return {"result": reply_to_json(reply)}


SETS = ("set", "setnx", "setex", "psetex", "mset", "msetnx", "getset")
GETS = ("get", "mget", "getex", "getdel")
DELETES = ("del", "unlink")


def info_summary(text: str) -> dict:
    """The /api/info body from INFO's text (memory, stats, replication, keyspace, commandstats)."""
    fields = info_fields(text)
    number = lambda name: info_integer(fields.get(name))  # noqa: E731
    calls = {
        name.removeprefix("cmdstat_"): info_integer(_parts(value).get("calls"))
        for name, value in fields.items()
        if name.startswith("cmdstat_")
    }
    databases = [value for name, value in fields.items() if name.startswith("db") and name[2:].isdigit()]
    return {
        "keys": sum(info_integer(_parts(value).get("keys")) for value in databases),
        "memory_bytes": number("used_memory"),
        "memory_human": fields.get("used_memory_human", ""),
        "max_memory_bytes": number("maxmemory"),
        "eviction_policy": fields.get("maxmemory_policy", ""),
        "operations_total": number("total_commands_processed"),
        "sets_total": sum(calls.get(name, 0) for name in SETS),
        "gets_total": sum(calls.get(name, 0) for name in GETS),
        "deletes_total": sum(calls.get(name, 0) for name in DELETES),
        "evictions_total": number("evicted_keys"),
        "expirations_total": number("expired_keys"),
        "replication": replication_summary(fields),
    }


def replication_summary(fields: dict[str, str]) -> dict:
    """The /api/info replication object from INFO replication's fields."""
    offset = info_integer(fields.get("master_repl_offset"))
    master = None
    if "master_host" in fields:  # a replica
        up = fields.get("master_link_status") == "up"
        master = {
            "host": fields["master_host"],
            "port": info_integer(fields.get("master_port")),
            "link_status": "up" if up else "down",
            "last_io_seconds_ago": info_integer(fields.get("master_last_io_seconds_ago"), -1),
            "sync_in_progress": fields.get("master_sync_in_progress") == "1",
            "link_down_since_seconds": None if up else info_integer(fields.get("master_link_down_since_seconds"), -1),
            "offset": info_integer(fields.get("slave_repl_offset")),
        }
    return {
        # role precedes master_host, so a host's lines could replace it
        "role": "slave" if fields.get("role") == "slave" or master is not None else "master",
        "connected_replicas": info_integer(fields.get("connected_slaves")),
        "replication_id": fields.get("master_replid", ""),
        "master_repl_offset": offset,
        "master": master,
        "replicas": [
            {**replica, "offset_lag": max(offset - replica["offset"], 0)} for replica in replica_lines(fields)
        ],
    }


def info_fields(text: str) -> dict[str, str]:
    """INFO's `name:value` lines as a dict (the names are unique across sections). A name's last line wins: INFO
    prints a REPLICAOF host as given (as Redis does), so it may carry line breaks and lines that look like
    fields or section headers, and the real lines come after it."""
    fields = {}
    for line in text.splitlines():
        if ":" in line and not line.startswith("#"):
            name, value = line.split(":", 1)
            fields[name] = value
    return fields


def _parts(value: str) -> dict[str, str]:
    """`a=1,b=2` (a keyspace or commandstats line) as a dict."""
    return dict(part.split("=", 1) for part in value.split(",") if "=" in part)


class BodyLimit:
    """413 for request bodies over `app.state.max_body_bytes`, by Content-Length or while streaming."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        limit = scope["app"].state.max_body_bytes
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                return await _too_large(send, limit)
        received = 0
        started = False

        async def counting_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(413, errors.http_body_too_large(limit))
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await _too_large(send, limit)


def forget_frames(error: BaseException) -> None:
    """Clear the finished frames an answered error (and the errors it was raised from) went through: a frame
    holding its own exception is a cycle, and it kept the request's body until a full garbage collection."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        traceback.clear_frames(error.__traceback__)  # the frame still handling it is skipped
        error = error.__cause__ or error.__context__


class BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in; FastAPI passes HTTP exceptions on to the JSON error handler."""


async def _too_large(send, limit: int) -> None:
    body = json.dumps({"error": errors.http_body_too_large(limit)}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))],
        }
    )
    await send({"type": "http.response.body", "body": body})


__all__ = ["BASE64", "UTF8", "create_app"]
