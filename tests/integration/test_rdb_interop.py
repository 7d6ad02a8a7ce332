"""RDB files and DUMP payloads move between RedisLite and a real redis-server 7.0, both ways: every type and
encoding Redis 7.0 writes (listpack, quicklist, intset, hashtable, skiplist, LZF strings, int-encoded strings,
HyperLogLog sparse and dense), binary keys and values, expiries, several databases and empty ones. Contents
are compared through plain reads (TYPE, PEXPIRETIME, full contents, PFCOUNT), never through DUMP itself;
redis-check-rdb must accept what RedisLite writes."""

import shutil
import subprocess

import pytest

from ..servers import raw_client, real_redis, redis_server_path, redislite

pytestmark = pytest.mark.skipif(redis_server_path() is None, reason="redis-server is not installed")

# The same encoding thresholds on both sides, small enough that modest data reaches every encoding.
LIMITS = [
    "--list-max-listpack-size",
    "4",
    "--set-max-intset-entries",
    "8",
    "--hash-max-listpack-entries",
    "6",
    "--hash-max-listpack-value",
    "32",
    "--zset-max-listpack-entries",
    "6",
    "--zset-max-listpack-value",
    "32",
]
DATABASES = (0, 1, 15)


def fill(port: int) -> None:
    """Every type in every encoding, in databases 0, 1 and 15 (2 to 14 stay empty)."""
    for db in DATABASES:
        client = raw_client(port, db)
        p = f"db{db}:"
        client.set(p + "small", "hello")
        client.set(p + "empty", "")
        for number in (0, 5, -1, 300, -70000, 3_000_000_000, -(2**63), 2**63 - 1):
            client.set(f"{p}int:{number}", number)
        client.set(p + "not an int", "007")
        client.set(p + "compressible", "abc" * 200)
        client.set(p + "random", bytes(range(256)) * 3)
        client.set(b"binary\x00\xff\r\n" + p.encode(), b"\x00\r\n\xff" * 50)
        client.setbit(p + "bitmap", 1000, 1)
        client.pfadd(p + "hll:sparse", "a", "b", "c")
        client.pfadd(p + "hll:dense", *[f"e{i}" for i in range(3000)])
        client.rpush(p + "list:small", "a", 1, -300)
        client.rpush(p + "list:nodes", *[f"item {i}" * 3 for i in range(50)])
        client.rpush(p + "list:big items", "x" * 10000, "y", "z" * 100000)
        client.rpush(p + "list:ints", *range(-200, 200, 7))
        client.sadd(p + "set:intset", 1, 2, 3, -5)
        client.sadd(p + "set:wide intset", 2**62, -(2**62), 7)
        client.sadd(p + "set:too many ints", *range(20))
        client.sadd(p + "set:strings", "a", "b", b"\x00\xff")
        client.hset(p + "hash:small", mapping={"f": "v", "n": 12, "": "empty field"})
        client.hset(p + "hash:many", mapping={f"field {i}": i for i in range(20)})
        client.hset(p + "hash:long value", mapping={"f": "v" * 100})
        client.zadd(p + "zset:small", {"a": 1.5, "b": -2, "c": 0, "inf": float("inf"), "-inf": float("-inf")})
        client.zadd(p + "zset:many", {f"m{i}": i / 7 for i in range(30)})
        client.zadd(p + "zset:long member", {"m" * 100: 3.25, "short": 1e300})
        client.set(p + "expiring", "v", px=500_000)
        client.rpush(p + "expiring list", "v")
        client.pexpireat(p + "expiring list", 4_102_444_800_123)


def snapshot(port: int) -> dict:
    """(db, key) -> (type, contents, absolute expiry in ms) for every key, read without DUMP."""
    out = {}
    for db in range(16):
        client = raw_client(port, db)
        for key in client.keys("*"):
            kind = client.type(key)
            if kind == b"string":
                value = client.get(key)
                if value.startswith(b"HYLL"):
                    value = ("hll", client.pfcount(key))
            elif kind == b"list":
                value = client.lrange(key, 0, -1)
            elif kind == b"set":
                value = sorted(client.smembers(key))
            elif kind == b"hash":
                flat = client.hgetall(key)
                value = sorted(zip(flat[::2], flat[1::2]))
            elif kind == b"zset":
                value = client.zrange(key, 0, -1, "WITHSCORES")
            else:
                raise AssertionError(kind)
            out[(db, key)] = (kind, value, client.pexpiretime(key))
    return out


def encodings(port: int) -> dict:
    out = {}
    for db in DATABASES:
        client = raw_client(port, db)
        for key in client.keys("*"):
            out[(db, key)] = client.object("encoding", key)
    return out


def check_rdb(path) -> None:
    tool = shutil.which("redis-check-rdb")
    if tool is None:
        return
    result = subprocess.run([tool, str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "RDB looks OK" in result.stdout, result.stdout + result.stderr


@pytest.fixture(scope="module")
def redislite_dump(tmp_path_factory):
    """RedisLite filled with everything, saved: (the dump's path, what the server held)."""
    directory = tmp_path_factory.mktemp("lite-writes")
    with redislite("--dir", str(directory), *LIMITS, cwd=directory) as server:
        fill(server.port)
        expected, expected_encodings = snapshot(server.port), encodings(server.port)
        assert raw_client(server.port).save() == b"OK"
    return directory / "dump.rdb", expected, expected_encodings


@pytest.fixture(scope="module")
def redis_dump(tmp_path_factory):
    """A real redis-server filled with everything, saved: (the dump's path, what it held)."""
    directory = tmp_path_factory.mktemp("redis-writes")
    with real_redis("--dir", str(directory), *LIMITS, cwd=directory) as server:
        fill(server.port)
        expected = snapshot(server.port)
        assert raw_client(server.port).save() == b"OK"
    # Encodings as Redis has them after loading its own file (a PFADD string is "raw" until reloaded).
    with real_redis("--dir", str(directory), *LIMITS, cwd=directory) as server:
        expected_encodings = encodings(server.port)
    return directory / "dump.rdb", expected, expected_encodings


def test_the_fill_reaches_every_encoding(redis_dump):
    _, _, seen = redis_dump
    assert set(seen.values()) == {
        b"embstr",
        b"int",
        b"raw",
        b"quicklist",
        b"intset",
        b"hashtable",
        b"listpack",
        b"skiplist",
    }


def test_redis_check_rdb_accepts_what_redislite_writes(redislite_dump):
    check_rdb(redislite_dump[0])


def test_redis_loads_what_redislite_writes(redislite_dump, tmp_path):
    path, expected, expected_encodings = redislite_dump
    shutil.copy(path, tmp_path / "dump.rdb")
    with real_redis("--dir", str(tmp_path), *LIMITS, cwd=tmp_path) as server:
        assert snapshot(server.port) == expected
        assert encodings(server.port) == expected_encodings


def test_redislite_loads_what_redis_writes(redis_dump, tmp_path):
    path, expected, expected_encodings = redis_dump
    shutil.copy(path, tmp_path / "dump.rdb")
    with redislite("--dir", str(tmp_path), *LIMITS, cwd=tmp_path) as server:
        assert snapshot(server.port) == expected
        assert encodings(server.port) == expected_encodings


def test_both_servers_hold_the_same_after_filling(redis_dump, redislite_dump):
    def relative_ttls_as_flags(contents):  # "SET ... PX" gives each fill its own deadline
        return {
            key: (kind, value, expiry > 0 if key[1].endswith(b"expiring") else expiry)
            for key, (kind, value, expiry) in contents.items()
        }

    assert relative_ttls_as_flags(redislite_dump[1]) == relative_ttls_as_flags(redis_dump[1])
    aggregates = {key for key, (kind, _, _) in redis_dump[1].items() if kind != b"string"}
    assert {key: redislite_dump[2][key] for key in aggregates} == {key: redis_dump[2][key] for key in aggregates}


def test_a_file_saved_by_redis_without_compression_loads(tmp_path):
    with real_redis("--dir", str(tmp_path), "--rdbcompression", "no", cwd=tmp_path) as server:
        fill(server.port)
        expected = snapshot(server.port)
        raw_client(server.port).save()
    with redislite("--dir", str(tmp_path), cwd=tmp_path) as server:
        assert snapshot(server.port) == expected


def test_empty_datasets_move_both_ways(tmp_path):
    lite_dir, redis_dir = tmp_path / "lite", tmp_path / "redis"
    lite_dir.mkdir()
    redis_dir.mkdir()
    with redislite("--dir", str(lite_dir), cwd=lite_dir) as server:
        raw_client(server.port).save()
    with real_redis("--dir", str(redis_dir), cwd=redis_dir) as server:
        raw_client(server.port).save()
    check_rdb(lite_dir / "dump.rdb")
    shutil.copy(lite_dir / "dump.rdb", redis_dir / "dump.rdb")
    shutil.copy(redis_dir / "dump.rdb", lite_dir / "dump.rdb")
    with real_redis("--dir", str(redis_dir), cwd=redis_dir) as server:
        assert snapshot(server.port) == {}
    with redislite("--dir", str(lite_dir), cwd=lite_dir) as server:
        assert snapshot(server.port) == {}


# -- DUMP / RESTORE ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def filled_pair(tmp_path_factory):
    """A RedisLite and a real redis-server with the same limits, both filled."""
    lite_dir, redis_dir = tmp_path_factory.mktemp("pair-lite"), tmp_path_factory.mktemp("pair-redis")
    with (
        redislite("--dir", str(lite_dir), *LIMITS, cwd=lite_dir) as lite,
        real_redis("--dir", str(redis_dir), *LIMITS, cwd=redis_dir) as redis_server,
    ):
        fill(lite.port)
        fill(redis_server.port)
        yield lite.port, redis_server.port


@pytest.mark.parametrize("direction", ["redis to redislite", "redislite to redis"])
def test_dump_payloads_restore_on_the_other_server(filled_pair, direction):
    lite_port, redis_port = filled_pair
    source, target = (redis_port, lite_port) if direction == "redis to redislite" else (lite_port, redis_port)
    for db in DATABASES:
        source_client, target_client = raw_client(source, db), raw_client(target, db)
        for key in source_client.keys("*"):
            payload = source_client.dump(key)
            ttl = source_client.pexpiretime(key)
            args = ["RESTORE", key, ttl if ttl > 0 else 0, payload, "REPLACE"] + (["ABSTTL"] if ttl > 0 else [])
            assert target_client.execute_command(*args) == b"OK", key
            if source_client.type(key) != b"string":  # string encodings follow how a value was made
                assert target_client.object("encoding", key) == source_client.object("encoding", key), key
    assert snapshot(target) == snapshot(source)


def test_dump_payloads_are_byte_identical_for_deterministic_encodings(filled_pair):
    lite_port, redis_port = filled_pair
    lite, real = raw_client(lite_port), raw_client(redis_port)
    deterministic = [
        b"db0:small",
        b"db0:int:300",
        b"db0:int:-70000",
        b"db0:int:3000000000",
        b"db0:not an int",
        b"db0:compressible",
        b"db0:hll:sparse",
        b"db0:list:small",
        b"db0:list:nodes",
        b"db0:list:ints",
        b"db0:set:intset",
        b"db0:set:wide intset",
        b"db0:hash:small",
        b"db0:zset:small",
        b"db0:hll:dense",
    ]
    different = [key for key in deterministic if lite.dump(key) != real.dump(key)]
    assert different == []


def test_function_libraries_travel_in_the_rdb_both_ways(tmp_path):
    code = "#!lua name=interop\nredis.register_function('answer', function() return 42 end)"
    lite_dir, redis_dir = tmp_path / "lite", tmp_path / "redis"
    lite_dir.mkdir()
    redis_dir.mkdir()
    with real_redis("--dir", str(redis_dir), cwd=redis_dir) as server:
        client = raw_client(server.port)
        client.execute_command("FUNCTION", "LOAD", code)
        client.set("k", "v")
        client.save()
    shutil.copy(redis_dir / "dump.rdb", lite_dir / "dump.rdb")
    with redislite("--dir", str(lite_dir), cwd=lite_dir) as server:
        client = raw_client(server.port)
        assert client.execute_command("FCALL", "answer", 0) == 42 and client.get("k") == b"v"
        client.execute_command("FUNCTION", "DELETE", "interop")
        client.execute_command("FUNCTION", "LOAD", code.replace("interop", "back").replace("42", "43"))
        client.save()
    check_rdb(lite_dir / "dump.rdb")
    shutil.copy(lite_dir / "dump.rdb", redis_dir / "dump.rdb")
    with real_redis("--dir", str(redis_dir), cwd=redis_dir) as server:
        assert raw_client(server.port).execute_command("FCALL", "answer", 0) == 43


def test_redis_cli_rdb_backup_of_redislite_is_a_valid_redis_file(redislite_dump, tmp_path):
    cli = shutil.which("redis-cli")
    if cli is None:
        pytest.skip("redis-cli is not installed")
    path, expected, _ = redislite_dump
    shutil.copy(path, tmp_path / "dump.rdb")
    with redislite("--dir", str(tmp_path), *LIMITS, cwd=tmp_path) as server:
        backup = tmp_path / "backup.rdb"
        result = subprocess.run(
            [cli, "-p", str(server.port), "--rdb", str(backup)], capture_output=True, text=True, timeout=60
        )
        assert result.returncode == 0, result.stderr
    check_rdb(backup)
    restore_dir = tmp_path / "restore"
    restore_dir.mkdir()
    shutil.copy(backup, restore_dir / "dump.rdb")
    with real_redis("--dir", str(restore_dir), *LIMITS, cwd=restore_dir) as server:
        assert snapshot(server.port) == expected
