"""Client byte stream -> argv lists.

hiredis parses RESP arrays at C speed, but it is laxer and stricter than Redis in places: it preallocates
a list for a multibulk header (`*2147483647` would allocate 16 GB), accepts `+simple` strings as arguments
and rejects `*-5` and an inline command right after a RESP one. So a chunk goes to hiredis directly only
when it starts at a command boundary and shows none of those shapes (a cheap regex scan); otherwise, and
whenever a command is left incomplete, a header framer walks the length headers first. The framer knows
Redis's limits and wording (processMultibulkBuffer), stops at the first thing hiredis must not see, and
hiredis gets only the vetted prefix. A multibulk header too big to preallocate is collected in Python.
At a command boundary, a first byte other than '*' starts an inline command (`PING` typed into telnet).
"""

import re
from dataclasses import dataclass

import hiredis

from ..errors import ProtocolViolation

INLINE_MAX_SIZE = 64 * 1024  # Redis's PROTO_INLINE_MAX_SIZE
MULTIBULK_MAX = 2**31 - 1  # INT_MAX
UNAUTHENTICATED_MULTIBULK_MAX = 10
UNAUTHENTICATED_BULK_MAX = 16384
BIG_MULTIBULK = 1024 * 1024  # above this many arguments hiredis's preallocation is not worth the risk
STAR = 42

# Shapes hiredis would accept but must not see: a multibulk count of 7+ digits, a `+` argument.
_BIG_COUNT = re.compile(rb"\*\d{7}")
_PLUS_ARGUMENT = re.compile(rb"\r\n\+")
_LISTS_ONLY = {list}
_JOIN = b"".join
SCAN_BY_REGEX = 4096  # above this, chunks are usually mostly payload: hop between marker bytes instead


def _needs_framing(data: bytes) -> bool:
    # Byte tests by code (`43 in data`): `b"+" in data` first tries the needle as an integer, and pays for
    # formatting that TypeError; find() pays for parsing its arguments.
    if len(data) <= SCAN_BY_REGEX:
        if 43 in data and b"\r\n+" in data:
            return True
        if 42 not in data[1:]:  # one command: only its own count can be big
            return data[1:8].isdigit()
        return _BIG_COUNT.search(data) is not None
    return _marker_followed(data, b"+", _PLUS_ARGUMENT, -2) or _big_count_hopping(data)


def _big_count_hopping(data: bytes) -> bool:
    """_BIG_COUNT by hopping between '*' bytes, a slice test each (cheaper than a regex match); falls back
    to the regex when they are frequent (many small commands)."""
    pos = data.find(b"*")
    for _ in range(32):
        if pos < 0:
            return False
        if (digits := data[pos + 1:pos + 8]).isdigit() and len(digits) == 7:
            return True
        pos = data.find(b"*", pos + 1)
    return pos >= 0 and _BIG_COUNT.search(data, pos) is not None


def _marker_followed(data: bytes, marker: bytes, pattern: re.Pattern, back: int) -> bool:
    """Whether `pattern` occurs in data, found by hopping between occurrences of its marker byte (memchr is
    far faster than a regex over a large payload); falls back to the regex when markers are frequent."""
    pos = data.find(marker)
    for _ in range(32):
        if pos < 0:
            return False
        if pattern.match(data, max(pos + back, 0)):
            return True
        pos = data.find(marker, pos + 1)
    return pos >= 0 and pattern.search(data, max(pos + back, 0)) is not None


def _keep_valid_prefix(commands: list, start: int) -> bool:
    """Of what hiredis returned in commands[start:], keep the commands before the first one that is not a list
    of bulk strings (an integer, a nil or a nested array as an argument, a top-level non-array); *-1 and *0
    are skipped, as Redis does. True if something was cut: the framer re-reads it and words Redis's error."""
    kept = []
    cut = False
    for argv in commands[start:]:
        if argv is None or argv == []:
            continue
        if argv.__class__ is not list or any(arg.__class__ is not bytes for arg in argv):
            cut = True
            break
        kept.append(argv)
    commands[start:] = kept
    return cut


@dataclass
class RequestLimits:
    max_bulk_len: int = 512 * 1024 * 1024  # proto-max-bulk-len
    query_buffer_limit: int = 1024 * 1024 * 1024  # client-query-buffer-limit
    authenticated: bool = True  # stricter limits apply before AUTH, as in Redis


class QueryBufferExceeded(Exception):
    """The client's unparsed input passed client-query-buffer-limit; Redis closes it without a reply."""


@dataclass
class FrameEvent:
    """Where the framer stopped. `start` is the header line's offset in the chunk (-1: it began in an earlier
    chunk), `end` the offset just past it. kind: 'violation' (detail = message), 'empty' (`*0`, `*-5`: skipped),
    'big' (detail = argument count), 'inline' (a boundary whose first byte is not '*')."""

    kind: str
    start: int
    end: int
    detail: object = None


class HeaderChecker:
    """Walks RESP request headers incrementally, skipping payloads by arithmetic, to enforce Redis's limits."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.args_left = 0  # bulk headers still expected in the current command
        self.skip = 0  # payload bytes (with CRLF) still to pass over
        self.header = b""  # an incomplete header line carried over from the previous chunk

    def at_boundary(self) -> bool:
        return not (self.args_left or self.skip or self.header)

    def feed(self, chunk: bytes, limits: RequestLimits) -> None:
        """Walk a chunk; raise ProtocolViolation at the first violation (boundary events are passed over)."""
        pos = 0
        while (event := self.walk(chunk, limits, pos)) is not None:
            if event.kind == "violation":
                raise ProtocolViolation(event.detail)
            if event.kind == "inline":
                return  # an inline command follows; its own parser enforces the inline limits
            if event.kind == "big":
                self.args_left = event.detail  # hiredis already holds this one; just keep in step
            pos = event.end

    def walk(self, chunk: bytes, limits: RequestLimits, pos: int = 0) -> FrameEvent | None:
        end = len(chunk)
        while pos < end:
            if self.skip:
                step = min(self.skip, end - pos)
                self.skip -= step
                pos += step
                continue
            at_boundary = not self.args_left
            if at_boundary and not self.header and chunk[pos] != STAR:
                return FrameEvent("inline", pos, pos)
            # Like Redis, a header line ends at the first '\r' and the byte after it is taken as '\n'.
            start = -1 if self.header else pos
            if self.header[-1:] == b"\r":  # the previous chunk ended right after the '\r'
                line = self.header[:-1]
                self.header = b""
                pos += 1
                event = self._header_line(line, at_boundary, limits, start, pos)
                if event is not None:
                    return event
                continue
            cr = chunk.find(b"\r", pos)
            if cr < 0 or cr + 1 >= end:
                self.header += chunk[pos:]
                if len(self.header) > INLINE_MAX_SIZE:
                    return FrameEvent("violation", -1, end,
                                      "too big %s count string" % ("mbulk" if at_boundary else "bulk"))
                return None
            line = self.header + chunk[pos:cr]
            self.header = b""
            pos = cr + 2
            event = self._header_line(line, at_boundary, limits, start, pos)
            if event is not None:
                return event
        return None

    def _header_line(self, line: bytes, at_boundary: bool, limits: RequestLimits, start: int, end: int):
        if at_boundary:
            count = _parse_length(line[1:])
            if count is None or count > MULTIBULK_MAX:
                return FrameEvent("violation", start, end, "invalid multibulk length")
            if count > UNAUTHENTICATED_MULTIBULK_MAX and not limits.authenticated:
                return FrameEvent("violation", start, end, "unauthenticated multibulk length")
            if count <= 0:
                return FrameEvent("empty", start, end)
            if count > big_multibulk():
                return FrameEvent("big", start, end, count)
            self.args_left = count
            return None
        if line[:1] != b"$":
            return FrameEvent("violation", start, end, "expected '$', got '%s'" % line[:1].decode("latin-1"))
        length = _parse_length(line[1:])
        if length is None or length < 0 or length > limits.max_bulk_len:
            return FrameEvent("violation", start, end, "invalid bulk length")
        if length > UNAUTHENTICATED_BULK_MAX and not limits.authenticated:
            return FrameEvent("violation", start, end, "unauthenticated bulk length")
        self.args_left -= 1
        self.skip = length + 2
        return None


_LENGTH = re.compile(rb"-?[1-9][0-9]{0,19}|0")


def big_multibulk() -> int:
    return BIG_MULTIBULK  # a function so tests can lower it


def _parse_length(text: bytes) -> int | None:
    """Redis's string2ll: optional '-', no '+', no spaces, no leading zeros."""
    if _LENGTH.fullmatch(text) is None:
        return None
    value = int(text)
    return value if -(2**63) <= value < 2**63 else None


class BigCommand:
    """Collects one command whose multibulk count is too big to hand to hiredis, argument by argument."""

    def __init__(self, count: int):
        self.args_left = count
        self.args: list[bytes] = []
        self.buffer = bytearray()
        self.bulk = -1  # the current argument's length once its header is read

    def feed(self, data: bytes, limits: RequestLimits) -> bytes | None:
        """Consume data; return the bytes after the command once it is complete, None while it is not."""
        buffer = self.buffer
        buffer += data
        pos = 0
        while self.args_left:
            if self.bulk < 0:
                cr = buffer.find(b"\r", pos)
                if cr < 0 or cr + 1 >= len(buffer):
                    if len(buffer) - pos > INLINE_MAX_SIZE:
                        raise ProtocolViolation("too big bulk count string")
                    break
                line = bytes(buffer[pos:cr])
                if line[:1] != b"$":
                    raise ProtocolViolation("expected '$', got '%s'" % line[:1].decode("latin-1"))
                length = _parse_length(line[1:])
                if length is None or length < 0 or length > limits.max_bulk_len:
                    raise ProtocolViolation("invalid bulk length")
                if length > UNAUTHENTICATED_BULK_MAX and not limits.authenticated:
                    raise ProtocolViolation("unauthenticated bulk length")
                self.bulk = length
                pos = cr + 2
            if len(buffer) - pos < self.bulk + 2:
                break
            self.args.append(bytes(buffer[pos:pos + self.bulk]))
            pos += self.bulk + 2
            self.bulk = -1
            self.args_left -= 1
        del buffer[:pos]
        if self.args_left:
            return None
        return bytes(buffer)


class RequestReader:
    """Turns a client's bytes into complete commands (lists of bytes), in order."""

    def __init__(self, limits: RequestLimits):
        self.limits = limits
        self.hiredis = hiredis.Reader()
        self.checker = HeaderChecker()  # in step with the stream whenever `pending` is known to be true
        self.pending = False  # hiredis holds part of a command
        self.header_fed = False  # the framer's unfinished header line was already given to hiredis
        # hiredis cannot tell "between commands" from "between two arguments of one command" (has_data() is
        # false in both), so a fast-path chunk that ended on an element boundary is kept, with the number of
        # commands it produced, and walked only if the next chunk needs to know.
        self.unsure: tuple[bytes, int] | None = None
        self.inline_buffer = b""
        self.big: BigCommand | None = None
        self.partial_bytes = 0  # bytes received since the last complete command (client-query-buffer-limit)

    def parse(self, data: bytes, commands: list) -> None:
        """Append every complete command in `data` to `commands`; raise ProtocolViolation after appending the
        commands that came before the violation (Redis answers those first)."""
        # The common case first: a small chunk of whole RESP commands after a command boundary.
        if (data[0] == STAR and not self.pending and self.big is None and not self.inline_buffer
                and self.limits.authenticated and not _needs_framing(data)):
            data = self._parse_fast(data, commands)
        while data:
            if self.big is not None:
                rest = self.big.feed(data, self.limits)
                if rest is None:
                    self._count_partial(len(data))
                    return
                commands.append(self.big.args)
                self.big = None
                self.partial_bytes = 0
                data = rest
                continue
            odd = None  # whether the chunk needs the framer; computed at most once, and only when it matters
            if self.unsure is not None:
                odd = data[0] != STAR or not self.limits.authenticated or _needs_framing(data)
                if odd:
                    self._resolve_unsure()
            if self.inline_buffer or (data[0] != STAR and not self.pending):
                data = self._parse_inline(data, commands)
            elif not self.pending and not (odd if odd is not None else
                                           not self.limits.authenticated or _needs_framing(data)):
                data = self._parse_fast(data, commands)
            else:
                data = self._parse_framed(data, commands, 0)

    def _resolve_unsure(self) -> None:
        previous, _ = self.unsure
        self.unsure = None
        self.checker.reset()
        self.checker.feed(previous, self.limits)
        self.header_fed = bool(self.checker.header)  # hiredis was given all of it
        self.pending = not self.checker.at_boundary()

    def _parse_fast(self, data: bytes, commands: list) -> bytes:
        """A chunk that starts at a command boundary (or just after an unsure one) straight into hiredis; on
        anything odd, frame it instead."""
        unsure, self.unsure = self.unsure, None
        reader = self.hiredis
        reader.feed(data)
        start = len(commands)
        try:
            commands.extend(iter(reader.gets, False))  # C-level loop; a ProtocolError keeps what came before
            new = commands[start:] if start else commands
            try:  # every command must be a non-empty list of bytes objects: C-level passes tell (joining a
                # command's arguments type-checks them; an empty join, also from `*1 $0`, is looked at closer)
                if set(map(type, new)) != _LISTS_ONLY or not all(map(_JOIN, new)):
                    raise TypeError
            except TypeError:
                if _keep_valid_prefix(commands, start):
                    raise hiredis.ProtocolError() from None
        except hiredis.ProtocolError:
            _keep_valid_prefix(commands, start)  # a bad shape before hiredis's error: the first one counts
            parsed = len(commands) - start
            self.hiredis = hiredis.Reader()
            self.checker.reset()
            self.pending = self.header_fed = False
            if unsure is not None:  # the previous chunk may have ended inside a command: frame both
                data = unsure[0] + data
                parsed += unsure[1]
            return self._parse_framed(data, commands, parsed)
        parsed = len(commands) - start
        if unsure is not None and not parsed:
            data = unsure[0] + data  # still not known whether the previous chunk ended on a boundary
            parsed = unsure[1]
        if reader.has_data():
            self.checker.reset()
            self.checker.feed(data, self.limits)
            self.header_fed = bool(self.checker.header)
            self.pending = True
            self._count_partial(len(data))
        else:
            self.unsure = (data, parsed)
            self.partial_bytes = 0
        return b""

    def _parse_framed(self, data: bytes, commands: list, already_parsed: int) -> bytes:
        """Let the framer vet the chunk, feed hiredis the vetted prefix; return what is left to parse.
        `already_parsed` commands at the front were returned by a failed fast pass and are not repeated.
        A header line the framer has not finished is withheld from hiredis (unless the fast path already
        gave it), so hiredis never sees a header the framer would refuse."""
        while True:
            checker = self.checker
            carried = checker.header
            withheld = b"" if self.header_fed else carried
            event = checker.walk(data, self.limits)
            if event is None:
                if self.header_fed and checker.header == carried + data:
                    vetted = data  # still inside the header line hiredis has seen the start of
                else:
                    stream = withheld + data
                    vetted = stream[:len(stream) - len(checker.header)]
                    self.header_fed = False
            elif event.start >= 0:
                vetted = withheld + data[:event.start]
            else:
                vetted = b""
            reader = self.hiredis
            if vetted:
                reader.feed(vetted)
                while (argv := reader.gets()) is not False:
                    if argv.__class__ is list and argv:
                        if already_parsed:
                            already_parsed -= 1
                        else:
                            commands.append(argv)
            if event is None:
                self.pending = not checker.at_boundary()
                if self.pending:
                    self._count_partial(len(data))
                else:
                    self.partial_bytes = 0
                    checker.reset()
                return b""
            if event.kind == "violation":
                raise ProtocolViolation(event.detail)
            # A command boundary: hiredis holds at most the start of this header line, which it must not parse.
            if event.start < 0 and self.header_fed:
                self.hiredis = hiredis.Reader()
            self.header_fed = False
            checker.reset()
            self.pending = False
            self.partial_bytes = 0
            if event.kind == "big":
                self.big = BigCommand(event.detail)
            if event.kind != "empty" or event.end >= len(data) or data[event.end] != STAR:
                return data[event.end:]
            data = data[event.end:]

    def _count_partial(self, size: int) -> None:
        self.partial_bytes += size
        if self.partial_bytes > self.limits.query_buffer_limit:
            raise QueryBufferExceeded()

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
