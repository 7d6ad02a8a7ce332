"""The same seeded command sequences go to RedisLite and to a real redis-server; every reply must be equal,
byte for byte (errors included). TTL-style replies are compared by class, KEYS replies as sorted sets."""

import re

import pytest

from ..servers import redis_server_path
from .generator import Generator
from .harness import as_bytes, compare_replies

SEEDS = range(80)
COMMANDS_PER_SEQUENCE = 250
TIME_DEPENDENT = {b"TTL", b"PTTL", b"EXPIRETIME", b"PEXPIRETIME"}

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


def _array_items(reply: bytes) -> list[bytes]:
    """Elements of a flat array of bulk strings."""
    return re.findall(rb"\$\d+\r\n.*?\r\n(?=\$|\Z)", reply.split(b"\r\n", 1)[1], re.S)


def normalize(argv: list, reply: bytes) -> bytes:
    name = as_bytes(argv[0]).upper()
    if name in TIME_DEPENDENT and reply.startswith(b":") and int(reply[1:-2]) > 0:
        return b":<positive>\r\n"
    if name == b"KEYS" and reply.startswith(b"*"):
        items = sorted(_array_items(reply))
        return reply.split(b"\r\n", 1)[0] + b"\r\n" + b"".join(items)
    return reply


@pytest.mark.parametrize("seed", SEEDS)
def test_replies_match_real_redis(clients, seed):
    ours, theirs = clients
    generator = Generator(seed)
    commands = [generator.command() for _ in range(COMMANDS_PER_SEQUENCE)]
    commands += [["SELECT", "0"], ["FLUSHALL"]]
    expected = theirs.pipeline(commands)
    actual = ours.pipeline(commands)
    compare_replies(f"seed {seed}", commands, expected, actual, normalize)
