"""Lua scripting, differentially: seeded random scripts (redis.call and redis.pcall on declared and undeclared
keys, error paths, every return shape, cjson, cmsgpack, struct, bit, string and math functions, the sandbox's
refusals) run with EVAL, EVALSHA, EVAL_RO and FCALL on RedisLite and a real redis-server, in RESP2 and RESP3.
Every reply, errors included, must be equal byte for byte."""

import hashlib
import random

import pytest

from ..servers import real_redis, redis_server_path, redislite
from .conftest import COVERAGE, ERROR_REPLIES
from .resp import RawClient

SEEDS = range(40)
SCRIPTS_PER_SEQUENCE = 80

KEYS = [b"str", b"num", b"list", b"hash", b"zset", b"set", b"missing", b"flt"]
STRINGS = [b"", b"x", b"hello", b"a b", b"12", b"-7", b"3.5", b"\x00bin", b"caf\xc3\xa9", b"line\nbreak", b"q'uote"]
NUMBERS = [
    "0",
    "1",
    "-1",
    "7",
    "42",
    "-13",
    "3.7",
    "-2.25",
    "0.5",
    "1e3",
    "2^31",
    "2^53",
    "1/3",
    "1e15",
    "123456789",
    "-0.125",
]
JSON_TEXTS = [
    '{"a":1,"b":[1,2,{"c":null}],"d":"x"}',
    "[1,2,3]",
    '"s"',
    "3.25",
    "null",
    "true",
    "[]",
    "{}",
    '{"k":"v","n":-1.5e3}',
    '[{"x":[[]]},false]',
    "{bad",
    "[1,",
    '"\\u00e9\\n"',
    "nul",
    "[1] 2",
    "1e999",
    '{"dup":1,"dup":2}',
    "  [ 1 , 2 ]  ",
    "+1",
    "[0x10]",
]
STRUCT_FORMATS = [
    (">I2", ["513"]),
    ("<i4", ["-7"]),
    ("b", ["-1"]),
    ("BhHlL", ["1", "-2", "3", "-4", "5"]),
    (">d", ["0.1"]),
    ("<f", ["1.5"]),
    ("c3", ["'abc'"]),
    ("s", ["'zero'"]),
    ("!4 i2 i4", ["1", "2"]),
    (">i8", ["-123456789"]),
    ("i", []),
    ("q", ["1"]),
]
LIBRARY = """#!lua name=difflib
redis.register_function('f_echo', function(keys, args) return {keys, args, #keys, #args} end)
redis.register_function('f_incr', function(keys, args) return redis.call('incrby', keys[1], args[1] or 1) end)
redis.register_function('f_fail', function(keys, args) return redis.call('incr', 'str') end)
redis.register_function{function_name='f_read', callback=function(keys) return redis.call('get', keys[1]) end,
                        flags={'no-writes'}}
redis.register_function{function_name='f_write_ro', callback=function(keys) return redis.call('set', keys[1], 'v') end,
                        flags={'no-writes'}}
"""
FUNCTIONS = ["f_echo", "f_incr", "f_fail", "f_read", "f_write_ro", "f_missing"]

pytestmark = pytest.mark.skipif(
    redis_server_path() is None, reason="redis-server is not installed (apt-get install redis-server)"
)


def lua_string(data: bytes) -> str:
    out = []
    for byte in data:
        char = chr(byte)
        if char in "\\'":
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte}")
    return "'" + "".join(out) + "'"


class ScriptGenerator:
    def __init__(self, seed: int):
        self.rng = random.Random(seed)
        self.known_shas: list[str] = []

    def pick(self, options):
        return self.rng.choice(options)

    # -- Lua expressions -----------------------------------------------------------------------------------

    def key(self) -> str:
        if self.rng.random() < 0.8:
            return f"KEYS[{self.rng.randint(1, 3)}]"
        return lua_string(self.pick(KEYS))  # a key the script did not declare

    def arg(self) -> str:
        return f"ARGV[{self.rng.randint(1, 3)}]" if self.rng.random() < 0.6 else self.scalar()

    def scalar(self) -> str:
        roll = self.rng.random()
        if roll < 0.4:
            return self.pick(NUMBERS)
        if roll < 0.85:
            return lua_string(self.pick(STRINGS))
        return self.pick(["true", "false", "nil"])

    def table(self, depth: int = 0) -> str:
        roll = self.rng.random()
        items = [self.value(depth + 1) for _ in range(self.rng.randint(0, 4))]
        if roll < 0.45:
            return "{" + ", ".join(items) + "}"
        if roll < 0.8:
            fields = [f"{self.pick(['a', 'b', 'c', 'id', 'name', 'x1'])}={item}" for item in items]
            return "{" + ", ".join(fields) + "}"
        index = self.rng.choice(["1", "2", "5", "20", "1.5", "-1", "'k'"])
        return "{" + ", ".join(items + [f"[{index}]={self.scalar()}"]) + "}"

    def value(self, depth: int = 0) -> str:
        if depth < 2 and self.rng.random() < 0.25:
            return self.table(depth)
        return self.scalar()

    def redis_call(self) -> str:
        rng = self.rng
        key, arg = self.key(), self.arg()
        command = rng.choice(
            [
                f"'set', {key}, {arg}",
                f"'get', {key}",
                f"'incr', {key}",
                f"'incrby', {key}, {arg}",
                f"'incrbyfloat', {key}, {arg}",
                f"'del', {key}",
                f"'exists', {key}, {self.key()}",
                f"'type', {key}",
                f"'rpush', {key}, {arg}, {self.arg()}",
                f"'lrange', {key}, 0, -1",
                f"'llen', {key}",
                f"'lpop', {key}",
                f"'hset', {key}, 'f', {arg}",
                f"'hget', {key}, 'f'",
                f"'hincrby', {key}, 'n', {arg}",
                f"'zadd', {key}, {rng.choice(['1', '2.5', '-3', 'inf'])}, {arg}",
                f"'zscore', {key}, {arg}",
                f"'zrange', {key}, 0, -1, 'withscores'",
                f"'sadd', {key}, {arg}",
                f"'scard', {key}",
                f"'sismember', {key}, {arg}",
                f"'mget', {key}, {self.key()}",
                f"'append', {key}, {arg}",
                f"'strlen', {key}",
                "'ping'",
                f"'echo', {arg}",
                f"'expire', {key}, 100",
                f"'ttl', {key}",
                "'nosuchcommand'",
                "'get'",
                "'config', 'get', 'maxmemory'",
                f"'set', {key}, {{}}",
                "'dbsize'",
                f"'getrange', {key}, 0, 2",
                f"'select', {rng.choice(['0', '1', '99'])}",
                "'function', 'list'",
            ]
        )
        return f"redis.{rng.choice(['call', 'pcall'])}({command})"

    def expression(self) -> str:
        rng = self.rng
        roll = rng.random()
        if roll < 0.35:
            return self.redis_call()
        if roll < 0.45:
            return self.value()
        if roll < 0.55:
            return rng.choice(
                [
                    f"cjson.encode({self.value()})",
                    f"cjson.decode({lua_string(self.pick(JSON_TEXTS).encode())})",
                    f"cjson.encode(cjson.decode({lua_string(self.pick(JSON_TEXTS).encode())}))",
                    f"cjson.encode({self.table()})",
                ]
            )
        if roll < 0.62:
            return rng.choice(
                [
                    f"cmsgpack.pack({self.value()}, {self.value()})",
                    f"cmsgpack.unpack(cmsgpack.pack({self.value()}))",
                    f"{{cmsgpack.unpack(cmsgpack.pack({self.value()}, {self.value()}))}}",
                    f"cmsgpack.pack({self.table()})",
                ]
            )
        if roll < 0.68:
            fmt, args = self.pick(STRUCT_FORMATS)
            packed = f"struct.pack('{fmt}'{''.join(', ' + a for a in args)})"
            return rng.choice([packed, f"{{struct.unpack('{fmt}', {packed})}}", f"struct.size('{fmt}')"])
        if roll < 0.74:
            a, b = self.pick(NUMBERS), self.pick(NUMBERS + ["'12'", "'x'"])
            return rng.choice(
                [
                    f"bit.band({a}, {b})",
                    f"bit.bor({a}, {b})",
                    f"bit.bxor({a}, {b})",
                    f"bit.lshift({a}, 3)",
                    f"bit.rshift({a}, 1)",
                    f"bit.arshift({a}, 2)",
                    f"bit.tohex({a})",
                    f"bit.tobit({a})",
                    f"bit.bnot({a})",
                ]
            )
        if roll < 0.82:
            value = self.value()
            return rng.choice(
                [
                    f"tostring({self.scalar()})",
                    f"type({value})",
                    f"tonumber({self.arg()})",
                    "string.format('%s|%5.2f|%d', 'v', 3.14159, 42)",
                    "string.rep('ab', 3)",
                    f"string.upper({lua_string(self.pick(STRINGS))})",
                    f"#{lua_string(self.pick(STRINGS))}",
                    f"redis.sha1hex({self.arg()})",
                    f"math.floor({self.pick(NUMBERS)})",
                    f"math.max({self.pick(NUMBERS)}, {self.pick(NUMBERS)})",
                    "math.random(1, 100)",
                    f"select('#', {value}, nil)",
                ]
            )
        if roll < 0.9:
            return rng.choice(
                [
                    f"{{pcall(function() return {self.redis_call()} end)}}",
                    f"{{pcall(error, {self.value()})}}",
                    f"{{pcall(cjson.decode, {lua_string(b'{bad')})}}",
                    "{pcall(function() undefined_global = 1 end)}",
                ]
            )
        return rng.choice(
            [
                "redis.status_reply('FINE')",
                "redis.error_reply('MYERR custom')",
                "redis.error_reply('no code')",
                "{ok='okay'}",
                "{err='ERR raw'}",
                "{double=2.5}",
                "{double=1/0}",
                "{map={a=1, b={2, 3}}}",
                "{set={x=true, y=true}}",
                "{big_number='123456789012345678901234567890'}",
                "{verbatim_string={format='txt', string='text'}}",
                "{1, nil, 3}",
                "{{err='nested'}, {ok='s'}, {double=0.25}}",
            ]
        )

    def statement(self) -> tuple[str, str | None]:
        """A line of script, and the local it defines (if any)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.55:
            name = f"v{rng.randint(0, 2)}"
            return f"local {name} = {self.expression()}", name
        if roll < 0.65:
            return rng.choice(
                [
                    "redis.setresp(3)",
                    "redis.setresp(2)",
                    "math.randomseed(7)",
                    "redis.log(redis.LOG_DEBUG, 'from script')",
                    "redis.set_repl(redis.REPL_ALL)",
                ]
            ), None
        if roll < 0.75:
            return f"if {self.redis_call()} then local n = 1 end", None
        if roll < 0.79:
            return rng.choice(
                [
                    "error('raised')",
                    "error({err='TABLE raised'})",
                    "error()",
                    "global_x = 1",
                    "local x = nothing_here + 1",
                    "string.extra = 1",
                    "local s = ('x'):bad()",
                ]
            ), None
        return f"local t = {{}} for i = 1, {rng.randint(0, 3)} do t[i] = {self.value()} end", "t"

    def script(self) -> str:
        rng = self.rng
        lines, defined = [], []
        for _ in range(rng.randint(0, 3)):
            line, name = self.statement()
            lines.append(line)
            if name is not None:
                defined.append(name)
        returned = self.pick(defined) if defined and rng.random() < 0.4 else self.expression()
        if rng.random() < 0.03:
            returned = self.pick(["nil", "undefined_name", "v9"])
        lines.append(f"return {returned}")
        body = "\n".join(lines)
        if rng.random() < 0.1:
            body = (
                rng.choice(
                    [
                        "#!lua\n",
                        "#!lua flags=no-writes\n",
                        "#!lua flags=allow-oom,no-cluster\n",
                        "#!lua flags=bogus\n",
                        "#!lua x=y\n",
                    ]
                )
                + body
            )
        if rng.random() < 0.03:
            body = rng.choice(["return 1 +", "local = 1", "end", "return 'unterminated"])
        return body

    # -- commands ----------------------------------------------------------------------------------------

    def keys_and_args(self) -> list:
        keys = [self.pick(KEYS) for _ in range(3)]
        args = [self.pick(STRINGS + [b"5", b"2.5", b"-1"]) for _ in range(3)]
        numkeys = "3"
        if self.rng.random() < 0.04:
            numkeys = self.pick(["-1", "7", "abc", "2"])
        return [numkeys, *keys, *args]

    def command(self) -> list:
        rng = self.rng
        roll = rng.random()
        if roll < 0.6:
            body = self.script()
            self.known_shas.append(hashlib.sha1(body.encode()).hexdigest())
            return [self.pick(["EVAL", "EVAL", "EVAL", "EVAL_RO"]), body, *self.keys_and_args()]
        if roll < 0.72 and self.known_shas:
            sha = self.pick(self.known_shas)
            if rng.random() < 0.2:
                sha = rng.choice([sha.upper(), "0" * 40, sha[:10]])
            return [self.pick(["EVALSHA", "EVALSHA", "EVALSHA_RO"]), sha, *self.keys_and_args()]
        if roll < 0.8:
            return ["FCALL" if rng.random() < 0.7 else "FCALL_RO", self.pick(FUNCTIONS), *self.keys_and_args()]
        if roll < 0.85:
            body = self.script()
            self.known_shas.append(hashlib.sha1(body.encode()).hexdigest())
            return ["SCRIPT", "LOAD", body]
        if roll < 0.88:
            shas = [self.pick(self.known_shas) if self.known_shas else "0" * 40 for _ in range(2)]
            return ["SCRIPT", "EXISTS", *shas, "f" * 40]
        if roll < 0.89:
            return ["SCRIPT", "FLUSH"]
        key = self.pick(KEYS)
        return rng.choice(
            [
                ["SET", key, self.pick(STRINGS)],
                ["SET", "num", str(rng.randint(-5, 5))],
                ["RPUSH", "list", "a", "b"],
                ["HSET", "hash", "f", "1"],
                ["ZADD", "zset", "1", "m"],
                ["SADD", "set", "m"],
                ["DEL", key],
                ["SET", "flt", "1.5"],
            ]
        )


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    with (
        redislite(cwd=tmp_path_factory.mktemp("lite")) as lite,
        real_redis(cwd=tmp_path_factory.mktemp("real")) as real,
    ):
        yield lite, real


def _as_bytes(arg) -> bytes:
    return arg if isinstance(arg, bytes) else str(arg).encode()


def compare(servers, seed: int, resp3: bool) -> None:
    lite, real = servers
    ours, theirs = RawClient(lite.port), RawClient(real.port)
    try:
        generator = ScriptGenerator(seed)
        setup = [
            ["FLUSHALL"],
            ["SCRIPT", "FLUSH"],
            ["FUNCTION", "FLUSH"],
            ["FUNCTION", "LOAD", LIBRARY],
            ["SET", "str", "text"],
            ["SET", "num", "10"],
            ["RPUSH", "list", "x", "y"],
            ["HSET", "hash", "f", "v"],
            ["ZADD", "zset", "1.5", "m"],
            ["SADD", "set", "a"],
        ]
        if resp3:
            setup.insert(0, ["HELLO", "3"])
        commands = setup + [generator.command() for _ in range(SCRIPTS_PER_SEQUENCE)]
        # Read the keyspace back so a wrong side effect shows even when no reply exposed it.
        commands += [["TYPE", key] for key in KEYS] + [
            ["GET", "str"],
            ["GET", "num"],
            ["GET", "flt"],
            ["LRANGE", "list", "0", "-1"],
            ["HGET", "hash", "f"],
            ["ZRANGE", "zset", "0", "-1", "WITHSCORES"],
            ["DBSIZE"],
        ]
        expected = theirs.pipeline(commands)
        actual = ours.pipeline(commands)
    finally:
        ours.close()
        theirs.close()
    mismatches = []
    for index, (argv, want, got) in enumerate(zip(commands, expected, actual)):
        if argv[0] == "HELLO":  # its client id counts connections, not what scripts do
            continue
        name = _as_bytes(argv[0]).decode("latin-1").lower()
        COVERAGE[name] += 1
        if isinstance(want, bytes) and want.startswith(b"-"):
            ERROR_REPLIES[name] += 1
        if want != got:
            mismatches.append(
                f"#{index} {[_as_bytes(a) for a in argv]}\n    redis:     {want!r}\n    redislite: {got!r}"
            )
    assert not mismatches, f"seed {seed}: {len(mismatches)} replies differ\n" + "\n".join(mismatches[:10])


@pytest.mark.parametrize("seed", SEEDS)
def test_script_replies_match_real_redis(servers, seed):
    compare(servers, seed, resp3=False)


@pytest.mark.parametrize("seed", range(1000, 1012))
def test_script_replies_match_real_redis_in_resp3(servers, seed):
    compare(servers, seed, resp3=True)
