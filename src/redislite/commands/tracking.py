"""Client-side caching: CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR, CLIENT TRACKINGINFO, and the
tracking table behind them (Redis's tracking.c).

Default mode: the keys a tracking client reads are remembered (key -> client ids, across databases, as in
Redis); the first change to such a key sends each of them one invalidation and forgets the key. BCAST mode:
every change to a key under one of the client's prefixes is collected and sent once per event-loop turn,
keys sorted, as Redis's beforeSleep does. OPTIN / OPTOUT make remembering depend on CLIENT CACHING before
the read; NOLOOP skips the client's own changes. Invalidations go to the client itself as RESP3 pushes, or
to its REDIRECT target, which in RESP2 gets them as messages on `__redis__:invalidate`. A client's own
invalidations are sent after the reply of the command that caused them.

The engine calls `after_command` after every command while any client tracks.
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK, Push, SetReply
from .connection import on_reset
from .args import parse_int
from .registry import command

INVALIDATE_CHANNEL = b"__redis__:invalidate"
FLUSH = object()  # an invalidation of everything (FLUSHDB, FLUSHALL): sent as a null


class TrackingMode:
    """One client's CLIENT TRACKING options."""

    __slots__ = ("bcast", "optin", "optout", "noloop", "redirect", "prefixes", "caching", "broken")

    def __init__(self):
        self.bcast = self.optin = self.optout = self.noloop = self.caching = self.broken = False
        self.redirect = 0
        self.prefixes: list[bytes] = []


class Tracking:
    def __init__(self, state):
        self.state = state
        self.keys: dict[bytes, set[int]] = {}  # key -> ids of the clients that read it
        self.prefixes: dict[bytes, dict] = {}  # BCAST prefix -> {client: None}
        self.broadcast_due: dict[bytes, dict] = {}  # BCAST prefix -> {changed key: client that changed it}
        self.clients = 0  # how many clients track (the engine looks only while there are some)
        self.schedule = None  # set by the server: run `flush_broadcasts` at the end of this loop turn
        self.flush_scheduled = False

    # -- enabling ----------------------------------------------------------------------------------------

    def enable(self, client, mode: TrackingMode, new_prefixes: list[bytes]) -> None:
        if client.tracking is None:
            self.clients += 1
            if self.clients == 1:
                self.state.engine.observers_changed()  # expired keys invalidate too
        client.tracking = mode
        if mode.bcast:
            for prefix in new_prefixes or ([] if mode.prefixes else [b""]):
                mode.prefixes.append(prefix)
                self.prefixes.setdefault(prefix, {})[client] = None

    def disable(self, client) -> None:
        mode = client.tracking
        if mode is None:
            return
        for prefix in mode.prefixes:
            subscribers = self.prefixes.get(prefix)
            if subscribers is not None:
                subscribers.pop(client, None)
                if not subscribers:
                    del self.prefixes[prefix]
                    self.broadcast_due.pop(prefix, None)
        client.tracking = None
        self.clients -= 1
        if not self.clients:
            self.state.engine.observers_changed()

    # -- the engine's hook ---------------------------------------------------------------------------------

    def after_command(self, client, command, argv: list[bytes], changed: list[bytes], reads: int) -> None:
        """Remember what a tracking client read; invalidate the keys a command changed. A script's commands
        count as its caller's, as in Redis."""
        client = client.script_caller or client
        mode = client.tracking
        if mode is not None:
            if reads and not mode.bcast and (mode.caching if mode.optin else not (mode.optout and mode.caching)):
                client_id = client.id
                for index in command.spec.key_positions(argv):
                    self.keys.setdefault(argv[index], set()).add(client_id)
            if mode.caching and client.multi is None and not command.name.startswith("client|"):
                mode.caching = False  # CLIENT CACHING applies to the next command only
        if command.name in ("flushdb", "flushall"):
            self.invalidate_all(client)
        for key in changed:
            self.invalidate(key, client)

    def invalidate(self, key: bytes, current=None) -> None:
        """trackingInvalidateKey: `current` is the client whose command changed the key (NOLOOP, and
        its own invalidations wait for its reply)."""
        for prefix, subscribers in self.prefixes.items():
            if key.startswith(prefix) and subscribers:
                self.broadcast_due.setdefault(prefix, {})[key] = current
                if not self.flush_scheduled:
                    self.flush_scheduled = True
                    if self.schedule is not None:
                        self.schedule()
        if self.flush_scheduled and self.schedule is None:
            self.flush_broadcasts()
        client_ids = self.keys.pop(key, None)
        if not client_ids:
            return
        clients = self.state.clients
        for client_id in client_ids:
            target = clients.get(client_id)
            if target is None or target.tracking is None or target.tracking.bcast:
                continue
            if target is current and target.tracking.noloop:
                continue
            self.send(target, [key], current)

    def invalidate_all(self, current=None) -> None:
        """FLUSHDB / FLUSHALL: every tracking client gets a null invalidation; the table is dropped."""
        for client in list(self.state.clients.values()):
            if client.tracking is not None:
                self.send(client, FLUSH, current)
        self.keys.clear()

    def flush_broadcasts(self) -> None:
        """Send the BCAST invalidations collected this loop turn: per prefix and client, its keys sorted,
        without the ones the client changed itself when it asked for NOLOOP."""
        due, self.broadcast_due = self.broadcast_due, {}
        self.flush_scheduled = False
        for prefix, changed in due.items():
            for client in list(self.prefixes.get(prefix, ())):
                keys = sorted(key for key, changer in changed.items()
                              if not (client.tracking.noloop and changer is client))
                if keys:
                    self.send(client, keys, None)

    # -- delivery ------------------------------------------------------------------------------------------

    def send(self, client, keys, current) -> None:
        """sendTrackingMessage: to the client or its redirect target; RESP3 push, or a message on
        __redis__:invalidate for a RESP2 target that has subscriptions; otherwise nothing can be sent."""
        mode = client.tracking
        target = client
        if mode.redirect:
            target = self.state.clients.get(mode.redirect)
            if target is None:
                mode.broken = True
                if client.resp > 2:
                    self.push(client, client.encoder.encode(Push([b"tracking-redir-broken", mode.redirect])),
                              current)
                return
        payload = None if keys is FLUSH else keys
        if target.resp > 2:
            encoded = target.encoder.encode(Push([b"invalidate", payload]))
        elif mode.redirect and target.subscribed:
            encoded = target.encoder.encode(Push([b"message", INVALIDATE_CHANNEL, payload]))
        else:
            return
        self.push(target, encoded, current)

    @staticmethod
    def push(target, encoded: bytes, current) -> None:
        if target is current:
            target.deferred_pushes.append(encoded)  # after the reply of the command running now
        else:
            target.push(encoded)


@on_reset
def stop_tracking(ctx) -> None:
    ctx.server.tracking.disable(ctx)


# -- the commands ---------------------------------------------------------------------------------------


def overlapping(first: bytes, second: bytes) -> bool:
    return first.startswith(second) or second.startswith(first)


def check_prefixes(mode: TrackingMode | None, prefixes: list[bytes]) -> None:
    """checkPrefixCollisionsOrReply: a client's prefixes must not overlap, old or new."""
    for index, prefix in enumerate(prefixes):
        for existing in (mode.prefixes if mode is not None else []):
            if overlapping(existing, prefix):
                raise CommandError(b"ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single "
                                   b"client must not overlap." % (prefix, existing))
        for other in prefixes[index + 1:]:
            if overlapping(prefix, other):
                raise CommandError(b"ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a "
                                   b"single client must not overlap." % (prefix, other))


@command("client|tracking", arity=-3, flags="noscript loading stale", group="connection", since="6.0.0",
         complexity="O(1). Some options may introduce additional complexity.")
def client_tracking_command(ctx, argv):
    """CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT] [NOLOOP] — Enable or disable server assisted client side caching support"""
    mode, prefixes = TrackingMode(), []
    pos = 3
    while pos < len(argv):
        option = argv[pos].lower()
        more = pos + 1 < len(argv)
        if option == b"redirect" and more:
            pos += 1
            if mode.redirect:
                raise CommandError(b"ERR A client can only redirect to a single other client")
            redirect = parse_int(argv[pos])
            if redirect is None:
                raise CommandError(errors.NOT_INTEGER)
            if redirect not in ctx.server.clients:
                raise CommandError(b"ERR The client ID you want redirect to does not exist")
            mode.redirect = redirect
        elif option in (b"bcast", b"optin", b"optout", b"noloop"):
            setattr(mode, option.decode(), True)
        elif option == b"prefix" and more:
            pos += 1
            prefixes.append(argv[pos])
        else:
            raise CommandError(errors.SYNTAX)
        pos += 1
    switch = argv[2].lower()
    tracking = ctx.server.tracking
    if switch == b"off":
        tracking.disable(ctx)
        return OK
    if switch != b"on":
        raise CommandError(errors.SYNTAX)
    current = ctx.tracking
    if not mode.bcast and prefixes:
        raise CommandError(b"ERR PREFIX option requires BCAST mode to be enabled")
    if current is not None and current.bcast != mode.bcast:
        raise CommandError(b"ERR You can't switch BCAST mode on/off before disabling tracking for this client, "
                           b"and then re-enabling it with a different mode.")
    if mode.bcast and (mode.optin or mode.optout):
        raise CommandError(b"ERR OPTIN and OPTOUT are not compatible with BCAST")
    if mode.optin and mode.optout:
        raise CommandError(b"ERR You can't specify both OPTIN mode and OPTOUT mode")
    if current is not None and ((mode.optin and current.optout) or (mode.optout and current.optin)):
        raise CommandError(b"ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
                           b"and then re-enabling it with a different mode.")
    if mode.bcast:
        check_prefixes(current, prefixes)
    if current is not None:
        mode.prefixes = current.prefixes  # enabling again keeps the prefixes and adds the new ones
    tracking.enable(ctx, mode, prefixes)
    return OK


@command("client|caching", arity=3, flags="noscript loading stale", group="connection", since="6.0.0",
         complexity="O(1)")
def client_caching_command(ctx, argv):
    """CLIENT CACHING <YES | NO> — Instruct the server about tracking or not keys in the next request"""
    mode = ctx.tracking
    if mode is None:
        raise CommandError(b"ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN "
                           b"or OPTOUT mode enabled")
    answer = argv[2].lower()
    if answer == b"yes":
        if not mode.optin:
            raise CommandError(b"ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
    elif answer == b"no":
        if not mode.optout:
            raise CommandError(b"ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
    else:
        raise CommandError(errors.SYNTAX)
    mode.caching = True
    return OK


@command("client|getredir", arity=2, flags="noscript loading stale", group="connection", since="6.0.0",
         complexity="O(1)")
def client_getredir_command(ctx, argv):
    """CLIENT GETREDIR — Get tracking notifications redirection client ID if any"""
    return -1 if ctx.tracking is None else ctx.tracking.redirect


@command("client|trackinginfo", arity=2, flags="noscript loading stale", group="connection", since="6.2.0",
         complexity="O(1)")
def client_trackinginfo_command(ctx, argv):
    """CLIENT TRACKINGINFO — Return information about server assisted client side caching for the current connection"""
    mode = ctx.tracking
    if mode is None:
        return {b"flags": SetReply([b"off"]), b"redirect": -1, b"prefixes": []}
    flags = [b"on"]
    flags += [name for name, on in ((b"bcast", mode.bcast), (b"optin", mode.optin), (b"optout", mode.optout),
                                    (b"caching-yes", mode.optin and mode.caching),
                                    (b"caching-no", mode.optout and mode.caching), (b"noloop", mode.noloop),
                                    (b"broken_redirect", mode.broken)) if on]
    return {b"flags": SetReply(flags), b"redirect": mode.redirect,
            b"prefixes": sorted(mode.prefixes)}
