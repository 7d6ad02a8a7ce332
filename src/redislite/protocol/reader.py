"""Client byte stream -> argv lists.

hiredis parses RESP arrays at C speed, but it is laxer and stricter than Redis in places: it preallocates
a list for a multibulk header (`*2147483647` would allocate 16 GB), accepts `+simple` strings as arguments
and rejects `*-5` and an inline command right after a RESP one. So a chunk goes to hiredis directly only
when it starts at a command boundary and shows none of those shapes (a cheap regex scan); otherwise, and
whenever a command is left incomplete, a header framer walks the length headers first. The framer knows
Redis's limits and wording (processMultibulkBuffer), stops at the first thing hiredis must not see, and
hiredis gets only the vetted prefix. A multibulk header too big to preallocate is collected in Python.
At a command boundary, a first byte other than '*' starts an inline command (`PING` typed into telnet).

Redis finds a line's end with strchr and takes the byte after a header's '\r' as its '\n' without looking.
So a header ending in '\r' and some other byte is valid (the framer hands hiredis a '\n' in its place), and a
NUL byte before a line's end hides that end from Redis for good: it waits until the unread input passes
64 KB and answers "too big ... request" or "too big ... count string" (StalledLine).
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
LF = 10

# Shapes hiredis would accept but must not see: a multibulk count of 7+ digits, and after a line end the types
# hiredis reads as a string argument (`+`, `(`, `=`) or as a command (`~`, `|`) where Redis wants a bulk string
# (or, at a command boundary, reads an inline command). The other RESP3 types come out of hiredis as what no
# command is (a push, a map, a number ...) and are caught after it.
_BIG_COUNT = re.compile(rb"\*\d{7}")
_ODD_TYPE = re.compile(rb"\r\n[+(=~|]")
_ODD_TYPE_CODES = (43, 40, 61, 126, 124)  # + ( = ~ |
_LISTS_ONLY = {list}
_JOIN = b"".join
SCAN_BY_REGEX = 4096  # above this, chunks are usually mostly payload: hop between marker bytes instead


def _needs_framing(data: bytes) -> bool:
    # Byte tests by code (`43 in data`): `b"+" in data` first tries the needle as an integer, and pays for
    # formatting that TypeError; find() pays for parsing its arguments.
    if len(data) <= SCAN_BY_REGEX:
        if (43 in data or 40 in data or 61 in data or 126 in data or 124 in data) and _ODD_TYPE.search(data):
            return True
        if 42 not in data[1:]:  # one command: only its own count can be big
            return data[1:8].isdigit()
        return _BIG_COUNT.search(data) is not None
    return _odd_type_hopping(data) or _big_count_hopping(data)


def _odd_type_hopping(data: bytes) -> bool:
    """_ODD_TYPE by hopping between its last bytes (memchr is far faster than a regex over a large payload)."""
    return any(marker in data and _marker_followed(data, marker, _ODD_TYPE, -2) for marker in _ODD_TYPE_CODES)


def _big_count_hopping(data: bytes) -> bool:
    """_BIG_COUNT by hopping between '*' bytes, a slice test each (cheaper than a regex match); falls back
    to the regex when they are frequent (many small commands)."""
    pos = data.find(b"*")
    for _ in range(32):
        if pos < 0:
            return False
        if (digits := data[pos + 1 : pos + 8]).isdigit() and len(digits) == 7:
            return True
        pos = data.find(b"*", pos + 1)
    return pos >= 0 and _BIG_COUNT.search(data, pos) is not None


def _marker_followed(data: bytes, marker: int, pattern: re.Pattern, back: int) -> bool:
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
    'big' (count = argument count), 'inline' (a boundary whose first byte is not '*'), 'stall' (a refused line
    with a NUL byte, which Redis waits on: detail = its eventual message), and 'bent': a valid header whose '\r'
    is followed by a byte other than '\n' (start: that byte), which hiredis must be given as a '\n'."""

    kind: str
    start: int
    end: int
    detail: str = ""
    count: int = 0


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

    def feed(self, chunk: bytes, limits: RequestLimits) -> bool:
        """Walk a chunk hiredis was given whole; raise ProtocolViolation at the first violation (boundary events
        are passed over). False when hiredis must not have been given it (an inline command, a bent or stalled
        line)."""
        pos = 0
        while (event := self.walk(chunk, limits, pos)) is not None:
            if event.kind == "violation":
                raise ProtocolViolation(event.detail)
            if event.kind in ("inline", "bent", "stall"):
                return False  # hiredis took for RESP what Redis reads otherwise
            if event.kind == "big":
                self.args_left = event.count  # hiredis already holds this one; just keep in step
            pos = event.end
        return True

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
                event = self._header_line(line, at_boundary, limits, start, pos + 1)
                if event is not None:
                    return event
                if chunk[pos] != LF:
                    return FrameEvent("bent", pos, pos + 1)
                pos += 1
                continue
            cr = chunk.find(b"\r", pos)
            if cr < 0 or cr + 1 >= end:
                self.header += chunk[pos:]
                if len(self.header) > INLINE_MAX_SIZE:
                    return FrameEvent("violation", -1, end, _too_big_count(at_boundary))
                return None
            line = self.header + chunk[pos:cr]
            self.header = b""
            pos = cr + 2
            event = self._header_line(line, at_boundary, limits, start, pos)
            if event is not None:
                return event
            if chunk[cr + 1] != LF:
                return FrameEvent("bent", cr + 1, pos)
        return None

    def _header_line(
        self, line: bytes, at_boundary: bool, limits: RequestLimits, start: int, end: int
    ) -> FrameEvent | None:
        if at_boundary:
            count = _parse_length(line[1:])
            if count is None or count > MULTIBULK_MAX:
                return _refusal(line, at_boundary, start, end, "invalid multibulk length")
            if count > UNAUTHENTICATED_MULTIBULK_MAX and not limits.authenticated:
                return FrameEvent("violation", start, end, "unauthenticated multibulk length")
            if count <= 0:
                return FrameEvent("empty", start, end)
            if count > big_multibulk():
                return FrameEvent("big", start, end, count=count)
            self.args_left = count
            return None
        try:
            length = _bulk_length(line, limits)
        except ProtocolViolation as refused:
            return _refusal(line, at_boundary, start, end, str(refused))
        self.args_left -= 1
        self.skip = length + 2
        return None


def _too_big_count(at_boundary: bool) -> str:
    return "too big %s count string" % ("mbulk" if at_boundary else "bulk")


def _refusal(line: bytes, at_boundary: bool, start: int, end: int, detail: str) -> FrameEvent:
    """A header Redis refuses, unless a NUL byte hides its end from Redis's strchr: then it waits (StalledLine).
    Only a refused line needs the test: a valid header has no NUL."""
    if 0 in line:
        return FrameEvent("stall", start, end, _too_big_count(at_boundary))
    return FrameEvent("violation", start, end, detail)


def _bulk_length(line: bytes, limits: RequestLimits) -> int:
    """A bulk header line ('$' and a length, without its CR): the length. A line Redis refuses raises
    ProtocolViolation with what Redis says of it (the caller decides: a NUL byte in it makes Redis wait)."""
    if line[:1] != b"$":
        # addReplyErrorFormat turns CR and LF into spaces; an empty line shows its own '\r'
        raise ProtocolViolation("expected '$', got '%s'" % (line[:1] or b" ").replace(b"\n", b" ").decode("latin-1"))
    length = _parse_length(line[1:])
    if length is None or length < 0 or length > limits.max_bulk_len:
        raise ProtocolViolation("invalid bulk length")
    if length > UNAUTHENTICATED_BULK_MAX and not limits.authenticated:
        raise ProtocolViolation("unauthenticated bulk length")
    return length


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

    def feed(self, data: bytes, limits: RequestLimits, commands: list) -> bytes | None:
        """Consume data; once the command is complete, append it to commands and return the bytes after it;
        None while it is not."""
        buffer = self.buffer
        buffer += data
        pos = 0
        while self.args_left:
            if self.bulk < 0:
                cr = buffer.find(b"\r", pos)
                length = -1  # until a line end is found that no NUL byte hides from Redis (StalledLine)
                if 0 <= cr < len(buffer) - 1:
                    line = bytes(buffer[pos:cr])
                    try:
                        length = _bulk_length(line, limits)
                    except ProtocolViolation:
                        if 0 not in line:
                            raise
                if length < 0:
                    if len(buffer) - pos > INLINE_MAX_SIZE:
                        raise ProtocolViolation("too big bulk count string")
                    break
                self.bulk = length
                pos = cr + 2
            if len(buffer) - pos < self.bulk + 2:
                break
            self.args.append(bytes(buffer[pos : pos + self.bulk]))
            pos += self.bulk + 2
            self.bulk = -1
            self.args_left -= 1
        del buffer[:pos]
        if self.args_left:
            return None
        commands.append(self.args)
        return bytes(buffer)


class StalledLine:
    """The rest of a stream whose current line Redis never sees the end of (a NUL byte before its end stops
    strchr): Redis reads on until the unparsed input passes 64 KB, then answers `detail` and closes."""

    def __init__(self, size: int, detail: str):
        self.size = size
        self.detail = detail
        self._check()

    def feed(self, data: bytes, limits: RequestLimits, commands: list) -> None:
        self.size += len(data)
        self._check()

    def _check(self) -> None:
        if self.size > INLINE_MAX_SIZE:
            raise ProtocolViolation(self.detail)


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
        self.collector: BigCommand | StalledLine | None = None  # takes the stream while set
        self.partial_bytes = 0  # bytes received since the last complete command (client-query-buffer-limit)

    def parse(self, data: bytes, commands: list) -> None:
        """Append every complete command in `data` to `commands`; raise ProtocolViolation after appending the
        commands that came before the violation (Redis answers those first)."""
        # The common case first: a small chunk of whole RESP commands after a command boundary.
        if (
            data[0] == STAR
            and not self.pending
            and self.collector is None
            and not self.inline_buffer
            and self.limits.authenticated
            and not _needs_framing(data)
        ):
            data = self._parse_fast(data, commands)
        while data:
            if self.collector is not None:
                rest = self.collector.feed(data, self.limits, commands)
                if rest is None:
                    self._count_partial(len(data))
                    return
                self.collector = None
                self.partial_bytes = 0
                data = rest
                continue
            odd = None  # whether the chunk needs the framer; computed at most once, and only when it matters
            unsure = self.unsure
            if unsure is not None:
                odd = data[0] != STAR or not self.limits.authenticated or _needs_framing(data)
                if odd:
                    data = self._resolve_unsure(unsure, data, commands)
                    continue
            if self.inline_buffer or (data[0] != STAR and not self.pending):
                data = self._parse_inline(data, commands)
            elif not self.pending and not (
                odd if odd is not None else not self.limits.authenticated or _needs_framing(data)
            ):
                data = self._parse_fast(data, commands)
            else:
                data = self._parse_framed(data, commands, 0)

    def _resolve_unsure(self, unsure: tuple[bytes, int], data: bytes, commands: list) -> bytes:
        """Whether the previous chunk (`unsure`) ended inside a command now matters: walk it; returns what is left
        to parse."""
        previous, parsed = unsure
        self.unsure = None
        self.checker.reset()
        if not self.checker.feed(previous, self.limits):
            return self._reframe(previous + data, commands, parsed)
        self.header_fed = bool(self.checker.header)  # hiredis was given all of it
        self.pending = not self.checker.at_boundary()
        return data

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
        except (hiredis.ProtocolError, TypeError):  # TypeError: hiredis building a map with a list for a key
            _keep_valid_prefix(commands, start)  # a bad shape before hiredis's error: the first one counts
            if unsure is not None:  # the previous chunk may have ended inside a command: frame both
                return self._reframe(unsure[0] + data, commands, len(commands) - start + unsure[1])
            return self._reframe(data, commands, len(commands) - start)
        parsed = len(commands) - start
        if not parsed:  # inside a command, maybe inside an array nested in it, which Redis refuses at once
            if unsure is not None:  # the previous chunk may have ended inside it too
                return self._walk_partial(unsure[0] + data, commands, unsure[1])
            return self._walk_partial(data, commands, 0)
        if reader.has_data():
            return self._walk_partial(data, commands, parsed)
        self.unsure = (data, parsed)
        self.partial_bytes = 0
        return b""

    def _walk_partial(self, data: bytes, commands: list, parsed: int) -> bytes:
        """hiredis read all of data (from a command boundary on) but may hold part of a command: the framer
        walks it to keep in step with hiredis, and to see what hiredis would take for RESP but Redis would not."""
        checker = self.checker
        checker.reset()
        if not checker.feed(data, self.limits):
            return self._reframe(data, commands, parsed)
        self.header_fed = bool(checker.header)
        self.pending = not checker.at_boundary()
        if self.pending:
            self._count_partial(len(data))
        else:
            self.partial_bytes = 0
        return b""

    def _reframe(self, data: bytes, commands: list, already_parsed: int) -> bytes:
        """hiredis was given data (from a command boundary on) that only the framer can read: start over."""
        self.hiredis = hiredis.Reader()
        self.checker.reset()
        self.pending = self.header_fed = False
        return self._parse_framed(data, commands, already_parsed)

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
                    vetted = stream[: len(stream) - len(checker.header)]
                    self.header_fed = False
            elif event.start >= 0:
                vetted = withheld + data[: event.start]
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
            if event.kind == "bent":  # Redis took the byte after the header's '\r' for a '\n'
                reader.feed(b"\n")
                self.header_fed = False
                data = data[event.end :]
                continue
            if event.kind == "stall":
                unread = len(data) - event.start if event.start >= 0 else len(carried) + len(data)
                self.collector = StalledLine(unread, event.detail)
                return b""
            # A command boundary: hiredis holds at most the start of this header line, which it must not parse.
            if event.start < 0 and self.header_fed:
                self.hiredis = hiredis.Reader()
            self.header_fed = False
            checker.reset()
            self.pending = False
            self.partial_bytes = 0
            if event.kind == "big":
                self.collector = BigCommand(event.count)
            if event.kind != "empty" or event.end >= len(data) or data[event.end] != STAR:
                return data[event.end :]
            data = data[event.end :]

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
            if newline >= 0 and buffer.find(b"\0", pos, newline) >= 0:  # Redis's strchr stops at the NUL
                self.collector = StalledLine(len(buffer) - pos, "too big inline request")
                return b""
            if newline < 0:
                if len(buffer) - pos > INLINE_MAX_SIZE:
                    raise ProtocolViolation("too big inline request")
                self.inline_buffer = buffer[pos:]
                return b""
            end = newline - 1 if newline > pos and buffer[newline - 1] == 13 else newline  # one '\r' goes
            argv = split_inline_args(buffer[pos:end])
            pos = newline + 1
            if argv is None:
                raise ProtocolViolation("unbalanced quotes in request")
            if argv:
                commands.append(argv)
        return b""


_ESCAPES = {ord("n"): b"\n", ord("r"): b"\r", ord("t"): b"\t", ord("b"): b"\b", ord("a"): b"\a"}
_HEX = b"0123456789abcdefABCDEF"
_BLANKS = b" \t\n\v\f\r"  # isspace(): what separates words
_WORD_ENDS = b" \t\n\r"  # what ends an unquoted word: not \v or \f, which it keeps


def split_inline_args(line: bytes) -> list[bytes] | None:
    """Redis's sdssplitargs: words separated by blanks; "double quotes" take \\xHH and \\n-style escapes,
    'single quotes' only \\'; a closing quote ends its word and must be followed by a blank or the end. None
    when quotes are unbalanced or badly closed. Redis reads the line as a C string: it ends at a NUL byte."""
    nul = line.find(b"\0")
    if nul >= 0:
        line = line[:nul]
    args: list[bytes] = []
    pos, end = 0, len(line)
    while True:
        while pos < end and line[pos] in _BLANKS:
            pos += 1
        if pos >= end:
            return args
        current = bytearray()
        quote = 0
        while pos < end:
            char = line[pos]
            pos += 1
            if not quote:
                if char in _WORD_ENDS:
                    break
                if char == 34 or char == 39:  # " or '
                    quote = char
                else:
                    current.append(char)
            elif char == 92 and quote == 34 and pos < end:  # a backslash in double quotes
                if pos + 2 < end and line[pos] == 120 and line[pos + 1] in _HEX and line[pos + 2] in _HEX:
                    current.append(int(line[pos + 1 : pos + 3], 16))  # \xHH
                    pos += 3
                else:
                    current += _ESCAPES.get(line[pos], line[pos : pos + 1])
                    pos += 1
            elif char == 92 and quote == 39 and pos < end and line[pos] == 39:
                current.append(39)
                pos += 1
            elif char == quote:
                if pos < end and line[pos] not in _BLANKS:
                    return None
                quote = 0
                break
            else:
                current.append(char)
        if quote:
            return None  # the line ended inside quotes
        args.append(bytes(current))
