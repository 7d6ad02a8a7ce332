"""Replication state over HTTP: a RedisLite master's /api/info and /metrics list its replicas (a RedisLite one
and a real redis-server 7.0 one) as its own INFO replication does, a replica's show its link to the master (up,
then down once the master is gone), and the sync counters follow INFO stats. Every figure is checked against
INFO of the same server, read right after."""

import os
import shutil
import signal
import subprocess
import time

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.replication.replica_helpers import info, needs_redis, wait_in_sync, wait_until
from tests.servers import raw_client, real_redis, redislite, redislite_with_http

pytestmark = needs_redis

# No PINGs from the master while a test compares offsets (each would move master_repl_offset by 14 bytes)
QUIET = ("--save", "", "--repl-ping-replica-period", "3600")
# lag and last-I/O are whole seconds since an event: they may tick between two reads
SECONDS_TOLERANCE = 2
# promtool's naming lints on metric names that predate replication (see test_metrics.py)
KNOWN_NAMING_LINTS = {
    'redislite_keys_total non-counter metrics should not have "_total" suffix',
    "redislite_ops_per_sec metric names should not contain abbreviated units",
}


def api_client(process) -> httpx.Client:
    return httpx.Client(base_url=f"http://127.0.0.1:{process.http_port}", timeout=10)


def scrape(api: httpx.Client) -> dict[tuple, float]:
    """/metrics as {(sample name, frozenset of labels): value}."""
    response = api.get("/metrics")
    assert response.status_code == 200, response.text
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def sample(samples: dict, name: str, **labels) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def replica_lines(fields: dict[str, str]) -> dict[str, dict[str, str]]:
    """INFO's slaveN lines by "ip:port"."""
    lines = {}
    for name, value in fields.items():
        if name.startswith("slave") and name[5:].isdigit():
            parts = dict(part.split("=", 1) for part in value.split(","))
            lines[f"{parts['ip']}:{parts['port']}"] = parts
    return lines


def assert_promtool_accepts(text: str) -> None:
    """promtool check metrics finds nothing but the known lints (when promtool is installed)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        return
    check = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    problems = {line.strip() for line in (check.stdout + check.stderr).splitlines() if line.strip()}
    assert problems <= KNOWN_NAMING_LINTS, problems


def redis_replica(directory, master_port: int):
    directory.mkdir(exist_ok=True)
    return real_redis("--replicaof", "127.0.0.1", str(master_port), "--dir", str(directory), cwd=directory)


def acknowledged_everything(master) -> bool:
    fields = info(master)
    lines = replica_lines(fields).values()
    return bool(lines) and all(
        line["state"] == "online" and line["offset"] == fields["master_repl_offset"] for line in lines
    )


def test_a_master_lists_its_replicas_in_api_info_and_metrics_as_info_does(tmp_path):
    with redislite_with_http(*QUIET, cwd=tmp_path) as master:
        ours = raw_client(master.port)
        for index in range(50):
            ours.execute_command("SET", f"key:{index}", index)
        lite_dir, redis_dir = tmp_path / "lite", tmp_path / "redis"
        lite_dir.mkdir()
        with (
            redislite("--replicaof", "127.0.0.1", str(master.port), *QUIET, cwd=lite_dir) as lite,
            redis_replica(redis_dir, master.port) as redis,
            api_client(master) as api,
        ):
            lite_client, redis_client = raw_client(lite.port), raw_client(redis.port)
            wait_in_sync(ours, lite_client)
            wait_in_sync(ours, redis_client)
            ours.execute_command("RPUSH", "after-sync", *range(100))
            wait_until(lambda: acknowledged_everything(ours), what="both replicas acknowledged the stream")

            body = api.get("/api/info").json()["replication"]
            samples = scrape(api)
            fields, stats = info(ours), info(ours, "stats")
            addresses = {f"127.0.0.1:{lite.port}", f"127.0.0.1:{redis.port}"}
            lines = replica_lines(fields)
            assert set(lines) == addresses

            offset = int(fields["master_repl_offset"])
            assert offset > 0
            assert body["role"] == fields["role"] == "master"
            assert body["connected_replicas"] == int(fields["connected_slaves"]) == 2
            assert body["replication_id"] == fields["master_replid"] == info(redis_client)["master_replid"]
            assert body["master_repl_offset"] == offset
            assert body["master"] is None
            assert [f"{replica['ip']}:{replica['port']}" for replica in body["replicas"]] == list(lines)
            for replica in body["replicas"]:
                line = lines[f"{replica['ip']}:{replica['port']}"]
                assert (replica["state"], replica["offset"], replica["offset_lag"]) == ("online", offset, 0)
                assert replica["state"] == line["state"] and replica["offset"] == int(line["offset"])
                assert abs(replica["lag"] - int(line["lag"])) <= SECONDS_TOLERANCE

            assert sample(samples, "redislite_replication_role", role="master") == 1
            assert sample(samples, "redislite_connected_replicas") == 2
            assert sample(samples, "redislite_replication_offset_bytes") == offset
            for address in addresses:
                assert sample(samples, "redislite_replica_offset_bytes", replica=address) == offset
                assert sample(samples, "redislite_replica_offset_lag_bytes", replica=address) == 0
                lag = sample(samples, "redislite_replica_lag_seconds", replica=address)
                assert abs(lag - int(lines[address]["lag"])) <= SECONDS_TOLERANCE
            assert sample(samples, "redislite_replica_resyncs_full_total") == int(stats["sync_full"]) == 2
            assert sample(samples, "redislite_replica_partial_resync_accepted_total") == int(stats["sync_partial_ok"])
            assert sample(samples, "redislite_replica_partial_resync_denied_total") == int(stats["sync_partial_err"])
            assert sample(samples, "redislite_master_link_up") is None  # a master has no link to a master

            # A replica that stops reading falls behind: its offset lag is what it has not acknowledged
            os.kill(redis.process.pid, signal.SIGSTOP)
            try:
                ours.execute_command("SET", "while-stopped", b"x" * 1000)
                time.sleep(1.5)  # past its last ACK (once a second)
                body = api.get("/api/info").json()["replication"]
                samples = scrape(api)
                fields = info(ours)
            finally:
                os.kill(redis.process.pid, signal.SIGCONT)
            stopped = f"127.0.0.1:{redis.port}"
            line = replica_lines(fields)[stopped]
            behind = int(fields["master_repl_offset"]) - int(line["offset"])
            assert behind > 1000
            assert sample(samples, "redislite_replica_offset_lag_bytes", replica=stopped) == behind
            assert sample(samples, "redislite_replica_lag_seconds", replica=stopped) >= 1
            assert sample(samples, "redislite_replication_max_lag_seconds") >= 1
            (reported,) = [replica for replica in body["replicas"] if replica["port"] == redis.port]
            assert (reported["offset"], reported["offset_lag"]) == (int(line["offset"]), behind)
            assert reported["lag"] >= 1
            wait_until(lambda: acknowledged_everything(ours), what="the resumed replica caught up")

            assert_promtool_accepts(api.get("/metrics").text)
            lite_client.close()
            redis_client.close()
        ours.close()


def test_a_replica_shows_its_master_link_up_then_down_once_the_master_stops(tmp_path):
    master = redislite(*QUIET, cwd=tmp_path).start()
    try:
        theirs = raw_client(master.port)
        theirs.execute_command("SET", "k", "v")
        replica_dir = tmp_path / "replica"
        replica_dir.mkdir()
        with (
            redislite_with_http("--replicaof", "127.0.0.1", str(master.port), *QUIET, cwd=replica_dir) as replica,
            api_client(replica) as api,
        ):
            ours = raw_client(replica.port)
            wait_in_sync(theirs, ours)
            theirs.execute_command("SET", "streamed", "v")  # the offset moves once a replica is attached
            wait_in_sync(theirs, ours)
            body = api.get("/api/info").json()["replication"]
            samples = scrape(api)
            fields = info(ours)
            assert body["role"] == fields["role"] == "slave"
            assert body["replication_id"] == fields["master_replid"] == info(theirs)["master_replid"]
            assert body["master_repl_offset"] == int(fields["master_repl_offset"]) > 0
            assert (body["connected_replicas"], body["replicas"]) == (0, [])
            link = body["master"]
            assert (link["host"], link["port"], link["link_status"]) == ("127.0.0.1", master.port, "up")
            assert fields["master_link_status"] == "up"
            assert 0 <= link["last_io_seconds_ago"] <= int(fields["master_last_io_seconds_ago"]) + SECONDS_TOLERANCE
            assert link["sync_in_progress"] is False and fields["master_sync_in_progress"] == "0"
            assert link["link_down_since_seconds"] is None
            assert link["offset"] == int(fields["slave_repl_offset"])

            assert sample(samples, "redislite_replication_role", role="slave") == 1
            assert sample(samples, "redislite_master_link_up") == 1
            last_io = sample(samples, "redislite_master_last_io_seconds")
            assert 0 <= last_io <= int(fields["master_last_io_seconds_ago"]) + SECONDS_TOLERANCE
            assert sample(samples, "redislite_master_sync_in_progress") == 0
            assert sample(samples, "redislite_slave_repl_offset_bytes") == int(fields["slave_repl_offset"])
            assert sample(samples, "redislite_replication_offset_bytes") == int(fields["master_repl_offset"])
            assert sample(samples, "redislite_connected_replicas") == 0
            assert_promtool_accepts(api.get("/metrics").text)

            theirs.close()
            master.stop()
            wait_until(lambda: info(ours)["master_link_status"] == "down", what="the link noticed the master left")
            body = api.get("/api/info").json()["replication"]
            samples = scrape(api)
            fields = info(ours)
            link = body["master"]
            assert (link["link_status"], link["last_io_seconds_ago"]) == ("down", -1)
            assert fields["master_last_io_seconds_ago"] == "-1"
            assert 0 <= link["link_down_since_seconds"] <= int(fields["master_link_down_since_seconds"])
            assert (link["host"], link["port"]) == ("127.0.0.1", master.port)
            assert body["role"] == "slave"
            assert sample(samples, "redislite_master_link_up") == 0
            assert sample(samples, "redislite_master_last_io_seconds") == -1
            ours.close()
    finally:
        master.stop()


def test_the_sync_counters_count_full_partial_and_refused_syncs_as_info_stats(tmp_path):
    (tmp_path / "other").mkdir()
    with redislite_with_http(*QUIET, cwd=tmp_path) as master, api_client(master) as api:
        ours = raw_client(master.port)

        def counters() -> tuple:
            samples, stats = scrape(api), info(ours, "stats")
            scraped = tuple(
                sample(samples, f"redislite_replica_{name}_total")
                for name in ("resyncs_full", "partial_resync_accepted", "partial_resync_denied")
            )
            assert scraped == tuple(int(stats[name]) for name in ("sync_full", "sync_partial_ok", "sync_partial_err"))
            return scraped

        assert counters() == (0, 0, 0)
        with redislite(*QUIET, cwd=tmp_path / "other") as other, redislite(*QUIET, cwd=tmp_path) as replica:
            theirs = raw_client(replica.port)
            theirs.execute_command("REPLICAOF", "127.0.0.1", master.port)
            wait_in_sync(ours, theirs)
            full, accepted, denied = counters()
            assert full == 1
            assert ours.execute_command("CLIENT", "KILL", "TYPE", "replica") == 1
            # (its link may still look up for a moment: wait for the reconnection itself)
            wait_until(lambda: counters() != (full, accepted, denied), what="the replica reconnected")
            wait_in_sync(ours, theirs)
            assert counters() == (full, accepted + 1, denied)  # it continued from the backlog

            # another history: a replica of `other` that comes to this master asks for an ID it does not know
            theirs.execute_command("REPLICAOF", "127.0.0.1", other.port)
            other_client = raw_client(other.port)
            wait_in_sync(other_client, theirs)
            other_client.close()
            theirs.execute_command("REPLICAOF", "127.0.0.1", master.port)
            wait_in_sync(ours, theirs)
            assert counters() == (full + 1, accepted + 1, denied + 1)
            theirs.close()
        ours.close()


@pytest.mark.parametrize("host", ["a\r\nrole:x\r\nmaster_port:zz", "a\r\n# Keyspace\r\ndb0:keys=nan"])
def test_api_info_stays_well_formed_whatever_host_replicaof_was_given(tmp_path, host):
    """INFO prints a REPLICAOF host as given (as Redis does), line breaks included; /api/info still answers
    with the schema's types and the real fields, which INFO prints after the host."""
    with redislite_with_http(*QUIET, cwd=tmp_path) as server, api_client(server) as api:
        client = raw_client(server.port)
        client.execute_command("SET", "k", "v")
        client.execute_command("REPLICAOF", host, 1)
        response = api.get("/api/info")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["keys"] == 1
        assert body["replication"]["role"] == "slave"
        assert body["replication"]["master"]["link_status"] == "down"
        assert body["replication"]["master"]["port"] == 1
        client.execute_command("REPLICAOF", "NO", "ONE")
        client.close()
