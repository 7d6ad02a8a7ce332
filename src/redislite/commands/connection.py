"""Connection commands: PING, ECHO, SELECT, QUIT, RESET, HELLO, AUTH."""

from .. import REDIS_COMPAT_VERSION, errors
from ..errors import CommandError
from ..protocol.values import OK, PONG, SimpleString
from ..storage.acl import DENIED_AUTH
from .args import ArgCursor, to_int, to_int32
from .context import Argv, Context
from .registry import command

RESET_REPLY = SimpleString(b"RESET")

# What RESET undoes besides this module's own state. Other families (MULTI, pub/sub, tracking) append a
# `step(ctx)` here at import time, so RESET stays in one place without knowing every family.
RESET_STEPS: list = []


def on_reset(step):
    """Register `step(ctx)` to run when a client sends RESET."""
    RESET_STEPS.append(step)
    return step


@command("ping", arity=-1, flags="fast", group="connection", complexity="O(1)")
def ping_command(ctx: Context, argv: Argv):
    """PING [message] — Ping the server"""
    if len(argv) > 2:
        raise CommandError(errors.wrong_arity("ping"))
    if ctx.subscribed and ctx.resp == 2:  # in the RESP2 pub/sub context PING answers like a message
        return [b"pong", argv[1] if len(argv) > 1 else b""]
    return PONG if len(argv) == 1 else argv[1]


@command("echo", arity=2, flags="loading stale fast", group="connection", complexity="O(1)")
def echo_command(ctx: Context, argv: Argv):
    """ECHO message — Echo the given string"""
    return argv[1]


@command("select", arity=2, flags="loading stale fast", group="connection", complexity="O(1)")
def select_command(ctx: Context, argv: Argv):
    """SELECT index — Change the selected database for the current connection"""
    index = to_int32(argv[1])
    if not 0 <= index < len(ctx.server.databases):
        raise CommandError(errors.DB_INDEX_RANGE)
    ctx.select(index)
    return OK


@command(
    "quit", arity=-1, flags="noscript loading stale fast no_auth allow_busy", group="connection", complexity="O(1)"
)
def quit_command(ctx: Context, argv: Argv):
    """QUIT — Close the connection"""
    ctx.close()
    return OK


# -- authentication ----------------------------------------------------------------------------------------


def authenticate(ctx: Context, username: bytes, password: bytes, command_name: bytes = b"AUTH") -> None:
    """ACLAuthenticateUser: log in as an enabled user whose password matches (any password with nopass); a
    failure is logged in ACL LOG (its object is the command as sent) and answered WRONGPASS."""
    acl = ctx.server.acl
    user = acl.credentials_ok(username, password)
    if user is None:
        context = b"multi" if ctx.exec_parts is not None else b"toplevel"
        engine = ctx.server.engine
        engine.log_denial(ctx, DENIED_AUTH, context, command_name, username, running=command_name.decode().lower())
        raise CommandError(errors.WRONGPASS)
    ctx.authenticated = True
    ctx.user = user


@command(
    "auth",
    arity=-2,
    flags="noscript loading stale fast no_auth allow_busy",
    group="connection",
    since="1.0.0",
    complexity="O(N) where N is the number of passwords defined for the user",
)
def auth_command(ctx: Context, argv: Argv):
    """AUTH [username] password — Authenticate to the server"""
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        # The one-argument form authenticates the default user; while it needs no password that is a mistake.
        if ctx.server.acl.default.nopass:
            raise CommandError(errors.NO_PASSWORD)
        authenticate(ctx, b"default", argv[1], argv[0])
    else:
        authenticate(ctx, argv[1], argv[2], argv[0])
    return OK


@command(
    "hello",
    arity=-1,
    flags="noscript loading stale fast no_auth allow_busy",
    group="connection",
    since="6.0.0",
    complexity="O(1)",
)
def hello_command(ctx: Context, argv: Argv):
    """HELLO [protover [AUTH username password] [SETNAME clientname]] — Handshake with Redis"""

    version = ctx.resp
    if len(argv) >= 2:
        version = to_int(argv[1], errors.HELLO_PROTOVER)
        if version not in (2, 3):
            raise CommandError(errors.NOPROTO)
    credentials = name = None
    args = ArgCursor(argv, 2)
    while args.more():
        option = args.next_bytes()
        word = option.upper()
        refused = errors.hello_option(option)  # an unknown option, or one without its arguments
        if word == b"AUTH":
            credentials = args.take(2, refused)
        elif word == b"SETNAME":
            name = args.take(1, refused)[0]
            if not valid_client_name(name):
                raise CommandError(errors.CLIENT_NAME_CHARS)
        else:
            raise CommandError(refused)
    if credentials is not None:
        authenticate(ctx, credentials[0], credentials[1], argv[0])
    elif not ctx.authenticated:
        raise CommandError(errors.HELLO_NOAUTH)
    if name is not None:
        ctx.name = name
    ctx.set_protocol(version)
    return {
        b"server": b"redis",
        b"version": REDIS_COMPAT_VERSION.encode(),
        b"proto": version,
        b"id": ctx.id,
        b"mode": b"standalone",
        b"role": b"master",
        b"modules": [],
    }


def valid_client_name(name: bytes) -> bool:
    """Redis's validateClientName: printable ASCII without spaces ('!' .. '~')."""
    return all(33 <= byte <= 126 for byte in name)


@command(
    "reset",
    arity=1,
    flags="noscript loading stale fast no_auth allow_busy",
    group="connection",
    since="6.2.0",
    complexity="O(1)",
)
def reset_command(ctx: Context, argv: Argv):
    """RESET — Reset the connection"""
    for step in RESET_STEPS:
        step(ctx)
    if ctx.monitor:
        ctx.monitor = False
        if ctx in ctx.server.monitors:
            ctx.server.monitors.remove(ctx)
    ctx.select(0)
    ctx.set_protocol(2)
    ctx.name = b""
    ctx.reply_mode = "on"
    ctx.no_evict = False
    ctx.no_touch = False
    ctx.user = ctx.server.acl.default
    ctx.authenticated = ctx.server.acl.default_logs_in
    return RESET_REPLY
