"""Generic keyspace commands: DEL, UNLINK, EXISTS, TYPE, KEYS, SCAN, RANDOMKEY, RENAME, RENAMENX, COPY, MOVE,
SWAPDB, EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST, TOUCH, OBJECT
(ENCODING, REFCOUNT, IDLETIME, FREQ, HELP).

A string is stored as plain bytes; every other value class (storage/) says its own TYPE name (`type_name`),
OBJECT ENCODING (`encoding`) and how COPY duplicates it (`duplicate()`).
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK, SimpleString
from ..storage.eviction import LFU_INIT_VAL
from ..storage.glob import compile_glob
from ..storage.memory import Aggregate
from .args import (
    GT,
    INT64_MAX,
    LT,
    NX,
    XX,
    ArgCursor,
    parse_cursor,
    parse_expire_conditions,
    parse_int,
    parse_scan_options,
    to_int,
    to_int32,
)
from .context import Argv, Context
from .notifications import NOTIFY_GENERIC, keymiss, notify
from .notifications import new_key as notify_new_key
from .registry import Index, KeySpec, Range, command

SHARED_INTEGERS = 10000  # OBJ_SHARED_INTEGERS: small integers are shared objects in Redis
SHARED_REFCOUNT = 2**31 - 1  # OBJ_SHARED_REFCOUNT, what OBJECT REFCOUNT answers for them


def string_encoding(value: bytes) -> bytes:
    """tryObjectEncoding: int for a 64-bit integer of at most 20 chars, embstr up to 44 bytes, else raw."""
    if len(value) <= 20 and parse_int(value) is not None:
        return b"int"
    return b"embstr" if len(value) <= 44 else b"raw"


def already_expired(ctx: Context, deadline_ms: int) -> bool:
    """checkAlreadyExpired: a deadline already past deletes the key at once, except on a replica, which keeps it
    as its master did when it applied the same command (it may apply it late) and waits for the master's DEL."""
    return deadline_ms <= ctx.now_ms and ctx.server.replication.master_host is None


def value_type_name(value: bytes | Aggregate) -> bytes:
    """TYPE's answer for a stored value."""
    return b"string" if isinstance(value, bytes) else value.type_name


def value_encoding(value: bytes | Aggregate, in_place: bool = False) -> bytes:
    """OBJECT ENCODING's answer for a stored value; a string changed in place (Database.raw_strings) is raw."""
    if not isinstance(value, bytes):
        return value.encoding
    return b"raw" if in_place else string_encoding(value)


def duplicate_value(value: bytes | Aggregate) -> bytes | Aggregate:
    """COPY's copy of a stored value (bytes are immutable: shared)."""
    return value if isinstance(value, bytes) else value.duplicate()


def lookup_read(ctx: Context, key: bytes, touch: bool, notify_miss: bool = True):
    """lookupKeyRead: counts a keyspace hit or miss; touch=False is LOOKUP_NOTOUCH, notify_miss=False is
    LOOKUP_NONOTIFY (no "keymiss" event)."""
    value = ctx.db.lookup(key, ctx.now_ms, touch)
    if value is None:
        ctx.server.stats.keyspace_misses += 1
        if notify_miss and ctx.server.notify_flags:
            keymiss(ctx, key)
    else:
        ctx.server.stats.keyspace_hits += 1
    return value


def lookup_read_as(ctx: Context, key: bytes, value_class):
    """lookupKeyRead for a command on one type: counts a keyspace hit or miss; WRONGTYPE for another type."""
    value = lookup_read(ctx, key, ctx.touch)
    if value is not None and value.__class__ is not value_class:
        raise CommandError(errors.WRONGTYPE)
    return value


def lookup_write_as(ctx: Context, key: bytes, value_class, touch: bool = True):
    """lookupKeyWrite for a command on one type: no keyspace statistics; WRONGTYPE for another type.
    Aggregates change in place, so the lookup stamps the access time unless `touch` is False (a string
    is stored next, which stamps it)."""
    value = ctx.db.lookup(key, ctx.now_ms, touch and ctx.touch)
    if value is not None and value.__class__ is not value_class:
        raise CommandError(errors.WRONGTYPE)
    return value


def database_at(ctx: Context, index: int):
    databases = ctx.server.databases
    if not 0 <= index < len(databases):
        raise CommandError(errors.DB_INDEX_RANGE)
    return databases[index]


# -- deleting and inspecting --------------------------------------------------------------------------------


def delete_keys(ctx: Context, keys: list[bytes]) -> int:
    db, now_ms = ctx.db, ctx.now_ms
    deleted = 0
    for key in keys:
        if db.lookup(key, now_ms) is not None:  # an expired key is reclaimed but not counted
            db.delete(key)
            deleted += 1
            if ctx.server.notify_flags:
                notify(ctx, NOTIFY_GENERIC, b"del", key)
    ctx.server.dirty += deleted
    return deleted


@command(
    "del",
    arity=-2,
    flags="write",
    key_specs=[KeySpec("RM DELETE", Index(1), Range(-1))],
    group="generic",
    complexity="O(N) where N is the number of keys that will be removed. When a key to remove holds a value "
    "other than a string, the individual complexity for this key is O(M) where M is the number of elements in "
    "the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
)
def del_command(ctx: Context, argv: Argv):
    """DEL key [key ...] — Delete a key"""
    return delete_keys(ctx, argv[1:])


@command(
    "unlink",
    arity=-2,
    flags="write fast",
    key_specs=[KeySpec("RM DELETE", Index(1), Range(-1))],
    group="generic",
    since="4.0.0",
    complexity="O(1) for each key removed regardless of its size. Then the command does O(N) work in a "
    "different thread in order to reclaim memory, where N is the number of allocations the deleted objects "
    "where composed of.",
)
def unlink_command(ctx: Context, argv: Argv):
    """UNLINK key [key ...] — Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non
    blocking."""
    return delete_keys(ctx, argv[1:])


@command(
    "exists",
    arity=-2,
    flags="readonly fast",
    key_specs=[KeySpec("RO", Index(1), Range(-1))],
    group="generic",
    complexity="O(N) where N is the number of keys to check.",
)
def exists_command(ctx: Context, argv: Argv):
    """EXISTS key [key ...] — Determine if a key exists"""
    return sum(1 for key in argv[1:] if lookup_read(ctx, key, False) is not None)


@command(
    "type", arity=2, flags="readonly fast", key_specs=[KeySpec("RO", Index(1))], group="generic", complexity="O(1)"
)
def type_command(ctx: Context, argv: Argv):
    """TYPE key — Determine the type stored at key"""
    value = lookup_read(ctx, argv[1], False)
    return SimpleString(b"none" if value is None else value_type_name(value))


@command(
    "keys",
    arity=2,
    flags="readonly",
    group="generic",
    acl="@dangerous",
    complexity="O(N) with N being the number of keys in the database, under the assumption that the key "
    "names in the database and the given pattern have limited length.",
)
def keys_command(ctx: Context, argv: Argv):
    """KEYS pattern — Find all keys matching the given pattern"""
    return ctx.db.live_keys(ctx.now_ms, argv[1])


@command(
    "scan",
    arity=-2,
    flags="readonly",
    group="generic",
    since="2.8.0",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
    "cursor to return back to 0. N is the number of elements inside the collection.",
)
def scan_command(ctx: Context, argv: Argv):
    """SCAN cursor [MATCH pattern] [COUNT count] [TYPE type] — Incrementally iterate the keys space"""
    cursor = parse_cursor(argv[1])
    count, pattern, type_name = parse_scan_options(argv, 2, keyspace=True)
    db = ctx.db
    next_cursor, candidates = db.scans.page(db.data, cursor, count)
    if pattern is not None and pattern != b"*":
        match = compile_glob(pattern).match
        candidates = [key for key in candidates if match(key)]
    keys = []
    now_ms = ctx.now_ms
    for key in candidates:
        if type_name is not None:
            value = lookup_read(ctx, key, False)  # Redis checks the type with a counted read lookup
            if value is None or value_type_name(value) != type_name:
                continue
        elif db.lookup(key, now_ms) is None:  # expired, or deleted since the scan's snapshot was taken
            continue
        keys.append(key)
    return [b"%d" % next_cursor, keys]


@command("randomkey", arity=1, flags="readonly", group="generic", complexity="O(1)")
def randomkey_command(ctx: Context, argv: Argv):
    """RANDOMKEY — Return a random key from the keyspace"""
    return ctx.db.random_key(ctx.now_ms)


# -- moving keys ---------------------------------------------------------------------------------------------


def move_key(source, key: bytes, target, new_key: bytes, value, now_s: int) -> None:
    """Put value at target[new_key] with the source key's TTL and access time; remove the source key."""
    deadline = source.deadline(key)
    accessed = source.access_time(key, now_s)
    source.delete(key)
    target.store(new_key, value, touch=False)
    target.set_access_time(new_key, accessed)
    if deadline is not None:
        target.set_deadline(new_key, deadline)


def rename_generic(ctx: Context, argv: Argv, nx: bool):
    db, now_ms = ctx.db, ctx.now_ms
    source, target = argv[1], argv[2]
    value = db.lookup(source, now_ms, ctx.touch)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if source == target:
        return 0 if nx else OK
    if db.lookup(target, now_ms) is not None:
        if nx:
            return 0
        db.delete(target)
    move_key(db, source, db, target, value, now_ms // 1000)  # the object keeps its access time
    ctx.server.dirty += 1
    if ctx.server.notify_flags:  # the target is always added anew (a replaced one was deleted first)
        notify_new_key(ctx, target)
        notify(ctx, NOTIFY_GENERIC, b"rename_from", source)
        notify(ctx, NOTIFY_GENERIC, b"rename_to", target)
    return 1 if nx else OK


@command(
    "rename",
    arity=3,
    flags="write",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1)), KeySpec("OW UPDATE", Index(2))],
    group="generic",
    complexity="O(1)",
)
def rename_command(ctx: Context, argv: Argv):
    """RENAME key newkey — Rename a key"""
    return rename_generic(ctx, argv, nx=False)


@command(
    "renamenx",
    arity=3,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1)), KeySpec("OW INSERT", Index(2))],
    group="generic",
    complexity="O(1)",
)
def renamenx_command(ctx: Context, argv: Argv):
    """RENAMENX key newkey — Rename a key, only if the new key does not exist"""
    return rename_generic(ctx, argv, nx=True)


@command(
    "copy",
    arity=-3,
    flags="write denyoom",
    key_specs=[KeySpec("RO ACCESS", Index(1)), KeySpec("OW UPDATE", Index(2))],
    group="generic",
    since="6.2.0",
    complexity="O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
)
def copy_command(ctx: Context, argv: Argv):
    """COPY source destination [DB destination-db] [REPLACE] — Copy a key"""
    source_db = target_db = ctx.db
    replace = False
    args = ArgCursor(argv, 3)
    while args.more():
        option = args.next_upper()
        if option == b"REPLACE":
            replace = True
        elif option == b"DB":
            target_db = database_at(ctx, to_int32(args.next_bytes()))
        else:
            raise CommandError(errors.SYNTAX)
    key, new_key = argv[1], argv[2]
    if source_db is target_db and key == new_key:
        raise CommandError(errors.SAME_OBJECT)
    value = lookup_read(ctx, key, ctx.touch)
    if value is None:
        return 0
    if target_db.lookup(new_key, ctx.now_ms) is not None:
        if not replace:
            return 0
        target_db.delete(new_key)
    deadline = source_db.deadline(key)
    target_db.store(new_key, duplicate_value(value), touch=ctx.touch)
    if deadline is not None:
        target_db.set_deadline(new_key, deadline)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify_new_key(ctx, new_key, target_db)
        notify(ctx, NOTIFY_GENERIC, b"copy_to", new_key, target_db)
    return 1


@command(
    "move",
    arity=3,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="generic",
    complexity="O(1)",
)
def move_command(ctx: Context, argv: Argv):
    """MOVE key db — Move a key to another database"""
    source_db = ctx.db
    target_db = database_at(ctx, to_int32(argv[2]))
    if target_db is source_db:
        raise CommandError(errors.SAME_OBJECT)
    key = argv[1]
    value = source_db.lookup(key, ctx.now_ms, ctx.touch)
    if value is None or target_db.lookup(key, ctx.now_ms) is not None:
        return 0
    move_key(source_db, key, target_db, key, value, ctx.now_ms // 1000)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify_new_key(ctx, key, target_db)
        notify(ctx, NOTIFY_GENERIC, b"move_from", key, source_db)
        notify(ctx, NOTIFY_GENERIC, b"move_to", key, target_db)
    return 1


@command(
    "swapdb",
    arity=3,
    flags="write fast",
    group="server",
    since="4.0.0",
    acl="@keyspace @dangerous",
    complexity="O(N) where N is the count of clients watching or blocking on keys from both databases.",
)
def swapdb_command(ctx: Context, argv: Argv):
    """SWAPDB index1 index2 — Swaps two Redis databases"""
    first = to_int32(argv[1], errors.INVALID_FIRST_DB_INDEX)
    second = to_int32(argv[2], errors.INVALID_SECOND_DB_INDEX)
    databases = ctx.server.databases
    if not (0 <= first < len(databases) and 0 <= second < len(databases)):
        raise CommandError(errors.DB_INDEX_RANGE)
    if first != second:
        # Contents move, not Database objects: every client keeps its index, as in Redis.
        databases[first].swap_contents(databases[second])
    ctx.server.dirty += 1
    return OK


# -- expiry ---------------------------------------------------------------------------------------------------


def expire_generic(ctx: Context, argv: Argv, name: str, unit_ms: int, relative: bool) -> int:
    """expireGenericCommand. A deadline already past deletes the key (and still answers 1)."""
    conditions = parse_expire_conditions(argv, 3)
    when = to_int(argv[2])
    if unit_ms == 1000:
        if when > INT64_MAX // 1000 or when < -(INT64_MAX // 1000):
            raise CommandError(errors.invalid_expire(name))
        when *= 1000
    base = ctx.now_ms if relative else 0
    if when > INT64_MAX - base:
        raise CommandError(errors.invalid_expire(name))
    when += base
    db, key = ctx.db, argv[1]
    if db.lookup(key, ctx.now_ms, ctx.touch) is None:
        return 0
    if conditions:
        current = db.deadline(key)
        if conditions & NX and current is not None:
            return 0
        if conditions & XX and current is None:
            return 0
        if conditions & GT and (current is None or when <= current):  # no TTL counts as infinite
            return 0
        if conditions & LT and current is not None and when >= current:
            return 0
    expired = already_expired(ctx, when)
    if expired:
        db.delete(key)
        ctx.propagate_as([b"DEL", key])
    else:
        db.set_deadline(key, when)
        if relative or unit_ms != 1:  # replay must give the same deadline, whenever it runs
            ctx.propagate_as([b"PEXPIREAT", key, b"%d" % when])
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_GENERIC, b"del" if expired else b"expire", key)
    return 1


@command(
    "expire",
    arity=-3,
    flags="write fast",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="generic",
    complexity="O(1)",
)
def expire_command(ctx: Context, argv: Argv):
    """EXPIRE key seconds [NX | XX | GT | LT] — Set a key's time to live in seconds"""
    return expire_generic(ctx, argv, "expire", 1000, relative=True)


@command(
    "pexpire",
    arity=-3,
    flags="write fast",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="generic",
    since="2.6.0",
    complexity="O(1)",
)
def pexpire_command(ctx: Context, argv: Argv):
    """PEXPIRE key milliseconds [NX | XX | GT | LT] — Set a key's time to live in milliseconds"""
    return expire_generic(ctx, argv, "pexpire", 1, relative=True)


@command(
    "expireat",
    arity=-3,
    flags="write fast",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="generic",
    since="1.2.0",
    complexity="O(1)",
)
def expireat_command(ctx: Context, argv: Argv):
    """EXPIREAT key unix-time-seconds [NX | XX | GT | LT] — Set the expiration for a key as a UNIX timestamp"""
    return expire_generic(ctx, argv, "expireat", 1000, relative=False)


@command(
    "pexpireat",
    arity=-3,
    flags="write fast",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="generic",
    since="2.6.0",
    complexity="O(1)",
)
def pexpireat_command(ctx: Context, argv: Argv):
    """PEXPIREAT key unix-time-milliseconds [NX | XX | GT | LT] — Set the expiration for a key as a UNIX timestamp
    specified in milliseconds"""
    return expire_generic(ctx, argv, "pexpireat", 1, relative=False)


def ttl_generic(ctx: Context, key: bytes, in_ms: bool, absolute: bool) -> int:
    """ttlGenericCommand: -2 when missing, -1 without a TTL; seconds are rounded to the nearest."""
    if lookup_read(ctx, key, False) is None:
        return -2
    deadline = ctx.db.deadline(key)
    if deadline is None:
        return -1
    ttl = max(deadline if absolute else deadline - ctx.now_ms, 0)
    return ttl if in_ms else (ttl + 500) // 1000


@command(
    "ttl",
    arity=2,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="generic",
    complexity="O(1)",
)
def ttl_command(ctx: Context, argv: Argv):
    """TTL key — Get the time to live for a key in seconds"""
    return ttl_generic(ctx, argv[1], in_ms=False, absolute=False)


@command(
    "pttl",
    arity=2,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="generic",
    since="2.6.0",
    complexity="O(1)",
)
def pttl_command(ctx: Context, argv: Argv):
    """PTTL key — Get the time to live for a key in milliseconds"""
    return ttl_generic(ctx, argv[1], in_ms=True, absolute=False)


@command(
    "expiretime",
    arity=2,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="generic",
    since="7.0.0",
    complexity="O(1)",
)
def expiretime_command(ctx: Context, argv: Argv):
    """EXPIRETIME key — Get the expiration Unix timestamp for a key"""
    return ttl_generic(ctx, argv[1], in_ms=False, absolute=True)


@command(
    "pexpiretime",
    arity=2,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="generic",
    since="7.0.0",
    complexity="O(1)",
)
def pexpiretime_command(ctx: Context, argv: Argv):
    """PEXPIRETIME key — Get the expiration Unix timestamp for a key in milliseconds"""
    return ttl_generic(ctx, argv[1], in_ms=True, absolute=True)


@command(
    "persist",
    arity=2,
    flags="write fast",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="generic",
    since="2.2.0",
    complexity="O(1)",
)
def persist_command(ctx: Context, argv: Argv):
    """PERSIST key — Remove the expiration from a key"""
    db, key = ctx.db, argv[1]
    if db.lookup(key, ctx.now_ms, ctx.touch) is None or not db.persist(key):
        return 0
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_GENERIC, b"persist", key)
    return 1


@command(
    "touch",
    arity=-2,
    flags="readonly fast",
    key_specs=[KeySpec("RO", Index(1), Range(-1))],
    group="generic",
    since="3.2.1",
    complexity="O(N) where N is the number of keys that will be touched.",
)
def touch_command(ctx: Context, argv: Argv):
    """TOUCH key [key ...] — Alters the last access time of a key(s). Returns the number of existing keys specified."""
    # TOUCH stamps the access time even for a NO-TOUCH client.
    return sum(1 for key in argv[1:] if lookup_read(ctx, key, True) is not None)


# -- OBJECT ---------------------------------------------------------------------------------------------------

OBJECT_HELP = """\
OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
ENCODING <key>
    Return the kind of internal representation used in order to store the value
    associated with a <key>.
FREQ <key>
    Return the access frequency index of the <key>. The returned integer is
    proportional to the logarithm of the recent access frequency of the key.
IDLETIME <key>
    Return the idle time of the <key>, that is the approximated number of
    seconds elapsed since the last access to the key.
REFCOUNT <key>
    Return the number of references of the value associated with the specified
    <key>.
HELP
    Prints this help."""


def lfu_policy(ctx: Context) -> bool:
    return ctx.server.config.maxmemory_policy.endswith("-lfu")


@command("object", arity=-2, group="generic", since="2.2.3", complexity="Depends on subcommand.")
def object_command(ctx: Context, argv: Argv):
    """OBJECT — A container for object introspection commands"""
    raise CommandError(errors.wrong_arity("object"))


@command("object|help", arity=2, flags="loading stale", group="generic", since="6.2.0", complexity="O(1)")
def object_help_command(ctx: Context, argv: Argv):
    """OBJECT HELP — Show helpful text about the different subcommands"""
    return [SimpleString(line.encode()) for line in OBJECT_HELP.splitlines()]


@command(
    "object|encoding",
    arity=3,
    flags="readonly",
    key_specs=[KeySpec("RO", Index(2))],
    group="generic",
    since="2.2.3",
    complexity="O(1)",
)
def object_encoding_command(ctx: Context, argv: Argv):
    """OBJECT ENCODING key — Inspect the internal encoding of a Redis object"""
    value = lookup_read(ctx, argv[2], False, notify_miss=False)
    return None if value is None else value_encoding(value, argv[2] in ctx.db.raw_strings)


@command(
    "object|refcount",
    arity=3,
    flags="readonly",
    key_specs=[KeySpec("RO", Index(2))],
    group="generic",
    since="2.2.3",
    complexity="O(1)",
)
def object_refcount_command(ctx: Context, argv: Argv):
    """OBJECT REFCOUNT key — Get the number of references to the value of the key"""
    value = lookup_read(ctx, argv[2], False, notify_miss=False)
    if value is None:
        return None
    if value.__class__ is bytes and len(value) <= 20:
        number = parse_int(value)
        config = ctx.server.config
        shared = not config.maxmemory or not config.maxmemory_policy.endswith(("-lru", "-lfu"))
        if number is not None and 0 <= number < SHARED_INTEGERS and shared:
            return SHARED_REFCOUNT
    return 1


@command(
    "object|idletime",
    arity=3,
    flags="readonly",
    key_specs=[KeySpec("RO", Index(2))],
    group="generic",
    since="2.2.3",
    complexity="O(1)",
)
def object_idletime_command(ctx: Context, argv: Argv):
    """OBJECT IDLETIME key — Get the time since a Redis object was last accessed"""
    key = argv[2]
    if lookup_read(ctx, key, False, notify_miss=False) is None:
        return None
    if lfu_policy(ctx):
        raise CommandError(errors.LFU_SELECTED)
    # Measured on the same cron-driven clock that stamps accesses, as Redis's LRU_CLOCK, so a fresh touch reads 0.
    now_s = ctx.db.clock or ctx.now_ms // 1000
    return max(now_s - ctx.db.access_time(key, now_s), 0)


@command(
    "object|freq",
    arity=3,
    flags="readonly",
    key_specs=[KeySpec("RO", Index(2))],
    group="generic",
    since="4.0.0",
    complexity="O(1)",
)
def object_freq_command(ctx: Context, argv: Argv):
    """OBJECT FREQ key — Get the logarithmic access frequency counter of a Redis object"""
    key = argv[2]
    if lookup_read(ctx, key, False, notify_miss=False) is None:
        return None
    db = ctx.db
    if not lfu_policy(ctx) or db.lfu is None:
        raise CommandError(errors.LFU_NOT_SELECTED)
    word = db.access.get(key)
    return LFU_INIT_VAL if word is None else db.lfu.decayed(word, db.clock or ctx.now_ms // 1000)
