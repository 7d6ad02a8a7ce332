"""Redis's glob matching (util.c stringmatchlen): `*`, `?`, `[abc]`, `[^a-c]`, `[a-]`, `\\` escapes, nocase.

A pattern is read as tokens: a run of stars, or a byte class that exactly one subject byte must be in (a byte,
an escaped byte, `?`, a bracket class). Both matchers below answer in time bounded by len(pattern) ×
len(subject); what either pays before its first answer is bounded too, whatever the pattern's length.

A short pattern (the usual `user:*`) is translated once into a regular expression, cached, that matches at C
speed. A plain translation (`*` -> `.*`) backtracks exponentially on patterns such as `a*a*a*...b` (Redis
fixed the same blow-up, CVE-2022-36021); the shape used here cannot:

- Every token other than `*` matches exactly one byte, so the pattern is `seg0 * seg1 * ... * segN` where each
  segment has a fixed length. If the subject matches at all, it matches with every middle segment at its
  leftmost occurrence after the previous one (moving a fixed-length segment left never hurts what follows).
- So seg0 is anchored at the start, each middle segment is found at its leftmost occurrence inside an atomic
  group (no backtracking into it), and segN is anchored at the end (`.*segN\\Z`, or `.*segN` when the pattern
  ends with `*`, where any occurrence will do). Each part scans the subject once per segment byte at most.
- A one-byte middle segment `c` is found by skipping the bytes that are not `c`: `[^c]*c`, a fast loop in
  CPython's `re`, and needing no atomic group: `[^c]*` giving back a byte leaves a non-`c` for `c`, which fails
  at once, so backtracking through it costs its length, once. A longer segment is `(?>.*?seg)`, a lazy scan
  that tries each position in turn. No possessive quantifiers: CPython 3.11.2 mismatches some of them.

Translating costs microseconds per pattern byte (`re` compiles in Python, and a client may send a megabyte;
figures in benchmarks/README.md), so a pattern longer than LONG_PATTERN is matched by `LongGlob` instead: the
classic wildcard loop over the tokens, which on a mismatch goes back to the last star and lets it take one more
byte (the same leftmost argument makes that enough). It reads tokens when first reached, so like Redis it reads
only as much of the pattern as the subjects get to, and it is not cached across commands. It costs far more per
subject than the regex, which is why short patterns keep the regex.

stringmatchlen's exact rules, kept here: a class member range `[z-a]` is swapped, and compared as C's signed
`char` (so `[a-\\xff]` is -1..'a'); `\\` escapes inside a class too; an unclosed `[` ends with the pattern; a
trailing `\\` is a literal backslash; nocase folds A-Z only, except an escaped byte inside a class; an empty
subject matches only the empty pattern (even `*` does not match it: KEYS and SCAN never ask about a bare `*`).
"""

import re
from collections.abc import Iterator
from functools import lru_cache

STAR, QUESTION, BACKSLASH, OPEN_CLASS, CARET, DASH = b"*?\\[^-"
ANY = (True, ())  # a byte class: (negated, inclusive ranges of unsigned bytes); ANY is `?`
NEVER = b"[^\\x00-\\xff]"
ALL_BYTES = frozenset(range(256))
STARS = None  # the token of a run of stars (a run counts as one star)
END = ()  # past a LongGlob's last token: a container of no byte
LONG_PATTERN = 256  # bytes: a longer pattern is a LongGlob, whose set-up costs nothing up front

STAR_RUN = re.compile(rb"\*+")
# A class member, as stringmatchlen reads them: an escaped byte, a range, a run of bytes that are neither special
# nor a range's start, any other byte but the closing `]`. A class's members are read a bounded number at a
# time: CPython's `re` keeps a frame per repetition of a group.
CLASS_MEMBER = re.compile(rb"\\.|[^\]]-.|[^\]\\-]+(?!-)|[^\]]", re.DOTALL)
CLASS_MEMBERS = re.compile(rb"(?:%s){0,1024}" % CLASS_MEMBER.pattern, re.DOTALL)


class LongGlob:
    """stringmatchlen(pattern, subject, nocase) as `.match(subject)`, for a pattern too long to translate: the
    wildcard loop over tokens read when first reached, at worst len(pattern) × len(subject) steps a subject."""

    __slots__ = ("empty", "tokens", "unread", "byte_sets")

    def __init__(self, pattern: bytes, nocase: bool = False):
        self.empty = not pattern
        self.tokens: list = []  # read so far: STARS, the set of bytes a token matches, and END once reached
        self.unread = _tokens(pattern, nocase)
        self.byte_sets: dict[tuple, frozenset] = {}  # one set per distinct class

    def match(self, subject: bytes) -> bool:
        if not subject:
            return self.empty
        tokens = self.tokens
        position = at = 0  # the next token and subject byte
        star = resume = -1  # the last star passed, and where the bytes it takes end for now
        length = len(subject)
        while at < length:
            try:
                token = tokens[position]
            except IndexError:
                token = self._token(position)
            if token is STARS:
                if self._token(position + 1) is END:  # a trailing star takes whatever is left
                    return True
                star, resume = position, at
                position += 1
            elif subject[at] in token:
                position += 1
                at += 1
            elif star >= 0:  # the last star takes one more byte; what follows it is tried again from there
                resume += 1
                position, at = star + 1, resume
            else:
                return False
        token = self._token(position)
        return token is END or (token is STARS and self._token(position + 1) is END)

    def _token(self, index: int):
        """Token `index`, reading the pattern as far as needed (never past END)."""
        tokens = self.tokens
        while len(tokens) <= index:
            token = next(self.unread, END)
            if token is STARS or token is END:
                tokens.append(token)
                continue
            byte_set = self.byte_sets.get(token)
            if byte_set is None:
                byte_set = self.byte_sets[token] = _byte_set(token)
            tokens.append(byte_set)
        return tokens[index]


def compile_glob(pattern: bytes, nocase: bool = False) -> "re.Pattern[bytes] | LongGlob":
    """What answers stringmatchlen(pattern, subject, nocase) as `.match(subject)` (truthy when it matches)."""
    if len(pattern) > LONG_PATTERN:
        return LongGlob(pattern, nocase)
    return glob_regex(pattern, nocase)


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    return bool(compile_glob(pattern, nocase).match(subject))


@lru_cache(maxsize=256)
def glob_regex(pattern: bytes, nocase: bool = False) -> re.Pattern:
    """The regex whose `.match(subject)` answers stringmatchlen(pattern, subject, nocase)."""
    segments = _segments(pattern, nocase)
    if len(segments) == 1:  # no star: the whole subject, byte for byte
        return re.compile(_text(segments[0]) + b"\\Z", re.DOTALL)
    first, *middle, last = segments
    if last:
        tail = b".*" + _text(last) + b"\\Z"
    elif middle:  # a trailing star: the last middle segment may be anywhere
        tail = b".*" + _text(middle.pop())
    else:
        tail = b"" if first else b"."  # a prefix; or only stars: any subject but the empty one
    return re.compile(_text(first) + b"".join(map(_leftmost, middle)) + tail, re.DOTALL)


def _segments(pattern: bytes, nocase: bool) -> list[list[tuple]]:
    """The byte classes between stars."""
    segments: list[list[tuple]] = [[]]
    for token in _tokens(pattern, nocase):
        if token is STARS:
            segments.append([])
        else:
            segments[-1].append(token)
    return segments


def _tokens(pattern: bytes, nocase: bool) -> Iterator[tuple | None]:
    """The pattern's tokens in order: STARS for a run of stars, else the class of the subject's next byte."""
    pos, end = 0, len(pattern)
    while pos < end:
        char = pattern[pos]
        if char == STAR:
            pos = _matched_to(STAR_RUN, pattern, pos)
            yield STARS
            continue
        if char == QUESTION:
            yield ANY
        elif char == OPEN_CLASS:
            pos, byte_class = _bracket(pattern, pos + 1, nocase)
            yield byte_class
        else:
            if char == BACKSLASH and pos + 1 < end:
                pos += 1
            yield False, _same_byte(pattern[pos], nocase)
        pos += 1


def _bracket(pattern: bytes, pos: int, nocase: bool) -> tuple[int, tuple]:
    """The class starting after '[': the index of its closing ']' (of the pattern's last byte when unclosed) and
    the class, as stringmatchlen reads it."""
    negated = pos < len(pattern) and pattern[pos] == CARET
    if negated:
        pos += 1
    members: set[bytes] = set()
    while (stop := _matched_to(CLASS_MEMBERS, pattern, pos)) > pos:
        # `stop` ends a member, so reading only up to it finds the same members (the last may come out as a run
        # of the same bytes); the distinct members are few however long the class
        members.update(CLASS_MEMBER.findall(pattern, pos, stop))
        pos = stop
    singles = bytearray()
    ranges: list[tuple[int, int]] = []
    for member in members:
        if len(member) == 2 and member[0] == BACKSLASH:  # compared exactly, even under nocase
            ranges.append((member[1], member[1]))
        elif len(member) == 3 and member[1] == DASH:
            ranges += _range(member[0], member[2], nocase)
        else:
            singles += member
    for byte in set(singles):
        ranges += _same_byte(byte, nocase)
    return min(pos, len(pattern) - 1), (negated, _merged(ranges))


def _matched_to(regex: re.Pattern[bytes], pattern: bytes, pos: int) -> int:
    """Where the match of `regex` at pos ends (STAR_RUN at a star and CLASS_MEMBERS, which may match nothing,
    always match)."""
    match = regex.match(pattern, pos)
    return pos if match is None else match.end()


def _same_byte(byte: int, nocase: bool) -> tuple[tuple[int, int], ...]:
    """The bytes equal to `byte` (tolower-equal under nocase: C locale, A-Z only)."""
    if nocase and (65 <= byte <= 90 or 97 <= byte <= 122):
        return (byte | 32, byte | 32), (byte & ~32, byte & ~32)
    return ((byte, byte),)


def _range(start: int, stop: int, nocase: bool) -> list[tuple[int, int]]:
    """The bytes c with start <= c <= stop as stringmatchlen compares them: signed chars, swapped ends, and
    under nocase tolower() of the ends and of c."""
    low, high = sorted((_signed(start), _signed(stop)))
    if not nocase:
        return _unsigned(low, high)
    low, high = _tolower(low), _tolower(high)
    # tolower(c) is c except for A-Z, which match when their lower case is in range
    return (
        _unsigned(max(low, -128), min(high, 64))
        + _unsigned(max(low, 91), min(high, 127))
        + _unsigned(max(low, 97) - 32, min(high, 122) - 32)
    )


def _signed(byte: int) -> int:
    return byte - 256 if byte > 127 else byte


def _tolower(char: int) -> int:
    return char + 32 if 65 <= char <= 90 else char


def _unsigned(low: int, high: int) -> list[tuple[int, int]]:
    """A range of signed chars as ranges of unsigned bytes."""
    if low > high:
        return []
    if high < 0 or low >= 0:
        return [(low & 255, high & 255)]
    return [(0, high), (low & 255, 255)]


def _merged(ranges: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """The same bytes as sorted ranges that neither overlap nor touch (a long class may list many)."""
    merged: list[tuple[int, int]] = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            if high > merged[-1][1]:
                merged[-1] = (merged[-1][0], high)
        else:
            merged.append((low, high))
    return tuple(merged)


def _byte_set(byte_class: tuple) -> frozenset:
    negated, ranges = byte_class
    members = frozenset(byte for low, high in ranges for byte in range(low, high + 1))
    return ALL_BYTES - members if negated else members


def _text(segment: list[tuple]) -> bytes:
    return b"".join(_class_text(byte_class) for byte_class in segment)


def _class_text(byte_class: tuple) -> bytes:
    negated, ranges = byte_class
    if not ranges:
        return b"." if negated else NEVER
    if not negated and len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _escaped(ranges[0][0])  # a literal: lets the regex engine skip ahead to it
    members = b"".join(
        _escaped(low) if low == high else b"%s-%s" % (_escaped(low), _escaped(high)) for low, high in ranges
    )
    return b"[^%s]" % members if negated else b"[%s]" % members


def _escaped(byte: int) -> bytes:
    return re.escape(bytes((byte,)))


def _leftmost(segment: list[tuple]) -> bytes:
    """The shortest run of bytes that ends with the segment's first occurrence."""
    if len(segment) == 1:
        negated, ranges = segment[0]
        return b"%s*%s" % (_class_text((not negated, ranges)), _class_text(segment[0]))
    return b"(?>.*?%s)" % _text(segment)
