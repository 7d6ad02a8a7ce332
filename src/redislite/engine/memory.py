"""maxmemory: what the dataset uses, and evicting keys to stay under the limit (Redis's evict.c).

`perform_evictions` runs before commands while a limit is set (Engine._gate), as Redis's processCommand
does: it evicts for at most a time slice (maxmemory-eviction-tenacity), and when that is not enough it
lets the command run and goes on evicting in later loop turns, so lowering maxmemory at run time never
stalls clients for long. An evicted key is deleted like any other: its watchers' transactions fail,
tracking clients are invalidated, the "evicted" event fires and the AOF logs a DEL.
"""

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from ..commands.notifications import NOTIFY_EVICTED, notify_in_db
from ..storage.eviction import EvictionPool, LfuCounter, choose_victim
from ..storage.memory import STARTUP_BYTES

if TYPE_CHECKING:
    from .core import Engine
    from .state import ServerState

log = logging.getLogger("redislite.memory")


class MemoryManager:
    def __init__(self, state: "ServerState", engine: "Engine"):
        self.state = state
        self.engine = engine
        self.pool = EvictionPool()
        self.lfu = LfuCounter()
        self.next_db = [0]  # the random policies' round-robin position
        self.schedule: Callable[[], object] | None = None  # set by the server: run evict_slice on a later loop turn
        self.slice_pending = False
        self.peak = 0
        self.maxmemory = 0
        self.over_since_ns = 0  # when used memory last went over the limit without getting back under

    def configure(self) -> None:
        """Apply maxmemory-* settings (at start and after CONFIG SET)."""
        config = self.state.config
        changed = config.maxmemory != self.maxmemory
        self.maxmemory = config.maxmemory
        self.policy = config.maxmemory_policy
        self.samples = config.maxmemory_samples
        self.lfu.log_factor = config.lfu_log_factor
        self.lfu.decay_time = config.lfu_decay_time
        self.time_limit_ns = eviction_time_limit_us(config.maxmemory_eviction_tenacity) * 1000
        lfu = self.lfu if self.policy.endswith("lfu") else None
        for db in self.state.databases:
            db.lfu = lfu
        self.pool.clear()
        if self.maxmemory and self.used_memory() > self.maxmemory:
            if changed:
                log.warning("maxmemory_below_used_memory", extra={"maxmemory": self.maxmemory})
            self.perform_evictions()

    def used_memory(self) -> int:
        """INFO used_memory: the dataset (keys, values, their tables, expiry and eviction bookkeeping)."""
        used = STARTUP_BYTES
        for db in self.state.databases:
            if db.used:
                used += db.memory()
        if used > self.peak:
            self.peak = used
        return used

    def perform_evictions(self) -> bool:
        """Evict until used memory is under maxmemory. False when that is impossible (noeviction, or no key
        qualifies): the caller then refuses commands flagged denyoom. True otherwise, including when the
        time slice ran out and eviction goes on in the background."""
        over = self.used_memory() - self.maxmemory
        if over <= 0:
            self._back_under()
            return True
        if not self.over_since_ns:
            self.over_since_ns = time.monotonic_ns()
        started = time.perf_counter_ns()
        try:
            return self._evict(over, started + self.time_limit_ns)
        finally:
            elapsed = time.perf_counter_ns() - started
            if elapsed >= self.engine.latency_threshold_ns:  # the latency monitor's "eviction-cycle" event
                self.state.latency.record("eviction-cycle", elapsed // 1_000_000, self.state.clock_ms() // 1000)

    def _evict(self, over: int, deadline: float) -> bool:
        state = self.state
        databases = state.databases
        if self._compact_tables():
            over = self.used_memory() - self.maxmemory
            if over <= 0:
                self._back_under()
                return True
        if self.policy == "noeviction":
            return False
        evicted = 0
        clock_s = state.clock_ms() // 1000
        while over > 0:
            victim = choose_victim(databases, self.policy, self.samples, clock_s, self.pool, self.lfu, self.next_db)
            if victim is None:
                return False
            db, key = victim
            before = db.used
            self.evict(db, key)
            over -= before - db.used
            evicted += 1
            if evicted % 16 == 0:
                if evicted % 256 == 0 and self._compact_tables():
                    over = self.used_memory() - self.maxmemory
                if time.perf_counter_ns() > deadline:
                    if over > 0:
                        self._continue_later()
                    return True
        self._back_under()
        return True

    def _compact_tables(self) -> bool:
        """Give back the slots of tables that deletions emptied (Python's dicts never shrink by themselves)."""
        return any([db.compact_one_table() for db in self.state.databases if db.used or db.data])  # noqa: C419 (all compact)

    def _back_under(self) -> None:
        if self.over_since_ns:
            self.state.stats.total_eviction_exceeded_time_ms += self.exceeded_time_ms()
            self.over_since_ns = 0

    def evict(self, db, key: bytes) -> None:
        """Delete one key as eviction does (Redis's deleteEvictedKeyAndPropagate)."""
        db.delete(key)
        state = self.state
        state.stats.evicted_keys += 1
        if db.watched:
            db.touch_watched(key)
        engine = self.engine
        if engine.tracking.clients:
            engine.tracking.invalidate(key)
        if engine.propagation.consumers:
            engine.propagation.emit_now(db.index, [b"DEL", key])
        if state.notify_flags & NOTIFY_EVICTED:
            notify_in_db(state, NOTIFY_EVICTED, b"evicted", key, db.index)

    def _continue_later(self) -> None:
        if not self.slice_pending and self.schedule is not None:
            self.slice_pending = True
            self.schedule()

    def evict_slice(self) -> None:
        """One background slice (Redis's evictionTimeProc); reschedules itself while still over."""
        self.slice_pending = False
        if self.maxmemory:
            self.perform_evictions()

    def exceeded_time_ms(self) -> int:
        """INFO current_eviction_exceeded_time: how long memory has been over the limit, in ms."""
        return (time.monotonic_ns() - self.over_since_ns) // 1_000_000 if self.over_since_ns else 0


def eviction_time_limit_us(tenacity: int) -> float:
    """evictionTimeLimitUs: linear up to 500 us at tenacity 10, then 15% more per step, unlimited at 100."""
    if tenacity <= 10:
        return 50 * tenacity
    if tenacity < 100:
        return 500.0 * 1.15 ** (tenacity - 10)
    return float("inf")
