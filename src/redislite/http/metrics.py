"""Prometheus metrics for `GET /metrics`: a custom prometheus_client Collector that reads the server's own
counters at scrape time, so commands pay nothing for it. The figures come from the functions INFO prints
(clients, stats, persistence, replication sections, commandstats' counters, errorstats), so a scrape and
INFO agree. Labels come only from bounded sets: the command table, database indexes, and at most
MAX_ERROR_PREFIXES error prefixes (Redis stops tracking errorstats past 128 kinds)."""

from prometheus_client import CollectorRegistry, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import choose_encoder

from ..commands.info import (
    all_command_entries,
    info_clients,
    info_persistence,
    info_replication,
    info_stats,
    used_memory,
)
from ..engine.client import Client
from ..observability.histogram import exported_buckets

MAX_ERROR_PREFIXES = 128


def _number(fields: dict, name: str, default=0) -> float:
    try:
        return float(fields.get(name, default))
    except (TypeError, ValueError):
        return float(default)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _counter(name: str, documentation: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, documentation, value=value)


class RedisLiteCollector:
    """Builds every metric family from one server's state at each scrape (on the event loop, between
    commands, so one scrape is a consistent snapshot)."""

    def __init__(self, server):
        self.server = server
        # INFO's section functions take a client; this one never runs a command (a scrape is not counted)
        self.client = Client(server.state, addr="metrics")

    def collect(self):
        state = self.server.state
        ctx = self.client
        ctx.now_ms = state.clock_ms()
        fields = dict(info_clients(ctx) + info_stats(ctx) + info_persistence(ctx) + info_replication(ctx))
        yield from self._keyspace(state)
        yield from self._memory(state)
        yield from self._activity(state, fields)
        yield from self._clients(fields)
        yield from self._commands(state)
        yield from self._errors(state)
        yield from self._persistence(fields)
        yield from self._replication(fields)

    def _keyspace(self, state):
        keys = GaugeMetricFamily("redislite_db_keys", "Keys in each database (INFO keyspace)", labels=["db"])
        expiring = GaugeMetricFamily(
            "redislite_db_keys_expiring", "Keys with an expiry in each database", labels=["db"]
        )
        total = 0
        for db in state.databases:
            count = len(db)
            total += count
            if count:  # INFO keyspace lists only databases that hold keys
                keys.add_metric([str(db.index)], count)
                expiring.add_metric([str(db.index)], len(db.expires))
        yield _gauge("redislite_keys_total", "Keys in all databases", total)
        yield keys
        yield expiring

    def _memory(self, state):
        yield _gauge(
            "redislite_memory_bytes",
            "Memory used by the dataset as maxmemory counts it (used_memory)",
            used_memory(state),
        )
        yield _gauge("redislite_max_memory_bytes", "The maxmemory setting; 0 means no limit", state.config.maxmemory)

    def _activity(self, state, fields):
        yield _counter(
            "redislite_operations",
            "Commands processed (total_commands_processed)",
            _number(fields, "total_commands_processed"),
        )
        yield _gauge(
            "redislite_ops_per_sec",
            "Commands per second since the previous sample (instantaneous_ops_per_sec)",
            _number(fields, "instantaneous_ops_per_sec"),
        )
        yield _counter("redislite_evictions", "Keys evicted by maxmemory (evicted_keys)", state.stats.evicted_keys)
        yield _counter(
            "redislite_expirations", "Keys deleted because their TTL passed (expired_keys)", state.expired_keys
        )
        hits, misses = state.stats.keyspace_hits, state.stats.keyspace_misses
        yield _counter("redislite_keyspace_hits", "Key lookups that found the key", hits)
        yield _counter("redislite_keyspace_misses", "Key lookups that missed", misses)
        yield _gauge(
            "redislite_keyspace_hit_ratio",
            "hits / (hits + misses); 0 before any lookup",
            hits / (hits + misses) if hits + misses else 0.0,
        )
        yield _counter(
            "redislite_connections_received",
            "Connections accepted (total_connections_received)",
            _number(fields, "total_connections_received"),
        )
        yield _counter(
            "redislite_rejected_connections",
            "Connections refused by maxclients",
            _number(fields, "rejected_connections"),
        )

    def _clients(self, fields):
        yield _gauge(
            "redislite_connected_clients", "Client connections, replicas excluded", _number(fields, "connected_clients")
        )
        yield _gauge(
            "redislite_blocked_clients", "Clients waiting in a blocking command", _number(fields, "blocked_clients")
        )

    def _commands(self, state):
        calls = CounterMetricFamily(
            "redislite_command_calls", "Calls per command (INFO commandstats calls)", labels=["command"]
        )
        seconds = CounterMetricFamily(
            "redislite_command_duration_seconds",
            "Time spent running each command (INFO commandstats usec)",
            labels=["command"],
        )
        rejected = CounterMetricFamily(
            "redislite_command_rejected_calls",
            "Calls refused before running (arity, OOM, LOADING, ...)",
            labels=["command"],
        )
        failed = CounterMetricFamily(
            "redislite_command_failed_calls", "Calls that ran and replied an error", labels=["command"]
        )
        latency = HistogramMetricFamily(
            "redislite_command_latency_seconds",
            "Per-command latency (latency-tracking), as INFO latencystats",
            labels=["command"],
        )
        for entry in all_command_entries(state):
            if not (entry.calls or entry.failed_calls or entry.rejected_calls):
                continue  # as INFO commandstats: only commands that were used
            label = [entry.name]
            calls.add_metric(label, entry.calls)
            # commandstats' microseconds, so that the two agree to the digit
            seconds.add_metric(label, entry.usec / 1e6)
            rejected.add_metric(label, entry.rejected_calls)
            failed.add_metric(label, entry.failed_calls)
            buckets = exported_buckets(entry.latency_counts)
            if buckets[-1][1]:
                latency.add_metric(label, [(_le(bound), count) for bound, count in buckets], sum_value=entry.nsec / 1e9)
        yield from (calls, seconds, rejected, failed, latency)

    def _errors(self, state):
        stats = state.stats
        yield _counter("redislite_error_replies", "Error replies sent (total_error_replies)", stats.total_error_replies)
        errors = CounterMetricFamily(
            "redislite_errors", "Error replies by their first word (INFO errorstats)", labels=["error"]
        )
        for prefix, count in sorted(stats.errors.items())[:MAX_ERROR_PREFIXES]:
            errors.add_metric([prefix], count)
        yield errors

    def _persistence(self, fields):
        yield _gauge("redislite_loading", "1 while the dataset is being loaded", _number(fields, "loading"))
        yield _gauge(
            "redislite_rdb_last_save_timestamp_seconds",
            "Unix time of the last successful save",
            _number(fields, "rdb_last_save_time"),
        )
        yield _gauge(
            "redislite_rdb_changes_since_last_save",
            "Changes not yet in a snapshot",
            _number(fields, "rdb_changes_since_last_save"),
        )
        yield _gauge(
            "redislite_rdb_bgsave_in_progress",
            "1 while a background save runs",
            _number(fields, "rdb_bgsave_in_progress"),
        )
        yield _gauge(
            "redislite_rdb_last_bgsave_ok",
            "1 when the last background save succeeded",
            1.0 if fields.get("rdb_last_bgsave_status", "ok") == "ok" else 0.0,
        )
        yield _counter("redislite_rdb_saves", "Snapshots written (rdb_saves)", _number(fields, "rdb_saves"))
        yield _gauge("redislite_aof_enabled", "1 when the append-only file is on", _number(fields, "aof_enabled"))
        if "aof_current_size" in fields:  # present only while the AOF is on
            yield _gauge(
                "redislite_aof_size_bytes",
                "Size of the append-only file, base included",
                _number(fields, "aof_current_size"),
            )
            yield _gauge(
                "redislite_aof_last_write_ok",
                "1 when the last AOF write succeeded",
                1.0 if fields.get("aof_last_write_status", "ok") == "ok" else 0.0,
            )
            aof = self.server.state.persistence.aof
            if aof is not None:
                yield _gauge(
                    "redislite_aof_fsync_lag_seconds",
                    "Age of the oldest AOF write not yet fsynced",
                    aof.fsync_lag_seconds(),
                )

    def _replication(self, fields):
        role = GaugeMetricFamily(
            "redislite_replication_role", "1 for this server's role (INFO replication)", labels=["role"]
        )
        role.add_metric([str(fields.get("role", "master"))], 1)
        yield role
        yield _gauge(
            "redislite_connected_replicas", "Replicas connected to this master", _number(fields, "connected_slaves")
        )
        master_offset = _number(fields, "master_repl_offset")
        yield _gauge("redislite_replication_offset_bytes", "The replication offset (master_repl_offset)", master_offset)
        yield from self._replicas(replicas_by_address(fields), master_offset)
        yield from self._master_link(fields)
        yield _counter(
            "redislite_replica_resyncs_full",
            "Full resynchronizations served to replicas (sync_full)",
            _number(fields, "sync_full"),
        )
        yield _counter(
            "redislite_replica_partial_resync_accepted",
            "PSYNC requests answered +CONTINUE from the backlog (sync_partial_ok)",
            _number(fields, "sync_partial_ok"),
        )
        yield _counter(
            "redislite_replica_partial_resync_denied",
            "PSYNC requests that could not continue and got a full resync (sync_partial_err)",
            _number(fields, "sync_partial_err"),
        )

    def _replicas(self, replicas: dict[str, dict], master_offset: float):
        """Per connected replica (label replica="ip:port"): its lag, its acknowledged offset and how far that is
        behind master_repl_offset."""
        lag = GaugeMetricFamily(
            "redislite_replica_lag_seconds",
            "Seconds since each connected replica last acknowledged (INFO slaveN lag)",
            labels=["replica"],
        )
        offset = GaugeMetricFamily(
            "redislite_replica_offset_bytes",
            "The replication offset each connected replica last acknowledged (INFO slaveN offset)",
            labels=["replica"],
        )
        offset_lag = GaugeMetricFamily(
            "redislite_replica_offset_lag_bytes",
            "Bytes of the stream each connected replica has not acknowledged (master_repl_offset - slaveN offset)",
            labels=["replica"],
        )
        for address, replica in replicas.items():
            lag.add_metric([address], replica["lag"])
            offset.add_metric([address], replica["offset"])
            offset_lag.add_metric([address], max(master_offset - replica["offset"], 0))
        yield from (lag, offset, offset_lag)
        yield _gauge(
            "redislite_replication_max_lag_seconds",
            "The largest replica lag; 0 without replicas",
            max((replica["lag"] for replica in replicas.values()), default=0),
        )

    def _master_link(self, fields):
        """On a replica only (INFO prints master_host then): its link to the master."""
        if "master_host" not in fields:
            return
        yield _gauge(
            "redislite_master_link_up",
            "1 while the link to the master is up (master_link_status)",
            1.0 if fields.get("master_link_status") == "up" else 0.0,
        )
        yield _gauge(
            "redislite_master_last_io_seconds",
            "Seconds since the last byte from the master; -1 while the link is down (master_last_io_seconds_ago)",
            _number(fields, "master_last_io_seconds_ago", -1),
        )
        yield _gauge(
            "redislite_master_sync_in_progress",
            "1 while a full sync from the master is being received (master_sync_in_progress)",
            _number(fields, "master_sync_in_progress"),
        )
        yield _gauge(
            "redislite_slave_repl_offset_bytes",
            "The master's stream offset this replica has applied (slave_repl_offset)",
            _number(fields, "slave_repl_offset"),
        )


def replica_lines(fields: dict) -> list[dict]:
    """INFO replication's `slaveN:ip=...,port=...,state=...,offset=...,lag=...` lines, in INFO's order, as dicts
    with ip, port, state, offset and lag (numbers as ints; a part that is missing or not a number is 0)."""
    replicas = []
    for name, value in fields.items():
        if name.startswith("slave") and name[5:].isdigit():
            parts = dict(part.split("=", 1) for part in str(value).split(",") if "=" in part)
            replicas.append(
                {
                    "ip": parts.get("ip", ""),
                    "port": info_integer(parts.get("port")),
                    "state": parts.get("state", ""),
                    "offset": info_integer(parts.get("offset")),
                    "lag": info_integer(parts.get("lag")),
                }
            )
    return replicas


def replicas_by_address(fields: dict) -> dict[str, dict]:
    """replica_lines by "ip:port", the metrics' label: one sample per label value, even if two replicas
    announced the same address (the later line wins)."""
    return {f"{replica['ip']}:{replica['port']}": replica for replica in replica_lines(fields)}


def replica_lags(fields: dict) -> dict[str, float]:
    """Each connected replica's lag in seconds, by "ip:port"."""
    return {address: float(replica["lag"]) for address, replica in replicas_by_address(fields).items()}


def info_integer(text, default: int = 0) -> int:
    """An INFO figure as an int; `default` when it is missing or not a number."""
    try:
        return int(text)
    except (TypeError, ValueError):
        return default


def _le(bound: float) -> str:
    """Prometheus's spelling of a bucket bound: "+Inf", otherwise the shortest float text."""
    return "+Inf" if bound == float("inf") else repr(bound)


def metrics_registry(server) -> CollectorRegistry:
    """A registry of the server's own (never the process-global one: a test may run several servers), with
    the process's CPU, memory and file descriptors as prometheus_client reads them from /proc."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisLiteCollector(server))
    ProcessCollector(namespace="redislite", registry=registry)
    return registry


def exposition(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The scrape body and its content type: Prometheus text, or OpenMetrics when the scraper asks for it."""
    encoder, content_type = choose_encoder(accept)
    return encoder(registry), content_type
