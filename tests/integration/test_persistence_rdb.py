"""Snapshots against the real RedisLite process: SAVE, BGSAVE, LASTSAVE, save points, INFO persistence,
SHUTDOWN SAVE/NOSAVE and SIGTERM, loading at start-up (with -LOADING meanwhile), a failed background save
(-MISCONF until a save succeeds), DEBUG RELOAD, DUMP/RESTORE semantics, and a corrupt dump.rdb at start-up."""

import shutil
import signal
import subprocess
import sys
import time

import pytest
import redis

from ..servers import free_port, raw_client, redislite, reply

MISCONF = (
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
    "Commands that may modify the data set are disabled, because this instance is configured to report "
    "errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the "
    "Redis logs for details about the RDB error."
)


def line(port: int, *args) -> bytes:
    """The first line of the reply to one command, exactly as sent (redis-py rewrites some errors)."""
    import socket

    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"".join(parts))
        data = b""
        while not data.endswith(b"\r\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return data.split(b"\r\n", 1)[0]


def info(client, section: str = "persistence") -> dict:
    """INFO's fields as text (a raw client: redis-py would turn the values into numbers)."""
    text = raw_client(client.connection_pool.connection_kwargs["port"]).execute_command("INFO", section)
    text = text.decode() if isinstance(text, bytes) else text
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line)


def wait_for(condition, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def populate(client) -> None:
    client.set("string", "hello")
    client.set("number", 12345)
    client.set("binary\x00key", b"\x00\xff\r\n" * 30)
    client.set("expiring", "soon", px=600_000)
    client.rpush("list", "a", "b", 3)
    client.sadd("intset", 1, 2, 3)
    client.sadd("set", "x", "y")
    client.hset("hash", mapping={"f": "v", "n": "1"})
    client.zadd("zset", {"a": 1.5, "b": -2})
    client.pfadd("hll", "p", "q", "r")
    client.execute_command("SELECT", 7)
    client.set("in db 7", "seven")
    client.execute_command("SELECT", 0)


def check_populated(client) -> None:
    assert client.get("string") == b"hello" and client.get("number") == b"12345"
    assert client.get("binary\x00key") == b"\x00\xff\r\n" * 30
    assert 590_000 < client.pttl("expiring") <= 600_000
    assert client.lrange("list", 0, -1) == [b"a", b"b", b"3"]
    assert client.smembers("intset") == {b"1", b"2", b"3"} and client.object("encoding", "intset") == b"intset"
    assert client.smembers("set") == {b"x", b"y"}
    assert client.hgetall("hash") == {b"f": b"v", b"n": b"1"}
    assert client.zrange("zset", 0, -1, withscores=True) == [(b"b", -2.0), (b"a", 1.5)]
    assert client.pfcount("hll") == 3
    assert redis.Redis(port=client.connection_pool.connection_kwargs["port"], db=7).get("in db 7") == b"seven"


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path


# -- SAVE, BGSAVE, LASTSAVE, restart -----------------------------------------------------------------------------


def test_save_writes_a_dump_that_a_restart_loads(data_dir):
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        populate(client)
        before = client.lastsave()
        time.sleep(1.05)
        assert client.save() is True
        assert client.lastsave() > before
        assert info(client)["rdb_changes_since_last_save"] == "0"
        assert (data_dir / "dump.rdb").exists()
        assert not list(data_dir.glob("temp-*.rdb"))
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        check_populated(client)
        assert info(client)["rdb_last_load_keys_loaded"] == "11"


def test_bgsave_runs_in_a_child_while_the_server_answers(data_dir):
    with redislite("--dir", str(data_dir), "--rdb-key-save-delay", "2000", cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        client.mset({f"key:{i}": i for i in range(400)})  # 400 keys x 2 ms: the save takes about a second
        assert client.bgsave() is True
        assert info(client)["rdb_bgsave_in_progress"] == "1"
        assert reply(client, "BGSAVE") == ("error", "Background save already in progress")
        assert reply(client, "SAVE") == ("error", "Background save already in progress")
        started = time.monotonic()
        client.set("written meanwhile", 1)
        assert client.ping() and time.monotonic() - started < 0.5
        wait_for(lambda: info(client)["rdb_bgsave_in_progress"] == "0")
        fields = info(client)
        assert fields["rdb_last_bgsave_status"] == "ok"
        assert fields["rdb_changes_since_last_save"] == "1"  # the SET made during the save
        assert int(fields["rdb_last_cow_size"]) > 0 and fields["rdb_saves"] == "1"
        assert int(info(client, "stats")["total_forks"]) == 1
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        assert client.dbsize() == 400 and client.get("key:399") == b"399"


def test_bgsave_inside_multi_is_scheduled_and_runs_from_the_cron(data_dir):
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = raw_client(server.port)
        client.set("k", "v")
        pipe = client.pipeline(transaction=True)
        pipe.execute_command("BGSAVE")
        assert pipe.execute() == [b"Background saving scheduled"]
        wait_for(lambda: (data_dir / "dump.rdb").exists() and info(client)["rdb_bgsave_in_progress"] == "0")
        assert reply(client, "BGSAVE", "NOW") == ("error", "syntax error")
        assert reply(client, "BGSAVE", "SCHEDULE") == b"Background saving started"


def test_save_points_and_the_seed_interval_trigger_background_saves(data_dir):
    env = {"REDISLITE_SNAPSHOT_INTERVAL_SECS": "1"}  # the seed's name for `save "1 1"`
    with redislite("--dir", str(data_dir), cwd=data_dir, env=env) as server:
        client = redis.Redis(port=server.port)
        assert client.config_get("save") == {"save": "1 1"}
        client.set("k", "v")
        wait_for(lambda: info(client)["rdb_changes_since_last_save"] == "0", timeout=6)
        assert (data_dir / "dump.rdb").exists()
        assert int(info(client, "stats")["total_forks"]) >= 1


def test_info_persistence_has_redis_fields_in_redis_order(server, oracle):
    ours = list(info(redis.Redis(port=server.port)))
    theirs = list(info(redis.Redis(port=oracle.port)))
    assert ours == theirs


# -- SHUTDOWN and SIGTERM -----------------------------------------------------------------------------------------


def test_shutdown_save_writes_and_nosave_does_not(data_dir):
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        client.set("k", "saved")
        assert line(server.port, "SHUTDOWN", "SAVE") == b""  # no reply: the connection just closes
        server.process.wait(timeout=10)
    assert (data_dir / "dump.rdb").exists()
    with redislite("--dir", str(data_dir), "--save", "3600 1", cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        assert client.get("k") == b"saved"
        client.set("k", "not saved")
        assert line(server.port, "SHUTDOWN", "NOSAVE") == b""
        server.process.wait(timeout=10)
    with redislite("--dir", str(data_dir), "--save", "3600 1", cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        assert client.get("k") == b"saved"
        client.set("k", "saved by SIGTERM")
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        assert redis.Redis(port=server.port).get("k") == b"saved by SIGTERM"


def test_shutdown_refuses_when_its_save_fails_unless_forced(data_dir):
    target = data_dir / "gone"
    target.mkdir()
    with redislite("--dir", str(target), "--save", "3600 1", cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        target.rmdir()
        assert line(server.port, "SHUTDOWN") == b"-ERR Errors trying to SHUTDOWN. Check logs."
        assert client.ping()
        assert line(server.port, "SHUTDOWN", "FORCE") == b""
        assert server.process.wait(timeout=10) == 0


def test_flushall_with_save_points_saves_the_empty_dataset(data_dir):
    from redislite.persistence.rdb import read_file

    with redislite("--dir", str(data_dir), "--save", "3600 1", cwd=data_dir) as server:
        client = raw_client(server.port)
        client.set("k", "v")
        client.save()
        assert len(read_file((data_dir / "dump.rdb").read_bytes())[1]) == 1
        client.flushall()
        assert read_file((data_dir / "dump.rdb").read_bytes())[1] == []
        assert info(client)["rdb_changes_since_last_save"] != "0"  # the flush still counts as a change


# -- a failed background save: MISCONF until a save succeeds -------------------------------------------------------


def test_failed_bgsave_refuses_writes_with_misconf_until_a_save_succeeds(data_dir):
    target = data_dir / "data"
    target.mkdir()
    with redislite("--dir", str(target), "--save", "3600 1", cwd=data_dir) as server:
        client = raw_client(server.port)
        client.set("k", "v")
        target.rmdir()  # root ignores permissions: a missing directory is what makes the save fail here
        assert reply(client, "BGSAVE") == b"Background saving started"
        wait_for(lambda: info(client)["rdb_last_bgsave_status"] == "err")
        port = server.port
        assert line(port, "SET", "k", "w") == b"-" + MISCONF.encode()
        assert line(port, "PING") == b"-" + MISCONF.encode()  # Redis refuses PING too
        assert reply(client, "GET", "k") == b"v"  # reads go on
        assert line(port, "SAVE") == b"-ERR"
        pipe = client.pipeline(transaction=True)
        pipe.set("k", "x")
        with pytest.raises(redis.ResponseError):
            pipe.execute()
        client.config_set("stop-writes-on-bgsave-error", "no")
        assert reply(client, "SET", "k", "w") == b"OK"
        client.config_set("stop-writes-on-bgsave-error", "yes")
        assert line(port, "SET", "k", "x") == b"-" + MISCONF.encode()
        target.mkdir()
        assert reply(client, "BGSAVE") == b"Background saving started"
        wait_for(lambda: info(client)["rdb_last_bgsave_status"] == "ok")
        assert reply(client, "SET", "k", "y") == b"OK"
        assert (target / "dump.rdb").exists()


def test_without_save_points_a_failed_bgsave_does_not_stop_writes(data_dir):
    target = data_dir / "data"
    target.mkdir()
    with redislite("--dir", str(target), cwd=data_dir) as server:
        client = raw_client(server.port)
        target.rmdir()
        client.bgsave()
        wait_for(lambda: info(client)["rdb_last_bgsave_status"] == "err")
        assert reply(client, "SET", "k", "v") == b"OK"


def test_misconf_matches_the_real_server(oracle_dir_server):
    client = raw_client(oracle_dir_server.port)
    wait_for(lambda: info(client)["rdb_last_bgsave_status"] == "err")
    assert line(oracle_dir_server.port, "SET", "k", "w") == b"-" + MISCONF.encode()
    assert line(oracle_dir_server.port, "PING") == b"-" + MISCONF.encode()
    assert line(oracle_dir_server.port, "SAVE") == b"-ERR"


@pytest.fixture
def oracle_dir_server(oracle, tmp_path):
    """A real redis-server whose dir disappears, after one failed BGSAVE."""
    from ..servers import real_redis

    target = tmp_path / "redis-data"
    target.mkdir()
    with real_redis("--dir", str(target), "--save", "3600 1", cwd=tmp_path) as process:
        client = raw_client(process.port)
        target.rmdir()
        client.bgsave()
        yield process
        client.config_set("save", "")  # else its shutdown save fails and it will not stop


# -- loading ---------------------------------------------------------------------------------------------------------


def test_clients_get_loading_while_the_dataset_loads(data_dir):
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        client.mset({f"k{i}": i for i in range(1500)})
        client.save()
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "redislite",
        "--port",
        str(port),
        "--http-port",
        "0",
        "--dir",
        str(data_dir),
        "--key-load-delay",
        "1000",
    ]  # 1 ms a key: about 1.5 s of loading
    process = subprocess.Popen(command, cwd=data_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = wait_for(lambda: _connect(port), timeout=15)
        assert line(port, "PING") == b"-LOADING Redis is loading the dataset in memory"
        assert line(port, "GET", "k1") == b"-LOADING Redis is loading the dataset in memory"
        fields = info(client)  # INFO has the loading flag
        assert fields["loading"] == "1" and int(fields["loading_total_bytes"]) > 0
        wait_for(lambda: line(port, "PING") == b"+PONG", timeout=15)
        assert client.dbsize() == 1500 and info(client)["loading"] == "0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _connect(port: int):
    try:
        client = raw_client(port)
        client.execute_command("INFO", "persistence")
        return client
    except redis.ConnectionError:
        return None


def test_expired_keys_in_the_file_are_not_loaded(data_dir):
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        client.set("short", "v", px=300)
        client.set("long", "v", ex=1000)
        client.save()
    time.sleep(0.4)
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        assert client.keys() == [b"long"]
        fields = info(client)
        assert (fields["rdb_last_load_keys_loaded"], fields["rdb_last_load_keys_expired"]) == ("1", "1")


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_a_corrupt_dump_refuses_to_start_with_one_line(data_dir, damage):
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        populate(redis.Redis(port=server.port))
        redis.Redis(port=server.port).save()
    path = data_dir / "dump.rdb"
    data = bytearray(path.read_bytes())
    if damage == "truncate":
        del data[len(data) // 2 :]
    else:
        data[len(data) // 2] ^= 0x55
    path.write_bytes(bytes(data))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "redislite",
            "--port",
            str(free_port()),
            "--http-port",
            "0",
            "--dir",
            str(data_dir),
            "--loglevel",
            "warning",
        ],
        cwd=data_dir,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("redislite-server: can't load ") and "dump.rdb" in last and "offset" in last
    assert "Traceback" not in result.stderr


def test_appendonly_yes_does_not_load_the_rdb(data_dir):
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        client.set("k", "v")
        client.save()
    with redislite("--dir", str(data_dir), "--appendonly", "yes", cwd=data_dir) as server:
        assert redis.Redis(port=server.port).dbsize() == 0


# -- DEBUG RELOAD ---------------------------------------------------------------------------------------------------


def test_debug_reload_saves_flushes_and_loads(data_dir):
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        client = redis.Redis(port=server.port)
        populate(client)
        assert client.execute_command("DEBUG", "RELOAD") == b"OK"
        check_populated(client)
        client.set("only in memory", 1)
        assert client.execute_command("DEBUG", "RELOAD", "NOSAVE") == b"OK"
        assert client.exists("only in memory") == 0
        client.set("only in memory", 1)
        assert client.execute_command("DEBUG", "RELOAD", "NOSAVE", "NOFLUSH", "MERGE") == b"OK"
        assert client.exists("only in memory") == 1 and client.get("string") == b"hello"
        assert reply(client, "DEBUG", "RELOAD", "NOSAVE", "NOFLUSH") == (
            "error",
            "Error trying to load the RDB dump, check server logs.",
        )
        assert reply(client, "DEBUG", "RELOAD", "FAST") == (
            "error",
            "DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.",
        )


# -- DUMP and RESTORE -----------------------------------------------------------------------------------------------


RESTORE_CASES = [
    ["RESTORE", "new", "0", "<payload>", "FOO"],
    ["RESTORE", "new", "0", "<payload>", "IDLETIME"],
    ["RESTORE", "new", "0", "<payload>", "IDLETIME", "-1"],
    ["RESTORE", "new", "0", "<payload>", "IDLETIME", "x"],
    ["RESTORE", "new", "0", "<payload>", "FREQ", "256"],
    ["RESTORE", "new", "0", "<payload>", "FREQ", "1", "IDLETIME", "1"],
    ["RESTORE", "src", "0", "<payload>"],
    ["RESTORE", "new", "-1", "<payload>"],
    ["RESTORE", "new", "x", "<payload>"],
    ["RESTORE", "new", "0", "garbage"],
    ["RESTORE", "new", "0", "<corrupt>"],
    ["RESTORE", "new", "0", "<bad-format>"],
    ["RESTORE", "new", "0", "<payload>", "REPLACE", "ABSTTL", "IDLETIME", "10"],
    ["RESTORE", "src", "1", "<payload>", "REPLACE", "ABSTTL"],
    ["DUMP", "missing"],
]


@pytest.mark.parametrize("command", RESTORE_CASES, ids=[" ".join(case) for case in RESTORE_CASES])
def test_restore_replies_as_redis(lite, o, command):
    for client in (lite, o):
        client.rpush("src", "a", "b")
    payload = o.dump("src")
    corrupt = bytearray(payload)
    corrupt[1] ^= 1
    bad_format = b"\x12\x05\x0a\x00"  # a quicklist of five nodes, none there; the CRC added below
    from redislite.storage.crc64 import crc64

    bad_format += crc64(bad_format).to_bytes(8, "little")
    values = {"<payload>": payload, "<corrupt>": bytes(corrupt), "<bad-format>": bad_format}
    args = [values.get(arg, arg) for arg in command]
    assert reply(lite, *args) == reply(o, *args)
    assert lite.exists("new") == o.exists("new") and lite.lrange("src", 0, -1) == o.lrange("src", 0, -1)


def test_restore_sets_ttl_idle_time_and_replaces(r):
    r.rpush("src", "a", "b")
    payload = r.dump("src")
    r.restore("copy", 5000, payload)
    assert 4000 < r.pttl("copy") <= 5000
    assert r.restore("copy", 0, payload, replace=True, idletime=100)
    assert r.ttl("copy") == -1 and r.object("idletime", "copy") >= 100
    deadline = int(time.time() * 1000) + 60_000
    r.restore("copy", deadline, payload, replace=True, absttl=True)
    assert r.pexpiretime("copy") == deadline
    r.restore("copy", 1, payload, replace=True, absttl=True)  # a deadline already past: nothing is created
    assert r.exists("copy") == 0
    with pytest.raises(redis.ResponseError, match="^BUSYKEY Target key name already exists.$"):
        r.restore("src", 0, payload)


def test_debug_help_lists_reload(r):
    assert any(
        line.startswith(b"RELOAD")
        for line in raw_client(r.connection_pool.connection_kwargs["port"]).execute_command("DEBUG", "HELP")
    )


def test_redis_cli_rdb_takes_a_backup(data_dir):
    cli = shutil.which("redis-cli")
    if cli is None:
        pytest.skip("redis-cli is not installed")
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        populate(redis.Redis(port=server.port))
        backup = data_dir / "backup.rdb"
        result = subprocess.run(
            [cli, "-p", str(server.port), "--rdb", str(backup)], capture_output=True, text=True, timeout=30
        )
        assert result.returncode == 0, result.stderr
        assert "Transfer finished with success" in result.stdout + result.stderr
        assert redis.Redis(port=server.port).ping()
    shutil.copy(backup, data_dir / "dump.rdb")
    with redislite("--dir", str(data_dir), cwd=data_dir) as server:
        check_populated(redis.Redis(port=server.port))
