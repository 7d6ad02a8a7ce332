"""Sorted set commands: ZADD, ZINCRBY, ZREM, ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANGE, ZRANGESTORE,
ZREVRANGE, ZRANGEBYSCORE, ZREVRANGEBYSCORE, ZRANGEBYLEX, ZREVRANGEBYLEX, ZRANK, ZREVRANK, ZREMRANGEBYRANK,
ZREMRANGEBYSCORE, ZREMRANGEBYLEX, ZPOPMIN, ZPOPMAX, ZMPOP, ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE,
ZDIFFSTORE, ZINTERCARD, ZRANDMEMBER, ZSCAN, and the blocking BZPOPMIN, BZPOPMAX, BZMPOP.

Sorted sets are `ZSet` values (storage/zset.py). OBJECT ENCODING answers listpack until the set outgrows
zset-max-listpack-entries / zset-max-listpack-value, then skiplist for good; a store (ZUNIONSTORE ...)
picks the encoding from the result, as Redis 7.0 does. A set emptied by a command is deleted at once.

Scores are doubles: handlers return Python floats, which the encoder writes as RESP3 doubles or RESP2 bulk
strings with Redis 7.0's %.17g. WITHSCORES replies are flat in RESP2 and [member, score] pairs in RESP3.

The pop logic lives in `zset_pop` and `zset_mpop` so the blocking commands (BZPOPMIN, BZPOPMAX, BZMPOP) can
reuse it. Check order follows t_zset.c, because it decides which error a bad request gets: ranges and
options are usually parsed before the key is looked at, while ZUNION & co. look the keys up first.
"""

import random

from .. import errors
from ..errors import CommandError
from ..protocol.encoder import format_double
from ..protocol.values import NULL_ARRAY
from ..storage.glob import compile_glob
from ..storage.zset import LexRange, ScoreRange, ZSet
from .args import (
    CH,
    GT,
    INCR,
    LT,
    NX,
    XX,
    ArgCursor,
    keyword,
    parse_cursor,
    parse_lex_range,
    parse_mpop,
    parse_random_count,
    parse_scan_options,
    parse_score_range,
    parse_timeout,
    parse_zadd_options,
    positive_long,
    to_int,
    to_score,
)
from .blocking import Block
from .context import Argv, Context
from .keys import lookup_read_as, lookup_write_as
from .notifications import NOTIFY_GENERIC, NOTIFY_ZSET, keymiss, new_key, notify
from .registry import Index, KeyNum, KeySpec, Range, command

LISTPACK_INT_LIMIT = float(2**62)  # LLONG_MAX/2 as a double
RANGE_COMPLEXITY = (
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements being returned. If M is constant (e.g. always asking for the first 10 elements "
    "with LIMIT), you can consider it O(log(N))."
)
REMRANGE_COMPLEXITY = (
    "O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements removed by the operation."
)
POP_COMPLEXITY = (
    "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped."
)
UNION_COMPLEXITY = (
    "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being "
    "the number of elements in the resulting sorted set."
)
INTER_COMPLEXITY = (
    "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the "
    "number of input sorted sets and M being the number of elements in the resulting sorted set."
)
DIFF_COMPLEXITY = (
    "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is "
    "the size of the first set, and K is the size of the result set."
)


# -- lookups and encodings ----------------------------------------------------------------------------------


def lookup_zset_read(ctx: Context, key: bytes) -> ZSet | None:
    return lookup_read_as(ctx, key, ZSet)


def lookup_zset_write(ctx: Context, key: bytes) -> ZSet | None:
    return lookup_write_as(ctx, key, ZSet)


def listpack_limits(ctx: Context) -> tuple[int, int]:
    config = ctx.server.config
    return config.zset_max_listpack_entries, config.zset_max_listpack_value


def insert_member(ctx: Context, zset: ZSet, member: bytes, score: float) -> None:
    """Add a new member, converting a listpack that would outgrow its limits first (zsetAdd)."""
    if zset.listpack:
        entries, value_limit = listpack_limits(ctx)
        if len(zset) + 1 > entries or len(member) > value_limit:
            zset.listpack = False
    zset.add(member, score)


def store_result(ctx: Context, key: bytes, pairs: list[tuple[float, bytes]], event: bytes) -> int:
    """Replace key with a sorted set of pairs (or delete it when there are none); the result's size.
    The encoding follows zsetConvertToListpackIfNeeded: listpack when the result fits the limits.
    `event` names the store (zunionstore, zrangestore, ...) for keyspace notifications."""
    if not pairs:
        if ctx.db.delete(key):  # dbDelete: a key already expired but not yet reclaimed counts too
            ctx.server.dirty += 1
            if ctx.server.notify_flags:
                notify(ctx, NOTIFY_GENERIC, b"del", key)
        return 0
    entries, value_limit = listpack_limits(ctx)
    fits = len(pairs) <= entries and max(len(member) for _, member in pairs) <= value_limit
    notifying = ctx.server.notify_flags
    if notifying:  # setKey's lookupKeyWrite: an expired target goes first, then "new"
        created = ctx.db.lookup(key, ctx.now_ms) is None
    ctx.db.store(key, ZSet(((member, score) for score, member in pairs), listpack=fits), touch=ctx.touch)
    ctx.server.dirty += 1
    if notifying:
        if created:
            new_key(ctx, key)
        notify(ctx, NOTIFY_ZSET, event, key)
    return len(pairs)


def drop_if_empty(ctx: Context, key: bytes, zset: ZSet) -> None:
    """Delete an emptied sorted set; its "del" event follows the command's own."""
    if not zset:
        ctx.db.delete(key)
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_GENERIC, b"del", key)


def scored_reply(ctx: Context, pairs, withscores: bool) -> list:
    """Members, or members with scores: flat in RESP2, [member, score] pairs in RESP3."""
    if not withscores:
        return [member for _, member in pairs]
    if ctx.resp == 3:
        return [[member, score] for score, member in pairs]
    flat = []
    for score, member in pairs:
        flat.append(member)
        flat.append(score)
    return flat


# -- ZADD, ZINCRBY, ZREM ------------------------------------------------------------------------------------


def zadd_generic(ctx: Context, argv: Argv, flags: int):
    """zaddGenericCommand (ZINCRBY is ZADD with INCR forced on, options parsed all the same)."""
    flags, pos = parse_zadd_options(argv, flags)
    nx, xx, incr = flags & NX, flags & XX, flags & INCR
    gt, lt = flags & GT, flags & LT
    scores = [to_score(argv[index]) for index in range(pos, len(argv), 2)]
    key = argv[1]
    zset = lookup_zset_write(ctx, key)
    if zset is None:
        if xx:
            return None if incr else 0
        entries, value_limit = listpack_limits(ctx)
        zset = ZSet(listpack=entries != 0 and len(argv[pos + 1]) <= value_limit)
        ctx.db.store(key, zset, touch=ctx.touch)
        if ctx.server.notify_flags:
            new_key(ctx, key)
    added = updated = processed = 0
    score = 0.0
    members = zset.scores
    for score, member in zip(scores, argv[pos + 1 :: 2]):
        current = members.get(member)
        if current is not None:
            if nx:
                continue
            if incr:
                score += current
                if score != score:
                    raise CommandError(errors.ZSCORE_NAN)
            if (lt and score >= current) or (gt and score <= current):
                continue
            processed += 1
            if score != current:
                zset.add(member, score)
                updated += 1
        elif not xx:
            insert_member(ctx, zset, member, score)
            added += 1
            processed += 1
    ctx.server.dirty += added + updated
    if (added or updated) and ctx.server.notify_flags:
        notify(ctx, NOTIFY_ZSET, b"zincr" if incr else b"zadd", key)
    if incr:
        return score if processed else None
    return added + updated if flags & CH else added


@command(
    "zadd",
    arity=-4,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="sorted-set",
    since="1.2.0",
    complexity="O(log(N)) for each item added, where N is the number of elements in the sorted set.",
)
def zadd_command(ctx: Context, argv: Argv):
    """ZADD key [NX | XX] [GT | LT] [CH] [INCR] score member [score member ...] — Add one or more members to a sorted
    set, or update its score if it already exists"""
    return zadd_generic(ctx, argv, 0)


@command(
    "zincrby",
    arity=4,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="sorted-set",
    since="1.2.0",
    complexity="O(log(N)) where N is the number of elements in the sorted set.",
)
def zincrby_command(ctx: Context, argv: Argv):
    """ZINCRBY key increment member — Increment the score of a member in a sorted set"""
    return zadd_generic(ctx, argv, INCR)


@command(
    "zrem",
    arity=-3,
    flags="write fast",
    key_specs=[KeySpec("RW DELETE", Index(1))],
    group="sorted-set",
    since="1.2.0",
    complexity="O(M*log(N)) with N being the number of elements in the sorted set and M the number of "
    "elements to be removed.",
)
def zrem_command(ctx: Context, argv: Argv):
    """ZREM key member [member ...] — Remove one or more members from a sorted set"""
    key = argv[1]
    zset = lookup_zset_write(ctx, key)
    if zset is None:
        return 0
    deleted = 0
    for member in argv[2:]:
        if zset.discard(member):
            deleted += 1
            if not zset:
                break
    if deleted and ctx.server.notify_flags:
        notify(ctx, NOTIFY_ZSET, b"zrem", key)
    drop_if_empty(ctx, key, zset)
    ctx.server.dirty += deleted
    return deleted


# -- single-member reads ------------------------------------------------------------------------------------


@command(
    "zscore",
    arity=3,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="1.2.0",
    complexity="O(1)",
)
def zscore_command(ctx: Context, argv: Argv):
    """ZSCORE key member — Get the score associated with the given member in a sorted set"""
    zset = lookup_zset_read(ctx, argv[1])
    return None if zset is None else zset.scores.get(argv[2])


@command(
    "zmscore",
    arity=-3,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="6.2.0",
    complexity="O(N) where N is the number of members being requested.",
)
def zmscore_command(ctx: Context, argv: Argv):
    """ZMSCORE key member [member ...] — Get the score associated with the given members in a sorted set"""
    zset = lookup_zset_read(ctx, argv[1])
    if zset is None:
        return [None] * (len(argv) - 2)
    get = zset.scores.get
    return [get(member) for member in argv[2:]]


@command(
    "zcard",
    arity=2,
    flags="readonly fast",
    key_specs=[KeySpec("RO", Index(1))],
    group="sorted-set",
    since="1.2.0",
    complexity="O(1)",
)
def zcard_command(ctx: Context, argv: Argv):
    """ZCARD key — Get the number of members in a sorted set"""
    zset = lookup_zset_read(ctx, argv[1])
    return 0 if zset is None else len(zset)


def rank_generic(ctx: Context, argv: Argv, reverse: bool):
    zset = lookup_zset_read(ctx, argv[1])
    return None if zset is None else zset.rank(argv[2], reverse)


@command(
    "zrank",
    arity=3,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="2.0.0",
    complexity="O(log(N))",
)
def zrank_command(ctx: Context, argv: Argv):
    """ZRANK key member — Determine the index of a member in a sorted set"""
    return rank_generic(ctx, argv, False)


@command(
    "zrevrank",
    arity=3,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="2.0.0",
    complexity="O(log(N))",
)
def zrevrank_command(ctx: Context, argv: Argv):
    """ZREVRANK key member — Determine the index of a member in a sorted set, with scores ordered from high to low"""
    return rank_generic(ctx, argv, True)


# -- counting -----------------------------------------------------------------------------------------------


@command(
    "zcount",
    arity=4,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="2.0.0",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
)
def zcount_command(ctx: Context, argv: Argv):
    """ZCOUNT key min max — Count the members in a sorted set with scores within the given values"""
    spec = parse_score_range(argv[2], argv[3])
    zset = lookup_zset_read(ctx, argv[1])
    if zset is None:
        return 0
    lo, hi = zset.score_span(spec)
    return hi - lo


@command(
    "zlexcount",
    arity=4,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="2.8.9",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
)
def zlexcount_command(ctx: Context, argv: Argv):
    """ZLEXCOUNT key min max — Count the number of members in a sorted set between a given lexicographical range"""
    spec = parse_lex_range(argv[2], argv[3])
    zset = lookup_zset_read(ctx, argv[1])
    if zset is None:
        return 0
    first = zset.lex_first(spec)
    return 0 if first is None else zset.lex_run_end(first, spec) - first


# -- ranges -------------------------------------------------------------------------------------------------

BY_RANK, BY_SCORE, BY_LEX = 1, 2, 3


def rank_span(size: int, start: int, stop: int) -> tuple[int, int] | None:
    """Redis's index sanitising for ranges by rank: negative counts from the end; None when empty."""
    if start < 0:
        start += size
    if stop < 0:
        stop += size
    if start < 0:
        start = 0
    if start > stop or start >= size:
        return None
    return start, min(stop, size - 1)


def select_range(zset: ZSet, spec: tuple[int, int] | ScoreRange | LexRange, reverse: bool, offset: int, limit: int):
    """The (score, member) pairs a range names, in reply order: spec is (start, stop) for ranks, a ScoreRange
    or a LexRange."""
    if isinstance(spec, tuple):
        span = rank_span(len(zset), *spec)
        return [] if span is None else zset.by_rank(span[0], span[1], reverse)
    if offset < 0 or (offset > 0 and offset >= len(zset)):
        return []
    if isinstance(spec, ScoreRange):
        lo, hi = zset.score_span(spec)
        if reverse:
            top = hi - offset
            bottom = lo if limit < 0 else max(lo, top - limit)
            return zset.slice(bottom, top, reverse=True) if top > bottom else []
        start = lo + offset
        end = hi if limit < 0 else min(hi, start + limit)
        return zset.slice(start, end) if end > start else []
    if reverse:
        last = zset.lex_last(spec)
        if last is None:
            return []
        top = last - offset
        if top < 0:
            return []
        bottom = zset.lex_run_start(top, spec)
        if limit >= 0:
            bottom = max(bottom, top + 1 - limit)
        return zset.slice(bottom, top + 1, reverse=True) if top + 1 > bottom else []
    first = zset.lex_first(spec)
    if first is None:
        return []
    start = first + offset
    if start >= len(zset):
        return []
    end = zset.lex_run_end(start, spec)
    if limit >= 0:
        end = min(end, start + limit)
    return zset.slice(start, end) if end > start else []


def zrange_generic(
    ctx: Context,
    argv: Argv,
    key_index: int,
    range_type: int = 0,
    reverse: bool | None = None,
    destination: bytes | None = None,
):
    """zrangeGenericCommand: the options after `key min max`, the range, then the key."""
    withscores = False
    offset, limit = 0, -1
    args = ArgCursor(argv, key_index + 3)
    while args.more():
        option = args.next_upper()
        if destination is None and option == b"WITHSCORES":
            withscores = True
        elif option == b"LIMIT":
            offset, limit = args.next_limit()
        elif reverse is None and option == b"REV":
            reverse = True
        elif not range_type and option == b"BYLEX":
            range_type = BY_LEX
        elif not range_type and option == b"BYSCORE":
            range_type = BY_SCORE
        else:
            raise CommandError(errors.SYNTAX)
    reverse = bool(reverse)
    range_type = range_type or BY_RANK
    if limit != -1 and range_type == BY_RANK:
        raise CommandError(errors.ZRANGE_LIMIT_BY_RANK)
    if withscores and range_type == BY_LEX:
        raise CommandError(errors.ZRANGE_WITHSCORES_BYLEX)
    low, high = argv[key_index + 1], argv[key_index + 2]
    if reverse and range_type != BY_RANK:
        low, high = high, low  # given as max, min
    spec: tuple[int, int] | ScoreRange | LexRange
    if range_type == BY_RANK:
        spec = (to_int(low), to_int(high))
    elif range_type == BY_SCORE:
        spec = parse_score_range(low, high)
    else:
        spec = parse_lex_range(low, high)
    zset = lookup_zset_read(ctx, argv[key_index])
    pairs = [] if zset is None else select_range(zset, spec, reverse, offset, limit)
    if destination is not None:
        return store_result(ctx, destination, pairs, b"zrangestore")
    return scored_reply(ctx, pairs, withscores)


@command(
    "zrange",
    arity=-4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="1.2.0",
    complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements returned.",
)
def zrange_command(ctx: Context, argv: Argv):
    """ZRANGE key start stop [BYSCORE | BYLEX] [REV] [LIMIT offset count] [WITHSCORES] — Return a range of members in a
    sorted set"""
    return zrange_generic(ctx, argv, 1)


@command(
    "zrangestore",
    arity=-5,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2))],
    group="sorted-set",
    since="6.2.0",
    complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements stored into the destination key.",
)
def zrangestore_command(ctx: Context, argv: Argv):
    """ZRANGESTORE dst src min max [BYSCORE | BYLEX] [REV] [LIMIT offset count] — Store a range of members from sorted
    set into another key"""
    return zrange_generic(ctx, argv, 2, destination=argv[1])


@command(
    "zrevrange",
    arity=-4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="1.2.0",
    complexity="O(log(N)+M) with N being the number of elements in the sorted set and M the number of "
    "elements returned.",
)
def zrevrange_command(ctx: Context, argv: Argv):
    """ZREVRANGE key start stop [WITHSCORES] — Return a range of members in a sorted set, by index, with scores ordered
    from high to low"""
    return zrange_generic(ctx, argv, 1, BY_RANK, True)


@command(
    "zrangebyscore",
    arity=-4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="1.0.5",
    complexity=RANGE_COMPLEXITY,
)
def zrangebyscore_command(ctx: Context, argv: Argv):
    """ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count] — Return a range of members in a sorted set, by
    score"""
    return zrange_generic(ctx, argv, 1, BY_SCORE, False)


@command(
    "zrevrangebyscore",
    arity=-4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="2.2.0",
    complexity=RANGE_COMPLEXITY,
)
def zrevrangebyscore_command(ctx: Context, argv: Argv):
    """ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count] — Return a range of members in a sorted set, by
    score, with scores ordered from high to low"""
    return zrange_generic(ctx, argv, 1, BY_SCORE, True)


@command(
    "zrangebylex",
    arity=-4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="2.8.9",
    complexity=RANGE_COMPLEXITY,
)
def zrangebylex_command(ctx: Context, argv: Argv):
    """ZRANGEBYLEX key min max [LIMIT offset count] — Return a range of members in a sorted set, by lexicographical
    range"""
    return zrange_generic(ctx, argv, 1, BY_LEX, False)


@command(
    "zrevrangebylex",
    arity=-4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="2.8.9",
    complexity=RANGE_COMPLEXITY,
)
def zrevrangebylex_command(ctx: Context, argv: Argv):
    """ZREVRANGEBYLEX key max min [LIMIT offset count] — Return a range of members in a sorted set, by lexicographical
    range, ordered from higher to lower strings."""
    return zrange_generic(ctx, argv, 1, BY_LEX, True)


# -- removing ranges ----------------------------------------------------------------------------------------


def remove_range(ctx: Context, key: bytes, zset: ZSet, lo: int, hi: int, event: bytes) -> int:
    removed = zset.remove_span(lo, hi)
    if removed and ctx.server.notify_flags:
        notify(ctx, NOTIFY_ZSET, event, key)
    drop_if_empty(ctx, key, zset)
    ctx.server.dirty += removed
    return removed


@command(
    "zremrangebyrank",
    arity=4,
    flags="write",
    key_specs=[KeySpec("RW DELETE", Index(1))],
    group="sorted-set",
    since="2.0.0",
    complexity=REMRANGE_COMPLEXITY,
)
def zremrangebyrank_command(ctx: Context, argv: Argv):
    """ZREMRANGEBYRANK key start stop — Remove all members in a sorted set within the given indexes"""
    start, stop = to_int(argv[2]), to_int(argv[3])
    zset = lookup_zset_write(ctx, argv[1])
    if zset is None:
        return 0
    span = rank_span(len(zset), start, stop)
    return 0 if span is None else remove_range(ctx, argv[1], zset, span[0], span[1] + 1, b"zremrangebyrank")


@command(
    "zremrangebyscore",
    arity=4,
    flags="write",
    key_specs=[KeySpec("RW DELETE", Index(1))],
    group="sorted-set",
    since="1.2.0",
    complexity=REMRANGE_COMPLEXITY,
)
def zremrangebyscore_command(ctx: Context, argv: Argv):
    """ZREMRANGEBYSCORE key min max — Remove all members in a sorted set within the given scores"""
    spec = parse_score_range(argv[2], argv[3])
    zset = lookup_zset_write(ctx, argv[1])
    if zset is None:
        return 0
    return remove_range(ctx, argv[1], zset, *zset.score_span(spec), b"zremrangebyscore")


@command(
    "zremrangebylex",
    arity=4,
    flags="write",
    key_specs=[KeySpec("RW DELETE", Index(1))],
    group="sorted-set",
    since="2.8.9",
    complexity=REMRANGE_COMPLEXITY,
)
def zremrangebylex_command(ctx: Context, argv: Argv):
    """ZREMRANGEBYLEX key min max — Remove all members in a sorted set between the given lexicographical range"""
    spec = parse_lex_range(argv[2], argv[3])
    zset = lookup_zset_write(ctx, argv[1])
    if zset is None:
        return 0
    first = zset.lex_first(spec)
    if first is None:
        return 0
    return remove_range(ctx, argv[1], zset, first, zset.lex_run_end(first, spec), b"zremrangebylex")


# -- popping (the blocking commands reuse zset_pop and zset_mpop) -------------------------------------------


def zset_pop(ctx: Context, key: bytes, count: int, from_max: bool) -> list[tuple[float, bytes]] | None:
    """Pop up to count members from one key: (score, member) pairs in pop order, or None when the key is
    missing. WRONGTYPE for a non-zset. Counts dirty and deletes an emptied key."""
    zset = lookup_zset_write(ctx, key)
    if zset is None:
        return None
    popped = zset.pop(count, from_max)
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_ZSET, b"zpopmax" if from_max else b"zpopmin", key)
    drop_if_empty(ctx, key, zset)
    ctx.server.dirty += len(popped)
    return popped


def zset_mpop(ctx: Context, keys: list[bytes], count: int, from_max: bool):
    """genericZpopCommand over several keys: pop from the first key that exists, as (key, pairs); None when
    none exists. A key of another type met before that is WRONGTYPE."""
    for key in keys:
        popped = zset_pop(ctx, key, count, from_max)
        if popped is not None:
            # what was popped, from where, is settled: replay pops the same (served blocking pops too)
            ctx.propagate_as([b"ZPOPMAX" if from_max else b"ZPOPMIN", key, b"%d" % len(popped)])
            return key, popped
    return None


def pairs_reply(pairs, nested: bool) -> list:
    """Popped pairs: [[member, score], ...] when nested, else flat [member, score, ...]."""
    if nested:
        return [[member, score] for score, member in pairs]
    return [item for score, member in pairs for item in (member, score)]


def zpop_generic(ctx: Context, argv: Argv, from_max: bool):
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = None if len(argv) < 3 else positive_long(argv[2])
    key = argv[1]
    zset = lookup_zset_write(ctx, key)
    if zset is None or count == 0:
        return []
    popped = zset_pop(ctx, key, 1 if count is None else count, from_max)
    # RESP3 nests [member, score] pairs only when a count was given.
    return pairs_reply(popped, ctx.resp == 3 and count is not None)


@command(
    "zpopmin",
    arity=-2,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1))],
    group="sorted-set",
    since="5.0.0",
    complexity=POP_COMPLEXITY,
)
def zpopmin_command(ctx: Context, argv: Argv):
    """ZPOPMIN key [count] — Remove and return members with the lowest scores in a sorted set"""
    return zpop_generic(ctx, argv, False)


@command(
    "zpopmax",
    arity=-2,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1))],
    group="sorted-set",
    since="5.0.0",
    complexity=POP_COMPLEXITY,
)
def zpopmax_command(ctx: Context, argv: Argv):
    """ZPOPMAX key [count] — Remove and return members with the highest scores in a sorted set"""
    return zpop_generic(ctx, argv, True)


ZSET_SIDES = {b"MIN": False, b"MAX": True}  # ZMPOP's side: does it pop the highest scores?


@command(
    "zmpop",
    arity=-4,
    flags="write",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1), KeyNum(0, 1))],
    group="sorted-set",
    since="7.0.0",
    complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements "
    "in the sorted set, and M being the number of elements popped.",
)
def zmpop_command(ctx: Context, argv: Argv):
    """ZMPOP numkeys key [key ...] <MIN | MAX> [COUNT count] — Remove and return members with scores in a sorted set"""
    keys, from_max, count = parse_mpop(argv, 1, ZSET_SIDES)
    result = zset_mpop(ctx, keys, count, from_max)
    if result is None:
        return NULL_ARRAY
    key, popped = result
    return [key, pairs_reply(popped, True)]


# -- blocking pops: served at once when a key has members, else parked until one of the keys is written --------


def bzpop_generic(ctx: Context, argv: Argv, from_max: bool):
    timeout_ms = parse_timeout(argv[-1])
    keys = argv[1:-1]
    popped = zset_mpop(ctx, keys, 1, from_max)
    if popped is None:
        return Block(keys, timeout_ms, NULL_ARRAY)
    key, ((score, member),) = popped
    return [key, member, score]


@command(
    "bzpopmin",
    arity=-3,
    flags="write noscript blocking fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1), Range(-2))],
    group="sorted-set",
    since="5.0.0",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
)
def bzpopmin_command(ctx: Context, argv: Argv):
    """BZPOPMIN key [key ...] timeout — Remove and return the member with the lowest score from one or more sorted sets,
    or block until one is available"""
    return bzpop_generic(ctx, argv, False)


@command(
    "bzpopmax",
    arity=-3,
    flags="write noscript blocking fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1), Range(-2))],
    group="sorted-set",
    since="5.0.0",
    complexity="O(log(N)) with N being the number of elements in the sorted set.",
)
def bzpopmax_command(ctx: Context, argv: Argv):
    """BZPOPMAX key [key ...] timeout — Remove and return the member with the highest score from one or more sorted
    sets, or block until one is available"""
    return bzpop_generic(ctx, argv, True)


@command(
    "bzmpop",
    arity=-5,
    flags="write blocking",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(2), KeyNum(0, 1))],
    group="sorted-set",
    since="7.0.0",
    complexity="O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements "
    "in the sorted set, and M being the number of elements popped.",
)
def bzmpop_command(ctx: Context, argv: Argv):
    """BZMPOP timeout numkeys key [key ...] <MIN | MAX> [COUNT count] — Remove and return members with scores in a
    sorted set or block until one is available"""
    # Redis checks numkeys, MIN|MAX and COUNT before the timeout.
    keys, from_max, count = parse_mpop(argv, 2, ZSET_SIDES)
    timeout_ms = parse_timeout(argv[1])
    result = zset_mpop(ctx, keys, count, from_max)
    if result is None:
        return Block(keys, timeout_ms, NULL_ARRAY)
    key, popped = result
    return [key, pairs_reply(popped, True)]


# -- ZUNION, ZINTER, ZDIFF and their STORE and CARD forms ---------------------------------------------------
OP_UNION, OP_INTER, OP_DIFF = 1, 2, 3
STORE_EVENTS = {OP_UNION: b"zunionstore", OP_INTER: b"zinterstore", OP_DIFF: b"zdiffstore"}
AGGREGATES = {b"SUM": "sum", b"MIN": "min", b"MAX": "max"}
ONE = 1.0


class Source:
    """One input of a set operation: a sorted set, a plain set (every score 1) or a missing key."""

    __slots__ = ("size", "value", "weight")

    def __init__(self, value):
        self.value = value
        self.weight = 1.0
        self.size = 0 if value is None else len(value)

    def items(self):
        value = self.value
        if value is None:
            return ()
        if value.__class__ is ZSet:
            return value.scores.items()
        return ((member, ONE) for member in value)

    def find(self, member: bytes) -> float | None:
        value = self.value
        if value is None:
            return None
        if value.__class__ is ZSet:
            return value.scores.get(member)
        return ONE if member in value else None


def read_sources(ctx: Context, keys: list[bytes]) -> list[Source]:
    """Sorted sets and sets are accepted as inputs; any other type is WRONGTYPE."""
    sources = []
    for key in keys:
        value = ctx.db.lookup(key, ctx.now_ms, ctx.touch)
        if value is None:
            ctx.server.stats.keyspace_misses += 1
            if ctx.server.notify_flags:
                keymiss(ctx, key)
        else:
            ctx.server.stats.keyspace_hits += 1
            if value.__class__ is not ZSet and not isinstance(value, (set, frozenset)):
                raise CommandError(errors.WRONGTYPE)
        sources.append(Source(value))
    return sources


def aggregate_into(accumulator: dict, member: bytes, value: float, how: str) -> None:
    current = accumulator[member]
    if how == "sum":
        total = current + value
        accumulator[member] = 0.0 if total != total else total  # inf + -inf is 0 by Redis's convention
    elif how == "min":
        if value < current:
            accumulator[member] = value
    elif value > current:
        accumulator[member] = value


def union_of(sources: list[Source], how: str) -> dict:
    accumulator: dict = {}
    for source in sources:
        weight = source.weight
        for member, score in source.items():
            score = weight * score
            if score != score:
                score = 0.0
            if member in accumulator:
                aggregate_into(accumulator, member, score, how)
            else:
                accumulator[member] = score
    return accumulator


def inter_of(sources: list[Source], how: str, limit: int | None = None):
    """The intersection as a dict; with a limit (ZINTERCARD), just the count (0 = no limit)."""
    first, rest = sources[0], sources[1:]
    result: dict = {}
    count = 0
    if not first.size:
        return 0 if limit is not None else result
    for member, base in first.items():
        score = first.weight * base
        if score != score:
            score = 0.0
        result[member] = score
        for source in rest:
            value = base if source.value is first.value else source.find(member)
            if value is None:
                del result[member]
                break
            aggregate_into(result, member, value * source.weight, how)
        else:
            if limit is not None:
                count += 1
                del result[member]
                if limit and count >= limit:
                    break
    return count if limit is not None else result


def diff_of(sources: list[Source]) -> dict:
    first, rest = sources[0], [source for source in sources[1:] if source.size]
    return {
        member: score for member, score in first.items() if not any(source.find(member) is not None for source in rest)
    }


def set_operation(
    ctx: Context,
    argv: Argv,
    numkeys_index: int,
    op: int,
    destination: bytes | None = None,
    cardinality_only: bool = False,
):
    """zunionInterDiffGenericCommand: numkeys, the keys (looked up first), then WEIGHTS / AGGREGATE /
    WITHSCORES / LIMIT as the command allows."""
    args = ArgCursor(argv, numkeys_index)
    name = argv[0].decode("latin-1").lower()
    sources = read_sources(ctx, args.next_keys(errors.NOT_INTEGER, errors.at_least_one_input_key(name)))
    how, withscores, limit = "sum", False, 0
    while args.more():
        option = args.next_upper()
        if op != OP_DIFF and not cardinality_only and option == b"WEIGHTS":
            for source, weight in zip(sources, args.take(len(sources))):
                source.weight = to_score(weight, errors.WEIGHT_NOT_FLOAT)
        elif op != OP_DIFF and not cardinality_only and option == b"AGGREGATE":
            how = keyword(args.next_bytes(), AGGREGATES)
        elif destination is None and not cardinality_only and option == b"WITHSCORES":
            withscores = True
        elif cardinality_only and option == b"LIMIT":
            limit = positive_long(args.next_bytes(), errors.LIMIT_NEGATIVE)
        else:
            raise CommandError(errors.SYNTAX)
    if op == OP_DIFF:
        result = diff_of(sources)
    else:
        sources.sort(key=lambda source: source.size)  # smallest first, as Redis iterates them
        if op == OP_INTER:
            result = inter_of(sources, how, limit if cardinality_only else None)
            if cardinality_only:
                return result
        else:
            result = union_of(sources, how)
    pairs = sorted((score, member) for member, score in result.items())
    if destination is not None:
        return store_result(ctx, destination, pairs, STORE_EVENTS[op])
    return scored_reply(ctx, pairs, withscores)


@command(
    "zunion",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), KeyNum(0, 1))],
    group="sorted-set",
    since="6.2.0",
    complexity=UNION_COMPLEXITY,
)
def zunion_command(ctx: Context, argv: Argv):
    """ZUNION numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES] — Add
    multiple sorted sets"""
    return set_operation(ctx, argv, 1, OP_UNION)


@command(
    "zinter",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), KeyNum(0, 1))],
    group="sorted-set",
    since="6.2.0",
    complexity=INTER_COMPLEXITY,
)
def zinter_command(ctx: Context, argv: Argv):
    """ZINTER numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] [WITHSCORES] — Intersect
    multiple sorted sets"""
    return set_operation(ctx, argv, 1, OP_INTER)


@command(
    "zdiff",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), KeyNum(0, 1))],
    group="sorted-set",
    since="6.2.0",
    complexity=DIFF_COMPLEXITY,
)
def zdiff_command(ctx: Context, argv: Argv):
    """ZDIFF numkeys key [key ...] [WITHSCORES] — Subtract multiple sorted sets"""
    return set_operation(ctx, argv, 1, OP_DIFF)


@command(
    "zunionstore",
    arity=-4,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2), KeyNum(0, 1))],
    group="sorted-set",
    since="2.0.0",
    complexity="O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M "
    "being the number of elements in the resulting sorted set.",
)
def zunionstore_command(ctx: Context, argv: Argv):
    """ZUNIONSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] — Add
    multiple sorted sets and store the resulting sorted set in a new key"""
    return set_operation(ctx, argv, 2, OP_UNION, argv[1])


@command(
    "zinterstore",
    arity=-4,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2), KeyNum(0, 1))],
    group="sorted-set",
    since="2.0.0",
    complexity=INTER_COMPLEXITY,
)
def zinterstore_command(ctx: Context, argv: Argv):
    """ZINTERSTORE destination numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>] —
    Intersect multiple sorted sets and store the resulting sorted set in a new key"""
    return set_operation(ctx, argv, 2, OP_INTER, argv[1])


@command(
    "zdiffstore",
    arity=-4,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2), KeyNum(0, 1))],
    group="sorted-set",
    since="6.2.0",
    complexity=DIFF_COMPLEXITY,
)
def zdiffstore_command(ctx: Context, argv: Argv):
    """ZDIFFSTORE destination numkeys key [key ...] — Subtract multiple sorted sets and store the resulting sorted set
    in a new key"""
    return set_operation(ctx, argv, 2, OP_DIFF, argv[1])


@command(
    "zintercard",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), KeyNum(0, 1))],
    group="sorted-set",
    since="7.0.0",
    complexity="O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
)
def zintercard_command(ctx: Context, argv: Argv):
    """ZINTERCARD numkeys key [key ...] [LIMIT limit] — Intersect multiple sorted sets and return the cardinality of the
    result"""
    return set_operation(ctx, argv, 1, OP_INTER, cardinality_only=True)


# -- ZRANDMEMBER, ZSCAN -------------------------------------------------------------------------------------


@command(
    "zrandmember",
    arity=-2,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="6.2.0",
    complexity="O(N) where N is the number of elements returned",
)
def zrandmember_command(ctx: Context, argv: Argv):
    """ZRANDMEMBER key [count [WITHSCORES]] — Get one or multiple random elements from a sorted set"""
    if len(argv) < 3:
        zset = lookup_zset_read(ctx, argv[1])
        if zset is None:
            return None
        return zset.ordered[random.randrange(len(zset))][1]
    count, withscores = parse_random_count(argv, b"WITHSCORES")
    zset = lookup_zset_read(ctx, argv[1])
    if zset is None or count == 0:
        return []
    ordered, size = zset.ordered, len(zset)
    if count < 0:
        pairs = [ordered[random.randrange(size)] for _ in range(-count)]
    elif count >= size:
        pairs = list(ordered)
    else:
        pairs = [ordered[index] for index in random.sample(range(size), count)]
    return scored_reply(ctx, pairs, withscores)


@command(
    "zscan",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="sorted-set",
    since="2.8.0",
    complexity="O(1) for every call. O(N) for a complete iteration, including enough command calls for the "
    "cursor to return back to 0. N is the number of elements inside the collection..",
)
def zscan_command(ctx: Context, argv: Argv):
    """ZSCAN key cursor [MATCH pattern] [COUNT count] — Incrementally iterate sorted sets elements and associated
    scores"""
    cursor = parse_cursor(argv[2])
    zset = lookup_zset_read(ctx, argv[1])
    if zset is None:
        return [b"0", []]
    count, pattern, _ = parse_scan_options(argv, 3)
    if zset.listpack:  # a listpack is returned whole, in order, whatever the cursor
        next_cursor, members = 0, [member for _, member in zset.ordered]
    else:
        next_cursor, members = ctx.db.scans.page(zset.scores, cursor, count)
    if pattern is not None and pattern != b"*":
        match = compile_glob(pattern).match
        members = [member for member in members if match(member)]
    scores = zset.scores
    text = listpack_score_text if zset.listpack else format_double
    reply = []
    for member in members:
        score = scores.get(member)
        if score is not None:  # skip members removed since the scan's snapshot
            reply.append(member)
            reply.append(text(score))
    return [b"%d" % next_cursor, reply]


def listpack_score_text(score: float) -> bytes:
    """A listpack keeps an integral score within +-2**62 as an integer (double2ll), which ZSCAN shows."""
    if -LISTPACK_INT_LIMIT <= score <= LISTPACK_INT_LIMIT and score == int(score):
        return b"%d" % int(score)
    return format_double(score)
