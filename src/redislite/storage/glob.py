"""Redis's glob matching (util.c stringmatchlen): `*`, `?`, `[abc]`, `[^a-c]`, `[a-]`, `\\` escapes, nocase.

A pattern is translated once into a compiled regular expression that answers in time bounded by
len(pattern) × len(subject). A plain translation (`*` -> `.*`) backtracks exponentially on patterns such as
`a*a*a*...b` (Redis fixed the same blow-up, CVE-2022-36021); the shape used here cannot:

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

stringmatchlen's exact rules, kept here: a class member range `[z-a]` is swapped, and compared as C's signed
`char` (so `[a-\\xff]` is -1..'a'); `\\` escapes inside a class too; an unclosed `[` ends with the pattern; a
trailing `\\` is a literal backslash; nocase folds A-Z only, except an escaped byte inside a class; an empty
subject matches only the empty pattern (even `*` does not match it: KEYS and SCAN never ask about a bare `*`).
"""

import re
from functools import lru_cache

STAR, QUESTION, BACKSLASH, OPEN_CLASS, CLOSE_CLASS, CARET, DASH = b"*?\\[]^-"
ANY = (True, ())  # a byte class: (negated, inclusive ranges of unsigned bytes); ANY is `?`
NEVER = b"[^\\x00-\\xff]"


@lru_cache(maxsize=256)
def compile_glob(pattern: bytes, nocase: bool = False) -> re.Pattern:
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


def glob_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    return compile_glob(pattern, nocase).match(subject) is not None


def _segments(pattern: bytes, nocase: bool) -> list[list[tuple]]:
    """The byte classes between stars (runs of stars count as one)."""
    segments: list[list[tuple]] = [[]]
    pos, end = 0, len(pattern)
    while pos < end:
        char = pattern[pos]
        if char == STAR:
            if segments[-1] or len(segments) == 1:
                segments.append([])
        elif char == QUESTION:
            segments[-1].append(ANY)
        elif char == OPEN_CLASS:
            pos, byte_class = _bracket(pattern, pos + 1, nocase)
            segments[-1].append(byte_class)
        else:
            if char == BACKSLASH and pos + 1 < end:
                pos += 1
            segments[-1].append((False, _same_byte(pattern[pos], nocase)))
        pos += 1
    return segments


def _bracket(pattern: bytes, pos: int, nocase: bool) -> tuple[int, tuple]:
    """The class starting after '[': the index of its closing ']' and the class (as stringmatchlen reads it)."""
    end = len(pattern)
    negated = pos < end and pattern[pos] == CARET
    if negated:
        pos += 1
    ranges: list[tuple[int, int]] = []
    while True:
        if pos + 1 < end and pattern[pos] == BACKSLASH:  # the next byte, compared exactly even under nocase
            pos += 1
            ranges.append((pattern[pos], pattern[pos]))
        elif pos < end and pattern[pos] == CLOSE_CLASS:
            break
        elif pos >= end:
            pos = end - 1  # an unclosed class ends with the pattern
            break
        elif pos + 2 < end and pattern[pos + 1] == DASH:
            ranges += _range(pattern[pos], pattern[pos + 2], nocase)
            pos += 2
        else:
            ranges += _same_byte(pattern[pos], nocase)
        pos += 1
    return pos, (negated, tuple(ranges))


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
    return (_unsigned(max(low, -128), min(high, 64)) + _unsigned(max(low, 91), min(high, 127))
            + _unsigned(max(low, 97) - 32, min(high, 122) - 32))


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


def _text(segment: list[tuple]) -> bytes:
    return b"".join(_class_text(byte_class) for byte_class in segment)


def _class_text(byte_class: tuple) -> bytes:
    negated, ranges = byte_class
    if not ranges:
        return b"." if negated else NEVER
    if not negated and len(ranges) == 1 and ranges[0][0] == ranges[0][1]:
        return _escaped(ranges[0][0])  # a literal: lets the regex engine skip ahead to it
    members = b"".join(_escaped(low) if low == high else b"%s-%s" % (_escaped(low), _escaped(high))
                       for low, high in ranges)
    return b"[^%s]" % members if negated else b"[%s]" % members


def _escaped(byte: int) -> bytes:
    return re.escape(bytes((byte,)))


def _leftmost(segment: list[tuple]) -> bytes:
    """The shortest run of bytes that ends with the segment's first occurrence."""
    if len(segment) == 1:
        negated, ranges = segment[0]
        return b"%s*%s" % (_class_text((not negated, ranges)), _class_text(segment[0]))
    return b"(?>.*?%s)" % _text(segment)
