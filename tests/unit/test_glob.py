"""Glob matching follows Redis's stringmatchlen, not fnmatch. Expected sets were taken from redis-server 7.0's
KEYS over the same keys; random patterns are checked against a line-by-line port of stringmatchlen, through both
matchers (the regex of a short pattern, LongGlob for a long one); hostile patterns must answer in time bounded
by len(pattern) × len(subject)."""

import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from redislite.config import load_settings
from redislite.engine.client import Client
from redislite.engine.core import Engine
from redislite.engine.state import ServerState
from redislite.storage.glob import LONG_PATTERN, LongGlob, compile_glob, glob_match, glob_regex

KEYS = [b"a", b"b", b"c", b"d", b"]", b"^", b"\\", b"h?llo", b"hello", b"hallo", b"a*b", b"axb", b"-", b"x"]


def reference_match(pattern: bytes, subject: bytes, nocase: bool = False) -> bool:
    """util.c stringmatchlen (Redis 7.0) line by line, without its skipLongerMatches shortcut: exponential, so
    for small inputs only. Bytes are C's signed chars; reading past the end finds the string's NUL."""

    def char(buffer: bytes, index: int) -> int:
        if index >= len(buffer):
            return 0
        return buffer[index] - 256 if buffer[index] > 127 else buffer[index]

    def lower(value: int) -> int:
        return value + 32 if ord("A") <= value <= ord("Z") else value

    def match(p: int, s: int) -> bool:
        pattern_len, string_len = len(pattern) - p, len(subject) - s
        while pattern_len and string_len:
            head = char(pattern, p)
            if head == ord("*"):
                while pattern_len and char(pattern, p + 1) == ord("*"):
                    p, pattern_len = p + 1, pattern_len - 1
                if pattern_len == 1:
                    return True
                while string_len:
                    if match(p + 1, s):
                        return True
                    s, string_len = s + 1, string_len - 1
                return False
            if head == ord("?"):
                s, string_len = s + 1, string_len - 1
            elif head == ord("["):
                p, pattern_len = p + 1, pattern_len - 1
                negated = char(pattern, p) == ord("^")
                if negated:
                    p, pattern_len = p + 1, pattern_len - 1
                matched = False
                while True:
                    if char(pattern, p) == ord("\\") and pattern_len >= 2:
                        p, pattern_len = p + 1, pattern_len - 1
                        if char(pattern, p) == char(subject, s):
                            matched = True
                    elif char(pattern, p) == ord("]"):
                        break
                    elif pattern_len == 0:
                        p, pattern_len = p - 1, pattern_len + 1
                        break
                    elif pattern_len >= 3 and char(pattern, p + 1) == ord("-"):
                        start, end, c = char(pattern, p), char(pattern, p + 2), char(subject, s)
                        if start > end:
                            start, end = end, start
                        if nocase:
                            start, end, c = lower(start), lower(end), lower(c)
                        p, pattern_len = p + 2, pattern_len - 2
                        if start <= c <= end:
                            matched = True
                    elif nocase:
                        if lower(char(pattern, p)) == lower(char(subject, s)):
                            matched = True
                    elif char(pattern, p) == char(subject, s):
                        matched = True
                    p, pattern_len = p + 1, pattern_len - 1
                if negated:
                    matched = not matched
                if not matched:
                    return False
                s, string_len = s + 1, string_len - 1
            else:
                if head == ord("\\") and pattern_len >= 2:
                    p, pattern_len = p + 1, pattern_len - 1
                left, right = char(pattern, p), char(subject, s)
                if (lower(left) != lower(right)) if nocase else left != right:
                    return False
                s, string_len = s + 1, string_len - 1
            p, pattern_len = p + 1, pattern_len - 1
            if string_len == 0:
                while char(pattern, p) == ord("*"):
                    p, pattern_len = p + 1, pattern_len - 1
                break
        return pattern_len == 0 and string_len == 0

    return match(0, 0)


def matching(pattern: bytes) -> set[bytes]:
    return {key for key in KEYS if glob_match(pattern, key)}


@pytest.mark.parametrize(
    "pattern, expected",
    [
        (b"[^a-c]", {b"^", b"]", b"-", b"x", b"d", b"\\"}),
        (b"[c-a]", {b"a", b"b", b"c"}),
        (b"[abc", {b"a", b"b", b"c"}),
        (b"[a-]", {b"a", b"^", b"]"}),
        (b"h\\?llo", {b"h?llo"}),
        (b"a\\*b", {b"a*b"}),
        (b"[", set()),
        (b"[^", {b"a", b"b", b"c", b"d", b"]", b"^", b"\\", b"-", b"x"}),
        (b"[\\", {b"\\"}),
        (b"\\", {b"\\"}),
        (b"[a\\-c]", {b"a", b"c", b"-"}),
        (b"[]", set()),
        (b"[^]", {b"a", b"b", b"c", b"d", b"]", b"^", b"\\", b"-", b"x"}),
        (b"h[^e]llo", {b"hallo", b"h?llo"}),
    ],
)
def test_patterns_match_the_keys_redis_keys_returns(pattern, expected):
    assert matching(pattern) == expected


def test_star_matches_any_run_of_bytes_including_newlines():
    assert glob_match(b"a*z", b"a\nb\x00z")
    assert glob_match(b"a*z", b"az")


def test_an_empty_subject_matches_only_the_empty_pattern():
    """The C loop never starts on an empty string, so not even `*` matches it (`KEYS **` skips the key "")."""
    assert glob_match(b"", b"")
    assert not glob_match(b"***", b"")
    assert not glob_match(b"*", b"")
    assert not glob_match(b"", b"a")


def test_question_mark_matches_exactly_one_byte():
    assert glob_match(b"h?llo", b"hxllo")
    assert not glob_match(b"h?llo", b"hllo")
    assert not glob_match(b"h?llo", b"heello")


def test_a_match_must_cover_the_whole_subject():
    assert not glob_match(b"hell", b"hello")
    assert not glob_match(b"ello", b"hello")


def test_regex_metacharacters_are_literal():
    assert glob_match(b"a.b+(c)", b"a.b+(c)")
    assert not glob_match(b"a.b", b"axb")


def test_escaped_bracket_is_literal():
    assert glob_match(b"\\[x]", b"[x]")
    assert not glob_match(b"\\[x]", b"x")


def test_binary_bytes_in_class_ranges():
    assert glob_match(b"[\x00-\x10]", b"\x05")
    assert not glob_match(b"[\x00-\x10]", b"\xff")


@pytest.mark.parametrize(
    "pattern, matched",
    [
        # Redis 7.0.15's KEYS over the keys below: range ends are C's signed chars
        (b"[a-\xff]", {b"\x00", b"A", b"Z", b"_", b"a", b"\xff"}),
        (b"[\x00-\xff]", {b"\x00", b"\xff"}),
        (b"[\xff-\x80]", {b"\x80", b"\xfe", b"\xff"}),
        (b"[\x7f-\x80]", {b"\x00", b"A", b"Z", b"_", b"a", b"b", b"z", b"\x7f", b"\x80", b"\xfe", b"\xff"}),
        (b"[^\x00-\xff]", {b"A", b"Z", b"_", b"a", b"b", b"z", b"\x7f", b"\x80", b"\xfe"}),
    ],
)
def test_class_ranges_compare_signed_chars_as_redis_does(pattern, matched):
    keys = [b"\x00", b"\x7f", b"\x80", b"\xfe", b"\xff", b"a", b"A", b"z", b"Z", b"_", b"b"]
    assert {key for key in keys if glob_match(pattern, key)} == matched


@pytest.mark.parametrize(
    "pattern, matches",
    [
        # Redis 7.0.15's CONFIG GET (nocase) against the parameter "maxmemory"
        (b"[M]axmemory", True),
        (b"[\\M]axmemory", False),  # an escaped byte in a class is compared exactly
        (b"\\Maxmemory", True),  # outside a class it is folded
        (b"[L-n]axmemory", True),
        (b"[Z-a]axmemory", False),  # the ends are folded after the swap: z..a is empty
        (b"[a-M]axmemory", False),
        (b"[^A-Z]axmemory", False),
        (b"MAX*", True),
    ],
)
def test_nocase_folds_the_way_stringmatchlen_does(pattern, matches):
    assert glob_match(pattern, b"maxmemory", nocase=True) is matches
    assert reference_match(pattern, b"maxmemory", nocase=True) is matches


GLOB_BYTES = st.sampled_from(b"ab*?[]^-\\Aa\xff")
SUBJECTS = st.lists(st.sampled_from(b"abAB-]^\\*\xff\x00"), max_size=10).map(bytes)


@settings(max_examples=2000, deadline=None)
@given(
    pattern=st.binary(max_size=12).map(bytes) | st.lists(GLOB_BYTES, max_size=12).map(bytes),
    subjects=st.lists(SUBJECTS, min_size=1, max_size=4),
    nocase=st.booleans(),
)
@example(pattern=b"a*a*b", subjects=[b"aaab"], nocase=False)
@example(pattern=b"*[a-]*", subjects=[b"]"], nocase=False)
@example(pattern=b"[\xff-a]", subjects=[b"\x00"], nocase=True)
@example(pattern=b"*a", subjects=[b"b", b"ba"], nocase=False)
def test_both_matchers_agree_with_a_port_of_stringmatchlen(pattern, subjects, nocase):
    """The cached regex, and LongGlob, which every pattern longer than LONG_PATTERN bytes gets: one LongGlob
    answers several subjects, as in KEYS, reading its pattern only as far as they need and keeping what it read."""
    long_glob = LongGlob(pattern, nocase)
    for subject in subjects:
        expected = reference_match(pattern, subject, nocase)
        assert (glob_regex(pattern, nocase).match(subject) is not None) is expected
        assert long_glob.match(subject) is expected


def test_long_patterns_are_matched_by_long_glob_and_never_cached():
    regex_cached = glob_regex.cache_info().currsize
    assert isinstance(compile_glob(b"user:" + b"*" * LONG_PATTERN), LongGlob)
    assert glob_regex.cache_info().currsize == regex_cached
    assert isinstance(compile_glob(b"*" * LONG_PATTERN), re.Pattern)


@pytest.mark.parametrize("fragment", [b"b-d", b"\\]", b"-x", b"x-", b"c-\\", b"--", b"d-]", b"\\-y", b"\\", b"^"])
@pytest.mark.parametrize("escapes", range(1020, 1026))
def test_a_class_with_thousands_of_members_is_read_as_stringmatchlen_reads_it(fragment, escapes):
    """A class's members are read 1,024 at a time: a member across that boundary counts as any other."""
    pattern = b"[" + b"\\a" * escapes + fragment + b"\\a" * 5 + b"]x"
    for subject in [bytes((byte,)) + b"x" for byte in b"abcdxyzABDXY-\\]^_"] + [b"\\", b"a]x", b"ax"]:
        for nocase in (False, True):
            expected = reference_match(pattern, subject, nocase)
            assert glob_match(pattern, subject, nocase) is expected, (subject, nocase)
            assert (glob_regex(pattern, nocase).match(subject) is not None) is expected, (subject, nocase)


@pytest.mark.parametrize(
    "pattern, subject, matches",
    [
        (b"a*" * 20 + b"b", b"a" * 40, False),  # issue 16: ran for more than 25 minutes
        (b"a*" * 60 + b"b", b"a" * 1000, False),
        (b"a*" * 60 + b"a", b"a" * 1000, True),
        (b"*a" * 60 + b"*b", b"a" * 1000, False),
        (b"*" + b"a?" * 30 + b"*b", b"a" * 1000, False),
        (b"[a]*" * 60 + b"[b]", b"a" * 1000, False),
        (b"*[[]" * 60 + b"[]]", b"[" * 1000, False),
        (b"*[" * 60, b"[" * 1000, True),  # one star, then a class of `*` and `[` that runs to the end
        (b"*" + b"a" * 500 + b"*" + b"a" * 500 + b"b", b"a" * 1000, False),
        (b"*" + b"a" * 500 + b"*" + b"a" * 499, b"a" * 1000, True),
    ],
)
@pytest.mark.parametrize("matcher", [glob_regex, LongGlob])
def test_hostile_patterns_answer_in_bounded_time(pattern, subject, matches, matcher):
    glob_regex.cache_clear()
    start = time.perf_counter()
    answer = bool(matcher(pattern).match(subject))  # translating the pattern included
    took = time.perf_counter() - start
    print(
        f"{matcher.__name__} {pattern[:24]!r}... ({len(pattern)} bytes) against {len(subject)} bytes: "
        f"{took * 1000:.2f} ms"
    )
    assert answer is matches
    assert took < 0.5  # well under a millisecond here; generous for slow CI machines


def test_publish_compiles_each_subscribed_pattern_once_and_forgets_it_when_unsubscribed():
    """More subscribed patterns than compile_glob's cache holds used to recompile every pattern on every
    PUBLISH (1,000 patterns: about 90 ms per message)."""
    settings, _ = load_settings([], env_file=None)
    state = ServerState(settings)
    engine, subscriber, publisher = Engine(state), Client(state), Client(state)
    engine.execute(subscriber, [b"PSUBSCRIBE", *(b"news.%d.*" % number for number in range(1000))])
    assert engine.execute(publisher, [b"PUBLISH", b"news.5.x", b"m"]) == 1
    compiled = glob_regex.cache_info().misses
    assert engine.execute(publisher, [b"PUBLISH", b"news.7.x", b"m"]) == 1
    assert glob_regex.cache_info().misses == compiled
    engine.execute(subscriber, [b"PUNSUBSCRIBE"])
    assert state.pattern_matchers == {}
