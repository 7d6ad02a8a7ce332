"""Set commands: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER, SMOVE, SINTER,
SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE, SSCAN.

Sets are `SetValue` sets (storage/sets.py); OBJECT ENCODING says intset or hashtable by Redis 7.0's rules.
A set that a command empties is deleted at once. The multi-key commands look every key up (and check its
type) before computing anything, so a WRONGTYPE key anywhere fails the command, as in t_set.c.
"""

import random
from typing import TypeGuard

from .. import errors
from ..errors import CommandError
from ..protocol.values import SetReply
from ..storage.sets import SetValue, is_integer
from .args import INT64_MAX, ArgCursor, long_in_range, parse_cursor, parse_scan_options, positive_long
from .context import Argv, Context
from .hashes import SCAN_COMPLEXITY, matching, scan_container
from .keys import lookup_read_as, lookup_write_as
from .notifications import NOTIFY_GENERIC, NOTIFY_SET, new_key, notify
from .propagate import in_batches
from .registry import Index, KeyNum, KeySpec, Range, command

SPOP_MOVE_STRATEGY_MUL = 5  # t_set.c: rebuild the set from the survivors when few of them remain
SET_OP_COMPLEXITY = "O(N) where N is the total number of elements in all given sets."
INTER_COMPLEXITY = "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets."


# -- lookups ------------------------------------------------------------------------------------------------


def lookup_set_read(ctx: Context, key: bytes) -> SetValue | None:
    return lookup_read_as(ctx, key, SetValue)


def lookup_set_write(ctx: Context, key: bytes) -> SetValue | None:
    return lookup_write_as(ctx, key, SetValue)


def lookup_sets(ctx: Context, keys: list[bytes]) -> list[SetValue | None]:
    return [lookup_set_read(ctx, key) for key in keys]


def all_present(sets: list[SetValue | None]) -> TypeGuard[list[SetValue]]:
    """Every key held a set (a missing one empties an intersection)."""
    return not any(value is None for value in sets)


def max_intset_entries(ctx: Context) -> int:
    return ctx.server.config.set_max_intset_entries


# -- single-key writes ----------------------------------------------------------------------------------------


@command(
    "sadd",
    arity=-3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="set",
    complexity="O(1) for each element added, so O(N) to add N elements when the command is called with "
    "multiple arguments.",
)
def sadd_command(ctx: Context, argv: Argv):
    """SADD key member [member ...] — Add one or more members to a set"""
    key = argv[1]
    value = lookup_set_write(ctx, key)
    members = argv[2:]
    created = value is None
    if value is None:
        value = SetValue.built_from(members, max_intset_entries(ctx))
        ctx.db.store(key, value, touch=ctx.touch)
        added = len(value)
    else:
        added = value.add_members(members, max_intset_entries(ctx))
    ctx.server.dirty += added
    if ctx.server.notify_flags:
        if created:
            new_key(ctx, key)
        if added:
            notify(ctx, NOTIFY_SET, b"sadd", key)
    return added


@command(
    "srem",
    arity=-3,
    flags="write fast",
    key_specs=[KeySpec("RW DELETE", Index(1))],
    group="set",
    complexity="O(N) where N is the number of members to be removed.",
)
def srem_command(ctx: Context, argv: Argv):
    """SREM key member [member ...] — Remove one or more members from a set"""
    key = argv[1]
    value = lookup_set_write(ctx, key)
    if value is None:
        return 0
    before = len(value)
    if len(argv) == 3:
        value.discard(argv[2])
    else:
        value.difference_update(argv[2:])
    removed = before - len(value)
    if not value:
        ctx.db.delete(key)
    ctx.server.dirty += removed
    if removed and ctx.server.notify_flags:
        notify(ctx, NOTIFY_SET, b"srem", key)
        if not value:
            notify(ctx, NOTIFY_GENERIC, b"del", key)
    return removed


@command(
    "smove",
    arity=4,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1)), KeySpec("RW INSERT", Index(2))],
    group="set",
    complexity="O(1)",
)
def smove_command(ctx: Context, argv: Argv):
    """SMOVE source destination member — Move a member from one set to another"""
    source_key, target_key, member = argv[1], argv[2], argv[3]
    source = ctx.db.lookup(source_key, ctx.now_ms, ctx.touch)
    target = ctx.db.lookup(target_key, ctx.now_ms, ctx.touch)
    if source is None:
        return 0
    if source.__class__ is not SetValue or (target is not None and target.__class__ is not SetValue):
        raise CommandError(errors.WRONGTYPE)
    if source is target:
        return 1 if member in source else 0
    if member not in source:
        return 0
    source.remove(member)
    if not source:
        ctx.db.delete(source_key)
    ctx.server.dirty += 1
    notifying = ctx.server.notify_flags
    if notifying:
        notify(ctx, NOTIFY_SET, b"srem", source_key)
        if not source:
            notify(ctx, NOTIFY_GENERIC, b"del", source_key)
    if target is None:
        ctx.db.store(target_key, SetValue.built_from((member,), max_intset_entries(ctx)), touch=ctx.touch)
        if notifying:
            new_key(ctx, target_key)
            notify(ctx, NOTIFY_SET, b"sadd", target_key)
    elif member not in target:
        target.add_members((member,), max_intset_entries(ctx))
        ctx.server.dirty += 1
        if notifying:
            notify(ctx, NOTIFY_SET, b"sadd", target_key)
    return 1


@command(
    "spop",
    arity=-2,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1))],
    group="set",
    complexity="Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
)
def spop_command(ctx: Context, argv: Argv):
    """SPOP key [count] — Remove and return one or multiple random members from a set"""
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    key = argv[1]
    if len(argv) == 2:
        value = lookup_set_write(ctx, key)
        if value is None:
            return None
        member = value.random_member()
        value.remove(member)
        if not value:
            ctx.db.delete(key)
        ctx.propagate_as([b"SREM", key, member])  # the member chosen, not another random draw
        ctx.server.dirty += 1
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_SET, b"spop", key)
            if not value:
                notify(ctx, NOTIFY_GENERIC, b"del", key)
        return member
    count = positive_long(argv[2])
    value = lookup_set_write(ctx, key)
    if value is None or count == 0:
        return SetReply()
    size = len(value)
    if count >= size:
        ctx.db.delete(key)
        ctx.propagate_as([b"DEL", key])
        ctx.server.dirty += 1
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_SET, b"spop", key)
            notify(ctx, NOTIFY_GENERIC, b"del", key)
        return SetReply(value)
    remaining = size - count
    if remaining * SPOP_MOVE_STRATEGY_MUL > count:
        popped = value.random_members(count)
        value.difference_update(popped)
    else:
        # Redis rebuilds the set from the survivors, so its encoding starts again from them.
        kept = value.random_members(remaining)
        survivors = SetValue.built_from(kept, max_intset_entries(ctx))
        value.difference_update(kept)
        popped = list(value)
        ctx.db.store(key, survivors, keep_ttl=True, touch=ctx.touch)
    ctx.propagate_as(*in_batches(b"SREM", key, popped))  # as Redis propagates them (in MULTI ... EXEC)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_SET, b"spop", key)
    return SetReply(popped)


@command(
    "srandmember",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="set",
    complexity="Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
)
def srandmember_command(ctx: Context, argv: Argv):
    """SRANDMEMBER key [count] — Get one or multiple random members from a set"""
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    if len(argv) == 2:
        value = lookup_set_read(ctx, argv[1])
        return None if value is None else value.random_member()
    count = long_in_range(argv[2], -INT64_MAX, INT64_MAX)
    value = lookup_set_read(ctx, argv[1])
    if value is None or count == 0:
        return []
    if count < 0:  # repeats allowed
        return random.choices(list(value), k=-count)
    if count >= len(value):
        return list(value)
    return value.random_members(count)


# -- single-key reads -----------------------------------------------------------------------------------------


@command(
    "smembers",
    arity=2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="set",
    complexity="O(N) where N is the set cardinality.",
)
def smembers_command(ctx: Context, argv: Argv):
    """SMEMBERS key — Get all the members in a set"""
    value = lookup_set_read(ctx, argv[1])
    return SetReply() if value is None else SetReply(value)


@command(
    "sismember", arity=3, flags="readonly fast", key_specs=[KeySpec("RO", Index(1))], group="set", complexity="O(1)"
)
def sismember_command(ctx: Context, argv: Argv):
    """SISMEMBER key member — Determine if a given value is a member of a set"""
    value = lookup_set_read(ctx, argv[1])
    return 1 if value is not None and argv[2] in value else 0


@command(
    "smismember",
    arity=-3,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="set",
    since="6.2.0",
    complexity="O(N) where N is the number of elements being checked for membership",
)
def smismember_command(ctx: Context, argv: Argv):
    """SMISMEMBER key member [member ...] — Returns the membership associated with the given elements for a set"""
    value = lookup_set_read(ctx, argv[1])
    if value is None:
        return [0] * (len(argv) - 2)
    return [1 if member in value else 0 for member in argv[2:]]


@command("scard", arity=2, flags="readonly fast", key_specs=[KeySpec("RO", Index(1))], group="set", complexity="O(1)")
def scard_command(ctx: Context, argv: Argv):
    """SCARD key — Get the number of members in a set"""
    value = lookup_set_read(ctx, argv[1])
    return 0 if value is None else len(value)


@command(
    "sscan",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="set",
    since="2.8.0",
    complexity=SCAN_COMPLEXITY,
)
def sscan_command(ctx: Context, argv: Argv):
    """SSCAN key cursor [MATCH pattern] [COUNT count] — Incrementally iterate Set elements"""
    cursor = parse_cursor(argv[2])
    value = lookup_set_read(ctx, argv[1])
    if value is None:
        return [b"0", []]
    count, pattern, _ = parse_scan_options(argv, 3)
    next_cursor, members = scan_container(value, cursor, count, value.intset)
    return [b"%d" % next_cursor, matching(members, pattern)]


# -- intersection, union, difference --------------------------------------------------------------------------


def intersection(sets: list[SetValue], limit: int = 0):
    """The members of every set (sets are all present), or only their number, up to limit, when limit > 0."""
    ordered = sorted(sets, key=len)
    smallest, others = ordered[0], ordered[1:]
    if not limit:
        return smallest.intersection(*others)
    found = 0
    for member in smallest:
        for other in others:
            if member not in other:
                break
        else:
            found += 1
            if found >= limit:
                break
    return found


def store_result(ctx: Context, target_key: bytes, result: SetValue, event: bytes) -> int:
    """setKey, or delete the target when the result is empty (SINTERSTORE, SUNIONSTORE, SDIFFSTORE);
    `event` names the store for keyspace notifications."""
    if result:
        notifying = ctx.server.notify_flags
        if notifying:  # setKey's lookupKeyWrite: an expired target goes first, then "new"
            created = ctx.db.lookup(target_key, ctx.now_ms) is None
        ctx.db.store(target_key, result, touch=ctx.touch)
        ctx.server.dirty += 1
        if notifying:
            if created:
                new_key(ctx, target_key)
            notify(ctx, NOTIFY_SET, event, target_key)
    elif ctx.db.delete(target_key):  # dbDelete: a target already expired but not yet reclaimed counts too
        ctx.server.dirty += 1
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_GENERIC, b"del", target_key)
    return len(result)


def sinter_generic(ctx: Context, keys: list[bytes], target_key: bytes | None = None):
    sets = lookup_sets(ctx, keys)
    if not all_present(sets):
        if target_key is None:
            return SetReply()
        return store_result(ctx, target_key, SetValue(), b"sinterstore")
    members = intersection(sets)
    if target_key is None:
        return SetReply(members)
    return store_result(ctx, target_key, SetValue.built_from(members, max_intset_entries(ctx)), b"sinterstore")


@command(
    "sinter",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), Range(-1))],
    group="set",
    complexity=INTER_COMPLEXITY,
)
def sinter_command(ctx: Context, argv: Argv):
    """SINTER key [key ...] — Intersect multiple sets"""
    return sinter_generic(ctx, argv[1:])


@command(
    "sinterstore",
    arity=-3,
    flags="write denyoom",
    key_specs=[KeySpec("RW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2), Range(-1))],
    group="set",
    complexity=INTER_COMPLEXITY,
)
def sinterstore_command(ctx: Context, argv: Argv):
    """SINTERSTORE destination key [key ...] — Intersect multiple sets and store the resulting set in a key"""
    return sinter_generic(ctx, argv[2:], argv[1])


@command(
    "sintercard",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), KeyNum(0, 1))],
    group="set",
    since="7.0.0",
    complexity=INTER_COMPLEXITY,
)
def sintercard_command(ctx: Context, argv: Argv):
    """SINTERCARD numkeys key [key ...] [LIMIT limit] — Intersect multiple sets and return the cardinality of the
    result"""
    args = ArgCursor(argv, 1)
    keys = args.next_keys(errors.NUMKEYS_NOT_POSITIVE, errors.NUMKEYS_NOT_POSITIVE, errors.NUMKEYS_TOO_MANY)
    limit = 0
    while args.more():
        if args.next_upper() != b"LIMIT":
            raise CommandError(errors.SYNTAX)
        limit = positive_long(args.next_bytes(), errors.LIMIT_NEGATIVE)
    sets = lookup_sets(ctx, keys)
    if not all_present(sets):
        return 0
    result = intersection(sets, limit)
    return result if limit else len(result)


def sunion_generic(ctx: Context, keys: list[bytes], target_key: bytes | None = None):
    sets = [value for value in lookup_sets(ctx, keys) if value is not None]
    members = set().union(*sets)
    if target_key is None:
        return SetReply(members)
    return store_result(ctx, target_key, SetValue.built_from(members, max_intset_entries(ctx)), b"sunionstore")


@command(
    "sunion",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), Range(-1))],
    group="set",
    complexity=SET_OP_COMPLEXITY,
)
def sunion_command(ctx: Context, argv: Argv):
    """SUNION key [key ...] — Add multiple sets"""
    return sunion_generic(ctx, argv[1:])


@command(
    "sunionstore",
    arity=-3,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2), Range(-1))],
    group="set",
    complexity=SET_OP_COMPLEXITY,
)
def sunionstore_command(ctx: Context, argv: Argv):
    """SUNIONSTORE destination key [key ...] — Add multiple sets and store the resulting set in a key"""
    return sunion_generic(ctx, argv[2:], argv[1])


def sdiff_generic(ctx: Context, keys: list[bytes], target_key: bytes | None = None):
    sets = lookup_sets(ctx, keys)
    first, others = sets[0], [value for value in sets[1:] if value is not None]
    if first is None or any(other is first for other in others):
        members = set()
    else:
        members = first.difference(*others)
    if target_key is None:
        return SetReply(members)
    limit = max_intset_entries(ctx)
    result = SetValue.built_from(members, limit)
    if first is not None and result.intset and diff_copies_first_set(first, others):
        # Redis's second algorithm adds all of the first set and then removes: the first set's members
        # decide the encoding.
        result.intset = len(first) <= limit and all(map(is_integer, first))
    return store_result(ctx, target_key, result, b"sdiffstore")


def diff_copies_first_set(first: SetValue, others: list[SetValue]) -> bool:
    """Whether sunionDiffGenericCommand picks its algorithm 2 (copy the first set, remove the others)."""
    algo_one_work = len(first) * (len(others) + 1) // 2
    algo_two_work = len(first) + sum(map(len, others))
    return algo_one_work > algo_two_work


@command(
    "sdiff",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), Range(-1))],
    group="set",
    complexity=SET_OP_COMPLEXITY,
)
def sdiff_command(ctx: Context, argv: Argv):
    """SDIFF key [key ...] — Subtract multiple sets"""
    return sdiff_generic(ctx, argv[1:])


@command(
    "sdiffstore",
    arity=-3,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2), Range(-1))],
    group="set",
    complexity=SET_OP_COMPLEXITY,
)
def sdiffstore_command(ctx: Context, argv: Argv):
    """SDIFFSTORE destination key [key ...] — Subtract multiple sets and store the resulting set in a key"""
    return sdiff_generic(ctx, argv[2:], argv[1])
