"""Choosing keys to evict under maxmemory, as Redis's evict.c does.

LRU and LFU are approximated by sampling: each round takes maxmemory-samples random keys from every
database (from all keys, or from the keys with a TTL for volatile-* policies), scores them, and keeps the
best candidates seen so far in a pool of 16 that lives across rounds; the best still-existing candidate
goes. volatile-ttl scores by the deadline (sooner is better); the random policies take any sampled key.

LFU keeps Redis's 24-bit word per key in the access table instead of an LRU stamp: the last decrement time
in minutes (16 bits) and a logarithmic counter (8 bits) that grows with probability 1/((c-5)*factor+1) on
each access and loses one point per lfu-decay-time minutes without access.
"""

import random
from bisect import insort

from .database import Database

POOL_SIZE = 16
LFU_INIT_VAL = 5
MINUTES_MASK = 0xFFFF


class LfuCounter:
    """The LFU policy's access bookkeeping (Redis's updateLFU / LFUDecrAndReturn / LFULogIncr)."""

    __slots__ = ("log_factor", "decay_time", "words", "random")

    def __init__(self, log_factor: int = 10, decay_time: int = 1, rng=random.random):
        self.log_factor = log_factor
        self.decay_time = decay_time
        # Interned access words: most keys share a handful of (minute, counter) words, so the access table
        # holds shared ints instead of one int object per key.
        self.words: dict[int, int] = {}
        self.random = rng

    def new_word(self, clock_s: int, counter: int = LFU_INIT_VAL) -> int:
        """The word of a key just created (counter LFU_INIT_VAL, so new keys get a chance to survive), or
        of a key loaded or restored with a counter."""
        return self._intern(((clock_s // 60) & MINUTES_MASK) << 8 | counter)

    def touched(self, word: int | None, clock_s: int) -> int:
        """The word after one access: decay by elapsed periods, then a logarithmic increment."""
        if word is None:
            return self.new_word(clock_s)
        counter = self.decayed(word, clock_s)
        if counter < 255:
            base = counter - LFU_INIT_VAL if counter > LFU_INIT_VAL else 0
            if self.random() < 1.0 / (base * self.log_factor + 1):
                counter += 1
        return self._intern(((clock_s // 60) & MINUTES_MASK) << 8 | counter)

    def decayed(self, word: int, clock_s: int) -> int:
        """LFUDecrAndReturn: the counter less one point per decay period elapsed since the last access."""
        counter = word & 255
        if self.decay_time:
            last = (word >> 8) & MINUTES_MASK
            now = (clock_s // 60) & MINUTES_MASK
            elapsed = now - last if now >= last else MINUTES_MASK - last + now
            counter = max(counter - elapsed // self.decay_time, 0)
        return counter

    def _intern(self, word: int) -> int:
        words = self.words
        if len(words) > 100_000:
            words.clear()
        return words.setdefault(word, word)


class EvictionPool:
    """The best eviction candidates seen so far, ascending by score: the last one goes first."""

    __slots__ = ("entries",)

    def __init__(self):
        self.entries: list[tuple[float, int, bytes]] = []  # (score, db index, key)

    def offer(self, score: float, db_index: int, key: bytes) -> None:
        entries = self.entries
        if len(entries) >= POOL_SIZE and score <= entries[0][0]:
            return
        for entry in entries:
            if entry[2] == key and entry[1] == db_index:
                return
        insort(entries, (score, db_index, key), key=_score)
        if len(entries) > POOL_SIZE:
            del entries[0]

    def pop_best(self) -> tuple[int, bytes] | None:
        if not self.entries:
            return None
        _, db_index, key = self.entries.pop()
        return db_index, key

    def clear(self) -> None:
        self.entries.clear()


def _score(entry) -> float:
    return entry[0]


def sample_keys(db: Database, count: int, volatile: bool) -> list[bytes]:
    """Up to count random live keys of db: any key, or (volatile) keys with a deadline."""
    return db.sample_volatile(count) if volatile else db.sample(count)


def populate(pool: EvictionPool, db: Database, count: int, policy: str, clock_s: int, lfu: LfuCounter) -> None:
    """evictionPoolPopulate: score a sample of db's keys and offer them to the pool (higher = evict)."""
    volatile = policy.startswith("volatile")
    keys = sample_keys(db, count, volatile)
    if not keys:
        return
    if policy.endswith("lru"):
        access = db.access
        for key in keys:
            pool.offer(clock_s - access.get(key, clock_s), db.index, key)
    elif policy.endswith("lfu"):
        access = db.access
        for key in keys:
            word = access.get(key)
            pool.offer(255 - (lfu.decayed(word, clock_s) if word is not None else LFU_INIT_VAL), db.index, key)
    else:  # volatile-ttl: the sooner the deadline, the better the candidate
        expires = db.expires
        for key in keys:
            deadline = expires.get(key)
            if deadline is not None:
                pool.offer(-deadline, db.index, key)


def choose_victim(
    databases: list[Database],
    policy: str,
    samples: int,
    clock_s: int,
    pool: EvictionPool,
    lfu: LfuCounter,
    next_db: list[int],
) -> tuple[Database, bytes] | None:
    """The next key to evict under policy, as (database, key); None when no key qualifies (every database
    empty, or no key with a TTL under a volatile-* policy). next_db holds the random policies' round-robin
    position across calls."""
    volatile = policy.startswith("volatile")
    if policy.endswith("random"):
        for _ in range(len(databases)):
            db = databases[next_db[0] % len(databases)]
            next_db[0] += 1
            keys = sample_keys(db, 1, volatile)
            if keys:
                return db, keys[0]
        return None
    for _ in range(3):  # a pool emptied by deletions elsewhere gets refilled a few times before giving up
        for db in databases:
            if db.expires if volatile else db.data:
                populate(pool, db, samples, policy, clock_s, lfu)
        while (best := pool.pop_best()) is not None:
            db = databases[best[0]]
            key = best[1]
            if key in (db.expires if volatile else db.data):
                return db, key
        if not any(db.expires if volatile else db.data for db in databases):
            return None
    return None
