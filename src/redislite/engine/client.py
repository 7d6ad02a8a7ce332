"""Per-connection state that command handlers see as `ctx`."""

from typing import TYPE_CHECKING

from ..commands.context import ClientConnection
from ..protocol.encoder import RESP2, RESP3

if TYPE_CHECKING:
    from ..commands.context import AttachedReplica, Context
    from ..commands.tracking import TrackingMode
    from ..storage.acl import User
    from .blocking import BlockedOn
    from .state import ServerState


class Client:
    """One client: its database, protocol version, name and flags. The connection (socket side) is
    optional, so the HTTP API, Lua and tests can run commands with a Client of their own. Implements
    commands/context.py's Context."""

    def __init__(
        self,
        server: "ServerState",
        connection: ClientConnection | None = None,
        addr: str = "",
        laddr: str = "",
        fd: int = -1,
    ):
        self.id = server.next_client_id()
        self.server = server
        self.connection = connection
        self.addr = addr
        self.laddr = laddr
        self.fd = fd
        self.db_index = 0
        self.db = server.databases[0]
        self.resp = 2
        self.encoder = RESP2
        self.name = b""
        self.lib_name = b""
        self.lib_ver = b""
        self.gated = False  # True when Engine.execute must run its per-client checks (auth, ACL, MULTI)
        self._authenticated = True
        self.multi: list | None = None  # MULTI: the queued commands; None outside a transaction
        self.subscribed = False  # has pub/sub subscriptions (RESP2 then allows only a few commands)
        self._user = server.acl.default
        self.acl_limited = not self._user.unrestricted  # the user's rules must be checked at the gate
        self.authenticated = server.acl.default_logs_in
        self.created_ms = server.clock_ms()
        self.last_interaction_ms = self.created_ms
        self.now_ms = self.created_ms
        self.last_command = "NULL"
        self.replies = RESP2.by_type  # the encoders for this client's replies (class -> function): see reply_mode
        self.reply_mode = "on"  # CLIENT REPLY: on | off | skip_next (set by SKIP) | skip (this reply)
        self.no_evict = False
        self.touch = True  # whether this client's commands update keys' access times (CLIENT NO-TOUCH)
        self.monitor = False
        self.kind = "normal"  # normal | replica | master | pubsub (CLIENT LIST type, CLIENT KILL TYPE)
        self.blocked = False  # waiting: CLIENT PAUSE, or a blocking command (then blocked_on says for what)
        self.blocked_on: BlockedOn | None = None
        self.multi_error = False  # a command was refused while queuing: EXEC answers EXECABORT
        self.watching: list = []  # WATCH: (Database, key) pairs
        self.dirty_cas = False  # a watched key changed: EXEC answers a null array
        self.atomic = False  # running inside EXEC or a script: no blocking, no pause, waiters served after
        self.exec_parts: list | None = None  # the encoded EXEC reply being built
        self.tracking: TrackingMode | None = None  # CLIENT TRACKING options, None when off
        self.script_caller: Context | None = None  # for the scripts' own client: the client whose script runs
        self.deferred_pushes: list[bytes] = []  # invalidations of this client's own changes: after its reply
        self.propagate_instead: tuple | None = None  # what the running write propagates: see propagate_as
        self.woff = 0  # the replication offset after this client's last propagated write (WAIT waits for it)
        self.replica: AttachedReplica | None = None  # a replica of this server (replication/master.py)
        self.channels: dict = {}  # pub/sub subscriptions, ordered sets: channel / pattern -> None
        self.patterns: dict = {}
        self.shard_channels: dict = {}

    @property
    def no_touch(self) -> bool:
        return not self.touch

    @no_touch.setter
    def no_touch(self, value: bool) -> None:
        self.touch = not value

    @property
    def reply_mode(self) -> str:
        return self._reply_mode

    @reply_mode.setter
    def reply_mode(self, mode: str) -> None:
        self._reply_mode = mode
        # muted, every reply encodes as nothing (so the connection's loop tests nothing per reply)
        self.replies = self.encoder.by_type if mode == "on" else dict.fromkeys(self.encoder.by_type, self._mute)

    def _mute(self, _reply) -> bytes:
        """A reply that CLIENT REPLY silences; SKIP silences only the one after the CLIENT command."""
        if self._reply_mode == "skip":
            self.reply_mode = "on"
        elif self._reply_mode == "skip_next":
            self.reply_mode = "skip"
        return b""

    @property
    def authenticated(self) -> bool:
        return self._authenticated

    @authenticated.setter
    def authenticated(self, value: bool) -> None:
        # Kept in step here so the hot path tests one flag, and the connection applies Redis's stricter
        # request limits to clients that have not authenticated yet.
        self._authenticated = value
        self._update_gate()
        if self.connection is not None:
            self.connection.authentication_changed(value)

    @property
    def user(self) -> "User":
        return self._user

    @user.setter
    def user(self, user: "User") -> None:
        self._user = user
        self.acl_changed()

    def acl_changed(self) -> None:
        """The user's rules may have changed (ACL SETUSER, ACL LOAD): whether its commands must be checked."""
        self.acl_limited = not self._user.unrestricted
        self._update_gate()

    def _update_gate(self) -> None:
        self.gated = (
            not self._authenticated
            or self.multi is not None
            or (self.subscribed and self.resp == 2)
            or self.acl_limited
        )

    def pubsub_changed(self) -> None:
        self.subscribed = bool(self.channels or self.patterns or self.shard_channels)
        if self.kind in ("normal", "pubsub"):
            self.kind = "pubsub" if self.subscribed else "normal"
        self._update_gate()

    def push(self, payload: bytes) -> None:
        """An out-of-band message (pub/sub), already encoded for this client. While EXEC runs, messages
        to the client itself go into its reply, after the replies before them, as in Redis."""
        if self.exec_parts is not None:
            self.exec_parts.append(payload)
        elif self.connection is not None:
            self.connection.deliver(payload)

    def begin_multi(self) -> None:
        self.multi = []
        self.multi_error = False
        self._update_gate()

    def end_multi(self) -> None:
        self.multi = None
        self.multi_error = False
        self._update_gate()

    def propagate_as(self, *commands: list) -> None:
        """State what the running write sends to the AOF and replicas instead of its own arguments, where it
        parsed them (Redis's rewriteClientCommandVector; with no command, nothing: preventCommandPropagation).
        Only commands that changed data propagate (the engine compares the dirty counter)."""
        self.propagate_instead = commands

    def select(self, index: int) -> None:
        self.db_index = index
        self.db = self.server.databases[index]

    def set_protocol(self, version: int) -> None:
        self.resp = version
        self.encoder = RESP3 if version == 3 else RESP2
        self.reply_mode = self.reply_mode  # picks the new encoders
        self._update_gate()

    def detach(self) -> None:
        """The connection is gone: drop the links that make cycles (client <-> connection, and the bound
        method in CLIENT REPLY's muted table), so the two are freed at once rather than by the cyclic GC."""
        self.connection = None
        self.replies = self.encoder.by_type

    def close(self) -> None:
        """Disconnect after pending replies are written (QUIT, CLIENT KILL)."""
        if self.connection is not None:
            self.connection.close_after_reply()
