"""The Lua scripting runtime behind EVAL and FCALL (lupa's Lua 5.1, the version Redis embeds).

- `runtime.py`: one sandboxed Lua state (`LuaEngine`): the `redis.*` API, the conversions between Lua values
  and reply values, error formatting, the count hook that serves other clients while a script is busy.
- `prelude.py`: the Lua side of the sandbox (read-only globals, Redis's error handler, pcall semantics).
- `cjson.py`, `msgpack.py`, `structlib.py`, `bitlib.py`: the libraries Redis ships (cjson 2.1.0, cmsgpack 0.4.0,
  struct, LuaBitOp), reimplemented in Python with their error texts.
- `numbers.py`: Lua 5.1's number <-> string rules; `replies.py`: reply types only scripts produce;
  `payload.py`: FUNCTION DUMP / RESTORE payloads in Redis's RDB format.
"""
