"""The AOF's RESP reader: every cut of a small file is either a clean prefix or a truncation (never a bogus
command), and damage inside a command is reported at that command's offset."""

import re

import pytest

from redislite.persistence.aof_format import AofFormatError, parse_commands
from redislite.persistence.aof_manifest import AofLoadError, Manifest, read_manifest
from redislite.protocol.encoder import encode_command

COMMANDS = [[b"SELECT", b"0"], [b"SET", b"k", b"v\r\n\x00"], [b"PEXPIREAT", b"k", b"1795756361978"]]
DATA = b"".join(map(encode_command, COMMANDS))


def test_round_trip():
    assert [argv for argv, _start, _end in parse_commands(DATA)] == COMMANDS


@pytest.mark.parametrize("cut", range(len(DATA)))
def test_every_cut_is_a_prefix_or_a_truncation(cut):
    parsed = []
    try:
        for argv, _start, _end in parse_commands(DATA[:cut]):
            parsed.append(argv)
    except AofFormatError as error:
        assert error.truncated
    assert parsed == COMMANDS[: len(parsed)]


def test_damage_names_the_offset():
    damaged = DATA.replace(b"$3\r\nSET", b"$3\r\nSETX")
    with pytest.raises(AofFormatError) as caught:
        list(parse_commands(damaged))
    assert not caught.value.truncated and caught.value.offset > len(encode_command(COMMANDS[0]))


def test_manifest_renders_redis_format():
    manifest = Manifest([("appendonly.aof.1.base.rdb", 1, "b"), ("appendonly.aof.1.incr.aof", 1, "i")])
    assert manifest.render() == (
        b"file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    )
    assert Manifest.parse(manifest.render().decode(), "m").entries == manifest.entries


@pytest.mark.parametrize(
    "line, reason",
    [
        (b"file ../../etc/passwd seq 1 type b", "File can't be a path, just a filename"),
        (b"file a\\b seq 1 type b", "File can't be a path, just a filename"),
        (b"file a\0b seq 1 type b", "File can't be a path, just a filename"),
        (b"file a seq one type b", "invalid AOF manifest"),
        (b"file a seq 1 type x", "Unknown AOF file type"),
    ],
)
def test_a_manifest_naming_a_path_or_a_bad_seq_or_type_is_refused(tmp_path, line, reason):
    (tmp_path / "appendonly.aof.manifest").write_bytes(line + b"\n")
    with pytest.raises(AofLoadError, match=re.escape(reason)):
        read_manifest(tmp_path, "appendonly.aof")


def test_a_manifest_file_name_may_hold_any_bytes(tmp_path):
    (tmp_path / "appendonly.aof.manifest").write_bytes(b"file b\xff\xfe.aof seq 3 type b\n")
    manifest = read_manifest(tmp_path, "appendonly.aof")
    assert manifest.base == ("b\udcff\udcfe.aof", 3, "b")
    assert manifest.render() == b"file b\xff\xfe.aof seq 3 type b\n"
