"""FAILOVER, the coordinated switch of master and replica, with RedisLite and real redis-server on either side:
the roles swap, the old master continues as a replica with a partial resync, writes are paused meanwhile;
TIMEOUT aborts (or with FORCE goes ahead); ABORT rolls back; errors as Redis's."""

import os
import signal
import socket
import time

import pytest

from ..servers import raw_client, real_redis
from .replica_helpers import (
    assert_same_data,
    fill_every_type,
    info,
    needs_redis,
    redislite_node,
    wait_in_sync,
    wait_until,
)
from .test_master import redis_replica

pytestmark = needs_redis


def redislite_replica(directory, master_port: int):
    return redislite_node(directory, "--replicaof", "127.0.0.1", str(master_port))


def role(client) -> bytes:
    return client.execute_command("ROLE")[0]


@pytest.mark.parametrize("replica_kind", ["redislite", "redis-server"])
def test_failover_swaps_a_redislite_master_with_its_replica(replica_kind, tmp_path):
    start_replica = redislite_replica if replica_kind == "redislite" else redis_replica
    with redislite_node(tmp_path) as master:
        old = raw_client(master.port)
        fill_every_type(old)
        with start_replica(tmp_path / "replica", master.port) as replica:
            new = raw_client(replica.port)
            wait_in_sync(old, new)
            assert old.execute_command("FAILOVER", "TO", "127.0.0.1", replica.port, "TIMEOUT", 5000) == b"OK"
            wait_until(lambda: role(new) == b"master" and info(old).get("master_link_status") == "up", timeout=10)
            assert info(old)["master_failover_state"] == "no-failover"
            assert info(old)["master_port"] == str(replica.port)
            assert info(new, "stats")["sync_partial_ok"] == "1"  # the old master continued its own history
            assert info(new, "stats")["sync_full"] == "0"
            new.execute_command("SET", "after", "the failover")
            wait_in_sync(new, old)
            assert old.execute_command("GET", "after") == b"the failover"
            assert assert_same_data(replica.port, master.port) > 0
            with pytest.raises(Exception, match="read only replica"):
                old.execute_command("SET", "k", "v")
            new.close()
        old.close()


def test_a_redislite_replica_takes_over_when_its_redis_server_master_fails_over(tmp_path):
    (tmp_path / "master").mkdir()
    with (
        real_redis("--dir", str(tmp_path / "master"), cwd=tmp_path / "master") as master,
        redislite_replica(tmp_path / "replica", master.port) as replica,
    ):
        old, new = raw_client(master.port), raw_client(replica.port)
        fill_every_type(old)
        wait_in_sync(old, new)
        assert old.execute_command("FAILOVER") == b"OK"  # to any replica: the only one
        wait_until(lambda: role(new) == b"master" and info(old).get("master_link_status") == "up", timeout=10)
        assert info(new, "stats")["sync_partial_ok"] == "1"
        new.execute_command("SET", "after", "the failover")
        wait_in_sync(new, old)
        assert assert_same_data(replica.port, master.port) > 0
        old.close()
        new.close()


def test_writes_wait_during_a_failover_and_run_when_it_is_aborted(tmp_path):
    with redislite_node(tmp_path) as master:
        ours = raw_client(master.port)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            wait_in_sync(ours, raw_client(replica.port))
            ours.execute_command("SET", "k", "before")
            os.kill(replica.process.pid, signal.SIGSTOP)  # it cannot acknowledge: the failover waits
            try:
                assert ours.execute_command("FAILOVER") == b"OK"
                assert info(ours)["master_failover_state"] == "waiting-for-sync"
                writer = socket.create_connection(("127.0.0.1", master.port))
                writer.sendall(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$6\r\nduring\r\n")
                writer.settimeout(0.3)
                with pytest.raises(TimeoutError):
                    writer.recv(100)  # paused
                assert ours.execute_command("GET", "k") == b"before"  # reads go on
                assert ours.execute_command("FAILOVER", "ABORT") == b"OK"
                writer.settimeout(5)
                assert writer.recv(100) == b"+OK\r\n"
                writer.close()
                assert ours.execute_command("GET", "k") == b"during"
                assert info(ours)["master_failover_state"] == "no-failover"
                assert role(ours) == b"master"
            finally:
                os.kill(replica.process.pid, signal.SIGCONT)
        ours.close()


def test_failover_timeout_aborts_and_force_fails_over_anyway(tmp_path):
    with redislite_node(tmp_path) as master:
        ours = raw_client(master.port)
        with redislite_replica(tmp_path / "replica", master.port) as replica:
            theirs = raw_client(replica.port)
            wait_in_sync(ours, theirs)
            os.kill(replica.process.pid, signal.SIGSTOP)
            try:
                ours.execute_command("SET", "k", "v")  # not acknowledged while it is stopped
                assert ours.execute_command("FAILOVER", "TIMEOUT", 300) == b"OK"
                time.sleep(0.6)
                assert info(ours)["master_failover_state"] == "no-failover"
                assert role(ours) == b"master"
                assert ours.execute_command("SET", "k", "again") == b"OK"  # writes resumed
                assert (
                    ours.execute_command("FAILOVER", "TO", "127.0.0.1", replica.port, "TIMEOUT", 300, "FORCE") == b"OK"
                )
                time.sleep(0.6)
            finally:
                os.kill(replica.process.pid, signal.SIGCONT)
            wait_until(lambda: role(theirs) == b"master", timeout=10, what="the forced target took over")
            wait_until(lambda: info(ours).get("master_link_status") == "up", timeout=10)
            assert role(ours) == b"slave"
            theirs.close()
        ours.close()


def test_failover_argument_errors_match_redis(tmp_path):
    cases = [
        ("ABORT",),
        ("TIMEOUT", 0),
        ("TIMEOUT", -5),
        ("TIMEOUT", "x"),
        ("TO", "127.0.0.1", "x"),
        ("TO",),
        ("BOGUS",),
        ("ABORT", "TIMEOUT", 5),
        ("TIMEOUT", 5, "TIMEOUT", 6),
        ("FORCE",),
        ("TO", "127.0.0.1", 1, "FORCE"),
        ("TO", "127.0.0.1", 1),
        (),
    ]
    replies = []
    with (
        redislite_node(tmp_path) as lite,
        real_redis("--dir", str(tmp_path), cwd=tmp_path) as redis,
    ):
        for port in (lite.port, redis.port):
            client = raw_client(port)
            answers = []
            for argv in cases:
                try:
                    answers.append(client.execute_command("FAILOVER", *argv))
                except Exception as error:  # the error text is what is compared
                    answers.append(str(error))
            replies.append(answers)
            client.close()
    assert replies[0] == replies[1]
    assert "FAILOVER requires connected replicas." in replies[0]
