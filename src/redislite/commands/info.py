"""INFO, and the figures it prints: server, clients, memory, persistence, stats, replication, cpu,
commandstats, errorstats, latencystats, cluster and keyspace sections (http/metrics.py reads the same
functions, so a scrape and INFO agree)."""

import os
import platform
import resource
import sys
import time

from .. import REDIS_COMPAT_VERSION, __version__
from .. import config as settings_table
from ..observability.histogram import format_percentile, value_at_percentile_ns
from ..protocol.values import Verbatim
from ..storage.memory import STARTUP_BYTES
from .context import Argv, Context
from .registry import command

DEFAULT_SECTIONS = (
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "errorstats",
    "cluster",
    "keyspace",
)
ALL_SECTIONS = (
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "modules",
    "commandstats",
    "errorstats",
    "latencystats",
    "cluster",
    "keyspace",
)
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


def info_server(ctx: Context) -> list:
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


def info_clients(ctx: Context) -> list:
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


def info_memory(ctx: Context) -> list:
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


def info_persistence(ctx: Context) -> list:
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


def info_stats(ctx: Context) -> list:
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
        ("sync_full", stats.sync_full),
        ("sync_partial_ok", stats.sync_partial_ok),
        ("sync_partial_err", stats.sync_partial_err),
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


def info_replication(ctx: Context) -> list:
    replication = ctx.server.replication
    backlog = replication.backlog
    link, master_side = ctx.server.replica_link, ctx.server.master_side
    return [
        ("role", replication.role),
        *(link.info_fields() if link is not None and replication.master_host is not None else ()),
        *(master_side.info_fields() if master_side is not None else [("connected_slaves", 0)]),
        ("master_failover_state", master_side.failover.status if master_side is not None else "no-failover"),
        ("master_replid", replication.replid),
        ("master_replid2", replication.replid2),
        ("master_repl_offset", replication.master_repl_offset),
        ("second_repl_offset", replication.second_repl_offset),
        ("repl_backlog_active", int(backlog is not None)),
        ("repl_backlog_size", replication.backlog_size),
        ("repl_backlog_first_byte_offset", backlog.first_offset if backlog is not None else 0),
        ("repl_backlog_histlen", backlog.histlen if backlog is not None else 0),
    ]


def info_cpu(ctx: Context) -> list:
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


def info_commandstats(ctx: Context) -> list:
    lines = []
    for entry in all_command_entries(ctx.server):
        calls = entry.calls
        if not (calls or entry.failed_calls or entry.rejected_calls):
            continue
        per_call = entry.usec / calls if calls else 0
        lines.append(
            (
                f"cmdstat_{entry.name}",
                f"calls={calls},usec={entry.usec},usec_per_call={per_call:.2f},"
                f"rejected_calls={entry.rejected_calls},failed_calls={entry.failed_calls}",
            )
        )
    return lines


def info_errorstats(ctx: Context) -> list:
    return [(f"errorstat_{prefix}", f"count={count}") for prefix, count in sorted(ctx.server.stats.errors.items())]


def info_latencystats(ctx: Context) -> list:
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
        lines.append(
            (
                f"latency_percentiles_usec_{entry.name}",
                ",".join(
                    f"p{format_percentile(percentile)}={value_at_percentile_ns(counts, percentile) / 1000:.3f}"
                    for percentile in percentiles
                ),
            )
        )
    return lines


def info_keyspace(ctx: Context) -> list:
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
    "server": info_server,
    "clients": info_clients,
    "memory": info_memory,
    "persistence": info_persistence,
    "stats": info_stats,
    "replication": info_replication,
    "cpu": info_cpu,
    "modules": lambda ctx: [],
    "commandstats": info_commandstats,
    "errorstats": info_errorstats,
    "latencystats": info_latencystats,
    "cluster": lambda ctx: [("cluster_enabled", 0)],
    "keyspace": info_keyspace,
}


def info_text(ctx: Context, requested: list[str]) -> bytes:
    wanted: set[str] = set()
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
    return "\r\n".join(blocks).encode("utf-8", "surrogateescape")  # a master host given as any bytes


@command("info", arity=-1, flags="loading stale", group="server", since="1.0.0", acl="@dangerous", complexity="O(1)")
def info_command(ctx: Context, argv: Argv):
    """INFO [section [section ...]] — Get information and statistics about the server"""
    return Verbatim(info_text(ctx, [arg.decode("latin-1").lower() for arg in argv[1:]]))
