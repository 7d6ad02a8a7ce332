"""Serving clients while a script is busy: Redis's processEventsWhileBlocked.

A script runs inside its command handler, so the event loop is stopped while it runs. Past
`busy-reply-threshold` the script's hook calls `state.process_events_while_blocked(busy_error, caller)` every
100,000 Lua instructions. That reads what the other clients sent straight from their sockets (the loop cannot
run: it is the loop's own callback that is running the script), accepts new connections, and feeds the bytes
to their Connection as if the loop had. Their commands get `busy_error` (-BUSY ...), except those Redis allows
while busy (the `allow_busy` flag: SCRIPT KILL, FUNCTION KILL, SHUTDOWN, AUTH, HELLO, MULTI, DISCARD, WATCH, ...;
SHUTDOWN itself insists on NOSAVE). The client running the script is left alone: its input waits until the
script ends, as in Redis.

Writes go through the transports as usual (they send at once when the socket can take it). A connection
accepted while blocked, or just before, has no asyncio transport yet: it has the small socket-backed one
accept.py gives every new connection until the loop takes it over.
"""

import os
from typing import TYPE_CHECKING

from ..commands.registry import CommandFlag

if TYPE_CHECKING:
    from .app import RedisLiteServer

ALLOW_BUSY = int(CommandFlag.ALLOW_BUSY)
NO_AUTH = int(CommandFlag.NO_AUTH)
READ_SIZE = 1 << 16


class EventsWhileBlocked:
    """Installed on the server state as `process_events_while_blocked`."""

    def __init__(self, server: "RedisLiteServer"):
        self.server = server
        self.state = server.state

    def __call__(self, busy_error: bytes, protected_client) -> bool:
        """Serve other clients once; returns whether a shutdown was requested meanwhile."""
        execute = self._gate(busy_error)
        engine = self.state.engine
        blocking = engine.blocking
        # Clients blocked on keys the script wrote are served after the script, never by a command that runs
        # meanwhile (a HELLO or MULTI would otherwise hand them half of the script's effects).
        serving, blocking.serving = blocking.serving, True
        try:
            for acceptor in self.server.acceptors:
                acceptor.accept_all()  # the loop cannot: their clients exist at once, and are served below
            for client in list(self.state.clients.values()):
                connection = client.connection
                # (a TLS client's bytes need its TLS transport, which only the loop runs: they wait for the script)
                if connection is None or client is protected_client or connection.closing or connection.tls:
                    continue
                data = _read(connection)
                if data:
                    self._serve(connection, data, execute, engine.aof)
        finally:
            blocking.serving = serving
        self.server.write_replies()  # the loop cannot run: write the replies (-BUSY ...) now
        return self.server.stopped.is_set()

    @staticmethod
    def _serve(connection, data: bytes, execute, aof) -> None:
        """Run what a client sent, through the busy gate. What runs while a script is busy reads and writes no
        data (everything else is refused), so its replies need not wait for the AOF to write the script's
        changes: they go out now, as Redis writes them during processEventsWhileBlocked, unless replies from
        before the script are still held for this connection (its replies keep their order)."""
        unheld = aof is not None and not any(entry[0] is connection for entry in aof.held)
        original = connection.execute
        connection.execute = execute
        try:
            connection.data_received(data)
        finally:
            connection.execute = original
        if unheld:
            released = []
            while aof.held and aof.held[-1][0] is connection:
                released.append(aof.held.pop()[1])
            for replies in reversed(released):
                connection.send_all(replies)

    def _gate(self, busy_error: bytes):
        """Engine.execute, but -BUSY for what Redis refuses while a script is busy (after the checks Redis makes
        first: unknown command, arity, authentication). The refusal is the engine's: inside MULTI it dooms the
        transaction, and EXEC itself is refused as EXECABORT and discards it (processCommand's rejectCommand)."""
        engine = self.state.engine

        def execute(client, argv):
            command = engine.lookup(argv)
            if command is not None and not command.flags & ALLOW_BUSY:
                arity = command.arity
                arity_ok = len(argv) == arity or (arity < 0 and len(argv) >= -arity)
                if arity_ok and (client.authenticated or command.flags & NO_AUTH):
                    return engine._reject(client, command, busy_error)
            return engine.execute(client, argv)

        return execute


def _read(connection) -> bytes | None:
    sock = connection.transport.get_extra_info("socket")
    if sock is None:
        return None
    try:
        return os.read(sock.fileno(), READ_SIZE)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return None
