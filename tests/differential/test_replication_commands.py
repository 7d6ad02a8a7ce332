"""The replication commands' replies on a master without replicas, and their argument errors, byte for byte
against a real redis-server (what they do with replicas is tests/replication/'s)."""

import pytest

from ..servers import redis_server_path

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)

COMMANDS = [
    ["READONLY"],
    ["READWRITE"],
    ["READONLY", "x"],
    ["ROLE"],
    ["ROLE", "x"],
    ["WAIT", "0", "0"],
    ["WAIT", "1", "10"],
    ["WAIT", "-1", "0"],
    ["WAIT", "x", "0"],
    ["WAIT", "0", "-1"],
    ["WAIT", "0", "x"],
    ["WAIT", "0"],
    ["REPLCONF"],
    ["REPLCONF", "listening-port", "6380"],
    ["REPLCONF", "listening-port", "x"],
    ["REPLCONF", "capa", "eof", "capa", "psync2"],
    ["REPLCONF", "bogus", "x"],
    ["REPLCONF", "capa"],
    ["REPLCONF", "rdb-only", "2"],
    ["REPLCONF", "rdb-only", "-1"],
    ["REPLCONF", "ip-address", "x" * 300],
    ["FAILOVER"],
    ["FAILOVER", "ABORT"],
    ["FAILOVER", "TIMEOUT", "0"],
    ["FAILOVER", "TO", "127.0.0.1", "1", "FORCE"],
    ["REPLICAOF", "127.0.0.1", "70000"],
    ["REPLICAOF", "127.0.0.1", "x"],
    ["REPLICAOF", "NO"],
    ["REPLICAOF", "NO", "ONE"],
    ["SLAVEOF", "no", "one"],
    ["SYNC", "x"],
    ["PSYNC", "x"],
    ["INFO", "bogus-section"],
]


def test_replication_commands_answer_as_redis(clients):
    ours, theirs = clients
    for argv in COMMANDS:
        assert ours.call(*argv) == theirs.call(*argv), argv


@pytest.mark.parametrize("sync", [b"SYNC", b"PSYNC ? -1"])
def test_sync_after_a_reply_not_yet_written_is_refused_as_redis(clients, sync):
    """PING and SYNC in one write: PING's reply is still pending when SYNC runs, so the snapshot would follow
    it on the wire; Redis refuses."""
    ours, theirs = clients
    for client in (ours, theirs):
        client.send_raw(b"PING\r\n" + sync + b"\r\n")
    assert [ours.read_reply(), ours.read_reply()] == [theirs.read_reply(), theirs.read_reply()]
