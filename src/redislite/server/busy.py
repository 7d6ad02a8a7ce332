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
accepted while blocked has no asyncio transport yet: it gets a small socket-backed one, and is handed to the
loop (keeping its Connection and client) as soon as the loop runs again.
"""

import asyncio
import logging
import os
import socket

from ..commands.registry import CommandFlag
from .connection import Connection

log = logging.getLogger("redislite.server")

ALLOW_BUSY = int(CommandFlag.ALLOW_BUSY)
NO_AUTH = int(CommandFlag.NO_AUTH)
READ_SIZE = 1 << 16


class EventsWhileBlocked:
    """Installed on the server state as `process_events_while_blocked`."""

    def __init__(self, server):
        self.server = server
        self.state = server.state
        self.listening: list[socket.socket] | None = None  # the listeners' sockets (duplicated descriptors)

    def __call__(self, busy_error: bytes, protected_client) -> bool:
        """Serve other clients once; returns whether a shutdown was requested meanwhile."""
        execute = self._gate(busy_error)
        engine = self.state.engine
        blocking = engine.blocking
        # Clients blocked on keys the script wrote are served after the script, never by a command that runs
        # meanwhile (a HELLO or MULTI would otherwise hand them half of the script's effects).
        serving, blocking.serving = blocking.serving, True
        try:
            self._accept()
            for client in list(self.state.clients.values()):
                connection = client.connection
                if connection is None or client is protected_client or connection.closing:
                    continue
                data = _read(connection)
                if data:
                    self._serve(connection, data, execute, engine.aof)
        finally:
            blocking.serving = serving
        self.server.write_replies()  # the loop cannot run: write the replies (-BUSY ...) now
        stopped = self.server.stopped
        return stopped is not None and stopped.is_set()

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

    # -- new connections -------------------------------------------------------------------------------

    def _accept(self) -> None:
        if self.listening is None:
            self.listening = []
            for listener in self.server.listeners:
                for listening_socket in listener.sockets:
                    # A duplicate of the listener's descriptor: non-blocking already, shared with the loop.
                    self.listening.append(socket.socket(fileno=os.dup(listening_socket.fileno())))
        for listening_socket in self.listening:
            while True:
                try:
                    accepted, _ = listening_socket.accept()
                except (BlockingIOError, InterruptedError):
                    break
                except OSError as error:
                    log.warning("accept_while_busy_failed", extra={"error": str(error)})
                    break
                self._adopt(accepted)

    def _adopt(self, accepted: socket.socket) -> None:
        accepted.setblocking(False)
        connection = Connection(self.server)
        transport = _SocketTransport(accepted)
        connection.connection_made(transport)
        loop = asyncio.get_running_loop()
        loop.call_soon(self._hand_over, connection, transport)  # runs once the script is over

    def _hand_over(self, connection, transport: "_SocketTransport") -> None:
        if transport.handed_over:
            return
        transport.handed_over = True
        loop = asyncio.get_running_loop()
        loop.create_task(loop.connect_accepted_socket(lambda: _HandOver(connection, transport), transport.sock))


def _read(connection) -> bytes | None:
    transport = connection.transport
    if isinstance(transport, _SocketTransport):
        fd = transport.sock.fileno()
    else:
        sock = transport.get_extra_info("socket") if transport is not None else None
        if sock is None:
            return None
        fd = sock.fileno()
    try:
        return os.read(fd, READ_SIZE)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return None


class _SocketTransport:
    """Enough of an asyncio transport for a Connection accepted while the loop was blocked."""

    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.unsent = bytearray()
        self.closed = False
        self.handed_over = False

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        if not self.unsent:
            try:
                data = data[self.sock.send(data):]
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self.closed = True
                return
        self.unsent += data

    def writelines(self, parts) -> None:
        self.write(b"".join(parts))

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.closed = True
        self.unsent.clear()

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def get_write_buffer_size(self) -> int:
        return len(self.unsent)

    def get_extra_info(self, name: str, default=None):
        try:
            if name == "socket":
                return self.sock
            if name == "peername":
                return self.sock.getpeername()
            if name == "sockname":
                return self.sock.getsockname()
        except OSError:
            return default
        return default


class _HandOver(asyncio.Protocol):
    """The loop's protocol for a connection accepted while blocked: the existing Connection carries on."""

    def __init__(self, connection, previous: _SocketTransport):
        self.connection = connection
        self.previous = previous

    def connection_made(self, transport) -> None:
        self.connection.transport = transport
        if self.previous.unsent:
            transport.write(bytes(self.previous.unsent))
        if self.previous.closed or self.connection.closing:
            transport.close()

    def data_received(self, data: bytes) -> None:
        self.connection.data_received(data)

    def eof_received(self):
        return self.connection.eof_received()

    def connection_lost(self, exc) -> None:
        self.connection.connection_lost(exc)

    def pause_writing(self) -> None:
        self.connection.pause_writing()

    def resume_writing(self) -> None:
        self.connection.resume_writing()
