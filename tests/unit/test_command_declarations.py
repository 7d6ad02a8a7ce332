"""The command table's declarations: key specs, the key finders made from them, COMMAND's legacy key range and
movablekeys derived from them, hidden subcommands, ACL category exceptions."""

import itertools

import pytest

import redislite.commands  # noqa: F401  (registers every command)
from redislite.commands.registry import (
    TABLE,
    UNKNOWN,
    CommandFlag,
    CommandTable,
    Index,
    KeyFlag,
    KeyNum,
    KeySpec,
    Keyword,
    Range,
    keys_from_specs,
    legacy_key_range,
)

WORDS = [b"k", b"2", b"1", b"0", b"-1", b"x", b"STORE", b"GET", b"SET", b"LIMIT"]


def every_spec():
    for spec in TABLE.specs.values():
        yield spec
        yield from spec.subcommands.values()
        yield from spec.hidden_subcommands.values()


def sample_argvs(spec):
    """Argument lists the arity check lets through: up to five words after the name, numbers among them."""
    name = [part.encode() for part in spec.name.split("|")]
    for count in range(6):
        for words in itertools.product(WORDS if count < 4 else WORDS[:4], repeat=count):
            argv = name + list(words)
            if len(argv) == spec.arity or (spec.arity < 0 and len(argv) >= -spec.arity):
                yield argv


def test_the_engine_key_finder_finds_what_the_key_specs_find():
    for spec in every_spec():
        if spec.key_finder is not None:
            continue
        for argv in sample_argvs(spec):
            assert spec.key_positions(argv) == [position for position, _ in keys_from_specs(spec.key_specs, argv)], (
                spec.name,
                argv,
            )


def test_a_key_finder_agrees_with_the_key_specs_it_completes():
    """Where the specs locate every key (SET, BITFIELD: only their flags vary) the finder finds the same keys;
    where they cannot (SORT's STORE) it finds at least what they do."""
    with_finders = [spec for spec in every_spec() if spec.key_finder is not None]
    assert {spec.name for spec in with_finders} >= {"sort", "set", "bitfield"}
    for spec in with_finders:
        complete = not any(
            key_spec.begin_search is UNKNOWN or key_spec.flags & KeyFlag.INCOMPLETE for key_spec in spec.key_specs
        )
        for argv in sample_argvs(spec):
            found = [position for position, _ in spec.key_finder(argv)]
            from_specs = [position for position, _ in keys_from_specs(spec.key_specs, argv)]
            assert spec.key_positions(argv) == found, (spec.name, argv)
            if complete:
                assert found == from_specs, (spec.name, argv)
            else:
                assert set(from_specs) <= set(found), (spec.name, argv)


def test_every_key_spec_flag_set_says_how_the_key_is_used():
    access = KeyFlag.RO | KeyFlag.RW | KeyFlag.OW | KeyFlag.RM
    for spec in every_spec():
        for key_spec in spec.key_specs:
            assert key_spec.flags & access or key_spec.flags & KeyFlag.NOT_KEY, spec.name
            assert bin(key_spec.flags & access).count("1") <= 1, spec.name


def test_read_only_commands_write_no_key():
    """PFCOUNT is the one exception, as in Redis: it caches the count it computed in the value."""
    for spec in every_spec():
        written = [key_spec for key_spec in spec.key_specs if key_spec.flags & (KeyFlag.RW | KeyFlag.OW | KeyFlag.RM)]
        if spec.flags & CommandFlag.READONLY and spec.name != "pfcount":
            assert not written, spec.name


def test_numkeys_commands_name_no_keys_when_numkeys_is_out_of_range():
    zunionstore, lmpop, eval_ = TABLE.specs["zunionstore"], TABLE.specs["lmpop"], TABLE.specs["eval"]
    assert zunionstore.key_positions([b"zunionstore", b"d", b"2", b"a", b"b"]) == [1, 3, 4]
    assert zunionstore.key_positions([b"zunionstore", b"d", b"3", b"a", b"b"]) == []
    assert zunionstore.key_positions([b"zunionstore", b"d", b"0", b"a"]) == []
    assert lmpop.key_positions([b"lmpop", b"1", b"a", b"LEFT"]) == [2]
    assert eval_.key_positions([b"eval", b"s", b"x", b"a"]) == []


def test_a_keyword_spec_finds_keys_after_its_keyword():
    streams = KeySpec("RO ACCESS", Keyword(b"STREAMS", 1), Range(-1, limit=2))
    argv = [b"xread", b"COUNT", b"2", b"streams", b"a", b"b", b"0", b"0"]
    assert keys_from_specs((streams,), argv) == [(4, streams.flags), (5, streams.flags)]
    assert keys_from_specs((streams,), [b"xread", b"COUNT", b"2"]) == []
    store = KeySpec("OW UPDATE", Keyword(b"STORE", -2), Range())  # searched backwards from the end
    assert keys_from_specs((store,), [b"cmd", b"k", b"STORE", b"d", b"STORE", b"e"]) == [(5, store.flags)]


@pytest.mark.parametrize(
    "key_specs, expected",
    [
        ([], (0, 0, 0, False)),
        ([KeySpec("RO ACCESS", Index(1))], (1, 1, 1, False)),
        ([KeySpec("OW UPDATE", Index(1), Range(-1, step=2))], (1, -1, 2, False)),
        ([KeySpec("RO ACCESS", Index(1)), KeySpec("OW UPDATE", Index(2))], (1, 2, 1, False)),  # COPY
        ([KeySpec("OW UPDATE", Index(2)), KeySpec("RO ACCESS", Index(3), Range(-1))], (2, -1, 1, False)),  # BITOP
        (
            [KeySpec("OW UPDATE", Index(1)), KeySpec("RO ACCESS", Index(2), KeyNum(0, 1))],
            (1, 1, 1, True),
        ),  # ZUNIONSTORE
        ([KeySpec("RO ACCESS", Index(1), KeyNum(0, 1))], (0, 0, 0, True)),  # ZUNION
        ([KeySpec("RO ACCESS", Index(1)), KeySpec("OW UPDATE", UNKNOWN, UNKNOWN)], (1, 1, 1, True)),  # SORT
        ([KeySpec("RO ACCESS", Index(1)), KeySpec("RO ACCESS", Index(3))], (1, 1, 1, True)),  # not consecutive
    ],
)
def test_legacy_key_range_and_movablekeys_come_from_the_key_specs(key_specs, expected):
    assert legacy_key_range(tuple(key_specs)) == expected


def test_movablekeys_cannot_be_declared():
    with pytest.raises(ValueError):
        CommandTable().command("x", arity=1, flags="movablekeys")(lambda ctx, argv: None)


def test_a_hidden_subcommand_is_in_the_table_but_not_among_its_container_s_subcommands():
    debug = TABLE.specs["debug"]
    assert not debug.subcommands and {"sleep", "reload", "object", "populate", "help"} <= set(debug.hidden_subcommands)


def test_a_declared_category_exception_drops_the_category_the_group_implies():
    assert "@keyspace" in TABLE.specs["del"].acl_categories
    assert "@keyspace" not in TABLE.specs["sort"].acl_categories
    assert {"@set", "@sortedset", "@list", "@dangerous"} <= set(TABLE.specs["sort"].acl_categories)


def test_key_flags_print_as_redis_does():
    assert KeyFlag.parse("OW UPDATE VARIABLE_FLAGS").redis_names == [b"OW", b"update", b"variable_flags"]
