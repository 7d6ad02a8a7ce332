"""redislite-check-aof on files made by hand: valid files, truncation and damaged structure found at the right
offset, --fix cutting to the last valid command, MULTI without EXEC, manifests, and one line (never a traceback)
for bad input."""

import io

import pytest

from redislite.persistence.aof_format import value_commands
from redislite.persistence.check_aof import check, main
from redislite.protocol.encoder import encode_command
from redislite.storage.lists import ListValue

COMMANDS = [[b"SELECT", b"0"], [b"SET", b"a", b"1"], [b"SET", b"b", b"2"]]
DATA = b"".join(map(encode_command, COMMANDS))
SECOND_SET = DATA.index(b"*3\r\n$3\r\nSET\r\n$1\r\nb")


def run(path, fix=False):
    out = io.StringIO()
    ok = check(path, fix, out)
    return ok, out.getvalue()


def test_a_valid_file_is_valid(tmp_path):
    path = tmp_path / "appendonly.aof"
    path.write_bytes(DATA)
    ok, report = run(path)
    assert ok and "AOF appendonly.aof is valid (3 commands)" in report


def test_a_truncated_file_is_found_and_fixed(tmp_path):
    path = tmp_path / "appendonly.aof"
    path.write_bytes(DATA[:-3])
    ok, report = run(path)
    assert not ok and f"ok_up_to={SECOND_SET}" in report and "Use the --fix option" in report
    assert path.read_bytes() == DATA[:-3]  # nothing changes without --fix
    ok, report = run(path, fix=True)
    assert ok and "Successfully truncated" in report
    assert path.read_bytes() == DATA[:SECOND_SET]
    assert run(path)[0]


@pytest.mark.parametrize("where", [0, 4, 14, SECOND_SET, SECOND_SET + 5])
def test_a_flipped_structural_byte_is_found(tmp_path, where):
    data = bytearray(DATA)
    data[where] = ord("#")
    path = tmp_path / "appendonly.aof"
    path.write_bytes(bytes(data))
    ok, report = run(path)
    assert not ok
    expected = 0 if where < SECOND_SET and where < 23 else (23 if where < SECOND_SET else SECOND_SET)
    assert f"ok_up_to={expected}" in report
    assert run(path, fix=True)[0]
    assert path.read_bytes() == DATA[:expected]


def test_a_broken_crlf_is_found(tmp_path):
    data = DATA.replace(b"$1\r\n2\r\n", b"$1\r\n2X\n")
    path = tmp_path / "appendonly.aof"
    path.write_bytes(data)
    ok, report = run(path)
    assert not ok and f"ok_up_to={SECOND_SET}" in report


def test_multi_without_exec_is_cut_before_the_multi(tmp_path):
    multi = DATA + encode_command([b"MULTI"]) + encode_command([b"SET", b"c", b"3"])
    path = tmp_path / "appendonly.aof"
    path.write_bytes(multi)
    ok, report = run(path)
    assert not ok and "EXEC" in report and f"ok_up_to={len(DATA)}" in report
    assert run(path, fix=True)[0] and path.read_bytes() == DATA
    path.write_bytes(multi + encode_command([b"EXEC"]))
    assert run(path)[0]


def test_a_manifest_checks_every_file_and_fixes_only_the_last(tmp_path):
    (tmp_path / "appendonly.aof.1.base.aof").write_bytes(DATA)
    (tmp_path / "appendonly.aof.1.incr.aof").write_bytes(DATA[:-1])
    (tmp_path / "appendonly.aof.2.incr.aof").write_bytes(DATA)
    manifest = tmp_path / "appendonly.aof.manifest"
    manifest.write_text(
        "file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
        "file appendonly.aof.2.incr.aof seq 2 type i\n"
    )
    ok, report = run(manifest, fix=True)
    assert not ok and "only the last file" in report
    assert (tmp_path / "appendonly.aof.1.incr.aof").read_bytes() == DATA[:-1]
    manifest.write_text("file appendonly.aof.1.base.aof seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n")
    ok, report = run(manifest)
    assert not ok and "appendonly.aof.1.incr.aof is not valid" in report
    ok, report = run(manifest, fix=True)
    assert ok and "All AOF files and manifest are valid" in report


def test_a_missing_file_of_a_manifest_is_one_line(tmp_path):
    manifest = tmp_path / "appendonly.aof.manifest"
    manifest.write_text("file appendonly.aof.1.base.rdb seq 1 type b\n")
    ok, report = run(manifest)
    assert not ok and "Cannot open file" in report and "appendonly.aof.1.base.rdb" in report


def test_a_damaged_rdb_base_cannot_be_fixed(tmp_path):
    path = tmp_path / "appendonly.aof.1.base.rdb"
    path.write_bytes(b"REDIS0010\xfa\x09redis-ver\x057.0.0\xff" + b"\x01" * 8)  # wrong checksum
    ok, report = run(path, fix=True)
    assert not ok and "cannot be fixed" in report
    assert path.read_bytes().startswith(b"REDIS0010")


def test_command_line(tmp_path, capsys):
    assert main([]) == 2
    assert "Usage: redislite-check-aof [--fix]" in capsys.readouterr().err
    assert main([str(tmp_path / "missing.aof")]) == 1
    assert capsys.readouterr().out.strip() == f"Cannot open file {tmp_path / 'missing.aof'}: No such file or directory"
    bad = tmp_path / "appendonly.aof.manifest"
    bad.write_text("file x seq notanumber type b\n")
    assert main([str(bad)]) == 1
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err and "invalid AOF manifest" in captured.out
    good = tmp_path / "good.aof"
    good.write_bytes(DATA)
    assert main(["--fix", str(good)]) == 0


def test_value_commands_split_long_values():
    commands = value_commands(b"l", ListValue(b"%d" % number for number in range(130)))
    assert [len(argv) - 2 for argv in commands] == [64, 64, 2]
    assert all(argv[:2] == [b"RPUSH", b"l"] for argv in commands)
