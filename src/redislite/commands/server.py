"""Server-wide commands: DBSIZE, FLUSHDB, FLUSHALL, TIME, LASTSAVE, SHUTDOWN.

INFO, CONFIG, DEBUG, MONITOR, SLOWLOG and LATENCY have modules of their own.
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK
from .args import parse_flush_mode
from .context import Argv, Context
from .registry import command
from .scripting import scripting_of

# -- keyspace-wide commands ----------------------------------------------------------------------------------


@command("dbsize", arity=1, flags="readonly fast", group="server", acl="@keyspace", complexity="O(1)")
def dbsize_command(ctx: Context, argv: Argv):
    """DBSIZE — Return the number of keys in the selected database"""
    return len(ctx.db)


@command(
    "flushdb",
    arity=-1,
    flags="write",
    group="server",
    acl="@keyspace @dangerous",
    complexity="O(N) where N is the number of keys in the selected database",
)
def flushdb_command(ctx: Context, argv: Argv):
    """FLUSHDB [ASYNC | SYNC] — Remove all keys from the current database"""
    parse_flush_mode(argv, 1)
    ctx.server.dirty += len(ctx.db)
    ctx.db.clear()
    return OK


@command(
    "flushall",
    arity=-1,
    flags="write",
    group="server",
    acl="@keyspace @dangerous",
    complexity="O(N) where N is the total number of keys in all databases",
)
def flushall_command(ctx: Context, argv: Argv):
    """FLUSHALL [ASYNC | SYNC] — Remove all keys from all databases"""
    parse_flush_mode(argv, 1)
    state = ctx.server
    state.dirty += sum(len(db) for db in state.databases) + 1
    state.flush_all()
    if state.persistence is not None:  # stop a BGSAVE of the old data; with save points, save the empty one
        state.persistence.flushed_all()
    return OK


@command("time", arity=1, flags="loading stale fast", group="server", since="2.6.0", complexity="O(1)")
def time_command(ctx: Context, argv: Argv):
    """TIME — Return the current server time"""
    now_us = ctx.server.clock_ns() // 1000
    return [b"%d" % (now_us // 1_000_000), b"%d" % (now_us % 1_000_000)]


@command("lastsave", arity=1, flags="loading stale fast", group="server", acl="@admin @dangerous", complexity="O(1)")
def lastsave_command(ctx: Context, argv: Argv):
    """LASTSAVE — Get the UNIX time stamp of the last successful save to disk"""
    return ctx.server.last_save_s


# -- SHUTDOWN ------------------------------------------------------------------------------------------------


@command(
    "shutdown",
    arity=-1,
    flags="admin noscript loading stale no_multi allow_busy",
    group="server",
    since="1.0.0",
    complexity="O(N) when saving, where N is the total number of keys in all databases when "
    "saving data, otherwise O(1)",
)
def shutdown_command(ctx: Context, argv: Argv):
    """SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT] — Synchronously save the dataset to disk and then shut down the
    server"""
    save = None
    abort = force = False
    for option in (arg.upper() for arg in argv[1:]):
        if option == b"NOSAVE" and save is None:
            save = False
        elif option == b"SAVE" and save is None:
            save = True
        elif option == b"NOW":
            pass  # there is no replica to wait for
        elif option == b"FORCE":
            force = True  # a failed save does not stop the shutdown
        elif option == b"ABORT":
            abort = True
        else:
            raise CommandError(errors.SYNTAX)
    if abort:
        if len(argv) > 2:
            raise CommandError(errors.SYNTAX)
        raise CommandError(errors.NO_SHUTDOWN_IN_PROGRESS)
    busy = scripting_of(ctx).busy_error()
    if busy is not None and save is not False:
        raise CommandError(busy)  # saving would wait for the script: only SHUTDOWN NOSAVE ends a busy server
    requested = ctx.server.shutdown_requested
    if requested is None:
        raise CommandError(errors.SHUTDOWN_FAILED)
    if requested(save, force) is False:
        raise CommandError(errors.SHUTDOWN_FAILED)
    # Like Redis, a successful SHUTDOWN never answers: the connection just closes.
    ctx.reply_mode = "off"
    ctx.close()
    return OK
