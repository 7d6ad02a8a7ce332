"""The HTTP door of a running server: uvicorn serving the API in the server's own event loop, with the guards
the RESP port has: protected mode, a cap on connections (maxclients) and a deadline for reading a request."""

import asyncio
import contextlib
import json
import logging
import ssl

import uvicorn
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from .. import errors
from ..engine.security import protected_mode_refuses
from .app import create_app

log = logging.getLogger("redislite.http")


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn without its own signal handlers: the server's SIGTERM/SIGINT handling stays in charge."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class ProtectedMode:
    """ASGI middleware: under protected mode a request from off the loopback interface gets 403 and the
    DENIED text, and its connection is closed (the RESP port sends the same text at accept)."""

    DENIED = json.dumps({"error": errors.PROTECTED_MODE_DENIED[1:-2].decode()}).encode()

    def __init__(self, app, server):
        self.app = app
        self.server = server

    async def __call__(self, scope, receive, send):
        client = scope.get("client")
        if scope["type"] == "http" and protected_mode_refuses(self.server.state, client[0] if client else None):
            headers = [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(self.DENIED)).encode()),
                (b"connection", b"close"),
            ]
            await send({"type": "http.response.start", "status": 403, "headers": headers})
            await send({"type": "http.response.body", "body": self.DENIED})
            return
        await self.app(scope, receive, send)


def guarded_protocol(server, request_timeout: float):
    """uvicorn's HTTP protocol, with a connection cap and a request deadline. Without them, half-sent requests
    held their sockets for good (3,000 stayed open, counted nowhere)."""

    class GuardedHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
        deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            if len(self.connections) > server.state.config.maxclients:
                server.state.stats.rejected_connections += 1
                transport.abort()
                return
            self.arm_deadline()

        def connection_lost(self, exc) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self.arm_deadline()  # the next request on this connection gets a whole period

        def arm_deadline(self) -> None:
            if self.deadline is not None:
                self.deadline.cancel()
            self.deadline = self.loop.call_later(request_timeout, self.deadline_passed)

        def deadline_passed(self) -> None:
            """Still reading a request (headers or body) after request_timeout seconds: close the connection.
            A request being served (its body read) is not timed: the deadline starts again."""
            self.deadline = None
            cycle = self.cycle
            reading = cycle is None or cycle.response_complete or (cycle.more_body and not cycle.response_started)
            if reading:
                log.info("http_request_timeout", extra={"client": self.client})
                self.transport.close()
            else:
                self.arm_deadline()

    return GuardedHTTPProtocol


class HttpDoor:
    def __init__(self, server, host: str, port: int, settings, tls: ssl.SSLContext | None = None):
        """`tls`: serve HTTPS with this context (http-tls yes: the tls-port's, from the tls-* settings)."""
        self.app = create_app(settings.http_max_body_size)
        self.app.state.redislite = server
        self.config = uvicorn.Config(
            ProtectedMode(self.app, server),
            host=host,
            port=port,
            loop="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=2,
            ssl_context_factory=None if tls is None else lambda config, default_factory: tls,
            http=guarded_protocol(server, settings.http_request_timeout),
        )
        self.uvicorn = _EmbeddedUvicorn(self.config)
        self.task: asyncio.Task | None = None
        self.port = port

    async def start(self) -> None:
        """Listen; OSError when the port cannot be bound."""
        self.task = asyncio.get_running_loop().create_task(self.uvicorn.serve())
        while not self.uvicorn.started:
            if self.task.done():
                with contextlib.suppress(BaseException):
                    self.task.result()  # uvicorn leaves with SystemExit when it cannot bind
                raise OSError(f"HTTP API could not listen on port {self.config.port}")
            await asyncio.sleep(0.01)
        for server in self.uvicorn.servers:
            self.port = server.sockets[0].getsockname()[1]
        log.info("http_started", extra={"port": self.port})

    async def stop(self) -> None:
        if self.task is None:
            return
        self.uvicorn.should_exit = True
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(self.task, 5)
        self.task = None
