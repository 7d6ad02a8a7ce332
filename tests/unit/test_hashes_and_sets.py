"""The hash and set value classes: encodings (one-way conversions), duplication and random picks."""

from redislite.storage.hashes import HashValue, random_element, random_sample
from redislite.storage.sets import SetValue, is_integer


def test_a_new_hash_is_a_listpack_until_a_long_string_arrives():
    value = HashValue({b"a": b"1"})
    value.check_sizes([b"a", b"x" * 64], 64)
    assert value.encoding == b"listpack"
    value.check_sizes([b"x" * 65], 64)
    assert value.encoding == b"hashtable"


def test_a_hash_with_too_many_fields_stays_a_hashtable_after_deletes():
    value = HashValue({b"%d" % i: b"v" for i in range(4)})
    value.check_length(3)
    assert value.encoding == b"hashtable"
    value.clear()
    value[b"a"] = b"1"
    value.check_length(3)
    assert value.encoding == b"hashtable"


def test_hash_duplicate_keeps_contents_and_encoding():
    value = HashValue({b"a": b"1"})
    value.listpack = False
    copy = value.duplicate()
    assert copy == value and copy is not value and copy.encoding == b"hashtable"


def test_string2ll_rules_decide_integers():
    assert all(map(is_integer, [b"0", b"-5", b"9223372036854775807", b"-9223372036854775808"]))
    assert not any(map(is_integer, [b"", b"007", b"-0", b"+1", b" 1", b"1.0", b"9223372036854775808", b"1_0"]))


def test_a_set_of_integers_is_an_intset_until_a_string_or_too_many_members():
    value = SetValue.built_from([b"1", b"2"], 3)
    assert value.encoding == b"intset"
    assert value.add_members([b"2", b"3"], 3) == 1 and value.encoding == b"intset"
    assert value.add_members([b"4"], 3) == 1 and value.encoding == b"hashtable"
    other = SetValue.built_from([b"1"], 512)
    other.add_members([b"a"], 512)
    other.discard(b"a")
    assert other.encoding == b"hashtable"  # one-way


def test_a_set_built_afresh_starts_from_its_members():
    assert SetValue.built_from([b"1", b"a"], 512).encoding == b"hashtable"
    assert SetValue.built_from([b"1", b"2", b"3"], 2).encoding == b"hashtable"
    assert SetValue.built_from([b"5"], 512).encoding == b"intset"


def test_set_duplicate_keeps_encoding():
    value = SetValue.built_from([b"1", b"a"], 512)
    value.discard(b"a")
    copy = value.duplicate()
    assert copy == {b"1"} and copy.encoding == b"hashtable"


def test_random_picks_come_from_the_container_and_samples_are_distinct():
    small = set(range(10))
    big = set(range(5000))
    assert random_element(small) in small and random_element(big) in big
    sample = random_sample(big, 50)
    assert len(sample) == len(set(sample)) == 50 and set(sample) <= big
    assert sorted(random_sample(small, 9)) != [] and len(set(random_sample(small, 9))) == 9


def test_random_member_reaches_every_member_of_a_small_set():
    value = SetValue([b"a", b"b", b"c"])
    assert {value.random_member() for _ in range(200)} == {b"a", b"b", b"c"}
