"""Argument parsing for every command family: Redis's converters, a cursor over optional arguments, and the
option groups several commands share.

- A converter follows the C function Redis calls (named in its docstring), because that decides which inputs
  are accepted (no '+', no spaces; strtod's hex and 'inf') and which error a bad one gets. One that takes
  `error` answers that text for every failure, as Redis's `...OrReply(c, o, &value, msg)` variants do.
- An option group parses what several commands share (SET/GETEX expiry, NX|XX|GT|LT, `numkeys key ...`, LIMIT,
  the SCAN family's MATCH/COUNT/TYPE, the *MPOP form, score and lex ranges), checking in Redis's order: that
  order decides which error wins when several arguments are bad.
- `ArgCursor` walks the options of the commands that loop over them. SET's and GETEX's options are read by
  an index loop instead: SET is on the hot path, where a cursor object and its method calls cost as much as
  the parsing itself.

`c_string` (what C string functions see of an argument) lives in errors.py: error texts need it too, and
errors sits below every other layer. strtold is long_double.parse_long_double, with the arithmetic it serves.
"""

import math
import re
from collections.abc import Mapping
from typing import TypeVar

from .. import errors
from ..errors import CommandError
from ..storage.zset import LexRange, ScoreRange
from .long_double import NotANumber, parse_long_double, round_to_extended

T = TypeVar("T")

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT64_MAX = 2**64 - 1

# -- integers -------------------------------------------------------------------------------------------------


def parse_int(raw: bytes) -> int | None:
    """Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, signed 64-bit range.
    Python's int() is laxer ('+1', ' 1', '1_0'), so the result must print back as the input."""
    if raw.isdigit() and len(raw) < 19 and (raw[0] != 48 or len(raw) == 1):  # the common case, in range
        return int(raw)
    if len(raw) > 20:
        return None
    try:
        value = int(raw)
    except ValueError:
        return None
    if b"%d" % value != raw or not INT64_MIN <= value <= INT64_MAX:
        return None
    return value


def to_int(raw: bytes, error: bytes = errors.NOT_INTEGER) -> int:
    """getLongLongFromObjectOrReply."""
    value = parse_int(raw)
    if value is None:
        raise CommandError(error)
    return value


def long_in_range(raw: bytes, low: int, high: int, error: bytes | None = None) -> int:
    """getRangeLongFromObjectOrReply: `error` replaces both of Redis's default messages."""
    value = parse_int(raw)
    if value is None:
        raise CommandError(error or errors.NOT_INTEGER)
    if not low <= value <= high:
        raise CommandError(error or errors.value_out_of_range(low, high))
    return value


def to_int32(raw: bytes, error: bytes | None = None) -> int:
    """getIntFromObjectOrReply: a 32-bit integer; `error` replaces both of Redis's default messages."""
    return long_in_range(raw, INT32_MIN, INT32_MAX, error)


def positive_long(raw: bytes, error: bytes = errors.MUST_BE_POSITIVE) -> int:
    """getPositiveLongFromObjectOrReply: one message for a non-integer and a negative."""
    value = parse_int(raw)
    if value is None or value < 0:
        raise CommandError(error)
    return value


_CURSOR = re.compile(rb"([+-]?)(\d+)")


def parse_cursor(raw: bytes) -> int:
    """parseScanCursorOrReply: strtoul's rules (an empty string is 0, '-1' wraps to 2**64-1), no spaces."""
    if not raw:
        return 0
    match = _CURSOR.fullmatch(raw)
    if match is None or int(match[2]) > UINT64_MAX:
        raise CommandError(errors.INVALID_CURSOR)
    value = int(match[2])
    return (-value) % 2**64 if match[1] == b"-" else value


# -- doubles --------------------------------------------------------------------------------------------------

# What C's strtod accepts at the start of a string (leading whitespace, hex floats, inf, nan).
_STRTOD = re.compile(
    rb"[ \t\n\v\f\r]*[+-]?(?:"
    rb"(?P<hex>0[xX](?:[0-9a-fA-F]+\.?[0-9a-fA-F]*|\.[0-9a-fA-F]+)(?:[pP][+-]?[0-9]+)?)"
    rb"|(?P<special>[iI][nN][fF](?:[iI][nN][iI][tT][yY])?|[nN][aA][nN](?:\([0-9A-Za-z_]*\))?)"
    rb"|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)"
)


def strtod(raw: bytes, start: int = 0) -> tuple[float, int, bool]:
    """C's strtod on raw from `start`: (value, where it stopped, ERANGE: overflow to inf or underflow to 0).
    It stops at `start` when no number starts there."""
    match = _STRTOD.match(raw, start)
    if match is None:
        return 0.0, start, False
    text = match.group().lstrip(b" \t\n\v\f\r")
    if match["hex"]:
        negative = text.startswith(b"-")
        try:
            value = float.fromhex(text.lstrip(b"+-").decode())
        except OverflowError:
            value = float("inf")
        value = -value if negative else value
    elif match["special"]:
        value = float("nan") if text.lstrip(b"+-")[:1] in b"nN" else float("inf")
        value = -value if text.startswith(b"-") else value
    else:
        value = float(text)
    erange = False
    if not match["special"]:
        if value in (float("inf"), float("-inf")):
            erange = True
        elif value == 0.0:
            mantissa = text.split(b"p")[0].split(b"P")[0] if match["hex"] else re.split(rb"[eE]", text)[0]
            digits = mantissa[2:] if match["hex"] else mantissa
            erange = any(ch not in b"0.+-xX" for ch in digits.lstrip(b"+-"))
    return value, match.end(), erange


def parse_score(raw: bytes) -> float | None:
    """getDoubleFromObject: the whole string, no leading space, no overflow or underflow, no NaN."""
    if not raw or raw[0] in b" \t\n\v\f\r":
        return None
    value, end, erange = strtod(raw)
    if end != len(raw) or erange or value != value:
        return None
    return value


def to_score(raw: bytes, error: bytes = errors.NOT_FLOAT) -> float:
    """getDoubleFromObjectOrReply."""
    value = parse_score(raw)
    if value is None:
        raise CommandError(error)
    return value


def parse_timeout(raw: bytes) -> int:
    """getTimeoutFromObjectOrReply for a blocking command's timeout in seconds: strtold (decimals, hex, 'inf';
    no spaces, NaN or underflow), times 1000 in long double, rounded up to a 64-bit count of milliseconds. A
    count past LLONG_MAX (an infinity too) turns negative in C's conversion, so it is "negative" here too; a
    tiny negative timeout rounds up to 0, which blocks for ever, as in Redis."""
    seconds = parse_long_double(raw)
    if seconds is None:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    if isinstance(seconds, float):  # an infinity
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    try:
        milliseconds = math.ceil(round_to_extended(seconds * 1000))
    except NotANumber:  # past the long double range
        raise CommandError(errors.TIMEOUT_NEGATIVE) from None
    if not 0 <= milliseconds <= INT64_MAX:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return milliseconds


def parse_timeout_ms(raw: bytes) -> int:
    """getTimeoutFromObjectOrReply in milliseconds (WAIT): a 64-bit integer, not negative."""
    milliseconds = to_int(raw, errors.TIMEOUT_NOT_INTEGER)
    if milliseconds < 0:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return milliseconds


# -- words ----------------------------------------------------------------------------------------------------


def keyword(raw: bytes, choices: Mapping[bytes, T], error: bytes = errors.SYNTAX) -> T:
    """One of a few words in any case (Redis compares with strcasecmp): its value in `choices`, whose keys
    are upper case."""
    value = choices.get(raw.upper())
    if value is None:
        raise CommandError(error)
    return value


# -- the cursor -----------------------------------------------------------------------------------------------


class ArgCursor:
    """Walks the optional arguments of a command: `while args.more(): option = args.next_upper() ...`.
    Reading past the end is a syntax error, which is what Redis answers for an option missing its value."""

    __slots__ = ("argv", "pos")

    def __init__(self, argv: list[bytes], start: int):
        self.argv = argv
        self.pos = start

    def more(self) -> bool:
        return self.pos < len(self.argv)

    def next_bytes(self) -> bytes:
        if self.pos >= len(self.argv):
            raise CommandError(errors.SYNTAX)
        value = self.argv[self.pos]
        self.pos += 1
        return value

    def next_upper(self) -> bytes:
        return self.next_bytes().upper()

    def next_int(self, error: bytes = errors.NOT_INTEGER) -> int:
        return to_int(self.next_bytes(), error)

    def take(self, count: int, error: bytes = errors.SYNTAX) -> list[bytes]:
        """The next `count` arguments; `error` when fewer are left, before any of them is looked at (Redis
        counts an option's arguments before it parses them)."""
        end = self.pos + count
        if end > len(self.argv):
            raise CommandError(error)
        values = self.argv[self.pos : end]
        self.pos = end
        return values

    def next_limit(self) -> tuple[int, int]:
        """`LIMIT offset count` (after the word LIMIT): both present, then both integers."""
        offset, count = self.take(2)
        return to_int(offset), to_int(count)

    def next_keys(
        self, not_integer: bytes, below_minimum: bytes, too_many: bytes = errors.SYNTAX, minimum: int = 1
    ) -> list[bytes]:
        """`numkeys key [key ...]`: numkeys (an integer, at least `minimum`, at most the arguments left), then
        that many keys. Each family words the three errors its own way."""
        numkeys = self.next_int(not_integer)
        if numkeys < minimum:
            raise CommandError(below_minimum)
        return self.take(numkeys, too_many)


# -- option flags: one vocabulary for SET, GETEX, EXPIRE and ZADD (Redis's OBJ_SET_* / EXPIRE_* / ZADD_IN_*) ---

NX, XX, GT, LT = 1, 2, 4, 8
CH, INCR = 16, 32
GET, KEEPTTL, PERSIST = 64, 128, 256
EX, PX, EXAT, PXAT = 512, 1024, 2048, 4096
EXPIRY = EX | PX | EXAT | PXAT
EXPIRY_OPTIONS = {b"EX": EX, b"PX": PX, b"EXAT": EXAT, b"PXAT": PXAT}
CONDITIONS = {b"NX": NX, b"XX": XX, b"GT": GT, b"LT": LT}
ZADD_OPTIONS = {**CONDITIONS, b"CH": CH, b"INCR": INCR}


def parse_expiry_options(argv: list[bytes], start: int, for_set: bool) -> tuple[int, bytes | None]:
    """parseExtendedStringArgumentsOrReply, shared by SET (NX XX GET EX PX EXAT PXAT KEEPTTL) and GETEX
    (EX PX EXAT PXAT PERSIST). Returns (flags, the raw expire argument or None). A repeated option is
    allowed (the last value wins); conflicting ones are a syntax error, checked as Redis checks them."""
    flags, expire = 0, None
    pos, end = start, len(argv)
    while pos < end:
        option = argv[pos].upper()
        if option in EXPIRY_OPTIONS:
            flag = EXPIRY_OPTIONS[option]
            if flags & (KEEPTTL | PERSIST | (EXPIRY & ~flag)) or pos + 1 == end:
                raise CommandError(errors.SYNTAX)
            flags |= flag
            pos += 1
            expire = argv[pos]
        elif for_set and option == b"NX" and not flags & XX:
            flags |= NX
        elif for_set and option == b"XX" and not flags & NX:
            flags |= XX
        elif for_set and option == b"GET":
            flags |= GET
        elif for_set and option == b"KEEPTTL" and not flags & EXPIRY:
            flags |= KEEPTTL
        elif not for_set and option == b"PERSIST" and not flags & EXPIRY:
            flags |= PERSIST
        else:
            raise CommandError(errors.SYNTAX)
        pos += 1
    return flags, expire


def expire_deadline(raw: bytes, flags: int, now_ms: int, name: str) -> int:
    """The absolute deadline (unix ms) an EX/PX/EXAT/PXAT argument names (getExpireMillisecondsOrReply)."""
    value = parse_int(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    in_seconds = flags & (EX | EXAT)
    if value <= 0 or (in_seconds and value > INT64_MAX // 1000):
        raise CommandError(errors.invalid_expire(name))
    if in_seconds:
        value *= 1000
    if flags & (EX | PX):
        value += now_ms
    if value > INT64_MAX:  # Redis's signed addition wraps negative here and is refused the same way
        raise CommandError(errors.invalid_expire(name))
    return value


def parse_expire_conditions(argv: list[bytes], start: int) -> int:
    """parseExtendedExpireArgumentsOrReply: NX | XX | GT | LT after EXPIRE's time."""
    flags = 0
    for option in argv[start:]:
        flag = CONDITIONS.get(option.upper())
        if flag is None:
            raise CommandError(errors.unsupported_option(option.replace(b"\r", b" ").replace(b"\n", b" ")))
        flags |= flag
    if flags & NX and flags & (XX | GT | LT):
        raise CommandError(errors.EXPIRE_NX_AND_OTHERS)
    if flags & GT and flags & LT:
        raise CommandError(errors.EXPIRE_GT_AND_LT)
    return flags


def parse_zadd_options(argv: list[bytes], flags: int) -> tuple[int, int]:
    """zaddGenericCommand's options: NX XX GT LT CH INCR in any order before the first score, then
    score-member pairs. Returns (flags, the index of the first score); the scores are not parsed yet."""
    argc = len(argv)
    pos = 2
    while pos < argc:
        option = ZADD_OPTIONS.get(argv[pos].upper())
        if option is None:
            break
        flags |= option
        pos += 1
    pairs = argc - pos
    if pairs % 2 or not pairs:
        raise CommandError(errors.SYNTAX)
    if flags & NX and flags & XX:
        raise CommandError(errors.ZADD_XX_AND_NX)
    if (flags & NX and flags & (GT | LT)) or (flags & GT and flags & LT):
        raise CommandError(errors.ZADD_GT_LT_NX)
    if flags & INCR and pairs > 2:
        raise CommandError(errors.ZADD_INCR_PAIR)
    return flags, pos


def parse_flush_mode(argv: list[bytes], start: int, error: bytes = errors.SYNTAX) -> None:
    """The optional `ASYNC | SYNC` of FLUSHALL, FLUSHDB, SCRIPT FLUSH and FUNCTION FLUSH, at argv[start]
    and last (both modes flush at once here)."""
    if len(argv) > start + 1 or (len(argv) == start + 1 and argv[start].upper() not in (b"ASYNC", b"SYNC")):
        raise CommandError(error)


# -- the option groups of reading commands --------------------------------------------------------------------


def parse_scan_options(argv: list[bytes], start: int, keyspace: bool = False) -> tuple[int, bytes | None, bytes | None]:
    """scanGenericCommand's options: (COUNT, MATCH pattern, TYPE name in lower case). TYPE is SCAN's only
    (`keyspace`); a COUNT below 1 is a syntax error."""
    count, pattern, type_name = 10, None, None
    args = ArgCursor(argv, start)
    while args.more():
        option = args.next_upper()
        if option == b"COUNT":
            count = args.next_int()
            if count < 1:
                raise CommandError(errors.SYNTAX)
        elif option == b"MATCH":
            pattern = args.next_bytes()
        elif keyspace and option == b"TYPE":
            type_name = args.next_bytes().lower()
        else:
            raise CommandError(errors.SYNTAX)
    return count, pattern, type_name


def parse_mpop(argv: list[bytes], numkeys_index: int, sides: Mapping[bytes, T]) -> tuple[list[bytes], T, int]:
    """LMPOP's and ZMPOP's form (their blocking forms too): `numkeys key [key ...] <side> [COUNT count]`,
    where `sides` maps the side words (LEFT|RIGHT, MIN|MAX) to what the caller wants; COUNT at most once.
    Returns (keys, the side's value, count)."""
    args = ArgCursor(argv, numkeys_index)
    keys = args.next_keys(errors.NUMKEYS_NOT_POSITIVE, errors.NUMKEYS_NOT_POSITIVE)
    side = keyword(args.next_bytes(), sides)
    count = None
    while args.more():
        if count is not None or args.next_upper() != b"COUNT":
            raise CommandError(errors.SYNTAX)
        count = long_in_range(args.next_bytes(), 1, INT64_MAX, errors.COUNT_NOT_POSITIVE)
    return keys, side, 1 if count is None else count


def parse_random_count(argv: list[bytes], with_word: bytes) -> tuple[int, bool]:
    """HRANDFIELD's and ZRANDMEMBER's `count [WITHVALUES | WITHSCORES]`: (count, whether the word was given).
    With the word, the count must leave room for the doubled reply: within +-LONG_MAX/2, C's division (which
    rounds toward zero, where Python's // rounds down)."""
    count = long_in_range(argv[2], -INT64_MAX, INT64_MAX)
    if len(argv) > 4 or (len(argv) == 4 and argv[3].upper() != with_word):
        raise CommandError(errors.SYNTAX)
    if len(argv) == 4 and not -(INT64_MAX // 2) <= count <= INT64_MAX // 2:
        raise CommandError(errors.VALUE_OUT_OF_RANGE)
    return count, len(argv) == 4


def _range_bound(raw: bytes) -> tuple[float, bool] | None:
    """One side of zslParseRange: '(' makes it exclusive; strtod up to a NUL (or the end), no NaN."""
    exclusive = raw[:1] == b"("
    text = raw[1:] if exclusive else raw
    value, end, _ = strtod(text)
    if (end < len(text) and text[end] != 0) or value != value:
        return None
    return value, exclusive


def parse_score_range(min_raw: bytes, max_raw: bytes) -> ScoreRange:
    """zslParseRange: `min max` of ZCOUNT, ZRANGEBYSCORE & co."""
    low, high = _range_bound(min_raw), _range_bound(max_raw)
    if low is None or high is None:
        raise CommandError(errors.MIN_MAX_NOT_FLOAT)
    return ScoreRange(low[0], high[0], low[1], high[1])


def _lex_bound(raw: bytes):
    """zslParseLexRangeItem: '+' / '-' alone (a NUL may follow), '[x' inclusive, '(x' exclusive."""
    first = raw[:1]
    if first in (b"+", b"-"):
        if len(raw) > 1 and raw[1] != 0:
            return None
        return first.decode(), first == b"+"
    if first == b"(":
        return raw[1:], True
    if first == b"[":
        return raw[1:], False
    return None


def parse_lex_range(min_raw: bytes, max_raw: bytes) -> LexRange:
    """zslParseLexRange: `min max` of ZLEXCOUNT, ZRANGEBYLEX & co."""
    low, high = _lex_bound(min_raw), _lex_bound(max_raw)
    if low is None or high is None:
        raise CommandError(errors.MIN_MAX_NOT_LEX)
    return LexRange(low[0], high[0], low[1], high[1])
