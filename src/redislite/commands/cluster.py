"""The cluster family, for a server that runs without cluster support (as redis-server with cluster-enabled no):
READONLY and READWRITE answer what Redis answers there, so cluster-aware clients learn it at once."""

from .. import errors
from ..errors import CommandError
from .context import Argv, Context
from .registry import command


@command(
    "readonly",
    arity=1,
    flags="loading stale fast",
    group="cluster",
    since="3.0.0",
    complexity="O(1)",
    acl="@connection",
)
def readonly_command(ctx: Context, argv: Argv):
    """READONLY — Enables read queries for a connection to a cluster replica node"""
    raise CommandError(errors.CLUSTER_DISABLED)


@command(
    "readwrite",
    arity=1,
    flags="loading stale fast",
    group="cluster",
    since="3.0.0",
    complexity="O(1)",
    acl="@connection",
)
def readwrite_command(ctx: Context, argv: Argv):
    """READWRITE — Disables read queries for a connection to a cluster replica node"""
    raise CommandError(errors.CLUSTER_DISABLED)
