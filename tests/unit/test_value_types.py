"""Every value class says its own TYPE name, OBJECT ENCODING and COPY; strings are plain bytes."""

import pytest

from redislite.commands.keys import duplicate_value, value_encoding, value_type_name
from redislite.storage.hashes import HashValue
from redislite.storage.lists import ListValue
from redislite.storage.sets import SetValue
from redislite.storage.zset import ZSet


@pytest.mark.parametrize(
    "value, name, encoding",
    [
        (b"12", b"string", b"int"),
        (b"hello", b"string", b"embstr"),
        (b"x" * 45, b"string", b"raw"),
        (ListValue([b"a"]), b"list", b"quicklist"),
        (HashValue({b"f": b"v"}), b"hash", b"listpack"),
        (SetValue.built_from([b"1"], 512), b"set", b"intset"),
        (SetValue.built_from([b"a"], 512), b"set", b"hashtable"),
        (ZSet([(b"m", 1.0)]), b"zset", b"listpack"),
        (ZSet([(b"m", 1.0)], listpack=False), b"zset", b"skiplist"),
    ],
)
def test_each_value_names_its_type_and_encoding(value, name, encoding):
    assert value_type_name(value) == name and value_encoding(value) == encoding


@pytest.mark.parametrize("value", [ListValue([b"a"]), HashValue({b"f": b"v"}), SetValue([b"a"]), ZSet([(b"m", 1.0)])])
def test_a_copied_aggregate_is_a_new_object_of_the_same_class_and_encoding(value):
    copy = duplicate_value(value)
    assert copy is not value and copy.__class__ is value.__class__ and value_encoding(copy) == value_encoding(value)
    assert len(copy) == len(value)


def test_a_copied_string_is_shared():
    value = b"abc"
    assert duplicate_value(value) is value
