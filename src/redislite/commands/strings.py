"""String commands: GET, SET, SETNX, SETEX, PSETEX, MGET, MSET, MSETNX, GETSET, GETDEL, GETEX, APPEND, STRLEN,
INCR, DECR, INCRBY, DECRBY, INCRBYFLOAT, GETRANGE, SETRANGE, SUBSTR, LCS.

Strings are stored as `bytes`. Reads that Redis does with lookupKeyRead count keyspace hits and misses;
writes (lookupKeyWrite) do not.
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK
from . import long_double
from .args import (
    EX,
    EXAT,
    GET,
    INT64_MAX,
    INT64_MIN,
    KEEPTTL,
    NX,
    PERSIST,
    PX,
    PXAT,
    XX,
    ArgCursor,
    expire_deadline,
    parse_expiry_options,
    parse_int,
    to_int,
)
from .context import Argv, Context
from .keys import already_expired, lookup_read_as, lookup_write_as
from .notifications import NOTIFY_GENERIC, NOTIFY_STRING, keymiss, new_key, notify
from .registry import Index, KeyFlag, KeySpec, Range, command


def lookup_string(ctx: Context, key: bytes):
    """A read lookup (lookupKeyRead): counts a keyspace hit or miss; WRONGTYPE for a non-string."""
    return lookup_read_as(ctx, key, bytes)


def lookup_string_write(ctx: Context, key: bytes):
    """A write lookup (lookupKeyWrite): WRONGTYPE for a non-string. It does not touch the key: every caller
    stores it next, which does."""
    return lookup_write_as(ctx, key, bytes, touch=False)


def set_generic(ctx: Context, key: bytes, value: bytes, flags: int, deadline: int | None):
    """setGenericCommand. Returns (whether the value was stored, the old value when GET was given)."""
    old = None
    if flags & GET:
        old = lookup_string(ctx, key)
        found = old is not None
    else:
        found = ctx.db.lookup(key, ctx.now_ms, ctx.touch) is not None
    if (flags & NX and found) or (flags & XX and not found):
        return False, old
    db = ctx.db
    db.store(key, value, keep_ttl=bool(flags & KEEPTTL), touch=ctx.touch)
    if deadline is not None:
        db.set_deadline(key, deadline)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        if not found:
            new_key(ctx, key)
        notify(ctx, NOTIFY_STRING, b"set", key)
        if deadline is not None:
            notify(ctx, NOTIFY_GENERIC, b"expire", key)
    return True, old


@command(
    "get", arity=2, flags="readonly fast", key_specs=[KeySpec("RO ACCESS", Index(1))], group="string", complexity="O(1)"
)
def get_command(ctx: Context, argv: Argv):
    """GET key — Get the value of a key"""
    # lookup_string, inlined: GET is the benchmark's hot path.
    value = ctx.db.lookup(argv[1], ctx.now_ms, ctx.touch)
    if value is None:
        ctx.server.stats.keyspace_misses += 1
        if ctx.server.notify_flags:
            keymiss(ctx, argv[1])
        return None
    ctx.server.stats.keyspace_hits += 1
    if value.__class__ is not bytes:
        raise CommandError(errors.WRONGTYPE)
    return value


SET_KEY = KeySpec("RW ACCESS UPDATE VARIABLE_FLAGS", Index(1), notes="RW and ACCESS due to the optional `GET` argument")


def set_keys(argv: list[bytes]) -> list[tuple[int, KeyFlag]]:
    """setGetKeys: with GET, SET reads the value it replaces; without, it overwrites it unread."""
    reads = any(arg.partition(b"\0")[0].lower() == b"get" for arg in argv[3:])  # compared as a C string
    return [(1, KeyFlag.RW | KeyFlag.ACCESS | KeyFlag.UPDATE if reads else KeyFlag.OW | KeyFlag.UPDATE)]


@command(
    "set", arity=-3, flags="write denyoom", key_specs=[SET_KEY], key_finder=set_keys, group="string", complexity="O(1)"
)
def set_command(ctx: Context, argv: Argv):
    """SET key value [NX | XX] [GET] [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT
    unix-time-milliseconds | KEEPTTL] — Set the string value of a key"""
    if len(argv) == 3:
        server = ctx.server
        if server.notify_flags:  # the general path looks the key up first, for "expired" and "new"
            set_generic(ctx, argv[1], argv[2], 0, None)
            return OK
        ctx.db.store(argv[1], argv[2], False, ctx.touch)  # positional: a call with keywords costs more
        server.dirty += 1
        return OK
    flags, expire = parse_expiry_options(argv, 3, for_set=True)
    deadline = None if expire is None else expire_deadline(expire, flags, ctx.now_ms, "set")
    stored, old = set_generic(ctx, argv[1], argv[2], flags, deadline)
    if deadline is not None:
        ctx.propagate_as([b"SET", argv[1], argv[2], b"PXAT", b"%d" % deadline])
    if flags & GET:
        return old
    return OK if stored else None


@command(
    "setnx",
    arity=3,
    flags="write denyoom fast",
    key_specs=[KeySpec("OW INSERT", Index(1))],
    group="string",
    complexity="O(1)",
)
def setnx_command(ctx: Context, argv: Argv):
    """SETNX key value — Set the value of a key, only if the key does not exist"""
    return 1 if set_generic(ctx, argv[1], argv[2], NX, None)[0] else 0


@command(
    "setex",
    arity=4,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1))],
    group="string",
    since="2.0.0",
    complexity="O(1)",
)
def setex_command(ctx: Context, argv: Argv):
    """SETEX key seconds value — Set the value and expiration of a key"""
    return set_with_deadline(ctx, argv[1], argv[3], expire_deadline(argv[2], EX, ctx.now_ms, "setex"))


def set_with_deadline(ctx: Context, key: bytes, value: bytes, deadline: int):
    """SETEX and PSETEX: propagated as SET with the absolute deadline, so replay gives the same one."""
    set_generic(ctx, key, value, 0, deadline)
    ctx.propagate_as([b"SET", key, value, b"PXAT", b"%d" % deadline])
    return OK


@command(
    "psetex",
    arity=4,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1))],
    group="string",
    since="2.6.0",
    complexity="O(1)",
)
def psetex_command(ctx: Context, argv: Argv):
    """PSETEX key milliseconds value — Set the value and expiration in milliseconds of a key"""
    return set_with_deadline(ctx, argv[1], argv[3], expire_deadline(argv[2], PX, ctx.now_ms, "psetex"))


@command(
    "mget",
    arity=-2,
    flags="readonly fast",
    key_specs=[KeySpec("RO ACCESS", Index(1), Range(-1))],
    group="string",
    complexity="O(N) where N is the number of keys to retrieve.",
)
def mget_command(ctx: Context, argv: Argv):
    """MGET key [key ...] — Get the values of all the given keys"""
    db, now_ms, touch, stats = ctx.db, ctx.now_ms, ctx.touch, ctx.server.stats
    values = []
    for key in argv[1:]:
        value = db.lookup(key, now_ms, touch)
        if value is None:
            stats.keyspace_misses += 1
            if ctx.server.notify_flags:
                keymiss(ctx, key)
        else:
            stats.keyspace_hits += 1
            if value.__class__ is not bytes:
                value = None  # MGET answers nil for a key of another type, never WRONGTYPE
        values.append(value)
    return values


@command(
    "mset",
    arity=-3,
    flags="write denyoom",
    key_specs=[KeySpec("OW UPDATE", Index(1), Range(-1, step=2))],
    group="string",
    since="1.0.1",
    complexity="O(N) where N is the number of keys to set.",
)
def mset_command(ctx: Context, argv: Argv):
    """MSET key value [key value ...] — Set multiple keys to multiple values"""
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity("mset"))
    if ctx.server.notify_flags:  # setKey per key: "new" and "set" interleaved, as Redis sends them
        for pos in range(1, len(argv), 2):
            set_generic(ctx, argv[pos], argv[pos + 1], 0, None)
        return OK
    ctx.db.store_many(argv[1::2], argv[2::2], ctx.touch)
    ctx.server.dirty += len(argv) // 2
    return OK


@command(
    "msetnx",
    arity=-3,
    flags="write denyoom",
    key_specs=[KeySpec("OW INSERT", Index(1), Range(-1, step=2))],
    group="string",
    since="1.0.1",
    complexity="O(N) where N is the number of keys to set.",
)
def msetnx_command(ctx: Context, argv: Argv):
    """MSETNX key value [key value ...] — Set multiple keys to multiple values, only if none of the keys exist"""
    if len(argv) % 2 == 0:
        raise CommandError(errors.wrong_arity("msetnx"))
    db, now_ms = ctx.db, ctx.now_ms
    if any(db.lookup(argv[pos], now_ms) is not None for pos in range(1, len(argv), 2)):
        return 0
    notifying = ctx.server.notify_flags
    for pos in range(1, len(argv), 2):
        if notifying:
            created = db.lookup(argv[pos], now_ms) is None  # a key given twice is new only once
        db.store(argv[pos], argv[pos + 1], touch=ctx.touch)
        if notifying:
            if created:
                new_key(ctx, argv[pos])
            notify(ctx, NOTIFY_STRING, b"set", argv[pos])
    ctx.server.dirty += len(argv) // 2
    return 1


@command(
    "getset",
    arity=3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="string",
    complexity="O(1)",
)
def getset_command(ctx: Context, argv: Argv):
    """GETSET key value — Set the string value of a key and return its old value"""
    old = lookup_string(ctx, argv[1])
    ctx.db.store(argv[1], argv[2], touch=ctx.touch)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        if old is None:
            new_key(ctx, argv[1])
        notify(ctx, NOTIFY_STRING, b"set", argv[1])
    return old


@command(
    "getdel",
    arity=2,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS DELETE", Index(1))],
    group="string",
    since="6.2.0",
    complexity="O(1)",
)
def getdel_command(ctx: Context, argv: Argv):
    """GETDEL key — Get the value of a key and delete the key"""
    value = lookup_string(ctx, argv[1])
    if value is not None:
        ctx.db.delete(argv[1])
        ctx.server.dirty += 1
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_GENERIC, b"del", argv[1])
    return value


@command(
    "getex",
    arity=-2,
    flags="write fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1), notes="RW and UPDATE because it changes the TTL")],
    group="string",
    since="6.2.0",
    complexity="O(1)",
)
def getex_command(ctx: Context, argv: Argv):
    """GETEX key [EX seconds | PX milliseconds | EXAT unix-time-seconds | PXAT unix-time-milliseconds | PERSIST] — Get
    the value of a key and optionally set its expiration"""
    flags, expire = parse_expiry_options(argv, 2, for_set=False)
    key = argv[1]
    value = lookup_string(ctx, key)
    if value is None:
        return None  # a missing key wins over a bad expire time, as in Redis
    db = ctx.db
    if expire is not None:
        deadline = expire_deadline(expire, flags, ctx.now_ms, "getex")
        if flags & (EXAT | PXAT) and already_expired(ctx, deadline):
            db.delete(key)  # an absolute time already past deletes the key (after replying with it)
            event = b"del"
            ctx.propagate_as([b"DEL", key])
        else:
            db.set_deadline(key, deadline)
            event = b"expire"
            ctx.propagate_as([b"PEXPIREAT", key, b"%d" % deadline])
        ctx.server.dirty += 1
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_GENERIC, event, key)
    elif flags & PERSIST and db.persist(key):
        ctx.propagate_as([b"PERSIST", key])
        ctx.server.dirty += 1
        if ctx.server.notify_flags:
            notify(ctx, NOTIFY_GENERIC, b"persist", key)
    return value


def check_string_length(ctx: Context, size: int) -> None:
    if size > ctx.server.config.proto_max_bulk_len:
        raise CommandError(errors.STRING_TOO_LONG)


@command(
    "append",
    arity=3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="string",
    since="2.0.0",
    complexity="O(1). The amortized time complexity is O(1) assuming the appended value is small and the "
    "already present value is of any size, since the dynamic string library used by Redis will double the "
    "free space available on every reallocation.",
)
def append_command(ctx: Context, argv: Argv):
    """APPEND key value — Append a value to a key"""
    key, suffix = argv[1], argv[2]
    value = lookup_string_write(ctx, key)
    created = value is None
    if created:
        value = suffix
    else:
        check_string_length(ctx, len(value) + len(suffix))
        value += suffix
    ctx.db.store(key, value, True, ctx.touch, not created)  # appended to in place; a new key is a plain string
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        if created:
            new_key(ctx, key)
        notify(ctx, NOTIFY_STRING, b"append", key)
    return len(value)


@command(
    "strlen",
    arity=2,
    flags="readonly fast",
    key_specs=[KeySpec("RO", Index(1))],
    group="string",
    since="2.2.0",
    complexity="O(1)",
)
def strlen_command(ctx: Context, argv: Argv):
    """STRLEN key — Get the length of the value stored in a key"""
    value = lookup_string(ctx, argv[1])
    return 0 if value is None else len(value)


@command(
    "incr",
    arity=2,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="string",
    complexity="O(1)",
)
def incr_command(ctx: Context, argv: Argv, increment: int = 1) -> int:
    """INCR key — Increment the integer value of a key by one"""
    # Redis's incrDecrCommand: DECR, INCRBY and DECRBY call this with their increment (INCR, the common one,
    # pays no second call). The TTL is kept.
    key = argv[1]
    db = ctx.db
    value = db.lookup(key, ctx.now_ms)  # lookup_string_write, inlined: INCR is a benchmark's hot path
    current: int | None
    if value is None:
        result = increment
        db.store(key, b"%d" % result, True, ctx.touch)
    elif value.__class__ is not bytes:
        raise CommandError(errors.WRONGTYPE)
    else:
        if value.isdigit() and len(value) < 19 and (value[0] != 48 or len(value) == 1):  # parse_int's fast case
            current = int(value)
        elif (current := parse_int(value)) is None:
            raise CommandError(errors.NOT_INTEGER)
        result = current + increment
        if not INT64_MIN <= result <= INT64_MAX:
            raise CommandError(errors.INCR_OVERFLOW)
        db.replace_string(key, value, b"%d" % result, ctx.touch)  # the TTL stays
    server = ctx.server
    server.dirty += 1
    if server.notify_flags:
        if value is None:
            new_key(ctx, key)
        notify(ctx, NOTIFY_STRING, b"incrby", key)
    return result


@command(
    "decr",
    arity=2,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="string",
    complexity="O(1)",
)
def decr_command(ctx: Context, argv: Argv):
    """DECR key — Decrement the integer value of a key by one"""
    return incr_command(ctx, argv, -1)


@command(
    "incrby",
    arity=3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="string",
    complexity="O(1)",
)
def incrby_command(ctx: Context, argv: Argv):
    """INCRBY key increment — Increment the integer value of a key by the given amount"""
    return incr_command(ctx, argv, to_int(argv[2]))


@command(
    "decrby",
    arity=3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="string",
    complexity="O(1)",
)
def decrby_command(ctx: Context, argv: Argv):
    """DECRBY key decrement — Decrement the integer value of a key by the given number"""
    decrement = to_int(argv[2])
    if decrement == INT64_MIN:  # negating it would overflow
        raise CommandError(errors.DECR_OVERFLOW)
    return incr_command(ctx, argv, -decrement)


@command(
    "incrbyfloat",
    arity=3,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
    group="string",
    since="2.6.0",
    complexity="O(1)",
)
def incrbyfloat_command(ctx: Context, argv: Argv):
    """INCRBYFLOAT key increment — Increment the float value of a key by the given amount"""
    key = argv[1]
    value = lookup_string_write(ctx, key)
    current = long_double.parse_long_double(value) if value is not None else 0
    increment = long_double.parse_long_double(argv[2])
    if current is None or increment is None:
        raise CommandError(errors.NOT_FLOAT)
    try:
        result = long_double.format_human(long_double.add(current, increment))
    except long_double.NotANumber:
        raise CommandError(errors.INCRFLOAT_NAN) from None
    ctx.db.store(key, result, keep_ttl=True, touch=ctx.touch)
    ctx.propagate_as([b"SET", key, result, b"KEEPTTL"])  # the sum as stored: no float arithmetic on replay
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        if value is None:
            new_key(ctx, key)
        notify(ctx, NOTIFY_STRING, b"incrbyfloat", key)
    return result


@command(
    "getrange",
    arity=4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="string",
    since="2.4.0",
    complexity="O(N) where N is the length of the returned string. The complexity is ultimately determined "
    "by the returned length, but because creating a substring from an existing string is very cheap, it can "
    "be considered O(1) for small strings.",
)
def getrange_command(ctx: Context, argv: Argv):
    """GETRANGE key start end — Get a substring of the string stored at a key"""
    start, end = to_int(argv[2]), to_int(argv[3])
    value = lookup_string(ctx, argv[1])
    if not value or (start < 0 and end < 0 and start > end):
        return b""
    length = len(value)
    if start < 0:
        start = max(length + start, 0)
    if end < 0:
        end = max(length + end, 0)
    end = min(end, length - 1)
    return value[start : end + 1] if start <= end else b""


@command(
    "substr",
    arity=4,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1))],
    group="string",
    complexity="O(N) where N is the length of the returned string. The complexity is ultimately determined "
    "by the returned length, but because creating a substring from an existing string is very cheap, it can "
    "be considered O(1) for small strings.",
)
def substr_command(ctx: Context, argv: Argv):
    """SUBSTR key start end — Get a substring of the string stored at a key"""
    return getrange_command(ctx, argv)


@command(
    "setrange",
    arity=4,
    flags="write denyoom",
    key_specs=[KeySpec("RW UPDATE", Index(1))],
    group="string",
    since="2.2.0",
    complexity="O(1), not counting the time taken to copy the new string in place. Usually, this string is "
    "very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length "
    "of the value argument.",
)
def setrange_command(ctx: Context, argv: Argv):
    """SETRANGE key offset value — Overwrite part of a string at key starting at the specified offset"""
    key, patch = argv[1], argv[3]
    offset = to_int(argv[2])
    if offset < 0:
        raise CommandError(errors.OFFSET_RANGE)
    value = lookup_string_write(ctx, key)
    if not patch:
        return 0 if value is None else len(value)  # nothing to write: no key is created
    check_string_length(ctx, offset + len(patch))
    created = value is None
    value = value or b""
    head = value[:offset]
    if len(head) < offset:
        head += bytes(offset - len(head))
    value = head + patch + value[offset + len(patch) :]
    ctx.db.store(key, value, keep_ttl=True, touch=ctx.touch, in_place=True)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:
        if created:
            new_key(ctx, key)
        notify(ctx, NOTIFY_STRING, b"setrange", key)
    return len(value)


@command(
    "lcs",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO ACCESS", Index(1), Range(1))],
    group="string",
    since="7.0.0",
    complexity="O(N*M) where N and M are the lengths of s1 and s2, respectively",
)
def lcs_command(ctx: Context, argv: Argv):
    """LCS key1 key2 [LEN] [IDX] [MINMATCHLEN min-match-len] [WITHMATCHLEN] — Find longest common substring"""
    db, now_ms, touch, stats = ctx.db, ctx.now_ms, ctx.touch, ctx.server.stats
    values = []
    for key in argv[1:3]:
        value = db.lookup(key, now_ms, touch)
        if value is None:
            stats.keyspace_misses += 1
            if ctx.server.notify_flags:
                keymiss(ctx, key)
        else:
            stats.keyspace_hits += 1
        values.append(value)
    if any(value is not None and value.__class__ is not bytes for value in values):
        raise CommandError(errors.LCS_NOT_STRINGS)
    a, b = (value or b"" for value in values)
    get_len = get_idx = with_match_len = False
    min_match_len = 0
    args = ArgCursor(argv, 3)
    while args.more():
        option = args.next_upper()
        if option == b"IDX":
            get_idx = True
        elif option == b"LEN":
            get_len = True
        elif option == b"WITHMATCHLEN":
            with_match_len = True
        elif option == b"MINMATCHLEN":
            min_match_len = max(args.next_int(), 0)
        else:
            raise CommandError(errors.SYNTAX)
    if get_idx and get_len:
        raise CommandError(errors.LCS_LEN_AND_IDX)
    rows = lcs_rows(a, b)
    length = lcs_length(rows, len(a), len(b))
    if get_len:
        return length
    sequence, matches = lcs_backtrack(a, b, rows, min_match_len, with_match_len)
    if get_idx:
        return {b"matches": matches, b"len": length}
    return sequence


def lcs_rows(a: bytes, b: bytes) -> list[int]:
    """The LCS table of a and b, one bit vector per row (Hyyrö's bit-parallel algorithm): in rows[i], the zero
    bits among the lowest j bits count LCS(a[:i], b[:j]). Same answers as Redis's uint32 table, computed a
    machine word at a time by Python's big integers instead of one cell at a time."""
    full = (1 << len(b)) - 1
    masks: dict[int, int] = {}
    for position, char in enumerate(b):
        masks[char] = masks.get(char, 0) | (1 << position)
    row = full
    rows = [row]
    for char in a:
        matched = row & masks.get(char, 0)
        row = ((row + matched) | (row - matched)) & full
        rows.append(row)
    return rows


def lcs_length(rows: list[int], i: int, j: int) -> int:
    """LCS(a[:i], b[:j])."""
    return j - (rows[i] & ((1 << j) - 1)).bit_count()


def lcs_backtrack(a: bytes, b: bytes, rows: list[int], min_match_len: int, with_match_len: bool):
    """Walk the table back from the end as Redis's lcsCommand does, collecting the sequence and the ranges of
    contiguous matches (last match first), in the same order and with the same range boundaries."""
    i, j = len(a), len(b)
    out = bytearray()
    matches: list[list] = []
    a_start: int | None = None  # None: no range open
    a_end = b_start = b_end = 0
    while i > 0 and j > 0:
        emit = False
        if a[i - 1] == b[j - 1]:
            out.append(a[i - 1])
            if a_start is None:
                a_start = a_end = i - 1
                b_start = b_end = j - 1
            elif a_start == i and b_start == j:
                a_start -= 1
                b_start -= 1
            else:
                emit = True
            if a_start == 0 or b_start == 0:
                emit = True
            i -= 1
            j -= 1
        else:
            if lcs_length(rows, i - 1, j) > lcs_length(rows, i, j - 1):
                i -= 1
            else:
                j -= 1
            if a_start is not None:
                emit = True
        if emit and a_start is not None:  # (emit comes with an open range)
            match_len = a_end - a_start + 1
            if not min_match_len or match_len >= min_match_len:
                match: list[list[int] | int] = [[a_start, a_end], [b_start, b_end]]
                if with_match_len:
                    match.append(match_len)
                matches.append(match)
            a_start = None
    out.reverse()
    return bytes(out), matches
