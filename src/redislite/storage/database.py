"""One logical database: keys -> values, plus expiry deadlines and access bookkeeping.

Access times (OBJECT IDLETIME, LRU eviction) are stamped with `clock`, an LRU clock in unix seconds that the
cron advances: every stamp shares one int object, so a stamp costs a dict slot and no allocation.

Expiry is exact: every read goes through `lookup`, which deletes a key whose deadline has passed (lazy
expiry). `expire_cycle` reclaims expired keys nobody touches, in deadline order from a min-heap, and stops
at a deadline the caller gives, so one cycle never stalls the server (active expiry).
"""

import heapq
import random

from .glob import compile_glob


class Database:
    __slots__ = ("index", "data", "expires", "access", "clock", "heap", "expired_keys", "scans", "watched",
                 "on_expired")

    def __init__(self, index: int):
        self.index = index
        self.data: dict[bytes, object] = {}
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
        self.on_expired = None

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
                self._expire(key)
                return None
        if touch:
            self.access[key] = self.clock
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

    def store(self, key: bytes, value, keep_ttl: bool = False, touch: bool = True) -> None:
        """Set key to value; any TTL is dropped unless keep_ttl."""
        self.data[key] = value
        if not keep_ttl and self.expires:
            self.expires.pop(key, None)
        if touch:
            self.access[key] = self.clock

    def store_many(self, keys: list[bytes], values: list, touch: bool = True) -> None:
        """MSET: store pairs with C-speed dict updates; TTLs of the keys are dropped."""
        self.data.update(zip(keys, values))
        if self.expires:
            for key in keys:
                self.expires.pop(key, None)
        if touch:
            self.access.update(dict.fromkeys(keys, self.clock))

    def delete(self, key: bytes) -> bool:
        if self.data.pop(key, None) is None:
            return False
        self.access.pop(key, None)
        if self.expires:
            self.expires.pop(key, None)
        return True

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

    def clear(self) -> None:
        if self.watched:
            self.touch_all_watched()
        self.data = {}
        self.expires = {}
        self.access = {}
        self.heap = []
        self.scans = ScanSnapshots()

    def swap_contents(self, other: "Database") -> None:
        self.touch_all_watched(other)
        other.touch_all_watched(self)
        for name in ("data", "expires", "access", "heap", "scans"):
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
