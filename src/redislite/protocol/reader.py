"""Client byte stream -> argv lists.

hiredis parses RESP arrays at C speed. It knows nothing of Redis's request limits, so while a command is
still incomplete (the only time a limit can bite: a huge length header arrives before its payload) a small
header checker walks the stream's length headers and enforces them, with Redis's exact error texts. At a
command boundary, a first byte other than '*' starts an inline command (`PING` typed into telnet).
"""

from dataclasses import dataclass

import hiredis

from ..errors import ProtocolViolation

INLINE_MAX_SIZE = 64 * 1024  # Redis's PROTO_INLINE_MAX_SIZE
MULTIBULK_MAX = 2**31 - 1  # INT_MAX
UNAUTHENTICATED_MULTIBULK_MAX = 10
UNAUTHENTICATED_BULK_MAX = 16384
STAR = 42


@dataclass
class RequestLimits:
    max_bulk_len: int = 512 * 1024 * 1024  # proto-max-bulk-len
    query_buffer_limit: int = 1024 * 1024 * 1024  # client-query-buffer-limit
    authenticated: bool = True  # stricter limits apply before AUTH, as in Redis


class QueryBufferExceeded(Exception):
    """The client's unparsed input passed client-query-buffer-limit; Redis closes it without a reply."""


class HeaderChecker:
    """Walks RESP request headers incrementally, skipping payloads by arithmetic, to enforce Redis's limits."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.args_left = 0  # bulk headers still expected in the current command
        self.skip = 0  # payload bytes (with CRLF) still to pass over
        self.header = b""  # an incomplete header line carried over from the previous chunk

    def feed(self, chunk: bytes, limits: RequestLimits) -> None:
        pos = 0
        end = len(chunk)
        while pos < end:
            if self.skip:
                step = min(self.skip, end - pos)
                self.skip -= step
                pos += step
                continue
            expecting = b"$" if self.args_left else b"*"
            newline = chunk.find(b"\r\n", pos)
            if newline < 0:
                self.header += chunk[pos:]
                if len(self.header) > INLINE_MAX_SIZE:
                    raise ProtocolViolation("too big %s count string" % ("bulk" if self.args_left else "mbulk"))
                return
            line = self.header + chunk[pos:newline]
            self.header = b""
            pos = newline + 2
            self._header_line(line, expecting, limits)

    def _header_line(self, line: bytes, expecting: bytes, limits: RequestLimits) -> None:
        if expecting == b"*":
            if line[:1] != b"*":
                return  # an inline command follows; its own parser enforces the inline limits
            count = _parse_length(line[1:])
            if count is None or count > MULTIBULK_MAX:
                raise ProtocolViolation("invalid multibulk length")
            if count > UNAUTHENTICATED_MULTIBULK_MAX and not limits.authenticated:
                raise ProtocolViolation("unauthenticated multibulk length")
            self.args_left = max(count, 0)
            return
        if line[:1] != b"$":
            raise ProtocolViolation("expected '$', got '%s'" % (line[:1].decode("latin-1") or " "))
        length = _parse_length(line[1:])
        if length is None or length < 0 or length > limits.max_bulk_len:
            raise ProtocolViolation("invalid bulk length")
        if length > UNAUTHENTICATED_BULK_MAX and not limits.authenticated:
            raise ProtocolViolation("unauthenticated bulk length")
        self.args_left -= 1
        self.skip = length + 2


def _parse_length(text: bytes) -> int | None:
    try:
        return int(text) if text.strip() == text and len(text) < 21 else None
    except ValueError:
        return None


class RequestReader:
    """Turns a client's bytes into complete commands (lists of bytes), in order."""

    def __init__(self, limits: RequestLimits):
        self.limits = limits
        self.hiredis = hiredis.Reader()
        self.checker = HeaderChecker()
        self.inline_buffer = b""
        self.partial_bytes = 0  # bytes received since the last complete command (client-query-buffer-limit)

    def parse(self, data: bytes, commands: list) -> None:
        """Append every complete command in `data` to `commands`; raise ProtocolViolation after appending the
        commands that came before the violation (Redis answers those first)."""
        if self.inline_buffer or (data[0] != STAR and not self.hiredis.has_data()):
            data = self._parse_inline(data, commands)
            if not data:
                return
        reader = self.hiredis
        reader.feed(data)
        try:
            while (argv := reader.gets()) is not False:
                if argv.__class__ is list and argv:
                    for arg in argv:
                        if arg.__class__ is not bytes:
                            raise ProtocolViolation("expected '$', got '%s'" % _type_byte(arg))
                    commands.append(argv)
                elif argv is not None and argv != []:  # *-1 and *0 are skipped, as Redis does
                    raise ProtocolViolation("expected '*', got '%s'" % _type_byte(argv))
        except hiredis.ProtocolError as error:
            self.checker.feed(data, self.limits)  # finds the offending header with Redis's wording
            raise ProtocolViolation(str(error)) from None
        if reader.has_data():
            self.partial_bytes += len(data)
            if self.partial_bytes > self.limits.query_buffer_limit:
                raise QueryBufferExceeded()
            self.checker.feed(data, self.limits)
        elif self.partial_bytes:
            self.partial_bytes = 0
            self.checker.reset()

    def _parse_inline(self, data: bytes, commands: list) -> bytes:
        """Parse inline commands from the start of the stream; return what follows them as RESP."""
        buffer = self.inline_buffer + data
        self.inline_buffer = b""
        pos = 0
        while pos < len(buffer):
            if buffer[pos] == STAR:
                return buffer[pos:]
            newline = buffer.find(b"\n", pos)
            if newline < 0:
                if len(buffer) - pos > INLINE_MAX_SIZE:
                    raise ProtocolViolation("too big inline request")
                self.inline_buffer = buffer[pos:]
                return b""
            line = buffer[pos:newline]
            pos = newline + 1
            argv = split_inline_args(line.rstrip(b"\r"))
            if argv is None:
                raise ProtocolViolation("unbalanced quotes in request")
            if argv:
                commands.append(argv)
        return b""


def _type_byte(value) -> str:
    if isinstance(value, list):
        return "*"
    if isinstance(value, int):
        return ":"
    return "+"


_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("a"): b"\a"}
_HEX = b"0123456789abcdefABCDEF"


def split_inline_args(line: bytes) -> list[bytes] | None:
    """Redis's sdssplitargs: whitespace-separated words, "double quotes" with \\xHH and \\n-style escapes,
    'single quotes' with only \\' ; None when quotes are unbalanced or a closing quote is not followed by space."""
    args = []
    pos, end = 0, len(line)
    while True:
        while pos < end and line[pos] in b" \t\n\r\v\f":
            pos += 1
        if pos >= end:
            return args
        current = bytearray()
        quote = 0
        while True:
            if quote == 0:
                if pos >= end or line[pos] in b" \t\n\r\v\f\0":
                    break
                char = line[pos]
                if char in (34, 39):  # " or '
                    quote = char
                else:
                    current.append(char)
                pos += 1
                continue
            if pos >= end:
                return None  # unterminated quotes
            char = line[pos]
            if quote == 34 and char == 92 and pos + 3 < end and line[pos + 1] == ord("x") \
                    and line[pos + 2] in _HEX and line[pos + 3] in _HEX:
                current.append(int(line[pos + 2:pos + 4], 16))
                pos += 4
                continue
            if quote == 34 and char == 92 and pos + 1 < end:
                pos += 1
                current += _ESCAPES.get(line[pos], bytes([line[pos]]))
            elif quote == 39 and char == 92 and pos + 1 < end and line[pos + 1] == 39:
                pos += 1
                current.append(39)
            elif char == quote:
                if pos + 1 < end and line[pos + 1] not in b" \t\n\r\v\f":
                    return None  # closing quote must be followed by a space or nothing
                quote = 0
            else:
                current.append(char)
            pos += 1
        args.append(bytes(current))
