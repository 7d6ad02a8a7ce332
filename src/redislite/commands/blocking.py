"""What blocking commands share: the Block reply that parks a client (their timeout is parsed by
args.parse_timeout).

A handler that finds nothing to serve returns `Block(keys, timeout_ms, timeout_reply)`. The engine parks
the client on those keys; when a write touches one of them, the engine runs the same command again for the
clients parked there, oldest first, until one finds nothing again.
"""


class Block:
    """Park the client until one of `keys` (in its current database) is written, or `timeout_ms` passes
    (0: forever); on timeout the client gets `timeout_reply`. Where it may not wait (inside MULTI or a
    script) it gets `no_wait_reply` at once, which is the timeout reply unless the command says otherwise."""

    __slots__ = ("keys", "no_wait_reply", "timeout_ms", "timeout_reply")

    def __init__(self, keys: list[bytes], timeout_ms: int, timeout_reply, no_wait_reply=...):
        self.keys = keys
        self.timeout_ms = timeout_ms
        self.timeout_reply = timeout_reply
        self.no_wait_reply = timeout_reply if no_wait_reply is ... else no_wait_reply
