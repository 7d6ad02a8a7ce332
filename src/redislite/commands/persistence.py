"""Persistence commands: SAVE, BGSAVE, BGREWRITEAOF, DUMP, RESTORE. (LASTSAVE, DEBUG RELOAD, SHUTDOWN and INFO
persistence live with the other server commands in server.py.)

The RDB code sits above the commands layer, so handlers reach it through `ctx.server.persistence`, the
service the server installs at start-up (persistence/service.py).
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK, SimpleString
from .args import INT64_MAX, ArgCursor, to_int
from .context import Argv, Context, PersistenceService
from .keys import already_expired, lfu_policy, lookup_read
from .notifications import NOTIFY_GENERIC, notify
from .notifications import new_key as notify_new_key
from .registry import Index, KeySpec, command


def persistence_of(ctx: Context) -> PersistenceService:
    service = ctx.server.persistence
    if service is None:
        raise CommandError(errors.NO_PERSISTENCE)
    return service


@command(
    "save",
    arity=1,
    flags="admin noscript no_async_loading no_multi",
    group="server",
    complexity="O(N) where N is the total number of keys in all databases",
)
def save_command(ctx: Context, argv: Argv):
    """SAVE — Synchronously save the dataset to disk"""
    service = persistence_of(ctx)
    if service.bgsave_in_progress():
        raise CommandError(errors.BGSAVE_IN_PROGRESS)
    service.saves += 1
    if not service.save():
        raise CommandError(errors.SAVE_FAILED)
    return OK


@command("bgsave", arity=-1, flags="admin noscript no_async_loading", group="server", complexity="O(1)")
def bgsave_command(ctx: Context, argv: Argv):
    """BGSAVE [SCHEDULE] — Asynchronously save the dataset to disk"""
    if len(argv) > 1 and (len(argv) > 2 or argv[1].lower() != b"schedule"):
        raise CommandError(errors.SYNTAX)
    service = persistence_of(ctx)
    if service.bgsave_in_progress():
        raise CommandError(errors.BGSAVE_IN_PROGRESS)
    if service.aof_rewrite_in_progress() and len(argv) == 1 and not ctx.atomic:
        raise CommandError(errors.BGSAVE_CHILD_ACTIVE)
    if ctx.atomic or service.aof_rewrite_in_progress():
        # inside EXEC never fork in the middle of a transaction; with SCHEDULE, wait for the AOF rewrite child
        service.bgsave_scheduled = True
        return SimpleString(b"Background saving scheduled")
    if not service.bgsave():
        raise CommandError(errors.SAVE_FAILED)
    return SimpleString(b"Background saving started")


@command("bgrewriteaof", arity=1, flags="admin noscript no_async_loading", group="server", complexity="O(1)")
def bgrewriteaof_command(ctx: Context, argv: Argv):
    """BGREWRITEAOF — Asynchronously rewrite the append-only file"""
    # Works with appendonly off too (the directory then gets a base and a manifest only), as in Redis 7.0.
    service = persistence_of(ctx)
    if service.aof_rewrite_in_progress():
        raise CommandError(errors.AOF_REWRITE_IN_PROGRESS)
    if service.has_active_child() or ctx.atomic:  # one child at a time; never fork inside EXEC
        service.schedule_aof_rewrite()
        return SimpleString(b"Background append only file rewriting scheduled")
    if not service.rewrite_aof():
        raise CommandError(errors.AOF_REWRITE_FAILED)
    return SimpleString(b"Background append only file rewriting started")


@command(
    "dump",
    arity=2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="generic",
    since="2.6.0",
    tips="nondeterministic_output",
    complexity="O(1) to access the key and additional O(N*M) to serialize it, where N is the number of "
    "Redis objects composing the value and M their average size. For small string values the time "
    "complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
)
def dump_command(ctx: Context, argv: Argv):
    """DUMP key — Return a serialized version of the value stored at the specified key."""
    value = lookup_read(ctx, argv[1], ctx.touch)
    if value is None:
        return None
    return persistence_of(ctx).dump(value)


@command(
    "restore",
    arity=-4,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1))],
    group="generic",
    since="2.6.0",
    acl="@dangerous",
    complexity="O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N "
    "is the number of Redis objects composing the value and M their average size. For small string values the "
    "time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the "
    "complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
)
def restore_command(ctx: Context, argv: Argv):
    """RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] — Create a key using the
    provided serialized value, previously obtained using DUMP."""
    replace = absttl = False
    idle = freq = None
    args = ArgCursor(argv, 4)
    while args.more():
        option = args.next_upper()
        if option == b"REPLACE":
            replace = True
        elif option == b"ABSTTL":
            absttl = True
        elif option == b"IDLETIME" and freq is None:
            idle = args.next_int()
            if idle < 0:
                raise CommandError(errors.RESTORE_IDLETIME_NEGATIVE)
        elif option == b"FREQ" and idle is None:
            freq = args.next_int()
            if not 0 <= freq <= 255:
                raise CommandError(errors.RESTORE_FREQ_RANGE)
        else:
            raise CommandError(errors.SYNTAX)
    db, key, now_ms = ctx.db, argv[1], ctx.now_ms
    if not replace and db.lookup(key, now_ms) is not None:
        raise CommandError(errors.BUSYKEY)
    ttl = to_int(argv[2])
    if ttl < 0:
        raise CommandError(errors.RESTORE_TTL_NEGATIVE)
    service = persistence_of(ctx)
    if not service.verify_payload(argv[3]):
        raise CommandError(errors.DUMP_PAYLOAD_INVALID)
    value = service.restore_value(argv[3])
    if value is None:
        raise CommandError(errors.BAD_DATA_FORMAT)
    deleted = replace and db.delete(key)
    if ttl and not absttl:
        ttl = ttl + now_ms if ttl <= INT64_MAX - now_ms else -1  # C's overflow: a deadline in the past
        ctx.propagate_as([*argv[:2], b"%d" % ttl, *argv[3:], b"ABSTTL"])  # replay gives the same deadline
    if ttl and already_expired(ctx, ttl):  # nothing is created (an old key REPLACE removed stays gone)
        if deleted:
            ctx.propagate_as([b"DEL", key])
            ctx.server.dirty += 1
            if ctx.server.notify_flags:
                notify(ctx, NOTIFY_GENERIC, b"del", key)
        return OK
    db.store(key, value)
    if ttl:
        db.set_deadline(key, ttl)
    if idle is not None and not lfu_policy(ctx):
        db.set_access_time(key, db.clock - idle)
    if freq is not None:
        db.set_frequency(key, freq)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify_new_key(ctx, key)
        notify(ctx, NOTIFY_GENERIC, b"restore", key)
    return OK
