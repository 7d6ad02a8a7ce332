"""Database: lazy expiry on lookup, the deadline-ordered active cycle, and SCAN's snapshot guarantee, all with an
injected clock (now_ms is an argument)."""

import random

from redislite.storage.database import Database

T0 = 1_700_000_000_000


def database_with(keys: dict[bytes, int | None]) -> Database:
    """keys: key -> deadline (or None)."""
    db = Database(0)
    for key, deadline in keys.items():
        db.store(key, b"v:" + key)
        if deadline is not None:
            db.set_deadline(key, deadline)
    return db


def test_a_key_is_visible_until_its_deadline_and_gone_at_it():
    db = database_with({b"k": T0 + 100})
    assert db.lookup(b"k", T0 + 99) == b"v:k"
    assert db.lookup(b"k", T0 + 100) is None


def test_lazy_expiry_deletes_the_key_and_counts_it():
    db = database_with({b"k": T0})
    assert len(db) == 1
    assert db.lookup(b"k", T0 + 1) is None
    assert len(db) == 0
    assert db.expired_keys == 1
    assert db.deadline(b"k") is None


def test_live_keys_and_contains_hide_expired_keys():
    db = database_with({b"old": T0, b"new": T0 + 1000, b"forever": None})
    assert sorted(db.live_keys(T0 + 1)) == [b"forever", b"new"]
    assert not db.contains(b"old", T0 + 1)


def test_store_drops_the_ttl_unless_asked_to_keep_it():
    db = database_with({b"a": T0 + 10, b"b": T0 + 10})
    db.store(b"a", b"x")
    db.store(b"b", b"x", keep_ttl=True)
    assert db.deadline(b"a") is None
    assert db.deadline(b"b") == T0 + 10


def test_active_cycle_reclaims_due_keys_without_any_lookup():
    db = database_with({b"k%d" % i: T0 + i for i in range(100)} | {b"keep": None})
    expired = db.expire_cycle(T0 + 49, time_left=lambda: True)
    assert expired == 50
    assert len(db) == 51
    assert db.expired_keys == 50
    assert db.has_due_keys(T0 + 50)
    assert not db.has_due_keys(T0 + 49)


def test_active_cycle_stops_when_its_time_budget_runs_out():
    db = database_with({b"k%d" % i: T0 for i in range(1000)})
    calls = []

    def time_left():
        calls.append(1)
        return len(calls) < 2  # allow two batches

    expired = db.expire_cycle(T0 + 1, time_left, batch=64)
    assert expired == 128
    assert len(db) == 1000 - 128
    assert db.has_due_keys(T0 + 1)


def test_active_cycle_ignores_stale_heap_entries_after_a_ttl_change_or_persist():
    db = database_with({b"moved": T0, b"persisted": T0, b"deleted": T0})
    db.set_deadline(b"moved", T0 + 1_000)
    db.persist(b"persisted")
    db.delete(b"deleted")
    assert db.expire_cycle(T0 + 1, time_left=lambda: True) == 0
    assert sorted(db.data) == [b"moved", b"persisted"]
    assert db.expire_cycle(T0 + 1_000, time_left=lambda: True) == 1
    assert list(db.data) == [b"persisted"]


def test_heap_does_not_grow_without_bound_when_one_key_is_reexpired_many_times():
    db = database_with({b"k": T0})
    for i in range(10_000):
        db.set_deadline(b"k", T0 + i)
    assert len(db.heap) < 2_100


def scan_all(db: Database, count: int, mutate=None) -> list[bytes]:
    """Run a whole SCAN over db, calling mutate(step) between pages; returns every key returned."""
    seen, cursor, step = [], 0, 0
    while True:
        cursor, page = db.scans.page(db.data, cursor, count)
        seen += [key for key in page if key in db.data]
        if cursor == 0:
            return seen
        step += 1
        if mutate:
            mutate(step)


def test_scan_returns_every_key_exactly_once_in_a_quiet_keyspace():
    db = database_with({b"k%d" % i: None for i in range(1000)})
    seen = scan_all(db, 7)
    assert sorted(seen) == sorted(db.data)
    assert len(seen) == 1000


def test_scan_returns_every_key_present_for_the_whole_scan_while_keys_are_added_and_deleted():
    rng = random.Random(7)
    db = database_with({b"k%d" % i: None for i in range(2000)})
    stable = {b"k%d" % i for i in range(0, 2000, 2)}  # never deleted
    volatile = [b"k%d" % i for i in range(1, 2000, 2)]

    def mutate(step):
        for _ in range(20):
            db.store(b"new%d-%d" % (step, rng.randrange(10**6)), b"x")  # grows the dict (rehash in Redis)
        for _ in range(5):
            if volatile:
                db.delete(volatile.pop(rng.randrange(len(volatile))))

    seen = set(scan_all(db, 10, mutate))
    assert stable <= seen


def test_scan_does_not_return_keys_deleted_before_their_page():
    db = database_with({b"k%d" % i: None for i in range(100)})
    cursor, first = db.scans.page(db.data, 0, 10)
    for key in list(db.data):
        if key not in first:
            db.delete(key)
    rest = []
    while cursor:
        cursor, page = db.scans.page(db.data, cursor, 10)
        rest += [key for key in page if key in db.data]
    assert rest == []


def test_an_unknown_scan_cursor_restarts_the_scan_rather_than_missing_keys():
    db = database_with({b"k%d" % i: None for i in range(50)})
    seen, cursor = [], 123456789 << 32
    while True:
        cursor, page = db.scans.page(db.data, cursor, 10)
        seen += page
        if cursor == 0:
            break
    assert sorted(seen) == sorted(db.data)


def test_swap_contents_exchanges_keys_and_deadlines():
    first = database_with({b"a": T0 + 5})
    second = database_with({b"b": None})
    first.swap_contents(second)
    assert list(first.data) == [b"b"] and list(second.data) == [b"a"]
    assert second.deadline(b"a") == T0 + 5
    assert second.expire_cycle(T0 + 5, time_left=lambda: True) == 1


def test_reads_and_writes_stamp_the_current_lru_clock():
    db = Database(0)
    db.set_clock(1000)
    db.store(b"k", b"v")
    db.set_clock(1200)
    assert db.access_time(b"k", 1500) == 1000
    db.lookup(b"k", now_ms=0, touch=True)
    assert db.access_time(b"k", 1500) == 1200


def test_a_lookup_without_touch_leaves_the_access_time_alone():
    db = Database(0)
    db.set_clock(1000)
    db.store(b"k", b"v")
    db.set_clock(2000)
    db.lookup(b"k", now_ms=0, touch=False)
    assert db.access_time(b"k", 2000) == 1000


def test_a_deleted_key_loses_its_access_stamp():
    db = Database(0)
    db.store(b"gone", b"v")
    db.delete(b"gone")
    assert b"gone" not in db.access
