"""Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH.

The engine queues a client's commands while it is in MULTI (Engine._gate) and flags the transaction when
it refuses one (unknown command, arity, -BUSY while a script runs), so EXEC then answers EXECABORT. EXEC
itself refused (arity, OOM, -BUSY) answers "EXECABORT ... because of: <refusal>" and discards the
transaction (Engine._reject calls discard_transaction). EXEC runs the queue through the same
Engine.execute as every other command, with the client marked `atomic`: blocking commands answer at once,
CLIENT PAUSE does not hold them, and clients blocked on keys are served only after the whole transaction.
Nothing else runs in between, because handlers never await.

WATCH registers the client on the key in its database (Database.watch); any change to the key sets the
client's `dirty_cas` (the engine touches the keys of every write command that changed something, and
expiry, FLUSHDB/FLUSHALL and SWAPDB touch theirs), and EXEC then answers a null array.
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import NULL_ARRAY, OK, Encoded
from .connection import on_reset
from .context import Argv, Context
from .registry import Index, KeySpec, Range, command

WATCH_FLAGS = "noscript loading stale fast allow_busy"


def unwatch_all(ctx: Context) -> None:
    for db, key in ctx.watching:
        db.unwatch(key, ctx)
    ctx.watching = []
    ctx.dirty_cas = False


def watched_key_expired(ctx: Context) -> bool:
    """Redis 7's isWatchedKeyExpired: a key that was alive when watched has expired since (even if nothing
    has deleted it yet)."""
    now_ms = ctx.now_ms
    for db, key in ctx.watching:
        if not db.watched[key][ctx]:
            deadline = db.expires.get(key)
            if deadline is not None and deadline <= now_ms and key in db.data:
                return True
    return False


@on_reset
def discard_transaction(ctx: Context) -> None:
    ctx.end_multi()
    unwatch_all(ctx)


@command("multi", arity=1, flags=WATCH_FLAGS, group="transactions", since="1.2.0", complexity="O(1)")
def multi_command(ctx: Context, argv: Argv):
    """MULTI — Start a transaction block"""
    if ctx.multi is not None:
        raise CommandError(errors.MULTI_NESTED)
    ctx.begin_multi()
    return OK


@command(
    "exec",
    arity=1,
    flags="noscript loading stale skip_slowlog",
    group="transactions",
    since="1.2.0",
    complexity="Depends on commands in the transaction",
)
def exec_command(ctx: Context, argv: Argv):
    """EXEC — Execute all commands issued after MULTI"""
    queued = ctx.multi
    if queued is None:
        raise CommandError(errors.EXEC_WITHOUT_MULTI)
    refused = ctx.multi_error
    ctx.end_multi()
    if refused:
        unwatch_all(ctx)
        raise CommandError(errors.EXECABORT)
    changed = ctx.dirty_cas or watched_key_expired(ctx)
    unwatch_all(ctx)
    if changed:
        return NULL_ARRAY
    execute = ctx.server.engine.execute
    # Each reply is encoded as soon as its command ran, as Redis does, so a later command in the same
    # transaction cannot change what an earlier one answered.
    parts = [b"*%d\r\n" % len(queued)]
    ctx.atomic, ctx.exec_parts = True, parts
    propagation = ctx.server.propagation
    propagation.begin()  # what the transaction writes propagates as one MULTI ... EXEC
    try:
        for argv in queued:
            reply = execute(ctx, argv)
            parts.append(ctx.encoder.by_type[reply.__class__](reply))
    finally:
        ctx.atomic, ctx.exec_parts = False, None
        propagation.end()
    return Encoded(b"".join(parts))


@command(
    "discard",
    arity=1,
    flags=WATCH_FLAGS,
    group="transactions",
    since="2.0.0",
    complexity="O(N), when N is the number of queued commands",
)
def discard_command(ctx: Context, argv: Argv):
    """DISCARD — Discard all commands issued after MULTI"""
    if ctx.multi is None:
        raise CommandError(errors.DISCARD_WITHOUT_MULTI)
    discard_transaction(ctx)
    return OK


@command(
    "watch",
    arity=-2,
    flags=WATCH_FLAGS,
    key_specs=[KeySpec("RO", Index(1), Range(-1))],
    group="transactions",
    since="2.2.0",
    complexity="O(1) for every key.",
)
def watch_command(ctx: Context, argv: Argv):
    """WATCH key [key ...] — Monitor changes to keys to determine execution of the MULTI/EXEC block"""
    if ctx.multi is not None:
        raise CommandError(errors.WATCH_INSIDE_MULTI)
    db = ctx.db
    for key in argv[1:]:
        if ctx not in db.watched.get(key, ()):
            db.watch(key, ctx, ctx.now_ms)
            ctx.watching.append((db, key))
    ctx.server.engine.observers_changed()  # writes must now touch watched keys
    return OK


@command("unwatch", arity=1, flags=WATCH_FLAGS, group="transactions", since="2.2.0", complexity="O(1)")
def unwatch_command(ctx: Context, argv: Argv):
    """UNWATCH — Forget about all watched keys"""
    unwatch_all(ctx)
    return OK
