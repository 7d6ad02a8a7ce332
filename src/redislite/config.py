"""The settings table: every configuration parameter, its type, default, and whether CONFIG SET may change it.

Sources, lowest precedence first: built-in defaults, a `.env` file, `REDISLITE_*` environment variables
(pydantic-settings reads both), an optional redis.conf-style file, then command-line flags
(`--port 6380`, spelled as redis-server spells them). The seed's variable names (`REDISLITE_TCP_PORT`,
`REDISLITE_MAX_MEMORY_MB`, ...) are translated to Redis's parameters. Validation messages are Redis's own,
so CONFIG SET and start-up report the same text.
"""

import logging
import resource
import shlex
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from .errors import ConfigError
from .observability.histogram import format_percentile

log = logging.getLogger("redislite.server")

# -- value kinds: parse with Redis's messages, format as CONFIG GET prints ---------------------------------

_MEMORY_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}


def _int_between(low: int, high: int):
    def parse(value: Any) -> int:
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueError("argument couldn't be parsed into an integer") from None
        if not low <= number <= high:
            raise ValueError(f"argument must be between {low} and {high} inclusive")
        return number

    return BeforeValidator(parse)


def parse_memory(value: Any) -> int:
    text = str(value).strip().lower()
    digits = text.rstrip("kmgb")
    unit = text[len(digits) :]
    if not digits.lstrip("-").isdigit() or unit not in _MEMORY_UNITS or digits.startswith("-"):
        raise ValueError("argument must be a memory value")
    return int(digits) * _MEMORY_UNITS[unit]


def _memory_between(low: int, high: int):
    def parse(value: Any) -> int:
        number = parse_memory(value)
        if not low <= number <= high:
            raise ValueError(f"argument must be between {low} and {high} inclusive")
        return number

    return BeforeValidator(parse)


def _file_name(parameter: str, kind: str = "filename"):
    """dbfilename, appendfilename, appenddirname: a bare name, so the file stays inside `dir` (Redis's
    pathIsBaseName: no '/' and no '\\')."""

    def parse(value: Any) -> str:
        text = str(value)
        if "/" in text or "\\" in text:
            raise ValueError(f"{parameter} can't be a path, just a {kind}")
        return text

    return BeforeValidator(parse)


def _yes_no(value: Any) -> bool:
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "on"):
        return True
    if text in ("no", "false", "0", "off"):
        return False
    raise ValueError("argument must be 'yes' or 'no'")


def _clamped_hz(value: Any) -> int:
    """hz: Redis caps values above 500 instead of refusing them."""
    return min(_int_between(1, 2**31 - 1).func(value), 500)


def _replicaof(value: Any) -> str:
    """replicaof: "<host> <port>", or empty for a master ("no one" too). The host is whatever REPLICAOF was
    given (Redis does not check it: a name that does not resolve is a link that keeps failing), so it may hold
    spaces; the port is the last word."""
    text = str(value or "")
    if not text.strip() or [word.lower() for word in text.split()] == ["no", "one"]:
        return ""
    host, separator, port = text.rstrip().rpartition(" ")
    if not separator:
        raise ValueError("argument must be '<host> <port>'")
    return f"{host} {_int_between(0, 65535).func(port)}"


def parse_replicaof(value: str) -> tuple[str, int] | None:
    """The master a `replicaof` setting names, or None."""
    if not value:
        return None
    host, _, port = value.rpartition(" ")
    return host, int(port)


def _one_of(*choices: str):
    def parse(value: Any) -> str:
        text = str(value).strip().lower()
        if text not in choices:
            raise ValueError("argument(s) must be one of the following: " + ", ".join(choices))
        return text

    return BeforeValidator(parse)


def _save_points(value: Any) -> str:
    words = str(value).split()
    if len(words) % 2 or not all(word.isdigit() for word in words):
        raise ValueError("Invalid save parameters")
    return " ".join(words)


_BUFFER_CLASSES = ("normal", "slave", "pubsub")
_BUFFER_ALIASES = {"replica": "slave"}


def _buffer_limits(value: Any) -> str:
    """client-output-buffer-limit: `<class> <hard> <soft> <seconds>` groups, memory values accepted."""
    words = str(value).split()
    if not words or len(words) % 4:
        raise ValueError("Wrong number of arguments in buffer limit configuration.")
    groups = []
    for i in range(0, len(words), 4):
        name = _BUFFER_ALIASES.get(words[i].lower(), words[i].lower())
        if name not in _BUFFER_CLASSES:
            raise ValueError("Invalid client class specified in buffer limit configuration.")
        try:
            hard, soft = parse_memory(words[i + 1]), parse_memory(words[i + 2])
            seconds = int(words[i + 3])
        except ValueError:
            raise ValueError("Error in hard, soft or soft_seconds setting in buffer limit configuration.") from None
        groups.append(f"{name} {hard} {soft} {seconds}")
    return " ".join(groups)


# notify-keyspace-events: the class letters and Redis's NOTIFY_* bits (server.h). "A" is every class but
# key-miss and new-key events; CONFIG GET spells the flags as keyspaceEventsFlagsToString does.
NOTIFY_KEYSPACE, NOTIFY_KEYEVENT, NOTIFY_GENERIC, NOTIFY_STRING = 1, 2, 4, 8
NOTIFY_LIST, NOTIFY_SET, NOTIFY_HASH, NOTIFY_ZSET = 16, 32, 64, 128
NOTIFY_EXPIRED, NOTIFY_EVICTED, NOTIFY_STREAM, NOTIFY_KEY_MISS = 256, 512, 1024, 2048
NOTIFY_MODULE, NOTIFY_NEW = 8192, 16384
NOTIFY_ALL = (
    NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE
)
_EVENT_CLASSES = {
    "A": NOTIFY_ALL,
    "g": NOTIFY_GENERIC,
    "$": NOTIFY_STRING,
    "l": NOTIFY_LIST,
    "s": NOTIFY_SET,
    "h": NOTIFY_HASH,
    "z": NOTIFY_ZSET,
    "x": NOTIFY_EXPIRED,
    "e": NOTIFY_EVICTED,
    "K": NOTIFY_KEYSPACE,
    "E": NOTIFY_KEYEVENT,
    "t": NOTIFY_STREAM,
    "m": NOTIFY_KEY_MISS,
    "d": NOTIFY_MODULE,
    "n": NOTIFY_NEW,
}
_CLASS_ORDER = "g$lshzxetdn"  # inside the A group, in keyspaceEventsFlagsToString's order


def parse_keyspace_events(value: Any) -> int:
    """keyspaceEventsStringToFlags: any mix of the class letters (case matters); ValueError otherwise."""
    flags = 0
    for letter in str(value):
        bit = _EVENT_CLASSES.get(letter)
        if bit is None:
            raise ValueError("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
        flags |= bit
    return flags


def format_keyspace_events(flags: int) -> str:
    """keyspaceEventsFlagsToString: "A" stands for the whole group (and then, as in Redis, hides "n")."""
    if flags & NOTIFY_ALL == NOTIFY_ALL:
        text = "A"
    else:
        text = "".join(letter for letter in _CLASS_ORDER if flags & _EVENT_CLASSES[letter])
    for letter in "KEm":
        if flags & _EVENT_CLASSES[letter]:
            text += letter
    return text


def _keyspace_events(value: Any) -> str:
    """Validated, but kept as given: "n" survives in the setting even where CONFIG GET's spelling drops it."""
    parse_keyspace_events(value)
    return str(value)


def parse_percentiles(value: Any) -> list[float]:
    """latency-tracking-info-percentiles: space-separated numbers in [0, 100], with Redis's messages."""
    percentiles = []
    for word in str(value).split():
        try:
            percentile = float(word)
        except ValueError:
            raise ValueError("Invalid latency-tracking-info-percentiles parameters") from None
        if not 0.0 <= percentile <= 100.0:
            raise ValueError("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
        percentiles.append(percentile)
    return percentiles


def _percentiles(value: Any) -> str:
    """Kept as CONFIG GET prints it: each number as "%f" with the zeros trimmed ("99.90 050" -> "99.9 50")."""
    return " ".join(map(format_percentile, parse_percentiles(value)))


Port = Annotated[int, _int_between(0, 65535)]
Count = Annotated[int, _int_between(0, 2**63 - 1)]
Memory = Annotated[int, BeforeValidator(parse_memory)]
YesNo = Annotated[bool, BeforeValidator(_yes_no)]
ProtectedAction = Annotated[str, _one_of("no", "yes", "local")]
# CONFIG SET refuses these unless enable-protected-configs allows it (Redis's PROTECTED_CONFIG flag)
PROTECTED_CONFIGS = frozenset({"dir", "dbfilename"})

EVICTION_POLICIES = (
    "volatile-lru",
    "volatile-lfu",
    "volatile-random",
    "volatile-ttl",
    "allkeys-lru",
    "allkeys-lfu",
    "allkeys-random",
    "noeviction",
)
SEED_POLICY_NAMES = {"lru": "allkeys-lru", "lfu": "allkeys-lfu", "random": "allkeys-random", "ttl": "volatile-ttl"}
SEED_LOG_LEVELS = {"info": "notice", "warn": "warning", "error": "warning", "critical": "warning"}
DEFAULT_BUFFER_LIMITS = "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"


def _mutable(default, **extra):
    return Field(default, json_schema_extra={"mutable": True, **extra})


def _fixed(default, **extra):
    return Field(default, json_schema_extra={"mutable": False, **extra})


class Settings(BaseSettings):
    """Field names are Redis's parameter names with '-' as '_'."""

    model_config = SettingsConfigDict(
        env_prefix="REDISLITE_", env_file=".env", extra="ignore", validate_assignment=True, case_sensitive=False
    )

    # network
    bind: str = _fixed("127.0.0.1")
    port: Port = _fixed(6379)
    http_port: Port = _fixed(8000)
    http_max_body_size: Memory = _fixed(1024 * 1024)  # HTTP API request bodies; larger ones get 413
    # seconds an HTTP API connection may take to send a whole request (headers and body) before it is closed
    http_request_timeout: Annotated[int, _int_between(1, 2**31 - 1)] = _fixed(10)
    tcp_backlog: Annotated[int, _int_between(0, 2**31 - 1)] = _fixed(511)
    timeout: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(0)
    tcp_keepalive: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(300)
    maxclients: Annotated[int, _int_between(1, 2**31 - 1)] = _mutable(10000)
    protected_mode: YesNo = _mutable(True)
    # who may run DEBUG / MODULE and CONFIG SET the PROTECTED_CONFIGS: no one, anyone, or loopback clients only
    enable_debug_command: ProtectedAction = _fixed("no")
    enable_module_command: ProtectedAction = _fixed("no")
    enable_protected_configs: ProtectedAction = _fixed("no")
    requirepass: str = _mutable("", sensitive=True)
    # TLS (tls.py builds the contexts; CONFIG SET of any tls-* parameter rebuilds them)
    tls_port: Port = _mutable(0)  # a TLS listener beside `port` (0: none)
    tls_cert_file: str = _mutable("")
    tls_key_file: str = _mutable("")
    tls_key_file_pass: str = _mutable("", sensitive=True)
    tls_client_cert_file: str = _mutable("")  # the replica link's certificate (default: tls-cert-file)
    tls_client_key_file: str = _mutable("")
    tls_client_key_file_pass: str = _mutable("", sensitive=True)
    tls_dh_params_file: str = _mutable("")
    tls_ca_cert_file: str = _mutable("")
    tls_ca_cert_dir: str = _mutable("")
    tls_auth_clients: Annotated[str, _one_of("no", "yes", "optional")] = _mutable("yes")
    tls_protocols: str = _mutable("")  # empty: "TLSv1.2 TLSv1.3"
    tls_ciphers: str = _mutable("")
    tls_ciphersuites: str = _mutable("")
    tls_prefer_server_ciphers: YesNo = _mutable(False)
    tls_session_caching: YesNo = _mutable(True)
    tls_session_cache_size: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(20480)
    tls_session_cache_timeout: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(300)
    tls_replication: YesNo = _mutable(False)  # the replica link connects to its master over TLS
    tls_cluster: YesNo = _mutable(False)  # kept for CONFIG (no cluster bus here)
    # not Redis's: a client that has not finished its TLS handshake after this many seconds is dropped
    tls_handshake_timeout: Annotated[int, _int_between(1, 3600)] = _mutable(10, hidden=True)
    http_tls: YesNo = _fixed(False)  # the HTTP API serves HTTPS with tls-cert-file / tls-key-file
    # access control (storage/acl.py): users come from `user` lines of the config file or from aclfile
    aclfile: str = _fixed("")
    acl_users: list[str] = Field(default_factory=list)  # the config file's `user` lines (not a parameter)
    acl_pubsub_default: Annotated[str, _one_of("allchannels", "resetchannels")] = _mutable("resetchannels")
    acllog_max_len: Annotated[int, _int_between(0, 2**63 - 1)] = _mutable(128)
    # keyspace and expiry
    databases: Annotated[int, _int_between(1, 2**31 - 1)] = _fixed(16)
    hz: Annotated[int, BeforeValidator(_clamped_hz)] = _mutable(10)
    active_expire_enabled: YesNo = _mutable(True, hidden=True)
    # memory
    maxmemory: Memory = _mutable(0)
    maxmemory_policy: Annotated[str, _one_of(*EVICTION_POLICIES)] = _mutable("noeviction")
    maxmemory_samples: Annotated[int, _int_between(1, 2**31 - 1)] = _mutable(5)
    lfu_log_factor: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(10)
    lfu_decay_time: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(1)
    maxmemory_eviction_tenacity: Annotated[int, _int_between(0, 100)] = _mutable(10)
    # persistence (the persistence issue implements the files; the parameters exist from the start)
    dir: str = _mutable(".")
    dbfilename: Annotated[str, _file_name("dbfilename")] = _mutable("dump.rdb")
    save: Annotated[str, BeforeValidator(_save_points)] = _mutable("")
    rdbcompression: YesNo = _mutable(True)
    rdbchecksum: YesNo = _fixed(True)
    rdb_save_incremental_fsync: YesNo = _mutable(True)
    stop_writes_on_bgsave_error: YesNo = _mutable(True)
    key_load_delay: Annotated[int, _int_between(-(2**31), 2**31 - 1)] = _mutable(0, hidden=True)  # µs per key
    rdb_key_save_delay: Annotated[int, _int_between(-(2**31), 2**31 - 1)] = _mutable(0, hidden=True)  # µs per key
    # debug: while non-zero, writes to the AOF fail with this errno (28 = ENOSPC), to test disk failures
    aof_write_fault_errno: Annotated[int, _int_between(0, 4095)] = _mutable(0, hidden=True)
    # debug: while non-zero, the background (everysec) fsync of the AOF fails with this errno (5 = EIO)
    aof_fsync_fault_errno: Annotated[int, _int_between(0, 4095)] = _mutable(0, hidden=True)
    appendonly: YesNo = _mutable(False)
    appendfilename: Annotated[str, _file_name("appendfilename")] = _fixed("appendonly.aof")
    appenddirname: Annotated[str, _file_name("appenddirname", "dirname")] = _fixed("appendonlydir")
    appendfsync: Annotated[str, _one_of("always", "everysec", "no")] = _mutable("everysec")
    aof_use_rdb_preamble: YesNo = _mutable(True)  # a rewrite writes the base as an RDB (.base.rdb), else RESP
    aof_load_truncated: YesNo = _mutable(True)  # drop a truncated last command at start-up (no: refuse)
    auto_aof_rewrite_percentage: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(100)
    auto_aof_rewrite_min_size: Memory = _mutable(64 * 1024 * 1024)
    aof_timestamp_enabled: YesNo = _mutable(False)  # a `#TS:<unix time>` line before the first write of each second
    # limits
    proto_max_bulk_len: Annotated[int, _memory_between(1024 * 1024, 2**63 - 1)] = _mutable(512 * 1024 * 1024)
    client_query_buffer_limit: Annotated[int, _memory_between(1024 * 1024, 2**63 - 1)] = _mutable(1024 * 1024 * 1024)
    client_output_buffer_limit: Annotated[str, BeforeValidator(_buffer_limits)] = _mutable(DEFAULT_BUFFER_LIMITS)
    # observability
    loglevel: Annotated[str, _one_of("debug", "verbose", "notice", "warning")] = _mutable("notice")
    logfile: str = _fixed("")
    log_commands: YesNo = _mutable(False)  # a command_executed event per command: costs throughput
    slowlog_log_slower_than: Annotated[int, _int_between(-1, 2**63 - 1)] = _mutable(10000)
    slowlog_max_len: Count = _mutable(128)
    latency_monitor_threshold: Count = _mutable(0)
    latency_tracking: YesNo = _mutable(True)  # per-command histograms: INFO latencystats, /metrics
    latency_tracking_info_percentiles: Annotated[str, BeforeValidator(_percentiles)] = _mutable("50 99 99.9")
    metrics_enabled: YesNo = _mutable(True)
    notify_keyspace_events: Annotated[str, BeforeValidator(_keyspace_events)] = _mutable("")
    # scripting
    busy_reply_threshold: Count = _mutable(5000, aliases=("lua-time-limit",))
    # the most memory a Lua state may allocate (Redis has no cap: a runaway script could take the host's)
    lua_max_memory: Memory = _fixed(1024 * 1024 * 1024, hidden=True)
    # replication
    replicaof: Annotated[str, BeforeValidator(_replicaof)] = _mutable("", aliases=("slaveof",))
    replica_read_only: YesNo = _mutable(True)
    repl_backlog_size: Memory = _mutable(1048576)
    repl_ping_replica_period: Annotated[int, _int_between(1, 2**31 - 1)] = _mutable(
        10, aliases=("repl-ping-slave-period",)
    )
    repl_timeout: Annotated[int, _int_between(1, 2**31 - 1)] = _mutable(60)
    repl_backlog_ttl: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(3600)
    # a full sync streams the snapshot to the replicas instead of writing dump.rdb first (Redis 7.0's default)
    repl_diskless_sync: YesNo = _mutable(True)
    repl_diskless_sync_delay: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(5)
    repl_diskless_sync_max_replicas: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(0)
    # a replica always receives the snapshot into memory, then loads it: the setting is kept for CONFIG
    repl_diskless_load: Annotated[str, _one_of("disabled", "on-empty-db", "swapdb")] = _mutable("disabled")
    replica_serve_stale_data: YesNo = _mutable(True, aliases=("slave-serve-stale-data",))
    min_replicas_to_write: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(0, aliases=("min-slaves-to-write",))
    min_replicas_max_lag: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(10, aliases=("min-slaves-max-lag",))
    masterauth: str = _mutable("", sensitive=True)
    masteruser: str = _mutable("")
    replica_priority: Annotated[int, _int_between(0, 2**31 - 1)] = _mutable(100, aliases=("slave-priority",))
    replica_announced: YesNo = _mutable(True)
    replica_announce_ip: str = _mutable("", aliases=("slave-announce-ip",))
    replica_announce_port: Annotated[int, _int_between(0, 65535)] = _mutable(0, aliases=("slave-announce-port",))
    # encodings (OBJECT ENCODING thresholds, used by the aggregate types)
    list_max_listpack_size: Annotated[int, _int_between(-5, 2**31 - 1)] = _mutable(-2)
    hash_max_listpack_entries: Count = _mutable(128)
    hash_max_listpack_value: Count = _mutable(64)
    set_max_intset_entries: Count = _mutable(512)
    set_max_listpack_entries: Count = _mutable(128)
    set_max_listpack_value: Count = _mutable(64)
    zset_max_listpack_entries: Count = _mutable(128)
    zset_max_listpack_value: Count = _mutable(64)
    # a sparse HyperLogLog longer than this (header included) turns dense
    hll_sparse_max_bytes: Annotated[int, _memory_between(0, 2**63 - 1)] = _mutable(3000)
    # process
    daemonize: YesNo = _fixed(False)
    pidfile: str = _fixed("")

    # The seed's variable names; each maps onto a Redis parameter unless that parameter was given itself.
    tcp_port: str | None = Field(None, exclude=True)
    host: str | None = Field(None, exclude=True)
    max_memory_mb: str | None = Field(None, exclude=True)
    eviction_policy: str | None = Field(None, exclude=True)
    ttl_check_interval_ms: str | None = Field(None, exclude=True)
    persistence_enabled: str | None = Field(None, exclude=True)
    data_dir: str | None = Field(None, exclude=True)
    aof_fsync_interval_secs: str | None = Field(None, exclude=True)
    snapshot_interval_secs: str | None = Field(None, exclude=True)
    replica_of: str | None = Field(None, exclude=True)
    replica_host: str | None = Field(None, exclude=True)
    replica_port: str | None = Field(None, exclude=True)
    replica_enabled: str | None = Field(None, exclude=True)
    replica_mode: str | None = Field(None, exclude=True)
    log_level: str | None = Field(None, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls, settings_cls, init_settings, env_settings, dotenv_settings, file_secret_settings
    ):
        # Seed names are translated within each source, so that the environment beats .env (and flags beat
        # both) whichever spelling each source uses.
        return tuple(_SeedNames(source) for source in (init_settings, env_settings, dotenv_settings))


class _SeedNames(PydanticBaseSettingsSource):
    """Wraps a settings source and maps the seed's variable names onto Redis's parameters."""

    def __init__(self, source: PydanticBaseSettingsSource):
        super().__init__(source.settings_cls)
        self.source = source

    def get_field_value(self, field, field_name):  # pragma: no cover - __call__ does the work
        return self.source.get_field_value(field, field_name)

    def __call__(self) -> dict[str, Any]:
        return translate_seed_names(self.source())


def translate_seed_names(data: dict[str, Any]) -> dict[str, Any]:
    """One source's values with seed names (tcp_port, max_memory_mb, ...) turned into Redis's parameters;
    a parameter given under its own name in the same source wins."""
    data = {key.lower().replace("-", "_"): value for key, value in data.items()}
    seed = {key: data.pop(key) for key in SEED_FIELDS if data.get(key) not in (None, "")}

    def put(name: str, value: Any) -> None:
        data.setdefault(name, value)

    if "tcp_port" in seed:
        put("port", seed["tcp_port"])
    if "host" in seed:
        put("bind", seed["host"])
    if "max_memory_mb" in seed:
        megabytes = str(seed["max_memory_mb"]).strip()
        put("maxmemory", f"{megabytes}mb" if megabytes.isdigit() else megabytes)
    if "eviction_policy" in seed:
        policy = str(seed["eviction_policy"]).strip().lower()
        put("maxmemory_policy", SEED_POLICY_NAMES.get(policy, policy))
    if "ttl_check_interval_ms" in seed:
        interval = _seed_int(seed, "ttl_check_interval_ms", 1, 1000)
        put("hz", max(1, min(500, round(1000 / interval))))
    if "persistence_enabled" in seed:
        put("appendonly", seed["persistence_enabled"])
    if "data_dir" in seed:
        put("dir", seed["data_dir"])
    if "aof_fsync_interval_secs" in seed:
        seconds = _seed_int(seed, "aof_fsync_interval_secs", 0, 3600)
        put("appendfsync", "always" if seconds == 0 else "everysec")
    if "snapshot_interval_secs" in seed:
        seconds = _seed_int(seed, "snapshot_interval_secs", 0, 2**31 - 1)
        put("save", f"{seconds} 1" if seconds else "")
    # REDISLITE_REPLICA_ENABLED no or REDISLITE_REPLICA_MODE master leave the server a master whatever the address
    enabled = str(seed.get("replica_enabled", "yes")).strip().lower() not in ("0", "no", "false", "off")
    replica_mode = str(seed.get("replica_mode", "replica")).strip().lower() in ("replica", "slave")
    if enabled and replica_mode:
        if "replica_of" in seed:
            put("replicaof", seed["replica_of"])
        elif "replica_host" in seed:
            put("replicaof", f"{seed['replica_host']} {seed.get('replica_port', 6379)}")
    if "log_level" in seed:
        level = str(seed["log_level"]).strip().lower()
        put("loglevel", SEED_LOG_LEVELS.get(level, level))
    return data


def _seed_int(seed: dict, name: str, low: int, high: int) -> int:
    try:
        return _int_between(low, high).func(seed[name])
    except ValueError as error:
        raise ConfigError(f"invalid value for 'REDISLITE_{name.upper()}': {error}") from None


SEED_FIELDS = (
    "tcp_port",
    "host",
    "max_memory_mb",
    "eviction_policy",
    "ttl_check_interval_ms",
    "persistence_enabled",
    "data_dir",
    "aof_fsync_interval_secs",
    "snapshot_interval_secs",
    "replica_of",
    "replica_host",
    "replica_port",
    "replica_enabled",
    "replica_mode",
    "log_level",
)


# -- who may do what: protected mode, DEBUG, protected configs ----------------------------------------------


def is_loopback(host: str | None) -> bool:
    """Redis's connIsLocal: 127.x.x.x or ::1 (a peer without an address, as a server-side client, is local)."""
    return not host or host.startswith("127.") or host == "::1"


def is_local_address(addr: str) -> bool:
    """is_loopback for a client address as CLIENT LIST shows it (`host:port`)."""
    return is_loopback(addr.rpartition(":")[0])


def protected_action_allowed(setting: str, addr: str) -> bool:
    """enable-debug-command / enable-protected-configs: "yes", or "local" and the client is on loopback."""
    return setting == "yes" or (setting == "local" and is_local_address(addr))


# -- the process's open-files limit --------------------------------------------------------------------------

RESERVED_FDS = 32  # descriptors kept for files, the listening sockets and replicas (CONFIG_MIN_RESERVED_FDS)


def fit_open_files_limit(maxclients: int) -> int:
    """Redis's adjustOpenFilesLimit: raise the soft limit on open files to maxclients + 32 (up to the hard limit);
    when that is still too low, serve fewer clients and say so, so that every client over the limit is told
    "max number of clients reached" instead of failing to be accepted. Returns the maxclients to use."""
    wanted = maxclients + RESERVED_FDS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return maxclients
    best = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (best, hard))
    except (ValueError, OSError):
        best = soft
    best = max(best, soft)
    if best >= wanted:
        log.info("open_files_limit_raised", extra={"limit": best, "was": soft})
        return maxclients
    if best <= RESERVED_FDS:
        raise ConfigError(
            f"Your current 'ulimit -n' of {best} is not enough for the server to start. "
            f"Please increase your open file limit to at least {wanted}. Exiting."
        )
    reduced = best - RESERVED_FDS
    log.warning(
        "maxclients_reduced",
        extra={
            "requested": maxclients,
            "maxclients": reduced,
            "open_files_limit": best,
            "detail": f"Current maximum open files is {best}. maxclients has been reduced to {reduced} to "
            "compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
        },
    )
    return reduced


# -- the table as CONFIG sees it ----------------------------------------------------------------------------


def _param_fields() -> dict[str, str]:
    """Redis parameter name -> field name, aliases included."""
    names = {}
    for field_name, info in Settings.model_fields.items():
        extra = info.json_schema_extra
        if not isinstance(extra, dict):
            continue  # a seed name, not a parameter
        names[field_name.replace("_", "-")] = field_name
        for alias in extra.get("aliases", ()):
            names[alias] = field_name
    return names


PARAMETERS = _param_fields()


def is_mutable(parameter: str) -> bool:
    return Settings.model_fields[PARAMETERS[parameter]].json_schema_extra["mutable"]


def format_value(settings: Settings, parameter: str) -> str:
    value = getattr(settings, PARAMETERS[parameter])
    if parameter == "notify-keyspace-events":
        return format_keyspace_events(parse_keyspace_events(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def matching_parameters(pattern: bytes) -> list[str]:
    """CONFIG GET's glob: parameter names (aliases included) that match, in table order. As in Redis (a C
    string, case folded) the pattern ends at a NUL, and one without `[`, `*` or `?` is a name, not a glob."""
    from .storage.glob import compile_glob

    pattern = pattern.split(b"\0", 1)[0]
    if not any(special in pattern for special in (b"[", b"*", b"?")):
        return []
    match = compile_glob(pattern, nocase=True).match
    return [name for name in PARAMETERS if match(name.encode())]


def validate_value(parameter: str, raw: str) -> Any:
    """Parse one value as CONFIG SET would; ValueError carries Redis's message."""
    field_name = PARAMETERS[parameter]
    probe = Settings.model_construct()
    try:
        setattr(probe, field_name, raw)  # validate_assignment runs the field's validators
    except ValidationError as error:
        raise ValueError(first_message(error)) from None
    return getattr(probe, field_name)


def first_message(error: ValidationError) -> str:
    return error.errors()[0]["msg"].removeprefix("Value error, ")


# -- start-up: files and flags ---------------------------------------------------------------------------------


def parse_config_text(text: str, origin: str) -> dict[str, str]:
    """redis.conf syntax: `name value...` per line, '#' comments, quoted values allowed."""
    values: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            words = shlex.split(line)
        except ValueError:
            raise ConfigError(f"{origin}:{number}: unbalanced quotes") from None
        name = words[0].lower()
        value = " ".join(words[1:])
        if name == "user":  # ACL users: one line each (Settings.acl_users)
            values["user"] = f"{values['user']}\n{value}" if "user" in values else value
            continue
        if name == "save" and values.get("save") and value:
            value = values["save"] + " " + value  # several `save` lines add up, as in redis.conf
        values[name] = value
    return values


def parse_command_line(args: list[str]) -> tuple[Path | None, dict[str, str]]:
    """`[config-file] [--name value ...]` as redis-server takes them; a flag's value may span several words
    (`--save 900 1 300 10`) and may be empty (`--save ''`)."""
    config_file = None
    if args and not args[0].startswith("--"):
        config_file = Path(args[0])
        args = args[1:]
    values: dict[str, str] = {}
    name = None
    for word in args:
        if word.startswith("--") and len(word) > 2:
            name = word[2:].lower()
            if name == "user" and "user" in values:  # each --user is one more ACL user
                values["user"] += "\n"
                continue
            values[name] = ""
        elif name is None:
            raise ConfigError(f"unexpected argument {word!r} (options look like --port 6380)")
        else:
            values[name] = f"{values[name]} {word}".strip()
    return config_file, values


def load_settings(args: list[str], env_file: str | Path | None = ".env") -> tuple[Settings, Path | None]:
    """Build the settings from every source; ConfigError carries one line for the user."""
    config_file, flags = parse_command_line(args)
    explicit: dict[str, str] = {}
    if config_file is not None:
        try:
            explicit.update(parse_config_text(config_file.read_text(), str(config_file)))
        except OSError as error:
            raise ConfigError(f"can't read config file {config_file}: {error.strerror}") from None
    users = [line for line in (explicit.pop("user", ""), flags.pop("user", "")) if line]
    explicit.update(flags)
    for name in explicit:
        if name not in PARAMETERS and name.replace("-", "_") not in SEED_FIELDS:
            raise ConfigError(f"unknown option '{name}'")
    renamed = {PARAMETERS.get(name, name.replace("-", "_")): value for name, value in explicit.items()}
    try:
        settings = Settings(_env_file=env_file, **renamed)
        settings.acl_users = "\n".join(users).split("\n") if users else []
    except ValidationError as error:
        detail = error.errors()[0]
        field = str(detail["loc"][0]) if detail["loc"] else "configuration"
        raise ConfigError(f"invalid value for '{field.replace('_', '-')}': {first_message(error)}") from None
    if settings.daemonize:
        raise ConfigError("daemonize yes is not supported: run under a process manager instead")
    return settings, config_file


def rewrite_config_file(path: Path, settings: Settings, users: list[str] | None = None) -> None:
    """CONFIG REWRITE: keep the file's comments and order, update changed parameters, append the rest. `users`
    (ACL users as `user` lines) replace the file's `user` lines; None keeps them (an aclfile holds the users)."""
    lines = path.read_text().splitlines() if path.exists() else []
    if users is not None:
        lines = [line for line in lines if line.strip().split(None, 1)[:1] != ["user"]]
    defaults = Settings.model_construct()
    written = set()
    out = []
    for line in lines:
        words = line.strip().split(None, 1)
        name = words[0].lower() if words and not words[0].startswith("#") else None
        if name in PARAMETERS:
            if name in written:
                continue
            written.add(name)
            out.append(_config_line(settings, name))
        else:
            out.append(line)
    for name, field_name in PARAMETERS.items():
        if name in written or field_name != name.replace("-", "_"):
            continue
        if getattr(settings, field_name) != getattr(defaults, field_name):
            out.append(_config_line(settings, name))
    out += users or []
    path.write_text("\n".join(out) + "\n", errors="surrogateescape")  # a master host given as any bytes


def _config_line(settings: Settings, name: str) -> str:
    value = format_value(settings, name)
    if name in ("replicaof", "slaveof"):
        return f"{name} {value}"  # host and port as two words, as Redis writes them
    return f"{name} {_quote(value)}"


def _quote(value: str) -> str:
    return value if value and " " not in value and '"' not in value else '"' + value.replace('"', '\\"') + '"'


__all__ = [
    "PARAMETERS",
    "Settings",
    "format_value",
    "is_mutable",
    "load_settings",
    "matching_parameters",
    "rewrite_config_file",
    "validate_value",
]
