"""The pieces of Lua scripting that need no server: Lua's number rules, the libraries Redis ships (bit, struct,
cmsgpack, cjson), FUNCTION DUMP payloads, the prelude's stripped bytecode, and the Lua <-> reply conversions
run in-process through Engine.execute."""

import pytest
from lupa.lua51 import LuaRuntime

from redislite.commands.lua import bitlib, payload, structlib
from redislite.commands.lua.cjson import NULL, CJson
from redislite.commands.lua.errors import LuaRaise
from redislite.commands.lua.msgpack import MsgPack, pack
from redislite.commands.lua.numbers import (
    format_argument,
    format_number,
    str2number,
    to_int64,
)
from redislite.commands.lua.runtime import strip_debug_info
from redislite.config import load_settings
from redislite.engine.client import Client
from redislite.engine.core import Engine
from redislite.engine.state import ServerState
from redislite.storage.crc64 import crc64

# -- numbers -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, expected",
    [
        (b"12", 12),
        (b" 12 ", 12),
        (b"0x10", 16),
        (b"1e2", 100),
        (b"-0x1p4", -16),
        (b"3.", 3),
        (b".5", 0.5),
        (b"12\0junk", 12),
        (b"inf", float("inf")),
        (b"abc", None),
        (b"1e", None),
        (b"", None),
        (b"1 2", None),
        (b"0x1p99999", float("inf")),
        (b"-0x1p99999", float("-inf")),
        (b"1e99999", float("inf")),  # strtod's ERANGE
    ],
)
def test_strings_convert_to_numbers_as_lua_5_1_does(text, expected):
    assert str2number(text) == expected


def test_numbers_format_as_lua_and_as_redis_call_arguments():
    assert [format_number(v) for v in (3, 1.5, 1 / 3, 1e15, 100000000000000)] == [
        b"3",
        b"1.5",
        b"0.33333333333333",
        b"1e+15",
        b"1e+14",
    ]
    assert [format_argument(v) for v in (3, 0.1, 123456789012345678, float("-inf"))] == [
        b"3",
        b"0.10000000000000001",
        b"1.2345678901234568e+17",
        b"-inf",
    ]


def test_script_results_convert_to_integers_like_a_c_cast():
    assert [to_int64(v) for v in (3.99, -3.99, 1e20, float("nan"), float("inf"), 2**62)] == [
        3,
        -3,
        -(2**63),
        -(2**63),
        -(2**63),
        2**62,
    ]


# -- bit, struct, cmsgpack -----------------------------------------------------------------------------------


def test_bit_operations_wrap_to_signed_32_bits():
    assert bitlib.tobit(2**40 + 5) == 5 and bitlib.tobit(0xFFFFFFFF) == -1 and bitlib.tobit(2.5) == 2
    assert bitlib.lshift(1, 31) == -(2**31) and bitlib.rshift(-1, 28) == 15 and bitlib.arshift(-256, 4) == -16
    assert bitlib.bswap(0x12345678) == 0x78563412 and bitlib.tohex(255, -4) == b"00FF"
    with pytest.raises(LuaRaise) as refused:
        bitlib.band(b"x")
    assert refused.value.value == b"bad argument #1 to 'band' (number expected, got string)"


def test_struct_packs_and_unpacks_with_endianness_and_alignment():
    packed = structlib.pack(b">!4 i2 i4 s", 1, 2, b"ab")
    assert packed == b"\x00\x01\x00\x00\x00\x00\x00\x02ab\x00"
    assert structlib.unpack(b">!4 i2 i4 s", packed) == (1, 2, b"ab", 12)
    assert structlib.size(b"<I2i8") == 10
    with pytest.raises(LuaRaise, match="data string too short"):
        structlib.unpack(b">i4", b"ab")


def test_cmsgpack_picks_the_smallest_encoding():
    assert pack(1, -1, 128, -33, 65536, 1.5, 0.1, b"abc", True, None) == (
        b"\x01\xff\xcc\x80\xd0\xdf\xce\x00\x01\x00\x00\xca?\xc0\x00\x00\xcb?\xb9\x99\x99\x99\x99\x99\x9a\xa3abc\xc3\xc0"
    )
    library = MsgPack(new_array=list, new_map=lambda flat: dict(zip(flat[::2], flat[1::2])))
    assert library.unpack(b"\x93\x01\xa1a\x81\xa1k\xc2\x05") == ([1, b"a", {b"k": False}], 5)
    assert library.unpack_limit(pack(1, 2, 3), 2) == (2, 1, 2)
    with pytest.raises(LuaRaise, match="Missing bytes in input."):
        library.unpack(b"\xcd\x01")


# -- cjson decoding (encoding needs Lua tables: see the in-process tests below) ------------------------------


def decoder() -> CJson:
    return CJson(new_array=list, new_object=dict, api_types=lambda value: None)


def test_cjson_decodes_like_lua_cjson():
    assert decoder().decode(b'{"a":[1,2.5,null,true],"b":"\\u00e9\\ud83d\\ude00"}') == {
        b"a": [1, 2.5, NULL, True],
        b"b": "é😀".encode(),
    }
    assert decoder().decode(b"[0x10, Infinity, +1]") == [16, float("inf"), 1]


@pytest.mark.parametrize(
    "text, message",
    [
        (b"", "Expected value but found T_END at character 1"),
        (b"[1,2", "Expected comma or array end but found T_END at character 5"),
        (b'{"a":1,}', "Expected object key string but found T_OBJ_END at character 8"),
        (b'"abc', "Expected value but found unexpected end of string at character 5"),
        (b'"\\q"', "Expected value but found invalid escape code at character 2"),
        (b".5", "Expected value but found invalid token at character 1"),
        (b"[1] x", "Expected the end but found invalid token at character 5"),
    ],
)
def test_cjson_decode_errors_name_the_token_and_character(text, message):
    with pytest.raises(LuaRaise) as refused:
        decoder().decode(text)
    assert refused.value.value.decode() == message and refused.value.positioned


# -- FUNCTION DUMP payloads ----------------------------------------------------------------------------------

# What redis-server 7.0.15 answered to FUNCTION DUMP for one library (its code LZF-compressed).
REDIS_PAYLOAD = bytes.fromhex(
    "f5c34053406f1f23216c7561206e616d653d6c7a660a72656469732e72656769737465725f6675136e6374696f6e28227265706561"
    "745f6d65222c20e0001508292072657475726e20a01e200e4025e00c06052220656e64290a00f36d16e753a98e88"
)


def test_payloads_use_redis_crc64_and_read_redis_lzf_strings():
    assert crc64(b"123456789") == 0xE9C6D914C4B8D9CA
    assert payload.verify(REDIS_PAYLOAD)
    code = (
        b'#!lua name=lzf\nredis.register_function("repeat_me", function() return "repeat repeat repeat repeat '
        b'repeat" end)'
    )
    assert payload.load(REDIS_PAYLOAD) == [code]
    ours = payload.dump([b"#!lua name=a\ncode", b"#!lua name=b\n" + b"x" * 100])
    assert payload.verify(ours) and payload.load(ours) == [b"#!lua name=a\ncode", b"#!lua name=b\n" + b"x" * 100]
    assert not payload.verify(ours[:-1] + bytes([ours[-1] ^ 1]))


def test_stripped_bytecode_runs_and_leaves_positions_out_of_error_messages():
    lua = LuaRuntime(encoding=None)
    loadstring = lua.globals().loadstring
    source = b"local function f(x) if x then error('raised', 1) end return 'ran' end\nreturn f"
    original = loadstring(source, b"=internal")()
    stripped = loadstring(strip_debug_info(lua.globals().string.dump(loadstring(source, b"=internal"))))()
    check = lua.eval("function(f) return select(2, pcall(f, true)) end")
    assert check(original) == b"internal:1: raised"
    assert check(stripped) == b"raised" and stripped(False) == b"ran"


# -- in-process: EVAL through Engine.execute -----------------------------------------------------------------


@pytest.fixture
def run():
    settings, _ = load_settings([], env_file=None)
    state = ServerState(settings)
    engine = Engine(state)
    client = Client(state)

    def execute(*args):
        argv = [arg if isinstance(arg, bytes) else str(arg).encode() for arg in args]
        reply = engine.execute(client, argv)
        return client.encoder.by_type[reply.__class__](reply)

    return execute


@pytest.mark.parametrize(
    "script, expected",
    [
        ("return {1, 2, 3, nil, 4}", b"*3\r\n:1\r\n:2\r\n:3\r\n"),
        (
            "return {1, 'a', 3.9, -3.9, true, false, {1, {2}}}",
            b"*7\r\n:1\r\n$1\r\na\r\n:3\r\n:-3\r\n:1\r\n$-1\r\n*2\r\n:1\r\n*1\r\n:2\r\n",
        ),
        ("return {ok='fine'}", b"+fine\r\n"),
        ("return {err='x\\r\\ny\\n'}", b"-x  y\r\n"),
        ("return redis.error_reply('- y')", b"- y\r\n"),
        ("return {x=1}", b"*0\r\n"),
        ("return 1e20", b":-9223372036854775808\r\n"),
        ("return {double=0.1}", b"$19\r\n0.10000000000000001\r\n"),
        ("return {map={a=1}}", b"*2\r\n$1\r\na\r\n:1\r\n"),
        (
            "return cjson.encode({a=1,b=2,c=3,d={e=4},f='g',h=true,i=false})",
            b'$58\r\n{"a":1,"h":true,"c":3,"b":2,"d":{"e":4},"i":false,"f":"g"}\r\n',
        ),
        ("return cjson.encode({[1]=1,[2]=2,[4]=4})", b"$12\r\n[1,2,null,4]\r\n"),
    ],
)
def test_lua_values_convert_to_replies_as_in_redis(run, script, expected):
    assert run("EVAL", script, 0) == expected


def test_resp3_clients_get_resp3_types(run):
    run("HELLO", "3")
    assert run("EVAL", "return {double=1/0}", 0) == b",inf\r\n"
    assert run("EVAL", "return {big_number='12345678901234567890'}", 0) == b"(12345678901234567890\r\n"
    assert run("EVAL", "return {verbatim_string={format='markdown', string='hi'}}", 0) == b"=6\r\nmar:hi\r\n"
    assert run("EVAL", "redis.setresp(3) return false", 0) == b"#f\r\n"
    assert run("EVAL", "return false", 0) == b"_\r\n"


def test_errors_name_the_script_and_line(run):
    assert run("EVAL", "\nerror('boom')", 0) == (
        b"-ERR user_script:2: boom script: 402f9b12d119567a29d5d78e9b23da97dd318915, on @user_script:2.\r\n"
    )
    assert run("EVAL", "return redis.call('nosuch')", 0).startswith(
        b"-ERR Unknown Redis command called from script script: "
    )


def test_flushing_scripts_and_functions_leaves_nothing_for_the_cyclic_collector(run):
    """Replaced or flushed libraries, and each new Lua state's stripped prelude, waited for a full collection
    (a library and its functions referred to each other; the bytecode stripper referred to itself)."""
    import gc

    library = "#!lua name=lib\nredis.register_function('f', function() return 1 end)"
    run("FUNCTION", "LOAD", library)
    gc.collect()
    gc.disable()
    try:
        for _ in range(3):
            assert run("FUNCTION", "LOAD", "REPLACE", library) == b"$3\r\nlib\r\n"
            assert run("EVAL", "local ok, e = pcall(redis.call, 'NOSUCH') return 1", 0) == b":1\r\n"
            assert run("SCRIPT", "FLUSH") == b"+OK\r\n"
            assert run("FUNCTION", "FLUSH") == b"+OK\r\n"
            assert run("FUNCTION", "LOAD", library) == b"$3\r\nlib\r\n"
        assert gc.collect() == 0
    finally:
        gc.enable()
