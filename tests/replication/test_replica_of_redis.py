"""RedisLite as the replica of a real redis-server 7.0: the full sync (both framings of the snapshot), the stream
after it, reconnection with a partial resync, read-only refusals, expiry left to the master, promotion with
REPLICAOF NO ONE. Each test compares every key (type, value, TTL) on both servers."""

import time

import pytest

from ..servers import raw_client, real_redis, redislite, send_raw
from .replica_helpers import (
    FILLED_KEYS,
    MIXED_KEYS,
    apply_write_mix,
    assert_same_data,
    fill_every_type,
    info,
    needs_redis,
    redis_master,
    wait_in_sync,
    wait_until,
)

pytestmark = needs_redis


@pytest.mark.parametrize("diskless", [True, False], ids=["diskless-eof-framing", "disk-length-framing"])
def test_full_sync_of_every_type_then_the_stream_matches_the_master(diskless, tmp_path):
    with (
        redis_master(tmp_path / "master", diskless=diskless) as master,
        redislite("--save", "", cwd=tmp_path) as replica,
    ):
        theirs, ours = raw_client(master.port), raw_client(replica.port)
        fill_every_type(theirs)
        ours.execute_command("SET", "stale", "dropped by the full sync")
        assert ours.execute_command("REPLICAOF", "127.0.0.1", master.port) == b"OK"
        wait_in_sync(theirs, ours)
        assert ours.execute_command("EXISTS", "stale") == 0
        assert assert_same_data(master.port, replica.port) == FILLED_KEYS
        replication = info(ours)
        assert replication["role"] == "slave"
        assert replication["master_replid"] == info(theirs)["master_replid"]
        assert info(theirs, "stats")["sync_full"] == "1"

        apply_write_mix(theirs)
        wait_in_sync(theirs, ours)
        assert assert_same_data(master.port, replica.port) == MIXED_KEYS
        assert ours.execute_command("ROLE") == [
            b"slave",
            b"127.0.0.1",
            master.port,
            b"connected",
            int(info(theirs)["master_repl_offset"]),
        ]
        theirs.close()
        ours.close()


def test_replicaof_in_the_config_file_starts_replicating(tmp_path):
    with redis_master(tmp_path / "master") as master:
        theirs = raw_client(master.port)
        fill_every_type(theirs)
        config = tmp_path / "replica.conf"
        config.write_text(f"replicaof 127.0.0.1 {master.port}\n")
        with redislite("--save", "", config_file=config, cwd=tmp_path) as replica:
            ours = raw_client(replica.port)
            wait_in_sync(theirs, ours)
            theirs.execute_command("SET", "later", "streamed")
            wait_in_sync(theirs, ours)
            assert assert_same_data(master.port, replica.port) == FILLED_KEYS + 1
            assert info(ours)["master_port"] == str(master.port)
            ours.close()
        theirs.close()


def test_replicaof_as_a_flag_and_as_the_seed_variables_starts_replicating(tmp_path):
    with redis_master(tmp_path / "master") as master:
        theirs = raw_client(master.port)
        theirs.execute_command("SET", "k", "v")
        with redislite("--save", "", "--replicaof", "127.0.0.1", str(master.port), cwd=tmp_path) as replica:
            ours = raw_client(replica.port)
            wait_in_sync(theirs, ours)
            assert ours.execute_command("GET", "k") == b"v"
            ours.close()
        env = {"REDISLITE_REPLICA_HOST": "127.0.0.1", "REDISLITE_REPLICA_PORT": str(master.port)}
        with redislite("--save", "", env=env, cwd=tmp_path) as replica:
            ours = raw_client(replica.port)
            wait_in_sync(theirs, ours)
            assert ours.execute_command("GET", "k") == b"v"
            ours.close()
        env["REDISLITE_REPLICA_MODE"] = "master"
        with redislite("--save", "", env=env, cwd=tmp_path) as standalone:
            ours = raw_client(standalone.port)
            assert ours.execute_command("ROLE")[0] == b"master"
            ours.close()
        theirs.close()


def test_a_write_on_the_replica_answers_readonly_until_replica_read_only_is_off(tmp_path):
    with redis_master(tmp_path / "master") as master, redislite("--save", "", cwd=tmp_path) as replica:
        theirs, ours = raw_client(master.port), raw_client(replica.port)
        theirs.execute_command("SET", "k", "from master")
        ours.execute_command("REPLICAOF", "127.0.0.1", master.port)
        wait_in_sync(theirs, ours)
        for command in (b"SET k x", b"DEL k", b"LPUSH l x", b"MULTI\r\nSET k x\r\nEXEC"):
            replies = send_raw(replica.port, command + b"\r\n").split(b"\r\n")
            assert b"-READONLY You can't write against a read only replica." in replies
        assert ours.execute_command("GET", "k") == b"from master"
        ours.execute_command("CONFIG", "SET", "replica-read-only", "no")
        assert ours.execute_command("SET", "local", "1") == b"OK"
        assert info(ours)["slave_read_only"] == "0"
        theirs.close()
        ours.close()


def test_a_replica_hides_an_expired_key_and_waits_for_the_masters_del(tmp_path):
    with (
        redis_master(tmp_path / "master", "--enable-debug-command", "yes") as master,
        redislite("--save", "", cwd=tmp_path) as replica,
    ):
        theirs, ours = raw_client(master.port), raw_client(replica.port)
        ours.execute_command("REPLICAOF", "127.0.0.1", master.port)
        wait_in_sync(theirs, ours)
        theirs.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")  # the master deletes only when the key is read
        theirs.execute_command("SET", "short", "v", "PX", 100)
        wait_in_sync(theirs, ours)
        time.sleep(0.4)  # several of the replica's cron runs
        assert ours.execute_command("GET", "short") is None  # hidden ...
        assert ours.execute_command("DBSIZE") == 1  # ... but not deleted: only the master decides
        assert theirs.execute_command("GET", "short") is None  # the master expires it and sends DEL
        wait_in_sync(theirs, ours)
        assert ours.execute_command("DBSIZE") == 0
        theirs.close()
        ours.close()


@pytest.mark.parametrize("cut", ["client-kill-on-master", "client-kill-on-replica"])
def test_a_killed_link_reconnects_and_continues_with_a_partial_resync(cut, tmp_path):
    with redis_master(tmp_path / "master") as master, redislite("--save", "", cwd=tmp_path) as replica:
        theirs, ours = raw_client(master.port), raw_client(replica.port)
        fill_every_type(theirs)
        ours.execute_command("REPLICAOF", "127.0.0.1", master.port)
        wait_in_sync(theirs, ours)
        apply_write_mix(theirs)
        wait_in_sync(theirs, ours)
        stats = info(theirs, "stats")
        for round_ in range(3):
            if cut == "client-kill-on-master":
                assert theirs.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
            else:
                assert ours.execute_command("CLIENT", "KILL", "TYPE", "master") == 1
            theirs.execute_command("SET", f"while-down-{round_}", round_)  # written while the link is down
            theirs.execute_command("SELECT", 1)
            theirs.execute_command("RPUSH", "list:small", round_)
            theirs.execute_command("SELECT", 0)
            wait_in_sync(theirs, ours)
        after = info(theirs, "stats")
        assert int(after["sync_partial_ok"]) == int(stats["sync_partial_ok"]) + 3
        assert after["sync_full"] == stats["sync_full"] == "1"
        assert assert_same_data(master.port, replica.port) == MIXED_KEYS + 3
        theirs.close()
        ours.close()


def test_replicaof_no_one_promotes_the_replica_keeping_its_data(tmp_path):
    with redis_master(tmp_path / "master") as master, redislite("--save", "", cwd=tmp_path) as replica:
        theirs, ours = raw_client(master.port), raw_client(replica.port)
        fill_every_type(theirs)
        ours.execute_command("REPLICAOF", "127.0.0.1", master.port)
        wait_in_sync(theirs, ours)
        apply_write_mix(theirs)
        wait_in_sync(theirs, ours)
        before = info(ours)
        assert ours.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        after = info(ours)
        assert after["role"] == "master"
        assert "master_host" not in after
        assert after["master_replid2"] == before["master_replid"]
        assert after["master_replid"] != before["master_replid"]
        assert after["second_repl_offset"] == str(int(before["master_repl_offset"]) + 1)
        assert ours.execute_command("ROLE") == [b"master", int(before["master_repl_offset"]), []]
        theirs.execute_command("SET", "after-promotion", "not replicated")
        assert_same_data_but(master.port, replica.port, b"after-promotion")
        assert ours.execute_command("SET", "local", "write") == b"OK"
        wait_until(lambda: info(theirs).get("connected_slaves") == "0", what="the master sees the replica gone")
        theirs.close()
        ours.close()


def assert_same_data_but(master_port: int, replica_port: int, key: bytes) -> None:
    """The master's data minus one key it wrote after the replica left."""
    master = raw_client(master_port)
    master.execute_command("DEL", key)
    master.close()
    assert_same_data(master_port, replica_port)


def test_wait_on_the_master_counts_the_replicas_acknowledgements(tmp_path):
    """WAIT sends REPLCONF GETACK: the replica's ACK must carry the master's offset for WAIT to count it."""
    with redis_master(tmp_path / "master") as master, redislite("--save", "", cwd=tmp_path) as replica:
        theirs, ours = raw_client(master.port), raw_client(replica.port)
        ours.execute_command("REPLICAOF", "127.0.0.1", master.port)
        wait_in_sync(theirs, ours)
        for i in range(20):
            theirs.execute_command("SET", f"k{i}", i)
            assert theirs.execute_command("WAIT", 1, 2000) == 1
        wait_in_sync(theirs, ours)
        # the answer to GETACK leaves the GETACK itself out, as Redis's does; the ACK sent every second has it
        acked = lambda: info(theirs)["slave0"].split(",")[3] == "offset=" + info(theirs)["master_repl_offset"]  # noqa: E731
        wait_until(acked, 3.0, "the periodic ACK")
        theirs.close()
        ours.close()


def test_masterauth_authenticates_the_link_and_info_has_redis_replica_fields(tmp_path):
    with (
        redis_master(tmp_path / "master", "--requirepass", "s3cret") as master,
        redislite("--save", "", "--masterauth", "s3cret", cwd=tmp_path) as replica,
        real_redis("--masterauth", "s3cret", cwd=tmp_path) as oracle,
    ):
        theirs, ours, reference = raw_client(master.port), raw_client(replica.port), raw_client(oracle.port)
        theirs.execute_command("AUTH", "s3cret")
        theirs.execute_command("SET", "k", "v")
        ours.execute_command("REPLICAOF", "127.0.0.1", master.port)
        reference.execute_command("REPLICAOF", "127.0.0.1", master.port)
        wait_in_sync(theirs, ours)
        wait_in_sync(theirs, reference)
        assert ours.execute_command("GET", "k") == b"v"
        assert list(info(ours)) == list(info(reference))  # the same fields, in Redis's order
        theirs.close()
        ours.close()
        reference.close()


def test_a_replica_with_appendonly_rewrites_its_aof_after_a_full_sync_and_restarts_with_the_masters_data(tmp_path):
    data_dir = tmp_path / "replica"
    data_dir.mkdir()
    args = ("--save", "", "--dir", str(data_dir), "--appendonly", "yes", "--appendfsync", "always")
    with redis_master(tmp_path / "master") as master:
        theirs = raw_client(master.port)
        with redislite(*args, cwd=tmp_path) as replica:
            ours = raw_client(replica.port)
            ours.execute_command("SET", "local-before-sync", "gone after it")
            fill_every_type(theirs)
            ours.execute_command("REPLICAOF", "127.0.0.1", master.port)
            wait_in_sync(theirs, ours)
            apply_write_mix(theirs)
            wait_in_sync(theirs, ours)

            def rewritten() -> bool:
                persistence = info(ours, "persistence")
                return (persistence["aof_rewrite_in_progress"], persistence["aof_rewrite_scheduled"]) == ("0", "0")

            wait_until(rewritten, what="the AOF rewritten after the full sync")
            ours.close()
        with redislite(*args, cwd=tmp_path) as restarted:  # no replicaof: only its own AOF
            assert assert_same_data(master.port, restarted.port) == MIXED_KEYS
        theirs.close()
