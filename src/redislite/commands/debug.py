"""DEBUG (HELP, SLEEP, OBJECT, SET-ACTIVE-EXPIRE, RELOAD, LOADAOF, LOG, POPULATE).

Redis 7.0 lists DEBUG as a plain command, so its subcommands are hidden table entries that DEBUG runs
itself (registry.run_hidden_subcommand), with Redis's one error for an unknown subcommand or a wrong
argument count.
"""

import logging
import time

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK, SimpleString
from .args import parse_int, positive_long, strtod
from .client import help_reply
from .context import Argv, Context
from .keys import value_encoding
from .persistence import persistence_of
from .registry import TABLE, command, run_hidden_subcommand

log = logging.getLogger("redislite.server")

DEBUG_HELP = """\
DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
LOG <message>
    Write <message> to the server log.
OBJECT <key>
    Show low level info about the <key> and associated value.
POPULATE <count> [<prefix>] [<size>]
    Create <count> string keys named key:<num>. If <prefix> is specified then
    it is used instead of the 'key' prefix. These are not propagated to
    replicas. Cluster slots are not respected so keys not belonging to the
    current node can be created in cluster mode.
RELOAD [option ...]
    Save the RDB on disk and reload it back to memory. Valid <option> values:
    * MERGE: conflicting keys will be loaded from RDB.
    * NOFLUSH: the existing database will not be removed before load, but
      conflicting keys will generate an exception and kill the server.
    * NOSAVE: the database will be loaded from an existing RDB file.
    Examples:
    * DEBUG RELOAD: verify that the server is able to persist, flush and reload
      the database.
    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an
      existing RDB file.
    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB
      file to the database.
LOADAOF
    Flush the AOF buffers on disk and reload the AOF in memory.
SET-ACTIVE-EXPIRE <0|1>
    Setting it to 0 disables expiring keys in background when they are not
    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the
    default.
SLEEP <seconds>
    Stop the server for <seconds>. Decimals allowed.
HELP
    Prints this help."""


@command(
    "debug",
    arity=-2,
    flags="admin noscript loading stale",
    group="server",
    since="1.0.0",
    complexity="Depends on subcommand.",
)
def debug_command(ctx: Context, argv: Argv):
    """DEBUG subcommand [argument [argument ...]] — A container for debugging commands"""
    return run_hidden_subcommand(TABLE.specs["debug"], ctx, argv)


# DEBUG's subcommands: Redis lists DEBUG as a plain command, so these are hidden entries that DEBUG runs itself.


@command("debug|help", arity=2, hidden=True)
def debug_help_command(ctx: Context, argv: Argv):
    """DEBUG HELP — Show helpful text about the different subcommands"""
    return help_reply(DEBUG_HELP)


@command("debug|sleep", arity=3, hidden=True)
def debug_sleep_command(ctx: Context, argv: Argv):
    """DEBUG SLEEP seconds — Stop the server for the given seconds (decimals allowed)"""
    debug_sleep(argv[2])
    return OK


@command("debug|object", arity=3, hidden=True)
def debug_object_command(ctx: Context, argv: Argv):
    """DEBUG OBJECT key — Show low level info about the key and its value"""
    value = ctx.db.lookup(argv[2], ctx.now_ms)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    access = ctx.db.access_time(argv[2], ctx.now_ms // 1000)
    length = len(value) if isinstance(value, (bytes, bytearray)) else 0
    return SimpleString(
        b"Value at:0x%x refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d"
        % (
            id(value),
            value_encoding(value, argv[2] in ctx.db.raw_strings),
            length,
            access & (2**24 - 1),
            max(0, ctx.now_ms // 1000 - access),
        )
    )


@command("debug|set-active-expire", arity=3, hidden=True)
def debug_set_active_expire_command(ctx: Context, argv: Argv):
    """DEBUG SET-ACTIVE-EXPIRE <0|1> — Turn expiring keys in the background off (0) or back on"""
    flag = parse_int(argv[2])
    if flag is None:
        raise CommandError(errors.NOT_INTEGER)
    ctx.server.config.active_expire_enabled = bool(flag)
    return OK


@command("debug|reload", arity=-2, hidden=True)
def debug_reload_command(ctx: Context, argv: Argv):
    """DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE] — Save the RDB on disk and load it back"""
    return persistence_of(ctx).debug_reload([option.upper() for option in argv[2:]])


@command("debug|loadaof", arity=2, hidden=True)
def debug_loadaof_command(ctx: Context, argv: Argv):
    """DEBUG LOADAOF — Flush the AOF to disk and load it back"""
    return persistence_of(ctx).debug_load_aof()


@command("debug|log", arity=3, hidden=True)
def debug_log_command(ctx: Context, argv: Argv):
    """DEBUG LOG message — Write the message to the server log"""
    log.warning("debug_log", extra={"message_text": argv[2].decode("utf-8", "replace")})
    return OK


@command("debug|populate", arity=-3, hidden=True)
def debug_populate_command(ctx: Context, argv: Argv):
    """DEBUG POPULATE count [prefix [size]] — Create count string keys named prefix:<n>, skipping keys that exist

    The values are value:<n>, cut or zero-padded to size when it is given."""
    if len(argv) > 5:
        raise CommandError(errors.unknown_subcommand_or_arity("debug", argv[1]))
    count = positive_long(argv[2])
    size = positive_long(argv[4]) if len(argv) == 5 else 0
    prefix = argv[3] if len(argv) > 3 else b"key"
    db, now_ms = ctx.db, ctx.now_ms
    for index in range(count):
        key = b"%s:%d" % (prefix, index)
        if db.lookup(key, now_ms) is not None:
            continue
        value = b"value:%d" % index
        db.store(key, value[:size].ljust(size, b"\0") if size else value)
        ctx.server.dirty += 1
    return OK


LONGEST_SLEEP_S = 2**32  # time.sleep's limit is about 2**33 seconds; Redis would sleep for centuries


def debug_sleep(argument: bytes) -> None:
    """DEBUG SLEEP seconds, as Redis 7.0 does it: strtod (so junk is 0 and "1e3x" is 1000), then microseconds
    as a C long long. NaN and anything past LLONG_MAX microseconds (inf included) overflow to a negative time,
    which nanosleep refuses at once, as it refuses any negative time: all of those answer OK without
    sleeping. Blocking the whole server is the point of the command."""
    micros = strtod(argument)[0] * 1_000_000
    if micros == micros and 1 <= micros < 2**63:
        time.sleep(min(int(micros) / 1_000_000, LONGEST_SLEEP_S))
