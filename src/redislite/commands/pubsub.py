"""Pub/sub: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, SSUBSCRIBE, SUNSUBSCRIBE, PUBLISH, SPUBLISH,
PUBSUB (CHANNELS NUMSUB NUMPAT SHARDCHANNELS SHARDNUMSUB HELP).

Subscriptions live twice, as in Redis: the server maps each channel or pattern to its subscribers
(ServerState.channels / patterns / shard_channels, ordered sets as dicts) and each client keeps its own
(Client.channels / patterns / shard_channels). A message is encoded once per protocol version and handed to
each subscriber's connection (Client.push), which applies client-output-buffer-limit pubsub. A RESP2
client with subscriptions may only run the commands Redis allows in that context (Engine._gate); in RESP3
messages are push frames and the connection works normally.
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import Push, Replies
from ..storage.glob import compile_glob
from .client import help_reply
from .connection import on_reset
from .context import Argv, Context
from .registry import Index, KeySpec, Range, command

SUBSCRIBE_FLAGS = "pubsub noscript loading stale"

# Each kind of subscription: the client's attribute, the server's attribute, the reply verbs.
CHANNELS = ("channels", b"subscribe", b"unsubscribe")
PATTERNS = ("patterns", b"psubscribe", b"punsubscribe")
SHARD = ("shard_channels", b"ssubscribe", b"sunsubscribe")


def subscription_count(ctx: Context, kind) -> int:
    """The count Redis puts in (un)subscribe replies: channels plus patterns, or shard channels alone."""
    if kind is SHARD:
        return len(ctx.shard_channels)
    return len(ctx.channels) + len(ctx.patterns)


def subscribe(ctx: Context, kind, names: list[bytes]) -> Replies:
    attribute, verb, _ = kind
    mine, server = getattr(ctx, attribute), getattr(ctx.server, attribute)
    replies = Replies()
    for name in names:
        if name not in mine:
            mine[name] = None
            server.setdefault(name, {})[ctx] = None
            if kind is PATTERNS and name not in ctx.server.pattern_matchers:  # compiled here, not per PUBLISH
                ctx.server.pattern_matchers[name] = compile_glob(name).match
        replies.append(Push([verb, name, subscription_count(ctx, kind)]))
    ctx.pubsub_changed()
    return replies


def unsubscribe(ctx: Context, kind, names: list[bytes]) -> Replies:
    """Unsubscribe from names (all when empty); one reply per name, or one with a nil name if there were none."""
    attribute, _, verb = kind
    mine, server = getattr(ctx, attribute), getattr(ctx.server, attribute)
    replies = Replies()
    for name in names or list(mine):
        if mine.pop(name, ...) is None:
            subscribers = server[name]
            del subscribers[ctx]
            if not subscribers:
                del server[name]
                if kind is PATTERNS:
                    ctx.server.pattern_matchers.pop(name, None)
        replies.append(Push([verb, name, subscription_count(ctx, kind)]))
    if not replies:
        replies.append(Push([verb, None, subscription_count(ctx, kind)]))
    ctx.pubsub_changed()
    return replies


@on_reset
def unsubscribe_all(ctx: Context) -> None:
    """RESET and disconnect: leave everything, without replies."""
    if ctx.channels or ctx.patterns or ctx.shard_channels:
        for kind in (CHANNELS, PATTERNS, SHARD):
            unsubscribe(ctx, kind, [])


def deliver(subscribers, message: list) -> None:
    """Send a message to each subscriber, encoded once per protocol version."""
    encoded: dict[int, bytes] = {}  # RESP version -> the message encoded
    for client in list(subscribers):
        payload = encoded.get(client.resp)
        if payload is None:
            payload = encoded[client.resp] = client.encoder.encode(Push(message))
        client.push(payload)


def publish(state, channel: bytes, message: bytes) -> int:
    """PUBLISH: to the channel's subscribers, then to every matching pattern's; returns how many got it."""
    receivers = 0
    subscribers = state.channels.get(channel)
    if subscribers:
        deliver(subscribers, [b"message", channel, message])
        receivers += len(subscribers)
    matchers = state.pattern_matchers
    for pattern, subscribers in list(state.patterns.items()):
        if matchers[pattern](channel):
            deliver(subscribers, [b"pmessage", pattern, channel, message])
            receivers += len(subscribers)
    return receivers


@command(
    "subscribe",
    arity=-2,
    flags=SUBSCRIBE_FLAGS,
    group="pubsub",
    since="2.0.0",
    complexity="O(N) where N is the number of channels to subscribe to.",
)
def subscribe_command(ctx: Context, argv: Argv):
    """SUBSCRIBE channel [channel ...] — Listen for messages published to the given channels"""
    return subscribe(ctx, CHANNELS, argv[1:])


@command(
    "unsubscribe",
    arity=-1,
    flags=SUBSCRIBE_FLAGS,
    group="pubsub",
    since="2.0.0",
    complexity="O(N) where N is the number of clients already subscribed to a channel.",
)
def unsubscribe_command(ctx: Context, argv: Argv):
    """UNSUBSCRIBE [channel [channel ...]] — Stop listening for messages posted to the given channels"""
    return unsubscribe(ctx, CHANNELS, argv[1:])


@command(
    "psubscribe",
    arity=-2,
    flags=SUBSCRIBE_FLAGS,
    group="pubsub",
    since="2.0.0",
    complexity="O(N) where N is the number of patterns the client is already subscribed to.",
)
def psubscribe_command(ctx: Context, argv: Argv):
    """PSUBSCRIBE pattern [pattern ...] — Listen for messages published to channels matching the given patterns"""
    return subscribe(ctx, PATTERNS, argv[1:])


@command(
    "punsubscribe",
    arity=-1,
    flags=SUBSCRIBE_FLAGS,
    group="pubsub",
    since="2.0.0",
    complexity="O(N+M) where N is the number of patterns the client is already subscribed and M is the "
    "number of total patterns subscribed in the system (by any client).",
)
def punsubscribe_command(ctx: Context, argv: Argv):
    """PUNSUBSCRIBE [pattern [pattern ...]] — Stop listening for messages posted to channels matching the given
    patterns"""
    return unsubscribe(ctx, PATTERNS, argv[1:])


@command(
    "ssubscribe",
    arity=-2,
    flags=SUBSCRIBE_FLAGS,
    key_specs=[KeySpec("NOT_KEY", Index(1), Range(-1))],
    group="pubsub",
    since="7.0.0",
    complexity="O(N) where N is the number of shard channels to subscribe to.",
)
def ssubscribe_command(ctx: Context, argv: Argv):
    """SSUBSCRIBE shardchannel [shardchannel ...] — Listen for messages published to the given shard channels"""
    return subscribe(ctx, SHARD, argv[1:])


@command(
    "sunsubscribe",
    arity=-1,
    flags=SUBSCRIBE_FLAGS,
    key_specs=[KeySpec("NOT_KEY", Index(1), Range(-1))],
    group="pubsub",
    since="7.0.0",
    complexity="O(N) where N is the number of clients already subscribed to a shard channel.",
)
def sunsubscribe_command(ctx: Context, argv: Argv):
    """SUNSUBSCRIBE [shardchannel [shardchannel ...]] — Stop listening for messages posted to the given shard
    channels"""
    return unsubscribe(ctx, SHARD, argv[1:])


@command(
    "publish",
    arity=3,
    flags="pubsub loading stale fast",
    group="pubsub",
    since="2.0.0",
    complexity="O(N+M) where N is the number of clients subscribed to the receiving channel and M is the "
    "total number of subscribed patterns (by any client).",
)
def publish_command(ctx: Context, argv: Argv):
    """PUBLISH channel message — Post a message to a channel"""
    return publish(ctx.server, argv[1], argv[2])


@command(
    "spublish",
    arity=3,
    flags="pubsub loading stale fast",
    key_specs=[KeySpec("NOT_KEY", Index(1))],
    group="pubsub",
    since="7.0.0",
    complexity="O(N) where N is the number of clients subscribed to the receiving shard channel.",
)
def spublish_command(ctx: Context, argv: Argv):
    """SPUBLISH shardchannel message — Post a message to a shard channel"""
    subscribers = ctx.server.shard_channels.get(argv[1])
    if not subscribers:
        return 0
    deliver(subscribers, [b"smessage", argv[1], argv[2]])
    return len(subscribers)


# -- PUBSUB ---------------------------------------------------------------------------------------------

PUBSUB_HELP = """\
PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
CHANNELS [<pattern>]
    Return the currently active channels matching a <pattern> (default: '*').
NUMPAT
    Return number of subscriptions to patterns.
NUMSUB [<channel> ...]
    Return the number of subscribers for the specified channels, excluding
    pattern subscriptions(default: no channels).
SHARDCHANNELS [<pattern>]
    Return the currently active shard level channels matching a <pattern> (default: '*').
SHARDNUMSUB [<shardchannel> ...]
    Return the number of subscribers for the specified shard level channel(s)
HELP
    Prints this help."""


def matching_names(registry: dict, argv: list[bytes]) -> list[bytes]:
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("pubsub", argv[1]))
    if len(argv) == 2:
        return list(registry)
    match = compile_glob(argv[2]).match
    return [name for name in registry if match(name)]


def subscriber_counts(registry: dict, names: list[bytes]) -> list:
    return [item for name in names for item in (name, len(registry.get(name, ())))]


@command("pubsub", arity=-2, group="pubsub", since="2.8.0", complexity="Depends on subcommand.")
def pubsub_command(ctx: Context, argv: Argv):
    """PUBSUB — A container for Pub/Sub commands"""
    raise CommandError(errors.wrong_arity("pubsub"))


@command(
    "pubsub|channels",
    arity=-2,
    flags="pubsub loading stale",
    group="pubsub",
    since="2.8.0",
    complexity="O(N) where N is the number of active channels, and assuming constant time pattern matching "
    "(relatively short channels and patterns)",
)
def pubsub_channels_command(ctx: Context, argv: Argv):
    """PUBSUB CHANNELS [pattern] — List active channels"""
    return matching_names(ctx.server.channels, argv)


@command(
    "pubsub|numsub",
    arity=-2,
    flags="pubsub loading stale",
    group="pubsub",
    since="2.8.0",
    complexity="O(N) for the NUMSUB subcommand, where N is the number of requested channels",
)
def pubsub_numsub_command(ctx: Context, argv: Argv):
    """PUBSUB NUMSUB [channel [channel ...]] — Get the count of subscribers for channels"""
    return subscriber_counts(ctx.server.channels, argv[2:])


@command("pubsub|numpat", arity=2, flags="pubsub loading stale", group="pubsub", since="2.8.0", complexity="O(1)")
def pubsub_numpat_command(ctx: Context, argv: Argv):
    """PUBSUB NUMPAT — Get the count of unique patterns pattern subscriptions"""
    return len(ctx.server.patterns)


@command(
    "pubsub|shardchannels",
    arity=-2,
    flags="pubsub loading stale",
    group="pubsub",
    since="7.0.0",
    complexity="O(N) where N is the number of active shard channels, and assuming constant time pattern "
    "matching (relatively short shard channels).",
)
def pubsub_shardchannels_command(ctx: Context, argv: Argv):
    """PUBSUB SHARDCHANNELS [pattern] — List active shard channels"""
    return matching_names(ctx.server.shard_channels, argv)


@command(
    "pubsub|shardnumsub",
    arity=-2,
    flags="pubsub loading stale",
    group="pubsub",
    since="7.0.0",
    complexity="O(N) for the SHARDNUMSUB subcommand, where N is the number of requested shard channels",
)
def pubsub_shardnumsub_command(ctx: Context, argv: Argv):
    """PUBSUB SHARDNUMSUB [shardchannel [shardchannel ...]] — Get the count of subscribers for shard channels"""
    return subscriber_counts(ctx.server.shard_channels, argv[2:])


@command("pubsub|help", arity=2, flags="loading stale", group="pubsub", since="6.2.0", complexity="O(1)")
def pubsub_help_command(ctx: Context, argv: Argv):
    """PUBSUB HELP — Show helpful text about the different subcommands"""
    return help_reply(PUBSUB_HELP)
