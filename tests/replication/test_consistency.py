"""Replication under load: a seeded write mix of every family (HyperLogLogs included: their bytes are Redis's
now) over several databases runs against a RedisLite master while a RedisLite replica (behind a TCP proxy that
drops its connections) and a real redis-server replica follow it, and their links are cut again and again
(CLIENT KILL on either side, the proxy). At the end both hold every key as the master does, every cut was
served with a partial resync, and nothing but the two first syncs was a full one. And WAIT's promise: what
WAIT confirmed one replica had is on that replica when the master is killed and the replica promoted.

CONSISTENCY_SEED and CONSISTENCY_CUTS run another mix, or a longer one.
"""

import os
import signal
import threading
import time

import hiredis

from ..servers import raw_client, real_redis, redislite
from .load_helpers import (
    BLOCKING_LIST,
    BLOCKING_ZSET,
    DATABASES,
    FUNCTION_LIBRARY,
    DroppingProxy,
    RespConnection,
    WriteMix,
    differences,
)
from .replica_helpers import assert_same_data, fill_every_type, info, needs_redis, wait_in_sync, wait_until

pytestmark = needs_redis

SEED = int(os.environ.get("CONSISTENCY_SEED", "20261208"))  # another seed: another mix
CUTS = int(os.environ.get("CONSISTENCY_CUTS", "12"))  # four kinds in turn
BACKLOG_BYTES = 64 * 1024 * 1024  # the whole run fits: every cut must be a partial resync


class Writer(threading.Thread):
    """Runs the write mix on one connection until stopped; counts commands and error replies by kind (errors
    such as WRONGTYPE are part of the mix; an internal error is not)."""

    def __init__(self, port: int, seed: int):
        super().__init__(daemon=True)
        self.port = port
        self.mix = WriteMix(seed)
        self.stop = threading.Event()
        self.commands = 0
        self.errors: dict[str, int] = {}
        self.failure: BaseException | None = None

    def run(self) -> None:
        connection = RespConnection(self.port)
        try:
            while not self.stop.is_set():
                step = self.mix.next_step()
                for reply in connection.batch(step):
                    if isinstance(reply, hiredis.ReplyError):
                        kind = str(reply).split(" ", 1)[0]
                        self.errors[kind] = self.errors.get(kind, 0) + 1
                self.commands += len(step)
        except BaseException as error:  # reported by the test
            self.failure = error
        finally:
            connection.close()


class BlockedPopper(threading.Thread):
    """Blocks on the lists and sorted set the writer pushes to in db 0: a served blocking pop is propagated as
    the pop it did."""

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.served = 0
        self.failure: BaseException | None = None

    def run(self) -> None:
        connection = RespConnection(self.port)
        commands = [
            ["BLMOVE", BLOCKING_LIST, b"blk:moved", "LEFT", "RIGHT", "0.05"],
            ["BZPOPMIN", BLOCKING_ZSET, "0.05"],
            ["BLMPOP", "0.05", 1, BLOCKING_LIST, "RIGHT", "COUNT", 2],
            ["BRPOP", BLOCKING_LIST, "0.05"],
        ]
        try:
            index = 0
            while not self.stop.is_set():
                if connection.call(*commands[index % len(commands)]) is not None:
                    self.served += 1
                index += 1
        except BaseException as error:
            self.failure = error
        finally:
            connection.close()


def replicas_online(master, count: int) -> bool:
    replication = info(master)
    lines = [replication.get(f"slave{index}", "") for index in range(count)]
    return replication["connected_slaves"] == str(count) and all("state=online" in line for line in lines)


def resyncs(master) -> tuple[int, int, int]:
    stats = info(master, "stats")
    return int(stats["sync_full"]), int(stats["sync_partial_ok"]), int(stats["sync_partial_err"])


def expire_the_short_lived(master, mix: WriteMix) -> None:
    """After the last short deadline, touch every key the mix may have written: the master deletes the ones
    that expired (lazily, if active expiry has not yet) and sends the DELs, so replicas hold no expired key."""
    delay = mix.short_deadline_ms / 1000 - time.time() + 0.05
    if delay > 0:
        time.sleep(delay)
    names = mix.all_keys()
    for db in DATABASES:
        master.execute_command("SELECT", db)
        master.execute_command("EXISTS", *names)
    master.execute_command("SELECT", 0)


def test_two_replicas_stay_consistent_through_a_write_mix_and_repeated_link_cuts(tmp_path):
    for name in ("master", "lite", "redis"):
        (tmp_path / name).mkdir()
    with (
        redislite(
            *("--save", "", "--dir", str(tmp_path / "master"), "--repl-backlog-size", str(BACKLOG_BYTES)),
            *("--repl-diskless-sync-delay", "0"),  # diskless full syncs (the default), started at once
            cwd=tmp_path,
        ) as master_process,
        redislite("--save", "", "--dir", str(tmp_path / "lite"), cwd=tmp_path) as lite_process,
    ):
        master = raw_client(master_process.port)
        lite = raw_client(lite_process.port)
        fill_every_type(master)  # the first full syncs carry every type (HyperLogLogs as the master's bytes)
        master.execute_command("FUNCTION", "LOAD", FUNCTION_LIBRARY)  # a function in the snapshot, for FCALL
        proxy = DroppingProxy(master_process.port)
        writer, popper = Writer(master_process.port, SEED), BlockedPopper(master_process.port)
        writer.start()
        popper.start()
        started = time.monotonic()
        try:
            time.sleep(0.5)
            # Both replicas attach while the mix runs: the stream during their snapshots is buffered for them
            lite.execute_command("REPLICAOF", "127.0.0.1", proxy.port)
            with real_redis(
                "--replicaof", "127.0.0.1", str(master_process.port), "--dir", str(tmp_path / "redis"), cwd=tmp_path
            ) as redis_process:
                redis = raw_client(redis_process.port)
                wait_until(lambda: replicas_online(master, 2), timeout=20, what="both replicas online")
                # The RedisLite replica was a master: its first PSYNC offers its own history, refused (as Redis)
                assert resyncs(master) == (2, 0, 1)

                cuts = [
                    ("CLIENT KILL TYPE master on the RedisLite replica", 1, lambda: kill_master_link(lite)),
                    ("CLIENT KILL TYPE replica on the master", 2, lambda: master_kill_replicas(master)),
                    ("the proxy drops the RedisLite replica's connection", 1, proxy.drop),
                    ("CLIENT KILL TYPE master on the redis-server replica", 1, lambda: kill_master_link(redis)),
                ]
                expected_partial = 0
                for index in range(CUTS):
                    what, links, cut = cuts[index % len(cuts)]
                    time.sleep(0.3)
                    assert cut() == links, what
                    expected_partial += links
                    wait_until(
                        lambda: (
                            sum(resyncs(master)[:2]) >= 2 + expected_partial
                            and replicas_online(master, 2)
                            and all(info(replica)["master_link_status"] == "up" for replica in (lite, redis))
                        ),
                        timeout=15,
                        what=f"both replicas back after cut {index} ({what})",
                    )
                    assert resyncs(master) == (2, expected_partial, 1), what
                time.sleep(0.5)
                writer.stop.set()
                popper.stop.set()
                writer.join(timeout=10)
                popper.join(timeout=10)
                writing_s = time.monotonic() - started
                assert writer.failure is None and popper.failure is None, (writer.failure, popper.failure)
                assert "internal" not in str(writer.errors).lower(), writer.errors

                expire_the_short_lived(master, writer.mix)
                wait_in_sync(master, lite, timeout=30)
                wait_in_sync(master, redis, timeout=30)
                ports = (master_process.port, lite_process.port, redis_process.port)
                for db in DATABASES:
                    sizes = [dbsize(port, db) for port in ports]
                    assert sizes[0] == sizes[1] == sizes[2], f"DBSIZE of db {db}: {sizes} (expired keys left?)"
                compared_lite = compare_every_key(master_process.port, lite_process.port)
                compared_redis = compare_every_key(master_process.port, redis_process.port)
                assert compared_lite == compared_redis > 200
                assert resyncs(master) == (2, expected_partial, 1)
                assert int(info(master, "stats")["expired_keys"]) > 0  # keys expired during the run
                assert info(lite)["master_replid"] == info(redis)["master_replid"] == info(master)["master_replid"]
                print(
                    f"\n{writer.commands} commands in {writer.mix.steps} steps over {writing_s:.1f} s, "
                    f"{popper.served} blocking pops "
                    f"served, {CUTS} cuts, {expected_partial} partial resyncs, {compared_lite} keys compared, "
                    f"error replies {writer.errors}"
                )
                redis.close()
        finally:
            writer.stop.set()
            popper.stop.set()
            proxy.close()
            master.close()
            lite.close()


def compare_every_key(master_port: int, replica_port: int) -> int:
    """assert_same_data, and on a difference every differing key with both values in the message."""
    try:
        return assert_same_data(master_port, replica_port)
    except AssertionError as error:
        raise AssertionError("\n".join([str(error), *differences(master_port, replica_port)])) from None


def dbsize(port: int, db: int) -> int:
    client = raw_client(port, db=db)
    try:
        return client.execute_command("DBSIZE")
    finally:
        client.close()


def kill_master_link(replica) -> int:
    return replica.execute_command("CLIENT", "KILL", "TYPE", "master")


def master_kill_replicas(master) -> int:
    return master.execute_command("CLIENT", "KILL", "TYPE", "replica")


def test_writes_that_wait_confirmed_survive_the_masters_death_and_the_replicas_promotion(tmp_path):
    """Each write is followed by WAIT 1: those answered >= 1 were applied by the replica, so when the master is
    killed (SIGKILL) and the replica promoted, every one of them is there. The replica is stopped for a moment
    on the way, so some WAITs time out unconfirmed (those may or may not be there)."""
    (tmp_path / "replica").mkdir()
    with (
        redislite(
            "--save", "", "--dir", str(tmp_path), "--repl-diskless-sync-delay", "0", cwd=tmp_path
        ) as master_process,
        redislite("--save", "", "--dir", str(tmp_path / "replica"), cwd=tmp_path) as replica_process,
    ):
        replica = raw_client(replica_process.port)
        replica.execute_command("REPLICAOF", "127.0.0.1", master_process.port)
        wait_in_sync(raw_client(master_process.port), replica)
        confirmed: list[int] = []
        unconfirmed: list[int] = []
        stop = threading.Event()
        failures: list[BaseException] = []

        def write() -> None:
            connection = RespConnection(master_process.port, timeout=5)
            index = 0
            try:
                while not stop.is_set():
                    index += 1
                    db = DATABASES[index % len(DATABASES)]
                    step = [
                        ["SELECT", db],
                        ["MULTI"] if index % 5 == 0 else ["PING"],
                        ["SET", b"w:%d" % index, index],
                        ["RPUSH", "log", index],
                        ["HSET", "h", b"f%d" % index, index],
                        ["EXEC"] if index % 5 == 0 else ["PING"],
                        ["WAIT", 1, 100],
                    ]
                    (confirmed if connection.batch(step)[-1] >= 1 else unconfirmed).append(index)
            except (ConnectionError, OSError):
                pass  # the master was killed
            except BaseException as error:
                failures.append(error)
            finally:
                connection.close()

        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        time.sleep(0.8)
        os.kill(replica_process.process.pid, signal.SIGSTOP)  # WAITs time out meanwhile: unconfirmed
        time.sleep(0.3)
        os.kill(replica_process.process.pid, signal.SIGCONT)
        time.sleep(1.2)
        master_process.process.send_signal(signal.SIGKILL)
        master_process.process.wait()
        stop.set()
        writer.join(timeout=10)
        assert not failures, failures

        assert replica.execute_command("REPLICAOF", "NO", "ONE") == b"OK"
        assert info(replica)["role"] == "master"
        lost = []
        lists, hashes = {}, {}
        for db in DATABASES:
            client = raw_client(replica_process.port, db=db)
            lists[db] = {int(x) for x in client.execute_command("LRANGE", "log", 0, -1)}
            flat = client.execute_command("HGETALL", "h")
            hashes[db] = dict(zip(flat[::2], flat[1::2]))
            indexes = [index for index in confirmed if DATABASES[index % len(DATABASES)] == db]
            values = client.execute_command("MGET", *[b"w:%d" % index for index in indexes]) if indexes else []
            for index, value in zip(indexes, values):
                expected = b"%d" % index
                if value != expected or index not in lists[db] or hashes[db].get(b"f%d" % index) != expected:
                    lost.append(index)
            client.close()
        survived_unconfirmed = sum(1 for index in unconfirmed if index in lists[DATABASES[index % len(DATABASES)]])
        print(
            f"\nWAIT 1 100: {len(confirmed)} writes confirmed, {len(unconfirmed)} not confirmed "
            f"({survived_unconfirmed} of those on the replica anyway), lost after SIGKILL and promotion: {len(lost)}"
        )
        assert len(confirmed) > 100 and unconfirmed, (len(confirmed), len(unconfirmed))
        assert lost == [], lost[:20]
        replica.close()


def test_a_replica_that_applies_an_expiry_after_its_deadline_keeps_the_key_the_master_kept(tmp_path):
    with (
        redislite(
            "--save", "", "--dir", str(tmp_path), "--repl-diskless-sync-delay", "0", cwd=tmp_path
        ) as master_process,
        redislite("--save", "", "--dir", str(tmp_path), cwd=tmp_path) as replica_process,
    ):
        master, replica = raw_client(master_process.port), raw_client(replica_process.port)
        replica.execute_command("REPLICAOF", "127.0.0.1", master_process.port)
        wait_in_sync(master, replica)
        os.kill(replica_process.process.pid, signal.SIGSTOP)  # it applies what follows late
        try:
            master.execute_command("SET", "k", "v")
            master.execute_command("PEXPIRE", "k", 100)  # propagated as PEXPIREAT <now + 100>
            master.execute_command("PERSIST", "k")  # within the 100 ms: the key stays on the master
            time.sleep(0.3)
        finally:
            os.kill(replica_process.process.pid, signal.SIGCONT)
        wait_in_sync(master, replica)
        assert master.execute_command("GET", "k") == b"v"
        assert replica.execute_command("GET", "k") == b"v"
        master.close()
        replica.close()


def test_a_diskless_full_sync_of_a_snapshot_past_4_mb_completes(tmp_path):
    with redislite("--save", "", "--dir", str(tmp_path), "--repl-diskless-sync-delay", "0", cwd=tmp_path) as lite:
        master = raw_client(lite.port)
        master.execute_command("DEBUG", "POPULATE", 200_000)  # a snapshot of about 5 MB
        (tmp_path / "replica").mkdir()
        with real_redis(
            "--replicaof", "127.0.0.1", str(lite.port), "--dir", str(tmp_path / "replica"), cwd=tmp_path / "replica"
        ) as redis:
            replica = raw_client(redis.port)
            wait_until(lambda: info(replica)["master_link_status"] == "up", timeout=5, what="the full sync")
            assert replica.execute_command("DBSIZE") == 200_000
            replica.close()
        master.close()
