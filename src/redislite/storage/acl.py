"""Redis 7.0's access control lists (acl.c): users, their selectors, the rules of ACL SETUSER, the permission
check and the ACL log. Plain synchronous data: the engine hands it the command table as `AclCommand`s and asks
`Acl.check` at its one gate; commands/acl.py is the ACL command on top.

A user has flags (on/off, nopass, sanitize-payload), SHA-256 password hashes and selectors: the root one
(rules outside parentheses) and any added with `(...)`. A command runs when one selector allows the command,
every key it names (read / write as its key specs say) and every channel it publishes or subscribes to.
"""

import hashlib
import hmac
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from .glob import glob_match

READ = 1
WRITE = 2
READ_WRITE = READ | WRITE

# The categories in Redis's order (ACL CAT, and the describer's tie-break).
CATEGORIES = (
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
)

# Why a command was refused (Redis's ACL_DENIED_*; a higher value is the more relevant error across selectors)
DENIED_COMMAND = 1
DENIED_KEY = 2
DENIED_AUTH = 3
DENIED_CHANNEL = 4
REASONS = {DENIED_COMMAND: b"command", DENIED_KEY: b"key", DENIED_AUTH: b"auth", DENIED_CHANNEL: b"channel"}

# How a command names channels: PUBLISH its first argument, SUBSCRIBE all, PSUBSCRIBE all as literal patterns
NO_CHANNELS, PUBLISHES, SUBSCRIBES, SUBSCRIBES_PATTERNS = range(4)

LOG_GROUPING_MS = 60_000  # ACL LOG folds a repeated denial into one entry within this time
GENPASS_MAX_BITS = 4096


class AclRuleError(Exception):
    """A rule ACL SETUSER refuses; the message is acl.c's ACLSetUserStringError text."""


UNKNOWN_NAME = "Unknown command or category name in ACL"
SYNTAX = "Syntax error"
KEYS_AFTER_ALL = (
    "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. "
    "Try 'resetkeys' to start with an empty list of patterns"
)
CHANNELS_AFTER_ALL = (
    "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any "
    "effect. Try 'resetchannels' to start with an empty list of channels"
)
NO_SUCH_PASSWORD = "The password you are trying to remove from the user does not exist"
BAD_HASH = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
FIRST_ARG_OF_SUBCOMMAND = "Allowing first-arg of a subcommand is not supported"


@dataclass(eq=False)
class AclCommand:
    """What the ACL needs to know of one command (or subcommand) of the table."""

    fullname: str  # "get", "client|list"
    categories: frozenset[str]
    no_auth: bool = False
    has_keys: bool = False
    keys: Callable[[list[bytes]], list[tuple[int, int]]] | None = None  # argv -> (position, READ/WRITE bits)
    channels: int = NO_CHANNELS
    parent: "AclCommand | None" = None
    subcommands: dict[str, "AclCommand"] = field(default_factory=dict)

    def with_subcommands(self) -> Iterable["AclCommand"]:
        yield self
        yield from self.subcommands.values()


class CommandCatalog:
    """The commands the rules name, in table order, and lookups by name (case-insensitive)."""

    def __init__(self, commands: Iterable[AclCommand]):
        self.commands = list(commands)
        self.by_name = {command.fullname: command for command in self.commands}
        self.all = [c for command in self.commands for c in command.with_subcommands()]

    def lookup(self, name: str) -> AclCommand | None:
        """lookupCommandBySds: `name` or `container|sub`, strictly (a plain command takes no `|sub`)."""
        parts = name.lower().split("|")
        if len(parts) > 2:
            return None
        command = self.by_name.get(parts[0])
        if command is None or len(parts) == 1:
            return command
        return command.subcommands.get(parts[1])

    def in_category(self, category: str) -> list[AclCommand]:
        return [command for command in self.all if category in command.categories]


@dataclass(eq=False)
class KeyPattern:
    pattern: bytes
    perms: int  # READ, WRITE or both

    def describe(self) -> bytes:
        prefix = {READ_WRITE: b"~", READ: b"%R~", WRITE: b"%W~"}[self.perms]
        return prefix + self.pattern


class Selector:
    """A set of permissions: commands (and first arguments of plain commands), key patterns, channels."""

    def __init__(self, catalog: CommandCatalog, all_channels: bool, root: bool = False):
        self.catalog = catalog
        self.root = root
        self.all_keys = False
        self.all_channels = all_channels
        self.all_commands = False  # every command, also future ones: what +@all sets and any removal clears
        self.future = False  # Redis's reserved command bit: +@all sets it, -@all clears it
        self.allowed: set[str] = set()
        self.first_args: dict[str, list[bytes]] = {}
        self.patterns: list[KeyPattern] = []
        self.channels: list[bytes] = []

    def copy(self) -> "Selector":
        other = Selector(self.catalog, self.all_channels, self.root)
        other.all_keys, other.all_commands, other.future = self.all_keys, self.all_commands, self.future
        other.allowed = set(self.allowed)
        other.first_args = {name: list(args) for name, args in self.first_args.items()}
        other.patterns = [KeyPattern(p.pattern, p.perms) for p in self.patterns]
        other.channels = list(self.channels)
        return other

    @property
    def unrestricted(self) -> bool:
        return self.all_commands and self.all_keys and self.all_channels

    # -- rules ----------------------------------------------------------------------------------------

    def apply(self, op: bytes) -> None:
        """ACLSetSelector: one rule; AclRuleError when it is not valid."""
        lower = op.lower()
        if lower in (b"allkeys", b"~*"):
            self.all_keys = True
            self.patterns = []
        elif lower == b"resetkeys":
            self.all_keys = False
            self.patterns = []
        elif lower in (b"allchannels", b"&*"):
            self.all_channels = True
            self.channels = []
        elif lower == b"resetchannels":
            self.all_channels = False
            self.channels = []
        elif lower in (b"allcommands", b"+@all"):
            self.allowed = {command.fullname for command in self.catalog.all}
            self.all_commands = self.future = True
            self.first_args = {}
        elif lower in (b"nocommands", b"-@all"):
            self.allowed = set()
            self.all_commands = self.future = False
            self.first_args = {}
        elif op[:1] in (b"~", b"%"):
            self._add_key_pattern(op)
        elif op[:1] == b"&":
            if self.all_channels:
                raise AclRuleError(CHANNELS_AFTER_ALL)
            if _has_spaces(op[1:]):
                raise AclRuleError(SYNTAX)
            if op[1:] not in self.channels:
                self.channels.append(op[1:])
        elif op[:2] in (b"+@", b"-@"):
            category = op[2:].decode("latin-1").lower()
            if category not in CATEGORIES:
                raise AclRuleError(UNKNOWN_NAME)
            for command in self.catalog.in_category(category):
                self._change(command, op[:1] == b"+")
        elif op[:1] == b"+":
            self._allow(op[1:].decode("latin-1"))
        elif op[:1] == b"-":
            denied = self.catalog.lookup(op[1:].decode("latin-1"))
            if denied is None:
                raise AclRuleError(UNKNOWN_NAME)
            self._change(denied, False)
        else:
            raise AclRuleError(SYNTAX)

    def _add_key_pattern(self, op: bytes) -> None:
        if self.all_keys:
            raise AclRuleError(KEYS_AFTER_ALL)
        perms, offset = READ_WRITE, 1
        if op[:1] == b"%":
            perms = 0
            for offset in range(1, len(op) + 1):
                char = op[offset : offset + 1].upper()
                if char == b"R" and not perms & READ:
                    perms |= READ
                elif char == b"W" and not perms & WRITE:
                    perms |= WRITE
                elif char == b"~":
                    offset += 1
                    break
                else:
                    raise AclRuleError(SYNTAX)
        pattern = op[offset:]
        if _has_spaces(pattern):
            raise AclRuleError(SYNTAX)
        for existing in self.patterns:
            if existing.pattern == pattern:
                existing.perms |= perms
                break
        else:
            self.patterns.append(KeyPattern(pattern, perms))
        self.all_keys = False

    def _allow(self, name: str) -> None:
        if "|" not in name:
            command = self.catalog.lookup(name)
            if command is None:
                raise AclRuleError(UNKNOWN_NAME)
            self._change(command, True)
            return
        container, _, sub = name.rpartition("|")
        command = self.catalog.lookup(container)
        if command is None:
            raise AclRuleError(UNKNOWN_NAME)
        if command.parent is not None:
            raise AclRuleError(FIRST_ARG_OF_SUBCOMMAND)
        if not sub:
            raise AclRuleError(SYNTAX)
        if command.subcommands:
            subcommand = self.catalog.lookup(name)
            if subcommand is None:
                raise AclRuleError(UNKNOWN_NAME)
            self._change(subcommand, True)
            return
        # a first argument of a plain command (+select|0): deprecated in Redis, still honoured
        allowed = self.first_args.setdefault(command.fullname, [])
        if sub.lower().encode("latin-1") not in (arg.lower() for arg in allowed):
            allowed.append(sub.encode("latin-1"))

    def _change(self, command: AclCommand, allow: bool) -> None:
        """ACLChangeSelectorPerm: the command and all its subcommands; forgets its allowed first arguments."""
        self.first_args.pop(command.fullname, None)
        for each in command.with_subcommands():
            if allow:
                self.allowed.add(each.fullname)
            else:
                self.allowed.discard(each.fullname)
                self.all_commands = False

    # -- checks ---------------------------------------------------------------------------------------

    def check(self, command: AclCommand, argv: list[bytes], keys: list[tuple[int, int]] | None):
        """ACLSelectorCheckCmd: None when allowed, else (reason, the position of the refused argument)."""
        if not self.all_commands and not command.no_auth and command.fullname not in self.allowed:
            first_args = self.first_args.get(command.fullname)
            if len(argv) < 2 or not first_args:
                return DENIED_COMMAND, 0
            wanted = argv[1].lower()
            if not any(arg.lower() == wanted for arg in first_args):
                return DENIED_COMMAND, 0
        if not self.all_keys and command.has_keys and keys:
            for position, perms in keys:
                if not self.key_allowed(argv[position], perms):
                    return DENIED_KEY, position
        if not self.all_channels and command.channels:
            literal = command.channels == SUBSCRIBES_PATTERNS
            last = 2 if command.channels == PUBLISHES else len(argv)
            for position in range(1, last):
                if not self.channel_allowed(argv[position], literal):
                    return DENIED_CHANNEL, position
        return None

    def key_allowed(self, key: bytes, perms: int) -> bool:
        if self.all_keys:
            return True
        return any(p.perms & perms == perms and glob_match(p.pattern, key) for p in self.patterns)

    def channel_allowed(self, channel: bytes, literal: bool) -> bool:
        if self.all_channels:
            return True
        if literal:
            return channel in self.channels
        return any(glob_match(pattern, channel) for pattern in self.channels)

    # -- description ----------------------------------------------------------------------------------

    def describe_keys(self) -> bytes:
        return b"~*" if self.all_keys else b" ".join(p.describe() for p in self.patterns)

    def describe_channels(self) -> bytes:
        return b"&*" if self.all_channels else b" ".join(b"&" + channel for channel in self.channels)

    def describe(self) -> bytes:
        """ACLDescribeSelector: keys, channels, commands, as ACL LIST shows them."""
        parts = []
        if self.all_keys:
            parts.append(b"~*")
        else:
            parts += [p.describe() for p in self.patterns]
        if self.all_channels:
            parts.append(b"&*")
        else:
            parts += [b"resetchannels"] + [b"&" + channel for channel in self.channels]
        parts.append(self.describe_commands())
        return b" ".join(parts)

    def describe_commands(self) -> bytes:
        """ACLDescribeSelectorCommandRules: +@all or -@all, then the categories that fit best (each must allow
        more of the remaining commands than it gets wrong; the fewest wrong first), then single commands."""
        additive = not self.future
        rules = [b"-@all" if additive else b"+@all"]
        described = {c.fullname for c in self.catalog.all} if not additive else set()
        remaining = set(self.allowed)  # what is left to describe, as Redis's temp selector
        applied: set[str] = set()
        while True:
            best, min_diff, max_same = None, None, 0
            for category in CATEGORIES:
                if category in applied:
                    continue
                names = [c.fullname for c in self.catalog.in_category(category)]
                on = sum(1 for name in names if name in remaining)
                off = len(names) - on
                diff, same = (off, on) if additive else (on, off)
                if same > diff and (min_diff is None or diff < min_diff or (diff == min_diff and same > max_same)):
                    best, min_diff, max_same = category, diff, same
            if best is None:
                break
            applied.add(best)
            for member in self.catalog.in_category(best):
                for each in member.with_subcommands():
                    if additive:
                        described.add(each.fullname)
                        remaining.discard(each.fullname)
                    else:
                        described.discard(each.fullname)
                        remaining.add(each.fullname)
            rules.append((b"+@" if additive else b"-@") + best.encode())
        for command in self.catalog.all:
            name = command.fullname
            wanted = name in self.allowed
            if wanted != (name in described):
                rules.append((b"+" if wanted else b"-") + name.encode())
                for each in command.with_subcommands():
                    if wanted:
                        described.add(each.fullname)
                    else:
                        described.discard(each.fullname)
            if not wanted and command.parent is None:
                rules += [b"+" + name.encode() + b"|" + arg for arg in self.first_args.get(name, ())]
        return b" ".join(rules)


def _has_spaces(text: bytes) -> bool:
    return any(byte in b" \t\n\v\f\r\x00" for byte in text)


def hash_password(password: bytes) -> bytes:
    return hashlib.sha256(password).hexdigest().encode()


def valid_hash(text: bytes) -> bool:
    return len(text) == 64 and all(byte in b"0123456789abcdef" for byte in text)


class User:
    """One user: flags, password hashes (SHA-256, hex), and its selectors, the root one first."""

    def __init__(self, name: bytes, catalog: CommandCatalog, all_channels: bool):
        self.name = name
        self.enabled = False
        self.nopass = False
        self.sanitize_payload: bool | None = None  # None: neither flag (a user made without `reset`)
        self.passwords: list[bytes] = []
        self.selectors = [Selector(catalog, all_channels, root=True)]
        self.catalog = catalog
        self.default_all_channels = all_channels

    @property
    def root(self) -> Selector:
        return self.selectors[0]

    @property
    def unrestricted(self) -> bool:
        """Whether every command on every key and channel is allowed: then the engine need not ask."""
        return any(selector.unrestricted for selector in self.selectors)

    def copy(self) -> "User":
        other = User(self.name, self.catalog, self.default_all_channels)
        self.copy_into(other)
        return other

    def copy_into(self, other: "User") -> None:
        other.enabled, other.nopass, other.sanitize_payload = self.enabled, self.nopass, self.sanitize_payload
        other.passwords = list(self.passwords)
        other.selectors = [selector.copy() for selector in self.selectors]

    def apply(self, op: bytes, all_channels: bool) -> None:
        """ACLSetUser: one rule (`all_channels` is acl-pubsub-default, for `reset` and new selectors)."""
        if not op:
            return
        lower = op.lower()
        if lower == b"on":
            self.enabled = True
        elif lower == b"off":
            self.enabled = False
        elif lower == b"skip-sanitize-payload":
            self.sanitize_payload = False
        elif lower == b"sanitize-payload":
            self.sanitize_payload = True
        elif lower == b"nopass":
            self.nopass = True
            self.passwords = []
        elif lower == b"resetpass":
            self.nopass = False
            self.passwords = []
        elif op[:1] in (b">", b"#"):
            hashed = hash_password(op[1:]) if op[:1] == b">" else op[1:]
            if not valid_hash(hashed):
                raise AclRuleError(BAD_HASH)
            if hashed not in self.passwords:
                self.passwords.append(hashed)
            self.nopass = False
        elif op[:1] in (b"<", b"!"):
            hashed = hash_password(op[1:]) if op[:1] == b"<" else op[1:]
            if not valid_hash(hashed):
                raise AclRuleError(BAD_HASH)
            if hashed not in self.passwords:
                raise AclRuleError(NO_SUCH_PASSWORD)
            self.passwords.remove(hashed)
        elif op[:1] == b"(" and op[-1:] == b")":
            selector = Selector(self.catalog, all_channels)
            for rule in split_args(op[1:-1]):
                selector.apply(rule)
            self.selectors.append(selector)
        elif lower == b"clearselectors":
            del self.selectors[1:]
        elif lower == b"reset":
            for rule in (b"resetpass", b"resetkeys", b"resetchannels"):
                self.apply(rule, all_channels)
            if all_channels:
                self.apply(b"allchannels", all_channels)
            for rule in (b"off", b"sanitize-payload", b"clearselectors", b"-@all"):
                self.apply(rule, all_channels)
        else:
            self.root.apply(op)

    def password_matches(self, password: bytes) -> bool:
        """Compared as hashes, in constant time."""
        if self.nopass:
            return True
        given = hash_password(password)
        matched = False
        for stored in self.passwords:
            matched |= hmac.compare_digest(given, stored)
        return matched

    def flags(self) -> list[bytes]:
        names = [b"on" if self.enabled else b"off"]
        if self.nopass:
            names.append(b"nopass")
        if self.sanitize_payload is False:
            names.append(b"skip-sanitize-payload")
        elif self.sanitize_payload:
            names.append(b"sanitize-payload")
        return names

    def describe(self) -> bytes:
        """ACLDescribeUser: the rules that rebuild this user, as ACL LIST and ACL SAVE write them."""
        out = b" ".join(self.flags() + [b"#" + password for password in self.passwords]) + b" "
        out += self.root.describe()
        for selector in self.selectors[1:]:
            out += b" (" + selector.describe() + b")"
        return out

    def check(self, command: AclCommand, argv: list[bytes]):
        """ACLCheckAllUserCommandPerm: None when a selector allows it, else the most relevant refusal (reason,
        argument position) over all selectors."""
        keys = command.keys(argv) if command.has_keys and command.keys is not None else None
        relevant, last_position = DENIED_COMMAND, 0
        for selector in self.selectors:
            denied = selector.check(command, argv, keys)
            if denied is None:
                return None
            reason, position = denied
            if reason > relevant or (reason == relevant and position > last_position):
                relevant, last_position = reason, position
        return relevant, last_position

    def reads_every_key(self, command: AclCommand, argv: list[bytes]) -> bool:
        """ACLUserCheckCmdWithUnrestrictedKeyAccess: a selector that allows the command may read any key."""
        keys = command.keys(argv) if command.has_keys and command.keys is not None else None
        return any(
            selector.check(command, argv, keys) is None
            and (selector.all_keys or any(p.pattern == b"*" and p.perms & READ for p in selector.patterns))
            for selector in self.selectors
        )

    def channels_allowed(self, channels: Iterable[bytes], literal: bool) -> bool:
        return all(any(s.channel_allowed(channel, literal) for s in self.selectors) for channel in channels)

    def key_allowed(self, key: bytes, perms: int) -> bool:
        return any(selector.key_allowed(key, perms) for selector in self.selectors)


def split_args(text: bytes) -> list[bytes]:
    """sdssplitargs for a selector's rules: words split on whitespace, double or single quotes allowed."""
    import shlex

    try:
        return [word.encode("latin-1") for word in shlex.split(text.decode("latin-1"), posix=True)]
    except ValueError:
        raise AclRuleError(SYNTAX) from None


def merge_selector_arguments(args: list[bytes]) -> list[bytes]:
    """ACLMergeSelectorArguments: `(` ... `)` spread over several arguments become one rule. Raises
    IndexError with the index of an unclosed selector's first argument."""
    merged: list[bytes] = []
    opened: int | None = None
    selector = b""
    for index, arg in enumerate(args):
        if opened is None and arg[:1] == b"(" and arg[-1:] != b")":
            opened, selector = index, arg
            continue
        if opened is not None:
            selector += b" " + arg
            if arg[-1:] == b")":
                opened = None
                merged.append(selector)
            continue
        merged.append(arg)
    if opened is not None:
        raise UnmatchedSelector(opened)
    return merged


class UnmatchedSelector(Exception):
    def __init__(self, index: int):
        super().__init__(index)
        self.index = index


@dataclass
class LogEntry:
    count: int
    reason: int
    context: bytes  # toplevel, multi, lua
    object: bytes
    username: bytes
    created_ms: int
    client_info: bytes


class Acl:
    """One server's users and ACL log."""

    def __init__(self, catalog: CommandCatalog):
        self.catalog = catalog
        self.pubsub_default_all = False  # acl-pubsub-default: resetchannels in 7.0
        self.users: dict[bytes, User] = {}
        self.default = self.create_default_user()
        self.users[b"default"] = self.default
        # the user of the server's own clients (a master's link, the AOF loader, scripts' client): Redis's
        # NULL user, shown as (superuser), never checked
        self.superuser = self.create_default_user()
        self.superuser.name = b"(superuser)"
        self.log: list[LogEntry] = []
        self.log_max_len = 128

    @property
    def default_logs_in(self) -> bool:
        """Whether a new connection starts authenticated (as the default user): it needs no password."""
        return self.default.nopass and self.default.enabled

    def create_default_user(self) -> User:
        user = User(b"default", self.catalog, self.pubsub_default_all)
        for rule in (b"+@all", b"~*", b"&*", b"on", b"nopass"):
            user.apply(rule, self.pubsub_default_all)
        return user

    def new_user(self, name: bytes) -> User:
        return User(name, self.catalog, self.pubsub_default_all)

    def set_default_password(self, password: str) -> None:
        """requirepass: the default user's only password (none: nopass)."""
        self.default.apply(b"resetpass", self.pubsub_default_all)
        if password:
            self.default.apply(b">" + password.encode("utf-8", "surrogateescape"), self.pubsub_default_all)
        else:
            self.default.apply(b"nopass", self.pubsub_default_all)

    def sorted_users(self) -> list[User]:
        return [self.users[name] for name in sorted(self.users)]

    def credentials_ok(self, username: bytes, password: bytes) -> User | None:
        user = self.users.get(username)
        if user is None or not user.enabled or not user.password_matches(password):
            return None
        return user

    # -- the log --------------------------------------------------------------------------------------

    def add_log_entry(
        self, reason: int, context: bytes, obj: bytes, username: bytes, now_ms: int, client_info: bytes
    ) -> None:
        """addACLLogEntry: the same denial within a minute, among the latest ten entries, counts up."""
        for index, entry in enumerate(self.log[:10]):
            if (
                entry.reason == reason
                and entry.context == context
                and abs(entry.created_ms - now_ms) <= LOG_GROUPING_MS
                and entry.object == obj
                and entry.username == username
            ):
                del self.log[index]
                entry.count += 1
                entry.created_ms = now_ms
                entry.client_info = client_info
                self.log.insert(0, entry)
                return
        self.log.insert(0, LogEntry(1, reason, context, obj, username, now_ms, client_info))
        del self.log[self.log_max_len :]

    # -- files ----------------------------------------------------------------------------------------

    def parse_file(self, text: str, filename: str) -> dict[bytes, User]:
        """ACLLoadFromFile's parsing: the users an ACL file defines; ValueError with Redis's error text."""
        errors = []
        users: dict[bytes, User] = {}
        for number, line in enumerate(text.split("\n"), 1):
            line = line.strip(" \t\r\n")
            if not line:
                continue
            words = [word.encode("utf-8", "surrogateescape") for word in line.split(" ") if word]
            if not words:
                continue
            if words[0] != b"user" or len(words) < 2:
                errors.append(f"{filename}:{number} should start with user keyword followed by the username. ")
                continue
            name = words[1]
            if _has_spaces(name):
                errors.append(f"'{filename}:{number}: username '{name.decode()}' contains invalid characters. ")
                continue
            if name in users:
                errors.append(f"WARNING: Duplicate user '{name.decode()}' found on line {number}. ")
                continue
            user = users[name] = self.new_user(name)
            try:
                rules = merge_selector_arguments(words[2:])
            except UnmatchedSelector:
                errors.append(f"{filename}:{number}: Unmatched parenthesis in selector definition.")
                continue
            for rule in rules:
                try:
                    user.apply(rule.strip(b"\t\r\n"), self.pubsub_default_all)
                except AclRuleError as error:
                    errors.append(f"{filename}:{number}: {error}. ")
        if errors:
            raise ValueError(
                "".join(errors)
                + "WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
            )
        return users

    def replace_users(self, users: dict[bytes, User]) -> list[User]:
        """ACL LOAD: the file's users replace ours (the default user keeps its identity, so its clients stay);
        returns the users that were dropped, whose clients must go."""
        new_default = users.pop(b"default", None) or self.create_default_user()
        new_default.copy_into(self.default)
        dropped = [user for name, user in self.users.items() if name != b"default"]
        self.users = {b"default": self.default, **users}
        return dropped

    def user_lines(self) -> list[str]:
        """Every user as the `user` line that defines it (ACL LIST, ACL SAVE, CONFIG REWRITE)."""
        return [
            (b"user " + user.name + b" " + user.describe()).decode("utf-8", "surrogateescape")
            for user in self.sorted_users()
        ]

    def serialize(self) -> str:
        return "".join(line + "\n" for line in self.user_lines())


def generate_password(bits: int) -> bytes:
    """ACL GENPASS: `bits` of randomness as hex digits."""
    chars = (bits + 3) // 4
    return os.urandom((chars + 1) // 2).hex()[:chars].encode()
