"""The Lua scripting runtime behind EVAL and FCALL.

The Lua is lupa's `lupa.lua51`: PUC-Rio Lua 5.1, the version Redis embeds, so the language, the standard
library, number formatting, error messages and even table iteration order are Redis's (LuaJIT or Lua 5.4 would
differ in all of these). lupa is pinned in pyproject.toml.

- `runtime.py`: one sandboxed Lua state (`LuaEngine`): the `redis.*` API, the conversions between Lua values
  and reply values, error formatting, the count hook that serves other clients while a script is busy.
- `prelude.py`: the Lua side of the sandbox (read-only globals, Redis's error handler, pcall semantics).
- `cjson.py`, `msgpack.py`, `structlib.py`, `bitlib.py`: the libraries Redis ships (lua-cjson 2.1.0,
  lua-cmsgpack 0.4.0, struct 0.2, LuaBitOp), reimplemented in Python with their rules and error texts.
- `numbers.py`: Lua 5.1's number <-> string rules; `replies.py`: reply types only scripts produce;
  `payload.py`: FUNCTION DUMP / RESTORE payloads in Redis's RDB format (they restore into Redis and back).

Known differences from Redis 7.0 (all in error paths or corner cases):
- an error raised by a sandbox builtin written in Lua (rawget, rawset, next, pairs, getmetatable, setmetatable,
  type, tostring, load, xpcall) loses its "user_script:N:" position when the script calls it as a tail call
  (`return rawget(nil, 1)`): Lua replaces the caller's frame. The API implemented in Python (redis.*, cjson,
  cmsgpack, struct, bit, math.random) behaves like Redis's C functions and is not affected;
- an error raised by a Python library function inside a coroutine reaches coroutine.resume without position;
- a float -0.0 reaches Python as the integer 0, so cjson.encode(-0.0) gives "0" (Redis: "-0");
- error({}) (an error table without `err`) crashes Redis 7.0.15; here the reply is "-ERR unknown error ...";
- `redis.breakpoint` / SCRIPT DEBUG: there is no Lua debugger (SCRIPT DEBUG YES|SYNC is refused).
"""
