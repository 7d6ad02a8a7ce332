"""commands/args.py: every converter and option group, the forms it accepts and the exact error of each it refuses.
Expected errors are spelled out (not taken from errors.py), so a changed text fails here."""

import pytest

from redislite.commands import args
from redislite.commands.args import ArgCursor
from redislite.errors import CommandError

SYNTAX = b"ERR syntax error"
NOT_INTEGER = b"ERR value is not an integer or out of range"


def error_of(call, *arguments) -> bytes:
    with pytest.raises(CommandError) as raised:
        call(*arguments)
    return raised.value.message


def argv(text: str) -> list[bytes]:
    return text.encode().split()


# -- integers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, value",
    [(b"0", 0), (b"-1", -1), (b"9223372036854775807", 2**63 - 1), (b"-9223372036854775808", -(2**63)), (b"1234", 1234)],
)
def test_parse_int_takes_what_string2ll_takes(raw, value):
    assert args.parse_int(raw) == value


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"+1",
        b" 1",
        b"1 ",
        b"01",
        b"-0",
        b"1_0",
        b"1.0",
        b"0x10",
        b"abc",
        b"9223372036854775808",
        b"-9223372036854775809",
        b"\xd9\xa1",
    ],
)
def test_parse_int_refuses_what_string2ll_refuses(raw):
    assert args.parse_int(raw) is None


def test_to_int_answers_its_error_for_a_non_integer():
    assert args.to_int(b"12") == 12
    assert error_of(args.to_int, b"x") == NOT_INTEGER
    assert error_of(args.to_int, b"x", b"ERR custom") == b"ERR custom"


def test_to_int32_refuses_out_of_range_with_redis_range_message_or_the_given_error():
    assert args.to_int32(b"2147483647") == 2**31 - 1
    assert error_of(args.to_int32, b"x") == NOT_INTEGER
    assert error_of(args.to_int32, b"2147483648") == (
        b"ERR value is out of range, value must between -2147483648 and 2147483647"
    )
    assert error_of(args.to_int32, b"-2147483649", b"ERR invalid first DB index") == b"ERR invalid first DB index"
    assert error_of(args.to_int32, b"x", b"ERR invalid first DB index") == b"ERR invalid first DB index"


def test_long_in_range_has_two_default_messages_and_one_given():
    assert args.long_in_range(b"5", 1, 10) == 5
    assert error_of(args.long_in_range, b"x", 1, 10) == NOT_INTEGER
    assert error_of(args.long_in_range, b"0", 1, 10) == b"ERR value is out of range, value must between 1 and 10"
    assert error_of(args.long_in_range, b"0", 1, 10, b"ERR count should be greater than 0") == (
        b"ERR count should be greater than 0"
    )


def test_positive_long_has_one_message_for_non_integers_and_negatives():
    assert args.positive_long(b"0") == 0
    assert error_of(args.positive_long, b"-1") == b"ERR value is out of range, must be positive"
    assert error_of(args.positive_long, b"x") == b"ERR value is out of range, must be positive"
    assert error_of(args.positive_long, b"-1", b"ERR COUNT can't be negative") == b"ERR COUNT can't be negative"


@pytest.mark.parametrize(
    "raw, cursor",
    [(b"", 0), (b"0", 0), (b"17", 17), (b"+5", 5), (b"-1", 2**64 - 1), (b"18446744073709551615", 2**64 - 1)],
)
def test_parse_cursor_follows_strtoul(raw, cursor):
    assert args.parse_cursor(raw) == cursor


@pytest.mark.parametrize("raw", [b" 1", b"1 ", b"x", b"1.5", b"18446744073709551616"])
def test_parse_cursor_refuses_what_is_not_a_cursor(raw):
    assert error_of(args.parse_cursor, raw) == b"ERR invalid cursor"


# -- doubles --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw, value, consumed, erange",
    [
        (b"1.5", 1.5, 3, False),
        (b"  2", 2.0, 3, False),
        (b"0x10", 16.0, 4, False),
        (b"0x1p-1", 0.5, 6, False),
        (b"1e3x", 1000.0, 3, False),
        (b"-inf", float("-inf"), 4, False),
        (b"INFINITY", float("inf"), 8, False),
        (b"1e400", float("inf"), 5, True),
        (b"1e-400", 0.0, 6, True),
        (b"0e-400", 0.0, 6, False),
        (b"x", 0.0, 0, False),
        (b"", 0.0, 0, False),
        (b".5", 0.5, 2, False),
        (b"5.", 5.0, 2, False),
    ],
)
def test_strtod_reports_value_length_and_erange_as_c_does(raw, value, consumed, erange):
    assert args.strtod(raw) == (value, consumed, erange)


def test_strtod_reads_nan():
    value, consumed, erange = args.strtod(b"nan(123)")
    assert value != value and consumed == 8 and not erange


@pytest.mark.parametrize(
    "raw, score",
    [(b"1", 1.0), (b"-1.5e2", -150.0), (b"inf", float("inf")), (b"-inf", float("-inf")), (b"0x10", 16.0), (b"1.", 1.0)],
)
def test_parse_score_takes_whole_strtod_numbers(raw, score):
    assert args.parse_score(raw) == score


@pytest.mark.parametrize("raw", [b"", b" 1", b"1 ", b"1x", b"nan", b"1e400", b"1e-400", b"abc"])
def test_parse_score_refuses_junk_spaces_nan_and_erange(raw):
    assert args.parse_score(raw) is None
    assert error_of(args.to_score, raw) == b"ERR value is not a valid float"
    assert error_of(args.to_score, raw, b"ERR weight value is not a float") == b"ERR weight value is not a float"


@pytest.mark.parametrize(
    "raw, milliseconds",
    [
        (b"0", 0),
        (b"1", 1000),
        (b"0.0001", 1),
        (b"1.5", 1500),
        (b"1e1", 10000),
        (b"+.5", 500),
        (b"0x1p-3", 125),
        (b"0x10", 16000),
        (b"1e-310", 1),
        (b"-0", 0),
        (b"-0.0001", 0),  # rounds up to 0: blocks for ever, as in Redis
        (b"9223372036854775.807", 2**63 - 1),  # exact in long double
    ],
)
def test_parse_timeout_is_milliseconds_rounded_up(raw, milliseconds):
    assert args.parse_timeout(raw) == milliseconds


@pytest.mark.parametrize(
    "raw, error",
    [
        (b"x", b"ERR timeout is not a float or out of range"),
        (b" 1", b"ERR timeout is not a float or out of range"),
        (b"1 ", b"ERR timeout is not a float or out of range"),
        (b"1e", b"ERR timeout is not a float or out of range"),
        (b"nan", b"ERR timeout is not a float or out of range"),
        (b"0x", b"ERR timeout is not a float or out of range"),
        (b"1e-5000", b"ERR timeout is not a float or out of range"),  # strtold's underflow
        (b"1e5000", b"ERR timeout is not a float or out of range"),  # strtold's overflow
        (b"-1", b"ERR timeout is negative"),
        (b"inf", b"ERR timeout is negative"),
        (b"-inf", b"ERR timeout is negative"),
        (b"1e400", b"ERR timeout is negative"),
        (b"99999999999999999", b"ERR timeout is negative"),
        (b"9223372036854775.808", b"ERR timeout is negative"),
    ],
)
def test_parse_timeout_errors(raw, error):
    assert error_of(args.parse_timeout, raw) == error


# -- words and the cursor -------------------------------------------------------------------------------------


def test_keyword_matches_any_case_and_answers_its_error_otherwise():
    sides = {b"LEFT": True, b"RIGHT": False}
    assert args.keyword(b"left", sides) is True
    assert args.keyword(b"RiGhT", sides) is False
    assert error_of(args.keyword, b"up", sides) == SYNTAX
    assert error_of(args.keyword, b"up", sides, b"ERR CLIENT PAUSE mode must be WRITE or ALL") == (
        b"ERR CLIENT PAUSE mode must be WRITE or ALL"
    )


def test_cursor_reads_in_order_and_a_missing_argument_is_a_syntax_error():
    cursor = ArgCursor(argv("CMD key LIMIT 5"), 2)
    assert cursor.more() and cursor.next_upper() == b"LIMIT"
    assert cursor.next_int() == 5
    assert not cursor.more()
    assert error_of(cursor.next_bytes) == SYNTAX


def test_cursor_next_int_answers_its_error():
    assert error_of(ArgCursor([b"x"], 0).next_int) == NOT_INTEGER
    assert error_of(ArgCursor([b"x"], 0).next_int, b"ERR custom") == b"ERR custom"


def test_cursor_take_counts_before_it_reads():
    cursor = ArgCursor(argv("a b c"), 0)
    assert cursor.take(2) == [b"a", b"b"]
    assert error_of(cursor.take, 2) == SYNTAX
    assert error_of(cursor.take, 2, b"ERR Syntax error in HELLO option 'AUTH'") == (
        b"ERR Syntax error in HELLO option 'AUTH'"
    )
    assert cursor.take(1) == [b"c"]  # a refused take reads nothing


def test_limit_needs_both_arguments_before_it_parses_them():
    assert ArgCursor(argv("0 -1"), 0).next_limit() == (0, -1)
    assert error_of(ArgCursor(argv("x"), 0).next_limit) == SYNTAX  # not NOT_INTEGER: count is missing
    assert error_of(ArgCursor(argv("x 1"), 0).next_limit) == NOT_INTEGER
    assert error_of(ArgCursor(argv("1 x"), 0).next_limit) == NOT_INTEGER


def next_keys(text: str, **kwargs):
    options = {"not_integer": b"ERR not an integer", "below_minimum": b"ERR below", "too_many": b"ERR too many"}
    options.update(kwargs)
    return ArgCursor(argv(text), 0).next_keys(**options)


def test_numkeys_and_keys():
    assert next_keys("2 a b c") == [b"a", b"b"]
    assert next_keys("0 a", minimum=0) == []
    assert error_of(next_keys, "x a") == b"ERR not an integer"
    assert error_of(next_keys, "0 a") == b"ERR below"
    assert error_of(lambda: next_keys("-1 a", minimum=0)) == b"ERR below"
    assert error_of(next_keys, "3 a b") == b"ERR too many"
    assert error_of(ArgCursor(argv("3 a b"), 0).next_keys, b"x", b"y") == SYNTAX  # the default


# -- SET / GETEX expiry, NX|XX|GT|LT ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "options, flags, expire",
    [
        ("", 0, None),
        ("NX", args.NX, None),
        ("xx get", args.XX | args.GET, None),
        ("EX 10", args.EX, b"10"),
        ("px 5 PX 6", args.PX, b"6"),
        ("KEEPTTL GET NX", args.KEEPTTL | args.GET | args.NX, None),
        ("EXAT 1 NX NX", args.EXAT | args.NX, b"1"),
        ("PXAT 7", args.PXAT, b"7"),
    ],
)
def test_set_options(options, flags, expire):
    assert args.parse_expiry_options(argv("SET k v " + options), 3, for_set=True) == (flags, expire)


@pytest.mark.parametrize(
    "options", ["NX XX", "XX NX", "EX 1 PX 1", "EX 1 KEEPTTL", "KEEPTTL EX 1", "EX", "FOO", "PERSIST", "GET EX"]
)
def test_set_options_refused(options):
    assert error_of(args.parse_expiry_options, argv("SET k v " + options), 3, True) == SYNTAX


def test_getex_options():
    assert args.parse_expiry_options(argv("GETEX k PERSIST"), 2, for_set=False) == (args.PERSIST, None)
    assert args.parse_expiry_options(argv("GETEX k EX 5"), 2, for_set=False) == (args.EX, b"5")
    for options in ("NX", "GET", "KEEPTTL", "PERSIST EX 1", "EX 1 PERSIST"):
        assert error_of(args.parse_expiry_options, argv("GETEX k " + options), 2, False) == SYNTAX


def test_expire_deadline():
    assert args.expire_deadline(b"10", args.EX, 1000, "set") == 11000
    assert args.expire_deadline(b"10", args.PX, 1000, "set") == 1010
    assert args.expire_deadline(b"10", args.EXAT, 1000, "set") == 10000
    assert args.expire_deadline(b"10", args.PXAT, 1000, "set") == 10
    assert error_of(args.expire_deadline, b"x", args.EX, 0, "set") == NOT_INTEGER
    for raw, flag in (
        (b"0", args.EX),
        (b"-1", args.PX),
        (b"9223372036854776", args.EX),
        (b"9223372036854775807", args.PX),
    ):
        assert error_of(args.expire_deadline, raw, flag, 1000, "getex") == b"ERR invalid expire time in 'getex' command"


def test_expire_conditions():
    assert args.parse_expire_conditions(argv("EXPIRE k 1"), 3) == 0
    assert args.parse_expire_conditions(argv("EXPIRE k 1 gt xx"), 3) == args.GT | args.XX
    assert error_of(args.parse_expire_conditions, [b"EXPIRE", b"k", b"1", b"a\r\nb"], 3) == (
        b"ERR Unsupported option a  b"
    )
    assert error_of(args.parse_expire_conditions, argv("EXPIRE k 1 NX GT"), 3) == (
        b"ERR NX and XX, GT or LT options at the same time are not compatible"
    )
    assert error_of(args.parse_expire_conditions, argv("EXPIRE k 1 GT LT"), 3) == (
        b"ERR GT and LT options at the same time are not compatible"
    )
    # the first unknown option wins over a conflict before it
    assert error_of(args.parse_expire_conditions, argv("EXPIRE k 1 NX XX FOO"), 3) == b"ERR Unsupported option FOO"


def test_zadd_options():
    assert args.parse_zadd_options(argv("ZADD k 1 a"), 0) == (0, 2)
    assert args.parse_zadd_options(argv("ZADD k xx ch GT 1 a 2 b"), 0) == (args.XX | args.CH | args.GT, 5)
    assert args.parse_zadd_options(argv("ZINCRBY k 1 a"), args.INCR) == (args.INCR, 2)
    assert error_of(args.parse_zadd_options, argv("ZADD k NX"), 0) == SYNTAX
    assert error_of(args.parse_zadd_options, argv("ZADD k NX XX 1"), 0) == SYNTAX  # pairs are checked first
    assert error_of(args.parse_zadd_options, argv("ZADD k NX XX 1 a"), 0) == (
        b"ERR XX and NX options at the same time are not compatible"
    )
    for options in ("NX GT", "LT NX", "GT LT"):
        assert error_of(args.parse_zadd_options, argv(f"ZADD k {options} 1 a"), 0) == (
            b"ERR GT, LT, and/or NX options at the same time are not compatible"
        )
    assert error_of(args.parse_zadd_options, argv("ZADD k INCR 1 a 2 b"), 0) == (
        b"ERR INCR option supports a single increment-element pair"
    )


def test_flush_mode():
    for text in ("FLUSHALL", "FLUSHALL async", "FLUSHALL SYNC"):
        args.parse_flush_mode(argv(text), 1)
    assert error_of(args.parse_flush_mode, argv("FLUSHALL LAZY"), 1) == SYNTAX
    assert error_of(args.parse_flush_mode, argv("SCRIPT FLUSH SYNC SYNC"), 2, b"ERR mode") == b"ERR mode"


# -- SCAN, *MPOP, random counts, ranges -----------------------------------------------------------------------


def test_scan_options():
    assert args.parse_scan_options(argv("HSCAN k 0"), 3) == (10, None, None)
    assert args.parse_scan_options(argv("HSCAN k 0 match a* COUNT 5 MATCH b*"), 3) == (5, b"b*", None)
    assert args.parse_scan_options(argv("SCAN 0 TYPE String"), 2, keyspace=True) == (10, None, b"string")
    assert error_of(args.parse_scan_options, argv("HSCAN k 0 TYPE string"), 3) == SYNTAX
    assert error_of(args.parse_scan_options, argv("SCAN 0 COUNT"), 2) == SYNTAX
    assert error_of(args.parse_scan_options, argv("SCAN 0 COUNT 0"), 2) == SYNTAX
    assert error_of(args.parse_scan_options, argv("SCAN 0 COUNT x"), 2) == NOT_INTEGER


SIDES = {b"LEFT": True, b"RIGHT": False}


def test_mpop_form():
    assert args.parse_mpop(argv("LMPOP 2 a b LEFT"), 1, SIDES) == ([b"a", b"b"], True, 1)
    assert args.parse_mpop(argv("BLMPOP 0 1 a right COUNT 3"), 2, SIDES) == ([b"a"], False, 3)


@pytest.mark.parametrize(
    "text, error",
    [
        ("LMPOP 0 a LEFT", b"ERR numkeys should be greater than 0"),
        ("LMPOP x a LEFT", b"ERR numkeys should be greater than 0"),
        ("LMPOP 2 a LEFT", SYNTAX),
        ("LMPOP 1 a", SYNTAX),
        ("LMPOP 1 a UP", SYNTAX),
        ("LMPOP 1 a LEFT COUNT", SYNTAX),
        ("LMPOP 1 a LEFT COUNT 0", b"ERR count should be greater than 0"),
        ("LMPOP 1 a LEFT COUNT x", b"ERR count should be greater than 0"),
        ("LMPOP 1 a LEFT COUNT 1 COUNT 1", SYNTAX),
        ("LMPOP 1 a LEFT FOO 1", SYNTAX),
    ],
)
def test_mpop_form_refused(text, error):
    assert error_of(args.parse_mpop, argv(text), 1, SIDES) == error


def test_random_count():
    assert args.parse_random_count(argv("HRANDFIELD k -5"), b"WITHVALUES") == (-5, False)
    assert args.parse_random_count(argv("HRANDFIELD k 5 withvalues"), b"WITHVALUES") == (5, True)
    assert error_of(args.parse_random_count, argv("HRANDFIELD k x"), b"WITHVALUES") == NOT_INTEGER
    assert error_of(args.parse_random_count, argv("HRANDFIELD k -9223372036854775808"), b"WITHVALUES") == (
        b"ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807"
    )
    assert error_of(args.parse_random_count, argv("HRANDFIELD k 1 WITHSCORES"), b"WITHVALUES") == SYNTAX
    assert error_of(args.parse_random_count, argv("HRANDFIELD k 1 WITHVALUES x"), b"WITHVALUES") == SYNTAX
    assert error_of(args.parse_random_count, argv("ZRANDMEMBER k 4611686018427387904 WITHSCORES"), b"WITHSCORES") == (
        b"ERR value is out of range"
    )
    assert error_of(args.parse_random_count, argv("ZRANDMEMBER k -4611686018427387904 WITHSCORES"), b"WITHSCORES") == (
        b"ERR value is out of range"
    )  # -LONG_MAX/2 in C is -4611686018427387903
    assert args.parse_random_count(argv("HRANDFIELD k -4611686018427387903 WITHVALUES"), b"WITHVALUES") == (
        -4611686018427387903,
        True,
    )
    # the count is parsed before the rest is looked at
    assert error_of(args.parse_random_count, argv("HRANDFIELD k x y z"), b"WITHVALUES") == NOT_INTEGER


@pytest.mark.parametrize(
    "low, high, expected",
    [
        (b"1", b"2", (1.0, 2.0, False, False)),
        (b"(1", b"(2", (1.0, 2.0, True, True)),
        (b"-inf", b"+inf", (float("-inf"), float("inf"), False, False)),
        (b"1\x00junk", b"0x10", (1.0, 16.0, False, False)),
    ],
)
def test_score_range(low, high, expected):
    spec = args.parse_score_range(low, high)
    assert (spec.min, spec.max, spec.minex, spec.maxex) == expected


@pytest.mark.parametrize("low, high", [(b"x", b"1"), (b"1", b"(x"), (b"nan", b"1"), (b"1 ", b"2")])
def test_score_range_refused(low, high):
    assert error_of(args.parse_score_range, low, high) == b"ERR min or max is not a float"


def test_lex_range():
    spec = args.parse_lex_range(b"[a", b"(b")
    assert (spec.min, spec.max, spec.minex, spec.maxex) == (b"a", b"b", False, True)
    spec = args.parse_lex_range(b"-", b"+\x00")
    assert (spec.min, spec.max) == ("-", "+")
    for low, high in ((b"a", b"[b"), (b"[a", b"+x"), (b"", b"+")):
        assert error_of(args.parse_lex_range, low, high) == b"ERR min or max not valid string range item"
