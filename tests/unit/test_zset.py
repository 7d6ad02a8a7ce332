"""The ZSet value type: ordering, ranks, score and lex spans, pops and span removal."""

import random

from redislite.storage.zset import LexRange, ScoreRange, ZSet


def make(*pairs, listpack=True) -> ZSet:
    zset = ZSet(listpack=listpack)
    for member, score in pairs:
        zset.add(member, score)
    return zset


def members(pairs) -> list[bytes]:
    return [member for _, member in pairs]


def test_members_order_by_score_then_by_member_bytes():
    zset = make((b"b", 1.0), (b"a", 1.0), (b"c", 0.5), (b"\xff", -1.0), (b"", 1.0))
    assert members(zset.pairs()) == [b"\xff", b"c", b"", b"a", b"b"]


def test_add_moves_an_existing_member_and_discard_removes_it():
    zset = make((b"a", 1.0), (b"b", 2.0))
    zset.add(b"a", 3.0)
    assert members(zset.pairs()) == [b"b", b"a"] and zset.score(b"a") == 3.0 and len(zset) == 2
    assert zset.discard(b"a") and not zset.discard(b"a")
    assert members(zset.pairs()) == [b"b"] and zset.score(b"a") is None


def test_a_listpack_stores_negative_zero_as_zero_but_a_skiplist_keeps_it():
    assert str(make((b"a", -0.0)).score(b"a")) == "0.0"
    assert str(make((b"a", -0.0), listpack=False).score(b"a")) == "-0.0"


def test_rank_counts_from_either_end():
    zset = make(*[(b"m%d" % i, float(i)) for i in range(10)])
    assert zset.rank(b"m3") == 3 and zset.rank(b"m3", reverse=True) == 6 and zset.rank(b"nope") is None


def test_by_rank_forward_and_reverse():
    zset = make(*[(b"m%d" % i, float(i)) for i in range(5)])
    assert members(zset.by_rank(1, 3)) == [b"m1", b"m2", b"m3"]
    assert members(zset.by_rank(0, 1, reverse=True)) == [b"m4", b"m3"]


def test_score_span_honours_exclusive_bounds_and_infinities():
    zset = make((b"a", float("-inf")), (b"b", 1.0), (b"c", 2.0), (b"d", 2.0), (b"e", float("inf")))
    assert zset.score_span(ScoreRange(1.0, 2.0)) == (1, 4)
    assert zset.score_span(ScoreRange(1.0, 2.0, minex=True)) == (2, 4)
    assert zset.score_span(ScoreRange(1.0, 2.0, maxex=True)) == (1, 2)
    assert zset.score_span(ScoreRange(float("-inf"), float("inf"))) == (0, 5)
    assert zset.score_span(ScoreRange(float("inf"), float("inf"), minex=True)) == (0, 0)
    assert zset.score_span(ScoreRange(2.0, 1.0)) == (0, 0)


def test_lex_first_last_and_runs_agree_between_encodings_when_scores_are_equal():
    names = [b"a", b"aa", b"ab", b"b", b"c", b"d"]
    for listpack in (True, False):
        zset = make(*[(name, 0.0) for name in names], listpack=listpack)
        spec = LexRange(b"aa", b"c", minex=False, maxex=True)
        first, last = zset.lex_first(spec), zset.lex_last(spec)
        assert (first, last) == (1, 3)
        assert zset.lex_run_end(first, spec) == 4 and zset.lex_run_start(last, spec) == 1
        assert zset.lex_first(LexRange("-", "+")) == 0 and zset.lex_last(LexRange("-", "+")) == 5
        assert zset.lex_first(LexRange(b"e", "+")) is None
        assert zset.lex_first(LexRange(b"b", b"b", minex=True)) is None


def test_lex_on_a_listpack_with_mixed_scores_walks_like_redis():
    # Redis first checks the last member >= min and the first member <= max.
    zset = make((b"b", 0.0), (b"a", 1.0))
    assert zset.lex_first(LexRange(b"a", b"a")) is None


def test_pop_from_both_ends_and_remove_span():
    zset = make(*[(b"m%d" % i, float(i)) for i in range(6)])
    assert members(zset.pop(2, from_max=False)) == [b"m0", b"m1"]
    assert members(zset.pop(2, from_max=True)) == [b"m5", b"m4"]
    assert zset.remove_span(0, 1) == 1 and members(zset.pairs()) == [b"m3"]
    assert members(zset.pop(10, from_max=False)) == [b"m3"] and len(zset) == 0 and not zset


def test_copy_is_independent_and_keeps_the_encoding():
    zset = make((b"a", 1.0), listpack=False)
    duplicate = zset.duplicate()
    duplicate.add(b"b", 2.0)
    assert len(zset) == 1 and len(duplicate) == 2 and duplicate.listpack is False


def test_random_operations_match_a_sorted_list_model():
    rng = random.Random(7)
    zset, model = ZSet(listpack=False), {}
    for _ in range(3000):
        member = b"m%d" % rng.randrange(200)
        if rng.random() < 0.7:
            score = float(rng.randint(-20, 20))
            zset.add(member, score)
            model[member] = score
        else:
            assert zset.discard(member) == (model.pop(member, None) is not None)
    expected = sorted((score, member) for member, score in model.items())
    assert list(zset.pairs()) == expected
    for rank, (_score, member) in enumerate(expected):
        assert zset.rank(member) == rank
    lo, hi = zset.score_span(ScoreRange(-5.0, 5.0, minex=True))
    assert zset.slice(lo, hi) == [pair for pair in expected if -5 < pair[0] <= 5]
