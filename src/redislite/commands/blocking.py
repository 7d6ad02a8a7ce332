"""What blocking commands share: the Block reply that parks a client, and Redis's timeout parsing.

A handler that finds nothing to serve returns `Block(keys, timeout_ms, timeout_reply)`. The engine parks
the client on those keys; when a write touches one of them, the engine runs the same command again for the
clients parked there, oldest first, until one finds nothing again.
"""

import math

from .. import errors
from ..errors import CommandError
from .args import INT64_MAX, parse_float


class Block:
    """Park the client until one of `keys` (in its current database) is written, or `timeout_ms` passes
    (0: forever); on timeout the client gets `timeout_reply`. Where it may not wait (inside MULTI or a
    script) it gets `no_wait_reply` at once, which is the timeout reply unless the command says otherwise."""

    __slots__ = ("keys", "timeout_ms", "timeout_reply", "no_wait_reply")

    def __init__(self, keys: list[bytes], timeout_ms: int, timeout_reply, no_wait_reply=...):
        self.keys = keys
        self.timeout_ms = timeout_ms
        self.timeout_reply = timeout_reply
        self.no_wait_reply = timeout_reply if no_wait_reply is ... else no_wait_reply


def parse_timeout(raw: bytes) -> int:
    """A blocking timeout in seconds (decimals allowed) -> milliseconds, rounded up, with Redis 7.0's errors
    (a timeout too large for a 64-bit millisecond count wraps negative there, so it is "negative" here too)."""
    seconds = parse_float(raw)
    if seconds is None:
        raise CommandError(errors.TIMEOUT_NOT_FLOAT)
    if seconds < 0 or math.isinf(seconds) or seconds * 1000 > INT64_MAX:
        raise CommandError(errors.TIMEOUT_NEGATIVE)
    return math.ceil(seconds * 1000)
