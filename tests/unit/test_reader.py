"""RequestReader against Redis's own behaviour (verified with redis-server 7.0): commands, limits, error texts,
and the same results whatever the chunk boundaries are."""

import pytest

from redislite.errors import ProtocolViolation
from redislite.protocol.reader import HeaderChecker, RequestLimits, RequestReader, split_inline_args


def parse(data: bytes, step: int | None = None, **limits):
    reader = RequestReader(RequestLimits(**limits))
    commands = []
    try:
        if step is None:
            reader.parse(data, commands)
        else:
            for i in range(0, len(data), step):
                reader.parse(data[i : i + step], commands)
    except ProtocolViolation as error:
        return commands, error.message
    return commands, None


# (input, commands Redis runs, the protocol error Redis sends or None) — each checked against redis-server 7.0
CASES = [
    (b"*1\r\n$4\r\nPING\r\n", [[b"PING"]], None),
    (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n+1\r\n", [[b"SET", b"k", b"+1"]], None),
    (b"*1\r\nfoo\r\n", [], b"ERR Protocol error: expected '$', got 'f'"),
    (b"*2\r\n$3\r\nGET\r\n:5\r\n", [], b"ERR Protocol error: expected '$', got ':'"),
    (b"*2\r\n$4\r\nPING\r\n+foo\r\n", [], b"ERR Protocol error: expected '$', got '+'"),
    (b"*1\r\n$600000000\r\n", [], b"ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$536870913\r\n", [], b"ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$536870912\r\n", [], None),
    (b"*3000000000\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*2147483648\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*2147483647\r\n", [], None),
    (b"*abc\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*01\r\n$4\r\nPING\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*+1\r\n$4\r\nPING\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*1 \r\n$4\r\nPING\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*1\nPING\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*1\r\n$+4\r\nPING\r\n", [], b"ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$04\r\nPING\r\n", [], b"ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$ 4\r\nPING\r\n", [], b"ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$-1\r\n", [], b"ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$abc\r\n", [], b"ERR Protocol error: invalid bulk length"),
    (b"*-5\r\nPING\r\n", [[b"PING"]], None),
    (b"*0\r\n*-1\r\nPING\r\n", [[b"PING"]], None),
    (b"*1\r\n$4\r\nPINGxx\r\n", [[b"PING"]], None),  # Redis does not look at the two bytes after a payload
    (b"*1\r\n$4\r\nPING\r\nPING\r\n*0\r\n*1\r\n$4\r\nECHO\r\n", [[b"PING"], [b"PING"], [b"ECHO"]], None),
    (b"*1\r\n$4\r\nPING\r\n*1\r\nxx\r\nPING\r\n", [[b"PING"]], b"ERR Protocol error: expected '$', got 'x'"),
    (b"$4\r\nPING\r\n", [[b"$4"], [b"PING"]], None),
    (b"+PING\r\n", [[b"+PING"]], None),
    (b"\r\n\r\nPING\r\n", [[b"PING"]], None),
    (b"PING\n", [[b"PING"]], None),
    (b"  PING   \r\n", [[b"PING"]], None),
    (b"ECHO 'a\\'b'\r\n", [[b"ECHO", b"a'b"]], None),
    (b'ECHO "\\x41\\n"\r\n', [[b"ECHO", b"A\n"]], None),
    (b'PING "a\r\n', [], b"ERR Protocol error: unbalanced quotes in request"),
    (b'ECHO "a"b\r\n', [], b"ERR Protocol error: unbalanced quotes in request"),
    (b"x" * 70000, [], b"ERR Protocol error: too big inline request"),
    (b"*" + b"1" * 70000, [], b"ERR Protocol error: too big mbulk count string"),
    (b"*1\r\n$" + b"1" * 70000, [], b"ERR Protocol error: too big bulk count string"),
    # A header's '\r' ends it whatever byte follows: Redis takes that byte for the '\n' without looking.
    (b"*1\r\n$4\rxPING\r\n", [[b"PING"]], None),
    (b"*1\rx$4\r\nPING\r\n", [[b"PING"]], None),
    (b"*1\r\r$4\r\rPING\r\n", [[b"PING"]], None),
    (b"*1\r\n$4\r\nPING\r\n" * 2 + b"*1\r\n$4\rxPING\r\n" * 2, [[b"PING"]] * 4, None),
    (b"*1\r\r\r\r", [], b"ERR Protocol error: expected '$', got ' '"),
    (b"*\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*-0\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*9223372036854775807\r\n", [], b"ERR Protocol error: invalid multibulk length"),
    (b"*1\r\n$-0\r\n", [], b"ERR Protocol error: invalid bulk length"),
    (b"*1\r\n$9223372036854775808\r\n", [], b"ERR Protocol error: invalid bulk length"),
    # The offending byte is quoted as sent, but a CR or LF becomes a space (addReplyErrorFormat).
    (b"*1\r\n\r\n", [], b"ERR Protocol error: expected '$', got ' '"),
    (b"*1\r\n\n\r\n", [], b"ERR Protocol error: expected '$', got ' '"),
    (b"*1\r\n\xff\r\n", [], b"ERR Protocol error: expected '$', got '\xff'"),
    # RESP3 types are no request arguments (hiredis would read them), and no commands at a boundary.
    (b"*1\r\n(1\r\n", [], b"ERR Protocol error: expected '$', got '('"),
    (b"*1\r\n=5\r\ntxt:a\r\n", [], b"ERR Protocol error: expected '$', got '='"),
    (b"*1\r\n%1\r\n", [], b"ERR Protocol error: expected '$', got '%'"),
    (b"*1\r\n%1\r\n*1\r\n$1\r\na\r\n$1\r\nb\r\n", [], b"ERR Protocol error: expected '$', got '%'"),
    (b"*1\r\n~1\r\n$1\r\na\r\n", [], b"ERR Protocol error: expected '$', got '~'"),
    (b"*1\r\n|1\r\n$1\r\na\r\n$1\r\nb\r\n", [], b"ERR Protocol error: expected '$', got '|'"),
    (b"*1\r\n$4\r\nPING\r\n~1\r\n$4\r\nPING\r\n", [[b"PING"], [b"~1"], [b"$4"], [b"PING"]], None),
    (b"*1\r\n$4\r\nPING\r\n>1\r\n$4\r\nPING\r\n", [[b"PING"], [b">1"], [b"$4"], [b"PING"]], None),
    (b"*1\r\n$4\r\nPING\r\n|1\r\n$1\r\na\r\n", [[b"PING"], [b"|1"], [b"$1"], [b"a"]], None),
    (b"*2\r\n$4\r\nECHO\r\n(12345678901234567890\r\n", [], b"ERR Protocol error: expected '$', got '('"),
    # A NUL byte before a line's end hides the end from Redis's strchr: Redis waits for more, and past
    # 64 KB of unparsed input answers "too big". In a payload a NUL is just a byte.
    (b"PING\x00\r\n", [], None),
    (b"PING\x00\r\nPING\r\n", [], None),
    (b"PING\r\nPING\x00\r\n" + b"x" * 70000, [[b"PING"]], b"ERR Protocol error: too big inline request"),
    (b"PING\x00" + b"x\r\n" * 30000, [], b"ERR Protocol error: too big inline request"),
    (b"*1\x00\r\n$4\r\nPING\r\n", [], None),
    (b"*1\x00\r\n" + b"x" * 70000, [], b"ERR Protocol error: too big mbulk count string"),
    (b"*1\r\n$4\x00\r\nPING\r\n", [], None),
    (b"*1\r\n$4\x00\r\n" + b"x" * 70000, [], b"ERR Protocol error: too big bulk count string"),
    (b"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI\x00G\r\n", [[b"PING"], [b"PI\x00G"]], None),
    (b"*1\r\n$4\r\nPING\r\n\x00\r\n", [[b"PING"]], None),
    # Inline commands: sdssplitargs, whose words end at space, tab, CR or LF, not at \v or \f
    (b"ECHO a\x0bb\r\n", [[b"ECHO", b"a\x0bb"]], None),
    (b"ECHO \x0cb\r\n", [[b"ECHO", b"b"]], None),
    (b'ECHO "a"\x0bb\r\n', [[b"ECHO", b"a", b"b"]], None),
    (b"PING\rPING\r\n", [[b"PING", b"PING"]], None),
    (b'ECHO "a\rb"\r\n', [[b"ECHO", b"a\rb"]], None),
    (b"ECHO a\r\r\n", [[b"ECHO", b"a"]], None),
    (b'ECHO "\\x4g"\r\n', [[b"ECHO", b"x4g"]], None),
    (b"ECHO 'a\\'\r\n", [], b"ERR Protocol error: unbalanced quotes in request"),
    (b'ECHO "a\\\r\n', [], b"ERR Protocol error: unbalanced quotes in request"),
    (b"ECHO a'b c'\r\n", [[b"ECHO", b"ab c"]], None),
]


@pytest.mark.parametrize("data,commands,error", CASES, ids=[repr(c[0][:24]) for c in CASES])
def test_reader_matches_redis(data, commands, error):
    assert parse(data) == (commands, error)


@pytest.mark.parametrize("step", [1, 2, 3, 5, 7, 13])
@pytest.mark.parametrize(
    "data,commands,error",
    [c for c in CASES if len(c[0]) < 1000],
    ids=[repr(c[0][:24]) for c in CASES if len(c[0]) < 1000],
)
def test_reader_gives_the_same_result_whatever_the_chunk_boundaries(data, commands, error, step):
    assert parse(data, step) == (commands, error)


@pytest.mark.timeout(10)
def test_a_nul_byte_in_an_inline_command_stalls_the_line_instead_of_looping():
    reader = RequestReader(RequestLimits(authenticated=False))
    commands = []
    reader.parse(b"PING\x00\r\n", commands)
    reader.parse(b"*1\r\n$4\r\nPING\r\n" * 100, commands)
    assert commands == []
    with pytest.raises(ProtocolViolation, match="too big inline request"):
        reader.parse(b"x" * 65536, commands)


def test_a_bent_header_split_anywhere_after_a_fast_pass_still_parses():
    """The fast path may have given hiredis the '\r' (or all of a bent line) before the framer sees it."""
    data = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n" * 3 + b"*2\r\n$3\r\nGET\r\n$1\rxk\r\n" + b"*1\r\n$4\r\nPING\r\n"
    expected = [[b"GET", b"k"]] * 4 + [[b"PING"]]
    for cut in range(1, len(data)):
        for second in (len(data), cut + 3, cut + 9):
            reader = RequestReader(RequestLimits())
            commands = []
            for part in (data[:cut], data[cut:second], data[second:]):
                if part:
                    reader.parse(part, commands)
            assert commands == expected, (cut, second)


@pytest.mark.parametrize("odd", [b"+1", b"(1", b"=5\r\ntxt:a"])
def test_a_resp3_argument_deep_in_a_large_read_is_refused_as_redis_does(odd):
    """Large reads are scanned by hopping between marker bytes, which payloads may hold too."""
    ping = b"*1\r\n$4\r\nPING\r\n"
    for value in (b"a+(=~|", b"+(=~|\r\n"):  # the same bytes inside a payload, and at its start
        benign = b"*2\r\n$4\r\nECHO\r\n$%d\r\n%s\r\n" % (len(value), value)
        data = (ping + benign) * 300 + b"*2\r\n$4\r\nECHO\r\n" + odd + b"\r\n" + ping
        assert len(data) > 4096
        assert parse(data) == (
            [[b"PING"], [b"ECHO", value]] * 300,
            b"ERR Protocol error: expected '$', got '%s'" % odd[:1],
        )
        assert parse((ping + benign) * 300) == ([[b"PING"], [b"ECHO", value]] * 300, None)


def test_a_set_after_a_command_in_a_large_read_is_read_as_inline_commands():
    ping = b"*1\r\n$4\r\nPING\r\n"
    assert parse(ping * 400 + b"~1\r\n$4\r\nPING\r\n") == ([[b"PING"]] * 400 + [[b"~1"], [b"$4"], [b"PING"]], None)


def test_a_pipeline_split_between_arguments_is_not_taken_for_inline_commands():
    one = b"*3\r\n$3\r\nSET\r\n$4\r\nkey1\r\n$5\r\nvalue\r\n"
    data = one * 200
    for cut in range(1, len(one) + 1):
        reader = RequestReader(RequestLimits())
        commands = []
        reader.parse(data[:cut], commands)
        reader.parse(data[cut:], commands)
        assert commands == [[b"SET", b"key1", b"value"]] * 200, cut


def test_a_huge_multibulk_count_is_collected_without_preallocating(monkeypatch):
    from redislite.protocol import reader

    monkeypatch.setattr(reader, "BIG_MULTIBULK", 1000)
    count = 5000
    data = b"*%d\r\n" % count + b"$1\r\na\r\n" * count + b"*1\r\n$4\r\nPING\r\n"
    commands, error = parse(data)
    assert error is None and len(commands) == 2 and len(commands[0]) == count and commands[1] == [b"PING"]
    assert parse(data, 4096) == (commands, None)
    assert parse(b"*2147483647\r\n" + b"$1\r\na\r\n" * 100, 64) == ([], None)


def test_unauthenticated_clients_get_redis_smaller_limits():
    assert parse(b"*11\r\n", authenticated=False)[1] == b"ERR Protocol error: unauthenticated multibulk length"
    assert parse(b"*10\r\n", authenticated=False)[1] is None
    assert (
        parse(b"*2\r\n$3\r\nGET\r\n$16385\r\n", authenticated=False)[1]
        == b"ERR Protocol error: unauthenticated bulk length"
    )


def test_proto_max_bulk_len_is_configurable():
    assert parse(b"*2\r\n$3\r\nGET\r\n$101\r\n", max_bulk_len=100)[1] == b"ERR Protocol error: invalid bulk length"


def test_binary_payloads_with_crlf_and_nul_survive():
    value = b"a\r\nb\x00c\r\n*1\r\n$4\r\n"
    data = b"*2\r\n$4\r\nECHO\r\n$%d\r\n%s\r\n" % (len(value), value)
    for step in (None, 1, 3):
        assert parse(data, step) == ([[b"ECHO", value]], None)


def test_header_checker_raises_with_redis_wording():
    checker = HeaderChecker()
    with pytest.raises(ProtocolViolation, match="invalid bulk length"):
        checker.feed(b"*1\r\n$-5\r\n", RequestLimits())


@pytest.mark.parametrize(
    "line,args",
    [
        (b"SET a b", [b"SET", b"a", b"b"]),
        (b'  SET   "a b"  c ', [b"SET", b"a b", b"c"]),
        (b'"\\x41\\x4a\\n\\t\\r"', [b"AJ\n\t\r"]),
        (b"'it\\'s'", [b"it's"]),
        (b"'a\\nb'", [b"a\\nb"]),
        (b'""', [b""]),
        (b"", []),
        (b'"abc', None),
        (b"'abc", None),
        (b'"a"b', None),
        (b"a\x0bb \x0cc", [b"a\x0bb", b"c"]),  # isspace() separates words, but only space/tab/CR/LF end one
        (b'"a"\x0bb', [b"a", b"b"]),
        (b'"a"\x0c', [b"a"]),
        (b"a\x00b c", [b"a"]),  # a C string: it ends at the NUL
        (b'"a\x00b"', None),
        (b"\x00", []),
        (b'"\\x4"', [b"x4"]),
        (b'"\\xZZ"', [b"xZZ"]),
        (b'"\\q\\n\\r\\t\\b\\a"', [b"q\n\r\t\b\a"]),
        (b'"\\"', None),
        (b"'\\'", None),
        (b"'a\\'", None),
        (b"'a'b", None),
        (b"'\\'a'", [b"'a"]),
        (b'ab"c d"', [b"abc d"]),
        (b"'a\\nb'", [b"a\\nb"]),
    ],
)
def test_split_inline_args_is_sdssplitargs(line, args):
    assert split_inline_args(line) == args
