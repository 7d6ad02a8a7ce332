"""Server commands: INFO, CONFIG (GET, SET, RESETSTAT, REWRITE, HELP), DBSIZE, FLUSHDB, FLUSHALL, TIME, LASTSAVE,
DEBUG, MONITOR, SLOWLOG (GET, LEN, RESET, HELP), LATENCY (LATEST, HISTORY, RESET, DOCTOR, HELP), SHUTDOWN."""

import hashlib
import logging
import os
import platform
import resource
import sys
import time

from .. import REDIS_COMPAT_VERSION, __version__, config as settings_table
from .. import errors
from ..errors import CommandError
from ..observability.histogram import format_percentile, value_at_percentile_ns
from ..observability.logs import LEVELS
from ..protocol.values import OK, SimpleString, Verbatim
from ..storage.memory import STARTUP_BYTES
from .args import parse_int
from .client import help_reply
from .keys import value_type
from .registry import command
from .scripting import scripting_of
from .args import strtod

log = logging.getLogger("redislite.server")

# -- INFO ----------------------------------------------------------------------------------------------------

DEFAULT_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
                    "errorstats", "cluster", "keyspace")
ALL_SECTIONS = ("server", "clients", "memory", "persistence", "stats", "replication", "cpu", "modules",
                "commandstats", "errorstats", "latencystats", "cluster", "keyspace")
SECTION_TITLES = {"cpu": "CPU"}


def human_bytes(n: int) -> str:
    """Redis's bytesToHuman."""
    for unit, size in (("P", 1024**5), ("T", 1024**4), ("G", 1024**3), ("M", 1024**2), ("K", 1024)):
        if n >= size:
            return f"{n / size:.2f}{unit}"
    return f"{n}B"


def resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def used_memory(state) -> int:
    """What maxmemory is compared with: the dataset as engine/memory.py prices it."""
    return state.memory.used_memory()


def all_command_entries(state):
    for entry in state.engine.commands.values():
        yield from entry.all_commands()


def total_commands_processed(state) -> int:
    return sum(entry.calls for entry in all_command_entries(state))


def info_server(ctx) -> list:
    state = ctx.server
    now_ns = state.clock_ns()
    uptime = state.uptime_seconds()

    uname = platform.uname()
    return [
        ("redis_version", REDIS_COMPAT_VERSION),
        ("redislite_version", __version__),
        ("redis_git_sha1", "00000000"),
        ("redis_git_dirty", 0),
        ("redis_build_id", "0"),
        ("redis_mode", "standalone"),
        ("os", f"{uname.system} {uname.release} {uname.machine}"),
        ("arch_bits", 64 if sys.maxsize > 2**32 else 32),
        ("monotonic_clock", "POSIX clock_gettime"),
        ("multiplexing_api", "asyncio"),
        ("python_version", platform.python_version()),
        ("process_id", os.getpid()),
        ("process_supervised", "no"),
        ("run_id", state.run_id),
        ("tcp_port", state.tcp_port),
        ("server_time_usec", now_ns // 1000),
        ("uptime_in_seconds", uptime),
        ("uptime_in_days", uptime // 86400),
        ("hz", state.config.hz),
        ("configured_hz", state.config.hz),
        ("lru_clock", (now_ns // 1_000_000_000) & (2**24 - 1)),
        ("executable", os.path.abspath(sys.argv[0]) if sys.argv and sys.argv[0] else sys.executable),
        ("config_file", os.path.abspath(state.config_file) if state.config_file else ""),
        ("io_threads_active", 0),
    ]


def info_clients(ctx) -> list:
    state = ctx.server
    clients = list(state.clients.values())
    return [
        ("connected_clients", sum(1 for client in clients if client.kind != "replica")),
        ("cluster_connections", 0),
        ("maxclients", state.config.maxclients),
        ("client_recent_max_input_buffer", 0),
        ("client_recent_max_output_buffer", 0),
        ("blocked_clients", sum(1 for client in clients if client.blocked_on is not None)),
        ("tracking_clients", 0),
        ("clients_in_timeout_table", 0),
    ]


def info_memory(ctx) -> list:
    state = ctx.server
    memory = state.memory
    used = memory.used_memory()
    rss = resident_bytes()
    peak = memory.peak
    dataset = used - STARTUP_BYTES
    maxmemory = state.config.maxmemory
    return [
        ("used_memory", used),
        ("used_memory_human", human_bytes(used)),
        ("used_memory_rss", rss),
        ("used_memory_rss_human", human_bytes(rss)),
        ("used_memory_peak", peak),
        ("used_memory_peak_human", human_bytes(peak)),
        ("used_memory_peak_perc", f"{100 * used / peak if peak else 100:.2f}%"),
        ("used_memory_overhead", STARTUP_BYTES),
        ("used_memory_startup", STARTUP_BYTES),
        ("used_memory_dataset", dataset),
        ("used_memory_dataset_perc", f"{100 * dataset / used:.2f}%"),
        ("used_memory_lua", 0),
        ("maxmemory", maxmemory),
        ("maxmemory_human", human_bytes(maxmemory)),
        ("maxmemory_policy", state.config.maxmemory_policy),
        ("mem_fragmentation_ratio", f"{rss / used if used else 1:.2f}"),
        ("mem_fragmentation_bytes", rss - used),
        ("mem_allocator", "libc"),
        ("lazyfree_pending_objects", 0),
        ("lazyfreed_objects", 0),
    ]


def info_persistence(ctx) -> list:
    state = ctx.server
    if state.persistence is not None:
        return state.persistence.info_fields()
    return [
        ("loading", 0),
        ("async_loading", 0),
        ("rdb_changes_since_last_save", state.dirty),
        ("rdb_bgsave_in_progress", 0),
        ("rdb_last_save_time", state.last_save_s),
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", -1),
        ("rdb_current_bgsave_time_sec", -1),
        ("rdb_saves", 0),
        ("aof_enabled", int(state.config.appendonly)),
        ("aof_rewrite_in_progress", 0),
        ("aof_rewrite_scheduled", 0),
        ("aof_last_rewrite_time_sec", -1),
        ("aof_current_rewrite_time_sec", -1),
        ("aof_last_bgrewrite_status", "ok"),
        ("aof_rewrites", 0),
        ("aof_last_write_status", "ok"),
    ]


def instantaneous_ops(state, total: int) -> int:
    """Commands per second since the previous sample (INFO calls or the cron), as a rough figure."""
    now = time.monotonic()
    last_time, last_total, last_rate = state.ops_sample
    if now - last_time >= 0.1:
        last_rate = int((total - last_total) / (now - last_time)) if last_time else 0
        state.ops_sample = (now, total, last_rate)
    return last_rate


def info_stats(ctx) -> list:
    state = ctx.server
    stats = state.stats
    total = total_commands_processed(state)
    return [
        ("total_connections_received", stats.connections_received),
        ("total_commands_processed", total),
        ("instantaneous_ops_per_sec", instantaneous_ops(state, total)),
        ("total_net_input_bytes", stats.net_input_bytes),
        ("total_net_output_bytes", stats.net_output_bytes),
        ("instantaneous_input_kbps", "0.00"),
        ("instantaneous_output_kbps", "0.00"),
        ("rejected_connections", stats.rejected_connections),
        ("sync_full", 0),
        ("sync_partial_ok", 0),
        ("sync_partial_err", 0),
        ("expired_keys", state.expired_keys),
        ("expired_stale_perc", f"{stats.expired_stale_perc:.2f}"),
        ("expired_time_cap_reached_count", 0),
        ("expire_cycle_cpu_milliseconds", stats.expire_cycle_cpu_ms),
        ("evicted_keys", stats.evicted_keys),
        ("evicted_clients", 0),
        ("total_eviction_exceeded_time", stats.total_eviction_exceeded_time_ms),
        ("current_eviction_exceeded_time", state.memory.exceeded_time_ms()),
        ("keyspace_hits", stats.keyspace_hits),
        ("keyspace_misses", stats.keyspace_misses),
        ("pubsub_channels", 0),
        ("pubsub_patterns", 0),
        ("latest_fork_usec", state.persistence.latest_fork_usec if state.persistence else 0),
        ("total_forks", state.persistence.total_forks if state.persistence else 0),
        ("unexpected_error_replies", stats.unexpected_error_replies),
        ("total_error_replies", stats.total_error_replies),
        ("client_query_buffer_limit_disconnections", stats.client_query_buffer_limit_disconnections),
        ("client_output_buffer_limit_disconnections", stats.client_output_buffer_limit_disconnections),
    ]


def info_replication(ctx) -> list:
    state = ctx.server
    replid = hashlib.sha1(state.run_id.encode()).hexdigest()
    return [
        ("role", "master"),
        ("connected_slaves", 0),
        ("master_failover_state", "no-failover"),
        ("master_replid", replid),
        ("master_replid2", "0" * 40),
        ("master_repl_offset", 0),
        ("second_repl_offset", -1),
        ("repl_backlog_active", 0),
        ("repl_backlog_size", 1048576),
        ("repl_backlog_first_byte_offset", 0),
        ("repl_backlog_histlen", 0),
    ]


def info_cpu(ctx) -> list:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    thread = resource.getrusage(getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF))
    return [
        ("used_cpu_sys", f"{own.ru_stime:.6f}"),
        ("used_cpu_user", f"{own.ru_utime:.6f}"),
        ("used_cpu_sys_children", f"{children.ru_stime:.6f}"),
        ("used_cpu_user_children", f"{children.ru_utime:.6f}"),
        ("used_cpu_sys_main_thread", f"{thread.ru_stime:.6f}"),
        ("used_cpu_user_main_thread", f"{thread.ru_utime:.6f}"),
    ]


def info_commandstats(ctx) -> list:
    lines = []
    for entry in all_command_entries(ctx.server):
        calls = entry.calls
        if not (calls or entry.failed_calls or entry.rejected_calls):
            continue
        per_call = entry.usec / calls if calls else 0
        lines.append((f"cmdstat_{entry.name}",
                      f"calls={calls},usec={entry.usec},usec_per_call={per_call:.2f},"
                      f"rejected_calls={entry.rejected_calls},failed_calls={entry.failed_calls}"))
    return lines


def info_errorstats(ctx) -> list:
    return [(f"errorstat_{prefix}", f"count={count}") for prefix, count in sorted(ctx.server.stats.errors.items())]


def info_latencystats(ctx) -> list:
    """latency_percentiles_usec_<command>:p50=...,p99=...: the latency-tracking histograms' percentiles
    (bucket upper bounds, observability/histogram.py), for commands that recorded a call."""
    percentiles = settings_table.parse_percentiles(ctx.server.config.latency_tracking_info_percentiles)
    if not percentiles:  # Redis prints the bare section then
        return []
    lines = []
    for entry in all_command_entries(ctx.server):
        counts = entry.latency_counts
        if not entry.calls or not any(counts):
            continue
        lines.append((f"latency_percentiles_usec_{entry.name}",
                      ",".join(f"p{format_percentile(percentile)}="
                               f"{value_at_percentile_ns(counts, percentile) / 1000:.3f}"
                               for percentile in percentiles)))
    return lines


def info_keyspace(ctx) -> list:
    lines = []
    now_ms = ctx.now_ms
    for db in ctx.server.databases:
        if not len(db):
            continue
        expires = db.expires
        # Redis's avg_ttl is an estimate from expiry sampling; average a bounded sample likewise.
        sample = [deadline - now_ms for _, deadline in zip(range(1000), expires.values()) if deadline > now_ms]
        avg_ttl = sum(sample) // len(sample) if sample else 0
        lines.append((f"db{db.index}", f"keys={len(db)},expires={len(expires)},avg_ttl={avg_ttl}"))
    return lines


SECTIONS = {
    "server": info_server, "clients": info_clients, "memory": info_memory, "persistence": info_persistence,
    "stats": info_stats, "replication": info_replication, "cpu": info_cpu, "modules": lambda ctx: [],
    "commandstats": info_commandstats, "errorstats": info_errorstats, "latencystats": info_latencystats,
    "cluster": lambda ctx: [("cluster_enabled", 0)], "keyspace": info_keyspace,
}


def info_text(ctx, requested: list[str]) -> bytes:
    wanted = set()
    for name in requested or ["default"]:
        if name == "default":
            wanted.update(DEFAULT_SECTIONS)
        elif name in ("all", "everything"):
            wanted.update(ALL_SECTIONS)
        elif name in SECTIONS:
            wanted.add(name)
    blocks = []
    for name in ALL_SECTIONS:  # Redis prints sections in its own order, whatever order they were asked in
        if name not in wanted:
            continue
        title = SECTION_TITLES.get(name, name.capitalize())
        lines = "".join(f"{field}:{value}\r\n" for field, value in SECTIONS[name](ctx))
        blocks.append(f"# {title}\r\n{lines}")
    return "\r\n".join(blocks).encode()


@command("info", arity=-1, flags="loading stale", group="server", since="1.0.0", acl="@dangerous",
         complexity="O(1)")
def info_command(ctx, argv):
    """INFO [section [section ...]] — Get information and statistics about the server"""
    return Verbatim(info_text(ctx, [arg.decode("latin-1").lower() for arg in argv[1:]]))


# -- CONFIG --------------------------------------------------------------------------------------------------

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
    field = settings_table.Settings.model_fields[settings_table.PARAMETERS[parameter]]
    return bool(field.json_schema_extra.get("hidden"))


@command("config", arity=-2, group="server", since="2.0.0", complexity="Depends on subcommand.")
def config_command(ctx, argv):
    """CONFIG — A container for server configuration commands"""
    raise CommandError(errors.wrong_arity("config"))


@command("config|help", arity=2, flags="loading stale", group="server", since="5.0.0", complexity="O(1)")
def config_help_command(ctx, argv):
    """CONFIG HELP — Show helpful text about the different subcommands"""
    return help_reply(CONFIG_HELP)


@command("config|get", arity=-3, flags="admin noscript loading stale", group="server", since="2.0.0",
         complexity="O(N) when N is the number of configuration parameters provided")
def config_get_command(ctx, argv):
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
            reply[name.encode()] = settings_table.format_value(settings, name).encode()
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


# Side effects of changing a parameter at run time; the rest are read where they are used.
CONFIG_APPLY = {"slowlog-max-len": apply_slowlog_max_len, "loglevel": apply_loglevel,
                "appendonly": apply_appendonly}


@command("config|set", arity=-4, flags="admin noscript loading stale", group="server", since="2.0.0",
         complexity="O(N) when N is the number of configuration parameters provided")
def config_set_command(ctx, argv):
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
            raise CommandError(errors.CONFIG_SET_FAILED % (raw_name, b"can't set immutable config"))
        if name in changes:
            raise CommandError(errors.CONFIG_SET_FAILED % (raw_name, b"duplicate parameter"))
        raw_value = argv[pos + 1].decode("utf-8", "surrogateescape")
        try:
            value = settings_table.validate_value(name, raw_value)
        except ValueError as error:
            raise CommandError(errors.CONFIG_SET_FAILED % (raw_name, str(error).encode())) from None
        changes[name] = (raw_value, value)
    state = ctx.server
    for name, (raw_value, value) in changes.items():
        setattr(state.config, settings_table.PARAMETERS[name], raw_value)
        apply = CONFIG_APPLY.get(name)
        if apply is not None:
            apply(state, value)
    state.engine.configure()
    return OK


@command("config|resetstat", arity=2, flags="admin noscript loading stale", group="server", since="2.0.0",
         complexity="O(1)")
def config_resetstat_command(ctx, argv):
    """CONFIG RESETSTAT — Reset the stats returned by INFO"""
    state = ctx.server
    state.stats.reset()
    for entry in all_command_entries(state):
        entry.reset_stats()
    for db in state.databases:
        db.expired_keys = 0
    state.ops_sample = (0.0, 0, 0)
    return OK


@command("config|rewrite", arity=2, flags="admin noscript loading stale", group="server", since="2.8.0",
         complexity="O(1)")
def config_rewrite_command(ctx, argv):
    """CONFIG REWRITE — Rewrite the configuration file with the in memory configuration"""
    state = ctx.server
    if state.config_file is None:
        raise CommandError(errors.NO_CONFIG_FILE)
    try:
        settings_table.rewrite_config_file(state.config_file, state.config)
    except OSError as error:
        raise CommandError(b"ERR Rewriting config file: %s" % (error.strerror or str(error)).encode()) from None
    log.info("config_rewritten", extra={"path": str(state.config_file)})
    return OK


# -- keyspace-wide commands ----------------------------------------------------------------------------------


def parse_flush_mode(argv: list[bytes]) -> None:
    if len(argv) > 2 or (len(argv) == 2 and argv[1].upper() not in (b"ASYNC", b"SYNC")):
        raise CommandError(errors.SYNTAX)


@command("dbsize", arity=1, flags="readonly fast", group="server", acl="@keyspace", complexity="O(1)")
def dbsize_command(ctx, argv):
    """DBSIZE — Return the number of keys in the selected database"""
    return len(ctx.db)


@command("flushdb", arity=-1, flags="write", group="server", acl="@keyspace @dangerous",
         complexity="O(N) where N is the number of keys in the selected database")
def flushdb_command(ctx, argv):
    """FLUSHDB [ASYNC | SYNC] — Remove all keys from the current database"""
    parse_flush_mode(argv)
    ctx.server.dirty += len(ctx.db)
    ctx.db.clear()
    return OK


@command("flushall", arity=-1, flags="write", group="server", acl="@keyspace @dangerous",
         complexity="O(N) where N is the total number of keys in all databases")
def flushall_command(ctx, argv):
    """FLUSHALL [ASYNC | SYNC] — Remove all keys from all databases"""
    parse_flush_mode(argv)
    state = ctx.server
    state.dirty += sum(len(db) for db in state.databases) + 1
    state.flush_all()
    if state.persistence is not None:  # stop a BGSAVE of the old data; with save points, save the empty one
        state.persistence.flushed_all()
    return OK


@command("time", arity=1, flags="loading stale fast", group="server", since="2.6.0", complexity="O(1)")
def time_command(ctx, argv):
    """TIME — Return the current server time"""
    now_us = ctx.server.clock_ns() // 1000
    return [b"%d" % (now_us // 1_000_000), b"%d" % (now_us % 1_000_000)]


@command("lastsave", arity=1, flags="loading stale fast", group="server", acl="@admin @dangerous",
         complexity="O(1)")
def lastsave_command(ctx, argv):
    """LASTSAVE — Get the UNIX time stamp of the last successful save to disk"""
    return ctx.server.last_save_s


# -- DEBUG ---------------------------------------------------------------------------------------------------

DEBUG_HELP = """\
DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
LOG <message>
    Write <message> to the server log.
OBJECT <key>
    Show low level info about the <key> and associated value.
POPULATE <count> [<prefix>] [<size>]
    Create <count> string keys named key:<num>. If <prefix> is specified then
    it is used instead of the 'key' prefix. These are not propagated to
    replicas. Cluster slots are not respected so keys not belonging to the
    current node can be created in cluster mode.
RELOAD [option ...]
    Save the RDB on disk and reload it back to memory. Valid <option> values:
    * MERGE: conflicting keys will be loaded from RDB.
    * NOFLUSH: the existing database will not be removed before load, but
      conflicting keys will generate an exception and kill the server.
    * NOSAVE: the database will be loaded from an existing RDB file.
    Examples:
    * DEBUG RELOAD: verify that the server is able to persist, flush and reload
      the database.
    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an
      existing RDB file.
    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB
      file to the database.
LOADAOF
    Flush the AOF buffers on disk and reload the AOF in memory.
SET-ACTIVE-EXPIRE <0|1>
    Setting it to 0 disables expiring keys in background when they are not
    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the
    default.
SLEEP <seconds>
    Stop the server for <seconds>. Decimals allowed.
HELP
    Prints this help."""


@command("debug", arity=-2, flags="admin noscript loading stale", group="server", since="1.0.0",
         complexity="Depends on subcommand.")
def debug_command(ctx, argv):
    """DEBUG subcommand [argument [argument ...]] — A container for debugging commands"""
    sub = argv[1].lower()
    if sub == b"help" and len(argv) == 2:
        return help_reply(DEBUG_HELP)
    if sub == b"sleep" and len(argv) == 3:
        debug_sleep(argv[2])
        return OK
    if sub == b"object" and len(argv) == 3:
        value = ctx.db.lookup(argv[2], ctx.now_ms)
        if value is None:
            raise CommandError(errors.NO_SUCH_KEY)
        access = ctx.db.access_time(argv[2], ctx.now_ms // 1000)
        length = len(value) if isinstance(value, (bytes, bytearray)) else 0
        return SimpleString(b"Value at:0x%x refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d" % (
            id(value), value_type(value).encoding(value), length, access & (2**24 - 1),
            max(0, ctx.now_ms // 1000 - access)))
    if sub == b"set-active-expire" and len(argv) == 3:
        flag = parse_int(argv[2])
        if flag is None:
            raise CommandError(errors.NOT_INTEGER)
        ctx.server.config.active_expire_enabled = bool(flag)
        return OK
    if sub == b"reload":
        return ctx.server.persistence.debug_reload([option.upper() for option in argv[2:]])
    if sub == b"loadaof" and len(argv) == 2:
        return ctx.server.persistence.debug_load_aof()
    if sub == b"log" and len(argv) == 3:
        log.warning("debug_log", extra={"message_text": argv[2].decode("utf-8", "replace")})
        return OK
    if sub == b"populate" and 3 <= len(argv) <= 5:
        return debug_populate(ctx, argv)
    raise CommandError(errors.unknown_subcommand_or_arity("debug", argv[1]))


LONGEST_SLEEP_S = 2**32  # time.sleep's limit is about 2**33 seconds; Redis would sleep for centuries


def debug_sleep(argument: bytes) -> None:
    """DEBUG SLEEP seconds, as Redis 7.0 does it: strtod (so junk is 0 and "1e3x" is 1000), then microseconds
    as a C long long. NaN and anything past LLONG_MAX microseconds (inf included) overflow to a negative time,
    which nanosleep refuses at once, as it refuses any negative time: all of those answer OK without
    sleeping. Blocking the whole server is the point of the command."""
    micros = strtod(argument)[0] * 1_000_000
    if micros == micros and 1 <= micros < 2**63:
        time.sleep(min(int(micros) / 1_000_000, LONGEST_SLEEP_S))


def debug_populate(ctx, argv):
    """DEBUG POPULATE count [prefix [size]]: string keys prefix:0.. holding value:0.. (cut or zero-padded
    to size), skipping keys that exist."""
    count = positive_long(argv[2])
    size = positive_long(argv[4]) if len(argv) == 5 else 0
    prefix = argv[3] if len(argv) > 3 else b"key"
    db, now_ms = ctx.db, ctx.now_ms
    for index in range(count):
        key = b"%s:%d" % (prefix, index)
        if db.lookup(key, now_ms) is not None:
            continue
        value = b"value:%d" % index
        db.store(key, value[:size].ljust(size, b"\0") if size else value)
        ctx.server.dirty += 1
    return OK


def positive_long(arg: bytes) -> int:
    """getPositiveLongFromObjectOrReply, whose one message covers non-numbers too."""
    number = parse_int(arg)
    if number is None or number < 0:
        raise CommandError(b"ERR value is out of range, must be positive")
    return number


# -- MONITOR -------------------------------------------------------------------------------------------------


@command("monitor", arity=1, flags="admin noscript loading stale", group="server", since="1.0.0")
def monitor_command(ctx, argv):
    """MONITOR — Listen for all requests received by the server in real time"""
    if not ctx.monitor:
        ctx.monitor = True
        ctx.server.monitors.append(ctx)
        ctx.server.engine.hooks = True  # commands must now be fed to it
    return OK


# -- SLOWLOG -------------------------------------------------------------------------------------------------

SLOWLOG_HELP = """\
SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
GET [<count>]
    Return top <count> entries from the slowlog (default: 10, -1 mean all).
    Entries are made of:
    id, timestamp, time in microseconds, arguments array, client IP and port,
    client name
LEN
    Return the length of the slowlog.
RESET
    Reset the slowlog.
HELP
    Prints this help."""


@command("slowlog", arity=-2, group="server", since="2.2.12", complexity="Depends on subcommand.")
def slowlog_command(ctx, argv):
    """SLOWLOG — A container for slow log commands"""
    raise CommandError(errors.wrong_arity("slowlog"))


@command("slowlog|help", arity=2, flags="loading stale", group="server", since="6.2.0", complexity="O(1)")
def slowlog_help_command(ctx, argv):
    """SLOWLOG HELP — Show helpful text about the different subcommands"""
    return help_reply(SLOWLOG_HELP)


@command("slowlog|get", arity=-2, flags="admin loading stale", group="server", since="2.2.12",
         complexity="O(N) where N is the number of entries returned")
def slowlog_get_command(ctx, argv):
    """SLOWLOG GET [count] — Get the slow log's entries"""
    count = 10
    if len(argv) == 3:
        count = parse_int(argv[2])
        if count is None or count < -1:
            raise CommandError(errors.SLOWLOG_COUNT)
    elif len(argv) > 3:
        raise CommandError(b"ERR unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.")
    entries = list(ctx.server.slowlog.entries)
    if count != -1:
        entries = entries[:count]
    return [entry.as_reply() for entry in entries]


@command("slowlog|len", arity=2, flags="admin loading stale", group="server", since="2.2.12", complexity="O(1)")
def slowlog_len_command(ctx, argv):
    """SLOWLOG LEN — Get the slow log's length"""
    return len(ctx.server.slowlog.entries)


@command("slowlog|reset", arity=2, flags="admin loading stale", group="server", since="2.2.12",
         complexity="O(N) where N is the number of entries in the slowlog")
def slowlog_reset_command(ctx, argv):
    """SLOWLOG RESET — Clear all entries from the slow log"""
    ctx.server.slowlog.reset()
    return OK


# -- LATENCY -------------------------------------------------------------------------------------------------

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
    "\"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep "
    "space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n"
)
LATENCY_NOTHING = (
    "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest "
    "bit. I honestly think you ought to sleep better.\n"
)


@command("latency", arity=-2, group="server", since="2.8.13", complexity="Depends on subcommand.")
def latency_command(ctx, argv):
    """LATENCY — A container for latency diagnostics commands"""
    raise CommandError(errors.wrong_arity("latency"))


@command("latency|help", arity=2, flags="loading stale", group="server", since="2.8.13", complexity="O(1)")
def latency_help_command(ctx, argv):
    """LATENCY HELP — Show helpful text about the different subcommands."""
    return help_reply(LATENCY_HELP)


@command("latency|latest", arity=2, flags="admin noscript loading stale", group="server", since="2.8.13",
         complexity="O(1)")
def latency_latest_command(ctx, argv):
    """LATENCY LATEST — Return the latest latency samples for all events."""
    return ctx.server.latency.latest()


@command("latency|history", arity=3, flags="admin noscript loading stale", group="server", since="2.8.13",
         complexity="O(1)")
def latency_history_command(ctx, argv):
    """LATENCY HISTORY event — Return timestamp-latency samples for the event."""
    return ctx.server.latency.history(argv[2].decode("latin-1"))


@command("latency|reset", arity=-2, flags="admin noscript loading stale", group="server", since="2.8.13",
         complexity="O(1)")
def latency_reset_command(ctx, argv):
    """LATENCY RESET [event [event ...]] — Reset latency data for one or more events."""
    return ctx.server.latency.reset([event.decode("latin-1") for event in argv[2:]])


@command("latency|doctor", arity=2, flags="admin noscript loading stale", group="server", since="2.8.13",
         complexity="O(1)")
def latency_doctor_command(ctx, argv):
    """LATENCY DOCTOR — Return a human readable latency analysis report."""
    monitor = ctx.server.latency
    if not monitor.events and ctx.server.config.latency_monitor_threshold == 0:
        return Verbatim(LATENCY_DISABLED.encode())
    if not any(monitor.events.values()):
        return Verbatim(LATENCY_NOTHING.encode())
    lines = ["Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, "
             "do you Dave?", ""]
    for number, (event, samples) in enumerate(monitor.events.items(), 1):
        if not samples:
            continue
        average = sum(ms for _, ms in samples) // len(samples)
        lines.append(f"{number}. {event}: {len(samples)} latency spikes (average {average}ms, "
                     f"worst {monitor.max_ms[event]}ms).")
    return Verbatim(("\n".join(lines) + "\n").encode())


# -- SHUTDOWN ------------------------------------------------------------------------------------------------


@command("shutdown", arity=-1, flags="admin noscript loading stale no_multi allow_busy", group="server",
         since="1.0.0", complexity="O(N) when saving, where N is the total number of keys in all databases when "
         "saving data, otherwise O(1)")
def shutdown_command(ctx, argv):
    """SHUTDOWN [NOSAVE | SAVE] [NOW] [FORCE] [ABORT] — Synchronously save the dataset to disk and then shut down the server"""
    save = None
    abort = force = False
    for option in (arg.upper() for arg in argv[1:]):
        if option == b"NOSAVE" and save is None:
            save = False
        elif option == b"SAVE" and save is None:
            save = True
        elif option == b"NOW":
            pass  # there is no replica to wait for
        elif option == b"FORCE":
            force = True  # a failed save does not stop the shutdown
        elif option == b"ABORT":
            abort = True
        else:
            raise CommandError(errors.SYNTAX)
    if abort:
        if len(argv) > 2:
            raise CommandError(errors.SYNTAX)
        raise CommandError(b"ERR No shutdown in progress.")
    busy = scripting_of(ctx).busy_error()
    if busy is not None and save is not False:
        raise CommandError(busy)  # saving would wait for the script: only SHUTDOWN NOSAVE ends a busy server
    requested = ctx.server.shutdown_requested
    if requested is None:
        raise CommandError(b"ERR Errors trying to SHUTDOWN. Check logs.")
    if requested(save, force) is False:
        raise CommandError(errors.SHUTDOWN_FAILED)
    # Like Redis, a successful SHUTDOWN never answers: the connection just closes.
    ctx.reply_mode = "off"
    ctx.close()
    return OK
