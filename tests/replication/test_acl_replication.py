"""A RedisLite replica that logs in to its master as an ACL user (masteruser/masterauth: AUTH user pass before
REPLCONF), from a RedisLite master and from a real redis-server master that require it; a wrong password keeps
the link down, and the master logs the refused AUTH."""

import pytest
import redis

from ..servers import raw_client
from .replica_helpers import info, needs_redis, redis_master, redislite_node, wait_in_sync, wait_until

# What a replica needs of its master, and a default user that no one can use without the admin password.
REPLICATION_USER = ["ACL", "SETUSER", "replicator", "on", ">replpass", "+psync", "+replconf", "+ping"]
LOCK_DEFAULT = ["ACL", "SETUSER", "default", "resetpass", ">adminpass"]


def locked_master_client(port: int):
    client = raw_client(port)
    client.execute_command(*REPLICATION_USER)
    client.execute_command(*LOCK_DEFAULT)
    return client


def replicate_and_compare(master_port: int, replica_port: int, master) -> None:
    replica = raw_client(replica_port)
    assert replica.execute_command("CONFIG", "SET", "masteruser", "replicator") == b"OK"
    assert replica.execute_command("CONFIG", "SET", "masterauth", "wrong") == b"OK"
    replica.execute_command("REPLICAOF", "127.0.0.1", master_port)
    # refused: the link stays down and the master logged the replica's AUTH
    wait_until(lambda: any(entry[entry.index(b"username") + 1] == b"replicator" for entry in master_log(master)))
    assert info(replica)["master_link_status"] == "down"
    assert replica.execute_command("CONFIG", "SET", "masterauth", "replpass") == b"OK"
    master.execute_command("SET", "written", "on the master")
    master.execute_command("RPUSH", "list", "a", "b")
    wait_in_sync(master, replica, timeout=20)
    assert replica.execute_command("GET", "written") == b"on the master"
    assert replica.execute_command("LRANGE", "list", 0, -1) == [b"a", b"b"]
    master.execute_command("INCR", "counter")
    wait_in_sync(master, replica)
    assert replica.execute_command("GET", "counter") == b"1"
    replica.close()


def master_log(master) -> list:
    return master.execute_command("ACL", "LOG")


def test_a_redislite_replica_logs_in_to_a_redislite_master_as_an_acl_user(tmp_path):
    with (
        redislite_node(tmp_path / "master") as master_process,
        redislite_node(tmp_path / "replica") as replica_process,
    ):
        master = locked_master_client(master_process.port)
        with pytest.raises(redis.exceptions.AuthenticationError):
            raw_client(master_process.port).execute_command("GET", "x")  # the default user is locked
        master.execute_command("AUTH", "adminpass")
        replicate_and_compare(master_process.port, replica_process.port, master)
        master.close()


@needs_redis
def test_a_redislite_replica_logs_in_to_a_redis_master_as_an_acl_user(tmp_path):
    with (
        redis_master(tmp_path / "master") as master_process,
        redislite_node(tmp_path / "replica") as replica_process,
    ):
        master = locked_master_client(master_process.port)
        master.execute_command("AUTH", "adminpass")
        replicate_and_compare(master_process.port, replica_process.port, master)
        master.close()
