"""One asyncio.Protocol per client connection: bytes in -> commands -> replies out, one write per read."""

import asyncio
import logging
import socket
import time
from typing import TYPE_CHECKING, cast

from ..commands.pubsub import unsubscribe_all
from ..commands.transactions import unwatch_all
from ..engine.client import Client
from ..engine.core import BLOCKED, Wait
from ..errors import ProtocolViolation
from ..observability.logs import VERBOSE
from ..protocol.reader import QueryBufferExceeded, RequestLimits, RequestReader

if TYPE_CHECKING:
    from .accept import SocketTransport
    from .app import RedisLiteServer

log = logging.getLogger("redislite.connection")

YIELD_AFTER_BYTES = 65536  # a read this large hands the loop to the other clients before the next one


class Connection(asyncio.Protocol):
    """One client's connection, from when it is accepted (server/accept.py, which sets it up on a socket-backed
    transport of its own) until it is lost. The loop's transport takes over in connection_made."""

    def __init__(self, server: "RedisLiteServer", transport: "SocketTransport", tls: bool = False):
        self.server = server
        state = self.state = server.state
        self.stats = state.stats
        self.engine = server.engine
        self.execute = server.engine.execute
        self.transport: asyncio.Transport | SocketTransport = transport
        self.waiting: list = []  # commands parsed while the client waits (CLIENT PAUSE, BLPOP ...)
        self.block_timer: asyncio.TimerHandle | None = None  # the timeout of a blocking command
        self.pending: list | None = None  # the replies being collected by run(), while it runs
        self.soft_limit_since: float | None = None  # when the output buffer went over its soft limit
        self.unsent: list[bytes] | None = None  # replies of this loop turn, written at its end (see send)
        self.closing = False
        self.tls = tls  # accepted on the tls-port (busy.py cannot read its socket itself)
        self.writing_paused = False  # back-pressure: the client is not reading its replies
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            _tune_socket(sock, state.config.tcp_keepalive)
        config = state.config
        self.reader = RequestReader(RequestLimits(config.proto_max_bulk_len, config.client_query_buffer_limit))
        # (the client's authentication state sets the reader's limits: authentication_changed)
        self.client = Client(
            state,
            self,
            addr=_format_addr(transport.get_extra_info("peername")),
            laddr=_format_addr(transport.get_extra_info("sockname")),
            fd=sock.fileno() if sock is not None else -1,
        )
        state.clients[self.client.id] = self.client
        # verbose, as Redis logs "Accepted": one line per connection would flood the default level
        log.log(VERBOSE, "client_connected", extra={"client_id": self.client.id, "addr": self.client.addr})

    # -- asyncio callbacks -----------------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        """The loop's transport takes over from accept.py's; what that one could not send yet goes through it."""
        accepted = cast("SocketTransport", self.transport)  # the one __init__ was given
        self.transport = transport
        accepted.pass_on(transport)
        if self.closing and self.unsent is None and not transport.is_closing():
            transport.close()

    def connection_lost(self, exc) -> None:
        client = self.client
        self.state.clients.pop(client.id, None)
        log.log(VERBOSE, "client_disconnected", extra={"client_id": client.id, "addr": client.addr})
        if client.blocked_on is not None:
            self.server.engine.unblock(client)
            if self.block_timer is not None:
                self.block_timer.cancel()
        if client.monitor:
            self.state.monitors.remove(client)
        if client.watching:
            unwatch_all(client)
        if client.subscribed:
            unsubscribe_all(client)
        if client.tracking is not None:
            self.state.tracking.disable(client)
        if client.replica is not None:
            self.server.master_side.detach(client.replica)
        self.closing = True
        # Free what this connection holds now, not when the cyclic garbage collector next runs (a partial
        # command can be proto-max-bulk-len): the parser with its buffers, queued replies, and the client's
        # links back to us.
        del self.reader
        self.waiting = []
        self.unsent = None
        self.server.over_soft_limit.discard(self)
        client.detach()

    def data_received(self, data: bytes) -> None:
        if self.closing:
            return
        size = len(data)
        self.stats.net_input_bytes += size
        commands = self.waiting
        try:
            self.reader.parse(data, commands)
        except ProtocolViolation as violation:
            if not self.client.blocked:
                self.run(commands)
            self.send(b"-%s\r\n" % violation.message)
            self.kill()
            return
        except QueryBufferExceeded:
            self.state.stats.client_query_buffer_limit_disconnections += 1
            log.warning("client_query_buffer_limit", extra={"client_id": self.client.id})
            self.transport.abort()
            return
        except Exception:  # a reader bug: this client gets an error and is closed, the server lives
            log.exception("request_unreadable", extra={"client_id": self.client.id})
            self.send(b"-ERR internal error\r\n")
            self.kill()
            return
        if commands and not self.client.blocked:
            self.run(commands)
        if size >= YIELD_AFTER_BYTES and not self.closing:
            # libuv reads a socket up to 32 times in a row: a client pipelining without pause held the loop
            # for seconds (a PING waited 7 s). Let the other clients have their turn before reading it again.
            self.transport.pause_reading()
            self.server.loop.call_soon(self.resume_after_yield)

    def resume_after_yield(self) -> None:
        if not self.closing and not self.writing_paused:
            self.transport.resume_reading()

    def pause_writing(self) -> None:
        self.writing_paused = True
        self.transport.pause_reading()  # back-pressure: stop reading while the client isn't reading

    def resume_writing(self) -> None:
        self.writing_paused = False
        if not self.closing:
            self.transport.resume_reading()

    # -- running commands ------------------------------------------------------------------------------

    def run(self, commands: list, out: list | None = None) -> None:
        """Execute parsed commands in order; their replies (after any already in `out`) are queued for the end
        of this loop turn (see send)."""
        client = self.client
        execute = self.execute
        if out is None:
            out = []
        self.pending = out  # pub/sub messages for this client, raised by these commands, go in order
        append = out.append
        reply = None
        try:
            # Several commands from one read may build more output than the client may queue: then their
            # replies are watched as they come (a single reply is checked once it is written).
            for argv in (
                self.within_output_limits(commands, out)
                if len(commands) > 1 and self.output_limits() is not None
                else commands
            ):
                reply = execute(client, argv)
                # the encoders are read per command (HELLO and CLIENT REPLY change them); a Wait has none
                append(client.replies[reply.__class__](reply))
                if self.closing:
                    break
            else:
                if self.waiting:
                    self.waiting = []
        except KeyError:
            if reply.__class__ is Wait:
                self.wait(commands, argv, reply)
            else:
                self.failed(client, out)
        except Exception:
            self.failed(client, out)
        self.pending = None
        client.last_interaction_ms = client.now_ms
        if out:
            aof = self.engine.aof  # replies wait until this turn's changes are in the AOF
            if aof is not None and aof.hold(self, out):
                return
            unsent = self.unsent  # send_all, inlined
            if unsent is None:
                self.unsent = out
                self.server.want_write(self)
                return  # write_unsent closes a closing connection after the write
            unsent.extend(out)
        if self.closing and self.unsent is None and not self.transport.is_closing():
            self.transport.close()

    def failed(self, client, out: list) -> None:
        """A bug outside any handler: this client gets an error and is closed, the server lives."""
        log.exception("connection_failed", extra={"client_id": client.id})
        out.append(b"-ERR internal error\r\n")
        self.waiting = []
        self.closing = True

    # -- waiting: CLIENT PAUSE, and blocking commands --------------------------------------------------

    def wait(self, commands: list, argv: list[bytes], reply: Wait) -> None:
        """argv must wait: paused (retried later, with what follows it) or parked (what follows it runs after
        its reply)."""
        index = next(i for i, queued in enumerate(commands) if queued is argv)  # by identity: repeats are equal
        if reply is BLOCKED:
            self.waiting = commands[index:]
            self.block()
        else:
            self.waiting = commands[index + 1 :]
            self.start_block_timer()

    def block(self) -> None:
        """Wait until the pause ends, then run what was queued."""
        self.client.blocked = True
        delay = max(self.state.pause_until_ms - self.state.clock_ms(), 0) / 1000
        asyncio.get_running_loop().call_later(delay, self.unblock)

    def unblock(self) -> None:
        if self.client.blocked_on is not None:
            return  # the pause is over, but a later blocking command is waiting for keys
        self.client.blocked = False
        if not self.closing and self.waiting:
            commands, self.waiting = self.waiting, []
            self.run(commands)

    def start_block_timer(self) -> None:
        blocked_on = self.client.blocked_on  # (the engine has just parked the command)
        if blocked_on is not None and blocked_on.timeout_ms:
            self.block_timer = asyncio.get_running_loop().call_later(blocked_on.timeout_ms / 1000, self.block_timed_out)

    def block_timed_out(self) -> None:
        self.block_timer = None
        was_blocked, reply = self.server.engine.unblock(self.client)
        if was_blocked:
            self.resume(reply)

    def resume(self, reply) -> None:
        """A blocking command got its reply (served, timed out, CLIENT UNBLOCK): send it, then carry on."""
        if self.block_timer is not None:
            self.block_timer.cancel()
            self.block_timer = None
        if self.closing:
            return
        out = [self.client.replies[reply.__class__](reply)]
        commands, self.waiting = self.waiting, []
        self.run(commands, out)

    # -- used by commands through Client --------------------------------------------------------------

    def authentication_changed(self, authenticated: bool) -> None:
        self.reader.limits.authenticated = authenticated

    def close_after_reply(self) -> None:
        self.closing = True

    def deliver(self, payload: bytes) -> None:
        """A pub/sub message: after the replies already due, then subject to client-output-buffer-limit."""
        if self.closing:
            return
        if self.pending is not None:
            self.pending.append(payload)
            return
        self.send(payload)

    def output_limits(self) -> tuple[int, int, int] | None:
        """client-output-buffer-limit for this client's class: (hard, soft, soft seconds), None when unlimited."""
        client = self.client
        kind = "slave" if client.kind == "replica" else "pubsub" if client.subscribed else "normal"
        limits = self.engine.output_limits[kind]
        return limits if limits[0] or limits[1] else None

    def within_output_limits(self, commands: list, out: list):
        """The commands, one at a time, while the output they build stays within the client's limits (Redis
        checks as each reply is added: closeClientOnOutputBufferLimitReached). Once past them the client is
        disconnected and the rest are not run."""
        queued = self.transport.get_write_buffer_size() + sum(map(len, self.unsent or ()))
        counted = len(out)
        for argv in commands:
            yield argv
            queued += sum(map(len, out[counted:]))  # its reply, and pub/sub messages it sent this client
            counted = len(out)
            hard, soft, _ = self.output_limits() or (0, 0, 0)
            if (hard and queued > hard) or (soft and queued > soft):
                if self.check_output_limit(queued):
                    out.clear()  # never written: the client is gone
                    self.waiting = []
                    return
            elif self.soft_limit_since is not None:
                self.check_output_limit(queued)  # back under: the soft limit's clock stops

    def check_output_limit(self, size: int | None = None) -> bool:
        """Redis's checkClientOutputBufferLimits: past the hard limit, or over the soft one for longer than
        its seconds, the client is disconnected (a slow subscriber must not grow the server without bound).
        `size` is what the client has queued (by default, what the transport holds); True if disconnected."""
        if self.closing and self.transport.is_closing():
            return True  # disconnected already (counted once)
        limits = self.output_limits()
        if limits is None:
            return False
        hard, soft, seconds = limits
        if size is None:
            size = self.transport.get_write_buffer_size()
        since = self.soft_limit_since
        if soft and size > soft:
            if since is None:
                since = self.soft_limit_since = time.monotonic()
                self.server.over_soft_limit.add(self)  # the cron looks again even if no reply comes
            over_soft_too_long = time.monotonic() - since > seconds
        else:
            over_soft_too_long = False
            if since is not None:
                self.soft_limit_since = None
                self.server.over_soft_limit.discard(self)
        if (hard and size > hard) or over_soft_too_long:
            log.warning("client_output_buffer_limit", extra={"client_id": self.client.id, "bytes": size})
            self.state.stats.client_output_buffer_limit_disconnections += 1
            self.closing = True
            self.unsent = None
            self.server.over_soft_limit.discard(self)
            self.transport.abort()
            return True
        return False

    def has_pending_output(self) -> bool:
        """Replies not yet written: queued, or of the commands before this one in the same read."""
        return bool(self.unsent or self.pending)

    def send_raw(self, payload: bytes) -> None:
        if not self.transport.is_closing():
            self.send(payload)

    # -- writing: as Redis's handleClientsWithPendingWrites, replies leave once per loop turn --------------

    def send(self, payload: bytes) -> None:
        """Queue bytes for this connection; the server writes every connection's queue at the end of the
        loop turn (one write each). Fewer wake-ups of the clients while the server still has work measured
        faster (benchmarks/README.md)."""
        unsent = self.unsent
        if unsent is None:
            self.unsent = [payload]
            self.server.want_write(self)
        else:
            unsent.append(payload)

    def send_all(self, payloads: list) -> None:
        """send() for a list of replies (run's), which becomes the queue when nothing is queued yet."""
        unsent = self.unsent
        if unsent is None:
            self.unsent = payloads
            self.server.want_write(self)
        else:
            unsent.extend(payloads)

    def write_unsent(self) -> None:
        unsent, self.unsent = self.unsent, None
        transport = self.transport
        if unsent and not transport.is_closing():
            data = b"".join(unsent)  # one item comes back as itself
            self.stats.net_output_bytes += len(data)
            transport.write(data)
            if transport.get_write_buffer_size():  # the client is not keeping up
                self.check_output_limit()
        if self.closing and not transport.is_closing():
            transport.close()

    def kill(self, abort: bool = False) -> None:
        """Close after what is queued is sent, or at once, dropping it (`abort`: a peer that stopped reading)."""
        self.closing = True
        if abort:
            self.unsent = None
            self.transport.abort()
            return
        if self.unsent is not None:
            self.write_unsent()
        self.transport.close()


def _tune_socket(sock, keepalive: int) -> None:
    """TCP_NODELAY and tcp-keepalive. As in Redis (which ignores what anetKeepAlive reports), an option the
    kernel refuses (TCP_KEEPIDLE above 32767 on Linux) is only logged: the client is served all the same."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except OSError as error:
        log.log(VERBOSE, "socket_option_refused", extra={"option": "TCP_NODELAY", "error": error.strerror})
    if keepalive:
        try:
            _set_keepalive(sock, keepalive)
        except OSError as error:
            log.log(
                VERBOSE,
                "socket_option_refused",
                extra={"option": "tcp-keepalive", "value": keepalive, "error": error.strerror},
            )


def _set_keepalive(sock, interval: int) -> None:
    """tcp-keepalive, as Redis's anetKeepAlive sets it (stopping at the first refusal): probes after `interval`
    idle seconds."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
    if hasattr(socket, "TCP_KEEPIDLE"):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, interval)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, max(interval // 3, 1))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 3)


def _format_addr(addr) -> str:
    if not addr:
        return ""
    if isinstance(addr, tuple):
        return f"{addr[0]}:{addr[1]}"
    return str(addr)
