"""The ACL's cost on the hot path: a client of a user allowed everything is not gated (Engine.execute tests one
flag and skips the checks); a restricted user's clients are, and ACL SETUSER and DELUSER keep the flag right."""

from redislite.config import Settings
from redislite.engine.client import Client
from redislite.engine.core import Engine
from redislite.engine.state import ServerState


def make_server():
    state = ServerState(Settings(_env_file=None, save=""))
    Engine(state)
    return state


def run(state, client, *args):
    return state.engine.execute(client, [arg.encode() if isinstance(arg, str) else arg for arg in args])


def test_the_default_user_with_every_permission_is_not_gated():
    state = make_server()
    client = Client(state)
    assert (client.gated, client.acl_limited) == (False, False)
    assert run(state, client, "SET", "k", "v") == b"OK"


def test_a_restricted_users_clients_are_gated_and_follow_its_changes():
    state = make_server()
    admin, client = Client(state), Client(state)
    state.clients.update({admin.id: admin, client.id: client})
    assert run(state, admin, "ACL", "SETUSER", "u", "on", "nopass", "~*", "&*", "+@all") == b"OK"
    assert run(state, client, "AUTH", "u", "x") == b"OK"
    assert not client.gated  # every command, key and channel: nothing to check
    assert run(state, admin, "ACL", "SETUSER", "u", "-set") == b"OK"
    assert client.gated and client.acl_limited
    assert run(state, client, "SET", "k", "v").startswith(b"NOPERM")
    assert run(state, admin, "ACL", "SETUSER", "u", "+@all") == b"OK"  # allcommands again
    assert not client.gated
    assert run(state, client, "SET", "k", "v") == b"OK"


def test_restricting_the_default_user_gates_new_clients_too():
    state = make_server()
    admin = Client(state)
    assert run(state, admin, "ACL", "SETUSER", "default", "resetkeys", "~app:*") == b"OK"
    fresh = Client(state)
    assert fresh.gated
    assert run(state, fresh, "GET", "other").startswith(b"NOPERM")
    assert run(state, fresh, "GET", "app:1") is None
