"""MONITOR: the client is fed every command the server runs (Engine._feed_monitors)."""

from ..protocol.values import OK
from .context import Argv, Context
from .registry import command


@command("monitor", arity=1, flags="admin noscript loading stale", group="server", since="1.0.0")
def monitor_command(ctx: Context, argv: Argv):
    """MONITOR — Listen for all requests received by the server in real time"""
    if not ctx.monitor:
        ctx.monitor = True
        ctx.server.monitors.append(ctx)
        ctx.server.engine.observers_changed()  # commands must now be fed to it
    return OK
