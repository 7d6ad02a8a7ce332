"""A script past busy-reply-threshold while other clients use transactions, WATCH, blocking commands, the AOF
and SHUTDOWN: three real clients (the script's, a transaction's, an administrator's), each test run against
RedisLite and against a real redis-server, which must agree.

Redis's rules (processCommand, scriptKill, execCommandAbort): while a script is busy only the `allow_busy`
commands run (MULTI, DISCARD, WATCH, UNWATCH, SCRIPT KILL, FUNCTION KILL, FUNCTION STATS, SHUTDOWN, AUTH,
HELLO, QUIT, RESET); any other gets -BUSY, which dooms a transaction being queued; EXEC itself is refused as
"EXECABORT Transaction discarded because of: BUSY ..." and discards the transaction. Every test ends with the
server answering PING, so a script left running fails the test instead of the next one."""

import socket
import time

import pytest
import redis

from ..servers import real_redis, redis_server_path, redislite
from .test_blocking import in_background

THRESHOLD_MS = "50"
BUSY_EVAL = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_FUNCTION = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
BUSY_ABORT = "EXECABORT Transaction discarded because of: " + BUSY_EVAL
PREVIOUS_ERRORS = "EXECABORT Transaction discarded because of previous errors."
UNKILLABLE = (
    "UNKILLABLE Sorry the script already executed write commands against the dataset. You can either "
    "wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
)
NOTBUSY = "NOTBUSY No scripts in execution right now."
KILLED = "ERR Script killed by user with SCRIPT KILL... script: "
LOOP_FOREVER = "while true do end"
# Spins for ARGV[1] microseconds of TIME, so a script can stay busy for a bounded time after it wrote.
SPIN = (
    "local function now() local t = redis.call('time') return t[1] * 1000000 + t[2] end "
    "local deadline = now() + tonumber(ARGV[1]) while now() < deadline do end "
)

KINDS = ["redislite", "redis"]


def start(kind: str, *args: str, cwd=None):
    if kind == "redis" and redis_server_path() is None:
        pytest.skip("redis-server is not installed")
    factory = redislite if kind == "redislite" else real_redis
    return factory("--busy-reply-threshold", THRESHOLD_MS, *args, cwd=cwd)


@pytest.fixture(scope="module", params=KINDS)
def busy_server(request, tmp_path_factory):
    with start(request.param, cwd=tmp_path_factory.mktemp(request.param)) as process:
        yield process


def raw_client(server):
    """A connected redis-py client (answered once, so the server knows it) that returns replies as sent."""
    client = redis.Redis(port=server.port, protocol=2, socket_timeout=30)
    client.response_callbacks.clear()
    client.ping()
    return client


@pytest.fixture
def connect(busy_server):
    """Clients on the module's server; afterwards no script may be left running (one a failed test left is
    stopped, so the next test starts clean)."""
    made = []

    def make():
        made.append(raw_client(busy_server))
        return made[-1]

    admin = make()
    admin.flushall()
    admin.function_flush()
    yield make
    try:
        deadline = time.monotonic() + 15
        while answer(admin, "PING") != b"PONG":
            assert time.monotonic() < deadline, "a script is still running"
            answer(admin, "SCRIPT", "KILL")
            answer(admin, "FUNCTION", "KILL")
            time.sleep(0.05)
    finally:
        for client in made:
            client.close()


def info_field(client, section: str, name: str) -> dict:
    """One line of INFO as a dict: cmdstat_exec -> {"calls": "1", ...}."""
    for line in client.execute_command("INFO", section).decode().splitlines():
        if line.startswith(name + ":"):
            value = line.split(":", 1)[1]
            return dict(part.split("=", 1) for part in value.split(",")) if "=" in value else {name: value}
    raise AssertionError(f"no {name} in INFO {section}")


def answer(client, *args):
    """The reply, or the error line as the server sent it (redis-py strips the codes it knows)."""
    try:
        return client.execute_command(*args)
    except redis.ResponseError as error:
        code = getattr(error, "status_code", None)
        return ("error", f"{code} {error}" if code else str(error))


def error_text(result) -> str:
    assert isinstance(result, redis.ResponseError), result
    code = getattr(result, "status_code", None)
    return f"{code} {result}" if code else str(result)


def run_script(client, script: str, *args):
    """EVAL in a thread on `client` (the script's connection); returns the getter of its result."""
    return in_background(client.eval, script, *args)


def wait_until_busy(client, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while answer(client, "PING") not in (("error", BUSY_EVAL), ("error", BUSY_FUNCTION)):
        assert time.monotonic() < deadline, "the script never became busy"
        time.sleep(0.01)


# -- MULTI / EXEC / DISCARD around a busy script -------------------------------------------------------------


def test_multi_during_a_busy_script_is_allowed_and_a_refused_command_dooms_it(connect):
    admin, runner, client = connect(), connect(), connect()
    admin.set("xx", 1)
    result = run_script(runner, LOOP_FOREVER, 0)
    wait_until_busy(admin)
    assert answer(client, "MULTI") == b"OK"
    assert answer(client, "INCR", "xx") == ("error", BUSY_EVAL)
    assert answer(admin, "SCRIPT", "KILL") == b"OK"
    assert error_text(result(10)).startswith(KILLED)
    assert answer(client, "INCR", "xx") == b"QUEUED"
    assert answer(client, "EXEC") == ("error", PREVIOUS_ERRORS)
    assert admin.get("xx") == b"1"
    assert answer(client, "ECHO", "asdf") == b"asdf"  # out of MULTI


def test_exec_during_a_busy_script_aborts_and_discards_the_transaction(connect):
    admin, runner, client = connect(), connect(), connect()
    admin.set("xx", 1)
    admin.config_resetstat()
    assert answer(client, "MULTI") == b"OK"
    assert answer(client, "INCR", "xx") == b"QUEUED"
    result = run_script(runner, LOOP_FOREVER, 0)
    wait_until_busy(admin)
    assert answer(client, "EXEC") == ("error", BUSY_ABORT)
    assert answer(client, "EXEC") == ("error", BUSY_ABORT)  # refused before it could say "without MULTI"
    assert answer(admin, "SCRIPT", "KILL") == b"OK"
    assert error_text(result(10)).startswith(KILLED)
    assert admin.get("xx") == b"1"
    assert answer(client, "ECHO", "asdf") == b"asdf"
    assert answer(client, "EXEC") == ("error", "ERR EXEC without MULTI")
    stats = info_field(admin, "commandstats", "cmdstat_exec")
    assert (stats["calls"], stats["rejected_calls"]) == ("1", "2")
    assert info_field(admin, "errorstats", "errorstat_EXECABORT") == {"count": "2"}


def test_a_command_queued_during_the_script_dooms_exec_after_the_kill(connect):
    admin, runner, client = connect(), connect(), connect()
    admin.set("xx", 1)
    assert answer(client, "MULTI") == b"OK"
    assert answer(client, "INCR", "xx") == b"QUEUED"
    result = run_script(runner, LOOP_FOREVER, 0)
    wait_until_busy(admin)
    assert answer(client, "INCR", "xx") == ("error", BUSY_EVAL)
    assert answer(admin, "SCRIPT", "KILL") == b"OK"
    assert error_text(result(10)).startswith(KILLED)
    assert answer(client, "EXEC") == ("error", PREVIOUS_ERRORS)
    assert admin.get("xx") == b"1"
    assert answer(client, "ECHO", "asdf") == b"asdf"


def test_discard_during_a_busy_script_leaves_the_transaction(connect):
    admin, runner, client = connect(), connect(), connect()
    admin.set("xx", 1)
    assert answer(client, "MULTI") == b"OK"
    assert answer(client, "INCR", "xx") == b"QUEUED"
    result = run_script(runner, LOOP_FOREVER, 0)
    wait_until_busy(admin)
    assert answer(client, "DISCARD") == b"OK"
    assert answer(client, "INCR", "xx") == ("error", BUSY_EVAL)  # refused, not queued
    assert answer(client, "MULTI") == b"OK"
    assert answer(client, "WATCH", "xx") == ("error", "ERR WATCH inside MULTI is not allowed")
    assert answer(client, "SHUTDOWN", "NOSAVE") == ("error", "ERR Command not allowed inside a transaction")
    assert answer(client, "SCRIPT", "KILL") == b"QUEUED"  # allowed while busy, so queued like any other
    assert answer(client, "DISCARD") == b"OK"
    assert answer(admin, "SCRIPT", "KILL") == b"OK"
    assert error_text(result(10)).startswith(KILLED)
    assert answer(client, "EXEC") == ("error", "ERR EXEC without MULTI")
    assert admin.get("xx") == b"1"


def test_a_transaction_started_during_the_script_runs_after_the_kill(connect):
    admin, runner, client = connect(), connect(), connect()
    admin.set("xx", 1)
    result = run_script(runner, LOOP_FOREVER, 0)
    wait_until_busy(admin)
    assert answer(client, "MULTI") == b"OK"
    assert answer(admin, "SCRIPT", "KILL") == b"OK"
    assert error_text(result(10)).startswith(KILLED)
    assert answer(client, "INCR", "xx") == b"QUEUED"
    assert answer(client, "EXEC") == [2]


def test_a_busy_script_inside_exec_is_killed_and_the_rest_of_exec_runs(connect):
    admin, runner, _ = connect(), connect(), connect()
    admin.set("xx", 1)
    assert answer(runner, "MULTI") == b"OK"
    for args in (("INCR", "xx"), ("EVAL", LOOP_FOREVER, "0"), ("INCR", "xx")):
        assert answer(runner, *args) == b"QUEUED"
    result = in_background(runner.execute_command, "EXEC")
    wait_until_busy(admin)
    assert answer(admin, "INCR", "xx") == ("error", BUSY_EVAL)
    assert answer(admin, "SCRIPT", "KILL") == b"OK"
    first, killed, last = result(10)
    assert (first, last) == (2, 3)
    assert error_text(killed).startswith(KILLED)
    assert admin.get("xx") == b"3"


# -- WATCH --------------------------------------------------------------------------------------------------


def test_watch_during_a_busy_script_sees_what_the_script_writes_afterwards(connect):
    admin, runner, watcher, bystander = connect(), connect(), connect(), connect()
    admin.mset({"k": "before", "other": "1"})
    result = run_script(runner, SPIN + "redis.call('set', KEYS[1], 'script') return 'done'", 1, "k", 1_500_000)
    wait_until_busy(admin)
    assert answer(watcher, "WATCH", "k") == b"OK"
    assert answer(bystander, "WATCH", "other") == b"OK"
    assert result(10) == b"done"
    for client in (watcher, bystander):
        assert answer(client, "MULTI") == b"OK"
        assert answer(client, "SET", "k", "mine") == b"QUEUED"
    assert answer(watcher, "EXEC") is None  # the script changed k after the WATCH
    assert answer(bystander, "EXEC") == [b"OK"]
    assert admin.get("k") == b"mine"


def test_unwatch_during_a_busy_script_forgets_the_keys(connect):
    admin, runner, client = connect(), connect(), connect()
    assert answer(client, "WATCH", "k") == b"OK"
    result = run_script(runner, SPIN + "redis.call('set', KEYS[1], 'script') return 'done'", 1, "k", 500_000)
    wait_until_busy(admin)
    assert answer(client, "UNWATCH") == b"OK"
    assert result(10) == b"done"
    assert answer(client, "MULTI") == b"OK"
    assert answer(client, "GET", "k") == b"QUEUED"
    assert answer(client, "EXEC") == [b"script"]


# -- scripts that wrote, functions, and which KILL applies ---------------------------------------------------


def test_a_script_that_wrote_is_unkillable_and_refuses_exec_until_it_ends(connect):
    admin, runner, client = connect(), connect(), connect()
    admin.set("xx", 1)
    result = run_script(runner, "redis.call('set', 'w', '1') " + SPIN + "return 'done'", 0, 1_000_000)
    wait_until_busy(admin)
    assert answer(admin, "SCRIPT", "KILL") == ("error", UNKILLABLE)
    assert answer(admin, "FUNCTION", "KILL") == ("error", UNKILLABLE)  # checked before the kind of script
    assert answer(client, "MULTI") == b"OK"
    assert answer(client, "INCR", "xx") == ("error", BUSY_EVAL)
    assert answer(client, "EXEC") == ("error", BUSY_ABORT)
    assert result(10) == b"done"
    assert admin.mget("w", "xx") == [b"1", b"1"]
    assert answer(admin, "SCRIPT", "KILL") == ("error", NOTBUSY)


def test_function_kill_does_not_stop_an_eval_script(connect):
    admin, runner = connect(), connect()
    result = run_script(runner, LOOP_FOREVER, 0)
    wait_until_busy(admin)
    assert answer(admin, "FUNCTION", "KILL") == ("error", BUSY_EVAL)
    assert answer(admin, "FUNCTION", "STATS") == ("error", BUSY_EVAL)  # it reports running functions only
    assert answer(admin, "SCRIPT", "KILL") == b"OK"
    assert error_text(result(10)).startswith(KILLED)
    assert answer(admin, "FUNCTION", "KILL") == ("error", NOTBUSY)


def test_script_kill_does_not_stop_a_function_and_exec_names_the_function_kill(connect):
    admin, runner, client = connect(), connect(), connect()
    admin.function_load(
        "#!lua name=spin\nredis.register_function('spin', function() while true do end end)", replace=True
    )
    assert answer(client, "MULTI") == b"OK"
    result = in_background(runner.fcall, "spin", 0)
    wait_until_busy(admin)
    assert answer(admin, "SCRIPT", "KILL") == ("error", BUSY_FUNCTION)
    assert answer(client, "GET", "x") == ("error", BUSY_FUNCTION)
    assert answer(client, "EXEC") == ("error", "EXECABORT Transaction discarded because of: " + BUSY_FUNCTION)
    assert answer(admin, "FUNCTION", "KILL") == b"OK"
    assert error_text(result(10)).startswith(KILLED + "spin")
    assert answer(admin, "FUNCTION", "KILL") == ("error", NOTBUSY)


# -- connections accepted around the script's start ----------------------------------------------------------


def read_line(sock: socket.socket, timeout: float) -> bytes:
    """One reply line from a raw socket ("" once the server closed it); socket.timeout after `timeout`."""
    sock.settimeout(timeout)
    line = b""
    while not line.endswith(b"\r\n"):
        chunk = sock.recv(1)
        if not chunk:
            return line
        line += chunk
    return line


@pytest.mark.parametrize("kind", KINDS)
def test_a_connection_accepted_just_before_the_script_started_can_kill_it(kind, tmp_path):
    """The fuzzer's "busy-accept": the server accepted a connection and the script started in the same loop
    turn, before the connection had a client (uvloop set it up a turn later), so nothing read its SCRIPT KILL
    and `while true do end` wedged the server. A third client's DEBUG SLEEP holds the server while the new
    connection arrives and then the EVAL: both are ready on the same loop turn, the connection first (the
    sleeper's own connection must not send the EVAL: the poller would report it first)."""
    debug = ("--enable-debug-command", "yes") if kind == "redis" else ()
    eval_forever = b'EVAL "%s" 0\r\n' % LOOP_FOREVER.encode()
    not_busy = b"-%s\r\n" % NOTBUSY.encode()
    with (
        start(kind, *debug, cwd=tmp_path) as server,
        socket.create_connection(("127.0.0.1", server.port)) as runner,
        socket.create_connection(("127.0.0.1", server.port)) as sleeper,
    ):
        for _ in range(20):
            sleeper.sendall(b"DEBUG SLEEP 0.1\r\n")
            time.sleep(0.02)  # the server is asleep: the connection and then the EVAL wait for it
            with socket.create_connection(("127.0.0.1", server.port)) as newcomer:
                runner.sendall(eval_forever)
                newcomer.sendall(b"SCRIPT KILL\r\n")
                deadline = time.monotonic() + 2
                while (reply := read_line(newcomer, max(deadline - time.monotonic(), 0.01))) == not_busy:
                    time.sleep(0.01)  # the script had not started yet: again
                    newcomer.sendall(b"SCRIPT KILL\r\n")
                assert reply == b"+OK\r\n"
                assert read_line(sleeper, 5) == b"+OK\r\n"
                assert read_line(runner, 5).startswith(b"-" + KILLED.encode())
                newcomer.sendall(b"PING\r\n")
                assert read_line(newcomer, 5) == b"+PONG\r\n"


# -- blocked clients ----------------------------------------------------------------------------------------


def test_a_blocked_client_is_served_after_the_script_not_by_commands_run_meanwhile(connect):
    admin, runner, blocked, other = connect(), connect(), connect(), connect()
    popped = in_background(blocked.blpop, ["x"], 0)
    deadline = time.monotonic() + 10
    while info_field(admin, "clients", "blocked_clients") != {"blocked_clients": "1"}:
        assert time.monotonic() < deadline, "the BLPOP never blocked"
        time.sleep(0.01)
    script = "redis.call('lpush', KEYS[1], 'y') " + SPIN + "redis.call('lpush', KEYS[1], 'z') return 'done'"
    result = run_script(runner, script, 1, "x", 500_000)
    wait_until_busy(admin)
    # Commands allowed while busy must not serve the BLPOP with half of the script's effects.
    assert b"redis" in str(answer(other, "HELLO", "2", "SETNAME", "meanwhile")).encode()
    assert answer(other, "MULTI") == b"OK"
    assert answer(other, "DISCARD") == b"OK"
    assert result(10) == b"done"
    assert popped(10) == [b"x", b"z"]
    assert admin.lrange("x", 0, -1) == [b"y"]


# -- the AOF and SHUTDOWN -----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_other_clients_are_answered_during_a_script_that_wrote_with_the_aof_on(kind, tmp_path):
    with start(kind, "--appendonly", "yes", cwd=tmp_path) as server:
        admin, runner = raw_client(server), raw_client(server)
        admin.set("before", 1)
        sent = time.monotonic()
        result = run_script(runner, "redis.call('set', 'w', '1') " + SPIN + "return 'done'", 0, 4_000_000)
        wait_until_busy(admin)  # not after the script: its writes do not hold replies that do not depend on them
        assert time.monotonic() - sent < 3
        assert answer(admin, "SCRIPT", "KILL") == ("error", UNKILLABLE)
        assert result(10) == b"done"
        assert admin.mget("before", "w") == [b"1", b"1"]
        admin.close()
        runner.close()


@pytest.mark.parametrize("kind", KINDS)
def test_shutdown_must_say_nosave_while_a_script_is_busy(kind, tmp_path):
    with start(kind, cwd=tmp_path) as server:
        admin, runner = raw_client(server), raw_client(server)
        result = run_script(runner, LOOP_FOREVER, 0)
        wait_until_busy(admin)
        assert answer(admin, "CONFIG", "RESETSTAT") == ("error", BUSY_EVAL)
        assert answer(admin, "SHUTDOWN") == ("error", BUSY_EVAL)
        assert answer(admin, "SHUTDOWN", "SAVE") == ("error", BUSY_EVAL)
        assert answer(admin, "SHUTDOWN", "ABORT") == ("error", "ERR No shutdown in progress.")
        assert answer(admin, "SHUTDOWN", "NOSAVE", "SAVE") == ("error", "ERR syntax error")
        assert answer(admin, "SCRIPT", "KILL") == b"OK"
        assert error_text(result(10)).startswith(KILLED)
        stats = info_field(admin, "commandstats", "cmdstat_shutdown")  # refused by the command, not before it
        assert (stats["calls"], stats["failed_calls"], stats["rejected_calls"]) == ("4", "4", "0")
        result = run_script(runner, LOOP_FOREVER, 0)
        wait_until_busy(admin)
        with pytest.raises(redis.ConnectionError):
            admin.execute_command("SHUTDOWN", "NOSAVE")
        server.process.wait(10)
        assert isinstance(result(10), (redis.ConnectionError, redis.ResponseError))  # Redis exits at once
        admin.close()
        runner.close()


@pytest.mark.parametrize("kind", ["redislite", "redis"])
def test_shutdown_nosave_during_a_script_that_wrote_persists_none_of_its_writes(kind, tmp_path):
    with start(kind, "--appendonly", "yes", cwd=tmp_path) as server:
        admin, runner = raw_client(server), raw_client(server)
        admin.set("before", 1)
        run_script(runner, "redis.call('set', 'partial', '1') " + LOOP_FOREVER, 0)
        wait_until_busy(admin)
        assert answer(admin, "SCRIPT", "KILL") == ("error", UNKILLABLE)
        with pytest.raises(redis.ConnectionError):
            admin.execute_command("SHUTDOWN", "NOSAVE")
        server.process.wait(10)
    with start(kind, "--appendonly", "yes", cwd=tmp_path) as server:
        admin = raw_client(server)
        assert admin.mget("before", "partial") == [b"1", None]
        admin.close()
