"""COMMAND and its subcommands: COUNT, INFO, DOCS, GETKEYS, GETKEYSANDFLAGS, LIST, HELP.

Every reply is derived from the command table (the engine's entries and their CommandSpec): nothing here
knows about any particular command. COMMAND DOCS' argument trees are parsed from each handler's syntax line.
"""

import re

from .. import errors
from ..errors import CommandError
from ..protocol.values import SetReply, SimpleString
from ..storage.glob import compile_glob
from .client import help_reply
from .context import Argv, Context
from .registry import CommandFlag, CommandSpec, KeyFlag, KeySpec, command

HELP = """\
COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
(no subcommand)
    Return details about all Redis commands.
COUNT
    Return the total number of commands in this Redis server.
LIST
    Return a list of all commands in this Redis server.
INFO [<command-name> ...]
    Return details about multiple Redis commands.
    If no command names are given, documentation details for all
    commands are returned.
DOCS [<command-name> ...]
    Return documentation details about multiple Redis commands.
    If no command names are given, documentation details for all
    commands are returned.
GETKEYS <full-command>
    Return the keys from a full Redis command.
GETKEYSANDFLAGS <full-command>
    Return the keys and the access flags from a full Redis command.
HELP
    Prints this help."""


# -- reading the table ------------------------------------------------------------------------------------


def top_level_specs(ctx: Context) -> list[CommandSpec]:
    return [entry.spec for entry in ctx.server.engine.commands.values()]


def all_specs(ctx: Context):
    """Every command and subcommand, containers before their subcommands."""
    for spec in top_level_specs(ctx):
        yield spec
        yield from spec.subcommands.values()


def find_spec(ctx: Context, name: bytes) -> CommandSpec | None:
    """A command by name, `container|sub` for a subcommand (as Redis's lookupCommandBySds)."""
    container, _, sub = name.decode("latin-1").lower().partition("|")
    entry = ctx.server.engine.commands.get(container)
    if entry is None:
        return None
    if not sub:
        return entry.spec
    return entry.spec.subcommands.get(sub)


def key_spec_reply(key_spec: KeySpec) -> dict:
    reply: dict[bytes, object] = {b"notes": key_spec.notes.encode()} if key_spec.notes else {}
    reply[b"flags"] = flags_reply(key_spec.flags)
    for field, part in ((b"begin_search", key_spec.begin_search), (b"find_keys", key_spec.find_keys)):
        reply[field] = {b"type": part.kind, b"spec": part.arguments()}
    return reply


def flags_reply(flags: KeyFlag) -> SetReply:
    return SetReply([SimpleString(name) for name in flags.redis_names])


# A command's COMMAND INFO and COMMAND DOCS replies, built once: the table does not change at run time, and a
# script looping over COMMAND INFO rebuilt all of them each call (replies are never mutated once built).
_INFO: dict[str, list] = {}
_DOCS: dict[str, dict] = {}


def command_info(spec: CommandSpec) -> list:
    info = _INFO.get(spec.name)
    if info is None:
        info = _INFO[spec.name] = _command_info(spec)
    return info


def command_docs(spec: CommandSpec) -> dict:
    docs = _DOCS.get(spec.name)
    if docs is None:
        docs = _DOCS[spec.name] = _command_docs(spec)
    return docs


def _command_info(spec: CommandSpec) -> list:
    subcommands = [command_info(sub) for sub in spec.subcommands.values()]
    return [
        spec.name.encode(),
        spec.arity,
        SetReply([SimpleString(flag.encode()) for flag in spec.flags.redis_names]),
        spec.first_key,
        spec.last_key,
        spec.key_step,
        SetReply([SimpleString(category.encode()) for category in spec.acl_categories]),
        SetReply(spec.tips),
        SetReply([key_spec_reply(key_spec) for key_spec in spec.key_specs]),
        subcommands if subcommands else SetReply(),  # Redis: an array when there are some, else an empty set
    ]


# -- the commands ------------------------------------------------------------------------------------------


@command(
    "command",
    arity=-1,
    flags="loading stale",
    group="server",
    since="2.8.13",
    acl="@connection",
    complexity="O(N) where N is the total number of Redis commands",
)
def command_command(ctx: Context, argv: Argv):
    """COMMAND — Get array of Redis command details"""
    return [command_info(spec) for spec in top_level_specs(ctx)]


@command(
    "command|help", arity=2, flags="loading stale", group="server", since="5.0.0", acl="@connection", complexity="O(1)"
)
def command_help_command(ctx: Context, argv: Argv):
    """COMMAND HELP — Show helpful text about the different subcommands"""
    return help_reply(HELP)


@command(
    "command|count",
    arity=2,
    flags="loading stale",
    group="server",
    since="2.8.13",
    acl="@connection",
    complexity="O(1)",
)
def command_count_command(ctx: Context, argv: Argv):
    """COMMAND COUNT — Get total number of Redis commands"""
    return len(ctx.server.engine.commands)


@command(
    "command|info",
    arity=-2,
    flags="loading stale",
    group="server",
    since="2.8.13",
    acl="@connection",
    complexity="O(N) where N is the number of commands to look up",
)
def command_info_command(ctx: Context, argv: Argv):
    """COMMAND INFO [command-name [command-name ...]] — Get array of specific Redis command details, or all when no
    argument is given."""
    if len(argv) == 2:
        return command_command(ctx, argv)
    replies = []
    for name in argv[2:]:
        spec = find_spec(ctx, name)
        replies.append(command_info(spec) if spec is not None else None)
    return replies


@command(
    "command|docs",
    arity=-2,
    flags="loading stale",
    group="server",
    since="7.0.0",
    acl="@connection",
    complexity="O(N) where N is the number of commands to look up",
)
def command_docs_command(ctx: Context, argv: Argv):
    """COMMAND DOCS [command-name [command-name ...]] — Get array of specific Redis command documentation"""
    if len(argv) == 2:
        specs = top_level_specs(ctx)
    else:
        specs = [spec for spec in (find_spec(ctx, name) for name in argv[2:]) if spec is not None]
    return {spec.name.encode(): command_docs(spec) for spec in specs}


def _command_docs(spec: CommandSpec) -> dict:
    docs: dict[bytes, object] = {
        b"summary": spec.summary.encode(),
        b"since": spec.since.encode(),
        b"group": spec.group.encode(),
    }
    if spec.complexity:
        docs[b"complexity"] = spec.complexity.encode()
    arguments = syntax_arguments(spec)
    if arguments:
        docs[b"arguments"] = arguments
    if spec.subcommands:
        docs[b"subcommands"] = {sub.name.encode(): command_docs(sub) for sub in spec.subcommands.values()}
    return docs


@command(
    "command|list",
    arity=-2,
    flags="loading stale",
    group="server",
    since="7.0.0",
    acl="@connection",
    complexity="O(N) where N is the total number of Redis commands",
)
def command_list_command(ctx: Context, argv: Argv):
    """COMMAND LIST [FILTERBY <MODULE module-name | ACLCAT category | PATTERN pattern>] — Get an array of Redis command
    names"""
    specs = list(all_specs(ctx))
    if len(argv) == 2:
        return [spec.name.encode() for spec in specs]
    if len(argv) != 5 or argv[2].upper() != b"FILTERBY":
        raise CommandError(errors.SYNTAX)
    kind, value = argv[3].upper(), argv[4]
    if kind == b"MODULE":
        return []  # no modules are loaded
    if kind == b"ACLCAT":
        category = "@" + value.decode("latin-1").lower()
        return [spec.name.encode() for spec in specs if category in spec.acl_categories]
    if kind == b"PATTERN":
        match = compile_glob(value, nocase=True).match
        return [spec.name.encode() for spec in specs if match(spec.name.encode())]
    raise CommandError(errors.SYNTAX)


def command_keys(ctx: Context, argv: list[bytes]) -> list[tuple[int, KeyFlag]]:
    """COMMAND GETKEYS's lookup: the named command, its arity, then its keys with their flags."""
    target = argv[2:]
    entry = ctx.server.engine.lookup(target)
    if entry is None:
        raise CommandError(errors.INVALID_COMMAND)
    spec = entry.spec
    if not spec.has_keys:
        raise CommandError(errors.NO_KEY_ARGUMENTS)
    if len(target) != spec.arity and (spec.arity > 0 or len(target) < -spec.arity):
        raise CommandError(errors.INVALID_COMMAND_ARGS)
    keys = spec.keys_and_flags(target)
    if not keys and not spec.flags & CommandFlag.NO_MANDATORY_KEYS:  # keys that move, and these name none
        raise CommandError(errors.INVALID_KEY_ARGUMENTS)
    return keys


@command(
    "command|getkeys",
    arity=-4,
    flags="loading stale",
    group="server",
    since="2.8.13",
    acl="@connection",
    complexity="O(N) where N is the number of arguments to the command",
)
def command_getkeys_command(ctx: Context, argv: Argv):
    """COMMAND GETKEYS command [arg [arg ...]] — Extract keys given a full Redis command"""
    return [argv[2 + position] for position, _ in command_keys(ctx, argv)]


@command(
    "command|getkeysandflags",
    arity=-4,
    flags="loading stale",
    group="server",
    since="7.0.0",
    acl="@connection",
    complexity="O(N) where N is the number of arguments to the command",
)
def command_getkeysandflags_command(ctx: Context, argv: Argv):
    """COMMAND GETKEYSANDFLAGS command [arg [arg ...]] — Extract keys and access flags given a full Redis command"""
    return [[argv[2 + position], flags_reply(flags)] for position, flags in command_keys(ctx, argv)]


# -- COMMAND DOCS arguments from the syntax line -----------------------------------------------------------

_TOKEN = re.compile(r"\[|\]|<|>|\(|\)|\||\.\.\.|[^\s\[\]<>()|]+")
_INTEGER_NAMES = {
    "count",
    "seconds",
    "milliseconds",
    "timeout",
    "index",
    "offset",
    "start",
    "end",
    "stop",
    "db",
    "numkeys",
    "decrement",
    "port",
    "client-id",
    "len",
    "limit",
    "protover",
    "numreplicas",
    "delay",
    "bit",
    "value-integer",
    "destination-db",
    "number",
}
_DOUBLE_NAMES = {"score", "longitude", "latitude", "radius", "width", "height", "min", "max"}
_CLOSERS = {"[": "]", "<": ">", "(": ")"}


class _SyntaxParser:
    """Turns `SET key value [NX | XX] [EX seconds | PX milliseconds]` into Redis's argument maps.

    Grammar: sequence := item*; item := word | '[' alternatives ']' | '<' alternatives '>' | '(' ... ')';
    alternatives := sequence ('|' sequence)*; `x [x ...]` marks x as multiple.
    """

    def __init__(self, text: str):
        self.tokens = _TOKEN.findall(text)
        self.pos = 0

    def parse(self) -> list[dict]:
        arguments = self.alternatives(end=None)
        if self.pos != len(self.tokens):
            raise ValueError("unbalanced syntax")
        return arguments

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def alternatives(self, end: str | None) -> list[dict]:
        choices = [self.sequence(end)]
        while self.peek() == "|":
            self.pos += 1
            choices.append(self.sequence(end))
        if len(choices) == 1:
            return choices[0]
        return [
            {
                "name": self.group_name(choices),
                "type": "oneof",
                "arguments": [self.as_one(choice) for choice in choices],
            }
        ]

    def sequence(self, end: str | None) -> list[dict]:
        items: list[dict] = []
        words: list[str] = []  # the raw words of each item, to spot `x [x ...]`
        while True:
            token = self.peek()
            if token is None or token == "|" or token == end:
                return items
            self.pos += 1
            if token in _CLOSERS:
                closer = _CLOSERS[token]
                start = self.pos
                inner = self.alternatives(closer)
                if self.peek() != closer:
                    raise ValueError("unclosed group")
                inner_words = self.tokens[start : self.pos]
                self.pos += 1
                if inner_words and inner_words[-1] == "..." and self.repeats(items, words, inner_words[:-1]):
                    continue
                if self.peek() == "...":  # `<a b> ...`: the group repeats
                    self.pos += 1
                    inner = [self.with_flag(self.as_one(inner), "multiple")]
                if token == "[":
                    inner = [self.with_flag(self.as_one(inner), "optional")]
                items.extend(inner)
                words.append(" ".join(inner_words))
            elif token == "...":
                if items:
                    items[-1] = self.with_flag(items[-1], "multiple")
            elif token.isupper() or (token[0].isupper() and not token[0].isdigit()):
                following = self.peek()
                if (
                    following is not None
                    and following not in _CLOSERS
                    and following not in ("|", "...", "]", ">", ")")
                    and not following.isupper()
                ):
                    self.pos += 1
                    argument = self.word(following)
                    argument["token"] = token
                    items.append(argument)
                    words.append(f"{token} {following}")
                else:
                    items.append({"name": token.lower(), "type": "pure-token", "token": token})
                    words.append(token)
            else:
                items.append(self.word(token))
                words.append(token)

    def repeats(self, items: list[dict], words: list[str], inner_words: list[str]) -> bool:
        """`key [key ...]` / `key value [key value ...]`: mark the previous items as repeating."""
        repeated = " ".join(inner_words)
        for count in range(1, len(words) + 1):
            if " ".join(words[-count:]) == repeated:
                block = items[-count:]
                del items[-count:]
                del words[-count:]
                if len(block) == 1:
                    items.append(self.with_flag(block[0], "multiple"))
                else:
                    items.append({"name": "data", "type": "block", "flags": ["multiple"], "arguments": block})
                words.append(repeated + " ...")
                return True
        return False

    def word(self, token: str) -> dict:
        name = token.strip("'\"").lower()
        argument: dict[str, str | int] = {"name": name, "type": _argument_type(name)}
        if argument["type"] == "key":
            argument["key_spec_index"] = 0
        return argument

    @staticmethod
    def group_name(choices: list[list[dict]]) -> str:
        return "_".join(argument["name"] for choice in choices for argument in choice[:1])[:60] or "choice"

    def as_one(self, arguments: list[dict]) -> dict:
        if len(arguments) == 1:
            return arguments[0]
        return {"name": "block", "type": "block", "arguments": arguments}

    @staticmethod
    def with_flag(argument: dict, flag: str) -> dict:
        flags = argument.setdefault("flags", [])
        if flag not in flags:
            flags.append(flag)
        return argument


def _argument_type(name: str) -> str:
    if name == "key" or name.endswith("key") or name in ("destination", "source", "newkey"):
        return "key"
    if name in _INTEGER_NAMES:
        return "integer"
    if name.startswith("unix-time"):
        return "unix-time"
    if name in _DOUBLE_NAMES:
        return "double"
    if name == "pattern":
        return "pattern"
    return "string"


def _encode_argument(argument: dict) -> dict:
    out = {b"name": argument["name"].encode(), b"type": argument["type"].encode()}
    if "key_spec_index" in argument:
        out[b"key_spec_index"] = argument["key_spec_index"]
    if "token" in argument:
        out[b"token"] = argument["token"].encode()
    if argument.get("flags"):
        out[b"flags"] = SetReply([SimpleString(flag.encode()) for flag in argument["flags"]])
    if "arguments" in argument:
        out[b"arguments"] = [_encode_argument(inner) for inner in argument["arguments"]]
    return out


def syntax_arguments(spec: CommandSpec) -> list[dict]:
    """The argument tree of a command's syntax line (after its name); [] when it cannot be parsed."""
    words_in_name = spec.name.count("|") + 1
    text = spec.syntax.split(None, words_in_name)
    if len(text) <= words_in_name:
        return []
    try:
        return [_encode_argument(argument) for argument in _SyntaxParser(text[words_in_name]).parse()]
    except (ValueError, IndexError):
        return []
