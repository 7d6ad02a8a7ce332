"""OBJECT ENCODING of strings as Redis reports it: a string changed in place (APPEND to an existing key,
SETRANGE, SETBIT, BITFIELD, BITOP's result, the HyperLogLog commands) is "raw" whatever its length, and a new
value for the key (SET, MSET, INCR, a load) makes it int or embstr again. Byte for byte against redis-server."""

import pytest

from ..servers import redis_server_path

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)

STEPS = [
    ["SET", "s", "abc"],
    ["APPEND", "s", "d"],
    ["APPEND", "new", "short"],
    ["SETRANGE", "r", "0", "xy"],
    ["SET", "n", "10"],
    ["SETRANGE", "n", "0", "2"],
    ["SETBIT", "b", "3", "1"],
    ["BITFIELD", "f", "SET", "u8", "0", "7"],
    ["BITOP", "OR", "dest", "b", "f"],
    ["PFADD", "h", "a", "b", "c"],
    ["PFCOUNT", "h"],
    ["PFMERGE", "m", "h"],
    ["SET", "p", "plain"],
    ["MSET", "s", "again", "q", "x"],
    ["INCR", "n"],
    ["DEL", "r"],
    ["SETRANGE", "r", "3", "z"],
    ["SWAPDB", "0", "1"],
    ["SWAPDB", "0", "1"],
    ["FLUSHDB"],
    ["SET", "b", "1"],
]
KEYS = ["s", "new", "r", "n", "b", "f", "dest", "h", "m", "p", "q"]


def test_object_encoding_of_strings_changed_in_place_matches_redis(clients):
    ours, theirs = clients
    for client in (ours, theirs):
        client.call("FLUSHALL")
    for step in STEPS:
        assert ours.call(*step) == theirs.call(*step), step
        for key in KEYS:
            argv = ("OBJECT", "ENCODING", key)
            assert ours.call(*argv) == theirs.call(*argv), (step, key)
