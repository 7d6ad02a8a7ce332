"""The one command table: every command is declared once, next to its handler, in Redis's vocabulary.

    @command("incrby", arity=3, flags="write denyoom fast", keys=(1, 1, 1), group="string", since="1.0.0")
    def incrby_command(ctx, argv):
        \"\"\"INCRBY key increment — Increments the integer value of a key by a number.\"\"\"

The declaration drives dispatch, the arity check, COMMAND INFO/DOCS/GETKEYS, ACL categories, read-only
replicas, OOM checks, propagation and per-command metrics. A subcommand is declared as "container|sub".
The docstring's first line gives the syntax and, after the dash, COMMAND DOCS' summary.
"""

import enum
from dataclasses import dataclass, field
from typing import Callable


class CommandFlag(enum.IntFlag):
    WRITE = enum.auto()
    READONLY = enum.auto()
    DENYOOM = enum.auto()
    ADMIN = enum.auto()
    PUBSUB = enum.auto()
    NOSCRIPT = enum.auto()
    BLOCKING = enum.auto()
    LOADING = enum.auto()
    STALE = enum.auto()
    SKIP_MONITOR = enum.auto()
    SKIP_SLOWLOG = enum.auto()
    FAST = enum.auto()
    NO_AUTH = enum.auto()
    MAY_REPLICATE = enum.auto()
    NO_MANDATORY_KEYS = enum.auto()
    NO_MULTI = enum.auto()
    MOVABLEKEYS = enum.auto()
    ALLOW_BUSY = enum.auto()
    NO_ASYNC_LOADING = enum.auto()

    @property
    def redis_names(self) -> list[str]:
        return [flag.name.lower() for flag in CommandFlag if flag in self]


# The ACL categories a command's group implies, as in Redis's command JSON files.
GROUP_CATEGORIES = {
    "string": "@string", "generic": "@keyspace", "list": "@list", "hash": "@hash", "set": "@set",
    "sorted-set": "@sortedset", "bitmap": "@bitmap", "hyperloglog": "@hyperloglog", "stream": "@stream",
    "pubsub": "", "transactions": "@transaction", "scripting": "@scripting",
    "connection": "@connection", "geo": "@geo", "server": "",
}
ALL_CATEGORIES = [
    "keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap", "hyperloglog", "geo",
    "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous", "connection", "transaction", "scripting",
]


@dataclass(frozen=True)
class CommandSpec:
    """One command's static declaration."""

    name: str  # "get", or "config|get" for a subcommand
    handler: Callable
    arity: int  # Redis's convention: N means exactly N arguments (name included), -N means at least N
    flags: CommandFlag
    first_key: int = 0
    last_key: int = 0
    key_step: int = 0
    group: str = "generic"
    since: str = "1.0.0"
    complexity: str = ""
    acl: tuple[str, ...] = ()
    doc: str = ""
    subcommands: dict = field(default_factory=dict)

    @property
    def syntax(self) -> str:
        return self.doc.split(" — ", 1)[0].strip()

    @property
    def summary(self) -> str:
        parts = self.doc.split(" — ", 1)
        return parts[1].strip() if len(parts) == 2 else ""

    @property
    def acl_categories(self) -> list[str]:
        """Explicit categories plus the ones Redis implies from flags and group (a container, like CLIENT,
        does not take its group's category)."""
        implied = "" if self.subcommands else GROUP_CATEGORIES.get(self.group, "")
        categories = [c for c in (implied, *self.acl) if c]
        flags = self.flags
        if flags & CommandFlag.WRITE:
            categories.append("@write")
        if flags & CommandFlag.READONLY and self.group != "scripting":
            categories.append("@read")
        if flags & CommandFlag.ADMIN:
            categories += ["@admin", "@dangerous"]
        if flags & CommandFlag.PUBSUB:
            categories.append("@pubsub")
        categories.append("@fast" if flags & CommandFlag.FAST else "@slow")
        if flags & CommandFlag.BLOCKING:
            categories.append("@blocking")
        return list(dict.fromkeys(categories))

    def key_positions(self, argv: list[bytes]) -> list[int]:
        """Indexes of the key arguments, from (first, last, step); commands whose keys move (numkeys,
        STORE ...) attach their own finder to the handler as `key_positions`."""
        finder = getattr(self.handler, "key_positions", None)
        if finder is not None:
            return finder(argv)
        if not self.first_key:
            return []
        last = self.last_key if self.last_key >= 0 else len(argv) + self.last_key
        return list(range(self.first_key, min(last, len(argv) - 1) + 1, self.key_step))


class CommandTable:
    """Collects declarations; the engine turns them into per-server dispatch entries."""

    def __init__(self):
        self.specs: dict[str, CommandSpec] = {}

    def command(self, name: str, *, arity: int, flags: str = "", keys: tuple[int, int, int] = (0, 0, 0),
                group: str = "generic", since: str = "1.0.0", complexity: str = "", acl: str = ""):
        def declare(handler: Callable) -> Callable:
            flag_set = CommandFlag(0)
            for flag_name in flags.split():
                flag_set |= CommandFlag[flag_name.upper()]
            spec = CommandSpec(
                name=name, handler=handler, arity=arity, flags=flag_set,
                first_key=keys[0], last_key=keys[1], key_step=keys[2], group=group, since=since,
                complexity=complexity, acl=tuple(acl.split()), doc=(handler.__doc__ or "").strip().splitlines()[0]
                if handler.__doc__ else "",
            )
            container, _, sub = name.partition("|")
            if sub:
                self.specs[container].subcommands[sub] = spec
            else:
                self.specs[name] = spec
            return handler

        return declare


TABLE = CommandTable()
command = TABLE.command
