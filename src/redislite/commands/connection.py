"""Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH."""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK, PONG, SimpleString
from .args import ArgCursor, parse_int
from .registry import command


@command("ping", arity=-1, flags="fast", group="connection")
def ping_command(ctx, argv):
    """PING [message] — Returns the server's liveliness response."""
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    return PONG if len(argv) == 1 else argv[1]


@command("echo", arity=2, flags="fast", group="connection")
def echo_command(ctx, argv):
    """ECHO message — Returns the given string."""
    return argv[1]


@command("select", arity=2, flags="loading stale fast", group="connection")
def select_command(ctx, argv):
    """SELECT index — Changes the selected database."""
    index = parse_int(argv[1])
    if index is None or index > 2**31 - 1 or index < -(2**31):
        raise CommandError(errors.NOT_INTEGER)
    if not 0 <= index < len(ctx.server.databases):
        raise CommandError(errors.DB_INDEX_RANGE)
    ctx.select(index)
    return OK


@command("quit", arity=-1, flags="allow_busy no_auth", group="connection")
def quit_command(ctx, argv):
    """QUIT — Closes the connection."""
    ctx.close()
    return OK
