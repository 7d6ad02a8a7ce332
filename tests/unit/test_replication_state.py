"""The replication ID, offset and backlog that PSYNC2 serves partial resyncs from (engine/replication.py)."""

from redislite.engine.replication import ReplicationState


def test_the_backlog_serves_from_any_byte_it_still_holds_and_nothing_it_dropped():
    state = ReplicationState(backlog_size=10)
    state.create_backlog()
    state.feed(b"abcdef")
    assert state.backlog.read_from(1) == b"abcdef" and state.backlog.read_from(7) == b""
    assert state.backlog.read_from(8) is None  # bytes this server never produced
    state.feed(b"ghijkl")
    assert state.master_repl_offset == 12 and state.backlog.first_offset == 3 and state.backlog.histlen == 10
    assert state.backlog.read_from(3) == b"cdefghijkl" and state.backlog.read_from(2) is None


def test_after_a_promotion_the_old_id_continues_up_to_the_offset_it_reached():
    state = ReplicationState(backlog_size=100)
    state.create_backlog()
    state.feed(b"x" * 12)
    old = state.replid
    state.shift_replid()
    assert state.replid != old and state.replid2 == old and state.second_repl_offset == 13
    assert state.can_continue(old, 13) and not state.can_continue(old, 14)
    state.feed(b"y")
    assert state.can_continue(state.replid, 14) and not state.can_continue("f" * 40, 5)


def test_without_a_backlog_nothing_continues():
    state = ReplicationState(backlog_size=100)
    assert state.role == "master" and not state.can_continue(state.replid, 1)
