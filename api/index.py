"""`uvicorn api.index:app --host 0.0.0.0 --port 8000`: the HTTP API under uvicorn's own command line, with
the RESP server started in the app's lifespan (same process, same event loop).

Settings come from the usual sources: `REDISLITE_*` environment variables (`REDISLITE_TCP_PORT` or
`REDISLITE_PORT` is the RESP port, 6379 by default; 0 turns RESP off), `.env`, and a config file named by
`REDISLITE_CONFIG_FILE`.
The HTTP port is uvicorn's `--port`; `REDISLITE_HTTP_PORT` is not used in this mode. The dataset is loaded
before uvicorn starts answering, so in this mode `/ready` is true as soon as HTTP is up. SHUTDOWN over
RESP ends the whole process (uvicorn gets SIGTERM).

Logging is configured when uvicorn imports this module, before its first line ("Started server process"),
so every line on stderr is JSON, uvicorn's included (with `--reload` or `--workers`, the supervising process
never imports the app: its own lines stay uvicorn's text)."""

import asyncio
import contextlib
import os
import signal

from redislite.config import load_settings
from redislite.http.app import create_app
from redislite.observability.logs import configure_logging
from redislite.server.app import RedisLiteServer


def _load_settings():
    config_file = os.environ.get("REDISLITE_CONFIG_FILE")
    return load_settings([config_file] if config_file else [])


@contextlib.asynccontextmanager
async def lifespan(app):
    settings, config_path = _load_settings()
    server = RedisLiteServer(settings, config_path)
    app.state.redislite = server
    app.state.max_body_bytes = settings.http_max_body_size
    await server.start()
    watcher = asyncio.get_running_loop().create_task(_end_process_on_shutdown(server))
    try:
        yield
    finally:
        watcher.cancel()
        if not server.stopped.is_set():
            server.request_shutdown()  # saves first when save points are set, as SIGTERM does
        await server.stop()


async def _end_process_on_shutdown(server) -> None:
    await server.stopped.wait()
    os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's own graceful exit, which then runs the lifespan's end


def _configure_logging() -> None:
    settings, _ = _load_settings()
    configure_logging(settings.loglevel, settings.logfile)


_configure_logging()  # at import: uvicorn imports the app before it logs its first line
app = create_app(lifespan=lifespan)
