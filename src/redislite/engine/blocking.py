"""Clients blocked on keys (BLPOP, BZPOPMIN, ...): who waits for which key, and serving them when it changes.

Redis's model: a write signals the keys it touched as ready; after the command, each ready key's waiters
are retried in the order they blocked (FIFO), each running its own command again, until one finds nothing
and stays blocked. Timeouts are the connection's timers; disconnects and CLIENT UNBLOCK remove a waiter.
"""

from collections import deque


class BlockedOn:
    """What a blocked client is waiting for."""

    __slots__ = ("argv", "db_index", "keys", "timeout_ms", "timeout_reply")

    def __init__(self, argv, db_index, keys, timeout_ms, timeout_reply):
        self.argv = argv
        self.db_index = db_index
        self.keys = keys
        self.timeout_ms = timeout_ms
        self.timeout_reply = timeout_reply


class BlockingRegistry:
    def __init__(self):
        self.waiters: dict[tuple[int, bytes], deque] = {}  # (db, key) -> clients, oldest first
        self.ready: dict[tuple[int, bytes], None] = {}  # keys written since the last serve, in order
        self.serving = False

    def park(self, client, argv: list[bytes], block) -> None:
        client.blocked_on = BlockedOn(argv, client.db_index, block.keys, block.timeout_ms, block.timeout_reply)
        client.blocked = True
        for key in dict.fromkeys(block.keys):
            self.waiters.setdefault((client.db_index, key), deque()).append(client)

    def remove(self, client) -> None:
        """Forget a blocked client (served, timed out, disconnected, unblocked)."""
        blocked_on = client.blocked_on
        if blocked_on is None:
            return
        client.blocked_on = None
        client.blocked = False
        for key in dict.fromkeys(blocked_on.keys):
            queue = self.waiters.get((blocked_on.db_index, key))
            if queue is not None:
                try:
                    queue.remove(client)
                except ValueError:
                    pass
                if not queue:
                    del self.waiters[(blocked_on.db_index, key)]

    def signal(self, db_index: int, keys) -> None:
        """Keys a write touched; the ones somebody waits for are served after the command."""
        waiters = self.waiters
        for key in keys:
            if (db_index, key) in waiters:
                self.ready[(db_index, key)] = None

    def serve(self, execute) -> None:
        """Retry the waiters of every ready key, oldest first. `execute(client, argv)` runs a command and
        returns its reply, or None when there is still nothing for that client."""
        self.serving = True
        try:
            self._serve_ready(execute)
        finally:
            self.serving = False

    def _serve_ready(self, execute) -> None:
        while self.ready:
            key = next(iter(self.ready))
            del self.ready[key]
            queue = self.waiters.get(key)
            for client in list(queue or ()):
                if client.blocked_on is None:
                    continue
                reply = execute(client, client.blocked_on)
                if reply is not None:
                    client.connection.resume(reply)
                if key not in self.waiters:
                    break
