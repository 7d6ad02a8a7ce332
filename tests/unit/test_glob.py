"""Glob matching follows Redis's stringmatchlen, not fnmatch. Expected sets were taken from redis-server 7.0's
KEYS over the same keys."""

import pytest

from redislite.storage.glob import glob_match

KEYS = [b"a", b"b", b"c", b"d", b"]", b"^", b"\\", b"h?llo", b"hello", b"hallo", b"a*b", b"axb", b"-", b"x"]


def matching(pattern: bytes) -> set[bytes]:
    return {key for key in KEYS if glob_match(pattern, key)}


@pytest.mark.parametrize("pattern, expected", [
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
])
def test_patterns_match_the_keys_redis_keys_returns(pattern, expected):
    assert matching(pattern) == expected


def test_star_matches_any_run_of_bytes_including_newlines():
    assert glob_match(b"a*z", b"a\nb\x00z")
    assert glob_match(b"***", b"")


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
