"""Hash commands: HSET, HSETNX, HGET, HMSET, HMGET, HGETALL, HDEL, HEXISTS, HLEN, HKEYS, HVALS, HSTRLEN,
HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN.

Hashes are `HashValue` dicts (storage/hashes.py); OBJECT ENCODING says listpack or hashtable by Redis 7.0's
rules (hash-max-listpack-entries / -value, one-way). A hash that a command empties is deleted at once.
Check order follows t_hash.c: HINCRBY and HINCRBYFLOAT parse the increment before looking at the key.
"""

import random

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK
from ..storage.database import ScanSnapshots
from ..storage.glob import compile_glob
from ..storage.hashes import HashValue, random_sample
from . import long_double
from .args import INT64_MAX, INT64_MIN, parse_cursor, parse_random_count, parse_scan_options, to_int
from .context import Argv, Context
from .keys import lookup_read_as, lookup_write_as
from .notifications import NOTIFY_GENERIC, NOTIFY_HASH, new_key, notify
from .registry import Index, KeySpec, command

SCAN_COMPLEXITY = (
    "O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
    "cursor to return back to 0. N is the number of elements inside the collection.."
)


# -- lookups ------------------------------------------------------------------------------------------------


def lookup_hash_read(ctx: Context, key: bytes) -> HashValue | None:
    return lookup_read_as(ctx, key, HashValue)


def lookup_hash_write(ctx: Context, key: bytes) -> HashValue | None:
    return lookup_write_as(ctx, key, HashValue)


def lookup_hash_create(ctx: Context, key: bytes) -> HashValue:
    """hashTypeLookupWriteOrCreate: the hash at key, created empty (and stored) when missing."""
    value = lookup_hash_write(ctx, key)
    if value is None:
        value = HashValue()
        ctx.db.store(key, value, touch=ctx.touch)
        if ctx.server.notify_flags:
            new_key(ctx, key)
    return value


def set_field(ctx: Context, value: HashValue, field: bytes, new: bytes) -> None:
    """hashTypeSet for HINCRBY*: a long field or value converts the hash first, too many fields after."""
    config = ctx.server.config
    if value.listpack:
        value.check_sizes((field, new), config.hash_max_listpack_value)
    value[field] = new
    value.check_length(config.hash_max_listpack_entries)


# -- writes ---------------------------------------------------------------------------------------------------


def hset_generic(ctx: Context, argv: Argv, name: str) -> int:
    if len(argv) % 2:
        raise CommandError(errors.wrong_arity(name))
    value = lookup_hash_create(ctx, argv[1])
    config = ctx.server.config
    if value.listpack:
        value.check_sizes(argv[2:], config.hash_max_listpack_value)
    before = len(value)
    if len(argv) == 4:
        value[argv[2]] = argv[3]
    else:
        value.update(zip(argv[2::2], argv[3::2]))
    value.check_length(config.hash_max_listpack_entries)
    ctx.server.dirty += (len(argv) - 2) // 2
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_HASH, b"hset", argv[1])
    return len(value) - before


@command(
    "hset",
    arity=-4,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is "
    "called with multiple field/value pairs.",
)
def hset_command(ctx: Context, argv: Argv):
    """HSET key field value [field value ...] — Set the string value of a hash field"""
    return hset_generic(ctx, argv, "hset")


@command(
    "hmset",
    arity=-4,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(N) where N is the number of fields being set.",
)
def hmset_command(ctx: Context, argv: Argv):
    """HMSET key field value [field value ...] — Set multiple hash fields to multiple values"""
    hset_generic(ctx, argv, "hmset")
    return OK


@command(
    "hsetnx",
    arity=4,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(1)",
)
def hsetnx_command(ctx: Context, argv: Argv):
    """HSETNX key field value — Set the value of a hash field, only if the field does not exist"""
    value = lookup_hash_create(ctx, argv[1])
    field = argv[2]
    if field in value:
        return 0
    set_field(ctx, value, field, argv[3])
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_HASH, b"hset", argv[1])
    return 1


@command(
    "hdel",
    arity=-3,
    flags="write fast",
    key_specs=[KeySpec("RW DELETE", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(N) where N is the number of fields to be removed.",
)
def hdel_command(ctx: Context, argv: Argv):
    """HDEL key field [field ...] — Delete one or more hash fields"""
    key = argv[1]
    value = lookup_hash_write(ctx, key)
    if value is None:
        return 0
    deleted = 0
    for field in argv[2:]:
        if value.pop(field, None) is not None:
            deleted += 1
            if not value:
                ctx.db.delete(key)
                break
    ctx.server.dirty += deleted
    if deleted and ctx.server.notify_flags:
        notify(ctx, NOTIFY_HASH, b"hdel", key)
        if not value:
            notify(ctx, NOTIFY_GENERIC, b"del", key)
    return deleted


@command(
    "hincrby",
    arity=4,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(1)",
)
def hincrby_command(ctx: Context, argv: Argv):
    """HINCRBY key field increment — Increment the integer value of a hash field by the given number"""
    increment = to_int(argv[3])
    value = lookup_hash_create(ctx, argv[1])
    field = argv[2]
    current = value.get(field)
    number = 0 if current is None else to_int(current, errors.HASH_NOT_INTEGER)
    result = number + increment
    if not INT64_MIN <= result <= INT64_MAX:
        raise CommandError(errors.INCR_OVERFLOW)
    set_field(ctx, value, field, b"%d" % result)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_HASH, b"hincrby", argv[1])
    return result


@command(
    "hincrbyfloat",
    arity=4,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="hash",
    since="2.6.0",
    complexity="O(1)",
)
def hincrbyfloat_command(ctx: Context, argv: Argv):
    """HINCRBYFLOAT key field increment — Increment the float value of a hash field by the given amount"""
    increment = long_double.parse_long_double(argv[3])
    if increment is None:
        raise CommandError(errors.NOT_FLOAT)
    if isinstance(increment, float):  # only the infinities are floats
        raise CommandError(errors.VALUE_NAN_OR_INFINITY)
    value = lookup_hash_create(ctx, argv[1])
    field = argv[2]
    raw = value.get(field)
    current = 0 if raw is None else long_double.parse_long_double(raw)
    if current is None:
        raise CommandError(errors.HASH_NOT_FLOAT)
    try:
        result = long_double.format_human(long_double.add(current, increment))
    except long_double.NotANumber:
        raise CommandError(errors.INCRFLOAT_NAN) from None
    set_field(ctx, value, field, result)
    ctx.propagate_as([b"HSET", argv[1], field, result])  # the sum as stored, as Redis propagates it
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_HASH, b"hincrbyfloat", argv[1])
    return result


# -- reads ----------------------------------------------------------------------------------------------------


@command(
    "hget",
    arity=3,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(1)",
)
def hget_command(ctx: Context, argv: Argv):
    """HGET key field — Get the value of a hash field"""
    value = lookup_hash_read(ctx, argv[1])
    return None if value is None else value.get(argv[2])


@command(
    "hmget",
    arity=-3,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(N) where N is the number of fields being requested.",
)
def hmget_command(ctx: Context, argv: Argv):
    """HMGET key field [field ...] — Get the values of all the given hash fields"""
    value = lookup_hash_read(ctx, argv[1])
    if value is None:
        return [None] * (len(argv) - 2)
    get = value.get
    return [get(field) for field in argv[2:]]


@command(
    "hgetall",
    arity=2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(N) where N is the size of the hash.",
)
def hgetall_command(ctx: Context, argv: Argv):
    """HGETALL key — Get all the fields and values in a hash"""
    value = lookup_hash_read(ctx, argv[1])
    return {} if value is None else dict(value)


@command(
    "hexists",
    arity=3,
    flags="readonly fast",
    key_specs=[KeySpec("RO", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(1)",
)
def hexists_command(ctx: Context, argv: Argv):
    """HEXISTS key field — Determine if a hash field exists"""
    value = lookup_hash_read(ctx, argv[1])
    return 1 if value is not None and argv[2] in value else 0


@command(
    "hlen",
    arity=2,
    flags="readonly fast",
    key_specs=[KeySpec("RO", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(1)",
)
def hlen_command(ctx: Context, argv: Argv):
    """HLEN key — Get the number of fields in a hash"""
    value = lookup_hash_read(ctx, argv[1])
    return 0 if value is None else len(value)


@command(
    "hkeys",
    arity=2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(N) where N is the size of the hash.",
)
def hkeys_command(ctx: Context, argv: Argv):
    """HKEYS key — Get all the fields in a hash"""
    value = lookup_hash_read(ctx, argv[1])
    return [] if value is None else list(value)


@command(
    "hvals",
    arity=2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="hash",
    since="2.0.0",
    complexity="O(N) where N is the size of the hash.",
)
def hvals_command(ctx: Context, argv: Argv):
    """HVALS key — Get all the values in a hash"""
    value = lookup_hash_read(ctx, argv[1])
    return [] if value is None else list(value.values())


@command(
    "hstrlen",
    arity=3,
    flags="readonly fast",
    key_specs=[KeySpec("RO", Index(1))],
    group="hash",
    since="3.2.0",
    complexity="O(1)",
)
def hstrlen_command(ctx: Context, argv: Argv):
    """HSTRLEN key field — Get the length of the value of a hash field"""
    value = lookup_hash_read(ctx, argv[1])
    if value is None:
        return 0
    field_value = value.get(argv[2])
    return 0 if field_value is None else len(field_value)


@command(
    "hrandfield",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="hash",
    since="6.2.0",
    complexity="O(N) where N is the number of fields returned",
)
def hrandfield_command(ctx: Context, argv: Argv):
    """HRANDFIELD key [count [WITHVALUES]] — Get one or multiple random fields from a hash"""
    if len(argv) == 2:
        value = lookup_hash_read(ctx, argv[1])
        return None if value is None else value.random_field()
    count, with_values = parse_random_count(argv, b"WITHVALUES")
    value = lookup_hash_read(ctx, argv[1])
    if value is None or count == 0:
        return []
    if count < 0:  # repeats allowed
        fields = random.choices(list(value), k=-count)
    elif count >= len(value):
        fields = list(value)
    else:
        fields = random_sample(value, count)
    if not with_values:
        return fields
    if ctx.resp == 3:
        return [[field, value[field]] for field in fields]
    return [item for field in fields for item in (field, value[field])]


# -- HSCAN (SSCAN shares the option parsing and paging) --------------------------------------------------------


def scan_container(value, cursor: int, count: int, compact: bool) -> tuple[int, list]:
    """A compact encoding (listpack, intset) is returned whole with cursor 0, as Redis does; a hashtable is
    paged through a snapshot kept on the value, so members present for the whole scan come back."""
    if compact:
        return 0, list(value)
    if value.scans is None:
        value.scans = ScanSnapshots()
    next_cursor, candidates = value.scans.page(value, cursor, count)
    return next_cursor, [item for item in candidates if item in value]


def matching(items: list[bytes], pattern: bytes | None) -> list[bytes]:
    if pattern is None or pattern == b"*":
        return items
    match = compile_glob(pattern).match
    return [item for item in items if match(item)]


@command(
    "hscan",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="hash",
    since="2.8.0",
    complexity=SCAN_COMPLEXITY,
)
def hscan_command(ctx: Context, argv: Argv):
    """HSCAN key cursor [MATCH pattern] [COUNT count] — Incrementally iterate hash fields and associated values"""
    cursor = parse_cursor(argv[2])
    value = lookup_hash_read(ctx, argv[1])
    if value is None:
        return [b"0", []]
    count, pattern, _ = parse_scan_options(argv, 3)
    next_cursor, fields = scan_container(value, cursor, count, value.listpack)
    fields = matching(fields, pattern)
    return [b"%d" % next_cursor, [item for field in fields for item in (field, value[field])]]
