"""Seeded fuzz inputs: what to send to a RedisLite server, as a list of steps per batch.

Commands come from the server's own table (COMMAND and COMMAND DOCS: every command, its subcommands and its
argument tree), with argument values drawn from interesting sets by the argument's type and name: small, huge
and negative integers, floats with inf/nan, empty and binary strings (NUL, CR, LF), long strings, glob
patterns, and existing keys of every type (the fixture the runner creates before each batch). Around them:
mutated RESP frames (bit flips, truncation, wrong lengths, CR without LF, NUL bytes, huge counts, RESP3
prefixes), inline commands with quotes and escapes, interleaved connections (connect, partial sends,
disconnect mid-bulk), pipelines, MULTI/EXEC/WATCH, Lua scripts with random redis.call, FUNCTION libraries,
busy scripts killed from another connection, CLIENT/CONFIG/DEBUG commands, and HTTP API requests.

Some inputs legitimately stop or stall the server, or make it refuse everything; `refusal` keeps them out
(the deny-list below says why for each), whatever door they would come through (a connection, EXEC, a
script, HTTP). Defect classes that are known (KNOWN: the issue's reproducers; FOUND: found here; all fixed)
are tagged with their name and can be left out with `exclude`, so that a run finds new defects instead of the
known ones again.
"""

import base64
import hashlib
import itertools
import json
import math
import random
from dataclasses import dataclass, field

from redislite.commands.args import strtod
from redislite.storage.crc64 import crc64  # the server's own CRC-64: a damaged DUMP payload can still pass it

# -- known defect classes (issue 16): the reproducers, all fixed ---------------------------------------

KNOWN = {
    "reader": "a NUL byte in an inline command hangs the server; a CR without LF in a RESP header drops the "
    "connection with a traceback",
    "keepalive": "CONFIG SET tcp-keepalive above 32767 stops new connections being served",
    "http-pubsub": "MONITOR / SUBSCRIBE over the HTTP API break the HTTP door",
    "debug-sleep": "DEBUG SLEEP inf (or nan) answers an internal error",
    "output-buffer": "client-output-buffer-limit set at run time",
    "memory-return": "memory not returned after aborted large requests",
    "glob": "glob patterns with many stars (KEYS a*a*a*...b) backtrack exponentially",
    "script-kill-exec": "SCRIPT KILL of a busy script running inside EXEC",
}
# Defect classes this fuzzer found (issue 16), all fixed: tagged and excludable like the known ones.
FOUND = {
    "debug-object": "DEBUG OBJECT of a hash or a set answers an internal error",
    "busy-accept": "a connection accepted just before a busy script starts is not served until the script ends",
    "lua-state-cycle": "SCRIPT FLUSH leaves the old Lua state to the cyclic garbage collector: its memory comes "
    "back only at a full collection, where Redis frees it at once",
    "glob-cache": "glob patterns are compiled to regular expressions kept in an LRU of 256: a 64 KB pattern "
    "keeps about 1.4 MB, so long patterns hold hundreds of MB",
    "resp3-request": "a RESP3 map in a request with an aggregate key (`*2 $3 GET %1 *0 :1`) raises TypeError in the "
    "reader: traceback, connection dropped",
    "error-newline": "a protocol error quoting the byte found instead of '$' puts a raw LF into the error reply "
    "(malformed RESP; Redis writes a space), and a CR as nothing",
}
CLASSES = {**KNOWN, **FOUND}

# -- the deny-list: inputs that legitimately stop, stall or lock out the server ----------------------------

# Never generated, through any door.
DENIED_COMMANDS = {b"shutdown": "stops the server"}

# CONFIG SET parameters the fuzzer never sets, and why. Everything else it may set; the runner puts every
# parameter back to its start-up value after a batch that set any.
DENIED_CONFIG = {
    "port": "moves the server",
    "bind": "moves the server",
    "http-port": "moves the server",
    "dir": "writes files elsewhere",
    "dbfilename": "writes files elsewhere",
    "appendfilename": "writes files elsewhere",
    "appenddirname": "writes files elsewhere",
    "logfile": "moves the log the oracle reads",
    "pidfile": "writes files elsewhere",
    "requirepass": "refuses every command",
    "masterauth": "only with replicaof",
    "replicaof": "makes the server a replica of nothing (refuses writes, connects out)",
    "slaveof": "as replicaof",
    "maxclients": "refuses new connections",
    "proto-max-bulk-len": "the fuzzer's memory budget (start-up sets 2mb; a tiny one refuses everything)",
    "client-query-buffer-limit": "a tiny one disconnects every client",
    "key-load-delay": "a deliberate delay per key",
    "rdb-key-save-delay": "a deliberate delay per key",
    "aof-write-fault-errno": "injects disk failures (MISCONF refusals)",
    "aof-fsync-fault-errno": "injects disk failures (MISCONF refusals)",
}
MAX_SLEEP_S = 0.1  # DEBUG SLEEP above this is a legitimate stall
MAX_PAUSE_MS = 50  # CLIENT PAUSE above this is a legitimate stall
MAX_POPULATE_BYTES = 4_000_000  # DEBUG POPULATE count x size
MAX_RANDOM_COUNT = 1000  # SRANDMEMBER/ZRANDMEMBER/HRANDFIELD -count repeats: |count| replies is legitimate work
MAX_KEEPALIVE = 32767  # Linux's TCP_KEEPIDLE limit; above it is the known class "keepalive"
GLOB_STARS = 3  # patterns with this many stars are the known class "glob"
GLOB_CACHE_LEN = 1000  # patterns longer than this are the class "glob-cache"
# REPLICAOF's hosts: loopback, or names that fail before any lookup leaves the machine
REPLICAOF_HOSTS = (b"127.0.0.1", b"::1", b"localhost", b"\xff\xfe", b"x" * 64, b"h\x00st", b"\xc3(" * 30)
RANDOM_COUNT_COMMANDS = {b"srandmember", b"zrandmember", b"hrandfield"}
HTTP_SUBSCRIBERS = {b"monitor", b"subscribe", b"psubscribe", b"ssubscribe"}

# -- values ---------------------------------------------------------------------------------------------------

INTEGERS = (
    b"0",
    b"1",
    b"-1",
    b"2",
    b"3",
    b"5",
    b"7",
    b"10",
    b"16",
    b"64",
    b"100",
    b"-100",
    b"128",
    b"1000",
    b"65535",
    b"2147483647",
    b"2147483648",
    b"-2147483648",
    b"4294967295",
    b"4294967296",
    b"9007199254740993",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551615",
    b"99999999999999999999999",
)
BAD_INTEGERS = (
    b"",
    b"abc",
    b"00",
    b"007",
    b"-0",
    b"+1",
    b" 1",
    b"1 ",
    b"0x1f",
    b"1e3",
    b"1.0",
    b"1\x00",
    b"--1",
    b"\xff",
)
FLOATS = (
    b"0",
    b"-0",
    b"0.5",
    b"1.5",
    b"-1.5",
    b"3.14159",
    b"1e308",
    b"-1e308",
    b"1e309",
    b"inf",
    b"-inf",
    b"+inf",
    b"nan",
    b"-nan",
    b"NaN",
    b"Infinity",
    b"1e-320",
    b"5e-324",
    b"1.7976931348623157e308",
    b"0.1",
    b"1.",
    b".5",
    b"1e",
    b"0x10",
    b" 1.5",
    b"1,5",
    b"(1",
    b"(-inf",
    b"[a",
    b"(a",
    b"-",
    b"+",
    b"12345678901234567890",
)
STRINGS = (
    b"",
    b"a",
    b"v",
    b"hello",
    b"hello world",
    b" ",
    b"\x00",
    b"\r\n",
    b"a\r\nb",
    b"\r",
    b"\n",
    b"\t",
    b"\x00\xff\xfe",
    b"\xff\xff",
    b"\xc3\xa9t\xc3\xa9",
    b"\xf0\x9f\x98\x80",
    b"123",
    b"-5",
    b"3.5",
    b"1e3",
    b"inf",
    b"nan",
    b"*",
    b"?",
    b"[",
    b"\\",
    b'"',
    b"'",
    b"{tag}",
    b"%s%n%x",
    b"__keyspace@0__:str",
    b"$-1",
    b"*-1",
    b"+OK",
    b":1",
    b"\x00bin\r\n",
    b'{"a": [1, 2]}',
    b"0",
    b"-1",
    b"9223372036854775808",
)
PATTERNS = (
    b"*",
    b"?",
    b"s*",
    b"*t*",
    b"[a-z]*",
    b"[^a]*",
    b"[!a]*",
    b"\\*",
    b"[",
    b"]",
    b"[]",
    b"[\\",
    b"*[",
    b"[a-",
    b"a*b",
    b"*:*",
    b"[[]]",
    b"h?sh",
    b"*\\",
    b"\x00*",
    b"",
    b"big*",
    b"*a",
    b"[z-a]*",
    b"?*?",
)
GLOB_BOMBS = (b"a*a*a*a*a*a*a*a*a*a*a*a*b", b"*a*a*a*a*a*a*a*a*a*a*a*a*a*a*c", b"a*a*a*a*a*a*a*a*?b")
TIMEOUTS = (b"0.01", b"0.05", b"0", b"1", b"0.001", b"-1", b"abc", b"inf", b"nan", b"1e3", b"-0.5", b"")
UNIX_TIMES = (
    b"0",
    b"1",
    b"-1",
    b"4102444800",
    b"4102444800000",
    b"1700000000",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"253402300800",
    b"abc",
)
LONG_SIZES = (200, 1000, 4096, 16384, 65536)
SCRIPT_POOL = 300

# The keys the runner creates before every batch: every type, both encodings where sizes decide one.
FIXTURE_KEYS = (
    b"str",
    b"int",
    b"float",
    b"big-str",
    b"bits",
    b"hll",
    b"list",
    b"big-list",
    b"hash",
    b"big-hash",
    b"set",
    b"intset",
    b"big-set",
    b"zset",
    b"big-zset",
    b"ttl",
    b"expiring",
    b"\x00bin\r\n",
    b"",
    b"a" * 40,
    b"{tag}one",
    b"{tag}two",
    b"lcs:a",
    b"lcs:b",
)
MISSING_KEYS = (b"missing", b"nokey:1", b"{tag}three", b"dst", b"new")
# LCS compares lengths multiplied: its keys are kept apart and short so it never meets a grown string
LCS_KEYS = (b"lcs:a", b"lcs:b")
GENERAL_KEYS = tuple(key for key in FIXTURE_KEYS if key not in LCS_KEYS)


def fixture_commands() -> list[list[bytes]]:
    """What the runner runs (after FLUSHALL) before each batch: keys of every type, in db 0 and db 1."""
    commands = [
        [b"SET", b"str", b"hello world"],
        [b"SET", b"int", b"12345"],
        [b"SET", b"float", b"3.25"],
        [b"SET", b"big-str", b"x" * 5000],
        [b"SETBIT", b"bits", b"100", b"1"],
        [b"SETBIT", b"bits", b"7", b"1"],
        [b"PFADD", b"hll", b"a", b"b", b"c"],
        [b"RPUSH", b"list", b"a", b"b", b"c", b"1", b"2"],
        [b"RPUSH", b"big-list", *[b"item:%d" % i for i in range(300)]],
        [b"HSET", b"hash", b"f1", b"v1", b"f2", b"2", b"f3", b"3.5"],
        [b"HSET", b"big-hash", *[b"%s:%d" % (kind, i) for i in range(200) for kind in (b"f", b"v")]],
        [b"SADD", b"set", b"a", b"b", b"c"],
        [b"SADD", b"intset", b"1", b"2", b"3", b"-7"],
        [b"SADD", b"big-set", *[b"%d" % i for i in range(600)]],
        [b"ZADD", b"zset", b"1", b"a", b"2", b"b", b"2.5", b"c", b"-inf", b"low", b"+inf", b"high"],
        [b"ZADD", b"big-zset", *[b"%s" % part for i in range(200) for part in (b"%d" % i, b"m:%d" % i)]],
        [b"SET", b"ttl", b"t", b"PX", b"100000000"],
        [b"SET", b"expiring", b"e", b"PX", b"30"],
        [b"SET", b"\x00bin\r\n", b"\x00\xff\r\n"],
        [b"SET", b"", b"empty key"],
        [b"SET", b"a" * 40, b"a"],
        [b"SET", b"{tag}one", b"1"],
        [b"LPUSH", b"{tag}two", b"x"],
        [b"SET", b"lcs:a", b"ohmytext"],
        [b"SET", b"lcs:b", b"mynewtext"],
        [b"SELECT", b"1"],
        [b"SET", b"str", b"in db 1"],
        [b"HSET", b"hash", b"f", b"v"],
        [b"SELECT", b"0"],
    ]
    return commands


# -- steps ------------------------------------------------------------------------------------------------


@dataclass
class Step:
    """One thing the runner does. kind: "send" (bytes on RESP connection `lane`, which opens it if needed),
    "connect" (open it without sending), "close" (FIN), "abort" (RST), "pause" (`pause_ms`), "http" (a raw HTTP
    request on the HTTP connection).
    `count` is how many fuzz inputs it stands for; `known` names the known defect class it exercises."""

    kind: str
    lane: int = 0
    data: bytes = b""
    count: int = 1
    note: str = ""
    pause_ms: float = 0.0
    raw: bool = False  # the lane's replies stop being RESP (SYNC streams an RDB file)
    known: str | None = None
    group: int = 0  # the steps of one group (a transaction, a busy script and its kill) belong together
    await_reply: bool = False  # the runner reads the (first) reply before the next step

    def to_json(self) -> dict:
        out = {"kind": self.kind, "lane": self.lane}
        if self.data:
            out["data"] = self.data.decode("latin-1")  # one char per byte, so JSON carries any bytes
        for name in ("count", "note", "pause_ms", "raw", "known", "group", "await_reply"):
            value = getattr(self, name)
            if value != getattr(Step, name, None):
                out[name] = value
        return out

    @classmethod
    def from_json(cls, item: dict) -> "Step":
        item = dict(item)
        item["data"] = item.get("data", "").encode("latin-1")
        return cls(**item)


@dataclass
class Batch:
    index: int
    steps: list[Step] = field(default_factory=list)
    config_changed: bool = False  # a CONFIG SET went out: the runner puts the configuration back

    @property
    def inputs(self) -> int:
        return sum(step.count for step in self.steps)

    def to_json(self) -> dict:
        return {
            "index": self.index,
            "config_changed": self.config_changed,
            "steps": [step.to_json() for step in self.steps],
        }

    @classmethod
    def from_json(cls, item: dict) -> "Batch":
        return cls(item["index"], [Step.from_json(step) for step in item["steps"]], item["config_changed"])


def encode_command(argv: list[bytes]) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in argv)


def readable(argv: list[bytes], limit: int = 200) -> str:
    text = " ".join(
        repr(arg)[2:-1] if len(arg) <= 60 else repr(arg[:40])[2:-1] + f"...({len(arg)} bytes)" for arg in argv
    )
    return text if len(text) <= limit else text[:limit] + "..."


# -- the command table ------------------------------------------------------------------------------------


def _text(value):
    """COMMAND DOCS as str (hiredis gives bytes)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list):
        return [_text(item) for item in value]
    if isinstance(value, dict):
        return {_text(key): _text(item) for key, item in value.items()}
    return value


@dataclass(frozen=True)
class CommandSpec:
    name: str  # "get", "client|kill"
    words: tuple  # (b"CLIENT", b"KILL")
    arity: int
    flags: frozenset
    arguments: tuple | None  # COMMAND DOCS argument tree; None when the server documents none


class CommandTable:
    """The server's commands as COMMAND and COMMAND DOCS describe them, and its CONFIG parameters."""

    def __init__(self, commands: list[CommandSpec], config: dict[str, str], debug_subcommands: list[bytes]):
        self.commands = commands
        self.config = config
        self.debug_subcommands = debug_subcommands

    @classmethod
    def from_server(cls, call) -> "CommandTable":
        """`call(*argv)` runs one command on a RESP3 connection and returns hiredis's reply."""
        docs = _text(call(b"COMMAND", b"DOCS"))
        commands = []
        for entry in call(b"COMMAND"):
            commands.append(_spec(entry, docs.get(_text(entry[0]), {})))
            for sub in entry[9] or []:
                container = docs.get(_text(entry[0]), {})
                commands.append(_spec(sub, container.get("subcommands", {}).get(_text(sub[0]), {})))
        config = _text(call(b"CONFIG", b"GET", b"*"))
        config = dict(zip(config[::2], config[1::2])) if isinstance(config, list) else config
        help_lines = call(b"DEBUG", b"HELP")
        if not isinstance(help_lines, list):
            raise RuntimeError(f"DEBUG HELP answered {help_lines!r}")
        debug_subcommands = [line.split()[0] for line in help_lines[1:] if line[:1].isalpha()]
        return cls(sorted(commands, key=lambda spec: spec.name), config, debug_subcommands)


def _spec(entry: list, doc: dict) -> CommandSpec:
    name = _text(entry[0])
    words = tuple(word.upper().encode() for word in name.split("|"))
    arguments = doc.get("arguments")
    return CommandSpec(
        name, words, int(entry[1]), frozenset(_text(entry[2])), tuple(arguments) if arguments is not None else None
    )


# -- the generator ----------------------------------------------------------------------------------------

# Relative weights of the kinds of step groups in a batch.
GROUP_WEIGHTS = {
    "command": 40,
    "pipeline": 12,
    "transaction": 6,
    "script": 7,
    "function": 2,
    "admin": 6,
    "mutated": 12,
    "inline": 5,
    "connection": 4,
    "split": 4,
    "http": 5,
    "busy_script": 0.1,
    "big_abort": 0.3,
}
# Commands whose cost or effect calls for a lower weight than one (most commands weigh 1).
COMMAND_WEIGHTS = {
    "save": 0.05,
    "bgsave": 0.1,
    "bgrewriteaof": 0.1,
    "sync": 0.03,
    "flushall": 0.2,
    "flushdb": 0.2,
    "debug": 0.5,
    "swapdb": 0.3,
    "client|kill": 0.3,
    "quit": 0.3,
    "reset": 0.3,
    "monitor": 0.1,
    "script|flush": 0.3,
    "function|flush": 0.3,
    "config|rewrite": 0.1,
    "config|resetstat": 0.3,
}
ADMIN_BUILDERS = ("config_set", "config_get", "debug", "client")
LANES = 4


class Generator:
    """Batches of steps from a seed; the same seed and table give the same batches."""

    def __init__(self, seed: int, table: CommandTable, exclude=(), dump_payloads=()):
        self.seed = seed
        self.rng = random.Random(seed)
        self.table = table
        self.exclude = set(exclude)
        self.dump_payloads = list(dump_payloads)
        self.commands = [spec for spec in table.commands if spec.words[0].lower() not in DENIED_COMMANDS]
        self.command_weights = [COMMAND_WEIGHTS.get(spec.name, 1.0) for spec in self.commands]
        self.script_commands = [spec for spec in self.commands if "noscript" not in spec.flags]
        self.config_names = sorted(table.config)
        self.shas: list[bytes] = []
        self.script_pool: dict[int, bytes] = {}
        self.libraries: list[bytes] = []
        self.batch_index = 0
        self.batch: Batch | None = None
        self.batch_inputs = 0
        self.group = 0
        self.desynced: set[int] = set()  # lanes left inside a bent frame: what follows is read from there

    # -- batches ------------------------------------------------------------------------------------------

    def next_batch(self, size: int) -> Batch:
        """About `size` inputs of every kind, over LANES connections."""
        self.batch = batch = Batch(self.batch_index)
        self.batch_index += 1
        self.batch_inputs = 0
        self.desynced.clear()
        groups = list(GROUP_WEIGHTS)
        weights = list(GROUP_WEIGHTS.values())
        while self.batch_inputs < size:
            kind = self.rng.choices(groups, weights)[0]
            self.group += 1
            getattr(self, "group_" + kind)()
        return batch

    def add(self, kind: str, lane: int = 0, data: bytes = b"", **extra) -> Step:
        step = Step(kind, lane, data, group=self.group, **extra)
        if kind == "send":
            if b"sync" in data.lower():  # SYNC and PSYNC answer with an RDB file: no RESP from then on
                step.raw = True
            if step.known is None and lane in self.desynced and self.reader_defect(data):
                step.known = "reader"
        elif kind in ("close", "abort"):
            self.desynced.discard(lane)
        self.batch.steps.append(step)
        self.batch_inputs += step.count
        return step

    def lane(self) -> int:
        return self.rng.randrange(LANES)

    def send_command(self, argv: list[bytes], lane: int | None = None, **extra) -> Step:
        return self.add(
            "send", self.lane() if lane is None else lane, encode_command(argv), note=readable(argv), **extra
        )

    # -- groups of steps ----------------------------------------------------------------------------------

    def group_command(self):
        argv = self.command()
        self.send_command(argv, known=self.known_of(argv))

    def group_pipeline(self):
        commands = [self.command() for _ in range(self.rng.choice((2, 3, 5, 10, 30)))]
        commands = [argv for argv in commands if argv[0].lower() not in (b"sync", b"psync")]
        if commands:
            self.add(
                "send",
                self.lane(),
                b"".join(map(encode_command, commands)),
                count=len(commands),
                note=" | ".join(readable(argv, 60) for argv in commands)[:400],
                known=next(filter(None, map(self.known_of, commands)), None),
            )

    def group_transaction(self):
        """WATCH, MULTI, queued commands (some refused while queuing), EXEC or DISCARD; another connection
        may touch a watched key first."""
        rng, lane = self.rng, self.lane()
        watched = [self.key() for _ in range(rng.randint(0, 2))]
        if watched:
            self.send_command([b"WATCH", *watched], lane)
        self.send_command([b"MULTI"], lane)
        for _ in range(rng.randint(0, 6)):
            self.send_command(self.command(), lane)
        if watched and rng.random() < 0.5:
            self.send_command([b"SET", rng.choice(watched), b"touched"], (lane + 1) % LANES)
        self.send_command([rng.choice((b"EXEC", b"EXEC", b"EXEC", b"DISCARD", b"exec", b"MULTI"))], lane)

    def group_script(self):
        rng = self.rng
        script = self.script()
        keys = [self.key() for _ in range(rng.randint(0, 3))]
        args = [self.value() for _ in range(rng.randint(0, 3))]
        numkeys = b"%d" % len(keys) if rng.random() < 0.9 else rng.choice(INTEGERS + BAD_INTEGERS)
        roll = rng.random()
        if roll < 0.5:
            argv = [rng.choice((b"EVAL", b"EVAL_RO", b"eval")), script, numkeys, *keys, *args]
        elif roll < 0.8:
            sha = hashlib.sha1(script).hexdigest().encode()
            self.send_command([b"SCRIPT", b"LOAD", script])
            self.shas.append(sha)
            argv = [rng.choice((b"EVALSHA", b"EVALSHA_RO")), sha, numkeys, *keys, *args]
        else:
            sha = rng.choice(self.shas) if self.shas and rng.random() < 0.7 else b"%040x" % rng.getrandbits(160)
            argv = [b"EVALSHA", sha, numkeys, *keys, *args]
        self.send_command(argv)

    def group_function(self):
        rng = self.rng
        if not self.libraries or rng.random() < 0.4:
            name = b"lib%d" % rng.randrange(4)
            code = self.function_library(name)
            self.send_command([b"FUNCTION", b"LOAD", *([b"REPLACE"] if rng.random() < 0.7 else []), code])
            self.libraries.append(name)
        function = b"%s_f%d" % (rng.choice(self.libraries), rng.randrange(3)) if rng.random() < 0.9 else b"nope"
        keys = [self.key() for _ in range(rng.randint(0, 2))]
        self.send_command(
            [
                rng.choice((b"FCALL", b"FCALL_RO")),
                function,
                b"%d" % len(keys),
                *keys,
                *[self.value() for _ in range(rng.randint(0, 2))],
            ]
        )

    def group_admin(self):
        argv = getattr(self, "build_" + self.rng.choice(ADMIN_BUILDERS))()
        if self.refusal(argv) is None:
            self.send_command(argv, known=self.known_of(argv))

    def group_mutated(self):
        """A RESP frame bent out of shape; in `reader`-excluded runs the lane is closed after it, since what
        follows would be read from inside the broken frame."""
        lane = self.lane()
        frame, how = self.mutated_frame()
        if "resp3-request" in self.exclude and self.resp3_map(frame):
            frame = frame.replace(b"\r\n%", b"\r\n*").replace(b"%", b"*", 1 if frame[:1] == b"%" else 0)
        known = self.reader_defect(frame)
        if known and "reader" in self.exclude:
            frame = self.sanitize(frame)
            known = None
        if known is None and self.resp3_map(frame):
            known = "resp3-request"
        if self.error_newline(frame):
            if "error-newline" in self.exclude:
                frame = frame.replace(b"\n\n", b"\n ").replace(b"\n\r", b"\n ")
            elif known is None:
                known = "error-newline"
        self.add("send", lane, frame, note="mutated: " + how, known=known)
        self.desynced.add(lane)
        if "reader" in self.exclude or self.rng.random() < 0.5:
            self.add(self.rng.choice(("close", "abort")), lane, count=0)

    def group_inline(self):
        lane = self.lane()
        line = self.inline_command()
        known = "reader" if b"\x00" in line else None
        self.add("send", lane, line, note="inline: " + repr(line[:120])[2:-1], known=known)

    def group_connection(self):
        """Connect, maybe HELLO, send part of a command and disconnect (FIN or RST), or just come and go."""
        rng, lane = self.rng, self.lane()
        self.add(rng.choice(("close", "abort")), lane, count=0)  # a fresh connection for what follows
        roll = rng.random()
        if roll < 0.3:
            self.send_command(
                [
                    b"HELLO",
                    rng.choice((b"3", b"2", b"3", b"1", b"4", b"abc")),
                    *rng.choice(([], [b"SETNAME", b"fuzz"], [b"AUTH", b"default", b"x"])),
                ],
                lane,
            )
        elif roll < 0.7:
            frame = encode_command(self.command())
            cut = rng.randrange(1, len(frame)) if len(frame) > 1 else 1
            self.add("send", lane, frame[:cut], note="cut at %d of %d" % (cut, len(frame)))
        self.add(rng.choice(("close", "abort")), lane, count=1)

    def group_split(self):
        """A pipeline sent in pieces with short pauses, so the server parses each command across reads."""
        rng, lane = self.rng, self.lane()
        commands = [self.command() for _ in range(rng.randint(1, 4))]
        commands = [argv for argv in commands if argv[0].lower() not in (b"sync", b"psync")]
        data = b"".join(map(encode_command, commands))
        if len(data) < 2:
            return
        cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(1, 5))))
        pieces = [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)])]
        for number, piece in enumerate(pieces):
            last = number == len(pieces) - 1
            self.add(
                "send", lane, piece, count=len(commands) if last else 0, note="split %d/%d" % (number + 1, len(pieces))
            )
            if not last:
                self.add("pause", lane, count=0, pause_ms=rng.choice((0.0, 0.0, 0.2, 1.0)))

    def group_http(self):
        request, known = self.http_request()
        line, _, rest = request.partition(b"\r\n")
        body = rest.partition(b"\r\n\r\n")[2]
        self.add("http", 0, request, note=f"{line.decode('latin-1')} {body[:300]!r}", known=known)

    def group_busy_script(self):
        """A script that runs until killed: other connections get -BUSY, then SCRIPT KILL (or FUNCTION KILL)
        stops it. Inside MULTI/EXEC it is the known class script-kill-exec. Read-only, so it can be killed."""
        rng = self.rng
        lane, other = rng.sample(range(LANES), 2)
        for fresh in (lane, other):  # a connection in MULTI, blocked or inside a bent frame would not run them
            self.add("close", fresh, count=0)
        accept_race = "busy-accept" not in self.exclude and rng.random() < 0.3
        if accept_race:  # connected just before the script starts, nothing sent yet
            self.add("connect", other, count=0, known="busy-accept")
        else:  # the killer connects, and is served, before the script starts
            self.send_command([b"PING"], other, await_reply=True)
        self.batch.config_changed = True
        # on the script's own connection: from another one, the script could start first, under the default
        # threshold of 5 s, and nothing would be served (nor killed) for that long
        self.send_command([b"CONFIG", b"SET", b"busy-reply-threshold", rng.choice((b"10", b"20", b"50"))], lane)
        in_exec = "script-kill-exec" not in self.exclude and rng.random() < 0.3
        known = "script-kill-exec" if in_exec else None
        use_function = rng.random() < 0.3
        if use_function:
            code = (
                b"#!lua name=busy\nredis.register_function{function_name='spin', flags={'no-writes'}, "
                b"callback=function(keys, args) local i = 0 while true do i = i + 1 end end}"
            )
            self.send_command([b"FUNCTION", b"LOAD", b"REPLACE", code], lane)
            call = [b"FCALL", b"spin", b"0"]
        else:
            call = [b"EVAL", b"local i = 0 while true do i = i + redis.call('EXISTS', 'str') end", b"0"]
        if in_exec:
            self.send_command([b"MULTI"], lane)
            if rng.random() < 0.7:
                self.send_command([b"SET", b"str", b"written first"], lane)
            self.send_command(call, lane)
            self.send_command([b"EXEC"], lane, known=known)
        else:
            self.send_command(call, lane)
        self.add("pause", other, count=0, pause_ms=rng.choice((5.0, 30.0, 80.0)))
        self.send_command([b"PING"], other)
        if rng.random() < 0.3:
            self.send_command([b"GET", b"str"], other)
        kill = [b"FUNCTION", b"KILL"] if use_function else [b"SCRIPT", b"KILL"]
        if rng.random() < 0.2:
            kill = [b"FUNCTION", b"KILL"] if not use_function else [b"SCRIPT", b"KILL"]  # the wrong one first
            self.send_command(kill, other)
            kill = [b"FUNCTION", b"KILL"] if use_function else [b"SCRIPT", b"KILL"]
        self.send_command(kill, other, known=known)

    def group_big_abort(self):
        """A request that announces a large bulk, sends part of it and disconnects. Large ones are the known
        class memory-return; small ones are always sent."""
        rng, lane = self.rng, self.lane()
        large = "memory-return" not in self.exclude and rng.random() < 0.5
        size = rng.choice((500_000, 1_000_000, 2_000_000)) if large else rng.choice((1000, 16000, 60000))
        header = b"*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$%d\r\n" % size
        self.add(
            "send",
            lane,
            header + b"x" * rng.randrange(size // 2, size),
            note="announces %d bytes" % size,
            known="memory-return" if large else None,
        )
        self.add(rng.choice(("close", "abort")), lane, count=0)

    # -- commands -----------------------------------------------------------------------------------------

    def command(self, specs=None, weights=None, door: str = "tcp") -> list[bytes]:
        """One command: usually valid by COMMAND DOCS, sometimes bent; never one of the deny-list."""
        rng = self.rng
        if specs is None:
            specs, weights = self.commands, self.command_weights
        for _ in range(20):
            spec = rng.choices(specs, weights)[0] if weights else rng.choice(specs)
            builder = getattr(self, "build_" + spec.name.replace("|", "_").replace("-", "_"), None)
            argv = builder() if builder is not None else [*spec.words, *self.arguments_for(spec)]
            if rng.random() < 0.08:
                argv = self.bend(argv)
            if rng.random() < 0.1:
                argv[0] = self.recase(argv[0])
            if self.refusal(argv, door) is None:
                return argv
        return [b"PING"]

    def arguments_for(self, spec: CommandSpec) -> list[bytes]:
        if spec.arguments is None:  # undocumented: as many random values as the arity asks
            count = abs(spec.arity) - len(spec.words) + (self.rng.randint(0, 2) if spec.arity < 0 else 0)
            return [self.value() for _ in range(max(count, 0))]
        out: list[bytes] = []
        for argument in spec.arguments:
            self.argument(argument, out)
        return out

    def argument(self, argument: dict, out: list[bytes]) -> None:
        """Write one COMMAND DOCS argument (recursively for oneof and block): optional ones half the time,
        multiple ones one to a few times (now and then many)."""
        rng = self.rng
        flags = argument.get("flags", ())
        if "optional" in flags and rng.random() < 0.5:
            return
        repeats = 1
        if "multiple" in flags:
            repeats = rng.choice((1, 1, 2, 3, 5)) if rng.random() < 0.95 else rng.choice((20, 100))
        for _ in range(repeats):
            token = argument.get("token")
            if token is not None:
                out.append(self.recase(token.encode()) if rng.random() < 0.1 else token.encode())
            kind = argument["type"]
            if kind == "pure-token":
                continue
            if kind == "oneof":
                self.argument(rng.choice(argument["arguments"]), out)
            elif kind == "block":
                for part in argument["arguments"]:
                    self.argument(part, out)
            else:
                out.append(self.value_for(kind, argument["name"]))

    def value_for(self, kind: str, name: str) -> bytes:
        rng = self.rng
        if kind == "key":
            return self.key()
        if kind == "pattern" or name in ("pattern", "library-name-pattern"):
            return self.pattern()
        if kind == "integer":
            if name == "timeout":
                return rng.choice(TIMEOUTS)
            if name == "milliseconds" or name == "seconds":
                return rng.choice(INTEGERS[:12] + (b"100000", b"-5", b"abc"))
            if name in ("db", "destination-db"):
                return rng.choice((b"0", b"1", b"15", b"16", b"-1", b"2"))
            if name == "client-id":
                return b"%d" % rng.randint(0, 50)
            if name == "protover":
                return rng.choice((b"2", b"3", b"1", b"4", b"-1"))
            return self.integer()
        if kind == "double":
            return rng.choice(FLOATS) if rng.random() < 0.7 else self.integer()
        if kind == "unix-time":
            return rng.choice(UNIX_TIMES)
        if name in ("script",):
            return self.script()
        if name == "function-code":
            return self.function_library(b"lib%d" % rng.randrange(4))
        if name == "serialized-value":
            return self.dump_payload()
        if name == "parameter":
            return rng.choice(self.config_names).encode() if rng.random() < 0.9 else self.value()
        if name == "subcommand" and self.table.debug_subcommands:
            return rng.choice(self.table.debug_subcommands)
        if name in (
            "increment",
            "decrement",
            "weight",
            "ttl",
            "index1",
            "index2",
            "rank",
            "min-match-len",
            "num-matches",
            "cursor",
            "frequency",
        ):
            return rng.choice(FLOATS) if rng.random() < 0.3 else self.integer()
        if name == "encoding":  # BITFIELD types
            return rng.choice((b"u8", b"i8", b"i64", b"u63", b"u64", b"i65", b"u1", b"i1", b"u0", b"x8", b"#3"))
        if name in ("channel", "shardchannel"):
            return rng.choice((b"ch", b"news", b"__keyspace@0__:str", b"*", b""))
        if name == "section":
            return rng.choice(
                (
                    b"all",
                    b"server",
                    b"memory",
                    b"stats",
                    b"keyspace",
                    b"everything",
                    b"default",
                    b"commandstats",
                    b"errorstats",
                    b"latencystats",
                    b"nope",
                )
            )
        return self.value()

    def key(self) -> bytes:
        roll = self.rng.random()
        if roll < 0.85:
            return self.rng.choice(GENERAL_KEYS)
        if roll < 0.97:
            return self.rng.choice(MISSING_KEYS)
        return self.value()

    def integer(self) -> bytes:
        roll = self.rng.random()
        if roll < 0.5:
            return b"%d" % self.rng.randint(-10, 300)
        if roll < 0.9:
            return self.rng.choice(INTEGERS)
        return self.rng.choice(BAD_INTEGERS)

    def value(self) -> bytes:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return rng.choice(STRINGS)
        if roll < 0.7:
            return self.integer()
        if roll < 0.8:
            return rng.choice(FLOATS)
        if roll < 0.9:
            return rng.choice(GENERAL_KEYS)
        if roll < 0.985:
            return bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 20)))
        size = rng.choice(LONG_SIZES) if rng.random() < 0.8 else rng.choice(LONG_SIZES[:3])
        return rng.choice((b"x", b"ab", b"\x00\r\n", b"*a")) * (size // 2)

    def pattern(self) -> bytes:
        if "glob" not in self.exclude and self.rng.random() < 0.05:
            return self.rng.choice(GLOB_BOMBS)
        return self.rng.choice(PATTERNS) if self.rng.random() < 0.85 else self.value()

    def recase(self, word: bytes) -> bytes:
        return bytes(char ^ 32 if 97 <= (char | 32) <= 122 and self.rng.random() < 0.5 else char for char in word)

    def bend(self, argv: list[bytes]) -> list[bytes]:
        """A valid command made (probably) invalid: an argument dropped, doubled, swapped or replaced."""
        rng = self.rng
        argv = list(argv)
        if len(argv) < 2:
            return argv + [self.value()]
        position = rng.randrange(1, len(argv))
        roll = rng.random()
        if roll < 0.25:
            del argv[position]
        elif roll < 0.45:
            argv.insert(position, argv[position])
        elif roll < 0.6:
            other = rng.randrange(1, len(argv))
            argv[position], argv[other] = argv[other], argv[position]
        elif roll < 0.9:
            argv[position] = self.value()
        else:
            argv.append(rng.choice((b"FOO", b"NX", b"XX", b"COUNT", b"LIMIT", b"WITHSCORES", b"GET", b"EX")))
        return argv

    # -- builders for commands whose arguments need care (named build_<command>) --------------------------

    def build_lcs(self) -> list[bytes]:
        argv = [b"LCS", *self.rng.sample(LCS_KEYS, 2)]
        for option in (b"LEN", b"IDX", b"WITHMATCHLEN"):
            if self.rng.random() < 0.4:
                argv.append(option)
        if self.rng.random() < 0.3:
            argv += [b"MINMATCHLEN", self.integer()]
        return argv

    def build_sync(self) -> list[bytes]:
        return [b"SYNC"]

    def build_replicaof(self, name: bytes = b"REPLICAOF") -> list[bytes]:
        """A master on loopback (nothing listens on those ports), or a host no resolver is asked about (bytes
        that are no host name, a label too long for the idna codec): the server must keep retrying calmly.
        The runner's REPLICAOF NO ONE before each batch makes it a master again."""
        rng = self.rng
        if rng.random() < 0.2:
            return [name, b"NO", b"ONE"]
        host = rng.choice(REPLICAOF_HOSTS)
        port = rng.choice((b"1", b"0", b"65535", b"65536", b"-1", b"port", self.integer()))
        return [name, host, port]

    def build_slaveof(self) -> list[bytes]:
        return self.build_replicaof(b"SLAVEOF")

    def build_restore(self) -> list[bytes]:
        rng = self.rng
        argv = [
            b"RESTORE",
            self.key(),
            rng.choice((b"0", b"0", b"100000", b"-1", b"abc", b"4102444800000")),
            self.dump_payload(),
        ]
        for option in (b"REPLACE", b"ABSTTL"):
            if rng.random() < 0.4:
                argv.append(option)
        if rng.random() < 0.2:
            argv += [rng.choice((b"IDLETIME", b"FREQ")), self.integer()]
        return argv

    def dump_payload(self) -> bytes:
        """A DUMP payload of a fixture key, as it was or mutated (with its CRC made right again half the
        time, so that the RDB decoder, not the checksum, meets the damage), or random bytes."""
        rng = self.rng
        if not self.dump_payloads or rng.random() < 0.1:
            return bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 40)))
        payload = bytearray(rng.choice(self.dump_payloads))
        if rng.random() < 0.3:
            return bytes(payload)
        body = payload[:-8]
        for _ in range(rng.randint(1, 4)):
            if not body:
                break
            position = rng.randrange(len(body))
            if rng.random() < 0.7:
                body[position] ^= 1 << rng.randrange(8)
            else:
                body[position] = rng.choice((0, 0xFF, 0x7F, 0x80, 0xC0, 0xFE, 1, 64))
        if rng.random() < 0.2:
            body = body[: rng.randrange(len(body) + 1)] + b"\x00\x0a"
        crc = crc64(bytes(body)).to_bytes(8, "little") if rng.random() < 0.5 else bytes(payload[-8:])
        return bytes(body) + crc

    def build_config_set(self) -> list[bytes]:
        """CONFIG SET with values fitting the parameter (and not), never a denied parameter; the runner puts
        the configuration back after the batch."""
        rng = self.rng
        self.batch.config_changed = True
        pairs = []
        for _ in range(1 if rng.random() < 0.85 else rng.randint(2, 3)):
            name = rng.choice(self.config_names)
            if name in DENIED_CONFIG:
                name = rng.choice((name, "tcp-backlog", "databases", "daemonize", "no-such-parameter"))
            if name in DENIED_CONFIG:
                continue
            pairs += [self.recase(name.encode()) if rng.random() < 0.1 else name.encode(), self.config_value(name)]
        return [b"CONFIG", b"SET", *pairs] if pairs else [b"CONFIG", b"SET", b"hz"]

    def config_value(self, name: str) -> bytes:
        rng = self.rng
        current = self.table.config.get(name, "")
        if name == "tcp-keepalive":
            if "keepalive" not in self.exclude and rng.random() < 0.3:
                return rng.choice((b"40000", b"2147483647", b"32768"))
            return rng.choice((b"0", b"1", b"60", b"300", b"32767", b"-1", b"abc"))
        if name == "client-output-buffer-limit":
            return rng.choice(
                (
                    b"normal 0 0 0",
                    b"normal 1mb 512kb 10",
                    b"pubsub 1 1 1",
                    b"normal 1k 1k 0",
                    b"replica 1gb 1gb 60",
                    b"normal",
                    b"nope 1 1 1",
                )
            )
        if name == "save":
            return rng.choice((b"", b"3600 1", b"1 1", b"abc", b"1", b"60 10 300 100"))
        if name == "notify-keyspace-events":
            return bytes(rng.choice(b"KEA$lshzxegtmndX") for _ in range(rng.randint(0, 6)))
        if name in ("loglevel",):
            return rng.choice((b"debug", b"verbose", b"notice", b"warning", b"nope"))
        if name == "maxmemory-policy":
            return rng.choice(
                (
                    b"noeviction",
                    b"allkeys-lru",
                    b"allkeys-lfu",
                    b"volatile-ttl",
                    b"allkeys-random",
                    b"volatile-lru",
                    b"volatile-lfu",
                    b"volatile-random",
                    b"nope",
                )
            )
        if name == "maxmemory":
            return rng.choice((b"0", b"1", b"1mb", b"100mb", b"1gb", b"-1", b"1xb"))
        if name == "appendfsync":
            return rng.choice((b"always", b"everysec", b"no", b"sometimes"))
        if name == "latency-tracking-info-percentiles":
            return rng.choice((b"50 99 99.9", b"", b"0 100", b"101", b"-1", b"nan", b"50 50"))
        if current in ("yes", "no"):
            return rng.choice((b"yes", b"no", b"YES", b"maybe", b""))
        if current.lstrip("-").isdigit():
            return rng.choice(
                (
                    b"0",
                    b"1",
                    b"-1",
                    b"2",
                    b"100",
                    b"1000",
                    b"2147483647",
                    b"2147483648",
                    b"9223372036854775807",
                    b"abc",
                    b"",
                    b"1k",
                    b"1mb",
                    b"-5",
                )
            )
        return self.value()

    def build_config_get(self) -> list[bytes]:
        names = [
            self.rng.choice(self.config_names).encode() if self.rng.random() < 0.6 else self.pattern()
            for _ in range(self.rng.randint(1, 3))
        ]
        return [b"CONFIG", b"GET", *names]

    def build_debug(self) -> list[bytes]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.25:
            seconds = rng.choice((b"0", b"0.001", b"0.01", b"0.05", b"-1", b"abc", b""))
            if "debug-sleep" not in self.exclude and rng.random() < 0.3:
                seconds = rng.choice((b"inf", b"nan", b"-inf", b"1e400"))
            return [b"DEBUG", b"SLEEP", seconds]
        if roll < 0.4:
            return [
                b"DEBUG",
                b"POPULATE",
                rng.choice((b"0", b"10", b"100", b"1000", b"-1", b"abc")),
                *rng.choice(([], [b"pop"], [b"pop", rng.choice((b"0", b"10", b"1000", b"-1"))])),
            ]
        if roll < 0.5:
            return [b"DEBUG", b"RELOAD", *rng.sample((b"MERGE", b"NOFLUSH", b"NOSAVE", b"nope"), rng.randint(0, 2))]
        if roll < 0.6:
            return [b"DEBUG", b"SET-ACTIVE-EXPIRE", rng.choice((b"0", b"1", b"abc"))]
        if roll < 0.75 and "debug-object" not in self.exclude:
            return [b"DEBUG", b"OBJECT", self.key()]
        if roll < 0.85:
            return [b"DEBUG", b"LOG", self.value()]
        return [
            b"DEBUG",
            rng.choice(
                (
                    *self.table.debug_subcommands,
                    b"JMAP",
                    b"QUICKLIST-PACKED-THRESHOLD",
                    b"STRINGMATCH-LEN",
                    b"CHANGE-REPL-ID",
                    b"nope",
                )
            ),
            *[self.value() for _ in range(rng.randint(0, 2))],
        ]

    def build_client(self) -> list[bytes]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.15:
            return [
                b"CLIENT",
                b"PAUSE",
                rng.choice((b"0", b"1", b"10", b"50", b"-1", b"abc")),
                *rng.choice(([], [b"WRITE"], [b"ALL"], [b"NOPE"])),
            ]
        if roll < 0.25:
            return [b"CLIENT", b"UNPAUSE"]
        if roll < 0.45:
            return [
                b"CLIENT",
                b"KILL",
                *rng.choice(
                    (
                        [b"ID", b"%d" % rng.randint(1, 50)],
                        [b"TYPE", rng.choice((b"normal", b"pubsub", b"master", b"replica", b"slave", b"nope"))],
                        [b"ADDR", b"127.0.0.1:1"],
                        [b"LADDR", b"127.0.0.1:0"],
                        [b"SKIPME", b"no", b"ID", b"3"],
                        [b"MAXAGE", b"0"],
                        [b"USER", b"default"],
                        [b"127.0.0.1:1"],
                        [b"ID"],
                    )
                ),
            ]
        if roll < 0.55:
            return [
                b"CLIENT",
                b"UNBLOCK",
                b"%d" % rng.randint(1, 50),
                *rng.choice(([], [b"TIMEOUT"], [b"ERROR"], [b"NOPE"])),
            ]
        if roll < 0.7:
            return [
                b"CLIENT",
                b"TRACKING",
                rng.choice((b"on", b"off", b"ON", b"maybe")),
                *rng.choice(
                    (
                        [],
                        [b"BCAST"],
                        [b"BCAST", b"PREFIX", b"s"],
                        [b"OPTIN"],
                        [b"OPTOUT"],
                        [b"NOLOOP"],
                        [b"REDIRECT", b"%d" % rng.randint(0, 50)],
                        [b"PREFIX", b"x"],
                        [b"OPTIN", b"OPTOUT"],
                    )
                ),
            ]
        if roll < 0.8:
            return [b"CLIENT", b"REPLY", rng.choice((b"ON", b"OFF", b"SKIP", b"NOPE"))]
        if roll < 0.9:
            return [
                b"CLIENT",
                rng.choice((b"SETNAME", b"SETINFO", b"NO-EVICT", b"NO-TOUCH", b"CACHING")),
                *[self.value() for _ in range(rng.randint(0, 2))],
            ]
        return [
            b"CLIENT",
            rng.choice((b"LIST", b"INFO", b"ID", b"GETNAME", b"GETREDIR", b"TRACKINGINFO", b"HELP", b"NOPE")),
        ]

    # -- scripts ------------------------------------------------------------------------------------------

    def lua_string(self, value: bytes) -> bytes:
        return (
            b'"'
            + b"".join(
                b"\\%03d" % byte if byte < 32 or byte in (34, 92) or byte > 126 else bytes([byte]) for byte in value
            )
            + b'"'
        )

    def lua_call(self) -> bytes:
        """redis.call or redis.pcall of a random command allowed in scripts (and now and then one that is
        not, or a malformed call)."""
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            return rng.choice(
                (
                    b"redis.call()",
                    b"redis.call(1, 2)",
                    b"redis.call('GET', {})",
                    b"redis.call('GET', nil)",
                    b"redis.call('nosuchcommand')",
                    b"redis.pcall('SHUTDOWN')",
                    b"redis.call('EVAL', 'return 1', 0)",
                    b"redis.call('MULTI')",
                )
            )
        specs = self.script_commands if roll < 0.95 else self.commands
        argv = self.command(specs, None, door="lua")
        function = b"redis.pcall" if rng.random() < 0.4 else b"redis.call"
        return function + b"(" + b", ".join(map(self.lua_string, argv)) + b")"

    def lua_value(self) -> bytes:
        return self.rng.choice(
            (
                b"1",
                b"-1",
                b"3.99",
                b"0/0",
                b"1/0",
                b"'text'",
                b"true",
                b"false",
                b"nil",
                b"{}",
                b"{1, 2, {3, 'x'}, nil, 5}",
                b"{err='ERR from script'}",
                b"{ok='fine'}",
                b"{err=''}",
                b"redis.status_reply('OK')",
                b"redis.error_reply('MYERR%d custom')" % self.rng.randrange(300),
                b"redis.error_reply('')",
                b"{double=1.5}",
                b"{map={a=1}}",
                b"{1, {err='nested'}}",
                b"string.rep('ab', %d)" % self.rng.choice((1, 100, 10000)),
                b"KEYS",
                b"ARGV",
                b"#KEYS",
                b"ARGV[1]",
                b"KEYS[100]",
                b"tostring(1/0)",
                b"tonumber('0x10')",
                b"2^53",
                b"-2^63",
                b"2^64",
                b"redis.sha1hex('x')",
                b"cjson.encode({1, 'a', {b=true}})",
                b"cjson.decode('[1,2,{\"a\":null}]')",
                b"cjson.decode('[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]')",
                b"cmsgpack.pack({1, 2, 'x'})",
                b"cmsgpack.unpack('\\147\\1\\2\\3')",
                b"struct.pack('>I2', 5)",
                b"struct.unpack('>i', 'abcd')",
                b"bit.tohex(65535)",
                b"bit.band(-1, 255)",
                b"redis.REDIS_VERSION",
                b"type(redis)",
                b"cjson.decode('" + self.rng.choice((b"[", b'{"a"', b"1e999", b'"\\ud800"', b"nul")) + b"')",
                b"cmsgpack.unpack('\\220\\255\\255')",
                b"struct.unpack('i100', 'x')",
            )
        )

    def lua_statement(self) -> bytes:
        rng = self.rng
        roll = rng.random()
        if roll < 0.45:
            return b"local r = " + self.lua_call()
        if roll < 0.55:
            return b"for i = 1, %d do %s end" % (rng.choice((2, 10, 100)), self.lua_call())
        if roll < 0.65:
            return b"local v = " + self.lua_value()
        return rng.choice(
            (
                b"redis.setresp(3)",
                b"redis.setresp(2)",
                b"redis.setresp(4)",
                b"redis.set_repl(redis.REPL_ALL)",
                b"redis.replicate_commands()",
                b"redis.log(redis.LOG_WARNING, 'from a script')",
                b"redis.breakpoint()",
                b"redis.debug('x')",
                b"error('boom')",
                b"error({err='ERR table error'})",
                b"assert(false)",
                b"local t = nil; t.x = 1",
                b"loadstring('return 1')",
                b"setmetatable(_G, nil)",
                b"x_global = 1",
                b"local ok, e = pcall(redis.call, 'INCR', 'str')",
                b"string.format('%d', 'x')",
                b"os.time()",
                b"math.random()",
                b"local big = {} for i = 1, 1000 do big[i] = i end",
                b"table.concat({1, 2}, ',')",
                b"getfenv(1)",
                b"redis.acl_check_cmd('get', 'x')",
                b"redis.call('SELECT', 1)",
                b"redis.setresp(3); local r = redis.call('HGETALL', 'hash')",
            )
        )

    def script(self) -> bytes:
        """A script for EVAL or SCRIPT LOAD. Redis 7.0 caches every script until SCRIPT FLUSH, and while the
        class lua-state-cycle is left out nothing flushes them: scripts then come from a pool of SCRIPT_POOL
        (made from the seed as needed), so the cache stays small."""
        if "lua-state-cycle" not in self.exclude:
            return self.lua_script()
        slot = self.rng.randrange(SCRIPT_POOL)
        if slot not in self.script_pool:
            self.script_pool[slot] = self.lua_script()
        return self.script_pool[slot]

    def lua_script(self) -> bytes:
        rng = self.rng
        statements = [self.lua_statement() for _ in range(rng.randint(0, 4))]
        script = b"\n".join(statements + [b"return " + (self.lua_call() if rng.random() < 0.5 else self.lua_value())])
        if rng.random() < 0.03:
            script = script[: rng.randrange(len(script) + 1)]  # a syntax error, most likely
        return script

    def function_library(self, name: bytes) -> bytes:
        rng = self.rng
        shebang = rng.choice(
            (
                b"#!lua name=" + name,
                b"#!lua name=" + name,
                b"#!lua",
                b"#!js name=" + name,
                b"#!lua name=" + name + b" engine=x",
                b"",
            )
        )
        functions = []
        for number in range(rng.randint(0, 3)):
            body = b"\n".join(
                [self.lua_statement() for _ in range(rng.randint(0, 2))] + [b"return " + self.lua_value()]
            )
            flags = rng.choice(
                (b"", b"flags={'no-writes'}, ", b"flags={'allow-oom', 'allow-stale'}, ", b"flags={'nope'}, ")
            )
            functions.append(
                b"redis.register_function{function_name='%s_f%d', %scallback=function(keys, args)\n"
                b"%s\nend}" % (name, number, flags, body)
            )
        if rng.random() < 0.1:
            functions.append(
                rng.choice(
                    (
                        b"redis.register_function('dup', function() return 1 end)\n"
                        b"redis.register_function('dup', function() return 2 end)",
                        b"redis.call('GET', 'x')",
                        b"error('load failed')",
                        b"redis.register_function('bad name!', function() end)",
                    )
                )
            )
        return b"\n".join([shebang, *functions])

    # -- frames -------------------------------------------------------------------------------------------

    def mutated_frame(self) -> tuple[bytes, str]:
        rng = self.rng
        frame = b"".join(encode_command(self.command()) for _ in range(rng.choice((1, 1, 2))))
        how = rng.choice(
            (
                "flip",
                "byte",
                "truncate",
                "length",
                "count",
                "lone_cr",
                "lone_lf",
                "nul",
                "resp3",
                "nested",
                "duplicate",
                "splice",
                "empty",
            )
        )
        data = bytearray(frame)
        if how == "flip":
            for _ in range(rng.randint(1, 3)):
                data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
        elif how == "byte":
            data[rng.randrange(len(data))] = rng.choice(b"\x00\r\n*$:+-%~>#_=(!|,\xff 0")
        elif how == "truncate":
            data = data[: rng.randrange(len(data))]
        elif how in ("length", "count"):
            marker = b"$" if how == "length" else b"*"
            starts = [i for i, byte in enumerate(data) if byte == marker[0] and (i == 0 or data[i - 1] == 10)]
            if starts:
                start = rng.choice(starts)
                end = data.find(b"\r", start)
                end = len(data) if end < 0 else end
                digits = bytes(data[start + 1 : end])
                number = int(digits) if digits.isdigit() else 0  # a payload byte after a CRLF, not a header
                data[start + 1 : end] = rng.choice(
                    (
                        b"%d" % (number - 1),
                        b"%d" % (number + 1),
                        b"%d" % (number + 10),
                        b"0",
                        b"-1",
                        b"-2",
                        b"2147483647",
                        b"2147483648",
                        b"9223372036854775807",
                        b"99999999999999999999",
                        b"abc",
                        b"",
                        b" 3",
                        b"03",
                        b"+3",
                        b"3.0",
                        b"1048577",
                        b"536870912",
                        b"-9223372036854775808",
                    )
                )
        elif how == "lone_cr":
            ends = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\r\n"]
            if ends:
                del data[rng.choice(ends) + 1]
        elif how == "lone_lf":
            ends = [i for i in range(len(data) - 1) if data[i : i + 2] == b"\r\n"]
            if ends:
                del data[rng.choice(ends)]
        elif how == "nul":
            data.insert(rng.randrange(len(data) + 1), 0)
        elif how == "resp3":
            starts = [i for i, byte in enumerate(data) if byte in b"*$" and (i == 0 or data[i - 1] == 10)]
            position = rng.choice(starts)
            data[position : position + 1] = rng.choice(
                (b"%", b"~", b"|", b">", b"#", b",", b"(", b"=", b"_", b"!", b"+", b"-", b":")
            )
            if rng.random() < 0.3:
                data[position:position] = rng.choice(
                    (
                        b"_\r\n",
                        b"#t\r\n",
                        b",1.5\r\n",
                        b"(123\r\n",
                        b"=5\r\ntxt:x\r\n",
                        b"%1\r\n+a\r\n+b\r\n",
                        b">1\r\n+x\r\n",
                    )
                )
        elif how == "nested":
            data = bytearray(
                b"*2\r\n$3\r\nGET\r\n"
                + rng.choice((b"*1\r\n$1\r\nx\r\n", b":5\r\n", b"$-1\r\n", b"*-1\r\n", b"*0\r\n", b"+simple\r\n"))
            )
        elif how == "duplicate":
            start = rng.randrange(len(data))
            end = rng.randrange(start, len(data) + 1)
            data[end:end] = data[start:end] * rng.randint(1, 3)
        elif how == "splice":
            other = encode_command(self.command())
            data = data[: rng.randrange(len(data))] + other[rng.randrange(len(other)) :]
        elif how == "empty":
            data = bytearray(
                rng.choice(
                    (
                        b"\r\n",
                        b"\n",
                        b"*0\r\n",
                        b"*-1\r\n",
                        b"$-1\r\n",
                        b"*\r\n",
                        b"$\r\n",
                        b"*1\r\n$-1\r\n",
                        b"*1\r\n$0\r\n\r\n",
                        b"*-5\r\n",
                    )
                )
            )
        return bytes(data), how

    @staticmethod
    def reader_defect(frame: bytes) -> str | None:
        """The known class reader: a CR not followed by LF, or a NUL byte, anywhere in a frame that is
        not a well-formed command (inside a payload they are harmless, but a bent frame may be read
        from anywhere)."""
        if b"\x00" in frame:
            return "reader"
        position = frame.find(b"\r")
        while position >= 0:
            if frame[position + 1 : position + 2] != b"\n":
                return "reader"
            position = frame.find(b"\r", position + 1)
        return None

    @staticmethod
    def error_newline(frame: bytes) -> bool:
        """Whether a line may start with CR or LF where a '$' header is expected (class error-newline)."""
        return b"\n\n" in frame or b"\n\r" in frame

    @staticmethod
    def resp3_map(frame: bytes) -> bool:
        """Whether a RESP3 map header may be in the frame (the class resp3-request needs one)."""
        return frame[:1] == b"%" or b"\r\n%" in frame

    @staticmethod
    def sanitize(frame: bytes) -> bytes:
        """A frame without the reader class's triggers: NUL becomes '0', a CR without LF a space."""
        frame = frame.replace(b"\x00", b"0")
        return b"\r\n".join(part.replace(b"\r", b" ") for part in frame.split(b"\r\n"))

    def inline_command(self) -> bytes:
        """An inline command (what telnet sends): words bare, "double quoted" with escapes or 'single quoted',
        now and then unbalanced or glued to the next word; NUL bytes only where the reader class is on."""
        rng = self.rng
        words = []
        for arg in self.command()[:8]:
            roll = rng.random()
            if roll < 0.5 and arg and not any(byte in b" \t\r\n\"'\x00" for byte in arg):
                words.append(arg)
            elif roll < 0.85:
                words.append(
                    b'"'
                    + b"".join(
                        b"\\x%02x" % byte if byte < 32 or byte > 126 or byte in b'"\\' else bytes([byte])
                        for byte in arg
                    )
                    + b'"'
                )
            else:
                words.append(
                    b"'"
                    + arg.replace(b"'", b"\\'").replace(b"\r", b"").replace(b"\n", b"").replace(b"\x00", b"")
                    + b"'"
                )
        line = b" ".join(words)
        roll = rng.random()
        if roll < 0.05:
            line += b' "unbalanced'
        elif roll < 0.1:
            line += b' "glued"word'
        elif roll < 0.13:
            line = b"\t " + line + b"\t"
        elif roll < 0.16:
            line = b""
        elif roll < 0.18:
            line += b" " + b"x" * rng.choice((60000, 70000))  # about Redis's 64 KB inline limit
        elif roll < 0.21 and "reader" not in self.exclude:
            position = rng.randrange(len(line) + 1)
            line = line[:position] + b"\x00" + line[position:]
        if line[:1] == b"*":
            line = b" " + line  # a leading star would make it RESP
        return line + rng.choice((b"\r\n", b"\r\n", b"\n"))

    # -- HTTP ---------------------------------------------------------------------------------------------

    def http_request(self) -> tuple[bytes, str | None]:
        """A raw HTTP/1.1 request: POST /api/command with a random command, pipeline or transaction (as
        JSON, now and then malformed), the key endpoints, probes and odd paths."""
        rng = self.rng
        roll = rng.random()
        known = None
        if roll < 0.6:
            body, known = self.command_body()
            return self.http("POST", "/api/command", body), known
        if roll < 0.7:
            key = self.http_key()
            return self.http(
                rng.choice(("GET", "DELETE")), rng.choice(("/api/get/", "/api/delete/", "/api/ttl/")) + key
            ), None
        if roll < 0.8:
            body = json.dumps(
                rng.choice(
                    (
                        {"key": "k", "value": "v"},
                        {"key": "k", "value": "v", "ttl": 5},
                        {"key": "k", "value": "v", "ttl": 0},
                        {"key": 1, "value": "v"},
                        {"key": "a\u0000b", "value": ""},
                        {"key": "!!", "value": "v", "encoding": "base64"},
                        {"seconds": rng.choice((5, -1, 2**63, "5", True, 1e30, None))},
                    )
                )
            )
            return self.http("POST", rng.choice(("/api/set", "/api/expire/" + self.http_key())), body.encode()), None
        if roll < 0.88:
            query = rng.choice(
                (
                    "",
                    "?pattern=*",
                    "?pattern=s*&count=5",
                    "?cursor=-1",
                    "?count=0",
                    "?cursor=99999999999999999999",
                    "?pattern=%5B",
                    "?count=abc",
                    "?pattern=%00*",
                )
            )
            return self.http("GET", "/api/keys" + query), None
        return self.http(
            rng.choice(("GET", "GET", "POST", "PUT", "OPTIONS", "HEAD")),
            rng.choice(
                (
                    "/api/info",
                    "/health",
                    "/ready",
                    "/metrics",
                    "/api/metrics",
                    "/nope",
                    "/api/command",
                    "/api/get/",
                    "/static/../../etc/passwd",
                    "/%00",
                    "/api/get/%ff%fe",
                )
            ),
        ), None

    def http_key(self) -> str:
        return self.rng.choice(
            (
                "str",
                "hash",
                "missing",
                "a%20b",
                "%00",
                "%ff?encoding=base64",
                "AGJpbg0K?encoding=base64",
                "!!?encoding=base64",
                "x" * 3000,
                "a/b/c",
                "",
            )
        )

    def command_body(self) -> tuple[bytes, str | None]:
        rng = self.rng
        roll = rng.random()
        if roll < 0.08:  # not a well-formed command document
            return rng.choice(
                (
                    b"",
                    b"{",
                    b"[]",
                    b"[[]]",
                    b"null",
                    b"5",
                    b'"PING"',
                    b'{"commands": []}',
                    b'["SET", "k", {"a": 1}]',
                    b'["GET", null]',
                    b"[true]",
                    b"[1e400]",
                    b'["ECHO", 123456789012345678901234567890]',
                    b"\xff\xfe",
                    b"[" * 100000 + b"]" * 100000,
                    b"[" * 1000 + b"]" * 1000,
                    b'{"commands": [["PING"]], "transaction": 1}',
                    b'{"commands": [["PING"]], "x": 1}',
                    b'["PING"' + b', "x"' * 20000 + b"]",
                )
            ), None
        commands = [self.command(door="http") for _ in range(1 if roll < 0.7 else rng.randint(1, 5))]
        if "http-pubsub" not in self.exclude and rng.random() < 0.02:
            commands[rng.randrange(len(commands))] = rng.choice(
                ([b"MONITOR"], [b"SUBSCRIBE", b"ch"], [b"PSUBSCRIBE", b"ch*"], [b"SSUBSCRIBE", b"ch"])
            )
        known = "http-pubsub" if any(argv[0].lower() in HTTP_SUBSCRIBERS for argv in commands) else None
        base64_needed = any(not _is_text(arg) for argv in commands for arg in argv)
        encode = (lambda arg: base64.b64encode(arg).decode()) if base64_needed else (lambda arg: arg.decode())
        documents = [[encode(arg) for arg in argv] for argv in commands]
        if not base64_needed and rng.random() < 0.1:  # numbers where strings were
            for document in documents:
                for index, _arg in enumerate(document):
                    if rng.random() < 0.3:
                        document[index] = rng.choice((1, -1, 2**64, 1.5, 1e308, True, None))
        if len(documents) == 1 and not base64_needed and rng.random() < 0.7:
            body = documents[0]
        elif rng.random() < 0.5 and not base64_needed:
            body = documents
        else:
            body = {"commands": documents, "transaction": rng.random() < 0.5}
            if base64_needed:
                body["encoding"] = "base64"
        return json.dumps(body).encode(), known

    def http(self, method: str, path: str, body: bytes = b"") -> bytes:
        rng = self.rng
        headers = [b"Host: 127.0.0.1"]
        if body or method == "POST":
            headers.append(rng.choice((b"Content-Type: application/json",) * 8 + (b"Content-Type: text/plain", b"")))
            if rng.random() < 0.05:
                chunks = b"".join(
                    b"%x\r\n%s\r\n" % (len(body[i : i + 500]), body[i : i + 500]) for i in range(0, len(body), 500)
                )
                return self.http_head(method, path, headers + [b"Transfer-Encoding: chunked"]) + chunks + b"0\r\n\r\n"
            headers.append(b"Content-Length: %d" % len(body))
        if rng.random() < 0.05:
            headers.append(
                rng.choice(
                    (
                        b"Authorization: Bearer nope",
                        b"Authorization: Basic !!!",
                        b"Accept: application/openmetrics-text",
                        b"X-Odd: \xff",
                    )
                )
            )
        return self.http_head(method, path, headers) + body

    @staticmethod
    def http_head(method: str, path: str, headers: list[bytes]) -> bytes:
        return b"%s %s HTTP/1.1\r\n%s\r\n\r\n" % (
            method.encode(),
            path.encode("utf-8", "surrogateescape"),
            b"\r\n".join(header for header in headers if header),
        )

    # -- the deny-list and the known classes --------------------------------------------------------------

    def refusal(self, argv: list[bytes], door: str = "tcp") -> str | None:
        """Why this command must not be sent (a deny-list entry, or an excluded known class), or None."""
        if not argv:
            return "empty"
        name = argv[0].lower()
        sub = argv[1].lower() if len(argv) > 1 else b""
        if name in DENIED_COMMANDS:
            return DENIED_COMMANDS[name]
        if name == b"debug" and sub == b"sleep" and len(argv) == 3:
            # read as the server reads it: strtod takes a number's prefix ("1e3x" is 1000) and hex floats
            if math.isfinite(slept := strtod(argv[2])[0]) and slept > MAX_SLEEP_S:
                return "DEBUG SLEEP stalls the server"
            seconds = _float(argv[2])
            if seconds is not None and not math.isfinite(seconds) and "debug-sleep" in self.exclude:
                return "known: debug-sleep"
        if name == b"script" and sub == b"flush" and "lua-state-cycle" in self.exclude:
            return "found: lua-state-cycle"
        if name == b"debug" and sub == b"object" and "debug-object" in self.exclude:
            return "found: debug-object"
        if name == b"debug" and sub == b"populate" and len(argv) >= 3:
            count, size = _int(argv[2]) or 0, (_int(argv[4]) if len(argv) > 4 else 10) or 0
            if count * max(size, 10) > MAX_POPULATE_BYTES or size > MAX_POPULATE_BYTES:
                return "DEBUG POPULATE that large is legitimate work"
        if name == b"client" and sub == b"pause" and len(argv) > 2 and (_int(argv[2]) or 0) > MAX_PAUSE_MS:
            return "CLIENT PAUSE stalls clients"
        if name == b"config" and sub == b"set":
            for parameter, value in zip(argv[2::2], argv[3::2]):
                reason = self.config_refusal(parameter.lower().decode("latin-1"), value)
                if reason:
                    return reason
        if name in RANDOM_COUNT_COMMANDS and len(argv) > 2 and (_int(argv[2]) or 0) < -MAX_RANDOM_COUNT:
            return "a huge negative count is legitimate work"
        if name == b"lcs" and any(key not in LCS_KEYS for key in argv[1:3]):
            return "LCS of grown strings is legitimate (quadratic) work"
        patterns = pattern_arguments(argv)
        if "glob" in self.exclude and any(pattern.count(b"*") >= GLOB_STARS for pattern in patterns):
            return "known: glob"
        if "glob-cache" in self.exclude and any(len(pattern) > GLOB_CACHE_LEN for pattern in patterns):
            return "found: glob-cache"
        if door == "http":
            if name in HTTP_SUBSCRIBERS and "http-pubsub" in self.exclude:
                return "known: http-pubsub"
            if name in (b"sync", b"psync"):
                return "streams an RDB file forever"
        return None

    def config_refusal(self, parameter: str, value: bytes) -> str | None:
        if parameter in DENIED_CONFIG:
            return DENIED_CONFIG[parameter]
        if parameter == "tcp-keepalive" and "keepalive" in self.exclude and (_int(value) or 0) > MAX_KEEPALIVE:
            return "known: keepalive"
        if parameter == "client-output-buffer-limit" and "output-buffer" in self.exclude:
            return "known: output-buffer"
        return None

    def known_of(self, argv: list[bytes]) -> str | None:
        """The known defect class a (permitted) command exercises, for attributing findings."""
        name = argv[0].lower()
        sub = argv[1].lower() if len(argv) > 1 else b""
        if name == b"debug" and sub == b"sleep" and len(argv) == 3:
            seconds = _float(argv[2])
            if seconds is not None and not math.isfinite(seconds):
                return "debug-sleep"
        if name == b"debug" and sub == b"object":
            return "debug-object"
        if name == b"script" and sub == b"flush":
            return "lua-state-cycle"
        if name == b"config" and sub == b"set":
            for parameter, value in zip(argv[2::2], argv[3::2]):
                parameter = parameter.lower()
                if parameter == b"tcp-keepalive" and (_int(value) or 0) > MAX_KEEPALIVE:
                    return "keepalive"
                if parameter == b"client-output-buffer-limit":
                    return "output-buffer"
        patterns = pattern_arguments(argv)
        if any(pattern.count(b"*") >= GLOB_STARS for pattern in patterns):
            return "glob"
        if any(len(pattern) > GLOB_CACHE_LEN for pattern in patterns):
            return "glob-cache"
        return None


def pattern_arguments(argv: list[bytes]) -> list[bytes]:
    """The arguments of a command that the server matches as glob patterns."""
    name = argv[0].lower()
    sub = argv[1].lower() if len(argv) > 1 else b""
    if name == b"keys":
        return argv[1:2]
    if name in (b"psubscribe", b"punsubscribe"):
        return argv[1:]
    if name == b"pubsub" and sub in (b"channels", b"shardchannels"):
        return argv[2:3]
    if name == b"config" and sub == b"get":
        return argv[2:]
    token = {
        b"scan": b"match",
        b"sscan": b"match",
        b"hscan": b"match",
        b"zscan": b"match",
        b"function": b"libraryname",
        b"command": b"pattern",
    }.get(name)
    if token is None:
        return []
    return [value for option, value in itertools.pairwise(argv) if option.lower() == token]


def _is_text(arg: bytes) -> bool:
    try:
        arg.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _int(arg: bytes) -> int | None:
    try:
        return int(arg)
    except ValueError:
        return None


def _float(arg: bytes) -> float | None:
    """As strtold reads it (hex included, which Redis accepts): the laxest reading, for the deny-list."""
    try:
        return float(arg)
    except ValueError:
        pass
    try:
        return float.fromhex(arg.decode("latin-1"))
    except ValueError:
        return None
