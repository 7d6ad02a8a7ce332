"""CONFIG (GET, SET, RESETSTAT, REWRITE, HELP): the server's settings read and changed at run time. The
settings themselves (names, validation, defaults, the config file) are the top-level config module."""

import logging

from .. import config as settings_table
from .. import errors
from ..errors import CommandError, ConfigError
from ..observability.logs import LEVELS
from ..protocol.values import OK
from ..tls import TlsConfigError
from .client import help_reply
from .context import Argv, Context
from .info import all_command_entries
from .registry import command

log = logging.getLogger("redislite.server")

CONFIG_HELP = """\
CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
GET <pattern>
    Return parameters matching the glob-like <pattern> and their values.
SET <directive> <value>
    Set the configuration <directive> to <value>.
RESETSTAT
    Reset statistics reported by the INFO command.
REWRITE
    Rewrite the configuration file.
HELP
    Prints this help."""


def is_hidden(parameter: str) -> bool:
    extra = settings_table.Settings.model_fields[settings_table.PARAMETERS[parameter]].json_schema_extra
    return isinstance(extra, dict) and bool(extra.get("hidden"))  # (every parameter's extra is a dict)


@command("config", arity=-2, group="server", since="2.0.0", complexity="Depends on subcommand.")
def config_command(ctx: Context, argv: Argv):
    """CONFIG — A container for server configuration commands"""
    raise CommandError(errors.wrong_arity("config"))


@command("config|help", arity=2, flags="loading stale", group="server", since="5.0.0", complexity="O(1)")
def config_help_command(ctx: Context, argv: Argv):
    """CONFIG HELP — Show helpful text about the different subcommands"""
    return help_reply(CONFIG_HELP)


@command(
    "config|get",
    arity=-3,
    flags="admin noscript loading stale",
    group="server",
    since="2.0.0",
    complexity="O(N) when N is the number of configuration parameters provided",
)
def config_get_command(ctx: Context, argv: Argv):
    """CONFIG GET parameter [parameter ...] — Get the values of configuration parameters"""
    settings = ctx.server.config
    reply = {}
    for raw in argv[2:]:
        pattern = raw.decode("latin-1").lower()
        if pattern in settings_table.PARAMETERS:
            names = [pattern]  # an exact name, hidden ones included
        else:
            names = [name for name in settings_table.matching_parameters(raw) if not is_hidden(name)]
        for name in names:
            reply[name.encode()] = settings_table.format_value(settings, name).encode("utf-8", "surrogateescape")
    return reply


def apply_slowlog_max_len(state, value) -> None:
    state.slowlog.resize(value)


def apply_loglevel(state, value) -> None:
    logging.getLogger("redislite").setLevel(LEVELS.get(value, logging.INFO))


def apply_appendonly(state, value) -> None:
    # Turning it on writes the first base with a rewrite (started even inside EXEC: the transaction's later
    # writes land in the new incremental file wrapped in their own MULTI ... EXEC, so nothing is split).
    if state.persistence is not None and not state.persistence.set_appendonly(value):
        state.config.appendonly = False
        raise CommandError(errors.CONFIG_SET_FAILED % (b"appendonly", errors.AOF_ENABLE_FAILED))


def apply_maxclients(state, value) -> None:
    """Raise the open-files limit to fit (Redis's updateMaxclients); refused when the system cannot."""
    try:
        fitted = settings_table.fit_open_files_limit(value)
    except ConfigError:
        fitted = 0
    if fitted != value:
        raise CommandError(errors.CONFIG_SET_FAILED % (b"maxclients", errors.too_many_clients_for_os(fitted)))


def apply_requirepass(state, value) -> None:
    state.acl.set_default_password(value)  # the default user's only password, as Redis's requirepass


# Side effects of changing a parameter at run time; the rest are read where they are used. One that raises
# leaves its parameter as it was.
CONFIG_APPLY = {
    "slowlog-max-len": apply_slowlog_max_len,
    "loglevel": apply_loglevel,
    "appendonly": apply_appendonly,
    "maxclients": apply_maxclients,
    "requirepass": apply_requirepass,
}


@command(
    "config|set",
    arity=-4,
    flags="admin noscript loading stale",
    group="server",
    since="2.0.0",
    complexity="O(N) when N is the number of configuration parameters provided",
)
def config_set_command(ctx: Context, argv: Argv):
    """CONFIG SET parameter value [parameter value ...] — Set configuration parameters to the given values"""
    if len(argv) % 2:
        raise CommandError(errors.SYNTAX)
    # Validate every pair before changing anything, so a failing CONFIG SET changes nothing.
    changes = {}
    for pos in range(2, len(argv), 2):
        raw_name = argv[pos]
        name = raw_name.decode("latin-1").lower()
        if name not in settings_table.PARAMETERS:
            raise CommandError(errors.CONFIG_SET_UNKNOWN % raw_name)
        if not settings_table.is_mutable(name):
            raise CommandError(errors.CONFIG_SET_FAILED % (raw_name, errors.CONFIG_SET_IMMUTABLE))
        if name in settings_table.PROTECTED_CONFIGS and not settings_table.protected_action_allowed(
            ctx.server.config.enable_protected_configs, ctx.addr
        ):
            raise CommandError(errors.CONFIG_SET_FAILED % (raw_name, errors.CONFIG_SET_PROTECTED))
        if name in changes:
            raise CommandError(errors.CONFIG_SET_FAILED % (raw_name, errors.CONFIG_SET_DUPLICATE))
        raw_value = argv[pos + 1].decode("utf-8", "surrogateescape")
        try:
            value = settings_table.validate_value(name, raw_value)
        except ValueError as error:
            raise CommandError(errors.CONFIG_SET_FAILED % (raw_name, str(error).encode())) from None
        changes[name] = (raw_value, value)
    state = ctx.server
    previous = {name: settings_table.format_value(state.config, name) for name in changes}
    for name, (raw_value, value) in changes.items():
        setattr(state.config, settings_table.PARAMETERS[name], raw_value)
        apply = CONFIG_APPLY.get(name)
        if apply is not None:
            try:
                apply(state, value)
            except CommandError:  # (maxclients beyond the open-files limit): nothing changes
                restore(state, previous)
                raise
    tls_changed = [name for name in changes if name.startswith("tls-")]
    if tls_changed:
        apply_tls(state, tls_changed[0], previous)
    tls_port_moved = "tls-port" in changes and previous["tls-port"] != str(state.config.tls_port)
    if tls_port_moved and state.listen_tls is not None and not state.listen_tls():
        restore(state, previous)
        state.tls.configure(state.config)  # (what it was built from before: it builds again)
        raise CommandError(errors.CONFIG_SET_FAILED % (b"tls-port", errors.LISTEN_FAILED))
    state.engine.configure()
    return OK


def restore(state, previous: dict[str, str]) -> None:
    for name, value in previous.items():
        setattr(state.config, settings_table.PARAMETERS[name], value)


def apply_tls(state, name: str, previous: dict[str, str]) -> None:
    """Redis's applyTlsCfg: rebuild the TLS contexts (new connections get the new one); when they cannot be
    built, the settings go back to what they were and CONFIG SET fails."""
    try:
        state.tls.configure(state.config)
    except TlsConfigError:
        restore(state, previous)
        raise CommandError(errors.CONFIG_SET_FAILED % (name.encode(), errors.TLS_UPDATE_FAILED)) from None


@command(
    "config|resetstat", arity=2, flags="admin noscript loading stale", group="server", since="2.0.0", complexity="O(1)"
)
def config_resetstat_command(ctx: Context, argv: Argv):
    """CONFIG RESETSTAT — Reset the stats returned by INFO"""
    state = ctx.server
    state.stats.reset()
    for entry in all_command_entries(state):
        entry.reset_stats()
    for db in state.databases:
        db.expired_keys = 0
    state.ops_sample = (0.0, 0, 0)
    return OK


@command(
    "config|rewrite", arity=2, flags="admin noscript loading stale", group="server", since="2.8.0", complexity="O(1)"
)
def config_rewrite_command(ctx: Context, argv: Argv):
    """CONFIG REWRITE — Rewrite the configuration file with the in memory configuration"""
    state = ctx.server
    if state.config_file is None:
        raise CommandError(errors.NO_CONFIG_FILE)
    try:
        # the users go into the config file unless an aclfile keeps them (rewriteConfigUserOption)
        users = None if state.config.aclfile else state.acl.user_lines()
        settings_table.rewrite_config_file(state.config_file, state.config, users)
    except OSError as error:
        raise CommandError(errors.CONFIG_REWRITE_FAILED % (error.strerror or str(error)).encode()) from None
    log.info("config_rewritten", extra={"path": str(state.config_file)})
    return OK
