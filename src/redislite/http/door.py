"""The HTTP door of a running server: uvicorn serving the API in the server's own event loop."""

import asyncio
import contextlib
import logging
import ssl

import uvicorn

from .app import DEFAULT_MAX_BODY_BYTES, create_app

log = logging.getLogger("redislite.http")


class _EmbeddedUvicorn(uvicorn.Server):
    """uvicorn without its own signal handlers: the server's SIGTERM/SIGINT handling stays in charge."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


class HttpDoor:
    def __init__(
        self,
        server,
        host: str,
        port: int,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        tls: ssl.SSLContext | None = None,
    ):
        """`tls`: serve HTTPS with this context (http-tls yes: the tls-port's, from the tls-* settings)."""
        self.app = create_app(max_body_bytes)
        self.app.state.redislite = server
        self.config = uvicorn.Config(
            self.app,
            host=host,
            port=port,
            loop="none",
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=2,
            ssl_context_factory=None if tls is None else lambda config, default_factory: tls,
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
