"""The one command table: every command is declared once, next to its handler, in Redis's vocabulary.

    @command("incrby", arity=3, flags="write denyoom fast", key_specs=[KeySpec("RW ACCESS UPDATE", Index(1))],
             group="string", since="1.0.0")
    def incrby_command(ctx, argv):
        \"\"\"INCRBY key increment — Increments the integer value of a key by a number.\"\"\"

The declaration drives dispatch, the arity check, COMMAND INFO/DOCS/GETKEYS, ACL categories, read-only
replicas, OOM checks, propagation and per-command metrics. A subcommand is declared as "container|sub"; a
hidden one (DEBUG's, which Redis lists as a plain command) is run by its container's handler through
`run_hidden_subcommand`. The docstring's first paragraph gives the syntax and, after the dash, COMMAND DOCS' summary.

Keys are declared as Redis 7's key specs (where the search begins, how keys are found from there, what the
command does with them); COMMAND's legacy (first, last, step) and the movablekeys flag are derived from them
as Redis derives them, and so is the key finder the engine uses (WATCH, blocking, tracking). A `key_finder`
is Redis's getkeys_proc: for keys the specs cannot locate (SORT ... STORE) or flags that depend on the
arguments (SET ... GET). `acl` lists categories beyond those implied ("-@keyspace" drops an implied one), and
`tips` COMMAND INFO's command tips.
"""

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from .. import errors
from ..errors import CommandError
from .args import parse_int


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
        return [name.lower() for name, flag in CommandFlag.__members__.items() if flag in self]


# The ACL categories a command's group implies, as in Redis's command JSON files.
GROUP_CATEGORIES = {
    "string": "@string",
    "generic": "@keyspace",
    "list": "@list",
    "hash": "@hash",
    "set": "@set",
    "sorted-set": "@sortedset",
    "bitmap": "@bitmap",
    "hyperloglog": "@hyperloglog",
    "stream": "@stream",
    "pubsub": "",
    "transactions": "@transaction",
    "scripting": "@scripting",
    "connection": "@connection",
    "geo": "@geo",
    "server": "",
}


class KeyFlag(enum.IntFlag):
    """A key spec's CMD_KEY_* flags, in the order COMMAND INFO prints them."""

    RO = enum.auto()  # reads the key's value
    RW = enum.auto()  # reads and writes it
    OW = enum.auto()  # overwrites it without reading
    RM = enum.auto()  # deletes it
    ACCESS = enum.auto()  # returns or copies user data
    UPDATE = enum.auto()
    INSERT = enum.auto()
    DELETE = enum.auto()
    NOT_KEY = enum.auto()  # a shard channel where a key would be (SPUBLISH): not a key
    INCOMPLETE = enum.auto()  # the spec may miss keys: a key finder finds them
    VARIABLE_FLAGS = enum.auto()  # the flags depend on the arguments: a key finder says which

    @classmethod
    def parse(cls, names: str) -> "KeyFlag":
        flags = cls(0)
        for name in names.split():
            flags |= cls[name.upper()]
        return flags

    @property
    def redis_names(self) -> list[bytes]:
        return [
            (name if flag <= KeyFlag.RM else name.lower()).encode()
            for name, flag in KeyFlag.__members__.items()
            if flag in self
        ]


# begin_search: where the keys start. start() is that index, or None when this argv has none there.


@dataclass(frozen=True)
class Index:
    """Keys start at argv[pos]."""

    pos: int
    kind: ClassVar[bytes] = b"index"

    def start(self, argv: list[bytes]) -> int | None:
        return self.pos

    def arguments(self) -> dict:
        return {b"index": self.pos}


@dataclass(frozen=True)
class Keyword:
    """Keys start after `keyword`, searched from argv[startfrom] on (backwards from the end when negative);
    a command without the keyword has no such keys."""

    keyword: bytes
    startfrom: int
    kind: ClassVar[bytes] = b"keyword"

    def start(self, argv: list[bytes]) -> int | None:
        argc = len(argv)
        first = self.startfrom if self.startfrom > 0 else argc + self.startfrom
        last = argc - 1 if self.startfrom > 0 else 1
        step = 1 if first <= last else -1
        for index in range(first, last, step):  # Redis stops before `last`
            if not 1 <= index < argc:
                break
            if argv[index].lower() == self.keyword.lower():
                return index + 1
        return None

    def arguments(self) -> dict:
        return {b"keyword": self.keyword, b"startfrom": self.startfrom}


@dataclass(frozen=True)
class Unknown:
    """Neither where the keys are nor how many: the command's key finder knows (SORT's STORE)."""

    kind: ClassVar[bytes] = b"unknown"

    def start(self, argv: list[bytes]) -> int | None:
        return None

    def positions(self, argv: list[bytes], first: int) -> None:
        """As Redis's invalid spec: no keys (never reached: a spec that begins unknown finds its keys unknown)."""
        return None

    def arguments(self) -> dict:
        return {}


UNKNOWN = Unknown()

# find_keys: the key positions from the start; None when the arguments are invalid (numkeys out of range), and
# then the command names no keys at all, as Redis's getkeys procs answer.


@dataclass(frozen=True)
class Range:
    """Keys from the start to lastkey (relative to the start; negative: from the end of argv), every step-th
    argument; with lastkey -1, limit N > 1 takes only the first 1/N of the remaining arguments."""

    lastkey: int = 0
    step: int = 1
    limit: int = 0
    kind: ClassVar[bytes] = b"range"

    def positions(self, argv: list[bytes], first: int) -> range:
        argc = len(argv)
        if self.lastkey >= 0:
            last = first + self.lastkey
        elif not self.limit:
            last = argc + self.lastkey
        else:
            last = first + (argc - first) // self.limit + self.lastkey
        return range(first, min(last, argc - 1) + 1, self.step)

    def arguments(self) -> dict:
        return {b"lastkey": self.lastkey, b"keystep": self.step, b"limit": self.limit}


@dataclass(frozen=True)
class KeyNum:
    """`numkeys key [key ...]`: the count at start+keynumidx, the first key at start+firstkey."""

    keynumidx: int
    firstkey: int
    step: int = 1
    kind: ClassVar[bytes] = b"keynum"

    def positions(self, argv: list[bytes], first: int) -> range | None:
        count_index = first + self.keynumidx
        numkeys = parse_int(argv[count_index]) if count_index < len(argv) else None
        first += self.firstkey
        if numkeys is None or numkeys < 1 or first + (numkeys - 1) * self.step >= len(argv):
            return None
        return range(first, first + numkeys * self.step, self.step)

    def arguments(self) -> dict:
        return {b"keynumidx": self.keynumidx, b"firstkey": self.firstkey, b"keystep": self.step}


class KeySpec:
    """One of Redis 7's key specs: KeySpec("RW ACCESS DELETE", Index(1), Range(-2))."""

    __slots__ = ("begin_search", "find_keys", "flags", "notes")

    def __init__(
        self,
        flags: str,
        begin_search: Index | Keyword | Unknown,
        find_keys: Range | KeyNum | Unknown = Range(),
        notes: str = "",
    ):
        self.flags = KeyFlag.parse(flags)
        self.begin_search = begin_search
        self.find_keys = find_keys
        self.notes = notes

    def __repr__(self) -> str:
        return f"KeySpec({self.flags!r}, {self.begin_search!r}, {self.find_keys!r})"

    def plain_range(self) -> tuple[int, Range] | None:
        """The first key's index and the range when the keys sit at a fixed place (what COMMAND's legacy
        first/last/step can say), else None."""
        begin, find = self.begin_search, self.find_keys
        if type(begin) is Index and type(find) is Range:
            return begin.pos, find
        return None


KeysAndFlags = list[tuple[int, KeyFlag]]


def keys_from_specs(key_specs: tuple[KeySpec, ...], argv: list[bytes]) -> KeysAndFlags:
    """Redis's getKeysUsingKeySpecs: each key's position with the flags of the spec that found it. Specs of
    things that are not keys (NOT_KEY) and specs that cannot locate their keys (unknown) find nothing."""
    found = []
    for spec in key_specs:
        if spec.flags & KeyFlag.NOT_KEY:
            continue
        first = spec.begin_search.start(argv)
        if first is None:
            continue
        positions = spec.find_keys.positions(argv, first)
        if positions is None:
            return []
        found += [(position, spec.flags) for position in positions]
    return found


def no_keys(argv: list[bytes]) -> list[int]:
    return []


def compile_key_positions(key_specs: tuple[KeySpec, ...], key_finder) -> tuple[Callable[[list[bytes]], list[int]], int]:
    """The engine's key finder, made once per command, and the index of the command's only key when it sits at
    a fixed place (most commands), else 0. The key finder when the specs can miss keys; else the specs, as
    plain arithmetic on their legacy range when that is exact (keys that do not move)."""
    if key_finder is not None and any(
        spec.begin_search is UNKNOWN or spec.flags & KeyFlag.INCOMPLETE for spec in key_specs
    ):
        return (lambda argv: [position for position, _ in key_finder(argv)]), 0
    key_specs = tuple(
        spec for spec in key_specs if not spec.flags & KeyFlag.NOT_KEY and spec.begin_search is not UNKNOWN
    )
    if not key_specs:
        return no_keys, 0
    first, last, step, movable = legacy_key_range(key_specs)
    if movable or any(type(spec.find_keys) is Range and spec.find_keys.limit for spec in key_specs):
        return (lambda argv: [position for position, _ in keys_from_specs(key_specs, argv)]), 0
    if first == last:
        return (lambda argv: [first] if first < len(argv) else []), first
    if last > 0:
        return (lambda argv: list(range(first, min(last, len(argv) - 1) + 1, step))), 0
    return (lambda argv: list(range(first, len(argv) + last + 1, step))), 0


def legacy_key_range(key_specs: tuple[KeySpec, ...]) -> tuple[int, int, int, bool]:
    """populateCommandLegacyRangeSpec: COMMAND's (first, last, step) and whether the keys move (movablekeys):
    one range spec as it is, else the consecutive step-1 range specs merged; any other spec moves keys."""
    if not key_specs:
        return 0, 0, 0, False
    if len(key_specs) == 1 and (plain := key_specs[0].plain_range()):
        start, keys = plain
        lastkey = keys.lastkey
        return (
            start,
            start + lastkey if lastkey >= 0 else lastkey,
            keys.step,
            bool(key_specs[0].flags & KeyFlag.INCOMPLETE),
        )
    movable = False
    first: int | None = None
    last, previous_last = 0, 0
    for spec in key_specs:
        plain = spec.plain_range()
        if plain is None or plain[1].step != 1 or (previous_last and previous_last != plain[0] - 1):
            movable = True
            continue
        movable |= bool(spec.flags & KeyFlag.INCOMPLETE)
        pos, lastkey = plain[0], plain[1].lastkey
        first = pos if first is None else min(first, pos)
        last = max(last, lastkey + pos if lastkey >= 0 else lastkey, key=lambda n: n % 2**32)  # C's unsigned max
        previous_last = last
    if first is None:
        return 0, 0, 0, True
    return first, last, 1, movable


@dataclass(frozen=True)
class CommandSpec:
    """One command's static declaration."""

    name: str  # "get", or "config|get" for a subcommand
    handler: Callable
    arity: int  # Redis's convention: N means exactly N arguments (name included), -N means at least N
    flags: CommandFlag
    key_specs: tuple[KeySpec, ...] = ()
    key_finder: Callable[[list[bytes]], KeysAndFlags] | None = None  # Redis's getkeys_proc, see the module doc
    key_positions: Callable[[list[bytes]], list[int]] = no_keys  # made from the two above: the engine's finder
    single_key: int = 0  # the index of the only key when it sits at a fixed place (most commands), else 0
    first_key: int = 0  # COMMAND's legacy (first, last, step), from the key specs
    last_key: int = 0
    key_step: int = 0
    group: str = "generic"
    since: str = "1.0.0"
    complexity: str = ""
    acl: tuple[str, ...] = ()
    tips: tuple[bytes, ...] = ()
    doc: str = ""
    subcommands: dict = field(default_factory=dict)
    hidden_subcommands: dict = field(default_factory=dict)  # run by the container, never listed (DEBUG's)

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
        does not take its group's category), less those declared as "-@category"."""
        implied = "" if self.subcommands else GROUP_CATEGORIES.get(self.group, "")
        categories = [c for c in (implied, *self.acl) if c and not c.startswith("-")]
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
        dropped = {c[1:] for c in self.acl if c.startswith("-")}
        return [c for c in dict.fromkeys(categories) if c not in dropped]

    @property
    def has_keys(self) -> bool:
        """doesCommandHaveKeys: a key finder, or a spec of real keys."""
        return self.key_finder is not None or any(not spec.flags & KeyFlag.NOT_KEY for spec in self.key_specs)

    def keys_and_flags(self, argv: list[bytes]) -> KeysAndFlags:
        """COMMAND GETKEYSANDFLAGS: the key finder when there is one, else the specs."""
        if self.key_finder is not None:
            return self.key_finder(argv)
        return keys_from_specs(self.key_specs, argv)


def run_hidden_subcommand(container: CommandSpec, ctx, argv: list[bytes]):
    """A command Redis lists as plain (DEBUG) runs its subcommands from the table itself, with its one error
    for an unknown subcommand and for a wrong argument count alike."""
    sub = container.hidden_subcommands.get(argv[1].decode("latin-1").lower())
    argc = len(argv)
    if sub is None or (argc != sub.arity if sub.arity > 0 else argc < -sub.arity):
        raise CommandError(errors.unknown_subcommand_or_arity(container.name, argv[1]))
    return sub.handler(ctx, argv)


def syntax_and_summary(docstring: str | None) -> str:
    """A handler docstring's first paragraph as one line: the syntax and, after the dash, the summary (wrapped
    in the source when longer than a line)."""
    lines = []
    for line in (docstring or "").strip().splitlines():
        if not line.strip():
            break
        lines.append(line.strip())
    return " ".join(lines)


class CommandTable:
    """Collects declarations; the engine turns them into per-server dispatch entries."""

    def __init__(self):
        self.specs: dict[str, CommandSpec] = {}

    def command(
        self,
        name: str,
        *,
        arity: int,
        flags: str = "",
        key_specs: Sequence[KeySpec] = (),
        key_finder: Callable[[list[bytes]], KeysAndFlags] | None = None,
        group: str = "generic",
        since: str = "1.0.0",
        complexity: str = "",
        acl: str = "",
        tips: str = "",
        hidden: bool = False,
    ):
        def declare(handler: Callable) -> Callable:
            flag_set = CommandFlag(0)
            for flag_name in flags.split():
                flag_set |= CommandFlag[flag_name.upper()]
            if flag_set & CommandFlag.MOVABLEKEYS:
                raise ValueError(f"{name}: movablekeys is derived from the key specs")
            specs = tuple(key_specs)
            first, last, step, movable = legacy_key_range(specs)
            if movable:
                flag_set |= CommandFlag.MOVABLEKEYS
            key_positions, single_key = compile_key_positions(specs, key_finder)
            spec = CommandSpec(
                name=name,
                handler=handler,
                arity=arity,
                flags=flag_set,
                key_specs=specs,
                key_finder=key_finder,
                key_positions=key_positions,
                single_key=single_key,
                first_key=first,
                last_key=last,
                key_step=step,
                group=group,
                since=since,
                complexity=complexity,
                acl=tuple(acl.split()),
                tips=tuple(tip.encode() for tip in tips.split()),
                doc=syntax_and_summary(handler.__doc__),
            )
            container, _, sub = name.partition("|")
            if hidden:
                self.specs[container].hidden_subcommands[sub] = spec
            elif sub:
                self.specs[container].subcommands[sub] = spec
            else:
                self.specs[name] = spec
            return handler

        return declare


TABLE = CommandTable()
command = TABLE.command
