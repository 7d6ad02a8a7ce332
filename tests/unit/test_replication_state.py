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


def test_the_circular_backlog_matches_the_tail_of_the_stream_for_any_appends_and_resizes():
    import random

    from redislite.engine.replication import Backlog

    rng = random.Random(7)
    for _ in range(200):
        size = rng.randint(1, 64)
        start = rng.randint(0, 1000)
        backlog, stream = Backlog(size, start), b""
        for _ in range(rng.randint(1, 30)):
            if rng.random() < 0.1:
                size = rng.randint(1, 64)
                backlog.resize(size)
            else:
                data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 100)))
                backlog.append(data)
                stream += data
            held = stream[-size:] if stream else b""
            held = held[len(held) - min(len(held), backlog.histlen) :]
            assert backlog.end_offset == start + len(stream)
            assert backlog.first_offset == start + len(stream) - len(held) + 1
            for offset in range(backlog.first_offset, backlog.end_offset + 2):
                assert backlog.read_from(offset) == stream[offset - start - 1 :], (size, offset)
            assert backlog.read_from(backlog.first_offset - 1) is None or backlog.first_offset == start + 1


class Recorder:
    """A replica as ReplicationState.flush sees one: what it was streamed."""

    def __init__(self):
        self.received = b""

    def stream(self, data: bytes) -> None:
        self.received += data


def test_a_loop_turns_stream_reaches_backlog_and_replicas_once_in_order_and_the_offset_at_once():
    state = ReplicationState(backlog_size=100)
    flushes = []
    state.schedule_flush = lambda: flushes.append(True)  # as the server's call_soon: later, once per turn
    state.create_backlog()
    replica = Recorder()
    state.replicas.append(replica)
    state.feed(b"abc")
    state.feed(b"def")
    assert state.master_repl_offset == 6 and len(flushes) == 1 and replica.received == b""
    assert state.backlog.read_from(1) == b"abcdef" and replica.received == b"abcdef"  # reading flushes first
    state.feed(b"g")
    state.flush()
    state.flush()
    assert replica.received == b"abcdefg" and len(flushes) == 2 and state.backlog.histlen == 7


def test_a_new_backlog_flushes_the_old_history_first():
    state = ReplicationState(backlog_size=100)
    state.schedule_flush = lambda: None
    state.create_backlog()
    replica = Recorder()
    state.replicas.append(replica)
    state.feed(b"old")
    state.backlog = None  # a replica's full sync: a new history begins
    assert replica.received == b"old"
    state.create_backlog()
    assert state.backlog.histlen == 0 and state.backlog.first_offset == 4
