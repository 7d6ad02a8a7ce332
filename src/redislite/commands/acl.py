"""ACL: SETUSER, GETUSER, DELUSER, USERS, LIST, WHOAMI, CAT, GENPASS, LOG, DRYRUN, SAVE, LOAD, HELP. The users
and the rules themselves are storage/acl.py; the engine checks them at its gate."""

import os
from pathlib import Path

from .. import errors
from ..errors import CommandError, c_string
from ..protocol.values import OK, SetReply
from ..storage.acl import (
    CATEGORIES,
    DENIED_COMMAND,
    DENIED_KEY,
    GENPASS_MAX_BITS,
    REASONS,
    AclRuleError,
    Selector,
    UnmatchedSelector,
    User,
    generate_password,
    merge_selector_arguments,
)
from .args import to_int
from .client import help_reply
from .context import Argv, Context, Server
from .registry import command

ACL_HELP = """\
ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
CAT [<category>]
    List all commands that belong to <category>, or all command categories
    when no category is specified.
DELUSER <username> [<username> ...]
    Delete a list of users.
DRYRUN <username> <command> [<arg> ...]
    Returns whether the user can execute the given command without executing the command.
GETUSER <username>
    Get the user's details.
GENPASS [<bits>]
    Generate a secure 256-bit user password. The optional `bits` argument can
    be used to specify a different size.
LIST
    Show users details in config file format.
LOAD
    Reload users from the ACL file.
LOG [<count> | RESET]
    Show the ACL log entries.
SAVE
    Save the current config to the ACL file.
SETUSER <username> <attribute> [<attribute> ...]
    Create or modify a user with the specified attributes.
USERS
    List all the registered usernames.
WHOAMI
    Return the current connection username.
HELP
    Prints this help."""

ADMIN = "admin noscript loading stale"


@command("acl", arity=-2, group="server", since="6.0.0", complexity="Depends on subcommand.")
def acl_command(ctx: Context, argv: Argv):
    """ACL — A container for Access List Control commands"""
    raise CommandError(errors.wrong_arity("acl"))


@command("acl|help", arity=2, flags="loading stale", group="server", since="6.0.0", complexity="O(1)")
def acl_help_command(ctx: Context, argv: Argv):
    """ACL HELP — Show helpful text about the different subcommands"""
    return help_reply(ACL_HELP)


@command(
    "acl|setuser",
    arity=-3,
    flags=ADMIN,
    group="server",
    since="6.0.0",
    complexity="O(N). Where N is the number of rules provided.",
)
def acl_setuser_command(ctx: Context, argv: Argv):
    """ACL SETUSER username [rule [rule ...]] — Modify or create the rules for a specific ACL user"""
    name = argv[2]
    if any(byte in b" \t\n\v\f\r\x00" for byte in name):
        raise CommandError(errors.ACL_USERNAME_SPACES)
    try:
        rules = merge_selector_arguments(argv[3:])
    except UnmatchedSelector as unmatched:
        raise CommandError(errors.ACL_UNMATCHED_SELECTOR % argv[3 + unmatched.index]) from None
    acl = ctx.server.acl
    existing = acl.users.get(name)
    # the rules apply to a copy, so a failing rule changes nothing
    edited = existing.copy() if existing is not None else acl.new_user(name)
    for rule in rules:
        try:
            edited.apply(rule, acl.pubsub_default_all)
        except AclRuleError as error:
            raise CommandError(errors.ACL_SETUSER_ERROR % (c_string(rule), str(error).encode())) from None
    if existing is None:
        acl.users[name] = edited
        return OK
    kill_subscribers_no_longer_allowed(ctx.server, existing, edited)
    edited.copy_into(existing)
    for client in list(ctx.server.clients.values()):
        if client.user is existing:
            client.acl_changed()
    return OK


def kill_subscribers_no_longer_allowed(server: Server, user: User, edited: User) -> None:
    """ACLKillPubsubClientsIfNeeded: clients of the user subscribed to channels it may no longer use go."""
    if any(selector.all_channels for selector in edited.selectors):
        return
    for client in list(server.clients.values()):
        if client.user is not user or not client.subscribed:
            continue
        channels = [*client.channels, *client.shard_channels]
        allowed = edited.channels_allowed(client.patterns, literal=True) and edited.channels_allowed(channels, False)
        if not allowed and client.connection is not None:
            client.connection.kill()


@command(
    "acl|getuser",
    arity=3,
    flags=ADMIN,
    group="server",
    since="6.0.0",
    complexity="O(N). Where N is the number of password, command and pattern rules that the user has.",
)
def acl_getuser_command(ctx: Context, argv: Argv):
    """ACL GETUSER username — Get the rules for a specific ACL user"""
    user = ctx.server.acl.users.get(argv[2])
    if user is None:
        return None
    reply: dict = {b"flags": SetReply(user.flags()), b"passwords": list(user.passwords)}
    reply.update(describe_selector(user.root))
    reply[b"selectors"] = [describe_selector(selector) for selector in user.selectors[1:]]
    return reply


def describe_selector(selector: Selector) -> dict:
    return {
        b"commands": selector.describe_commands(),
        b"keys": selector.describe_keys(),
        b"channels": selector.describe_channels(),
    }


@command(
    "acl|deluser",
    arity=-3,
    flags=ADMIN,
    group="server",
    since="6.0.0",
    complexity="O(1) amortized time considering the typical user.",
)
def acl_deluser_command(ctx: Context, argv: Argv):
    """ACL DELUSER username [username ...] — Remove the specified ACL users and the associated rules"""
    if b"default" in argv[2:]:
        raise CommandError(errors.ACL_DEFAULT_UNDELETABLE)
    acl = ctx.server.acl
    deleted = 0
    for name in argv[2:]:
        user = acl.users.pop(name, None)
        if user is not None:
            disconnect_clients_of(ctx, user)
            deleted += 1
    return deleted


def disconnect_clients_of(ctx: Context, user: User) -> None:
    """ACLFreeUserAndKillClients: the user is gone, and so are its connections (the one running this command
    after its reply)."""
    server = ctx.server
    for client in list(server.clients.values()):
        if client.user is user:
            client.user = server.acl.default
            client.authenticated = False
            if client is ctx:
                client.close()
            elif client.connection is not None:
                client.connection.kill()


@command(
    "acl|users",
    arity=2,
    flags=ADMIN,
    group="server",
    since="6.0.0",
    complexity="O(N). Where N is the number of configured users.",
)
def acl_users_command(ctx: Context, argv: Argv):
    """ACL USERS — List the username of all the configured ACL rules"""
    return [user.name for user in ctx.server.acl.sorted_users()]


@command(
    "acl|list",
    arity=2,
    flags=ADMIN,
    group="server",
    since="6.0.0",
    complexity="O(N). Where N is the number of configured users.",
)
def acl_list_command(ctx: Context, argv: Argv):
    """ACL LIST — List the current ACL rules in ACL config file format"""
    return [b"user " + user.name + b" " + user.describe() for user in ctx.server.acl.sorted_users()]


@command("acl|whoami", arity=2, flags="noscript loading stale", group="server", since="6.0.0", complexity="O(1)")
def acl_whoami_command(ctx: Context, argv: Argv):
    """ACL WHOAMI — Return the name of the user associated to the current connection"""
    return ctx.user.name


@command(
    "acl|cat",
    arity=-2,
    flags="noscript loading stale",
    group="server",
    since="6.0.0",
    complexity="O(1) since the categories and commands are a fixed set.",
)
def acl_cat_command(ctx: Context, argv: Argv):
    """ACL CAT [categoryname] — List the ACL categories or the commands inside a category"""
    if len(argv) == 2:
        return [category.encode() for category in CATEGORIES]
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("acl", argv[1]))
    category = argv[2].decode("latin-1").lower()
    if category not in CATEGORIES:
        raise CommandError(errors.ACL_UNKNOWN_CATEGORY % argv[2][:128])
    return [entry.fullname.encode() for entry in ctx.server.acl.catalog.in_category(category)]


@command("acl|genpass", arity=-2, flags="noscript loading stale", group="server", since="6.0.0", complexity="O(1)")
def acl_genpass_command(ctx: Context, argv: Argv):
    """ACL GENPASS [bits] — Generate a pseudorandom secure password to use for ACL users"""
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("acl", argv[1]))
    bits = to_int(argv[2]) if len(argv) > 2 else 256
    if not 0 < bits <= GENPASS_MAX_BITS:
        raise CommandError(errors.ACL_GENPASS_RANGE)
    return generate_password(bits)


@command(
    "acl|log",
    arity=-2,
    flags=ADMIN,
    group="server",
    since="6.0.0",
    complexity="O(N) with N being the number of entries shown.",
)
def acl_log_command(ctx: Context, argv: Argv):
    """ACL LOG [count | RESET] — List latest events denied because of ACLs in place"""
    if len(argv) > 3:
        raise CommandError(errors.unknown_subcommand_or_arity("acl", argv[1]))
    acl = ctx.server.acl
    count = 10
    if len(argv) == 3:
        if argv[2].lower() == b"reset":
            acl.log.clear()
            return OK
        count = max(0, to_int(argv[2]))
    now_ms = ctx.server.clock_ms()
    return [
        {
            b"count": entry.count,
            b"reason": REASONS[entry.reason],
            b"context": entry.context,
            b"object": entry.object,
            b"username": entry.username,
            b"age-seconds": (now_ms - entry.created_ms) / 1000,
            b"client-info": entry.client_info,
        }
        for entry in acl.log[:count]
    ]


@command("acl|dryrun", arity=-4, flags=ADMIN, group="server", since="7.0.0", complexity="O(1).")
def acl_dryrun_command(ctx: Context, argv: Argv):
    """ACL DRYRUN username command [arg [arg ...]] — Returns whether the user can execute the given command
    without executing the command."""
    user = ctx.server.acl.users.get(argv[2])
    if user is None:
        raise CommandError(errors.ACL_USER_NOT_FOUND % argv[2])
    tested = argv[3:]
    entry = ctx.server.engine.lookup(tested)
    if entry is None:
        raise CommandError(errors.ACL_COMMAND_NOT_FOUND % argv[3])
    arity = entry.arity
    if (arity > 0 and arity != len(tested)) or len(tested) < -arity:
        raise CommandError(errors.wrong_arity(entry.name))
    denied = user.check(entry.acl, tested)
    if denied is None:
        return OK
    reason, position = denied
    if reason == DENIED_COMMAND:
        return b"This user has no permissions to run the '%s' command" % entry.name.encode()
    what = b"key" if reason == DENIED_KEY else b"channel"
    return b"This user has no permissions to access the '%s' %s" % (tested[position], what)


@command(
    "acl|save",
    arity=2,
    flags=ADMIN,
    group="server",
    since="6.0.0",
    complexity="O(N). Where N is the number of configured users.",
)
def acl_save_command(ctx: Context, argv: Argv):
    """ACL SAVE — Save the current ACL rules in the configured ACL file"""
    path = acl_file(ctx.server)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        temporary.write_text(ctx.server.acl.serialize(), errors="surrogateescape")
        temporary.replace(path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise CommandError(errors.ACL_SAVE_FAILED) from None
    return OK


@command(
    "acl|load",
    arity=2,
    flags=ADMIN,
    group="server",
    since="6.0.0",
    complexity="O(N). Where N is the number of configured users.",
)
def acl_load_command(ctx: Context, argv: Argv):
    """ACL LOAD — Reload the ACLs from the configured ACL file"""
    load_acl_file(ctx.server, acl_file(ctx.server), ctx)
    return OK


def acl_file(server: Server) -> Path:
    """aclfile, a relative path being relative to `dir` (Redis works in `dir`)."""
    if not server.config.aclfile:
        raise CommandError(errors.ACL_NO_FILE)
    return Path(server.config.dir) / server.config.aclfile


def load_acl_file(server: Server, path: Path, ctx: Context | None = None) -> None:
    """ACLLoadFromFile: the file's users replace every user; the clients of replaced users are disconnected
    (the default user is kept, with the file's rules)."""
    acl = server.acl
    try:
        text = path.read_text(errors="surrogateescape")
    except OSError as error:
        raise CommandError(
            b"ERR Error loading ACLs, opening file '%s': %s" % (str(path).encode(), (error.strerror or "").encode())
        ) from None
    try:
        users = acl.parse_file(text, str(path))
    except ValueError as error:
        raise CommandError(b"ERR " + str(error).encode("utf-8", "surrogateescape")) from None
    for user in acl.replace_users(users):
        if ctx is not None:  # (at start-up nobody is connected)
            disconnect_clients_of(ctx, user)
    for client in server.clients.values():
        client.acl_changed()


def load_users_at_startup(server: Server, config_lines: list[str]) -> None:
    """ACLLoadUsersAtStartup: the config file's `user` lines (the default user among them is reset first), or
    the aclfile's users; ValueError with the reason the server cannot start."""
    acl = server.acl
    if config_lines and server.config.aclfile:
        raise ValueError(
            "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is "
            "invalid. This setup is very likely to lead to configuration errors and security holes, please "
            "define either an ACL file or declare users directly in your redis.conf, but not both."
        )
    if config_lines:
        origin = str(server.config_file)
        users = acl.parse_file("\n".join(config_lines), origin)
        default = users.pop(b"default", None)
        if default is not None:
            default.copy_into(acl.default)
        acl.users.update(users)
    if server.config.aclfile:
        try:
            load_acl_file(server, acl_file(server))
        except CommandError as error:
            raise ValueError(error.message.decode("utf-8", "replace").removeprefix("ERR ")) from None
