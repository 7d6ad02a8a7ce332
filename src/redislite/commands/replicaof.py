"""REPLICAOF (and its old name SLAVEOF) and ROLE: this server's place in replication. The link to a master is
replication/replica.py's, reached through `ctx.server.replica_link` (commands/context.py ReplicaLinkService)."""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK, SimpleString
from .args import long_in_range, to_int
from .context import Argv, Context
from .registry import command
from .replication import master_side_of

ALREADY_CONNECTED = SimpleString(b"OK Already connected to specified master")


def replicaof(ctx: Context, argv: Argv):
    """replicaofCommand: `NO ONE` promotes this server, `host port` makes it a replica of that master."""
    server = ctx.server
    link = server.replica_link
    if link is None:
        raise CommandError(errors.REPLICATION_UNAVAILABLE)
    if argv[1].lower() == b"no" and argv[2].lower() == b"one":
        link.promote()
        return OK
    if ctx.kind == "replica":
        raise CommandError(errors.REPLICAOF_FROM_REPLICA)
    port = long_in_range(argv[2], 0, 65535, errors.INVALID_MASTER_PORT)
    host = argv[1].decode("utf-8", "surrogateescape")
    replication = server.replication
    master = replication.master_host
    if master is not None and master.lower() == host.lower() and replication.master_port == port:
        return ALREADY_CONNECTED
    link.replicate_from(host, port)
    return OK


@command(
    "replicaof",
    arity=3,
    flags="admin noscript stale no_async_loading",
    group="server",
    since="5.0.0",
    complexity="O(1)",
)
def replicaof_command(ctx: Context, argv: Argv):
    """REPLICAOF host port | NO ONE — Make the server a replica of another instance, or promote it as master."""
    return replicaof(ctx, argv)


@command(
    "slaveof",
    arity=3,
    flags="admin noscript stale no_async_loading",
    group="server",
    since="1.0.0",
    complexity="O(1)",
)
def slaveof_command(ctx: Context, argv: Argv):
    """SLAVEOF host port | NO ONE — Make the server a replica of another instance, or promote it as master."""
    return replicaof(ctx, argv)


@command(
    "role",
    arity=1,
    flags="noscript loading stale fast",
    group="server",
    since="2.8.12",
    complexity="O(1)",
    acl="@admin @dangerous",
)
def role_command(ctx: Context, argv: Argv):
    """ROLE — Return the role of the instance in the context of replication"""
    replication = ctx.server.replication
    link = ctx.server.replica_link
    if replication.master_host is None or link is None:
        replicas = [
            [replica.ip.encode(), b"%d" % replica.listening_port, b"%d" % replica.ack_offset]
            for replica in replication.replicas
            if replica.online
        ]
        return [b"master", replication.master_repl_offset, replicas]
    return [
        b"slave",
        replication.master_host.encode("utf-8", "surrogateescape"),
        replication.master_port,
        link.link_state.encode(),
        link.role_offset,
    ]


@command(
    "failover",
    arity=-1,
    flags="admin noscript stale",
    group="server",
    since="6.2.0",
    complexity="O(1)",
)
def failover_command(ctx: Context, argv: Argv):
    """FAILOVER [TO host port [FORCE]] [ABORT] [TIMEOUT milliseconds] — Start a coordinated failover between this
    server and one of its replicas."""
    failover = master_side_of(ctx).failover
    if len(argv) == 2 and argv[1].lower() == b"abort":
        if failover.status == "no-failover":
            raise CommandError(errors.NO_FAILOVER_IN_PROGRESS)
        failover.abort("failover manually aborted")
        return OK
    timeout_ms, force, target = 0, False, None
    pos = 1
    while pos < len(argv):  # failoverCommand's loop: each option once, in any order
        word = argv[pos].lower()
        if word == b"timeout" and pos + 1 < len(argv) and not timeout_ms:
            timeout_ms = to_int(argv[pos + 1])
            if timeout_ms <= 0:
                raise CommandError(errors.FAILOVER_TIMEOUT)
            pos += 2
        elif word == b"to" and pos + 2 < len(argv) and target is None:
            port = to_int(argv[pos + 2])
            target = (argv[pos + 1].decode("utf-8", "surrogateescape"), port)
            pos += 3
        elif word == b"force" and not force:
            force = True
            pos += 1
        else:
            raise CommandError(errors.SYNTAX)
    failover.start(target, timeout_ms, force)
    return OK
