"""Structured logs: one JSON object per line (stderr or `logfile`), rendered by structlog.

Each line has `event` (a name like `client_connected`), `timestamp` (ISO 8601, UTC), `level`, `logger` and
the event's fields. Modules log through the standard library, `log.info("event_name", extra={...})`, and
structlog's ProcessorFormatter turns those records into the same JSON as structlog's own loggers
(`structlog.get_logger("redislite.x").info("event_name", field=...)`) produce.

Under `uvicorn api.index:app`, uvicorn's own loggers print through the same handler (configure_logging takes
their handlers away), so its lines are JSON too; its access lines become `http_request` events with fields.

Levels are Redis's: debug < verbose < notice < warning. "verbose" is a level of its own between DEBUG and
INFO, so that per-connection events can be turned on without debug's noise; "notice" is INFO.
"""

import json
import logging
import sys

import structlog

VERBOSE = 15
logging.addLevelName(VERBOSE, "VERBOSE")  # a record's level prints as "verbose"
LEVELS = {"debug": logging.DEBUG, "verbose": VERBOSE, "notice": logging.INFO, "warning": logging.WARNING}

command_log = logging.getLogger("redislite.commands")

# One encoder for every line: json.dumps given `default` builds a new encoder per call, which doubles the cost.
_ENCODER = json.JSONEncoder(default=repr)
_RENDER_JSON = structlog.processors.JSONRenderer(serializer=lambda event_dict, **_: _ENCODER.encode(event_dict))
_ADD_TIMESTAMP = structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp")  # ISO 8601, UTC ("Z")
# What both kinds of records go through before rendering: level, logger name, time.
_SHARED_PROCESSORS = [structlog.stdlib.add_log_level, structlog.stdlib.add_logger_name, _ADD_TIMESTAMP]
# The loggers uvicorn gives handlers of its own (plain text, access lines on stdout) when it runs the app
UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access")


def _uvicorn_fields(logger, method_name, event_dict: dict) -> dict:
    """uvicorn's records as fields: an access line's parts (its message is Apache-style text, its arguments
    are the parts), and without the ANSI-coloured copy of the message uvicorn passes as `color_message`."""
    event_dict.pop("color_message", None)
    args = event_dict.pop("positional_args", ())  # every stdlib record's, kept by pass_foreign_args
    if event_dict["_record"].name == "uvicorn.access" and len(args) == 5:
        client, method, path, http_version, status = args
        event_dict.update(
            event="http_request", client=client, method=method, path=path, http_version=http_version, status=status
        )
    return event_dict


def json_formatter() -> logging.Formatter:
    """A logging.Formatter that renders stdlib records (their `extra` fields included) and structlog
    events as one JSON object per line."""
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[structlog.stdlib.ExtraAdder(), _uvicorn_fields, *_SHARED_PROCESSORS],
        pass_foreign_args=True,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,  # a traceback becomes the "exception" field
            _RENDER_JSON,
        ],
    )


def configure_logging(level: str, logfile: str = "") -> None:
    """Send every log record to stderr (or `logfile`) as JSON lines; `level` is Redis's loglevel name.

    The handler sits on the root logger so that third-party records (uvicorn, asyncio, warnings) come out as
    JSON too; they are kept to warnings and worse, while the `redislite` loggers follow `level`. Loggers that
    uvicorn gave handlers of its own pass their records up to it instead, at the levels uvicorn set (its
    access log only when uvicorn prints one: with --no-access-log it has no handler)."""
    global _command_events
    handler = logging.FileHandler(logfile) if logfile else logging.StreamHandler(sys.stderr)
    handler.setFormatter(json_formatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    for name in UVICORN_LOGGERS:
        uvicorn_logger = logging.getLogger(name)
        if uvicorn_logger.handlers:
            uvicorn_logger.handlers[:] = []
            uvicorn_logger.propagate = True
    logging.captureWarnings(True)  # Python's warnings, printed as plain text otherwise
    ours = logging.getLogger("redislite")
    ours.handlers[:] = []
    ours.setLevel(LEVELS.get(level, logging.INFO))
    ours.propagate = True
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_SHARED_PROCESSORS,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    # Command events skip the stdlib machinery (two LogRecords, a caller lookup, a lock): structlog renders
    # them straight onto the handler's stream, measured several times faster (benchmarks/README.md).
    # log_command still asks the stdlib logger whether INFO is on, so loglevel (and CONFIG SET loglevel)
    # filters them like every other event.
    _command_events = structlog.wrap_logger(
        structlog.WriteLogger(handler.stream),
        processors=[structlog.processors.add_log_level, _ADD_TIMESTAMP, _RENDER_JSON],
        wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG),
    ).bind(logger=command_log.name)


# Until configure_logging runs (a server built inside a test process), command events are stdlib records.
_command_events = structlog.wrap_logger(
    command_log, processors=[structlog.stdlib.render_to_log_kwargs], wrapper_class=structlog.stdlib.BoundLogger
)


def log_command(command, argv: list[bytes], failed: bool, elapsed_ns: int) -> None:
    """`command_executed` (log-commands yes): the command's name, its first key (or null), ok/error and
    the time in the handler. Keys are shown as text (undecodable bytes escaped); values are never logged."""
    if not command_log.isEnabledFor(logging.INFO):
        return
    if command.single_key:
        key = argv[command.single_key]
    else:
        positions = command.spec.key_positions(argv)
        key = argv[positions[0]] if positions else None
    _command_events.info(
        "command_executed",
        command=command.name,
        key=key.decode("utf-8", "backslashreplace") if key is not None else None,
        status="error" if failed else "ok",
        latency_ms=round(elapsed_ns / 1_000_000, 3),
    )
