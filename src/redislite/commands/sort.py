"""Sorting: SORT and SORT_RO.

SORT reads a list, set or sorted set (a missing key sorts as an empty list), orders its elements, keeps a
LIMIT window and replies the elements, or what GET patterns find for them, or stores that as a list.

Compatibility notes, all following sort.c in Redis 7.0:

- Options are matched as C strings: Redis compares them with strcasecmp and looks for `*` / `->` in
  patterns with strchr / strstr, so everything after a NUL byte is invisible to those checks.
- Numeric sorting parses each weight with strtod: leading whitespace, hex and `inf` are accepted; trailing
  bytes, NaN, overflow and underflow (subnormal results included) make the whole command fail. Equal scores
  are ordered by comparing the elements as binary strings, so the order is always fully determined.
- ALPHA compares with strcoll, which in the C (and C.UTF-8) locale is strcmp: a NUL byte ends the
  comparison. With STORE Redis compares binary-safe instead. Elements whose BY weight is missing sort first.
- Redis sorts with the C library's qsort (glibc: a stable merge sort), except with BY and a LIMIT that
  leaves elements out, where it uses its own partial quicksort (pqsort.c). That one is not stable, so
  ALPHA ties (equal or missing weights) come out in the order its partitioning leaves them; it is
  reproduced step by step in `partial_quicksort` for exactly that case.
- `BY pattern` without `*` skips sorting: lists and sorted sets keep their order (reversed by DESC) with
  LIMIT applied to that order; a set keeps its iteration order, except with STORE, where Redis sorts it
  ALPHA so replicas store the same list. A sorted set is converted to the skiplist encoding by any SORT.
"""

import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import errors
from ..errors import CommandError, c_string
from ..storage.hashes import HashValue
from ..storage.lists import ListValue
from ..storage.pqsort import pqsort
from ..storage.sets import SetValue
from ..storage.zset import ZSet
from .args import ArgCursor, strtod
from .context import Argv, Context
from .keys import lookup_read
from .notifications import NOTIFY_GENERIC, NOTIFY_LIST, new_key, notify
from .propagate import in_batches
from .registry import UNKNOWN, Index, KeyFlag, KeySpec, command

SORT_COMPLEXITY = (
    "O(N+M*log(M)) where N is the number of elements in the list or set to sort, and M the number of "
    "returned elements. When the elements are not sorted, complexity is O(N)."
)
SMALLEST_NORMAL = 2.2250738585072014e-308  # DBL_MIN: glibc's strtod reports ERANGE below it
DECIMAL_CHARACTERS = b"0123456789.-"


@dataclass(slots=True)
class SortRequest:
    """SORT's options as parsed; `dontsort` is set by a BY pattern without `*` and never reset."""

    desc: bool = False
    alpha: bool = False
    limit_start: int = 0
    limit_count: int = -1
    by: bytes | None = None
    dontsort: bool = False
    gets: list = field(default_factory=list)
    store: bytes | None = None


def parse_sort_request(argv: list[bytes], readonly: bool, full_key_access: bool = True) -> SortRequest:
    """The options after the key, left to right; the first bad one decides the error. STORE is not an
    option of SORT_RO at all, so there it is a syntax error. A BY pattern or GET reads keys no key spec names,
    so they need a user that may read every key (`full_key_access`)."""
    request = SortRequest()
    args = ArgCursor(argv, 2)
    while args.more():
        option = c_string(args.next_bytes()).upper()
        if option == b"ASC":
            request.desc = False
        elif option == b"DESC":
            request.desc = True
        elif option == b"ALPHA":
            request.alpha = True
        elif option == b"LIMIT":
            request.limit_start, request.limit_count = args.next_limit()
        elif option == b"STORE" and not readonly:
            request.store = args.next_bytes()
        elif option == b"BY":
            request.by = args.next_bytes()
            if b"*" not in c_string(request.by):
                request.dontsort = True
            elif not full_key_access:
                raise CommandError(errors.SORT_BY_DENIED)
        elif option == b"GET":
            request.gets.append(args.next_bytes())
            if not full_key_access:
                raise CommandError(errors.SORT_GET_DENIED)
        else:
            raise CommandError(errors.SYNTAX)
    return request


# Where SORT finds its keys: Redis's key specs, and sortGetKeys for the STORE destination they cannot locate.
SORTED_KEY = KeySpec("RO ACCESS", Index(1))
PATTERN_KEYS = KeySpec(
    "RO ACCESS",
    UNKNOWN,
    UNKNOWN,
    notes="For the optional BY/GET keyword. It is marked 'unknown' "
    "because the key names derive from the content of the key we sort",
)
STORE_KEY = KeySpec(
    "OW UPDATE",
    UNKNOWN,
    UNKNOWN,
    notes="For the optional STORE keyword. It is marked 'unknown' "
    "because the keyword can appear anywhere in the argument array",
)


def sort_keys(argv: list[bytes]) -> list[tuple[int, KeyFlag]]:
    """sortGetKeys: the sorted key, plus the last STORE destination. LIMIT, GET and BY skip their
    arguments; any other word is taken to have none (STORE's own argument is looked at as an option)."""
    store = None
    pos = 2
    while pos < len(argv):
        option = c_string(argv[pos]).lower()
        if option == b"limit":
            pos += 2
        elif option in (b"get", b"by"):
            pos += 1
        elif option == b"store" and pos + 1 < len(argv):
            store = pos + 1
        pos += 1
    keys = [(1, SORTED_KEY.flags)]
    return keys if store is None else [*keys, (store, STORE_KEY.flags)]


# -- looking up weights and GET values ---------------------------------------------------------------------


def lookup_by_pattern(ctx: Context, pattern: bytes, element: bytes) -> bytes | None:
    """lookupKeyByPattern: `#` is the element itself; otherwise the first `*` becomes the element and the
    key's string value (or, with `key->field`, the hash field's value) is the answer. A pattern without
    `*`, a missing key or field, or a key of another type answers None."""
    if pattern[:1] == b"#" and (len(pattern) == 1 or pattern[1] == 0):
        return element
    visible = c_string(pattern)
    star = visible.find(b"*")
    if star < 0:
        return None
    arrow = visible.find(b"->", star + 1)
    if arrow >= 0 and arrow + 2 < len(visible):
        key = pattern[:star] + element + pattern[star + 1 : arrow]
        field = pattern[arrow + 2 :]
    else:
        key = pattern[:star] + element + pattern[star + 1 :]
        field = None
    value = lookup_read(ctx, key, ctx.touch)
    if value is None:
        return None
    if field is not None:
        return value.get(field) if value.__class__ is HashValue else None
    return value if value.__class__ is bytes else None


def sort_score(raw: bytes) -> float | None:
    """The double SORT sorts by: strtod must stop at the end (or at a NUL), without ERANGE or NaN."""
    if len(raw) <= 30 and not raw.translate(None, DECIMAL_CHARACTERS):
        try:  # plain decimals, the common case: short enough that they cannot overflow or underflow
            return float(raw)
        except ValueError:
            pass  # "-", "1.2.3", "" ...: strtod decides
    value, end, erange = strtod(raw)
    if end < len(raw) and raw[end] != 0:
        return None
    if math.isnan(value) or erange or (value and abs(value) < SMALLEST_NORMAL):
        return None
    return value


# -- ordering ----------------------------------------------------------------------------------------------


def compare(a, b) -> int:
    return (a > b) - (a < b)


def partial_quicksort(keys: list, desc: bool, low: int, high: int) -> list[int]:
    """The order (indexes into keys, descending when desc) that Redis's pqsort leaves for positions low..high
    (storage/pqsort.py): its tie order shows in SORT's reply."""
    sign = -1 if desc else 1
    pairs = list(zip(keys, range(len(keys))))
    pqsort(pairs, lambda a, b: sign * compare(a[0], b[0]), low, high)
    return [index for _, index in pairs]


def limit_window(request: SortRequest, length: int) -> tuple[int, int]:
    """LIMIT's sanity rules: a negative offset is 0, a negative count means all, a window past the end
    is empty. Returns inclusive (start, end); end < start when nothing is left."""
    start = min(max(request.limit_start, 0), length)
    count = min(max(request.limit_count, -1), length)
    end = length - 1 if count < 0 else start + count - 1
    if start >= length:
        start, end = length - 1, length - 2
    return start, min(end, length - 1)


def set_members(value: SetValue) -> list[bytes]:
    """A set in iteration order; for an intset that is Redis's order too (ascending integers)."""
    return sorted(value, key=int) if value.intset else list(value)


def unsorted_window(source, request: SortRequest, start: int, end: int) -> list[bytes]:
    """BY without `*`: the source's own order, reversed by DESC for lists and sorted sets."""
    if end < start:
        return []
    if source.__class__ is ListValue:
        if request.desc:
            length = len(source)
            window = source.range(length - 1 - end, length - 1 - start)
            window.reverse()
            return window
        return source.range(start, end)
    if source.__class__ is ZSet:
        return [member for _, member in source.by_rank(start, end, reverse=request.desc)]
    return set_members(source)[start : end + 1]


def sorted_window(ctx: Context, source, request: SortRequest, start: int, end: int, alpha: bool, by) -> list[bytes]:
    """Load every element, look up its weight, sort, and keep start..end."""
    if source.__class__ is SetValue:
        elements = set_members(source)
    elif source.__class__ is ZSet:
        elements = list(source.scores)
    else:
        elements = list(source)
    weights: Sequence[bytes | None]
    if by is not None:
        weights = [lookup_by_pattern(ctx, by, element) for element in elements]
    else:
        weights = elements
    binary = request.store is not None  # with STORE Redis compares binary-safe instead of with strcoll
    keys: list  # what sorts each element: its bytes, (found, bytes) or its score, with the element on ties
    if alpha:
        if by is None:
            keys = elements if binary else [c_string(element) for element in elements]
        else:
            keys = [(0, b"") if weight is None else (1, weight if binary else c_string(weight)) for weight in weights]
    else:
        keys = [0.0 if weight is None else sort_score(weight) for weight in weights]
        if None in keys:
            raise CommandError(errors.SORT_NOT_DOUBLE)
        if len(set(keys)) < len(keys):  # equal scores: the elements decide, as binary strings
            keys = list(zip(keys, elements))
    if end < start:
        return []
    if by is not None and alpha and (start != 0 or end != len(keys) - 1) and len(set(keys)) < len(keys):
        order = partial_quicksort(keys, request.desc, start, end)[start : end + 1]
    else:
        order = sorted_positions(keys, request.desc, end + 1)[start:]
    return [elements[index] for index in order]


def sorted_positions(keys: list, desc: bool, count: int) -> list[int]:
    """The first count indexes of keys in stable sorted order (glibc's qsort is a stable merge sort)."""
    if count * 8 < len(keys):
        select = heapq.nlargest if desc else heapq.nsmallest  # documented to equal sorted(...)[:count]
        return select(count, range(len(keys)), key=keys.__getitem__)
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=desc)[:count]


# -- the commands ------------------------------------------------------------------------------------------


def sort_generic(ctx: Context, argv: Argv, readonly: bool):
    user = ctx.script_caller.user if ctx.script_caller is not None else ctx.user  # a script runs as its caller
    sort_acl = ctx.server.engine.commands["sort_ro" if readonly else "sort"].acl
    request = parse_sort_request(argv, readonly, user.unrestricted or user.reads_every_key(sort_acl, argv))
    source = lookup_read(ctx, argv[1], ctx.touch)
    if source is None:
        source = ListValue()
    elif source.__class__ not in (ListValue, SetValue, ZSet):
        raise CommandError(errors.WRONGTYPE)
    dontsort, alpha, by = request.dontsort, request.alpha, request.by
    if dontsort and source.__class__ is SetValue and request.store is not None:
        dontsort, alpha, by = False, True, None  # a stored set must not depend on hash-table order
    if source.__class__ is ZSet:
        source.listpack = False
    start, end = limit_window(request, len(source))
    if dontsort:
        window = unsorted_window(source, request, start, end)
    else:
        window = sorted_window(ctx, source, request, start, end, alpha, by)
    if request.store is not None:
        return store_sorted(ctx, request, request.store, window)
    if not request.gets:
        return window
    reply = []
    for element in window:
        for pattern in request.gets:
            reply.append(lookup_by_pattern(ctx, pattern, element))
    return reply


def store_sorted(ctx: Context, request: SortRequest, destination: bytes, window: list[bytes]) -> int:
    """STORE: replace the destination (any type, any TTL) with the result as a list, a missing GET value
    stored as an empty string; an empty result deletes the destination."""
    if request.gets:
        items = [lookup_by_pattern(ctx, pattern, element) or b"" for element in window for pattern in request.gets]
    else:
        items = window
    if items:
        notifying = ctx.server.notify_flags
        if notifying:  # setKey's lookupKeyWrite: an expired destination goes first, then "new"
            created = ctx.db.lookup(destination, ctx.now_ms) is None
        ctx.db.store(destination, ListValue(items), touch=ctx.touch)
        # the list it stored, not the SORT: ties may order differently elsewhere (a replica that is a Redis)
        ctx.propagate_as([b"DEL", destination], *in_batches(b"RPUSH", destination, items))
        ctx.server.dirty += len(items)
        if notifying:
            if created:
                new_key(ctx, destination)
            notify(ctx, NOTIFY_LIST, b"sortstore", destination)
    elif ctx.db.delete(destination):  # dbDelete: a destination already expired but not yet reclaimed too
        ctx.server.dirty += 1
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_GENERIC, b"del", destination)
    return len(items)


# Unlike the rest of the generic group, SORT and SORT_RO are not in @keyspace (Redis's JSON files list only these).
@command(
    "sort",
    arity=-2,
    flags="write denyoom",
    key_specs=[SORTED_KEY, PATTERN_KEYS, STORE_KEY],
    key_finder=sort_keys,
    group="generic",
    acl="@set @sortedset @list @dangerous -@keyspace",
    complexity=SORT_COMPLEXITY,
)
def sort_command(ctx: Context, argv: Argv):
    """SORT key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] [STORE
    destination] — Sort the elements in a list, set or sorted set"""
    return sort_generic(ctx, argv, readonly=False)


@command(
    "sort_ro",
    arity=-2,
    flags="readonly",
    key_specs=[SORTED_KEY, PATTERN_KEYS],
    group="generic",
    since="7.0.0",
    acl="@set @sortedset @list @dangerous -@keyspace",
    complexity=SORT_COMPLEXITY,
)
def sort_ro_command(ctx: Context, argv: Argv):
    """SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern [GET pattern ...]] [ASC | DESC] [ALPHA] — Sort the
    elements in a list, set or sorted set. Read-only variant of SORT."""
    return sort_generic(ctx, argv, readonly=True)
