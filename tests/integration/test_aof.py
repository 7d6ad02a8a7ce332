"""The append-only file against the real RedisLite process: Redis 7's multi-part layout and manifest, writes
surviving restarts in each appendfsync mode, nothing acknowledged lost after kill -9 with `always`, the
deterministic forms Redis logs, interop with real redis-server 7.0 both ways, a truncated tail dropped and a
corrupt middle refused."""

import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from ..servers import free_port, raw_client, real_redis, redis_server_path, redislite, wait_until

AOF_DIR = "appendonlydir"
MANIFEST = b"file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"


def aof_server(tmp_path, fsync="always", port=None):
    return redislite("--appendonly", "yes", "--appendfsync", fsync, "--dir", str(tmp_path), "--save", "", port=port)


def incr_file(tmp_path):
    return tmp_path / AOF_DIR / "appendonly.aof.1.incr.aof"


def commands_in(data: bytes) -> list[list[bytes]]:
    from redislite.persistence.aof_format import parse_commands

    return [argv for argv, _start, _end in parse_commands(data)]


def populate(client) -> None:
    client.set("string", b"\x00binary\xff")
    client.rpush("list", "a", "b", "c")
    client.sadd("set", "x", "y")
    client.hset("hash", mapping={"f": "v"})
    client.zadd("zset", {"m": 1.5})
    client.set("ttl", "v", ex=1000)
    raw_client(client.connection_pool.connection_kwargs["port"], db=3).set("in3", "yes")


def check_populated(port: int) -> None:
    client = raw_client(port)
    assert client.get("string") == b"\x00binary\xff"
    assert client.lrange("list", 0, -1) == [b"a", b"b", b"c"]
    assert sorted(client.smembers("set")) == [b"x", b"y"]
    assert client.hgetall("hash") == [b"f", b"v"]
    assert client.zrange("zset", 0, -1, withscores=True) == [b"m", b"1.5"]
    assert 990_000 < int(client.pttl("ttl")) <= 1_000_000
    assert raw_client(port, db=3).get("in3") == b"yes"


@pytest.mark.parametrize("fsync", ["always", "everysec", "no"])
def test_writes_survive_restart(tmp_path, fsync):
    with aof_server(tmp_path, fsync) as server:
        populate(raw_client(server.port))
        info = raw_client(server.port).execute_command("INFO", "persistence").decode()
        assert "aof_enabled:1" in info and "aof_last_write_status:ok" in info
    with aof_server(tmp_path, fsync) as server:
        check_populated(server.port)


def test_layout_and_manifest(tmp_path):
    with aof_server(tmp_path) as server:
        raw_client(server.port).set("k", "v")
    directory = tmp_path / AOF_DIR
    assert sorted(path.name for path in directory.iterdir()) == [
        "appendonly.aof.1.base.rdb",
        "appendonly.aof.1.incr.aof",
        "appendonly.aof.manifest",
    ]
    assert (directory / "appendonly.aof.manifest").read_bytes() == MANIFEST
    assert (directory / "appendonly.aof.1.base.rdb").read_bytes().startswith(b"REDIS0010")
    assert (
        incr_file(tmp_path).read_bytes()
        == b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"
    )


def test_deterministic_forms(tmp_path):
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.set("a", "1", ex=100)
        client.expire("a", 50)
        client.sadd("s", "x")
        client.spop("s")
        client.incrbyfloat("f", 1.5)
        client.rpush("l", "v")
        client.blpop("l", 1)
        client.get("missing")  # reads are not logged
        client.delete("missing")  # nor writes that changed nothing
        pipe = client.pipeline(transaction=True)
        pipe.set("m", 1)
        pipe.incr("m")
        pipe.execute()
    names = [argv[0].upper() for argv in commands_in(incr_file(tmp_path).read_bytes())]
    assert names == [
        b"SELECT",
        b"SET",
        b"PEXPIREAT",
        b"SADD",
        b"SREM",
        b"SET",
        b"RPUSH",
        b"LPOP",
        b"MULTI",
        b"SET",
        b"INCRBY",
        b"EXEC",
    ]
    logged = commands_in(incr_file(tmp_path).read_bytes())
    assert logged[1][3] == b"PXAT" and logged[5] == [b"SET", b"f", b"1.5", b"KEEPTTL"]


def test_served_pops_and_ttl_options_replay_to_the_data_the_server_held(tmp_path):
    """The issue's reproducers: a key named like a direction, KEEPTTL, GETEX PERSIST, a blocking pop served by a
    later push; each is logged as what it did, so a restart gives the same data."""
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.rpush("left", "a", "b", "c")
        assert client.execute_command("BLMPOP", 0, 1, "left", "RIGHT") == [b"left", [b"c"]]
        client.set("kept", "v", ex=1000)
        client.set("kept", "v2", keepttl=True)
        client.set("persisted", "v", ex=1000)
        client.execute_command("GETEX", "persisted", "PERSIST")
        waiter = raw_client(server.port)
        with ThreadPoolExecutor(1) as pool:
            served = pool.submit(waiter.execute_command, "BLMPOP", 5, 2, "RIGHT", "LEFT", "LEFT", "COUNT", 2)
            wait_until(lambda: b"blocked_clients:1" in client.execute_command("INFO", "clients"))
            client.rpush("RIGHT", "x", "y", "z")
            assert served.result() == [b"RIGHT", [b"x", b"y"]]
        before = {key: client.execute_command("DUMP", key) for key in client.execute_command("KEYS", "*")}
        ttl = int(client.pttl("kept"))
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        assert {key: client.execute_command("DUMP", key) for key in client.execute_command("KEYS", "*")} == before
        assert client.lrange("left", 0, -1) == [b"a", b"b"] and client.lrange("RIGHT", 0, -1) == [b"z"]
        assert ttl - 10_000 < int(client.pttl("kept")) <= ttl and int(client.pttl("persisted")) == -1  # a slow restart


def test_lazily_expired_keys_are_deleted_outside_transactions(tmp_path):
    """A key that expires while EXEC, SCAN or RANDOMKEY looks at it is logged as DEL at once, not inside the
    transaction's MULTI ... EXEC (it was no part of it)."""
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        for key in ("in-exec", "in-scan", "in-randomkey"):
            client.set(key, "v", px=1)
        time.sleep(0.01)
        pipe = client.pipeline(transaction=True)
        pipe.set("a", 1)
        pipe.get("in-exec")
        pipe.set("b", 2)
        pipe.execute()
        client.scan(0, match="in-scan*")
        client.delete("a", "b")
        assert client.randomkey() is None  # the only key left has expired
    logged = commands_in(incr_file(tmp_path).read_bytes())
    start = logged.index([b"DEL", b"in-exec"])
    assert logged[start : start + 5] == [
        [b"DEL", b"in-exec"],
        [b"MULTI"],
        [b"SET", b"a", b"1"],
        [b"SET", b"b", b"2"],
        [b"EXEC"],
    ]
    assert logged[start + 5] == [b"DEL", b"in-scan"]
    assert logged.count([b"MULTI"]) == 1 and logged[-2:] == [[b"DEL", b"a", b"b"], [b"DEL", b"in-randomkey"]]


def test_debug_loadaof_replays_the_aof_in_place(tmp_path):
    """Redis's suite checks replays with DEBUG LOADAOF: the dataset is emptied and loaded back from the AOF, and
    the replayed writes are not appended again."""
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.set("foo", "bar", ex=100)
        client.set("foo", "bar2", keepttl=True)
        client.set("gone", "v", ex=100)
        client.execute_command("GETEX", "gone", "PERSIST")
        size = incr_file(tmp_path).stat().st_size
        assert client.execute_command("DEBUG", "LOADAOF") == b"OK"
        assert client.get("foo") == b"bar2" and 98 <= int(client.ttl("foo")) <= 100
        assert int(client.ttl("gone")) == -1 and client.dbsize() == 2
        assert incr_file(tmp_path).stat().st_size == size


def test_kill_9_with_always_loses_nothing(tmp_path):
    port = free_port()
    acknowledged = 0
    for _round_number in range(3):
        server = aof_server(tmp_path, "always", port=port).start()
        try:
            client = raw_client(port)
            assert int(client.get("counter") or 0) == acknowledged
            pipe_clients = [raw_client(port) for _ in range(4)]
            for index in range(200):
                pipe_clients[index % 4].incr("counter")
                acknowledged += 1
        finally:
            server.process.send_signal(signal.SIGKILL)
            server.process.wait()
            server.stop()
    with aof_server(tmp_path, port=port) as server:
        assert int(raw_client(port).get("counter")) == acknowledged


def test_truncated_tail_is_dropped(tmp_path):
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.set("kept", "1")
        client.set("lost", "2")
    path = incr_file(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[:-5])
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        assert client.get("kept") == b"1" and client.get("lost") is None
        client.set("after", "3")
    with aof_server(tmp_path) as server:
        assert raw_client(server.port).get("after") == b"3"


def test_corrupt_middle_refuses_to_start(tmp_path):
    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.set("a", "1")
        client.set("b", "2")
    path = incr_file(tmp_path)
    data = bytearray(path.read_bytes())
    offset = data.index(b"*3\r\n$3\r\nSET\r\n$1\r\nb")
    data[offset] = ord("!")  # not '#': a line starting with '#' is an annotation, skipped as Redis skips it
    path.write_bytes(bytes(data))
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
    ]
    result = subprocess.run(command, capture_output=True, timeout=30)
    assert result.returncode != 0
    lines = [line for line in result.stderr.decode().splitlines() if line.startswith("redislite-server:")]
    assert len(lines) == 1
    assert "appendonly.aof.1.incr.aof" in lines[0] and f"offset {offset}" in lines[0]


needs_redis = pytest.mark.skipif(redis_server_path() is None, reason="redis-server not installed")


@needs_redis
def test_real_redis_loads_redislite_aof(tmp_path):
    with aof_server(tmp_path) as server:
        populate(raw_client(server.port))
    with real_redis("--appendonly", "yes", "--dir", str(tmp_path)) as oracle:
        check_populated(oracle.port)


@needs_redis
def test_redislite_loads_real_redis_aof_and_writes_the_same_layout(tmp_path):
    oracle_dir = tmp_path / "oracle"
    oracle_dir.mkdir()
    with real_redis("--appendonly", "yes", "--dir", str(oracle_dir)) as oracle:
        populate(raw_client(oracle.port))
        raw_client(oracle.port).set("k", "v")
    assert (oracle_dir / AOF_DIR / "appendonly.aof.manifest").read_bytes() == MANIFEST
    with aof_server(oracle_dir) as server:
        check_populated(server.port)
        assert raw_client(server.port).get("k") == b"v"


def test_restore_ttl_and_expired_keys_are_absolute(tmp_path):
    import time

    with aof_server(tmp_path) as server:
        client = raw_client(server.port)
        client.set("src", "v")
        payload = client.dump("src")
        client.restore("copy", 100_000, payload)
        client.set("short", "1", px=50)
        time.sleep(0.2)
        assert client.get("short") is None
    logged = commands_in(incr_file(tmp_path).read_bytes())
    restore = next(argv for argv in logged if argv[0].upper() == b"RESTORE")
    assert restore[-1] == b"ABSTTL" and int(restore[2]) > time.time() * 1000
    assert [b"DEL", b"short"] in logged


def test_clients_get_loading_while_the_aof_replays(tmp_path):
    """The RESP part of the AOF replays in slices: a client connecting meanwhile gets -LOADING, then data."""
    (tmp_path / AOF_DIR).mkdir()
    (tmp_path / AOF_DIR / "appendonly.aof.1.incr.aof").write_bytes(
        b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nk%d\r\n$1\r\nv\r\n" % (len(b"k%d" % i), i) for i in range(300_000))
    )
    (tmp_path / AOF_DIR / "appendonly.aof.manifest").write_bytes(b"file appendonly.aof.1.incr.aof seq 1 type i\n")
    with aof_server(tmp_path) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"GET k1\r\n")
            assert sock.recv(100) == b"-LOADING Redis is loading the dataset in memory\r\n"
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                sock.sendall(b"GET k1\r\n")
                if sock.recv(100) == b"$1\r\nv\r\n":
                    break
                time.sleep(0.05)
        assert raw_client(server.port).dbsize() == 300_000
