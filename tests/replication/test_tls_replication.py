"""Replication over TLS (tls-replication yes: the replica connects to its master's tls-port, presenting its
certificate): RedisLite to RedisLite, and with a real redis-server on either side. The master's port for the
replica is its tls-port, which speaks nothing but TLS, so a link that comes up is a TLS link."""

import time

import pytest

from ..servers import free_port, raw_client, real_redis
from ..tls_certs import make_certificates
from .replica_helpers import (
    FILLED_KEYS,
    MIXED_KEYS,
    apply_write_mix,
    assert_same_data,
    fill_every_type,
    info,
    needs_redis,
    redislite_node,
    wait_in_sync,
)

BIG_VALUE = bytes(range(256)) * (4 * 1024 * 1024 // 256)  # a snapshot of several TLS records


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certificates(tmp_path_factory.mktemp("certs"))


def replicate_and_compare(master, replica, master_tls_port: int) -> None:
    theirs, ours = raw_client(master.port), raw_client(replica.port)
    try:
        fill_every_type(theirs)
        theirs.execute_command("SET", "big", BIG_VALUE)
        assert ours.execute_command("REPLICAOF", "127.0.0.1", master_tls_port) == b"OK"
        wait_in_sync(theirs, ours, timeout=20)
        assert info(ours)["master_port"] == str(master_tls_port)
        assert assert_same_data(master.port, replica.port) == FILLED_KEYS + 1
        apply_write_mix(theirs)  # the stream after the snapshot
        wait_in_sync(theirs, ours)
        assert assert_same_data(master.port, replica.port) == MIXED_KEYS + 1
        # the master lists the replica at the port it announced: its tls-port
        slave = info(theirs)["slave0"]
        assert f"port={replica.tls_port}" in slave and "state=online" in slave
    finally:
        theirs.close()
        ours.close()


def redislite_tls_node(directory, certs, *args: str):
    tls_port = free_port()
    node = redislite_node(directory, "--tls-port", str(tls_port), "--tls-replication", "yes", *certs.server_args(*args))
    node.tls_port = tls_port
    return node


def redis_tls_node(directory, certs):
    directory.mkdir(exist_ok=True)
    tls_port = free_port()
    node = real_redis(
        "--tls-port", str(tls_port), "--tls-replication", "yes", "--repl-diskless-sync-delay", "0",
        *certs.server_args(), cwd=directory,
    )  # fmt: skip
    node.tls_port = tls_port
    return node


@pytest.mark.parametrize("diskless", ["yes", "no"])
def test_a_redislite_replica_of_a_redislite_master_over_tls(certs, tmp_path, diskless):
    with (
        redislite_tls_node(tmp_path / "master", certs, "--repl-diskless-sync", diskless) as master,
        redislite_tls_node(tmp_path / "replica", certs) as replica,
    ):
        replicate_and_compare(master, replica, master.tls_port)


def test_a_replica_links_up_once_config_set_turns_tls_replication_on(certs, tmp_path):
    with (
        redislite_tls_node(tmp_path / "master", certs) as master,
        redislite_node(tmp_path / "replica") as replica,
    ):
        theirs, ours = raw_client(master.port), raw_client(replica.port)
        theirs.execute_command("SET", "k", "v")
        ours.execute_command("REPLICAOF", "127.0.0.1", master.tls_port)
        time.sleep(1.0)  # plain text to a tls-port: the link stays down, retrying
        assert info(ours)["master_link_status"] == "down"
        files = [word.removeprefix("--") for word in certs.server_args()]
        assert ours.execute_command("CONFIG", "SET", "tls-replication", "yes", *files) == b"OK"
        wait_in_sync(theirs, ours)
        assert ours.execute_command("GET", "k") == b"v"
        theirs.close()
        ours.close()


@needs_redis
def test_a_redis_server_replica_of_a_redislite_master_over_tls(certs, tmp_path):
    with (
        redislite_tls_node(tmp_path / "master", certs) as master,
        redis_tls_node(tmp_path / "replica", certs) as replica,
    ):
        replicate_and_compare(master, replica, master.tls_port)


@needs_redis
def test_a_redislite_replica_of_a_redis_server_master_over_tls(certs, tmp_path):
    with (
        redis_tls_node(tmp_path / "master", certs) as master,
        redislite_tls_node(tmp_path / "replica", certs) as replica,
    ):
        replicate_and_compare(master, replica, master.tls_port)
