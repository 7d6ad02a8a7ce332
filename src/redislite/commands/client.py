"""CLIENT: ID, SETNAME, GETNAME, SETINFO, INFO, LIST, KILL, PAUSE, UNPAUSE, UNBLOCK, REPLY, NO-EVICT, NO-TOUCH,
HELP."""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK, ErrorReply, SimpleString, Verbatim
from .args import INT64_MAX, keyword, long_in_range, to_int
from .connection import valid_client_name
from .context import Argv, Context
from .registry import command

CLIENT_TYPES = {
    b"NORMAL": "normal",
    b"MASTER": "master",
    b"REPLICA": "replica",
    b"SLAVE": "replica",
    b"PUBSUB": "pubsub",
}
ON_OFF = {b"ON": True, b"OFF": False}

HELP = """\
CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
CACHING (YES|NO)
    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.
GETREDIR
    Return the client ID we are redirecting to when tracking is enabled.
GETNAME
    Return the name of the current connection.
ID
    Return the ID of the current connection.
INFO
    Return information about the current client connection.
KILL <ip:port>
    Kill connection made from <ip:port>.
KILL <option> <value> [<option> <value> [...]]
    Kill connections. Options are:
    * ADDR (<ip:port>|<unixsocket>:0)
      Kill connections made from the specified address
    * LADDR (<ip:port>|<unixsocket>:0)
      Kill connections made to specified local address
    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)
      Kill connections by type.
    * USER <username>
      Kill connections authenticated by <username>.
    * SKIPME (YES|NO)
      Skip killing current connection (default: yes).
    * ID <client-id>
      Kill connections by client id.
LIST [options ...]
    Return information about client connections. Options:
    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)
      Return clients of specified type.
    * ID <client-id> [<client-id> ...]
      Return clients of specified IDs.
UNPAUSE
    Stop the current client pause, resuming traffic.
PAUSE <timeout> [WRITE|ALL]
    Suspend all, or just write, clients for <timeout> milliseconds.
REPLY (ON|OFF|SKIP)
    Control the replies sent to the current connection.
UNBLOCK <clientid> [TIMEOUT|ERROR]
    Unblock the specified blocked client.
SETNAME <name>
    Assign the name <name> to the current connection.
SETINFO <option> <value>
    Set client meta attr. Options are:
    * LIB-NAME: the client lib name.
    * LIB-VER: the client lib version.
NO-EVICT (ON|OFF)
    Protect current client connection from eviction.
NO-TOUCH (ON|OFF)
    Will not touch LRU/LFU stats when this mode is on.
HELP
    Prints this help."""


def help_reply(text: str) -> list:
    """Redis's addReplyHelp: one status line per line of text."""
    return [SimpleString(line.encode()) for line in text.splitlines()]


@command("client", arity=-2, group="connection", since="2.4.0", complexity="Depends on subcommand.")
def client_command(ctx: Context, argv: Argv):
    """CLIENT — A container for client connection commands"""
    raise CommandError(errors.wrong_arity("client"))


@command("client|help", arity=2, flags="loading stale", group="connection", since="5.0.0", complexity="O(1)")
def client_help_command(ctx: Context, argv: Argv):
    """CLIENT HELP — Show helpful text about the different subcommands"""
    return help_reply(HELP)


@command("client|id", arity=2, flags="noscript loading stale", group="connection", since="5.0.0", complexity="O(1)")
def client_id_command(ctx: Context, argv: Argv):
    """CLIENT ID — Returns the client ID for the current connection"""
    return ctx.id


@command(
    "client|setname", arity=3, flags="noscript loading stale", group="connection", since="2.6.9", complexity="O(1)"
)
def client_setname_command(ctx: Context, argv: Argv):
    """CLIENT SETNAME connection-name — Set the current connection name"""
    if not valid_client_name(argv[2]):
        raise CommandError(errors.CLIENT_NAME_CHARS)
    ctx.name = argv[2]
    return OK


@command(
    "client|getname", arity=2, flags="noscript loading stale", group="connection", since="2.6.9", complexity="O(1)"
)
def client_getname_command(ctx: Context, argv: Argv):
    """CLIENT GETNAME — Get the current connection name"""
    return ctx.name or None


@command(
    "client|setinfo", arity=4, flags="noscript loading stale", group="connection", since="7.2.0", complexity="O(1)"
)
def client_setinfo_command(ctx: Context, argv: Argv):
    """CLIENT SETINFO <LIB-NAME libname | LIB-VER libver> — Set client or connection specific info"""
    attribute = argv[2].lower()
    if attribute not in (b"lib-name", b"lib-ver"):
        raise CommandError(errors.unrecognized_client_attribute(argv[2]))
    if not valid_client_name(argv[3]):
        raise CommandError(errors.client_attribute_chars(argv[2]))
    if attribute == b"lib-name":
        ctx.lib_name = argv[3]
    else:
        ctx.lib_ver = argv[3]
    return OK


@command("client|info", arity=2, flags="noscript loading stale", group="connection", since="6.2.0", complexity="O(1)")
def client_info_command(ctx: Context, argv: Argv):
    """CLIENT INFO — Returns information about the current client connection."""
    return Verbatim(describe_client(ctx, ctx.now_ms, b"client|info") + b"\n")


@command(
    "client|list",
    arity=-2,
    flags="admin noscript loading stale",
    group="connection",
    since="2.4.0",
    complexity="O(N) where N is the number of client connections",
)
def client_list_command(ctx: Context, argv: Argv):
    """CLIENT LIST [TYPE <NORMAL | MASTER | REPLICA | PUBSUB>] [ID client-id [client-id ...]] — Get the list of client
    connections"""
    clients = list(ctx.server.clients.values())
    if len(argv) == 4 and argv[2].upper() == b"TYPE":
        kind = parse_client_type(argv[3])
        clients = [client for client in clients if client_kind(client) == kind]
    elif len(argv) >= 4 and argv[2].upper() == b"ID":
        wanted = [to_int(raw, errors.INVALID_CLIENT_ID) for raw in argv[3:]]
        clients = [ctx.server.clients[i] for i in dict.fromkeys(wanted) if i in ctx.server.clients]
    elif len(argv) != 2:
        raise CommandError(errors.SYNTAX)
    now_ms = ctx.now_ms
    return Verbatim(
        b"".join(
            describe_client(client, now_ms, b"client|list" if client is ctx else None) + b"\n" for client in clients
        )
    )


def parse_client_type(raw: bytes) -> str:
    return keyword(raw, CLIENT_TYPES, errors.unknown_client_type(raw))


def client_kind(client) -> str:
    """CLIENT LIST TYPE's classes: a client with subscriptions counts as pubsub, as in getClientType."""
    if client.kind == "normal" and subscription_counts(client) != (0, 0, 0):
        return "pubsub"
    return client.kind


def subscription_counts(client) -> tuple[int, int, int]:
    return len(client.channels), len(client.patterns), len(client.shard_channels)


def client_flags(client) -> str:
    flags = ""
    kind = client.kind
    if kind == "replica":
        flags += "S"
    elif kind == "master":
        flags += "M"
    if subscription_counts(client) != (0, 0, 0):
        flags += "P"
    if client.multi is not None:
        flags += "x"
    if client.blocked:
        flags += "b"
    if client.dirty_cas:
        flags += "d"
    if client.monitor:
        flags += "O"
    connection = client.connection
    if connection is not None and getattr(connection, "closing", False):
        flags += "c"
    if client.no_evict:
        flags += "e"
    if client.no_touch:
        flags += "T"
    return flags or "N"


def output_buffer_bytes(client) -> int:
    transport = getattr(client.connection, "transport", None)
    try:
        return transport.get_write_buffer_size() if transport is not None else 0
    except Exception:  # a transport that is already closed
        return 0


def describe_client(client, now_ms: int, running: bytes | None = None) -> bytes:
    """One CLIENT LIST line, field for field as Redis 7 prints it (buffer sizes we do not track are 0).
    `running` names the command the client is running now: Redis shows it as its `cmd`."""
    sub, psub, ssub = subscription_counts(client)
    multi = client.multi
    omem = output_buffer_bytes(client)
    command_name = running or client.last_command.encode()
    fields = [
        b"id=%d" % client.id,
        b"addr=" + client.addr.encode(),
        b"laddr=" + client.laddr.encode(),
        b"fd=%d" % client.fd,
        b"name=" + client.name,
        b"age=%d" % max(0, (now_ms - client.created_ms) // 1000),
        b"idle=%d" % max(0, (now_ms - client.last_interaction_ms) // 1000),
        b"flags=" + client_flags(client).encode(),
        b"db=%d" % client.db_index,
        b"sub=%d" % sub,
        b"psub=%d" % psub,
        b"ssub=%d" % ssub,
        b"multi=%d" % (len(multi) if multi is not None else -1),
        b"qbuf=0",
        b"qbuf-free=0",
        b"argv-mem=0",
        b"multi-mem=0",
        b"rbs=0",
        b"rbp=0",
        b"obl=0",
        b"oll=0",
        b"omem=%d" % omem,
        b"tot-mem=%d" % omem,
        b"events=r",
        b"cmd=" + command_name,
        b"user=" + client.user.name,
        b"redir=-1",
        b"resp=%d" % client.resp,
        b"lib-name=" + client.lib_name,
        b"lib-ver=" + client.lib_ver,
    ]
    return b" ".join(fields)


@command(
    "client|kill",
    arity=-3,
    flags="admin noscript loading stale",
    group="connection",
    since="2.4.0",
    complexity="O(N) where N is the number of client connections",
)
def client_kill_command(ctx: Context, argv: Argv):
    """CLIENT KILL <ip:port | <[ID client-id] | [TYPE <NORMAL | MASTER | SLAVE | REPLICA | PUBSUB>] | [USER username] |
    [ADDR ip:port] | [LADDR ip:port] | [SKIPME <YES | NO>]> [...]> — Kill the connection of a client"""
    clients = ctx.server.clients
    if len(argv) == 3:
        # The old form: one address, an error when nobody matches, and the caller may kill itself.
        for client in list(clients.values()):
            if client.addr.encode() == argv[2]:
                disconnect(ctx, client)
                return OK
        raise CommandError(errors.NO_SUCH_CLIENT)
    if len(argv) % 2:
        raise CommandError(errors.SYNTAX)
    tests = []
    skip_me = True
    for pos in range(2, len(argv), 2):
        option, value = argv[pos].upper(), argv[pos + 1]
        if option == b"ID":
            client_id = long_in_range(value, 1, INT64_MAX, errors.CLIENT_ID_POSITIVE)
            tests.append(lambda client, wanted=client_id: client.id == wanted)
        elif option == b"TYPE":
            kind = parse_client_type(value)
            tests.append(lambda client, wanted=kind: client_kind(client) == wanted)
        elif option == b"ADDR":
            tests.append(lambda client, wanted=value: client.addr.encode() == wanted)
        elif option == b"LADDR":
            tests.append(lambda client, wanted=value: client.laddr.encode() == wanted)
        elif option == b"USER":
            if value != b"default":
                raise CommandError(errors.no_such_user(value))
            tests.append(lambda client, wanted=value: client.user.name == wanted)
        elif option == b"SKIPME":
            skip_me = keyword(value, {b"YES": True, b"NO": False})
        else:
            raise CommandError(errors.SYNTAX)
    killed = 0
    for client in list(clients.values()):
        if (client is ctx and skip_me) or not all(test(client) for test in tests):
            continue
        disconnect(ctx, client)
        killed += 1
    return killed


def disconnect(ctx: Context, client) -> None:
    """The caller's own connection closes after this reply is written; others close now."""
    if client is ctx:
        ctx.close()
    elif client.connection is not None:
        client.connection.kill()


@command(
    "client|pause", arity=-3, flags="admin noscript loading stale", group="connection", since="3.0.0", complexity="O(1)"
)
def client_pause_command(ctx: Context, argv: Argv):
    """CLIENT PAUSE timeout [WRITE | ALL] — Stop processing commands from clients for some time"""
    timeout = to_int(argv[2], errors.TIMEOUT_NOT_INTEGER)
    if timeout < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    writes_only = False
    if len(argv) == 4:
        writes_only = keyword(argv[3], {b"WRITE": True, b"ALL": False}, errors.PAUSE_MODE)
    elif len(argv) > 4:
        raise CommandError(errors.SYNTAX)
    state = ctx.server
    now_ms = state.clock_ms()
    paused = state.pause_until_ms > now_ms
    # As in Redis, a pause never gets shorter or weaker: the later end and the stronger mode win.
    state.pause_writes_only = writes_only and (state.pause_writes_only or not paused)
    state.pause_until_ms = max(state.pause_until_ms if paused else 0, now_ms + timeout)
    return OK


@command(
    "client|unpause",
    arity=2,
    flags="admin noscript loading stale",
    group="connection",
    since="6.2.0",
    complexity="O(N) Where N is the number of paused clients",
)
def client_unpause_command(ctx: Context, argv: Argv):
    """CLIENT UNPAUSE — Resume processing of clients that were paused"""
    state = ctx.server
    state.pause_until_ms = 0
    state.pause_writes_only = False
    state.wake_paused_clients(skip=ctx)
    return OK


@command(
    "client|unblock",
    arity=-3,
    flags="admin noscript loading stale",
    group="connection",
    since="5.0.0",
    complexity="O(log N) where N is the number of client connections",
)
def client_unblock_command(ctx: Context, argv: Argv):
    """CLIENT UNBLOCK client-id [TIMEOUT | ERROR] — Unblock a client blocked in a blocking command from a different
    connection"""
    client_id = to_int(argv[2])
    reason = argv[3].upper() if len(argv) > 3 else b"TIMEOUT"
    if len(argv) > 4 or reason not in (b"TIMEOUT", b"ERROR"):
        raise CommandError(errors.UNBLOCK_REASON)
    client = ctx.server.clients.get(client_id)
    if client is None or client.blocked_on is None:
        return 0
    error = ErrorReply(errors.UNBLOCKED) if reason == b"ERROR" else None
    _, reply = ctx.server.engine.unblock(client, error)
    if client.connection is not None:  # (only a connection's client waits: the HTTP API's answer at once)
        client.connection.resume(reply)
    return 1


@command("client|reply", arity=3, flags="noscript loading stale", group="connection", since="3.2.0", complexity="O(1)")
def client_reply_command(ctx: Context, argv: Argv):
    """CLIENT REPLY <ON | OFF | SKIP> — Instruct the server whether to reply to commands"""
    # SKIP silences the reply of the command after this one; this command's own reply is silenced too.
    ctx.reply_mode = keyword(argv[2], {b"ON": "on", b"OFF": "off", b"SKIP": "skip_next"})
    return OK


@command(
    "client|no-evict",
    arity=3,
    flags="admin noscript loading stale",
    group="connection",
    since="7.0.0",
    complexity="O(1)",
)
def client_no_evict_command(ctx: Context, argv: Argv):
    """CLIENT NO-EVICT <ON | OFF> — Set client eviction mode for the current connection"""
    ctx.no_evict = keyword(argv[2], ON_OFF)
    return OK


@command(
    "client|no-touch", arity=3, flags="noscript loading stale", group="connection", since="7.2.0", complexity="O(1)"
)
def client_no_touch_command(ctx: Context, argv: Argv):
    """CLIENT NO-TOUCH <ON | OFF> — Controls whether commands sent by the client will alter the LRU/LFU of the keys they
    access."""
    ctx.no_touch = keyword(argv[2], ON_OFF)
    return OK
