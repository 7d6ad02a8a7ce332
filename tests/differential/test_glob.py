"""Glob patterns, differentially: KEYS, SCAN/HSCAN/SSCAN/ZSCAN MATCH, PSUBSCRIBE + PUBLISH, PUBSUB CHANNELS,
CONFIG GET and COMMAND LIST FILTERBY PATTERN get the same tricky and random patterns on RedisLite and on a real
redis-server, over keys and names chosen to hit stringmatchlen's corners (the empty string, bytes above 0x7f,
brackets, backslashes); the answers must be equal (as sorted lists where Redis's order is its hash table's)."""

import random

import pytest

from ..servers import redis_server_path
from .harness import compare_replies
from .resp import RawClient, parse_reply

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)

NAMES = [
    b"",
    b"a",
    b"aa",
    b"aaa",
    b"ab",
    b"abc",
    b"b",
    b"ba",
    b"A",
    b"Z",
    b"z",
    b"_",
    b"-",
    b"]",
    b"[",
    b"^",
    b"\\",
    b"*",
    b"?",
    b"\x00",
    b"\x7f",
    b"\x80",
    b"\xfe",
    b"\xff",
    b"a\xffb",
    b"h?llo",
    b"hello",
    b"hallo",
    b"hxllo",
    b"a*b",
    b"a[b",
    b"a]b",
    b"a\\b",
    b"a-b",
    b"user:1",
    b"user:1:name",
    b"a" * 40,
    b"a" * 39 + b"b",
    b"ab" * 20,
]

TRICKY = [
    b"*",
    b"**",
    b"?",
    b"*?",
    b"?*",
    b"",
    b"[",
    b"[^",
    b"[]",
    b"[^]",
    b"[]]",
    b"[]a]",
    b"[\\",
    b"\\",
    b"\\\\",
    b"a\\",
    b"[a-]",
    b"[-a]",
    b"[z-a]",
    b"[a-z]",
    b"[A-z]",
    b"[a-\xff]",
    b"[\x00-\xff]",
    b"[\xff-\x80]",
    b"[\x7f-\x80]",
    b"[^\x00-\xff]",
    b"[\\]]",
    b"[\\-]",
    b"[a\\-c]",
    b"[a-\\]",
    b"h[^e]llo",
    b"h\\?llo",
    b"a\\*b",
    b"*\\*",
    b"a[",
    b"a[*",
    b"*[*",
    b"[*]",
    b"[a-c",
    b"*[a-",
    b"a*[",
    b"user:*",
    b"*:*",
    b"user:?*:*",
    b"*1",
    b"a*b",
    b"a*a",
    b"*a*",
    b"*ab*ab*",
    b"a?*b",
    b"*a*" * 20,
    b"a*" * 20 + b"b",
    b"a*" * 20 + b"a",
    b"*a" * 30 + b"*b",
    b"*[ab]" * 25,
    b"*" + b"a" * 39 + b"*",
]

SYMBOLS = b"ab*?[]^-\\"


def random_patterns(seed: int, count: int) -> list[bytes]:
    rng = random.Random(seed)
    alphabet = SYMBOLS + b"A:\xff"
    return [bytes(rng.choice(alphabet) for _ in range(rng.randint(0, 9))) for _ in range(count)]


def unordered(argv, reply: bytes):
    """An array reply (or a SCAN or SSCAN page's keys, or a CONFIG GET's pairs) as a sorted list; HSCAN and
    ZSCAN pages as they are."""
    value, _ = parse_reply(reply)
    name = argv[0].upper() if isinstance(argv[0], bytes) else argv[0].encode().upper()
    if name in (b"SCAN", b"SSCAN") and isinstance(value, list):
        return value[0], sorted(value[1])
    if name == b"CONFIG" and isinstance(value, list):
        return sorted(zip(value[::2], value[1::2]))
    if name in (b"HSCAN", b"ZSCAN"):
        return value
    return sorted(value) if isinstance(value, list) else value


def run_both(clients, setup: list, commands: list) -> tuple[list[bytes], list[bytes]]:
    ours, theirs = clients
    for client in (ours, theirs):
        client.pipeline([["FLUSHALL"], *setup])
    return theirs.pipeline(commands), ours.pipeline(commands)


def test_keys_matches_real_redis_on_tricky_patterns(clients):
    setup = [["SET", name, b"1"] for name in NAMES]
    commands = [["KEYS", pattern] for pattern in TRICKY]
    expected, actual = run_both(clients, setup, commands)
    compare_replies("KEYS", commands, expected, actual, unordered)


@pytest.mark.parametrize("seed", range(4))
def test_keys_matches_real_redis_on_random_patterns(clients, seed):
    setup = [["SET", name, b"1"] for name in NAMES]
    commands = [["KEYS", pattern] for pattern in random_patterns(seed, 500)]
    expected, actual = run_both(clients, setup, commands)
    compare_replies(f"KEYS seed {seed}", commands, expected, actual, unordered)


def test_scan_family_match_matches_real_redis(clients):
    """Small collections are listpacks in Redis, returned whole in insertion order, so HSCAN and ZSCAN pages
    compare exactly; SCAN and SSCAN (a hashtable set) as sorted keys."""
    setup = [["SET", name, b"1"] for name in NAMES]
    setup += [["HSET", b"{h}", name, b"v"] for name in NAMES]
    setup += [["ZADD", b"{z}", index, name] for index, name in enumerate(NAMES)]
    setup += [["SADD", b"{s}", name] for name in NAMES]
    commands = []
    for pattern in TRICKY + random_patterns(99, 100):
        commands += [
            ["SCAN", 0, "MATCH", pattern, "COUNT", 1000],
            ["HSCAN", b"{h}", 0, "MATCH", pattern],
            ["ZSCAN", b"{z}", 0, "MATCH", pattern],
            ["SSCAN", b"{s}", 0, "MATCH", pattern, "COUNT", 1000],
        ]
    expected, actual = run_both(clients, setup, commands)
    compare_replies("SCAN MATCH", commands, expected, actual, unordered)


def test_pattern_subscriptions_match_the_channels_real_redis_matches(clients):
    """PUBLISH counts the receivers: one subscriber per pattern, so the count is how many patterns match
    (the empty channel included, which not even `*` matches). PUBSUB CHANNELS filters with the same rules."""
    patterns = list(dict.fromkeys(TRICKY + random_patterns(7, 150)))
    subscribers = []
    try:
        for client in clients:
            port = client.sock.getpeername()[1]
            for kind, names in ((b"PSUBSCRIBE", patterns), (b"SUBSCRIBE", NAMES)):
                subscriber = RawClient(port)
                subscriber.call(kind, *names)  # the first confirmation: all of them are sent together
                subscribers.append(subscriber)
        commands = [["PUBLISH", channel, b"m"] for channel in NAMES]
        commands += [["PUBSUB", "CHANNELS", pattern] for pattern in patterns]
        ours, theirs = clients
        compare_replies("PUBLISH", commands, theirs.pipeline(commands), ours.pipeline(commands), unordered)
    finally:
        for subscriber in subscribers:
            subscriber.close()


def test_config_get_and_command_list_patterns_fold_case_as_real_redis_does(clients):
    patterns = [
        b"[M]axmemory",
        b"[\\M]axmemory",
        b"\\Maxmemory",
        b"max\\memory",
        b"[L-n]axmemory",
        b"[Z-a]axmemory",
        b"[a-M]axmemory",
        b"[^A-Z]axmemory",
        b"MAXMEMOR?",
        b"maxmemory\x00*",
        b"maxmemor?\x00x",
        b"[m]AXMEMORY",
    ]
    commands = [["CONFIG", "GET", pattern] for pattern in patterns]
    for pattern in (b"[\\G]et", b"[G]ET", b"[F-H]et", b"[Z-h]et", b"[^A-F]et", b"?ET", b"\\Get"):
        commands.append(["COMMAND", "LIST", "FILTERBY", "PATTERN", pattern])
    expected, actual = run_both(clients, [], commands)
    compare_replies("nocase", commands, expected, actual, unordered)


def test_function_list_library_name_pattern_folds_case_as_real_redis_does(clients):
    """Redis matches LIBRARYNAME with nocase stringmatchlen on the name as written: an escaped byte inside a
    class is compared exactly, and a range's ends are folded after the swap ([Z-m] is z..m, empty)."""
    library = b"#!lua name=MyLib\nredis.register_function('f', function() return 1 end)"
    setup = [["FUNCTION", "FLUSH"], ["FUNCTION", "LOAD", library]]
    patterns = [
        b"MyLib",
        b"mylib",
        b"MYLIB",
        b"[\\m]ylib",
        b"[\\M]ylib",
        b"[m]ylib",
        b"[Z-m]ylib",
        b"[L-n]ylib",
        b"[^a-z]ylib",
        b"\\mylib",
        b"*LIB",
        b"my?ib",
        b"[a-M]ylib",
        b"m*",
    ]
    commands = [["FUNCTION", "LIST", "LIBRARYNAME", pattern] for pattern in patterns]
    expected, actual = run_both(clients, setup, commands)
    try:
        compare_replies("FUNCTION LIST LIBRARYNAME", commands, expected, actual)
    finally:
        for client in clients:
            client.pipeline([["FUNCTION", "FLUSH"]])
