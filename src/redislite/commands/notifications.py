"""Keyspace notifications: Redis's notifyKeyspaceEvent, published through pub/sub.

An event of a class the `notify-keyspace-events` setting enables goes out as `__keyspace@<db>__:<key>` with
the event name as the message (flag K) and/or `__keyevent@<db>__:<event>` with the key as the message
(flag E). The setting is parsed once, by Engine.configure, into `ServerState.notify_flags`; handlers test
that int before building anything, so with notifications off a write pays one attribute read and a branch:

    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_LIST, b"lpush", key)

Handlers raise events at the points Redis's t_*.c files do, in the same order: "new" when a key is
created (dbAdd), "keymiss" on a counted read lookup that finds nothing, the command's own event, then
"del" when the command emptied an aggregate. "expired" comes from storage (lazy and active expiry) through
the engine's Database.on_expired hook, installed only while flag x is on (or CLIENT TRACKING is used); "evicted"
is for the eviction code, through `notify_in_db`.
"""

from ..config import (
    NOTIFY_EVICTED,
    NOTIFY_EXPIRED,
    NOTIFY_GENERIC,
    NOTIFY_HASH,
    NOTIFY_KEY_MISS,
    NOTIFY_KEYEVENT,
    NOTIFY_KEYSPACE,
    NOTIFY_LIST,
    NOTIFY_NEW,
    NOTIFY_SET,
    NOTIFY_STREAM,
    NOTIFY_STRING,
    NOTIFY_ZSET,
    parse_keyspace_events,
)
from .context import Context
from .pubsub import publish

__all__ = [
    "NOTIFY_EVICTED",
    "NOTIFY_EXPIRED",
    "NOTIFY_GENERIC",
    "NOTIFY_HASH",
    "NOTIFY_KEY_MISS",
    "NOTIFY_LIST",
    "NOTIFY_NEW",
    "NOTIFY_SET",
    "NOTIFY_STREAM",
    "NOTIFY_STRING",
    "NOTIFY_ZSET",
    "configure_notifications",
    "expired",
    "keymiss",
    "new_key",
    "notify",
    "notify_in_db",
]


def notify(ctx: Context, event_class: int, event_name: bytes, key: bytes, db=None) -> None:
    """notifyKeyspaceEvent for a key of the client's database (or of `db`, for MOVE and COPY ... DB)."""
    state = ctx.server
    flags = state.notify_flags
    if flags & event_class:
        publish_event(state, flags, event_name, key, ctx.db_index if db is None else db.index)


def notify_in_db(state, event_class: int, event_name: bytes, key: bytes, db_index: int) -> None:
    """The same without a client: for storage-driven events (eviction, the expiry hook)."""
    flags = state.notify_flags
    if flags & event_class:
        publish_event(state, flags, event_name, key, db_index)


def publish_event(state, flags: int, event_name: bytes, key: bytes, db_index: int) -> None:
    if flags & NOTIFY_KEYSPACE:
        publish(state, b"__keyspace@%d__:%s" % (db_index, key), event_name)
    if flags & NOTIFY_KEYEVENT:
        publish(state, b"__keyevent@%d__:%s" % (db_index, event_name), key)


def new_key(ctx: Context, key: bytes, db=None) -> None:
    """dbAdd's "new" event."""
    notify(ctx, NOTIFY_NEW, b"new", key, db)


def keymiss(ctx: Context, key: bytes) -> None:
    """lookupKeyRead's "keymiss" event."""
    notify(ctx, NOTIFY_KEY_MISS, b"keymiss", key)


def configure_notifications(state) -> None:
    """Parse notify-keyspace-events into state.notify_flags. Called by Engine.configure at start and after
    CONFIG SET; the engine then installs its expiry hook, which calls `expired` while flag x is on."""
    flags = parse_keyspace_events(state.config.notify_keyspace_events)
    if not flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) or not flags & ~(NOTIFY_KEYSPACE | NOTIFY_KEYEVENT):
        flags = 0  # nothing could ever be published: keep every handler on its fast path
    state.notify_flags = flags


def expired(state, db, key: bytes) -> None:
    """The "expired" event of a key that lazy or active expiry deleted."""
    notify_in_db(state, NOTIFY_EXPIRED, b"expired", key, db.index)
