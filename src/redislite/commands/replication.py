"""What replicas send their master (SYNC, PSYNC, REPLCONF) and WAIT. The master side itself is
replication/master.py's, reached through `ctx.server.master_side` (commands/context.py MasterSideService)."""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK
from .args import long_in_range, parse_int, parse_timeout_ms, to_int
from .blocking import Block
from .context import Argv, Context, MasterSideService
from .registry import command

# REPLCONF's options and what a replica says with them (replconfCommand)
REPLCONF_OPTIONS = (b"listening-port", b"ip-address", b"capa", b"rdb-only", b"rdb-filter-only", b"ack", b"getack")

MAX_HOST_LENGTH = 256  # NET_HOST_STR_LEN


def master_side_of(ctx: Context) -> MasterSideService:
    master_side = ctx.server.master_side
    if master_side is None:
        raise CommandError(errors.REPLICATION_UNAVAILABLE)
    return master_side


@command("sync", arity=1, flags="admin noscript no_async_loading no_multi", group="server")
def sync_command(ctx: Context, argv: Argv):
    """SYNC — Internal command used for replication"""
    master_side_of(ctx).sync(ctx, argv)  # the snapshot, then the stream: written on the connection itself
    return OK  # muted: a replica gets no replies


@command(
    "psync",
    arity=-3,
    flags="admin noscript no_async_loading no_multi",
    group="server",
    since="2.8.0",
)
def psync_command(ctx: Context, argv: Argv):
    """PSYNC replicationid offset — Internal command used for replication"""
    master_side_of(ctx).sync(ctx, argv)  # +CONTINUE or +FULLRESYNC, then the stream
    return OK


@command(
    "replconf",
    arity=-1,
    flags="admin noscript loading stale allow_busy",
    group="server",
    since="3.0.0",
    complexity="O(1)",
)
def replconf_command(ctx: Context, argv: Argv):
    """REPLCONF — An internal command for configuring the replication stream"""
    if len(argv) % 2 == 0:
        raise CommandError(errors.SYNTAX)
    master_side = master_side_of(ctx)
    for pos in range(1, len(argv), 2):
        option, value = argv[pos].lower(), argv[pos + 1]
        if option not in REPLCONF_OPTIONS:
            raise CommandError(errors.unrecognized_replconf_option(argv[pos]))
        if option in (b"ack", b"getack"):
            # ACK counts from an attached replica only; GETACK is for a replica's link, which answers it
            # before it runs (replication/replica.py). Neither is answered: Redis returns before any reply.
            replica, offset = ctx.replica, parse_int(value)
            if option == b"ack" and replica is not None and ctx.kind == "replica" and offset is not None:
                master_side.acknowledged(replica, offset)
            if ctx.reply_mode == "on":
                ctx.reply_mode = "skip"
            return OK
        replica = master_side.replica_of(ctx)
        if option == b"listening-port":
            replica.listening_port = to_int(value)
        elif option == b"ip-address":
            if len(value) >= MAX_HOST_LENGTH:
                raise CommandError(errors.replica_ip_too_long(len(value)))
            replica.announced_ip = value.decode("utf-8", "replace")
        elif option == b"capa":
            replica.capabilities.add(value.lower())
        elif option == b"rdb-only":
            replica.rdb_only = long_in_range(value, 0, 1) == 1
    return OK


@command(
    "wait",
    arity=3,
    flags="noscript",
    group="generic",
    since="3.0.0",
    complexity="O(1)",
    acl="@connection -@keyspace",
    tips="request_policy:all_shards response_policy:agg_min",
)
def wait_command(ctx: Context, argv: Argv):
    """WAIT numreplicas timeout — Wait for the synchronous replication of all the write commands sent in the
    context of the current connection"""
    server = ctx.server
    if server.replication.master_host is not None:
        raise CommandError(errors.WAIT_ON_REPLICA)
    numreplicas = to_int(argv[1])
    timeout_ms = parse_timeout_ms(argv[2])
    master_side = server.master_side
    if master_side is None:
        return 0
    offset = ctx.woff
    acks = master_side.count_acks(offset)
    if acks >= numreplicas or ctx.atomic:
        return acks
    master_side.wait_for(ctx, offset, numreplicas)
    return Block([], timeout_ms, lambda: master_side.count_acks(offset))
