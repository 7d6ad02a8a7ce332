"""load_settings: precedence defaults < .env < REDISLITE_* < config file < flags, seed names, bad values."""

import pytest

from redislite.config import load_settings
from redislite.errors import ConfigError


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    import os

    for name in list(os.environ):
        if name.startswith("REDISLITE_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_defaults(tmp_path):
    settings, _ = load_settings([], env_file=None)
    assert (settings.port, settings.http_port, settings.maxmemory_policy, settings.hz) == (6379, 8000, "noeviction", 10)


def test_precedence_env_file_env_config_file_flags(tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("REDISLITE_TCP_PORT=1001\nREDISLITE_MAX_MEMORY_MB=1\nREDISLITE_LOG_LEVEL=debug\n")
    assert load_settings([], env_file=tmp_path / ".env")[0].port == 1001
    monkeypatch.setenv("REDISLITE_TCP_PORT", "1002")
    monkeypatch.setenv("REDISLITE_MAX_MEMORY_MB", "2")
    settings, _ = load_settings([], env_file=tmp_path / ".env")
    assert (settings.port, settings.maxmemory, settings.loglevel) == (1002, 2 * 1024**2, "debug")
    conf = tmp_path / "redis.conf"
    conf.write_text("port 1003\nmaxmemory 3mb\n")
    settings, _ = load_settings([str(conf)], env_file=tmp_path / ".env")
    assert (settings.port, settings.maxmemory) == (1003, 3 * 1024**2)
    settings, _ = load_settings([str(conf), "--port", "1004"], env_file=tmp_path / ".env")
    assert (settings.port, settings.maxmemory) == (1004, 3 * 1024**2)


@pytest.mark.parametrize(
    "name,value,field,expected",
    [
        ("REDISLITE_TCP_PORT", "7000", "port", 7000),
        ("REDISLITE_HTTP_PORT", "0", "http_port", 0),
        ("REDISLITE_HOST", "0.0.0.0", "bind", "0.0.0.0"),
        ("REDISLITE_MAX_MEMORY_MB", "64", "maxmemory", 64 * 1024**2),
        ("REDISLITE_EVICTION_POLICY", "allkeys-lru", "maxmemory_policy", "allkeys-lru"),
        ("REDISLITE_EVICTION_POLICY", "lru", "maxmemory_policy", "allkeys-lru"),
        ("REDISLITE_TTL_CHECK_INTERVAL_MS", "100", "hz", 10),
        ("REDISLITE_TTL_CHECK_INTERVAL_MS", "10", "hz", 100),
        ("REDISLITE_PERSISTENCE_ENABLED", "true", "appendonly", True),
        ("REDISLITE_DATA_DIR", "/tmp/x", "dir", "/tmp/x"),
        ("REDISLITE_AOF_FSYNC_INTERVAL_SECS", "0", "appendfsync", "always"),
        ("REDISLITE_AOF_FSYNC_INTERVAL_SECS", "1", "appendfsync", "everysec"),
        ("REDISLITE_SNAPSHOT_INTERVAL_SECS", "60", "save", "60 1"),
        ("REDISLITE_REPLICA_OF", "10.0.0.1 6380", "replicaof", "10.0.0.1 6380"),
        ("REDISLITE_LOG_LEVEL", "warning", "loglevel", "warning"),
        ("REDISLITE_METRICS_ENABLED", "false", "metrics_enabled", False),
    ],
)
def test_seed_variables(monkeypatch, name, value, field, expected):
    monkeypatch.setenv(name, value)
    assert getattr(load_settings([], env_file=None)[0], field) == expected


def test_replica_host_and_port(monkeypatch):
    monkeypatch.setenv("REDISLITE_REPLICA_HOST", "10.0.0.2")
    monkeypatch.setenv("REDISLITE_REPLICA_PORT", "6390")
    assert load_settings([], env_file=None)[0].replicaof == "10.0.0.2 6390"


def test_redis_server_style_flags():
    settings, _ = load_settings(
        [
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
            "--port",
            "0",
        ],
        env_file=None,
    )
    assert (
        settings.save,
        settings.appendonly,
        settings.maxmemory,
        settings.maxmemory_policy,
        settings.dbfilename,
        settings.port,
    ) == ("", False, 20 * 1024**2, "allkeys-lru", "x.rdb", 0)


@pytest.mark.parametrize(
    "args,env",
    [
        (["--port", "70000"], {}),
        (["--maxmemory-policy", "sometimes"], {}),
        (["/nonexistent/redis.conf"], {}),
        (["--no-such-option", "1"], {}),
        (["--maxmemory", "lots"], {}),
        ([], {"REDISLITE_TCP_PORT": "abc"}),
        ([], {"REDISLITE_EVICTION_POLICY": "nope"}),
        ([], {"REDISLITE_MAX_MEMORY_MB": "-5"}),
        ([], {"REDISLITE_TTL_CHECK_INTERVAL_MS": "0"}),
        (["stray", "words"], {}),
    ],
)
def test_bad_configuration_raises_config_error(monkeypatch, args, env):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError):
        load_settings(args, env_file=None)
