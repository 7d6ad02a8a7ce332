"""Storage-level memory accounting and eviction choices, with an injected clock: Database.used follows
every store, replace, delete, expiry and in-place change without drift; each policy picks the right class
of victims; the LFU counter grows logarithmically and decays."""

import random

from redislite.storage.database import Database
from redislite.storage.eviction import EvictionPool, LfuCounter, choose_victim
from redislite.storage.hashes import HashValue
from redislite.storage.lists import ListValue
from redislite.storage.memory import bytes_size, measure, value_size
from redislite.storage.sets import SetValue
from redislite.storage.zset import ZSet


def recomputed(db: Database) -> int:
    """What db.used must be: every key and value at its current price."""
    return sum(bytes_size(key) + value_size(value) for key, value in db.data.items())


def test_used_follows_random_stores_deletes_and_in_place_changes_without_drift():
    rng = random.Random(7)
    db = Database(0)
    keys = [b"key:%d" % i for i in range(50)]
    for _ in range(5000):
        key = rng.choice(keys)
        action = rng.randrange(7)
        if action == 0:
            db.store(key, rng.randbytes(rng.randrange(0, 600)))
        elif action == 1:
            db.delete(key)
        elif action == 2:
            # strings over strings take MSET's C-level pricing, up to its 4 KB table; longer ones the loop
            db.store_many([key, rng.choice(keys), key], [b"a", b"bb" * 40, b"c" * rng.randrange(5000)])
        elif action == 3:  # an aggregate changed in place, then settled (the engine does it after writes)
            value = db.data.get(key)
            if value is None or value.__class__ is bytes:
                db.store(key, rng.choice([ListValue, HashValue, SetValue])())
                value = db.data[key]
            member = rng.randbytes(rng.randrange(1, 80))
            if isinstance(value, ListValue):
                value.extend([member] * rng.randrange(1, 60))
            elif isinstance(value, HashValue):
                value[member] = member * 2
            elif isinstance(value, ZSet):
                value.add(member, rng.random())
            else:
                value.add(member)
            db.settle(key)
        elif action == 4:
            value = db.data.get(key)
            if value is not None and value.__class__ is not bytes and len(value) > 1:
                if isinstance(value, ZSet):
                    value.pop(1, True)
                elif isinstance(value, HashValue):
                    value.popitem()
                else:
                    value.pop()
                db.settle(key)
        elif action == 5:
            db.set_deadline(key, 1000) if key in db.data else None
            if rng.random() < 0.3:
                db.lookup(key, now_ms=2000)  # expires it
        else:
            zset = ZSet()
            for i in range(rng.randrange(1, 100)):
                zset.add(b"m%d" % i, float(i))
            db.store(key, zset)
        assert db.used == recomputed(db)
    for value in db.data.values():  # and the prices kept up to date are close to a fresh measure
        if value.__class__ is not bytes:
            assert abs(value.accounted - measure(value)) <= 0.3 * measure(value)


def test_a_stored_string_costs_its_key_and_value_objects():
    db = Database(0)
    db.store(b"k" * 16, b"v" * 16)
    assert db.used == 2 * 64  # 33 + 16 bytes, in 16-byte size classes
    db.store(b"k" * 16, b"v" * 100)
    assert db.used == 64 + 144
    db.delete(b"k" * 16)
    assert db.used == 0


def test_a_large_aggregate_is_priced_from_a_sample_scaled_to_its_length():
    small = ListValue([b"x" * 10] * 10)
    large = ListValue([b"x" * 10] * 10_000)
    per_member = bytes_size(b"x" * 10)
    assert measure(small) - measure(ListValue()) == 10 * per_member
    assert abs(measure(large, samples=5) - measure(large, samples=0)) < per_member * 100
    mixed = HashValue({b"f%d" % i: b"v" * (i % 50) for i in range(5000)})
    exact, sampled = measure(mixed, samples=0), measure(mixed, samples=16)
    assert abs(sampled - exact) / exact < 0.3
    assert value_size(b"abc") == bytes_size(b"abc")


def test_memory_includes_the_tables_and_expiry_bookkeeping():
    db = Database(0)
    for i in range(1000):
        db.store(b"key:%d" % i, b"v")
    without_ttl = db.memory()
    for i in range(1000):
        db.set_deadline(b"key:%d" % i, 10_000 + i)
    assert db.memory() - without_ttl > 1000 * 100  # deadline table slot, int and heap entry per key
    db.clear()
    assert db.used == 0 and db.memory() < 1000


def test_compaction_gives_back_the_slots_of_deleted_keys():
    db = Database(0)
    for i in range(10_000):
        db.store(b"key:%d" % i, b"v")
    for i in range(9_500):
        db.delete(b"key:%d" % i)
    before = db.memory()
    while db.compact_one_table():
        pass
    assert db.memory() < before
    assert len(db) == 500 and db.lookup(b"key:9999", 0) == b"v"


def filled(count=200, clock=1000, ttl_every=None):
    db = Database(0)
    db.set_clock(clock)
    for i in range(count):
        db.store(b"key:%d" % i, b"v")
        if ttl_every and i % ttl_every == 0:
            db.set_deadline(b"key:%d" % i, 10_000_000 + i)
    return db


def evict_some(databases, policy, count, clock_s, lfu=None):
    pool, lfu, next_db = EvictionPool(), lfu or LfuCounter(), [0]
    victims = []
    for _ in range(count):
        victim = choose_victim(databases, policy, 5, clock_s, pool, lfu, next_db)
        if victim is None:
            break
        db, key = victim
        db.delete(key)
        victims.append(key)
    return victims


def test_allkeys_lru_evicts_the_least_recently_used_keys_first():
    random.seed(1)
    db = filled(clock=1000)
    db.set_clock(1100)
    recent = [b"key:%d" % i for i in range(100, 200)]
    for key in recent:
        db.lookup(key, 0, touch=True)
    victims = evict_some([db], "allkeys-lru", 90, clock_s=1100)
    assert len(victims) == 90
    assert sum(key in recent for key in victims) <= 5


def test_volatile_policies_never_evict_keys_without_a_ttl():
    for policy in ("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"):
        db = filled(ttl_every=4)
        victims = evict_some([db], policy, 1000, clock_s=1000)
        assert len(victims) == 50, policy  # the 50 keys with a TTL, then nothing qualifies
        assert all(int(key.split(b":")[1]) % 4 == 0 for key in victims)


def test_volatile_ttl_evicts_the_nearest_deadlines_first():
    db = Database(0)
    for i in range(100):
        db.store(b"key:%d" % i, b"v")
        db.set_deadline(b"key:%d" % i, 1_000_000 + (i * 37) % 100 * 1000)
    victims = evict_some([db], "volatile-ttl", 20, clock_s=0)
    deadlines = sorted(1_000_000 + (i * 37) % 100 * 1000 for i in range(100))
    evicted = [1_000_000 + (int(key.split(b":")[1]) * 37) % 100 * 1000 for key in victims]
    assert sum(evicted) / 20 < sum(deadlines[:50]) / 50


def test_allkeys_lfu_keeps_frequently_read_keys():
    random.seed(3)
    lfu = LfuCounter()
    db = Database(0)
    db.lfu = lfu
    db.set_clock(60_000)
    for i in range(200):
        db.store(b"key:%d" % i, b"v")
    hot = [b"key:%d" % i for i in range(20)]
    for _ in range(50):
        for key in hot:
            db.lookup(key, 0, touch=True)
    victims = evict_some([db], "allkeys-lfu", 150, clock_s=60_000, lfu=lfu)
    assert not set(victims) & set(hot)


def test_random_policies_spread_over_every_database():
    databases = [filled(50), Database(1), filled(50)]
    victims = evict_some(databases, "allkeys-random", 60, clock_s=1000)
    assert len(victims) == 60
    assert len(databases[0]) + len(databases[2]) == 40
    assert len(databases[0]) < 50 and len(databases[2]) < 50


def test_lfu_counter_grows_logarithmically_and_decays_per_period():
    rng = random.Random(5)
    lfu = LfuCounter(log_factor=10, decay_time=1, rng=rng.random)
    word = lfu.new_word(clock_s=600)
    assert lfu.decayed(word, 600) == 5
    for _ in range(100):
        word = lfu.touched(word, 600)
    assert 8 <= lfu.decayed(word, 600) <= 14
    for _ in range(100_000):
        word = lfu.touched(word, 600)
    assert 120 <= lfu.decayed(word, 600) <= 170  # Redis's table for factor 10: 100K hits -> 142
    counter = lfu.decayed(word, 600)
    assert lfu.decayed(word, 600 + 5 * 60) == counter - 5  # one point per minute idle
    assert lfu.decayed(word, 600 + 10_000 * 60) == 0
    assert LfuCounter(decay_time=0).decayed(word, 600 + 10_000 * 60) == counter


def test_eviction_pool_keeps_the_best_sixteen_candidates():
    pool = EvictionPool()
    for score in range(40):
        pool.offer(score, 0, b"k%d" % score)
    pool.offer(39, 0, b"k39")  # already there
    assert len(pool.entries) == 16
    assert pool.pop_best() == (0, b"k39")
    assert pool.pop_best() == (0, b"k38")
