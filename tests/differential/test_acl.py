"""ACL against a real redis-server 7.0: seeded random ACL SETUSER rule lists (valid and invalid), then commands
run as each user on a connection of its own (AUTH user pass). Compared: every reply byte for byte; ACL GETUSER
and ACL LIST but their command rules (flags, passwords, key patterns, channels, selectors); the command rules by
meaning: ACL DRYRUN of every command of the vocabulary, for the user and for a user redis-server builds from
the rules RedisLite describes (Redis writes them from its own command table, whose categories also hold the
stream and geo commands RedisLite does not have, so the greedy choice of categories can differ, and it lists
single commands in its hash table's order); and ACL LOG (less the entries' age and client addresses)."""

import hashlib
import random

import pytest

from .resp import RawClient, parse_reply

SEEDS = range(12)
USERS_PER_SEED = 12

KEYS = [b"k1", b"k2", b"key:a", b"other", b"wk", b"rk"]
CHANNELS = [b"ch1", b"ch2", b"news.x", b"zz"]
PASSWORDS = [b"pw1", b"pw2", b"secret"]
COMMANDS = [
    "get",
    "set",
    "incr",
    "del",
    "mget",
    "mset",
    "lpush",
    "lrange",
    "hset",
    "hget",
    "sadd",
    "smembers",
    "zadd",
    "exists",
    "type",
    "ping",
    "echo",
    "select",
    "publish",
    "keys",
    "dbsize",
    "flushdb",
    "copy",
    "rename",
    "client",
    "config",
    "info",
    "object",
]
SUBCOMMANDS = ["client|list", "client|id", "client|getname", "config|get", "config|set", "object|encoding"]
CATEGORIES = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
]


def random_rule(rng: random.Random) -> bytes:
    kind = rng.randrange(30)
    if kind == 0:
        return rng.choice([b"on", b"off", b"nopass", b"resetpass", b"reset", b"clearselectors"])
    if kind == 1:
        return b">" + rng.choice(PASSWORDS)
    if kind == 2:
        return b"<" + rng.choice(PASSWORDS)  # may not be there: an error
    if kind == 3:
        return b"#" + hashlib.sha256(rng.choice(PASSWORDS)).hexdigest().encode()
    if kind == 4:
        return rng.choice([b"#abc", b"!" + b"0" * 64, b"#" + b"A" * 64])  # invalid hashes, a missing one
    if kind in (5, 6):
        return rng.choice([b"~", b"%R~", b"%W~", b"%RW~", b"%WR~"]) + rng.choice([b"k*", b"key:*", b"other", b"?k"])
    if kind == 7:
        return rng.choice([b"allkeys", b"resetkeys", b"~*", b"allchannels", b"resetchannels", b"&*"])
    if kind == 8:
        return b"&" + rng.choice([b"ch*", b"news.*", b"zz", b"ch1"])
    if kind in (9, 10, 11, 12):
        return rng.choice(b"+-").to_bytes(1, "big") + rng.choice(COMMANDS).encode()
    if kind in (13, 14):
        return rng.choice(b"+-").to_bytes(1, "big") + rng.choice(SUBCOMMANDS).encode()
    if kind in (15, 16, 17, 18):
        return rng.choice(b"+-").to_bytes(1, "big") + b"@" + rng.choice(CATEGORIES).encode()
    if kind == 19:
        return rng.choice([b"allcommands", b"nocommands", b"+@all", b"-@all"])
    if kind == 20:
        return rng.choice([b"+select|0", b"+select|1", b"+client|list|x", b"+select|", b"+get|x"])
    if kind == 21:
        invalid = [b"+nosuch", b"-@nosuch", b"foo", b"%X~a", b"~a b", b"+@", b"&a\x00b"]
        return rng.choice([*invalid, b"skip-sanitize-payload"])
    if kind in (22, 23, 24):
        inner = b" ".join(random_rule_plain(rng) for _ in range(rng.randrange(1, 4)))
        return b"(" + inner + b")"
    return random_rule_plain(rng)


def random_rule_plain(rng: random.Random) -> bytes:
    """A rule that is valid inside a selector too."""
    choice = rng.randrange(5)
    if choice == 0:
        return b"+" + rng.choice(COMMANDS).encode()
    if choice == 1:
        return rng.choice(b"+-").to_bytes(1, "big") + b"@" + rng.choice(CATEGORIES).encode()
    if choice == 2:
        return rng.choice([b"~", b"%R~", b"%W~"]) + rng.choice([b"k*", b"other", b"*"])
    if choice == 3:
        return b"&" + rng.choice([b"ch*", b"zz"])
    return rng.choice([b"allkeys", b"allchannels", b"-@all", b"+@all", b"resetkeys"])


def random_command(rng: random.Random) -> list[bytes]:
    key, other = rng.choice(KEYS), rng.choice(KEYS)
    return rng.choice(
        [
            [b"GET", key],
            [b"SET", key, b"v"],
            [b"INCR", key],
            [b"DEL", key, other],
            [b"MGET", key, other],
            [b"MSET", key, b"1", other, b"2"],
            [b"LPUSH", key, b"x"],
            [b"LRANGE", key, b"0", b"-1"],
            [b"HSET", key, b"f", b"v"],
            [b"EXISTS", key],
            [b"TYPE", key],
            [b"PING"],
            [b"SELECT", rng.choice([b"0", b"1"])],
            [b"PUBLISH", rng.choice(CHANNELS), b"m"],
            [b"DBSIZE"],
            [b"COPY", key, other],
            [b"RENAME", key, other],
            [b"CLIENT", b"GETNAME"],
            [b"CONFIG", b"GET", b"maxmemory"],
            [b"OBJECT", b"ENCODING", key],
            [b"ACL", b"WHOAMI"],
            [b"EVAL", b"return redis.call('get', KEYS[1])", b"1", key],
            [b"EVAL", b"return redis.pcall('set', KEYS[1], 'x')", b"1", key],
            [b"EVAL", b"return redis.pcall('publish', ARGV[1], 'x')", b"0", rng.choice(CHANNELS)],
        ]
    )


def normalize_rules(line: bytes) -> list:
    """A description without its command rules (compared by meaning instead, through ACL DRYRUN)."""
    return [word for word in line.split(b" ") if word.strip(b"()")[:1] not in (b"+", b"-") or word in (b"(", b")")]


def command_rules(line: bytes) -> list[bytes]:
    return [word for word in line.split(b" ") if word[:1] in (b"+", b"-")]


def dryrun_args(name: str) -> list[bytes]:
    """The command with arguments its arity accepts."""
    words = name.encode().split(b"|")
    if name in ("ping", "dbsize", "flushdb", "client|id", "client|list", "client|getname"):
        return words
    if name == "keys":
        return [*words, b"k*"]
    return [*words, b"k1", b"x"]


def getuser_normalized(client: RawClient, name: bytes):
    value, _ = parse_reply(client.call(b"ACL", b"GETUSER", name))
    if value is None:
        return None
    fields = dict(zip(value[::2], value[1::2], strict=True))
    fields[b"commands"] = normalize_rules(fields[b"commands"])
    fields[b"selectors"] = [
        {k: (normalize_rules(v) if k == b"commands" else v) for k, v in zip(s[::2], s[1::2], strict=True)}
        for s in fields[b"selectors"]
    ]
    return fields


def log_entries(client: RawClient) -> list:
    entries, _ = parse_reply(client.call(b"ACL", b"LOG"))
    kept = []
    for entry in entries:
        fields = dict(zip(entry[::2], entry[1::2], strict=True))
        info = dict(part.split(b"=", 1) for part in fields.pop(b"client-info").split(b" ") if b"=" in part)
        del fields[b"age-seconds"]
        fields[b"client"] = (info[b"cmd"], info[b"user"], info[b"db"], info[b"multi"])
        kept.append(fields)
    return kept


@pytest.mark.parametrize("seed", SEEDS)
def test_generated_users_behave_as_redis_users(clients, seed):
    ours, theirs = clients
    rng = random.Random(seed)
    for client in clients:
        assert client.call(b"FLUSHALL") == b"+OK\r\n"
        assert client.call(b"ACL", b"LOG", b"RESET") == b"+OK\r\n"
    for number in range(USERS_PER_SEED):
        name = b"user%d" % number
        rules = [random_rule(rng) for _ in range(rng.randrange(1, 9))]
        if rng.random() < 0.8:  # most users can log in, so their commands get checked
            rules += [b"on", b">" + PASSWORDS[0]]
        command = [b"ACL", b"SETUSER", name, *rules]
        assert ours.call(*command) == theirs.call(*command), command
        assert getuser_normalized(ours, name) == getuser_normalized(theirs, name), rules
        # the command rules as we describe them, given to redis-server: they must mean what the user's mean
        described, _ = parse_reply(ours.call(b"ACL", b"GETUSER", name))
        if described is not None:
            fields = dict(zip(described[::2], described[1::2], strict=True))
            copy = b"copy-" + name
            rules_copy = [b"reset", b"~*", b"&*", *command_rules(fields[b"commands"])]
            assert theirs.call(b"ACL", b"SETUSER", copy, *rules_copy) == b"+OK\r\n"
            for vocabulary_command in COMMANDS + SUBCOMMANDS:
                args = dryrun_args(vocabulary_command)
                ours_answer = ours.call(b"ACL", b"DRYRUN", name, *args)
                assert ours_answer == theirs.call(b"ACL", b"DRYRUN", name, *args), (rules, args)
                if fields[b"selectors"] == [] and fields[b"keys"] == b"~*" and fields[b"channels"] == b"&*":
                    assert ours_answer == theirs.call(b"ACL", b"DRYRUN", copy, *args), (rules, args)
            theirs.call(b"ACL", b"DELUSER", copy)
        run_as_user(ours, theirs, clients, name, rng)
    ours_list, _ = parse_reply(ours.call(b"ACL", b"LIST"))
    theirs_list, _ = parse_reply(theirs.call(b"ACL", b"LIST"))
    assert [normalize_rules(line) for line in ours_list] == [normalize_rules(line) for line in theirs_list]
    assert log_entries(ours) == log_entries(theirs)
    for client in clients:
        users, _ = parse_reply(client.call(b"ACL", b"USERS"))
        client.call(b"ACL", b"DELUSER", *[user for user in users if user != b"default"])


def run_as_user(ours: RawClient, theirs: RawClient, admins, name: bytes, rng: random.Random) -> None:
    """The same commands as `name` on a connection of its own to each server."""
    ours_port, theirs_port = ours.sock.getpeername()[1], theirs.sock.getpeername()[1]
    mine, real = RawClient(ours_port), RawClient(theirs_port)
    try:
        for password in (PASSWORDS[1], PASSWORDS[0]):
            auth = [b"AUTH", name, password]
            assert mine.call(*auth) == real.call(*auth)
        for _ in range(25):
            command = random_command(rng)
            if rng.random() < 0.1:  # a transaction: queued, then checked again at EXEC
                batch = [[b"MULTI"], command, random_command(rng), [b"EXEC"]]
                assert mine.pipeline(batch) == real.pipeline(batch), batch
                continue
            assert mine.call(*command) == real.call(*command), command
    finally:
        mine.close()
        real.close()


def test_acl_cat_lists_the_categories_commands_as_redis_does(clients):
    """Every category holds the commands Redis 7.0 puts there, among the commands (and subcommands) both have."""
    ours, theirs = clients
    assert ours.call(b"ACL", b"CAT") == theirs.call(b"ACL", b"CAT")
    categories, _ = parse_reply(ours.call(b"ACL", b"CAT"))
    ours_all: set = set()
    theirs_all: set = set()
    listed = {}
    for category in categories:
        mine, _ = parse_reply(ours.call(b"ACL", b"CAT", category))
        real, _ = parse_reply(theirs.call(b"ACL", b"CAT", category))
        listed[category] = (set(mine), set(real))
        ours_all |= set(mine)
        theirs_all |= set(real)
    shared = ours_all & theirs_all
    for category, (mine, real) in listed.items():
        assert mine & shared == real & shared, category
    assert len(shared) > 200
    assert ours.call(b"ACL", b"CAT", b"nosuch") == theirs.call(b"ACL", b"CAT", b"nosuch")


def test_disabling_a_user_or_resetting_its_passwords_keeps_its_connections_as_redis_does(clients):
    """Redis 7.0 disconnects a user's clients when the user is deleted, not when it is turned off."""
    replies = []
    for admin in clients:
        port = admin.sock.getpeername()[1]
        admin.call(b"ACL", b"SETUSER", b"kept", b"on", b">p", b"+@all", b"~*")
        user = RawClient(port)
        answers = [user.call(b"AUTH", b"kept", b"p")]
        admin.call(b"ACL", b"SETUSER", b"kept", b"off", b"resetpass")
        answers += [user.call(b"PING"), user.call(b"ACL", b"WHOAMI"), RawClient(port).call(b"AUTH", b"kept", b"p")]
        admin.call(b"ACL", b"DELUSER", b"kept")
        try:
            answers.append(user.call(b"PING"))
        except ConnectionError as error:
            answers.append(str(error).encode())
        replies.append(answers)
    assert replies[0] == replies[1]
    assert replies[0][-1] == b"connection closed"
