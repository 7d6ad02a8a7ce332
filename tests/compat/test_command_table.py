"""The command table against a real redis-server: COMMAND INFO must agree on arity, flags and key positions for
every command both servers have; COMMAND DOCS must have the shape redis-cli 7 reads."""

import pytest
import redis

KNOWN_EXTRAS = {"client|setinfo", "client|no-touch"}  # Redis 7.2 additions that redis-py 8 relies on


def raw_client(port: int) -> redis.Redis:
    client = redis.Redis(port=port, protocol=2)
    client.response_callbacks.clear()
    return client


def flatten_info(entries: list) -> dict:
    """name -> (arity, flags, first, last, step, acl categories, key specs), subcommands included."""
    table = {}

    def walk(entry):
        name, arity, flags, first, last, step, categories, _, key_specs = entry[:9]
        table[name.decode()] = {
            "arity": arity,
            "flags": sorted(flag.decode() for flag in flags),
            "keys": (first, last, step),
            "categories": sorted(category.decode() for category in categories),
            "key_specs": key_specs,
        }
        for sub in entry[9]:
            walk(sub)

    for entry in entries:
        walk(entry)
    return table


@pytest.fixture(scope="module")
def tables(server, oracle):
    ours, theirs = raw_client(server.port), raw_client(oracle.port)
    yield flatten_info(ours.execute_command("COMMAND")), flatten_info(theirs.execute_command("COMMAND"))
    ours.close()
    theirs.close()


def common_names(tables) -> list[str]:
    ours, theirs = tables
    return sorted(set(ours) & set(theirs))


@pytest.mark.parametrize("field", ["arity", "flags", "keys", "categories", "key_specs"])
def test_command_info_matches_redis_for_every_shared_command(tables, field):
    ours, theirs = tables
    different = {
        name: (ours[name][field], theirs[name][field])
        for name in common_names(tables)
        if ours[name][field] != theirs[name][field]
    }
    assert different == {}


def test_every_command_we_have_exists_in_redis(tables):
    ours, theirs = tables
    assert set(ours) - set(theirs) - KNOWN_EXTRAS == set()


def test_command_count_is_the_number_of_top_level_commands(server):
    client = raw_client(server.port)
    assert client.execute_command("COMMAND", "COUNT") == len(client.execute_command("COMMAND")) > 20
    client.close()


def test_command_info_entry_has_redis_7_shape(server):
    client = raw_client(server.port)
    (entry,) = client.execute_command("COMMAND", "INFO", "get")
    assert len(entry) == 10
    name, arity, flags, first, last, step, categories, tips, key_specs, subcommands = entry
    assert (name, arity, first, last, step) == (b"get", 2, 1, 1, 1)
    assert set(flags) == {b"readonly", b"fast"} and set(categories) == {b"@read", b"@string", b"@fast"}
    assert tips == [] and subcommands == []
    (spec,) = key_specs
    spec = dict(zip(spec[::2], spec[1::2]))
    assert spec[b"begin_search"] == [b"type", b"index", b"spec", [b"index", 1]]
    assert spec[b"find_keys"] == [b"type", b"range", b"spec", [b"lastkey", 0, b"keystep", 1, b"limit", 0]]
    client.close()


def test_command_info_of_unknown_command_is_null_and_subcommands_resolve(server):
    client = raw_client(server.port)
    unknown, subcommand = client.execute_command("COMMAND", "INFO", "nosuch", "config|get")
    assert unknown is None and subcommand[0] == b"config|get" and subcommand[1] == -3
    client.close()


def test_command_docs_shape_matches_redis_for_shared_commands(server, oracle):
    ours, theirs = raw_client(server.port), raw_client(oracle.port)
    names = [name.decode() for name in ours.execute_command("COMMAND", "LIST") if b"|" not in name]
    our_docs = ours.execute_command("COMMAND", "DOCS", *names)
    their_docs = theirs.execute_command("COMMAND", "DOCS", *names)
    ours_by_name = dict(zip(our_docs[::2], our_docs[1::2]))
    theirs_by_name = dict(zip(their_docs[::2], their_docs[1::2]))
    mismatched = {}
    for name, their_doc in theirs_by_name.items():
        our_doc = dict(zip(ours_by_name[name][::2], ours_by_name[name][1::2]))
        their_doc = dict(zip(their_doc[::2], their_doc[1::2]))
        assert {b"summary", b"since", b"group"} <= set(our_doc), name
        if our_doc[b"group"] != their_doc[b"group"]:
            mismatched[name] = (our_doc[b"group"], their_doc[b"group"])
        if b"subcommands" in their_doc:
            their_subs = set(their_doc[b"subcommands"][::2])
            our_subs = set(our_doc.get(b"subcommands", [])[::2])
            assert our_subs <= their_subs | {s.encode() for s in KNOWN_EXTRAS}, name
    assert mismatched == {}
    ours.close()
    theirs.close()


def test_command_docs_arguments_follow_redis_structure(server, oracle):
    ours, theirs = raw_client(server.port), raw_client(oracle.port)

    def arguments(client, name):
        doc = client.execute_command("COMMAND", "DOCS", name)[1]
        return dict(zip(doc[::2], doc[1::2]))[b"arguments"]

    def names_and_types(args):
        out = []
        for argument in args:
            fields = dict(zip(argument[::2], argument[1::2]))
            out.append((fields[b"type"], fields.get(b"token"), names_and_types(fields.get(b"arguments", []))))
        return out

    assert arguments(ours, "get") == arguments(theirs, "get")
    assert names_and_types(arguments(ours, "set")) == names_and_types(arguments(theirs, "set"))
    ours.close()
    theirs.close()


def test_command_docs_for_a_container_lists_its_subcommands(server):
    client = raw_client(server.port)
    docs = client.execute_command("COMMAND", "DOCS", "config")
    config = dict(zip(docs[1][::2], docs[1][1::2]))
    subcommands = dict(zip(config[b"subcommands"][::2], config[b"subcommands"][1::2]))
    assert {b"config|get", b"config|set", b"config|rewrite", b"config|resetstat", b"config|help"} <= set(subcommands)
    client.close()


def test_command_docs_of_unknown_command_is_empty(server):
    assert raw_client(server.port).execute_command("COMMAND", "DOCS", "nosuch") == []


@pytest.mark.parametrize(
    "args",
    [
        ["GET", "k"],
        ["SET", "k", "v", "EX", "10"],
        ["SET", "k", "v", "GET"],
        ["COPY", "a", "b"],
        ["DEL", "a", "b"],
        ["MSET", "a", "1", "b", "2"],
        ["LMOVE", "a", "b", "LEFT", "RIGHT"],
        ["BLMPOP", "0", "2", "a", "b", "LEFT"],
        ["ZUNIONSTORE", "d", "2", "a", "b", "WEIGHTS", "1", "2"],
        ["ZINTERCARD", "1", "a", "LIMIT", "1"],
        ["SINTERCARD", "2", "a", "b"],
        ["EVAL", "return 1", "1", "k", "arg"],
        ["FCALL_RO", "f", "2", "a", "b"],
        ["EVAL", "return 1", "0"],
        ["SORT", "k", "BY", "w*", "LIMIT", "0", "1", "STORE", "d"],
        ["SORT_RO", "k"],
        ["BITFIELD", "k", "GET", "u8", "0"],
        ["BITFIELD", "k", "INCRBY", "u8", "0", "1"],
        ["PFCOUNT", "a", "b"],
        ["OBJECT", "ENCODING", "k"],
        ["MEMORY", "USAGE", "k"],
        ["RESTORE", "k", "0", "x"],
        ["WATCH", "a", "b"],
        ["GEORADIUS", "k", "0", "0", "1", "km", "STORE", "d", "STOREDIST", "e"],
        ["GEORADIUS", "k", "0", "0", "1", "km", "STOREDIST"],
        ["GEORADIUSBYMEMBER", "k", "m", "1", "km", "store", "d"],
        ["GEORADIUS_RO", "k", "0", "0", "1", "km"],
        ["GEOSEARCHSTORE", "d", "k", "FROMMEMBER", "m", "BYRADIUS", "1", "km"],
    ],
)
def test_command_getkeysandflags_matches_redis(server, oracle, args):
    ours, theirs = raw_client(server.port), raw_client(oracle.port)
    assert ours.execute_command("COMMAND", "GETKEYSANDFLAGS", *args) == theirs.execute_command(
        "COMMAND", "GETKEYSANDFLAGS", *args
    )
    ours.close()
    theirs.close()


@pytest.mark.parametrize(
    "args",
    [
        ["GET", "a", "b"],
        ["NOSUCH", "a"],
        ["PING", "x"],
        ["CONFIG", "GET", "x"],
        ["CONFIG", "FOO", "x"],
        ["GET"],
        ["TIME", "x"],
        ["SPUBLISH", "channel", "m"],
        ["ZUNIONSTORE", "d", "0", "a"],
        ["LMPOP", "3", "a", "LEFT"],
    ],
)
def test_command_getkeys_errors_match_redis(server, oracle, args):
    ours, theirs = raw_client(server.port), raw_client(oracle.port)
    with pytest.raises(redis.ResponseError) as our_error:
        ours.execute_command("COMMAND", "GETKEYS", *args)
    with pytest.raises(redis.ResponseError) as their_error:
        theirs.execute_command("COMMAND", "GETKEYS", *args)
    assert str(our_error.value) == str(their_error.value)


def test_command_list_includes_subcommands_and_filters(server):
    client = raw_client(server.port)
    everything = client.execute_command("COMMAND", "LIST")
    assert b"config" in everything and b"config|get" in everything
    assert set(client.execute_command("COMMAND", "LIST", "FILTERBY", "PATTERN", "config|*")) == {
        name for name in everything if name.startswith(b"config|")
    }
    connection = client.execute_command("COMMAND", "LIST", "FILTERBY", "ACLCAT", "connection")
    assert b"ping" in connection and b"get" not in connection
    assert client.execute_command("COMMAND", "LIST", "FILTERBY", "MODULE", "x") == []
    with pytest.raises(redis.ResponseError, match="^syntax error$"):
        client.execute_command("COMMAND", "LIST", "FILTERBY")
    client.close()


def test_command_help_is_status_lines(server):
    help_lines = raw_client(server.port).execute_command("COMMAND", "HELP")
    assert help_lines[0] == b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
