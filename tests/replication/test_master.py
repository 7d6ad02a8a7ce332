"""RedisLite as the master: real redis-server 7.0 replicas (and RedisLite ones) sync from it, get the stream,
continue after a dropped link with PSYNC, and acknowledge for WAIT. Each test compares every key (type, value,
TTL) on master and replica."""

import os
import signal
import time

import pytest

from ..servers import free_port, raw_client, real_redis, redislite
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
    wait_until,
)

pytestmark = needs_redis


def redis_replica(directory, master_port: int, *args: str):
    """A real redis-server replica of `master_port`, working in `directory`."""
    directory.mkdir(exist_ok=True)
    return real_redis("--replicaof", "127.0.0.1", str(master_port), "--dir", str(directory), *args, cwd=directory)


@pytest.mark.parametrize("diskless", ["yes", "no"], ids=["diskless-eof-framing", "disk-length-framing"])
def test_a_redis_replica_full_syncs_every_type_then_follows_the_stream(diskless, tmp_path):
    with redislite_node(tmp_path, "--repl-diskless-sync", diskless) as master:
        ours = raw_client(master.port)
        fill_every_type(ours)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            theirs = raw_client(replica.port)
            wait_in_sync(ours, theirs)
            assert assert_same_data(master.port, replica.port) == FILLED_KEYS
            apply_write_mix(ours)
            ours.execute_command("SET", "short", "v", "PX", 200)  # expires on the master: DEL in the stream
            wait_in_sync(ours, theirs)
            wait_until(lambda: ours.execute_command("EXISTS", "short") == 0, what="active expiry")
            wait_in_sync(ours, theirs)
            assert assert_same_data(master.port, replica.port) == MIXED_KEYS
            assert info(theirs)["master_replid"] == info(ours)["master_replid"]
            replication = info(ours)
            assert replication["connected_slaves"] == "1"
            assert replication["slave0"].startswith(f"ip=127.0.0.1,port={replica.port},state=online,offset=")
            assert replication["repl_backlog_active"] == "1"
            offset = int(replication["master_repl_offset"])
            wait_until(
                lambda: ours.execute_command("ROLE")[2] == [[b"127.0.0.1", b"%d" % replica.port, b"%d" % offset]]
            )
            assert info(ours, "stats")["sync_full"] == "1"
            assert (tmp_path / "dump.rdb").exists() == (diskless == "no")  # diskless: no file on the master
            theirs.close()
        ours.close()


def test_writes_during_the_snapshot_reach_the_replica_after_it(tmp_path):
    """The snapshot is written slowly (rdb-key-save-delay); what is written meanwhile is buffered and follows."""
    with redislite_node(tmp_path, "--rdb-key-save-delay", "2000") as master:
        ours = raw_client(master.port)
        for index in range(200):
            ours.execute_command("SET", f"before:{index}", index)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            theirs = raw_client(replica.port)
            wait_until(lambda: info(ours).get("slave0", "").find("wait_bgsave") > 0, what="a snapshot in progress")
            for index in range(300):
                ours.execute_command("RPUSH", "during", index)
                ours.execute_command("SET", f"before:{index % 200}", "changed")
            ours.execute_command("SELECT", 5)
            ours.execute_command("SET", "in-db-5", "during")
            ours.execute_command("SELECT", 0)
            wait_in_sync(ours, theirs, timeout=30)
            assert assert_same_data(master.port, replica.port) == 202
            theirs.close()
        ours.close()


@pytest.mark.parametrize("cut", ["client-kill-on-master", "client-kill-on-replica"])
def test_a_dropped_link_continues_with_a_partial_resync(cut, tmp_path):
    with redislite_node(tmp_path) as master:
        ours = raw_client(master.port)
        fill_every_type(ours)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            theirs = raw_client(replica.port)
            wait_in_sync(ours, theirs)
            for round_ in range(3):
                if cut == "client-kill-on-master":
                    assert ours.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
                else:
                    assert theirs.execute_command("CLIENT", "KILL", "TYPE", "master") == 1
                ours.execute_command("SET", f"while-down-{round_}", round_)
                ours.execute_command("SELECT", 7)
                ours.execute_command("RPUSH", "list:small", round_)
                ours.execute_command("SELECT", 0)
                wait_in_sync(ours, theirs)
            stats = info(ours, "stats")
            assert (stats["sync_full"], stats["sync_partial_ok"]) == ("1", "3")
            assert assert_same_data(master.port, replica.port) == FILLED_KEYS + 3
            theirs.close()
        ours.close()


def test_a_replica_whose_offset_left_the_backlog_gets_a_full_resync(tmp_path):
    with redislite_node(tmp_path, "--repl-backlog-size", "16384") as master:
        ours = raw_client(master.port)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            theirs = raw_client(replica.port)
            ours.execute_command("SET", "k", "v")
            wait_in_sync(ours, theirs)
            os.kill(replica.process.pid, signal.SIGSTOP)  # its link stays open, but it reads nothing
            try:
                assert ours.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
                for index in range(100):
                    ours.execute_command("SET", f"big:{index}", b"x" * 1000)  # 100 KB: past the backlog
            finally:
                os.kill(replica.process.pid, signal.SIGCONT)
            wait_in_sync(ours, theirs, timeout=20)
            stats = info(ours, "stats")
            assert (stats["sync_full"], stats["sync_partial_err"]) == ("2", "1")
            assert assert_same_data(master.port, replica.port) == 101
            theirs.close()
        ours.close()


def test_wait_counts_the_replicas_that_acknowledged_the_clients_writes(tmp_path):
    with redislite_node(tmp_path) as master:
        ours = raw_client(master.port)
        assert ours.execute_command("WAIT", 0, 0) == 0
        started = time.monotonic()
        assert ours.execute_command("WAIT", 1, 200) == 0  # no replica: the timeout answers
        assert time.monotonic() - started >= 0.19
        with redis_replica(tmp_path / "a", master.port) as first, redis_replica(tmp_path / "b", master.port) as second:
            wait_until(lambda: info(ours)["connected_slaves"] == "2" and "wait_bgsave" not in str(info(ours)))
            ours.execute_command("SET", "k", "v")
            assert ours.execute_command("WAIT", 2, 5000) == 2
            ours.execute_command("INCR", "n")
            assert ours.execute_command("WAIT", 1, 0) >= 1  # no timeout: blocks until one acknowledged
            os.kill(second.process.pid, signal.SIGSTOP)
            try:
                ours.execute_command("INCR", "n")
                started = time.monotonic()
                assert ours.execute_command("WAIT", 2, 300) == 1  # one of two within the timeout
                assert time.monotonic() - started >= 0.29
            finally:
                os.kill(second.process.pid, signal.SIGCONT)
            pipe = ours.pipeline(transaction=True)  # inside MULTI WAIT answers at once
            pipe.execute_command("SET", "t", "1")
            pipe.execute_command("WAIT", 5, 0)
            assert pipe.execute()[1] <= 2
            assert raw_client(first.port).execute_command("GET", "k") == b"v"
        ours.close()


def test_wait_on_a_replica_and_bad_arguments_answer_as_redis(tmp_path):
    with (
        redislite_node(tmp_path) as master,
        real_redis(cwd=tmp_path) as redis,
    ):
        for port in (master.port, redis.port):
            client = raw_client(port)
            for argv in (("WAIT", "x", 0), ("WAIT", 0, "x"), ("WAIT", 0, -1), ("WAIT", 0, "1.5")):
                with pytest.raises(Exception) as caught:
                    client.execute_command(*argv)
                assert str(caught.value) in (
                    "value is not an integer or out of range",
                    "timeout is not an integer or out of range",
                    "timeout is negative",
                ), argv
            client.close()
        ours, theirs = raw_client(master.port), raw_client(redis.port)
        theirs.execute_command("REPLICAOF", "127.0.0.1", master.port)
        ours.execute_command("REPLICAOF", "127.0.0.1", redis.port)
        errors = []
        for client in (ours, theirs):
            with pytest.raises(Exception) as caught:
                client.execute_command("WAIT", 1, 0)
            errors.append(str(caught.value))
        assert errors[0] == errors[1] and errors[0].startswith("WAIT cannot be used with replica instances")
        ours.close()
        theirs.close()


def test_redislite_replicas_chained_and_a_promotion_that_the_others_continue_from(tmp_path):
    """master (RedisLite) -> middle (RedisLite) -> leaf (redis-server): the leaf gets the master's stream through
    the middle, with the master's replication ID. When the middle is promoted, the leaf continues from it with a
    partial resync (replid2), and the middle's own writes reach it."""
    with (
        redislite_node(tmp_path) as master,
        redislite_node(tmp_path / "m") as middle,
    ):
        top, mid = raw_client(master.port), raw_client(middle.port)
        fill_every_type(top)
        mid.execute_command("REPLICAOF", "127.0.0.1", master.port)
        wait_in_sync(top, mid)
        with redis_replica(tmp_path / "leaf", middle.port) as leaf:
            bottom = raw_client(leaf.port)
            wait_in_sync(mid, bottom)
            apply_write_mix(top)
            wait_in_sync(top, mid)
            wait_in_sync(mid, bottom)
            assert assert_same_data(master.port, leaf.port) == MIXED_KEYS
            assert info(bottom)["master_replid"] == info(top)["master_replid"]
            full_syncs = info(mid, "stats")["sync_full"]

            assert mid.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
            mid.execute_command("SET", "written-on-the-promoted", "1")
            wait_in_sync(mid, bottom)
            stats = info(mid, "stats")
            assert stats["sync_full"] == full_syncs
            assert stats["sync_partial_ok"] == "1"
            assert info(bottom)["master_replid"] == info(mid)["master_replid"]
            assert assert_same_data(middle.port, leaf.port) == MIXED_KEYS + 1
            bottom.close()
        top.close()
        mid.close()


def test_after_a_promotion_the_old_masters_other_replica_continues_from_the_new_master(tmp_path):
    """PSYNC2: A's replicas B (RedisLite) and C (redis-server). B is promoted and written to before C is pointed
    at it: C continues with a partial resync (B's replid2 is A's ID) and gets what B had written meanwhile."""
    with (
        redislite_node(tmp_path) as a,
        redislite_node(tmp_path / "b") as b,
    ):
        first, promoted = raw_client(a.port), raw_client(b.port)
        fill_every_type(first)
        promoted.execute_command("REPLICAOF", "127.0.0.1", a.port)
        with redis_replica(tmp_path / "c", a.port) as c:
            other = raw_client(c.port)
            wait_in_sync(first, promoted)
            wait_in_sync(first, other)
            assert promoted.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
            promoted.execute_command("SET", "written-before-c-came", "1")
            promoted.execute_command("SELECT", 3)
            promoted.execute_command("RPUSH", "in-db-3", "x")
            promoted.execute_command("SELECT", 0)
            other.execute_command("REPLICAOF", "127.0.0.1", b.port)
            wait_in_sync(promoted, other)
            stats = info(promoted, "stats")
            assert (stats["sync_full"], stats["sync_partial_ok"]) == ("0", "1")
            assert other.execute_command("GET", "written-before-c-came") == b"1"
            assert assert_same_data(b.port, c.port) == FILLED_KEYS + 2
            other.close()
        first.close()
        promoted.close()


def test_min_replicas_to_write_refuses_writes_without_enough_good_replicas_as_redis(tmp_path):
    with (
        redislite_node(tmp_path) as master,
        real_redis("--dir", str(tmp_path), cwd=tmp_path) as redis,
    ):
        refusals = []
        for port in (master.port, redis.port):
            client = raw_client(port)
            client.execute_command("CONFIG", "SET", "min-replicas-to-write", 1)
            with pytest.raises(Exception) as caught:
                client.execute_command("SET", "k", "v")
            refusals.append(str(caught.value))
            assert client.execute_command("GET", "k") is None  # reads are served
            assert info(client)["min_slaves_good_slaves"] == "0"
            pipe = client.pipeline(transaction=True)
            pipe.execute_command("SET", "k", "v")
            with pytest.raises(Exception) as caught:
                pipe.execute()
            refusals.append(str(caught.value))  # refused while queuing, so EXEC aborts
            client.close()
        assert refusals[:2] == refusals[2:]
        assert refusals[0] == "NOREPLICAS Not enough good replicas to write."
        ours = raw_client(master.port)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            wait_until(lambda: info(ours)["min_slaves_good_slaves"] == "1", what="a good replica")
            assert ours.execute_command("SET", "k", "v") == b"OK"
            os.kill(replica.process.pid, signal.SIGSTOP)  # no more ACKs: after min-replicas-max-lag it is not good
            try:
                ours.execute_command("CONFIG", "SET", "min-replicas-max-lag", 1)
                wait_until(lambda: info(ours)["min_slaves_good_slaves"] == "0", timeout=5, what="the replica lags")
                with pytest.raises(Exception, match="Not enough good replicas"):
                    ours.execute_command("SET", "k", "v")
            finally:
                os.kill(replica.process.pid, signal.SIGCONT)
            wait_until(lambda: info(ours)["min_slaves_good_slaves"] == "1", what="the replica acknowledges again")
        ours.close()


def test_a_replica_with_serve_stale_data_off_answers_masterdown_while_its_link_is_down(tmp_path):
    with (
        redislite_node(tmp_path) as lite,
        real_redis(cwd=tmp_path) as redis,
    ):
        closed = free_port()
        replies = []
        for port in (lite.port, redis.port):
            client = raw_client(port)
            client.execute_command("CONFIG", "SET", "replica-serve-stale-data", "no")
            client.execute_command("REPLICAOF", "127.0.0.1", closed)  # nothing listens there
            answers = []
            for argv in (("GET", "k"), ("PING",), ("INFO", "server"), ("DBSIZE",)):
                try:
                    reply = client.execute_command(*argv)
                    answers.append("ok" if reply is not None else None)
                except Exception as error:  # the error text is what is compared
                    answers.append(str(error))
            replies.append(answers)
            client.execute_command("REPLICAOF", "NO", "ONE")
            assert client.execute_command("DBSIZE") == 0
            client.close()
        assert replies[0] == replies[1]
        assert replies[0][0] == "Link with MASTER is down and replica-serve-stale-data is set to 'no'."


def test_a_replica_announces_the_address_and_port_it_is_given(tmp_path):
    with redislite_node(tmp_path) as master:
        ours = raw_client(master.port)
        announced = ("--replica-announce-ip", "10.1.2.3", "--replica-announce-port", "4321")
        with redislite("--save", "", *announced, "--replicaof", "127.0.0.1", str(master.port), cwd=tmp_path) as replica:
            wait_in_sync(ours, raw_client(replica.port))
            assert info(ours)["slave0"].startswith("ip=10.1.2.3,port=4321,state=online,")
            assert ours.execute_command("ROLE")[2][0][:2] == [b"10.1.2.3", b"4321"]
        ours.close()


def test_a_master_without_replicas_for_repl_backlog_ttl_drops_its_backlog(tmp_path):
    with redislite_node(tmp_path, "--repl-backlog-ttl", "1") as master:
        ours = raw_client(master.port)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            wait_in_sync(ours, raw_client(replica.port))
            time.sleep(1.5)  # with a replica attached the backlog stays
            assert info(ours)["repl_backlog_active"] == "1"
            replid = info(ours)["master_replid"]
        wait_until(lambda: info(ours)["repl_backlog_active"] == "0", timeout=5, what="the backlog freed")
        assert info(ours)["master_replid"] != replid
        ours.execute_command("SET", "k", "v")  # no longer fed: the offset stays
        offset = info(ours)["master_repl_offset"]
        ours.execute_command("SET", "k", "w")
        assert info(ours)["master_repl_offset"] == offset
        ours.close()


def test_a_replica_past_its_output_buffer_limit_is_dropped_and_the_master_goes_on(tmp_path):
    limit = ("--client-output-buffer-limit", "replica 1mb 0 0", "--repl-backlog-size", "64mb")
    with redislite_node(tmp_path, *limit) as master:
        ours = raw_client(master.port)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            theirs = raw_client(replica.port)
            wait_in_sync(ours, theirs)
            os.kill(replica.process.pid, signal.SIGSTOP)  # it stops reading: the stream piles up on the master
            try:
                for index in range(200):  # 20 MB: more than the kernel's socket buffers hold
                    ours.execute_command("SET", f"big:{index}", b"x" * 100_000)
                wait_until(lambda: info(ours)["connected_slaves"] == "0", timeout=10, what="the replica dropped")
                assert info(ours, "stats")["client_output_buffer_limit_disconnections"] == "1"
                assert ours.execute_command("SET", "still", "served") == b"OK"
                # room for the 20 MB it has to catch up with (else each try would overflow again)
                ours.execute_command("CONFIG", "SET", "client-output-buffer-limit", "replica 0 0 0")
            finally:
                os.kill(replica.process.pid, signal.SIGCONT)
            wait_in_sync(ours, theirs, timeout=20)  # it comes back and continues from the backlog
            assert info(ours, "stats")["sync_partial_ok"] == "1"
            assert assert_same_data(master.port, replica.port) == 201
            theirs.close()
        ours.close()


def test_repl_timeout_drops_a_silent_replica_and_a_replica_drops_a_silent_master(tmp_path):
    with redislite_node(tmp_path, "--repl-timeout", "1") as master:
        ours = raw_client(master.port)
        with redis_replica(tmp_path / "replica", master.port) as replica:
            wait_in_sync(ours, raw_client(replica.port))
            os.kill(replica.process.pid, signal.SIGSTOP)  # no more ACKs
            try:
                wait_until(lambda: info(ours)["connected_slaves"] == "0", timeout=5, what="the silent replica dropped")
            finally:
                os.kill(replica.process.pid, signal.SIGCONT)
        with redislite_node(
            tmp_path / "replica2", "--repl-timeout", "1", "--replicaof", "127.0.0.1", str(master.port)
        ) as replica:
            theirs = raw_client(replica.port)
            wait_in_sync(ours, theirs)
            os.kill(master.process.pid, signal.SIGSTOP)  # no more stream, no more PINGs
            try:
                wait_until(lambda: info(theirs)["master_link_status"] == "down", timeout=5, what="the link given up")
            finally:
                os.kill(master.process.pid, signal.SIGCONT)
            wait_in_sync(ours, theirs)  # and it comes back
            theirs.close()
        ours.close()
