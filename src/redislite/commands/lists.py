"""List commands: LPUSH, RPUSH, LPUSHX, RPUSHX, LPOP, RPOP, LLEN, LRANGE, LINDEX, LSET, LINSERT, LREM, LTRIM,
LPOS, LMOVE, RPOPLPUSH, LMPOP, and the blocking BLPOP, BRPOP, BRPOPLPUSH, BLMOVE, BLMPOP.

Lists are `ListValue` deques (storage/lists.py); OBJECT ENCODING says "quicklist" for every list, as Redis
7.0 does (listpack-encoded lists arrived in 7.2). A list that a command empties is deleted at once, so no
key ever holds an empty list.

The push, pop and move logic lives in `list_push`, `list_pop`, `list_move` and `list_mpop`, which the
blocking commands reuse: each takes an already-parsed request and does the whole write (dirty counter,
emptied-key deletion) or answers None when there was nothing to pop.

Check order follows t_list.c, because it decides which error a bad request gets: LRANGE, LTRIM and LREM
parse their integers before looking at the key; LINDEX and LSET look at the key first.
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import NULL_ARRAY, OK
from ..storage.lists import ListValue
from .args import INT64_MIN, ArgCursor, keyword, parse_mpop, parse_timeout, positive_long, to_int
from .blocking import Block
from .context import Argv, Context
from .keys import lookup_read_as, lookup_write_as
from .notifications import NOTIFY_GENERIC, NOTIFY_LIST, new_key, notify
from .registry import Index, KeyNum, KeySpec, Range, command

PUSH_COMPLEXITY = (
    "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments."
)
POP_COMPLEXITY = "O(N) where N is the number of elements returned"


# -- lookups ------------------------------------------------------------------------------------------------


def lookup_list_read(ctx: Context, key: bytes) -> ListValue | None:
    return lookup_read_as(ctx, key, ListValue)


def lookup_list_write(ctx: Context, key: bytes) -> ListValue | None:
    return lookup_write_as(ctx, key, ListValue)


LIST_SIDES = {b"LEFT": True, b"RIGHT": False}  # getListPositionFromObjectOrReply: is it the head?


def drop_if_empty(ctx: Context, key: bytes, value: ListValue) -> None:
    """Delete an emptied list; its "del" event follows the command's own."""
    if not value:
        ctx.db.delete(key)
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_GENERIC, b"del", key)


# -- the reusable writes (the blocking commands call these too) ---------------------------------------------


def list_push(ctx: Context, key: bytes, elements: list[bytes], left: bool, only_if_exists: bool = False) -> int:
    """LPUSH / RPUSH (LPUSHX / RPUSHX with only_if_exists): the list's new length, 0 when XX found no key."""
    value = lookup_list_write(ctx, key)
    created = value is None
    if value is None:
        if only_if_exists:
            return 0
        value = ListValue()
        ctx.db.store(key, value, touch=ctx.touch)
    if left:
        value.extendleft(elements)
    else:
        value.extend(elements)
    ctx.server.dirty += len(elements)
    if ctx.server.notify_flags:
        if created:
            new_key(ctx, key)
        notify(ctx, NOTIFY_LIST, b"lpush" if left else b"rpush", key)
    return len(value)


def list_pop(ctx: Context, key: bytes, left: bool, count: int | None = None):
    """LPOP / RPOP: one element (count None) or a list of up to count elements; None when the key is
    missing. WRONGTYPE for a non-list. A list emptied by the pop is deleted."""
    value = lookup_list_write(ctx, key)
    if value is None:
        return None
    if count is None:
        popped = value.popleft() if left else value.pop()
        ctx.server.dirty += 1
    else:
        popped = value.pop_many(count, left)
        ctx.server.dirty += len(popped)
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_LIST, b"lpop" if left else b"rpop", key)
    drop_if_empty(ctx, key, value)
    return popped


def list_move(ctx: Context, source: bytes, destination: bytes, from_left: bool, to_left: bool) -> bytes | None:
    """LMOVE: pop from source, push to destination, return the element; None when source is missing.
    The destination's type is checked only once the source is known to have an element, as Redis does,
    and nothing moves when it is wrong."""
    source_list = lookup_list_write(ctx, source)
    if source_list is None:
        return None
    target = lookup_list_write(ctx, destination)
    element = source_list.popleft() if from_left else source_list.pop()
    created = target is None
    if target is None:
        target = ListValue()
        ctx.db.store(destination, target, touch=ctx.touch)
    if to_left:
        target.appendleft(element)
    else:
        target.append(element)
    if ctx.server.notify_flags:  # Redis pushes (and tells) before it tells of the pop
        if created:
            new_key(ctx, destination)
        notify(ctx, NOTIFY_LIST, b"lpush" if to_left else b"rpush", destination)
        notify(ctx, NOTIFY_LIST, b"lpop" if from_left else b"rpop", source)
    drop_if_empty(ctx, source, source_list)  # source == destination never ends up empty
    ctx.server.dirty += 1
    return element


def list_mpop(ctx: Context, keys: list[bytes], left: bool, count: int) -> list | None:
    """LMPOP: [key, [elements]] from the first non-empty list among keys; None when all are missing.
    A key of another type met before a list is WRONGTYPE."""
    for key in keys:
        value = lookup_list_write(ctx, key)
        if value is not None:
            popped = list_pop(ctx, key, left, count)
            # what was popped, from where, is settled: replay pops the same (a key named LEFT is no option)
            ctx.propagate_as([b"LPOP" if left else b"RPOP", key, b"%d" % len(popped)])
            return [key, popped]
    return None


# -- push and pop -------------------------------------------------------------------------------------------


@command(
    "lpush",
    arity=-3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="list",
    complexity=PUSH_COMPLEXITY,
)
def lpush_command(ctx: Context, argv: Argv):
    """LPUSH key element [element ...] — Prepend one or multiple elements to a list"""
    return list_push(ctx, argv[1], argv[2:], left=True)


@command(
    "rpush",
    arity=-3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="list",
    complexity=PUSH_COMPLEXITY,
)
def rpush_command(ctx: Context, argv: Argv):
    """RPUSH key element [element ...] — Append one or multiple elements to a list"""
    return list_push(ctx, argv[1], argv[2:], left=False)


@command(
    "lpushx",
    arity=-3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="list",
    since="2.2.0",
    complexity=PUSH_COMPLEXITY,
)
def lpushx_command(ctx: Context, argv: Argv):
    """LPUSHX key element [element ...] — Prepend an element to a list, only if the list exists"""
    return list_push(ctx, argv[1], argv[2:], left=True, only_if_exists=True)


@command(
    "rpushx",
    arity=-3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="list",
    since="2.2.0",
    complexity=PUSH_COMPLEXITY,
)
def rpushx_command(ctx: Context, argv: Argv):
    """RPUSHX key element [element ...] — Append an element to a list, only if the list exists"""
    return list_push(ctx, argv[1], argv[2:], left=False, only_if_exists=True)


def pop_generic(ctx: Context, argv: Argv, left: bool):
    """popGenericCommand: the count is parsed before the key is looked at; a missing key is a null bulk
    without a count and a null array with one; COUNT 0 on an existing list is an empty array."""
    if len(argv) > 3:
        raise CommandError(errors.wrong_arity("lpop" if left else "rpop"))
    if len(argv) == 2:
        return list_pop(ctx, argv[1], left)
    count = positive_long(argv[2])
    if count == 0:
        return [] if lookup_list_write(ctx, argv[1]) is not None else NULL_ARRAY
    popped = list_pop(ctx, argv[1], left, count)
    return NULL_ARRAY if popped is None else popped


@command(
    "lpop",
    arity=-2,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1))],
    group="list",
    complexity=POP_COMPLEXITY,
)
def lpop_command(ctx: Context, argv: Argv):
    """LPOP key [count] — Remove and get the first elements in a list"""
    return pop_generic(ctx, argv, left=True)


@command(
    "rpop",
    arity=-2,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1))],
    group="list",
    complexity=POP_COMPLEXITY,
)
def rpop_command(ctx: Context, argv: Argv):
    """RPOP key [count] — Remove and get the last elements in a list"""
    return pop_generic(ctx, argv, left=False)


# -- reading ------------------------------------------------------------------------------------------------


@command("llen", arity=2, flags="readonly fast", key_specs=[KeySpec("RO", Index(1))], group="list", complexity="O(1)")
def llen_command(ctx: Context, argv: Argv):
    """LLEN key — Get the length of a list"""
    value = lookup_list_read(ctx, argv[1])
    return 0 if value is None else len(value)


def clamp_range(start: int, stop: int, length: int) -> tuple[int, int] | None:
    """Redis's range arithmetic: negative indexes count from the end; None for an empty range."""
    if start < 0:
        start += length
    if stop < 0:
        stop += length
    if start < 0:
        start = 0
    if start > stop or start >= length:
        return None
    return start, min(stop, length - 1)


@command(
    "lrange",
    arity=4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="list",
    complexity="O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end "
    "(HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
)
def lrange_command(ctx: Context, argv: Argv):
    """LRANGE key start stop — Get a range of elements from a list"""
    start, stop = to_int(argv[2]), to_int(argv[3])
    value = lookup_list_read(ctx, argv[1])
    if value is None:
        return []
    bounds = clamp_range(start, stop, len(value))
    return [] if bounds is None else value.range(*bounds)


@command(
    "lindex",
    arity=3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="list",
    complexity="O(N) where N is the number of elements to traverse to get to the element at index. This "
    "makes asking for the first or the last element of the list O(1).",
)
def lindex_command(ctx: Context, argv: Argv):
    """LINDEX key index — Get an element from a list by its index"""
    value = lookup_list_read(ctx, argv[1])
    if value is None:
        return None
    index = to_int(argv[2])
    if index < 0:
        index += len(value)
    return value[index] if 0 <= index < len(value) else None


@command(
    "lpos",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="list",
    since="6.0.6",
    complexity="O(N) where N is the number of elements in the list, for the average case. When searching for "
    "elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may "
    "run in constant time.",
)
def lpos_command(ctx: Context, argv: Argv):
    """LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len] — Return the index of matching elements on a
    list"""
    rank, count, maxlen = 1, None, 0
    args = ArgCursor(argv, 3)
    while args.more():
        option, argument = args.take(2)  # every option takes one argument: without it, a syntax error
        option = option.upper()
        if option == b"RANK":
            rank = to_int(argument)
            if rank == 0:
                raise CommandError(errors.LPOS_RANK_ZERO)
        elif option == b"COUNT":
            count = positive_long(argument, errors.LPOS_COUNT_NEGATIVE)
        elif option == b"MAXLEN":
            maxlen = positive_long(argument, errors.LPOS_MAXLEN_NEGATIVE)
        else:
            raise CommandError(errors.SYNTAX)
    value = lookup_list_read(ctx, argv[1])
    if value is None:
        return None if count is None else []
    limit = 1 if count is None else count
    if rank == INT64_MIN:
        # Redis negates the rank in a C long: LONG_MIN stays negative, so every match from the tail
        # counts, and the COUNT test overflows and never stops the scan.
        rank, limit = -1, (1 if count is None else 0)
    found = value.positions(argv[2], rank, limit, maxlen)
    if count is not None:
        return found
    return found[0] if found else None


# -- changing elements --------------------------------------------------------------------------------------


@command(
    "lset",
    arity=4,
    flags="write denyoom",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="list",
    complexity="O(N) where N is the length of the list. Setting either the first or the last element of the "
    "list is O(1).",
)
def lset_command(ctx: Context, argv: Argv):
    """LSET key index element — Set the value of an element in a list by its index"""
    value = lookup_list_write(ctx, argv[1])
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    index = to_int(argv[2])
    if index < 0:
        index += len(value)
    if not 0 <= index < len(value):
        raise CommandError(errors.INDEX_OUT_OF_RANGE)
    value[index] = argv[3]
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_LIST, b"lset", argv[1])
    return OK


@command(
    "linsert",
    arity=5,
    flags="write denyoom",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="list",
    since="2.2.0",
    complexity="O(N) where N is the number of elements to traverse before seeing the value pivot. This means "
    "that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting "
    "somewhere on the right end (tail) is O(N).",
)
def linsert_command(ctx: Context, argv: Argv):
    """LINSERT key <BEFORE | AFTER> pivot element — Insert an element before or after another element in a list"""
    after = keyword(argv[2], {b"BEFORE": False, b"AFTER": True})
    value = lookup_list_write(ctx, argv[1])
    if value is None:
        return 0
    if not value.insert_near(argv[3], argv[4], after=after):
        return -1
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_LIST, b"linsert", argv[1])
    return len(value)


@command(
    "lrem",
    arity=4,
    flags="write",
    key_specs=[KeySpec("RW DELETE", Index(1))],
    group="list",
    complexity="O(N+M) where N is the length of the list and M is the number of elements removed.",
)
def lrem_command(ctx: Context, argv: Argv):
    """LREM key count element — Remove elements from a list"""
    count = to_int(argv[2])
    value = lookup_list_write(ctx, argv[1])
    if value is None:
        return 0
    removed = value.remove_matching(argv[3], count)
    if removed:
        ctx.server.dirty += removed
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_LIST, b"lrem", argv[1])
        drop_if_empty(ctx, argv[1], value)
    return removed


@command(
    "ltrim",
    arity=4,
    flags="write",
    key_specs=[KeySpec("RW DELETE", Index(1))],
    group="list",
    complexity="O(N) where N is the number of elements to be removed by the operation.",
)
def ltrim_command(ctx: Context, argv: Argv):
    """LTRIM key start stop — Trim a list to the specified range"""
    start, stop = to_int(argv[2]), to_int(argv[3])
    value = lookup_list_write(ctx, argv[1])
    if value is None:
        return OK
    length = len(value)
    if start < 0:
        start += length
    if stop < 0:
        stop += length
    ctx.server.dirty += value.trim(max(start, 0), stop)
    if ctx.server.notify_flags:
        notify(ctx, NOTIFY_LIST, b"ltrim", argv[1])
    drop_if_empty(ctx, argv[1], value)
    return OK


# -- moving between lists -----------------------------------------------------------------------------------


@command(
    "lmove",
    arity=5,
    flags="write denyoom",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1)), KeySpec("RW INSERT", Index(2))],
    group="list",
    since="6.2.0",
    complexity="O(1)",
)
def lmove_command(ctx: Context, argv: Argv):
    """LMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> — Pop an element from a list, push it to another list and
    return it"""
    from_left, to_left = keyword(argv[3], LIST_SIDES), keyword(argv[4], LIST_SIDES)
    return list_move(ctx, argv[1], argv[2], from_left, to_left)


@command(
    "rpoplpush",
    arity=3,
    flags="write denyoom",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1)), KeySpec("RW INSERT", Index(2))],
    group="list",
    since="1.2.0",
    complexity="O(1)",
)
def rpoplpush_command(ctx: Context, argv: Argv):
    """RPOPLPUSH source destination — Remove the last element in a list, prepend it to another list and return it"""
    return list_move(ctx, argv[1], argv[2], from_left=False, to_left=True)


@command(
    "lmpop",
    arity=-4,
    flags="write",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1), KeyNum(0, 1))],
    group="list",
    since="7.0.0",
    complexity="O(N+M) where N is the number of provided keys and M is the number of elements returned.",
)
def lmpop_command(ctx: Context, argv: Argv):
    """LMPOP numkeys key [key ...] <LEFT | RIGHT> [COUNT count] — Pop elements from a list"""
    keys, left, count = parse_mpop(argv, 1, LIST_SIDES)
    popped = list_mpop(ctx, keys, left, count)
    return NULL_ARRAY if popped is None else popped


# -- blocking -----------------------------------------------------------------------------------------------
# Each serves at once when it can; otherwise it returns a Block and the engine runs it again when one of its
# keys is written. A key of another type is WRONGTYPE, whether met now or when the client is woken.


def blocking_pop(ctx: Context, keys: list[bytes], timeout_raw: bytes, left: bool):
    timeout_ms = parse_timeout(timeout_raw)
    for key in keys:
        value = lookup_list_write(ctx, key)
        if value is not None:
            ctx.propagate_as([b"LPOP" if left else b"RPOP", key])  # the key served, not the whole wait
            return [key, list_pop(ctx, key, left)]
    return Block(keys, timeout_ms, NULL_ARRAY)


@command(
    "blpop",
    arity=-3,
    flags="write noscript blocking",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1), Range(-2))],
    group="list",
    since="2.0.0",
    complexity="O(N) where N is the number of provided keys.",
)
def blpop_command(ctx: Context, argv: Argv):
    """BLPOP key [key ...] timeout — Remove and get the first element in a list, or block until one is available"""
    return blocking_pop(ctx, argv[1:-1], argv[-1], left=True)


@command(
    "brpop",
    arity=-3,
    flags="write noscript blocking",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1), Range(-2))],
    group="list",
    since="2.0.0",
    complexity="O(N) where N is the number of provided keys.",
)
def brpop_command(ctx: Context, argv: Argv):
    """BRPOP key [key ...] timeout — Remove and get the last element in a list, or block until one is available"""
    return blocking_pop(ctx, argv[1:-1], argv[-1], left=False)


def blocking_move(
    ctx: Context,
    source: bytes,
    destination: bytes,
    from_left: bool,
    to_left: bool,
    timeout_raw: bytes,
    served_as: list[bytes],
):
    """BRPOPLPUSH and BLMOVE; a served move propagates as served_as, its non-blocking form."""
    timeout_ms = parse_timeout(timeout_raw)
    moved = list_move(ctx, source, destination, from_left, to_left)
    if moved is not None:
        ctx.propagate_as(served_as)
        return moved
    return Block([source], timeout_ms, NULL_ARRAY, None)  # a timeout is *-1; inside MULTI it is a null bulk


@command(
    "brpoplpush",
    arity=4,
    flags="write denyoom noscript blocking",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1)), KeySpec("RW INSERT", Index(2))],
    group="list",
    since="2.2.0",
    complexity="O(1)",
)
def brpoplpush_command(ctx: Context, argv: Argv):
    """BRPOPLPUSH source destination timeout — Pop an element from a list, push it to another list and return it; or
    block until one is available"""
    return blocking_move(ctx, argv[1], argv[2], False, True, argv[3], [b"RPOPLPUSH", argv[1], argv[2]])


@command(
    "blmove",
    arity=6,
    flags="write denyoom noscript blocking",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1)), KeySpec("RW INSERT", Index(2))],
    group="list",
    since="6.2.0",
    complexity="O(1)",
)
def blmove_command(ctx: Context, argv: Argv):
    """BLMOVE source destination <LEFT | RIGHT> <LEFT | RIGHT> timeout — Pop an element from a list, push it to another
    list and return it; or block until one is available"""
    from_left, to_left = keyword(argv[3], LIST_SIDES), keyword(argv[4], LIST_SIDES)
    return blocking_move(ctx, argv[1], argv[2], from_left, to_left, argv[5], [b"LMOVE", *argv[1:5]])


@command(
    "blmpop",
    arity=-5,
    flags="write blocking",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(2), KeyNum(0, 1))],
    group="list",
    since="7.0.0",
    complexity="O(N+M) where N is the number of provided keys and M is the number of elements returned.",
)
def blmpop_command(ctx: Context, argv: Argv):
    """BLMPOP timeout numkeys key [key ...] <LEFT | RIGHT> [COUNT count] — Pop elements from a list, or block until one
    is available"""
    # Redis checks numkeys, LEFT|RIGHT and COUNT before the timeout.
    keys, left, count = parse_mpop(argv, 2, LIST_SIDES)
    timeout_ms = parse_timeout(argv[1])
    popped = list_mpop(ctx, keys, left, count)
    return Block(keys, timeout_ms, NULL_ARRAY) if popped is None else popped
