"""SLOWLOG (GET, LEN, RESET, HELP): the commands that ran longer than slowlog-log-slower-than
(observability/slowlog.py keeps them)."""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK
from .args import parse_int
from .client import help_reply
from .context import Argv, Context
from .registry import command

SLOWLOG_HELP = """\
SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
GET [<count>]
    Return top <count> entries from the slowlog (default: 10, -1 mean all).
    Entries are made of:
    id, timestamp, time in microseconds, arguments array, client IP and port,
    client name
LEN
    Return the length of the slowlog.
RESET
    Reset the slowlog.
HELP
    Prints this help."""


@command("slowlog", arity=-2, group="server", since="2.2.12", complexity="Depends on subcommand.")
def slowlog_command(ctx: Context, argv: Argv):
    """SLOWLOG — A container for slow log commands"""
    raise CommandError(errors.wrong_arity("slowlog"))


@command("slowlog|help", arity=2, flags="loading stale", group="server", since="6.2.0", complexity="O(1)")
def slowlog_help_command(ctx: Context, argv: Argv):
    """SLOWLOG HELP — Show helpful text about the different subcommands"""
    return help_reply(SLOWLOG_HELP)


@command(
    "slowlog|get",
    arity=-2,
    flags="admin loading stale",
    group="server",
    since="2.2.12",
    complexity="O(N) where N is the number of entries returned",
)
def slowlog_get_command(ctx: Context, argv: Argv):
    """SLOWLOG GET [count] — Get the slow log's entries"""
    count: int | None = 10
    if len(argv) == 3:
        count = parse_int(argv[2])
        if count is None or count < -1:
            raise CommandError(errors.SLOWLOG_COUNT)
    elif len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("slowlog", argv[1]))
    entries = list(ctx.server.slowlog.entries)
    if count != -1:
        entries = entries[:count]
    return [entry.as_reply() for entry in entries]


@command("slowlog|len", arity=2, flags="admin loading stale", group="server", since="2.2.12", complexity="O(1)")
def slowlog_len_command(ctx: Context, argv: Argv):
    """SLOWLOG LEN — Get the slow log's length"""
    return len(ctx.server.slowlog.entries)


@command(
    "slowlog|reset",
    arity=2,
    flags="admin loading stale",
    group="server",
    since="2.2.12",
    complexity="O(N) where N is the number of entries in the slowlog",
)
def slowlog_reset_command(ctx: Context, argv: Argv):
    """SLOWLOG RESET — Clear all entries from the slow log"""
    ctx.server.slowlog.reset()
    return OK
