"""String commands: GET, SET."""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK
from .registry import command


def lookup_string(ctx, key: bytes):
    value = ctx.db.lookup(key, ctx.now_ms, ctx.clock)
    if value is not None and value.__class__ is not bytes:
        raise CommandError(errors.WRONGTYPE)
    return value


@command("get", arity=2, flags="readonly fast", keys=(1, 1, 1), group="string")
def get_command(ctx, argv):
    """GET key — Returns the string value of a key."""
    return lookup_string(ctx, argv[1])


@command("set", arity=-3, flags="write denyoom", keys=(1, 1, 1), group="string")
def set_command(ctx, argv):
    """SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | KEEPTTL] — Sets the string value of a key."""
    ctx.db.store(argv[1], argv[2], clock=ctx.clock)
    ctx.server.dirty += 1
    return OK
