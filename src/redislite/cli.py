"""`redislite-server [config-file] [--option value ...]`: start a server, the way redis-server starts."""

import asyncio
import logging
import resource
import signal
import sys

from . import REDIS_COMPAT_VERSION, __version__
from .config import load_settings
from .errors import ConfigError
from .observability.logs import configure_logging
from .persistence.service import LoadError

log = logging.getLogger("redislite.server")

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
    except LoadError as error:  # a dump.rdb that cannot be read: refuse to start, as Redis does
        print(f"redislite-server: {error}", file=sys.stderr)
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
        http = HttpDoor(server, host, settings.http_port, settings)
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


RESERVED_FDS = 32  # descriptors kept for files, the listening sockets and replicas (CONFIG_MIN_RESERVED_FDS)


def fit_open_files_limit(maxclients: int) -> int:
    """Redis's adjustOpenFilesLimit: raise the soft limit on open files to maxclients + 32 (up to the hard limit);
    when that is still too low, serve fewer clients and say so, so that every client over the limit is told
    "max number of clients reached" instead of failing to be accepted. Returns the maxclients to use."""
    wanted = maxclients + RESERVED_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return maxclients
    best = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (best, hard))
    except (ValueError, OSError):
        best = soft
    best = max(best, soft)
    if best >= wanted:
        log.info("open_files_limit_raised", extra={"limit": best, "was": soft})
        return maxclients
    if best <= RESERVED_FDS:
        raise ConfigError(
            f"Your current 'ulimit -n' of {best} is not enough for the server to start. "
            f"Please increase your open file limit to at least {wanted}. Exiting."
        )
    reduced = best - RESERVED_FDS
    log.warning(
        "maxclients_reduced",
        extra={
            "requested": maxclients,
            "maxclients": reduced,
            "open_files_limit": best,
            "detail": f"Current maximum open files is {best}. maxclients has been reduced to {reduced} to "
            "compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        },
    )
    return reduced
