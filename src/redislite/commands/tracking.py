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
from .args import ArgCursor, to_int
from .connection import on_reset
from .context import Argv, Context
from .registry import command

INVALIDATE_CHANNEL = b"__redis__:invalidate"
FLUSH = object()  # an invalidation of everything (FLUSHDB, FLUSHALL): sent as a null


class TrackingMode:
    """One client's CLIENT TRACKING options."""

    __slots__ = ("bcast", "broken", "caching", "noloop", "optin", "optout", "prefixes", "redirect")

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
                keys = sorted(
                    key for key, changer in changed.items() if not (client.tracking.noloop and changer is client)
                )
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
                    self.push(client, client.encoder.encode(Push([b"tracking-redir-broken", mode.redirect])), current)
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
def stop_tracking(ctx: Context) -> None:
    ctx.server.tracking.disable(ctx)


# -- the commands ---------------------------------------------------------------------------------------


def overlapping(first: bytes, second: bytes) -> bool:
    return first.startswith(second) or second.startswith(first)


def check_prefixes(mode: TrackingMode | None, prefixes: list[bytes]) -> None:
    """checkPrefixCollisionsOrReply: a client's prefixes must not overlap, old or new."""
    for index, prefix in enumerate(prefixes):
        for existing in mode.prefixes if mode is not None else []:
            if overlapping(existing, prefix):
                raise CommandError(errors.tracking_prefix_overlaps_existing(prefix, existing))
        for other in prefixes[index + 1 :]:
            if overlapping(prefix, other):
                raise CommandError(errors.tracking_prefixes_overlap(prefix, other))


@command(
    "client|tracking",
    arity=-3,
    flags="noscript loading stale",
    group="connection",
    since="6.0.0",
    complexity="O(1). Some options may introduce additional complexity.",
)
def client_tracking_command(ctx: Context, argv: Argv):
    """CLIENT TRACKING <ON | OFF> [REDIRECT client-id] [PREFIX prefix [PREFIX prefix ...]] [BCAST] [OPTIN] [OPTOUT]
    [NOLOOP] — Enable or disable server assisted client side caching support"""
    mode, prefixes = TrackingMode(), []
    args = ArgCursor(argv, 3)
    while args.more():
        option = args.next_upper()
        if option == b"REDIRECT":
            target = args.next_bytes()
            if mode.redirect:
                raise CommandError(errors.TRACKING_ONE_REDIRECT)
            redirect = to_int(target)
            if redirect not in ctx.server.clients:
                raise CommandError(errors.TRACKING_NO_REDIRECT_TARGET)
            mode.redirect = redirect
        elif option in (b"BCAST", b"OPTIN", b"OPTOUT", b"NOLOOP"):
            setattr(mode, option.decode().lower(), True)
        elif option == b"PREFIX":
            prefixes.append(args.next_bytes())
        else:
            raise CommandError(errors.SYNTAX)
    switch = argv[2].lower()
    tracking = ctx.server.tracking
    if switch == b"off":
        tracking.disable(ctx)
        return OK
    if switch != b"on":
        raise CommandError(errors.SYNTAX)
    current = ctx.tracking
    if not mode.bcast and prefixes:
        raise CommandError(errors.TRACKING_PREFIX_WITHOUT_BCAST)
    if current is not None and current.bcast != mode.bcast:
        raise CommandError(errors.TRACKING_BCAST_SWITCH)
    if mode.bcast and (mode.optin or mode.optout):
        raise CommandError(errors.TRACKING_OPTIN_OPTOUT_WITH_BCAST)
    if mode.optin and mode.optout:
        raise CommandError(errors.TRACKING_OPTIN_AND_OPTOUT)
    if current is not None and ((mode.optin and current.optout) or (mode.optout and current.optin)):
        raise CommandError(errors.TRACKING_OPTIN_OPTOUT_SWITCH)
    if mode.bcast:
        check_prefixes(current, prefixes)
    if current is not None:
        mode.prefixes = current.prefixes  # enabling again keeps the prefixes and adds the new ones
    tracking.enable(ctx, mode, prefixes)
    return OK


@command(
    "client|caching", arity=3, flags="noscript loading stale", group="connection", since="6.0.0", complexity="O(1)"
)
def client_caching_command(ctx: Context, argv: Argv):
    """CLIENT CACHING <YES | NO> — Instruct the server about tracking or not keys in the next request"""
    mode = ctx.tracking
    if mode is None:
        raise CommandError(errors.CACHING_WITHOUT_OPT_MODE)
    answer = argv[2].lower()
    if answer == b"yes":
        if not mode.optin:
            raise CommandError(errors.CACHING_YES_WITHOUT_OPTIN)
    elif answer == b"no":
        if not mode.optout:
            raise CommandError(errors.CACHING_NO_WITHOUT_OPTOUT)
    else:
        raise CommandError(errors.SYNTAX)
    mode.caching = True
    return OK


@command(
    "client|getredir", arity=2, flags="noscript loading stale", group="connection", since="6.0.0", complexity="O(1)"
)
def client_getredir_command(ctx: Context, argv: Argv):
    """CLIENT GETREDIR — Get tracking notifications redirection client ID if any"""
    return -1 if ctx.tracking is None else ctx.tracking.redirect


@command(
    "client|trackinginfo", arity=2, flags="noscript loading stale", group="connection", since="6.2.0", complexity="O(1)"
)
def client_trackinginfo_command(ctx: Context, argv: Argv):
    """CLIENT TRACKINGINFO — Return information about server assisted client side caching for the current connection"""
    mode = ctx.tracking
    if mode is None:
        return {b"flags": SetReply([b"off"]), b"redirect": -1, b"prefixes": []}
    flags = [b"on"]
    flags += [
        name
        for name, on in (
            (b"bcast", mode.bcast),
            (b"optin", mode.optin),
            (b"optout", mode.optout),
            (b"caching-yes", mode.optin and mode.caching),
            (b"caching-no", mode.optout and mode.caching),
            (b"noloop", mode.noloop),
            (b"broken_redirect", mode.broken),
        )
        if on
    ]
    return {b"flags": SetReply(flags), b"redirect": mode.redirect, b"prefixes": sorted(mode.prefixes)}
