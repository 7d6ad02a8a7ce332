"""LATENCY (LATEST, HISTORY, RESET, DOCTOR, HELP): the latency monitor's events and spikes
(observability/ keeps them)."""

from .. import errors
from ..errors import CommandError
from ..protocol.values import Verbatim
from .client import help_reply
from .context import Argv, Context
from .registry import command

LATENCY_HELP = """\
LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
DOCTOR
    Return a human readable latency analysis report.
HISTORY <event>
    Return time-latency samples for the <event> class.
LATEST
    Return the latest latency samples for all events.
RESET [<event> ...]
    Reset latency data of one or more <event> classes.
    (default: reset all data for all event classes)
HELP
    Prints this help."""

LATENCY_DISABLED = (
    "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use "
    '"CONFIG SET latency-monitor-threshold <milliseconds>." in order to enable it. If we weren\'t in a deep '
    "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
)
LATENCY_NOTHING = (
    "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest "
    "bit. I honestly think you ought to sleep better.\n"
)


@command("latency", arity=-2, group="server", since="2.8.13", complexity="Depends on subcommand.")
def latency_command(ctx: Context, argv: Argv):
    """LATENCY — A container for latency diagnostics commands"""
    raise CommandError(errors.wrong_arity("latency"))


@command("latency|help", arity=2, flags="loading stale", group="server", since="2.8.13", complexity="O(1)")
def latency_help_command(ctx: Context, argv: Argv):
    """LATENCY HELP — Show helpful text about the different subcommands."""
    return help_reply(LATENCY_HELP)


@command(
    "latency|latest", arity=2, flags="admin noscript loading stale", group="server", since="2.8.13", complexity="O(1)"
)
def latency_latest_command(ctx: Context, argv: Argv):
    """LATENCY LATEST — Return the latest latency samples for all events."""
    return ctx.server.latency.latest()


@command(
    "latency|history", arity=3, flags="admin noscript loading stale", group="server", since="2.8.13", complexity="O(1)"
)
def latency_history_command(ctx: Context, argv: Argv):
    """LATENCY HISTORY event — Return timestamp-latency samples for the event."""
    return ctx.server.latency.history(argv[2].decode("latin-1"))


@command(
    "latency|reset", arity=-2, flags="admin noscript loading stale", group="server", since="2.8.13", complexity="O(1)"
)
def latency_reset_command(ctx: Context, argv: Argv):
    """LATENCY RESET [event [event ...]] — Reset latency data for one or more events."""
    return ctx.server.latency.reset([event.decode("latin-1") for event in argv[2:]])


@command(
    "latency|doctor", arity=2, flags="admin noscript loading stale", group="server", since="2.8.13", complexity="O(1)"
)
def latency_doctor_command(ctx: Context, argv: Argv):
    """LATENCY DOCTOR — Return a human readable latency analysis report."""
    monitor = ctx.server.latency
    if not monitor.events and ctx.server.config.latency_monitor_threshold == 0:
        return Verbatim(LATENCY_DISABLED.encode())
    if not any(monitor.events.values()):
        return Verbatim(LATENCY_NOTHING.encode())
    lines = [
        "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?",
        "",
    ]
    for number, (event, samples) in enumerate(monitor.events.items(), 1):
        if not samples:
            continue
        average = sum(ms for _, ms in samples) // len(samples)
        lines.append(
            f"{number}. {event}: {len(samples)} latency spikes (average {average}ms, worst {monitor.max_ms[event]}ms)."
        )
    return Verbatim(("\n".join(lines) + "\n").encode())
