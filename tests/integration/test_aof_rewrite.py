"""AOF rewrites against the real RedisLite process: BGREWRITEAOF with Redis 7's multi-part layout (a new
incremental file at the start, a new base from a forked child, the old files gone from the manifest and the
directory), writes that continue during a rewrite and survive a restart or kill -9, the replies and INFO fields
of Redis 7.0, automatic rewrites, CONFIG SET appendonly at run time, aof-load-truncated no, and the rewritten
files read by the real redis-server and redis-check-aof."""

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis

from ..servers import free_port, raw_client, real_redis, redis_server_path, redislite
from .test_aof import check_populated, populate

AOF_DIR = "appendonlydir"

needs_redis = pytest.mark.skipif(redis_server_path() is None, reason="redis-server not installed")


def aof_server(tmp_path, *args, fsync="always", port=None):
    return redislite(
        "--appendonly", "yes", "--appendfsync", fsync, "--dir", str(tmp_path), "--save", "", *args, port=port
    )


def info(client) -> dict:
    text = client.execute_command("INFO", "persistence").decode()
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def wait_rewrite_done(client, timeout: float = 30.0) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        fields = info(client)
        if fields["aof_rewrite_in_progress"] == "0" and fields["aof_rewrite_scheduled"] == "0":
            return fields
        time.sleep(0.05)
    raise AssertionError("the AOF rewrite did not finish")


def manifest_of(directory: Path) -> list[list[str]]:
    text = (directory / AOF_DIR / "appendonly.aof.manifest").read_text()
    return [line.split() for line in text.splitlines()]


def files_in(directory: Path) -> list[str]:
    return sorted(path.name for path in (directory / AOF_DIR).iterdir())


def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def fill(client, count: int, prefix: str = "key") -> None:
    pipe = client.pipeline(transaction=False)
    for index in range(count):
        pipe.set(f"{prefix}:{index}", index)
    pipe.execute()


class Writer(threading.Thread):
    """A client that keeps writing until stopped; `acknowledged` counts the writes the server answered."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.client = raw_client(port)
        self.stop_event = threading.Event()
        self.acknowledged = 0

    def run(self) -> None:
        while not self.stop_event.is_set():
            try:
                self.client.set(f"w:{self.acknowledged}", self.acknowledged)
                self.client.rpush("log", self.acknowledged)
            except redis.ConnectionError:
                return
            self.acknowledged += 1

    def stop(self) -> int:
        self.stop_event.set()
        self.join(10)
        return self.acknowledged


def check_writes(port: int, acknowledged: int) -> None:
    """Every acknowledged write is there (after kill -9, one unacknowledged write may be there too)."""
    client = raw_client(port)
    assert client.llen("log") in (acknowledged, acknowledged + 1)
    assert client.lrange("log", 0, acknowledged - 1) == [b"%d" % index for index in range(acknowledged)]
    values = client.mget([f"w:{index}" for index in range(acknowledged)]) if acknowledged else []
    assert values == [b"%d" % index for index in range(acknowledged)]


# -- BGREWRITEAOF -----------------------------------------------------------------------------------------------


def test_bgrewriteaof_replaces_the_base_and_the_incr_file(tmp_path):
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        populate(client)
        assert client.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
        fields = wait_rewrite_done(client)
        assert fields["aof_rewrites"] == "1" and fields["aof_last_bgrewrite_status"] == "ok"
        assert manifest_of(tmp_path) == [
            ["file", "appendonly.aof.2.base.rdb", "seq", "2", "type", "b"],
            ["file", "appendonly.aof.2.incr.aof", "seq", "2", "type", "i"],
        ]
        assert files_in(tmp_path) == [
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest",
        ]
        base = tmp_path / AOF_DIR / "appendonly.aof.2.base.rdb"
        assert base.read_bytes().startswith(b"REDIS0010")
        assert int(fields["aof_base_size"]) == int(fields["aof_current_size"]) == base.stat().st_size
        client.set("after", "rewrite")
        assert int(info(client)["aof_current_size"]) > base.stat().st_size
    with aof_server(tmp_path) as server:
        check_populated(server.port)
        assert raw_client(server.port).get("after") == b"rewrite"


def test_replies_and_info_while_a_rewrite_runs(tmp_path):
    with aof_server(tmp_path, "--rdb-key-save-delay", "2000") as server:
        client = raw_client(server.port)
        fill(client, 500)
        assert client.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
        fields = info(client)
        assert fields["aof_rewrite_in_progress"] == "1" and fields["aof_current_rewrite_time_sec"] != "-1"
        with pytest.raises(redis.ResponseError) as error:
            client.execute_command("BGREWRITEAOF")
        assert str(error.value) == "Background append only file rewriting already in progress"
        with pytest.raises(redis.ResponseError) as error:
            client.execute_command("BGSAVE")
        assert str(error.value) == (
            "Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE "
            "SCHEDULE in order to schedule a BGSAVE whenever possible."
        )
        assert client.execute_command("BGSAVE", "SCHEDULE") == b"Background saving scheduled"
        wait_rewrite_done(client)
        # the scheduled BGSAVE runs once the rewrite child is gone; a BGREWRITEAOF meanwhile is scheduled
        deadline = time.monotonic() + 10
        while info(client)["rdb_bgsave_in_progress"] != "1" and time.monotonic() < deadline:
            time.sleep(0.02)
        assert client.execute_command("BGREWRITEAOF") == b"Background append only file rewriting scheduled"
        assert info(client)["aof_rewrite_scheduled"] == "1"
        fields = wait_rewrite_done(client)
        assert fields["aof_rewrites"] == "2" and fields["aof_last_bgrewrite_status"] == "ok"


def test_rewrite_inside_multi_is_scheduled(tmp_path):
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        pipe = client.pipeline(transaction=True)
        pipe.set("a", 1)
        pipe.execute_command("BGREWRITEAOF")
        pipe.set("b", 2)
        assert pipe.execute()[1] == b"Background append only file rewriting scheduled"
        assert wait_rewrite_done(client)["aof_rewrites"] == "1"
    with aof_server(tmp_path) as server:
        assert raw_client(server.port).mget("a", "b") == [b"1", b"2"]


@pytest.mark.parametrize("fsync", ["always", "everysec"])
def test_writes_during_a_rewrite_survive_a_restart(tmp_path, fsync):
    with aof_server(tmp_path, "--rdb-key-save-delay", "1000", fsync=fsync) as server:
        client = raw_client(server.port)
        fill(client, 1000)
        writer = Writer(server.port)
        writer.start()
        time.sleep(0.1)
        assert client.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
        during = writer.acknowledged
        wait_rewrite_done(client)
        assert writer.acknowledged > during  # writes went on while the child wrote the base
        time.sleep(0.1)
        acknowledged = writer.stop()
        assert [entry[1] for entry in manifest_of(tmp_path)] == [
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
        ]
    with aof_server(tmp_path) as server:
        check_writes(server.port, acknowledged)
        assert raw_client(server.port).get("key:999") == b"999"


def test_kill_9_during_a_rewrite_loses_nothing(tmp_path):
    port = free_port()
    server = aof_server(tmp_path, "--rdb-key-save-delay", "2000", port=port).start()
    children = []
    try:
        client = raw_client(port)
        fill(client, 1000)
        writer = Writer(port)
        writer.start()
        assert client.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
        time.sleep(0.5)
        assert info(client)["aof_rewrite_in_progress"] == "1"
        children = children_of(server.process.pid)
        server.process.send_signal(signal.SIGKILL)
        server.process.wait()
        acknowledged = writer.stop()
    finally:
        for pid in children:  # the orphaned rewrite child
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        server.stop()
    assert acknowledged > 0
    # the old base, the old incr file and the new one, as the manifest written at the rewrite's start says
    assert [entry[1] for entry in manifest_of(tmp_path)] == [
        "appendonly.aof.1.base.rdb",
        "appendonly.aof.1.incr.aof",
        "appendonly.aof.2.incr.aof",
    ]
    with aof_server(tmp_path, port=port) as server:
        check_writes(port, acknowledged)
        assert raw_client(port).get("key:999") == b"999"


def test_bgrewriteaof_with_appendonly_off_writes_the_layout_redis_writes(tmp_path):
    with redislite("--dir", str(tmp_path), "--save", "") as server:
        client = raw_client(server.port)
        client.set("k", "v")
        assert client.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
        fields = wait_rewrite_done(client)
        assert fields["aof_enabled"] == "0" and fields["aof_rewrites"] == "1"
        assert "aof_current_size" not in fields
        assert client.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
        wait_rewrite_done(client)
    assert files_in(tmp_path) == ["appendonly.aof.2.base.rdb", "appendonly.aof.manifest"]
    assert manifest_of(tmp_path) == [["file", "appendonly.aof.2.base.rdb", "seq", "2", "type", "b"]]
    with aof_server(tmp_path) as server:  # a base alone loads, and appending starts in a new incr file
        client = raw_client(server.port)
        assert client.get("k") == b"v"
        client.set("k2", "v2")
    assert manifest_of(tmp_path)[-1] == ["file", "appendonly.aof.1.incr.aof", "seq", "1", "type", "i"]
    with aof_server(tmp_path) as server:
        assert raw_client(server.port).mget("k", "k2") == [b"v", b"v2"]


@needs_redis
def test_real_redis_writes_the_same_layout_with_appendonly_off(tmp_path):
    with real_redis("--dir", str(tmp_path)) as oracle:
        client = raw_client(oracle.port)
        client.set("k", "v")
        for _ in range(2):
            assert client.execute_command("BGREWRITEAOF") == b"Background append only file rewriting started"
            wait_rewrite_done(client)
    assert files_in(tmp_path) == ["appendonly.aof.2.base.rdb", "appendonly.aof.manifest"]
    assert manifest_of(tmp_path) == [["file", "appendonly.aof.2.base.rdb", "seq", "2", "type", "b"]]


def test_resp_base_without_rdb_preamble(tmp_path):
    with aof_server(tmp_path, "--aof-use-rdb-preamble", "no") as server:
        client = raw_client(server.port)
        populate(client)
        client.rpush("long", *range(200))  # more than 64 elements: several RPUSH commands
        client.execute_command(
            "FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('one', function() return 1 end)"
        )
        client.execute_command("BGREWRITEAOF")
        wait_rewrite_done(client)
    base = tmp_path / AOF_DIR / "appendonly.aof.2.base.aof"
    assert manifest_of(tmp_path)[0] == ["file", "appendonly.aof.2.base.aof", "seq", "2", "type", "b"]
    data = base.read_bytes()
    assert data.startswith(b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n")
    assert data.count(b"RPUSH\r\n$4\r\nlong") == 4 and b"PEXPIREAT" in data and b"HMSET" in data
    with aof_server(tmp_path) as server:
        check_populated(server.port)
        client = raw_client(server.port)
        assert client.lrange("long", 0, -1) == [b"%d" % number for number in range(200)]
        assert client.execute_command("FCALL", "one", 0) == 1


# -- automatic rewrites ---------------------------------------------------------------------------------------


def test_automatic_rewrite_on_growth(tmp_path):
    with aof_server(tmp_path, "--auto-aof-rewrite-min-size", "4kb", "--auto-aof-rewrite-percentage", "100") as server:
        client = raw_client(server.port)
        assert client.execute_command("CONFIG", "GET", "auto-aof-rewrite-min-size") == [
            b"auto-aof-rewrite-min-size",
            b"4096",
        ]
        fill(client, 50)
        time.sleep(0.5)
        assert info(client)["aof_rewrites"] == "0"  # under the minimum size
        fill(client, 200, prefix="more")
        deadline = time.monotonic() + 10
        while info(client)["aof_rewrites"] == "0" and time.monotonic() < deadline:
            time.sleep(0.05)
        fields = wait_rewrite_done(client)
        assert fields["aof_rewrites"] == "1"
        assert manifest_of(tmp_path)[0][1] == "appendonly.aof.2.base.rdb"
        time.sleep(0.5)  # grown by less than 100% since: no second rewrite
        assert info(client)["aof_rewrites"] == "1"
    with aof_server(tmp_path) as server:
        assert raw_client(server.port).dbsize() == 250


def test_no_automatic_rewrite_with_percentage_zero(tmp_path):
    with aof_server(tmp_path, "--auto-aof-rewrite-min-size", "1kb", "--auto-aof-rewrite-percentage", "0") as server:
        client = raw_client(server.port)
        fill(client, 200)
        time.sleep(0.5)
        assert info(client)["aof_rewrites"] == "0"


# -- CONFIG SET appendonly -------------------------------------------------------------------------------------


def test_config_set_appendonly_yes_creates_a_loadable_aof(tmp_path):
    with redislite("--dir", str(tmp_path), "--save", "", "--rdb-key-save-delay", "1000") as server:
        client = raw_client(server.port)
        fill(client, 500)
        assert info(client)["aof_enabled"] == "0"
        writer = Writer(server.port)
        writer.start()
        assert client.config_set("appendonly", "yes") == b"OK"
        fields = info(client)
        assert fields["aof_enabled"] == "1" and fields["aof_rewrite_in_progress"] == "1"
        assert not (tmp_path / AOF_DIR / "appendonly.aof.manifest").exists()  # no manifest before the base
        wait_rewrite_done(client)
        acknowledged = writer.stop()
        assert files_in(tmp_path) == [
            "appendonly.aof.1.base.rdb",
            "appendonly.aof.1.incr.aof",
            "appendonly.aof.manifest",
        ]
        assert client.config_get("appendonly") == [b"appendonly", b"yes"]
    with aof_server(tmp_path) as server:
        check_writes(server.port, acknowledged)
        assert raw_client(server.port).get("key:499") == b"499"


def test_config_set_appendonly_no_while_the_first_base_is_written_leaves_no_aof(tmp_path):
    with redislite("--dir", str(tmp_path), "--save", "", "--rdb-key-save-delay", "1000") as server:
        client = raw_client(server.port)
        fill(client, 500)
        assert client.config_set("appendonly", "yes") == b"OK"
        client.set("during", "1")
        assert client.config_set("appendonly", "no") == b"OK"
        fields = info(client)
        assert fields["aof_enabled"] == "0" and fields["aof_rewrite_in_progress"] == "0"
        assert files_in(tmp_path) == []  # neither the temporary incremental file nor a base
        assert client.set("after", "2")


def test_config_set_appendonly_no_closes_the_aof(tmp_path):
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.set("logged", "1")
        assert client.config_set("appendonly", "no") == b"OK"
        fields = info(client)
        assert fields["aof_enabled"] == "0" and "aof_current_size" not in fields
        client.set("not-logged", "2")
        assert b"not-logged" not in (tmp_path / AOF_DIR / "appendonly.aof.1.incr.aof").read_bytes()
        assert client.config_set("appendonly", "yes") == b"OK"  # a new base holds everything again
        wait_rewrite_done(client)
        assert files_in(tmp_path) == [
            "appendonly.aof.2.base.rdb",
            "appendonly.aof.2.incr.aof",
            "appendonly.aof.manifest",
        ]
        client.set("again", "3")
    with aof_server(tmp_path) as server:
        assert raw_client(server.port).mget("logged", "not-logged", "again") == [b"1", b"2", b"3"]


# -- aof-load-truncated ---------------------------------------------------------------------------------------


def test_aof_load_truncated_no_refuses_to_start(tmp_path):
    with aof_server(tmp_path) as server:
        raw_client(server.port).set("k", "v")
    path = tmp_path / AOF_DIR / "appendonly.aof.1.incr.aof"
    data = path.read_bytes()
    path.write_bytes(data[:-3])
    offset = data.index(b"*3\r\n$3\r\nSET")
    command = [
        sys.executable,
        "-m",
        "redislite",
        "--port",
        str(free_port()),
        "--http-port",
        "0",
        "--appendonly",
        "yes",
        "--dir",
        str(tmp_path),
        "--save",
        "",
        "--aof-load-truncated",
        "no",
    ]
    result = subprocess.run(command, capture_output=True, timeout=30)
    assert result.returncode != 0
    lines = [line for line in result.stderr.decode().splitlines() if line.startswith("redislite-server:")]
    assert len(lines) == 1 and "appendonly.aof.1.incr.aof" in lines[0] and f"offset {offset}" in lines[0]
    assert "Traceback" not in result.stderr.decode()
    with aof_server(tmp_path) as server:  # aof-load-truncated yes (the default) drops the tail
        assert raw_client(server.port).get("k") is None


# -- the real redis-server and redis-check-aof read what a rewrite wrote ----------------------------------------


@needs_redis
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_real_redis_loads_a_rewritten_aof(tmp_path, preamble):
    ours = tmp_path / "ours"
    ours.mkdir()
    with aof_server(ours, "--aof-use-rdb-preamble", preamble) as server:
        client = raw_client(server.port)
        populate(client)
        client.rpush("long", *range(150))
        client.execute_command("BGREWRITEAOF")
        wait_rewrite_done(client)
        client.set("after", "rewrite")
        expected = {db: raw_client(server.port, db).dbsize() for db in (0, 3)}
    copy = tmp_path / "copy"
    shutil.copytree(ours, copy)
    with real_redis("--appendonly", "yes", "--dir", str(copy)) as oracle:
        check_populated(oracle.port)
        client = raw_client(oracle.port)
        assert {db: raw_client(oracle.port, db).dbsize() for db in (0, 3)} == expected
        assert client.get("after") == b"rewrite"
        assert client.lrange("long", 0, -1) == [b"%d" % number for number in range(150)]


@pytest.mark.skipif(shutil.which("redis-check-aof") is None, reason="redis-check-aof not installed")
@pytest.mark.parametrize("preamble", ["yes", "no"])
def test_redis_check_aof_accepts_rewritten_files(tmp_path, preamble):
    with aof_server(tmp_path, "--aof-use-rdb-preamble", preamble) as server:
        client = raw_client(server.port)
        populate(client)
        client.execute_command("BGREWRITEAOF")
        wait_rewrite_done(client)
        pipe = client.pipeline(transaction=True)
        pipe.set("m", 1)
        pipe.incr("m")
        pipe.execute()
    manifest = tmp_path / AOF_DIR / "appendonly.aof.manifest"
    result = subprocess.run(["redis-check-aof", str(manifest)], capture_output=True, timeout=30)
    assert result.returncode == 0, result.stdout
    assert b"All AOF files and manifest are valid" in result.stdout
    ours = subprocess.run(
        [sys.executable, "-m", "redislite.persistence.check_aof", str(manifest)], capture_output=True, timeout=30
    )
    assert ours.returncode == 0 and b"All AOF files and manifest are valid" in ours.stdout


def test_check_aof_on_a_server_directory_finds_and_fixes_damage(tmp_path):
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        populate(client)
        client.execute_command("BGREWRITEAOF")
        wait_rewrite_done(client)
        client.set("a", "1")
        client.set("b", "2")
    directory = tmp_path / AOF_DIR
    manifest = directory / "appendonly.aof.manifest"
    check = [sys.executable, "-m", "redislite.persistence.check_aof"]
    incr = directory / "appendonly.aof.2.incr.aof"
    incr.write_bytes(incr.read_bytes()[:-4])
    result = subprocess.run([*check, str(manifest)], capture_output=True, timeout=30)
    assert result.returncode == 1 and b"appendonly.aof.2.incr.aof is not valid" in result.stdout
    result = subprocess.run([*check, "--fix", str(manifest)], capture_output=True, timeout=30)
    assert result.returncode == 0 and b"Successfully truncated" in result.stdout
    if shutil.which("redis-check-aof"):
        assert subprocess.run(["redis-check-aof", str(manifest)], capture_output=True).returncode == 0
    with aof_server(tmp_path, "--aof-load-truncated", "no") as server:
        assert raw_client(server.port).mget("a", "b") == [b"1", None]
    base = directory / "appendonly.aof.2.base.rdb"
    data = bytearray(base.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the RDB's checksum catches a flipped byte anywhere
    base.write_bytes(bytes(data))
    result = subprocess.run([*check, "--fix", str(manifest)], capture_output=True, timeout=30)
    assert result.returncode == 1 and b"cannot be fixed" in result.stdout and not result.stderr


def test_config_set_appendonly_yes_during_a_bgsave_is_scheduled(tmp_path):
    with redislite("--dir", str(tmp_path), "--save", "", "--rdb-key-save-delay", "2000") as server:
        client = raw_client(server.port)
        fill(client, 300)
        assert client.execute_command("BGSAVE") == b"Background saving started"
        assert client.config_set("appendonly", "yes") == b"OK"
        fields = info(client)
        assert fields["aof_enabled"] == "1" and fields["aof_rewrite_scheduled"] == "1"
        assert fields["aof_rewrite_in_progress"] == "0" and fields["aof_pending_rewrite"] == "1"
        client.set("during", "bgsave")  # in the dataset the rewrite will write
        fields = wait_rewrite_done(client)
        assert fields["aof_rewrites"] == "1"
        client.set("after", "rewrite")
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        assert client.mget("during", "after", "key:299") == [b"bgsave", b"rewrite", b"299"]
