"""Accepting connections: the server accepts them itself, and a connection's client exists from the moment it is
accepted, as in Redis (acceptTcpHandler creates the client at once).

The loop's own accept (create_server) ran the protocol's `connection_made` on a later loop turn: a script that
started in between held the loop while the new connection had no client yet, so busy.py could not see it and
its SCRIPT KILL was never read (with `while true do end`, the server was wedged for good). Here the listening
sockets are read by `Acceptor.accept` (a loop reader, and busy.py while a script holds the loop), which sets up
the Connection and its client on a small socket-backed transport right away, then hands the socket to the
loop: the loop's transport takes over in `Connection.connection_made` once the loop runs again. Until then
busy.py reads and writes the socket itself. Commands never see the difference: the loop's transport is the same
as before, only its creation moved.
"""

import asyncio
import errno
import logging
import socket
import ssl
from typing import TYPE_CHECKING

from .. import errors
from ..engine.security import protected_mode_refuses
from .connection import Connection

if TYPE_CHECKING:
    from .app import RedisLiteServer

log = logging.getLogger("redislite.server")

ACCEPTS_PER_CALL = 1000  # as Redis's MAX_ACCEPTS_PER_CALL: then the loop serves the others
ACCEPT_RETRY_S = 1.0  # out of descriptors (or memory): accepting pauses this long instead of spinning
OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)


# an optional (`-`) bind address is skipped when the machine lacks it or its protocol (Redis's anetTcpServer)
OPTIONAL_BIND_ERRORS = (
    errno.EADDRNOTAVAIL,
    errno.EAFNOSUPPORT,
    errno.EPROTONOSUPPORT,
    errno.ESOCKTNOSUPPORT,
    errno.EPFNOSUPPORT,
    errno.ENOPROTOOPT,
)
ANY_ADDRESS = {"*": "0.0.0.0", "::*": "::"}  # bind's wildcards: every IPv4, every IPv6 interface


def bind_addresses(bind: str) -> list[tuple[str | None, bool]]:
    """The `bind` setting as (host, optional) pairs: `-` marks an address that may be missing, `*` and `::*`
    mean every IPv4 / IPv6 interface; an empty setting means every interface (host None)."""
    addresses: list[tuple[str | None, bool]] = []
    for word in bind.split():
        optional = word.startswith("-")
        host = word.removeprefix("-")
        addresses.append((ANY_ADDRESS.get(host, host), optional))
    return addresses or [(None, False)]


def listening_sockets(addresses: list[tuple[str | None, bool]], port: int, backlog: int) -> list[socket.socket]:
    """Bound, listening, non-blocking sockets for each (host, optional) address (host None: every interface),
    as the loop's create_server binds them (SO_REUSEADDR; IPv6 sockets only IPv6); OSError says which address
    failed. An optional address the machine does not have is skipped."""
    sockets: list[socket.socket] = []
    seen = set()
    try:
        for host, optional in addresses:
            try:
                infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
            except socket.gaierror as error:
                if optional:
                    continue
                raise OSError(error.errno, f"error while attempting to bind on address {host!r}: {error}") from None
            for family, kind, proto, _, address in infos:
                if (family, address) in seen:
                    continue
                seen.add((family, address))
                sock = _bound_socket(family, kind, proto, address, optional)
                if sock is None:
                    continue
                sockets.append(sock)
                sock.listen(backlog)
                sock.setblocking(False)
        if not sockets:
            raise OSError(errno.EADDRNOTAVAIL, f"failed listening on port {port} (TCP): no bind address is available")
    except BaseException:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def _bound_socket(family, kind, proto, address, optional: bool) -> socket.socket | None:
    """A socket bound to `address`; None when the address is optional and unavailable."""
    try:
        sock = socket.socket(family, kind, proto)
    except OSError as error:
        if optional and error.errno in OPTIONAL_BIND_ERRORS:
            return None
        raise
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if optional and error.errno in OPTIONAL_BIND_ERRORS:
            log.warning("bind_skipped", extra={"address": address[0], "error": error.strerror})
            return None
        raise OSError(
            error.errno,
            f"error while attempting to bind on address {address!r}: {(error.strerror or '').lower()}",
        ) from None
    return sock


class Acceptor:
    """The listening sockets of one server on one port, and what accepts from them; `tls`: the tls-port's, whose
    connections do the TLS handshake before the loop's (TLS) transport takes over."""

    def __init__(self, server: "RedisLiteServer", sockets: list[socket.socket], tls: bool = False):
        self.server = server
        self.sockets = sockets
        self.tls = tls
        self.handshakes: set[asyncio.Task] = set()  # TLS handshakes under way (stop() cancels them)
        # the timer that resumes accepting after running out of descriptors
        self.retry: asyncio.TimerHandle | None = None

    def start(self) -> None:
        loop = self.server.loop
        for sock in self.sockets:
            loop.add_reader(sock.fileno(), self.accept, sock)

    def stop(self) -> None:
        loop = self.server.loop
        if self.retry is not None:
            self.retry.cancel()
            self.retry = None
        for sock in self.sockets:
            loop.remove_reader(sock.fileno())
            sock.close()
        self.sockets = []
        for task in list(self.handshakes):
            task.cancel()

    def accept_all(self) -> None:
        """Every connection waiting on any listener (busy.py: the loop cannot run its readers)."""
        for sock in self.sockets:
            self.accept(sock)

    def accept(self, listening: socket.socket) -> None:
        for _ in range(ACCEPTS_PER_CALL):
            try:
                sock, _ = listening.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as error:
                log.warning("accept_failed", extra={"error": str(error)})
                if error.errno in OUT_OF_RESOURCES:
                    self.pause()
                    return
                continue  # ECONNABORTED and the like: that connection is gone, the next may be fine
            self.adopt(sock)

    def pause(self) -> None:
        if self.retry is not None:
            return
        loop = self.server.loop
        for sock in self.sockets:
            loop.remove_reader(sock.fileno())
        self.retry = loop.call_later(ACCEPT_RETRY_S, self.resume)

    def resume(self) -> None:
        self.retry = None
        self.start()

    def adopt(self, sock: socket.socket) -> None:
        """Set up the connection and its client now; the loop takes the socket over on its next turns."""
        sock.setblocking(False)
        tls = self.tls
        transport = SocketTransport(sock, tls)
        state = self.server.state
        state.stats.connections_received += 1
        refusal = None  # refused: the error is written, the loop never sees the connection
        if len(state.clients) >= state.config.maxclients:
            refusal = errors.MAX_CLIENTS_REACHED
        elif protected_mode_refuses(state, _peer_host(sock)):
            refusal = errors.PROTECTED_MODE_DENIED
        if refusal is not None:
            state.stats.rejected_connections += 1
            transport.write(refusal)  # (not in plain text on the TLS port: only closed)
            sock.close()
            return
        connection = Connection(self.server, transport, tls)
        loop = self.server.loop
        if tls:
            task = loop.create_task(self.handshake(connection, sock))
            self.handshakes.add(task)
            task.add_done_callback(self.handshakes.discard)
        else:
            loop.create_task(loop.connect_accepted_socket(lambda: connection, sock))

    async def handshake(self, connection: Connection, sock: socket.socket) -> None:
        """The TLS handshake, then the loop's TLS transport takes over (connection_made). A client that fails it
        (plain text, no certificate or one the CA did not sign, a protocol tls-protocols leaves out) or does not
        finish it within tls-handshake-timeout is closed and its client forgotten; the reason is logged, as
        Redis logs "Error accepting a client connection"."""
        state = self.server.state
        try:
            await self.server.loop.connect_accepted_socket(
                lambda: connection,
                sock,
                ssl=state.tls.server,
                ssl_handshake_timeout=state.config.tls_handshake_timeout,
            )
        except (OSError, TimeoutError, ssl.SSLError) as error:
            log.warning(
                "tls_handshake_failed",
                extra={"client_id": connection.client.id, "addr": connection.client.addr, "error": describe(error)},
            )
            sock.close()  # (the loop has closed it already; this makes sure)
            connection.connection_lost(error)
        except asyncio.CancelledError:  # the server stops
            sock.close()
            connection.connection_lost(None)
            raise


def _peer_host(sock: socket.socket) -> str | None:
    try:
        peer = sock.getpeername()
    except OSError:
        return None
    return peer[0] if isinstance(peer, tuple) else None


class SocketTransport:
    """Enough of an asyncio transport for a Connection until the loop's transport takes over (a script may hold
    the loop meanwhile: busy.py reads the socket, and this writes at once)."""

    def __init__(self, sock: socket.socket, tls: bool = False):
        self.sock = sock
        self.unsent = bytearray()
        self.closed = False
        self.tls = tls  # a TLS connection's bytes wait for its TLS transport: the socket speaks TLS only

    def pass_on(self, transport) -> None:
        """The loop's transport takes over: what could not be sent yet goes through it."""
        if self.unsent:
            transport.write(bytes(self.unsent))
        if self.closed:
            transport.close()

    def write(self, data: bytes) -> None:
        if self.closed:
            return
        if not self.unsent and not self.tls:
            try:
                data = data[self.sock.send(data) :]
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


def describe(error: BaseException) -> str:
    """An accept-time failure in one line (a handshake timeout has no message of its own)."""
    if isinstance(error, TimeoutError):
        return "TLS handshake timed out"
    return str(error) or type(error).__name__
