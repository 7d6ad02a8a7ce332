"""aof-timestamp-enabled and point-in-time recovery, against real processes: RedisLite writes Redis 7.0's
`#TS:<unix time>` annotation before the first command of each new second; Debian's redis-check-aof accepts the
files and a real redis-server loads them with the same data; RedisLite loads annotated files a real
redis-server wrote, also with a truncated tail; `redislite-check-aof --truncate-to-timestamp` cuts where
redis-check-aof cuts (same bytes, messages and exit status) and both servers then load the prefix."""

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ..integration.test_persistence_rdb import info, wait_for
from ..servers import raw_client, real_redis, redis_server_path, redislite, reply

AOF_DIR = "appendonlydir"
INCR = "appendonly.aof.1.incr.aof"
MANIFEST = "appendonly.aof.manifest"

needs_redis = pytest.mark.skipif(
    redis_server_path() is None or shutil.which("redis-check-aof") is None,
    reason="redis-server / redis-check-aof not installed",
)


def timestamped_server(directory: Path, *args: str):
    return redislite(
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--dir",
        str(directory),
        "--save",
        "",
        "--aof-timestamp-enabled",
        "yes",
        *args,
    )


def next_second() -> int:
    """Wait for the next wall-clock second to begin; returns it."""
    now = int(time.time())
    while int(time.time()) == now:
        time.sleep(0.01)
    return now + 1


def annotations(data: bytes) -> list[tuple[int, int]]:
    """(offset, unix time) of every `#TS:` line at a command boundary."""
    from redislite.persistence.aof_format import parse_commands

    return [
        (start, int(data[start + 4 : end].strip())) for argv, start, end in parse_commands(data, True) if argv is None
    ]


def snapshot_of(port: int) -> dict:
    client = raw_client(port)
    return {key: client.dump(key) for key in sorted(client.keys("*"))}


def check_aof(*args: str, tool: str = "redislite") -> subprocess.CompletedProcess:
    command = ["redis-check-aof"] if tool == "redis" else [sys.executable, "-m", "redislite.persistence.check_aof"]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=30)


def write_two_seconds(port: int) -> tuple[int, int]:
    """Writes in one second, then in the next (a transaction among them); returns the two seconds."""
    client = raw_client(port)
    first = next_second()
    client.set("early", "1")
    client.rpush("list", "a", "b")
    second = next_second()
    pipe = client.pipeline(transaction=True)
    pipe.set("late", "2")
    pipe.incr("counter")
    pipe.execute()
    raw_client(port, db=3).set("other-db", "x")
    return first, second


def test_config_set_aof_timestamp_enabled(tmp_path):
    with redislite("--appendonly", "yes", "--dir", str(tmp_path), "--save", "") as server:
        client = raw_client(server.port)
        assert client.config_get("aof-timestamp-enabled") == [b"aof-timestamp-enabled", b"no"]
        client.set("plain", "1")
        assert reply(client, "CONFIG", "SET", "aof-timestamp-enabled", "maybe")[0] == "error"
        client.config_set("aof-timestamp-enabled", "yes")
        client.set("stamped", "1")
    data = (tmp_path / AOF_DIR / INCR).read_bytes()
    stamps = annotations(data)
    assert len(stamps) == 1 and data.index(b"plain") < stamps[0][0] < data.index(b"stamped")


@needs_redis
def test_annotations_are_written_as_redis_writes_them_and_redis_reads_them(tmp_path):
    ours, theirs = tmp_path / "ours", tmp_path / "theirs"
    ours.mkdir()
    theirs.mkdir()
    with timestamped_server(ours) as server:
        first, second = write_two_seconds(server.port)
        expected = snapshot_of(server.port)
    with real_redis("--appendonly", "yes", "--dir", str(theirs), "--aof-timestamp-enabled", "yes") as oracle:
        write_two_seconds(oracle.port)
    data, oracle_data = (ours / AOF_DIR / INCR).read_bytes(), (theirs / AOF_DIR / INCR).read_bytes()
    stamps = annotations(data)
    assert [stamp for _offset, stamp in stamps] == [first, second]
    # one annotation per second, before that second's first command (its SELECT, its MULTI)
    assert data.startswith(b"#TS:%d\r\n*2\r\n$6\r\nSELECT\r\n" % first)
    assert data[stamps[1][0] :].startswith(b"#TS:%d\r\n*1\r\n$5\r\nMULTI\r\n" % second)
    # the same shape as redis-server's file, timestamps aside
    assert [offset for offset, _stamp in annotations(oracle_data)] == [offset for offset, _stamp in stamps]

    result = check_aof(str(ours / AOF_DIR / MANIFEST), tool="redis")
    assert result.returncode == 0 and "All AOF files and manifest are valid" in result.stdout
    assert check_aof(str(ours / AOF_DIR / MANIFEST)).returncode == 0
    copy = tmp_path / "copy"
    shutil.copytree(ours, copy)
    with real_redis("--appendonly", "yes", "--dir", str(copy)) as oracle:
        assert snapshot_of(oracle.port) == expected
    with timestamped_server(ours) as server:
        assert snapshot_of(server.port) == expected


@needs_redis
def test_redislite_loads_annotated_files_written_by_redis(tmp_path):
    with real_redis("--appendonly", "yes", "--dir", str(tmp_path), "--aof-timestamp-enabled", "yes") as oracle:
        write_two_seconds(oracle.port)
        expected = snapshot_of(oracle.port)
    assert len(annotations((tmp_path / AOF_DIR / INCR).read_bytes())) == 2
    with timestamped_server(tmp_path) as server:
        assert snapshot_of(server.port) == expected


@needs_redis
@pytest.mark.parametrize("tail", [b"#TS:1700000000\r\n*3\r\n$3\r\nSET\r\n$4\r\nlost", b"#TS:17000"])
def test_a_truncated_tail_after_an_annotation_loads_as_redis_loads_it(tmp_path, tail):
    """A command cut short after an annotation: the file is cut at the end of the last whole command (the
    annotation goes too); an annotation cut short at the very end is harmless. Same sizes as redis-server."""
    with timestamped_server(tmp_path) as server:
        raw_client(server.port).set("kept", "1")
    incr = tmp_path / AOF_DIR / INCR
    incr.write_bytes(incr.read_bytes() + tail)
    copy = tmp_path / "copy"
    shutil.copytree(tmp_path / AOF_DIR, copy / AOF_DIR)
    with timestamped_server(tmp_path) as server:
        assert snapshot_of(server.port) == {b"kept": raw_client(server.port).dump("kept")}
    with real_redis("--appendonly", "yes", "--dir", str(copy)) as oracle:
        assert raw_client(oracle.port).keys("*") == [b"kept"]
    assert incr.read_bytes() == (copy / AOF_DIR / INCR).read_bytes()


@needs_redis
def test_truncate_to_timestamp_cuts_where_redis_check_aof_cuts_and_servers_load_the_prefix(tmp_path):
    ours = tmp_path / "ours"
    ours.mkdir()
    with timestamped_server(ours) as server:
        first, _second = write_two_seconds(server.port)
        client = raw_client(server.port)
        client.delete("early", "late", "counter", "list")  # the mistake to undo
    theirs = tmp_path / "theirs"
    shutil.copytree(ours, theirs)
    before = (ours / AOF_DIR / INCR).read_bytes()

    result = check_aof("--truncate-to-timestamp", str(first), str(ours / AOF_DIR / MANIFEST))
    oracle = check_aof("--truncate-to-timestamp", str(first), str(theirs / AOF_DIR / MANIFEST), tool="redis")
    assert result.returncode == oracle.returncode == 0
    message = f"Successfully truncated AOF {INCR} to timestamp {first}"
    assert message in result.stdout and message in oracle.stdout
    after = (ours / AOF_DIR / INCR).read_bytes()
    assert after == (theirs / AOF_DIR / INCR).read_bytes() == before[: annotations(before)[1][0]]

    with timestamped_server(ours) as server:
        client = raw_client(server.port)
        assert client.get("early") == b"1" and client.lrange("list", 0, -1) == [b"a", b"b"]
        assert client.get("late") is None and raw_client(server.port, db=3).get("other-db") is None
        prefix = snapshot_of(server.port)
    with real_redis("--appendonly", "yes", "--dir", str(theirs)) as redis_server:
        assert snapshot_of(redis_server.port) == prefix

    # a time before the file's first annotation: nothing to keep, nothing changed, status 1 (both tools)
    for tool, directory in (("redislite", ours), ("redis", theirs)):
        result = check_aof("--truncate-to-timestamp", str(first - 1), str(directory / AOF_DIR / MANIFEST), tool=tool)
        assert result.returncode == 1
        assert f"has nothing before timestamp {first - 1}, aborting..." in result.stdout
    assert (ours / AOF_DIR / INCR).read_bytes() == after
    # a time after every annotation: nothing to cut
    result = check_aof("--truncate-to-timestamp", str(first + 100), str(ours / AOF_DIR / MANIFEST))
    assert result.returncode == 0 and f"Truncate nothing in AOF {INCR} to timestamp {first + 100}" in result.stdout
    assert (
        check_aof("--truncate-to-timestamp", "soon", str(ours / AOF_DIR / MANIFEST)).stdout
        == "Invalid timestamp, aborting...\n"
    )


@needs_redis
def test_truncate_to_timestamp_refuses_to_cut_a_file_that_is_not_the_last(tmp_path):
    """The cut falls in an incr file a later one builds on (copied while a rewrite runs): both tools refuse and
    change nothing. The RESP base the rewrite then writes starts with an annotation, which both tools accept."""
    live, ours, theirs = tmp_path / "live", tmp_path / "ours", tmp_path / "theirs"
    live.mkdir()
    with timestamped_server(live, "--aof-use-rdb-preamble", "no") as server:
        first, _second = write_two_seconds(server.port)
        client = raw_client(server.port)
        client.config_set("rdb-key-save-delay", 500_000)
        assert client.bgrewriteaof()
        client.set("after-rewrite-start", "1")
        shutil.copytree(live, ours)  # fsync always: every acknowledged write is in the files
        shutil.copytree(live, theirs)
        wait_for(lambda: info(client)["aof_rewrite_in_progress"] == "0", timeout=30)
    assert "appendonly.aof.2.incr.aof" in (ours / AOF_DIR / MANIFEST).read_text()
    before = (ours / AOF_DIR / INCR).read_bytes()
    for tool, directory in (("redislite", ours), ("redis", theirs)):
        result = check_aof("--truncate-to-timestamp", str(first), str(directory / AOF_DIR / MANIFEST), tool=tool)
        assert result.returncode == 1
        assert (
            f"Failed to truncate AOF {directory / AOF_DIR / INCR} to timestamp {first} to offset "
            f"{annotations(before)[1][0]} because it is not the last file." in result.stdout
        )
        assert (directory / AOF_DIR / INCR).read_bytes() == before

    base = live / AOF_DIR / "appendonly.aof.2.base.aof"
    assert annotations(base.read_bytes())[0][0] == 0  # rewriteAppendOnlyFileRio starts with one
    for tool in ("redislite", "redis"):
        assert check_aof(str(live / AOF_DIR / MANIFEST), tool=tool).returncode == 0
    with timestamped_server(live) as server:
        assert raw_client(server.port).get("after-rewrite-start") == b"1"
        loaded = snapshot_of(server.port)
    with real_redis("--appendonly", "yes", "--dir", str(live)) as oracle:
        assert snapshot_of(oracle.port) == loaded
