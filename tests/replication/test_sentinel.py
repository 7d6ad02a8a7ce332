"""Failover under the real Sentinel: three redis-sentinel processes watch a RedisLite master with two RedisLite
replicas. When the master dies, they agree on it, promote the replica they prefer (replica-priority), point the
other one at it, and redis-py's Sentinel client writes to the new master; the old master, restarted, is turned
into a replica of the new one and gets its data."""

import os
import shutil
import signal
import time

import pytest
import redis
from redis.sentinel import Sentinel

from ..servers import ServerProcess, free_port, raw_client, redislite
from .replica_helpers import FILLED_KEYS, assert_same_data, fill_every_type, info, wait_in_sync, wait_until

pytestmark = pytest.mark.skipif(
    shutil.which("redis-sentinel") is None or shutil.which("redis-server") is None,
    reason="redis-sentinel (Debian package redis-sentinel) is not installed",
)

MASTER_NAME = "mymaster"
DOWN_AFTER_MS = 2000  # short, so the test is quick; not so short that a busy machine looks like a dead master


def sentinel(directory, master_port: int) -> ServerProcess:
    port = free_port()
    config = directory / f"sentinel-{port}.conf"
    config.write_text(
        f"port {port}\nbind 127.0.0.1\ndir {directory}\n"
        f"sentinel monitor {MASTER_NAME} 127.0.0.1 {master_port} 2\n"
        f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}\n"
        f"sentinel failover-timeout {MASTER_NAME} 10000\n"
        f"sentinel parallel-syncs {MASTER_NAME} 2\n"
    )
    return ServerProcess([shutil.which("redis-sentinel"), str(config)], port, cwd=directory)


def master_address(sentinel_port: int) -> tuple[str, int]:
    client = raw_client(sentinel_port)
    try:
        host, port = client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", MASTER_NAME)
        return host.decode(), int(port)
    finally:
        client.close()


def config_file(directory, *lines: str):
    """Each server has a file, so Sentinel's CONFIG REWRITE records the roles it gives."""
    directory.mkdir()
    path = directory / "redislite.conf"
    path.write_text("\n".join([f"dir {directory}", 'save ""', "repl-diskless-sync-delay 0", *lines]) + "\n")
    return path


def test_sentinel_promotes_a_redislite_replica_and_the_old_master_rejoins_as_its_replica(tmp_path):
    master_port = free_port()
    master_config = config_file(tmp_path / "master")
    # the candidate has the best replica-priority (lowest): Sentinel must pick it
    candidate_config = config_file(tmp_path / "candidate", f"replicaof 127.0.0.1 {master_port}", "replica-priority 10")
    other_config = config_file(tmp_path / "other", f"replicaof 127.0.0.1 {master_port}")
    master = redislite(port=master_port, config_file=master_config, cwd=tmp_path).start()
    try:
        with (
            redislite(config_file=candidate_config, cwd=tmp_path) as candidate,
            redislite(config_file=other_config, cwd=tmp_path) as other,
        ):
            source = raw_client(master_port)
            fill_every_type(source)
            new, old_peer = raw_client(candidate.port), raw_client(other.port)
            wait_in_sync(source, new)
            wait_in_sync(source, old_peer)
            sentinels = [sentinel(tmp_path, master_port).start() for _ in range(3)]
            try:

                def discovered() -> bool:
                    """The sentinels found the replicas (INFO) and each other (hello messages over pub/sub)."""
                    client = raw_client(sentinels[0].port)
                    try:
                        replicas = client.execute_command("SENTINEL", "REPLICAS", MASTER_NAME)
                        others = client.execute_command("SENTINEL", "SENTINELS", MASTER_NAME)
                    finally:
                        client.close()
                    return len(replicas) == 2 and len(others) == 2

                wait_until(discovered, timeout=30, what="the sentinels see both replicas and each other")
                ha = Sentinel([("127.0.0.1", process.port) for process in sentinels], socket_timeout=2)
                writer = ha.master_for(MASTER_NAME, socket_timeout=2)
                assert writer.set("before-failover", "1")
                assert writer.execute_command("WAIT", 2, 5000) == 2
                source.close()
                os.kill(master.process.pid, signal.SIGKILL)  # the master dies without a word
                master.process.wait()
                started = time.monotonic()
                wait_until(
                    lambda: master_address(sentinels[0].port) == ("127.0.0.1", candidate.port),
                    timeout=40,
                    what="Sentinel switched the master to the candidate",
                )
                failover_s = time.monotonic() - started
                assert info(new)["role"] == "master"
                wait_until(lambda: _writes(writer), timeout=10, what="the Sentinel client writes to the new master")
                assert new.execute_command("GET", "after-failover") == b"2"
                wait_until(lambda: info(old_peer).get("master_port") == str(candidate.port), timeout=30)
                wait_in_sync(new, old_peer, timeout=30)
                assert old_peer.execute_command("GET", "after-failover") == b"2"
                assert assert_same_data(candidate.port, other.port) == FILLED_KEYS + 2
                assert f"replicaof 127.0.0.1 {candidate.port}" in other_config.read_text()  # CONFIG REWRITE

                # the old master comes back: Sentinel makes it a replica of the new one
                master = redislite(port=master_port, config_file=master_config, cwd=tmp_path).start()
                returned = raw_client(master_port)
                wait_until(lambda: info(returned)["role"] == "slave", timeout=40, what="the old master demoted")
                # (on a loaded machine Sentinel may have failed over once more since: follow its current master)
                _, current_port = master_address(sentinels[0].port)
                wait_until(lambda: info(returned)["master_port"] == str(current_port), timeout=40)
                current = raw_client(current_port)
                wait_in_sync(current, returned, timeout=30)
                assert assert_same_data(current_port, master_port) == FILLED_KEYS + 2
                assert f"replicaof 127.0.0.1 {current_port}" in master_config.read_text()  # CONFIG REWRITE
                current.close()
                returned.close()
                print(f"failover took {failover_s:.1f} s after the master was killed")
            finally:
                for process in sentinels:
                    process.stop()
            new.close()
            old_peer.close()
    finally:
        master.stop()


def _writes(client) -> bool:
    try:
        return bool(client.set("after-failover", "2"))
    except (ConnectionError, redis.exceptions.RedisError):
        return False
