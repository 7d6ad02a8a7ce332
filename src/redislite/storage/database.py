"""One logical database: keys -> values, plus expiry deadlines and access bookkeeping.

Access times (OBJECT IDLETIME, LRU eviction) are stamped with `clock`, an LRU clock in unix seconds that the
cron advances: every stamp shares one int object, so a stamp costs a dict slot and no allocation. Under an
LFU policy (`lfu` set) the same table holds each key's LFU word instead (storage/eviction.py).

`used` is what the keys and values cost (storage/memory.py), kept up to date by every store and delete;
aggregates changed in place are re-priced by `settle`. `roster` lists the keys for uniform random sampling
(eviction); it is built on first use and then kept: a new key is appended, a deleted one is dropped when a
sample meets it.

Expiry is exact: every read goes through `lookup`, which deletes a key whose deadline has passed (lazy
expiry). `expire_cycle` reclaims expired keys nobody touches, in deadline order from a min-heap, and stops
at a deadline the caller gives, so one cycle never stalls the server (active expiry).
"""

import heapq
import random
from collections.abc import Callable
from sys import getsizeof
from typing import TYPE_CHECKING

from .glob import compile_glob
from .memory import (
    EXACT_MEMBERS,
    HEAP_ENTRY_BYTES,
    RESAMPLE_CHANCE,
    SIZE_BY_LENGTH,
    TABLE_SLOT_BYTES,
    Aggregate,
    bytes_size,
    price,
    value_size,
)

if TYPE_CHECKING:
    from .eviction import LfuCounter

_ONLY_BYTES = {bytes}
_STRING_SIZES: Callable[[int], int] = SIZE_BY_LENGTH.__getitem__
COMPACT_MAX_KEYS = 20_000  # a rebuild short enough for the cron, see compact_one_table
EXPIRE_DELETE, EXPIRE_HIDE, EXPIRE_SHOW = 0, 1, 2  # Database.expired_reads


class Database:
    __slots__ = (
        "index",
        "data",
        "expires",
        "access",
        "clock",
        "heap",
        "expired_keys",
        "scans",
        "watched",
        "on_expired",
        "used",
        "roster",
        "lfu",
        "expired_reads",
        "raw_strings",
    )

    def __init__(self, index: int):
        self.index = index
        self.data: dict[bytes, bytes | Aggregate] = {}
        self.expires: dict[bytes, int] = {}  # key -> deadline, unix ms
        self.access: dict[bytes, int] = {}  # key -> LRU clock (unix seconds) of the last access
        self.clock = 0
        # WATCH: key -> {client: whether the key was already (logically) expired when watched}
        self.watched: dict[bytes, dict] = {}
        self.heap: list[tuple[int, bytes]] = []  # (deadline, key); entries go stale when a TTL changes
        self.expired_keys = 0
        self.scans = ScanSnapshots()
        # Called as on_expired(db, key) after an expired key is deleted (the engine installs it while
        # "expired" events or CLIENT TRACKING need it); None otherwise, so expiry pays one test.
        self.on_expired: Callable[[Database, bytes], None] | None = None
        self.used = 0  # bytes of keys and values (storage/memory.py)
        self.roster: list[bytes] | None = None  # keys to sample from, once eviction needs it
        self.lfu: LfuCounter | None = None  # while an LFU maxmemory-policy is set
        # What a read of a key past its deadline does: EXPIRE_DELETE on a master; on a replica, which never
        # expires keys itself but waits for its master's DEL, EXPIRE_HIDE (the key reads as missing and stays)
        # and EXPIRE_SHOW while the master's stream is applied (its commands see the key as the master did).
        self.expired_reads = EXPIRE_DELETE
        # Strings changed in place (APPEND, SETRANGE, SETBIT, PFADD ...), which Redis keeps "raw" whatever their
        # length (OBJECT ENCODING); a new value for the key makes it an ordinary string again.
        self.raw_strings: set[bytes] = set()

    def __len__(self) -> int:
        return len(self.data)

    # -- reads -----------------------------------------------------------------------------------------

    def lookup(self, key: bytes, now_ms: int, touch: bool = False):
        """The value at key, or None when missing or expired (an expired key is deleted on the spot)."""
        value = self.data.get(key)
        if value is None:
            return None
        if self.expires:
            deadline = self.expires.get(key)
            if deadline is not None and deadline <= now_ms:
                if self.expired_reads == EXPIRE_DELETE:
                    self._expire(key)
                    return None
                if self.expired_reads == EXPIRE_HIDE:
                    return None
        if touch:
            if self.lfu is None:
                self.access[key] = self.clock
            else:
                self.access[key] = self.lfu.touched(self.access.get(key), self.clock)
        return value

    def contains(self, key: bytes, now_ms: int) -> bool:
        return self.lookup(key, now_ms) is not None

    def deadline(self, key: bytes) -> int | None:
        return self.expires.get(key)

    def live_keys(self, now_ms: int, pattern: bytes | None = None) -> list[bytes]:
        """Every unexpired key, optionally matching a glob pattern (KEYS)."""
        keys = list(self.data)
        if pattern is not None and pattern != b"*":
            match = compile_glob(pattern).match
            keys = [key for key in keys if match(key)]
        if self.expires:
            expires = self.expires
            keys = [key for key in keys if expires.get(key, now_ms + 1) > now_ms]
        return keys

    def random_key(self, now_ms: int) -> bytes | None:
        """A random unexpired key (RANDOMKEY), expiring the dead ones it meets."""
        for _ in range(100):
            if not self.data:
                return None
            key = random.choice(list(self.data)) if len(self.data) < 64 else _random_dict_key(self.data)
            if self.lookup(key, now_ms) is not None:
                return key
        live = self.live_keys(now_ms)
        return random.choice(live) if live else None

    # -- writes ----------------------------------------------------------------------------------------

    def store(self, key: bytes, value, keep_ttl: bool = False, touch: bool = True, in_place: bool = False) -> None:
        """Set key to value; any TTL is dropped unless keep_ttl. `in_place`: the string was changed where it is
        (see raw_strings)."""
        if in_place:
            self.raw_strings.add(key)
        elif self.raw_strings:
            self.raw_strings.discard(key)
        data = self.data
        old = data.get(key)
        if old.__class__ is bytes and value.__class__ is bytes:  # a string over a string: SET's hot path
            if len(value) != len(old):  # (overwrites of the same length are common: counters, fixed-size values)
                self.used += bytes_size(value) - bytes_size(old)
        else:
            self._account_store(key, old, value)
        data[key] = value
        if not keep_ttl and self.expires:
            self.expires.pop(key, None)
        if touch:
            if self.lfu is None:
                self.access[key] = self.clock
            else:
                self.access[key] = self.lfu.touched(self.access.get(key), self.clock)

    def replace_string(self, key: bytes, old: bytes, value: bytes, touch: bool) -> None:
        """Store the string value where key holds the string old (the caller just looked it up); the TTL stays.
        INCR's path: store() without the lookup and the type tests."""
        if self.raw_strings:
            self.raw_strings.discard(key)
        if len(value) != len(old):
            self.used += bytes_size(value) - bytes_size(old)
        self.data[key] = value
        if touch:
            if self.lfu is None:
                self.access[key] = self.clock
            else:
                self.access[key] = self.lfu.touched(self.access.get(key), self.clock)

    def _account_store(self, key: bytes, old, value) -> None:
        size = bytes_size(value) if value.__class__ is bytes else price(value)
        if old is None:
            self.used += size + bytes_size(key)
            if self.roster is not None:
                self.roster.append(key)
        else:
            self.used += size - value_size(old)

    def store_many(self, keys: list[bytes], values: list, touch: bool = True) -> None:
        """MSET (bytes values only): store pairs; TTLs of the keys are dropped."""
        data = self.data
        pairs = dict(zip(keys, values))  # a key given twice takes its last value, as in Redis
        olds = list(map(data.get, pairs))
        if set(map(type, olds)) == _ONLY_BYTES:  # strings over strings: sized by C-level passes
            try:
                # (olds holds only bytes, which mypy cannot tell from the test of their types)
                self.used += sum(map(_STRING_SIZES, map(len, pairs.values()))) - sum(map(_STRING_SIZES, map(len, olds)))  # type: ignore[arg-type]
                data.update(pairs)
            except IndexError:  # a long string: priced one by one below
                self._store_pairs(pairs)
        else:
            self._store_pairs(pairs)
        if self.expires:
            for key in pairs:
                self.expires.pop(key, None)
        if touch:
            if self.lfu is None:
                self.access.update(dict.fromkeys(pairs, self.clock))
            else:
                for key in pairs:
                    self.access[key] = self.lfu.touched(self.access.get(key), self.clock)

    def _store_pairs(self, pairs: dict) -> None:
        if self.raw_strings:
            self.raw_strings.difference_update(pairs)
        data = self.data
        get = data.get
        roster = self.roster
        added = 0
        for key, value in pairs.items():
            old = get(key)
            if old is None:
                added += bytes_size(key) + bytes_size(value)
                if roster is not None:
                    roster.append(key)
            elif old.__class__ is bytes:
                added += bytes_size(value) - bytes_size(old)
            else:
                added += bytes_size(value) - value_size(old)
            data[key] = value
        self.used += added

    def delete(self, key: bytes) -> bool:
        value = self.data.pop(key, None)
        if value is None:
            return False
        self.used -= value_size(value) + bytes_size(key)
        self.access.pop(key, None)
        if self.raw_strings:
            self.raw_strings.discard(key)
        if self.expires:
            self.expires.pop(key, None)
        return True

    # -- memory ----------------------------------------------------------------------------------------

    def settle(self, key: bytes) -> None:
        """Re-price the aggregate at key after a command changed it in place (storage/memory.py)."""
        value = self.data.get(key)
        if value is None or value.__class__ is bytes:
            return
        # mypy narrows out bytes only after isinstance(), which costs more than the exact class test above
        aggregate: Aggregate = value  # type: ignore[assignment]
        count, last, before = len(aggregate), aggregate.counted, aggregate.accounted
        if random.random() < RESAMPLE_CHANCE:
            self.used += price(aggregate) - before
        elif count != last:
            if count > EXACT_MEMBERS and last >> 1 < count < last << 1:
                aggregate.counted = count
                aggregate.accounted = now = before * count // last
                self.used += now - before
            else:
                self.used += price(aggregate) - before

    def memory(self) -> int:
        """Bytes this database costs: keys and values, plus its tables (priced as they are now)."""
        main, expires = self.table_bytes()
        return self.used + main + expires

    def table_bytes(self) -> tuple[int, int]:
        """The tables' own bytes: (keys and access times with the eviction roster, deadlines with the heap)."""
        main = _table_cost(self.data) + _table_cost(self.access)
        if self.roster is not None:
            main += getsizeof(self.roster)
        expires = 0
        if self.heap or self.expires:
            expires = _table_cost(self.expires) + getsizeof(self.heap) + len(self.heap) * HEAP_ENTRY_BYTES
        return main, expires

    def compact_one_table(self, max_keys: int | None = COMPACT_MAX_KEYS) -> bool:
        """Python's dicts only shrink when an insertion makes them resize: rebuild one table that is mostly
        empty slots (after mass eviction or deletion), so the memory is given back now. A rebuild costs time
        per key (benchmarks/README.md), so only tables of at most max_keys keys are rebuilt here (MEMORY PURGE
        rebuilds any). Returns whether one was rebuilt."""
        for name in ("data", "access", "expires"):
            table = getattr(self, name)
            if (max_keys is None or len(table) <= max_keys) and getsizeof(table) > _slack_limit(table):
                setattr(self, name, dict(table))
                return True
        return False

    def sample(self, count: int) -> list[bytes]:
        """Up to count random keys (with repetition), uniform over the keys; expired ones included."""
        data = self.data
        if not data:
            return []
        roster = self.roster
        if roster is None or len(roster) > 2 * len(data) + 1024:
            roster = self.roster = list(data)
        picked: list[bytes] = []
        while roster and len(picked) < count:  # each miss drops a deleted key's entry, so this ends
            index = random.randrange(len(roster))
            key = roster[index]
            if key in data:
                picked.append(key)
            else:
                roster[index] = roster[-1]
                roster.pop()
        return picked

    def sample_volatile(self, count: int) -> list[bytes]:
        """Up to count random keys that have a deadline, from the expiry heap (stale entries skipped)."""
        heap, expires = self.heap, self.expires
        if not expires:
            return []
        picked: list[bytes] = []
        misses = 0
        while len(picked) < count:
            deadline, key = heap[random.randrange(len(heap))]
            if expires.get(key) == deadline:
                picked.append(key)
            else:
                misses += 1
                if misses > 8 + 2 * count:  # mostly stale entries: rebuild the heap from the live deadlines
                    self._rebuild_heap()
                    heap = self.heap
                    misses = -len(heap)  # a fresh heap has no stale entries
        return picked

    def set_deadline(self, key: bytes, deadline_ms: int) -> None:
        self.expires[key] = deadline_ms
        heapq.heappush(self.heap, (deadline_ms, key))
        if len(self.heap) > 2 * len(self.expires) + 1024:
            self._rebuild_heap()

    def persist(self, key: bytes) -> bool:
        return self.expires.pop(key, None) is not None

    # -- access times ----------------------------------------------------------------------------------

    def set_clock(self, clock: int) -> None:
        """Advance the LRU clock (unix seconds) that new stamps get."""
        self.clock = clock

    def access_time(self, key: bytes, now_s: int) -> int:
        """When key was last accessed (unix seconds)."""
        return self.access.get(key, now_s)

    def set_access_time(self, key: bytes, clock: int) -> None:
        self.access[key] = clock

    def set_frequency(self, key: bytes, counter: int) -> None:
        """An LFU counter from a file or RESTORE ... FREQ (ignored unless an LFU policy is set)."""
        if self.lfu is not None:
            self.access[key] = self.lfu.new_word(self.clock, counter)

    def clear(self) -> None:
        if self.watched:
            self.touch_all_watched()
        self.data = {}
        self.expires = {}
        self.access = {}
        self.heap = []
        self.scans = ScanSnapshots()
        self.used = 0
        self.roster = None
        self.raw_strings = set()

    def swap_contents(self, other: "Database") -> None:
        self.touch_all_watched(other)
        other.touch_all_watched(self)
        for name in ("data", "expires", "access", "heap", "scans", "used", "roster", "raw_strings"):
            mine, theirs = getattr(self, name), getattr(other, name)
            setattr(self, name, theirs)
            setattr(other, name, mine)

    # -- WATCH: the storage side of Redis's watched_keys; a touched watcher gets `dirty_cas` set -----------

    def watch(self, key: bytes, client, now_ms: int) -> None:
        deadline = self.expires.get(key) if key in self.data else None
        self.watched.setdefault(key, {}).setdefault(client, deadline is not None and deadline <= now_ms)

    def unwatch(self, key: bytes, client) -> None:
        clients = self.watched.get(key)
        if clients is not None:
            clients.pop(client, None)
            if not clients:
                del self.watched[key]

    def touch_watched(self, key: bytes) -> None:
        """key changed: its watchers' transactions will fail. A key that was already expired when watched
        and has now been deleted is no logical change (Redis 7's rule)."""
        clients = self.watched.get(key)
        if not clients:
            return
        for client, expired in list(clients.items()):
            if expired and key not in self.data:
                clients[client] = False
            else:
                client.dirty_cas = True

    def touch_all_watched(self, replaced_with: "Database | None" = None) -> None:
        """FLUSHDB, FLUSHALL, SWAPDB: touch the watched keys that exist here, or in the database whose
        contents replace these."""
        for key in list(self.watched):
            if key in self.data or (replaced_with is not None and key in replaced_with.data):
                for client in self.watched[key]:
                    client.dirty_cas = True

    # -- expiry ----------------------------------------------------------------------------------------

    def _expire(self, key: bytes) -> None:
        self.delete(key)
        self.expired_keys += 1
        if self.watched:
            self.touch_watched(key)
        if self.on_expired is not None:
            self.on_expired(self, key)

    def expire_cycle(self, now_ms: int, time_left, batch: int = 64) -> int:
        """Delete keys whose deadline has passed, earliest first, until none is due or `time_left()` is
        False (checked every `batch` keys). Returns how many keys expired."""
        heap, expires = self.heap, self.expires
        expired = 0
        while heap and heap[0][0] <= now_ms:
            for _ in range(batch):
                if not heap or heap[0][0] > now_ms:
                    break
                deadline, key = heapq.heappop(heap)
                if expires.get(key) == deadline:  # else the entry is stale: the TTL changed or the key went
                    self._expire(key)
                    expired += 1
            if not time_left():
                break
        return expired

    def has_due_keys(self, now_ms: int) -> bool:
        return bool(self.heap) and self.heap[0][0] <= now_ms

    def _rebuild_heap(self) -> None:
        self.heap = [(deadline, key) for key, deadline in self.expires.items()]
        heapq.heapify(self.heap)


def _slack_limit(table: dict) -> int:
    """The most a table of this many keys occupies when freshly sized (twice the average slot)."""
    return 2 * TABLE_SLOT_BYTES * len(table) + 4096


def _table_cost(table: dict) -> int:
    """A table's bytes, not counting the empty slots beyond what a fresh table would have: those are
    given back by the next resize (or compact_one_table), as Redis gives them back by shrinking."""
    return min(getsizeof(table), _slack_limit(table))


def _random_dict_key(data: dict) -> bytes:
    # Sampling a dict without copying it: skip a random number of keys from a random start of iteration.
    iterator = iter(data)
    for _ in range(random.randrange(min(len(data), 64))):
        next(iterator)
    return next(iterator)


class ScanSnapshots:
    """SCAN cursors over a changing dict. A scan starting at cursor 0 snapshots the key list (a C-speed copy
    of references); later calls page through it and skip keys deleted since. So every key present for the
    whole scan is returned exactly once, whatever is added or deleted meanwhile. A few snapshots are kept
    per database; a cursor whose snapshot was dropped restarts the scan (duplicates are allowed, misses not).
    """

    KEEP = 16

    def __init__(self):
        self.snapshots: dict[int, list] = {}
        self.next_id = 1

    def page(self, container, cursor: int, count: int, snapshot_of=list) -> tuple[int, list]:
        """Return (next cursor, candidate items) for one SCAN call over `container`."""
        scan_id, offset = divmod(cursor, 1 << 32)
        items = self.snapshots.get(scan_id) if cursor else None
        if items is None:
            if len(container) <= count:
                return 0, snapshot_of(container)
            items = snapshot_of(container)
            scan_id, offset = self._remember(items), 0
        end = offset + count
        if end >= len(items):
            del self.snapshots[scan_id]
            return 0, items[offset:]
        return (scan_id << 32) | end, items[offset:end]

    def _remember(self, items: list) -> int:
        scan_id = self.next_id
        self.next_id += 1
        self.snapshots[scan_id] = items
        while len(self.snapshots) > self.KEEP:
            del self.snapshots[next(iter(self.snapshots))]
        return scan_id
