"""`redislite-server [config-file] [--option value ...]`: start a server, the way redis-server starts."""

import asyncio
import signal
import sys

from . import REDIS_COMPAT_VERSION, __version__
from .config import fit_open_files_limit, load_settings
from .errors import ConfigError
from .observability.logs import configure_logging
from .persistence.service import LoadError
from .tls import TlsConfigError

USAGE = """Usage: redislite-server [/path/to/redis.conf] [--port 6380] [--bind 127.0.0.1] [--dir ./data] ...
Options are Redis's configuration parameters; REDISLITE_* environment variables and a .env file work too."""


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] in ("-h", "--help"):
        print(USAGE)
        return 0
    if args and args[0] in ("-v", "--version"):
        print(f"RedisLite server v={__version__} (Redis {REDIS_COMPAT_VERSION} compatible)")
        return 0
    try:
        settings, config_file = load_settings(args)
    except ConfigError as error:
        print(f"redislite-server: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.loglevel, settings.logfile)
    try:
        settings.maxclients = fit_open_files_limit(settings.maxclients)
    except ConfigError as error:
        print(f"redislite-server: {error}", file=sys.stderr)
        return 1
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        asyncio.run(_serve(settings, config_file))
    except OSError as error:  # e.g. the port is taken
        print(f"redislite-server: {error.strerror or error}", file=sys.stderr)
        return 1
    except (LoadError, ConfigError) as error:  # a dump.rdb or ACL users that cannot be read: refuse to start
        print(f"redislite-server: {error}", file=sys.stderr)
        return 1
    except TlsConfigError as error:  # as Redis: "Failed to configure TLS. Check logs for more info."
        print(f"redislite-server: failed to configure TLS: {error}", file=sys.stderr)
        return 1
    return 0


async def _serve(settings, config_file) -> None:
    from .server.app import RedisLiteServer

    server = RedisLiteServer(settings, config_file)
    http = None
    if settings.http_port:  # before loading, so /ready can say "not yet" while dump.rdb loads
        from .http.door import HttpDoor
        from .server.accept import bind_addresses

        host = bind_addresses(settings.bind)[0][0] or "0.0.0.0"  # the first bind address
        https = server.state.tls.server if settings.http_tls else None
        http = HttpDoor(server, host, settings.http_port, settings, https)
        await http.start()
    try:
        await server.start()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, server.request_shutdown)
        await server.serve_until_stopped()
    finally:
        if http is not None:
            await http.stop()
