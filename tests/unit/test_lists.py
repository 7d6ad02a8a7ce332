"""ListValue, the list type's storage: ranges from either end, bulk pops, trims, LREM, LINSERT and LPOS, each
checked on examples and against a plain-Python model over random lists."""

import random

import pytest

from redislite.storage.lists import ListValue


def make(*items: bytes) -> ListValue:
    return ListValue(items)


def model_positions(items, element, rank, limit, maxlen):
    """LPOS as the Redis documentation describes it, written the obvious way."""
    indexes = list(range(len(items)))
    if rank < 0:
        indexes.reverse()
    if maxlen:
        indexes = indexes[:maxlen]
    matches = [i for i in indexes if items[i] == element][abs(rank) - 1 :]
    return matches if not limit else matches[:limit]


def model_remove(items, element, count):
    out = list(reversed(items)) if count < 0 else list(items)
    budget = abs(count) or len(out)
    kept = []
    for item in out:
        if item == element and budget:
            budget -= 1
        else:
            kept.append(item)
    return list(reversed(kept)) if count < 0 else kept


# -- examples --------------------------------------------------------------------------------------------


def test_range_is_inclusive_and_reads_from_either_end():
    value = ListValue(b"%d" % i for i in range(10))
    assert value.range(0, 2) == [b"0", b"1", b"2"]
    assert value.range(7, 9) == [b"7", b"8", b"9"]
    assert value.range(0, 9) == list(value)
    assert value.range(4, 4) == [b"4"]


def test_pop_many_pops_in_pop_order_and_can_empty_the_list():
    value = make(b"a", b"b", b"c", b"d")
    assert value.pop_many(2, from_left=True) == [b"a", b"b"]
    assert value.pop_many(1, from_left=False) == [b"d"]
    assert value.pop_many(10, from_left=False) == [b"c"]
    assert len(value) == 0


def test_pop_many_of_the_whole_list_from_the_right_is_reversed():
    value = make(b"a", b"b", b"c")
    assert value.pop_many(3, from_left=False) == [b"c", b"b", b"a"]


def test_trim_keeps_the_inclusive_range_and_counts_what_went():
    value = ListValue(b"%d" % i for i in range(10))
    assert value.trim(2, 4) == 7
    assert list(value) == [b"2", b"3", b"4"]


def test_trim_with_an_empty_range_clears_the_list():
    value = make(b"a", b"b")
    assert value.trim(1, 0) == 2
    assert len(value) == 0
    value = make(b"a", b"b")
    assert value.trim(5, 9) == 2 and len(value) == 0


def test_trim_past_the_end_keeps_up_to_the_last_element():
    value = make(b"a", b"b", b"c")
    assert value.trim(1, 100) == 1
    assert list(value) == [b"b", b"c"]


def test_remove_matching_with_positive_count_removes_from_the_head():
    value = make(b"a", b"b", b"a", b"c", b"a")
    assert value.remove_matching(b"a", 2) == 2
    assert list(value) == [b"b", b"c", b"a"]


def test_remove_matching_with_negative_count_removes_from_the_tail():
    value = make(b"a", b"b", b"a", b"c", b"a")
    assert value.remove_matching(b"a", -2) == 2
    assert list(value) == [b"a", b"b", b"c"]


def test_remove_matching_with_zero_count_removes_every_match():
    value = make(b"a", b"b", b"a", b"c", b"a")
    assert value.remove_matching(b"a", 0) == 3
    assert list(value) == [b"b", b"c"]
    assert value.remove_matching(b"zz", 0) == 0
    assert list(value) == [b"b", b"c"]


def test_insert_near_the_first_pivot_before_or_after():
    value = make(b"a", b"p", b"p")
    assert value.insert_near(b"p", b"x", after=False)
    assert value.insert_near(b"p", b"y", after=True)
    assert list(value) == [b"a", b"x", b"p", b"y", b"p"]


def test_insert_near_a_missing_pivot_changes_nothing():
    value = make(b"a")
    assert not value.insert_near(b"nope", b"x", after=True)
    assert list(value) == [b"a"]


def test_positions_honour_rank_count_and_maxlen():
    value = make(b"a", b"b", b"a", b"c", b"a")
    assert value.positions(b"a", 1, 1, 0) == [0]
    assert value.positions(b"a", 2, 0, 0) == [2, 4]
    assert value.positions(b"a", -1, 2, 0) == [4, 2]
    assert value.positions(b"a", 1, 0, 3) == [0, 2]
    assert value.positions(b"a", -1, 0, 2) == [4]
    assert value.positions(b"a", 4, 0, 0) == []
    assert value.positions(b"z", 1, 1, 0) == []


def test_positions_fast_path_respects_maxlen():
    value = make(b"b", b"b", b"a")
    assert value.positions(b"a", 1, 1, 2) == []
    assert value.positions(b"a", 1, 1, 3) == [2]


def test_a_list_value_has_no_instance_dict():
    with pytest.raises(AttributeError):
        make(b"a").extra = 1


# -- against a model -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(20))
def test_operations_agree_with_a_plain_python_model(seed):
    rng = random.Random(seed)
    alphabet = [b"a", b"b", b"c", b""]
    for _ in range(200):
        items = [rng.choice(alphabet) for _ in range(rng.randint(1, 30))]
        length = len(items)
        start = rng.randrange(length)
        stop = rng.randrange(start, length)
        assert ListValue(items).range(start, stop) == items[start : stop + 1]

        value = ListValue(items)
        trim_start, trim_stop = rng.randint(0, length + 2), rng.randint(-3, length + 2)
        removed = value.trim(trim_start, trim_stop)
        kept = items[trim_start : trim_stop + 1] if trim_stop >= 0 else []
        assert list(value) == kept and removed == length - len(kept)

        element, count = rng.choice(alphabet), rng.randint(-4, 4)
        value = ListValue(items)
        expected = model_remove(items, element, count)
        assert value.remove_matching(element, count) == length - len(expected)
        assert list(value) == expected

        rank = rng.choice([1, 2, 3, -1, -2, -3])
        limit, maxlen = rng.randint(0, 3), rng.randint(0, length + 1)
        assert ListValue(items).positions(element, rank, limit, maxlen) == model_positions(
            items, element, rank, limit, maxlen
        )


def test_bulk_removal_from_a_large_list_keeps_order():
    items = [b"x" if i % 3 == 0 else b"%d" % i for i in range(30_000)]
    value = ListValue(items)
    assert value.remove_matching(b"x", 0) == 10_000
    assert list(value) == [item for item in items if item != b"x"]
