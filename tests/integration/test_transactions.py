"""MULTI / EXEC / DISCARD / WATCH over redis-py: queueing, EXECABORT, no rollback on runtime errors,
optimistic locking under contention, and what invalidates a WATCH."""

import threading
import time

import pytest
import redis

from ..servers import reply
from .test_blocking import in_background, wait_for_blocked


def test_exec_runs_the_queue_and_returns_every_reply(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", "1").incr("a").lpush("l", "x", "y").lrange("l", 0, -1).get("missing")
        assert pipe.execute() == [True, 2, 2, [b"y", b"x"], None]


def test_a_runtime_error_inside_exec_does_not_roll_back_the_others(r):
    r.set("s", "text")
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", "1").incr("s").set("b", "2")
        results = pipe.execute(raise_on_error=False)
    assert results[0] is True and results[2] is True
    assert isinstance(results[1], redis.ResponseError)
    assert r.mget("a", "b") == [b"1", b"2"]


def test_a_command_refused_while_queuing_aborts_exec(r, lite, o):
    for client in (lite, o):
        client.delete("a")
        assert client.execute_command("MULTI") == b"OK"
        assert client.execute_command("SET", "a", "1") == b"QUEUED"
        with pytest.raises(redis.ResponseError):
            client.execute_command("GET")
        with pytest.raises(redis.exceptions.ExecAbortError, match="Transaction discarded because of previous errors"):
            client.execute_command("EXEC")
        assert client.execute_command("EXISTS", "a") == 0


@pytest.mark.parametrize(
    "commands",
    [
        [("EXEC",)],
        [("DISCARD",)],
        [("MULTI",), ("MULTI",), ("DISCARD",)],
        [("MULTI",), ("WATCH", "k"), ("EXEC",)],
        [("MULTI",), ("SUBSCRIBE", "c"), ("EXEC",)],
        [("MULTI",), ("NOSUCH",), ("EXEC",)],
        [("UNWATCH",), ("WATCH",)],
    ],
)
def test_misuse_gets_redis_errors(lite, o, commands):
    assert [reply(lite, *command) for command in commands] == [reply(o, *command) for command in commands]


@pytest.mark.parametrize(
    "commands",
    [
        [("MULTI",), ("SET", "a", "1"), ("EXEC", "extra"), ("EXEC",), ("GET", "a")],
        [("WATCH", "a"), ("EXEC", "extra"), ("SET", "a", "2"), ("MULTI",), ("SET", "b", "1"), ("EXEC",)],
    ],
)
def test_a_refused_exec_aborts_and_discards_the_transaction(lite, o, commands):
    """processCommand's rejectCommand: EXEC refused before it runs (arity, OOM, BUSY ...) answers "EXECABORT
    Transaction discarded because of: <the refusal>" and leaves MULTI and every WATCH."""
    assert [reply(lite, *command) for command in commands] == [reply(o, *command) for command in commands]


def test_exec_refused_for_memory_names_the_oom(server, oracle, lite, o):
    observed = []
    for process, client in ((server, lite), (oracle, o)):
        admin = redis.Redis(port=process.port)
        try:
            steps = [reply(client, "MULTI"), reply(client, "SET", "a", "1")]
            admin.config_set("maxmemory", 1)
            steps += [reply(client, "EXEC"), reply(client, "EXEC")]
        finally:
            admin.config_set("maxmemory", 0)
            admin.close()
        observed.append(steps + [reply(client, "GET", "a")])
    assert observed[0] == observed[1]
    assert observed[0][2] == (
        "error",
        "Transaction discarded because of: OOM command not allowed when used memory > 'maxmemory'.",
    )


def test_watch_retry_loops_under_contention_lose_no_increment(server, r):
    workers, rounds = 4, 30

    def work():
        client = redis.Redis(port=server.port)
        for _ in range(rounds):
            while True:
                with client.pipeline(transaction=True) as pipe:
                    try:
                        pipe.watch("counter")
                        value = int(pipe.get("counter") or 0)
                        pipe.multi()
                        pipe.set("counter", value + 1)
                        pipe.execute()
                        break
                    except redis.WatchError:
                        continue
        client.close()

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert int(r.get("counter")) == workers * rounds


@pytest.mark.parametrize(
    "change",
    [
        lambda c: c.set("w", "other"),
        lambda c: c.delete("w"),
        lambda c: c.expire("w", 100),
        lambda c: c.rename("w", "w2"),
        lambda c: c.flushdb(),
        lambda c: c.flushall(),
        lambda c: c.swapdb(0, 1),
        lambda c: c.append("w", "x"),
    ],
    ids=["set", "del", "expire", "rename", "flushdb", "flushall", "swapdb", "append"],
)
def test_a_change_by_another_client_fails_the_transaction(server, r, change):
    r.set("w", "v")
    other = redis.Redis(port=server.port)
    with r.pipeline(transaction=True) as pipe:
        pipe.watch("w")
        change(other)
        pipe.multi()
        pipe.set("result", "1")
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.exists("result") == 0
    other.close()


def test_a_write_that_changes_nothing_keeps_the_watch(server, r):
    r.set("w", "v")
    other = redis.Redis(port=server.port)
    with r.pipeline(transaction=True) as pipe:
        pipe.watch("w", "absent")
        other.set("w", "new", nx=True)  # w exists: nothing set
        other.delete("absent")
        other.get("w")
        pipe.multi()
        pipe.set("result", "1")
        assert pipe.execute() == [True]
    other.close()


def test_a_watched_key_that_expires_fails_the_transaction(r):
    r.set("w", "v", px=50)
    with r.pipeline(transaction=True) as pipe:
        pipe.watch("w")
        time.sleep(0.1)
        pipe.multi()
        pipe.set("result", "1")
        with pytest.raises(redis.WatchError):
            pipe.execute()


def test_blocking_commands_inside_multi_answer_at_once(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.blpop(["nothing"], 0).brpoplpush("nothing", "dest", 0).bzpopmin(["nothing"], 0)
        assert pipe.execute() == [None, None, None]


def test_a_push_inside_exec_wakes_waiters_only_after_the_transaction(server, r):
    waiter = redis.Redis(port=server.port, socket_timeout=10)
    waiting = in_background(waiter.blpop, ["queue"], 5)
    wait_for_blocked(r, 1)
    with r.pipeline(transaction=True) as pipe:
        pipe.rpush("queue", "first").lpop("queue").rpush("queue", "second")
        assert pipe.execute() == [1, b"first", 1]
    assert waiting() == (b"queue", b"second")
    waiter.close()


def test_exec_is_atomic_for_other_clients(server, r):
    r.set("x", 0)
    stop = threading.Event()
    seen = []

    def reader():
        client = redis.Redis(port=server.port)
        while not stop.is_set():
            seen.append(int(client.get("x")) % 100)
        client.close()

    thread = threading.Thread(target=reader)
    thread.start()
    for _ in range(30):
        with r.pipeline(transaction=True) as pipe:
            for _ in range(100):
                pipe.incr("x")
            pipe.execute()
    stop.set()
    thread.join(10)
    assert seen and set(seen) == {0}  # never a value from the middle of a transaction


def test_reset_and_disconnect_end_the_transaction(server, r):
    client = redis.Redis(port=server.port)
    client.execute_command("WATCH", "k")
    client.execute_command("MULTI")
    client.execute_command("SET", "k", "1")
    assert client.execute_command("RESET") in ("RESET", b"RESET")
    with pytest.raises(redis.ResponseError, match="EXEC without MULTI"):
        client.execute_command("EXEC")
    assert r.exists("k") == 0
    client.close()


def test_transactions_work_in_resp3(server):
    client = redis.Redis(port=server.port, protocol=3)
    client.flushall()
    with client.pipeline(transaction=True) as pipe:
        pipe.hset("h", mapping={"a": "1"}).hgetall("h").zadd("z", {"m": 1.5}).zscore("z", "m")
        assert pipe.execute() == [1, {b"a": b"1"}, 1, 1.5]
    client.close()
