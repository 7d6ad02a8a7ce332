"""Server-wide counters for INFO stats and errorstats, kept as plain integers."""

from dataclasses import dataclass, field


@dataclass
class Stats:
    connections_received: int = 0
    rejected_connections: int = 0
    net_input_bytes: int = 0
    net_output_bytes: int = 0
    keyspace_hits: int = 0
    keyspace_misses: int = 0
    evicted_keys: int = 0
    total_eviction_exceeded_time_ms: int = 0
    expired_stale_perc: float = 0.0
    expire_cycle_cpu_ms: int = 0
    total_error_replies: int = 0
    unexpected_error_replies: int = 0
    client_query_buffer_limit_disconnections: int = 0
    client_output_buffer_limit_disconnections: int = 0
    sync_full: int = 0  # full resyncs served to replicas
    sync_partial_ok: int = 0  # PSYNCs continued from the backlog
    sync_partial_err: int = 0  # PSYNCs of a known history that needed a full resync after all
    errors: dict[str, int] = field(default_factory=dict)  # error prefix ("ERR", "WRONGTYPE") -> count

    def count_error(self, message: bytes) -> None:
        self.total_error_replies += 1
        prefix = message.split(b" ", 1)[0].decode("latin-1")
        self.errors[prefix] = self.errors.get(prefix, 0) + 1

    def reset(self) -> None:
        for name, value in Stats().__dict__.items():
            setattr(self, name, value)
