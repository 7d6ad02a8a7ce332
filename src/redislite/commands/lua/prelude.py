"""The Lua half of the sandbox, run once per Lua state (see runtime.py).

It builds what scripts see, as Redis 7.0 does:

- globals and library tables are read-only: writes raise "Attempt to modify a readonly table", reading an
  undefined global raises "Script attempted to access nonexistent global variable 'x'". Lua 5.1 has no
  read-only tables (Redis patches its Lua for that), so each protected table is an empty proxy whose
  metatable forwards reads and refuses writes; rawget, rawset, next, pairs, getmetatable and setmetatable
  see through the proxies, so the proxies are invisible to scripts;
- no os, io, debug, package, loadfile, dofile, print, setfenv, getfenv, newproxy; loadstring refuses
  precompiled chunks (Redis's parser does too), and what it loads gets the protected globals;
- Redis's error handler (__redis__err__handler), which turns any error into {err=..., source=..., line=...};
- Redis's pcall, which hands back the message of an {err=...} error instead of the table.

The `redis`, `cjson`, `cmsgpack`, `struct` and `bit` functions and math.random are Python functions. To Lua
they behave like C functions (a call from Lua keeps the caller's frame, so error positions match Redis); the
errors they raise arrive as userdata, which `unwrap` turns back into the intended Lua value wherever Lua code
can observe an error. `type` and `tostring` report them as functions.

This chunk is loaded without line information, so its own frames never show a position in error messages,
like Redis's C code.
"""

PRELUDE = r"""
local py, kind = ...

local INTERNAL = "=redislite"
local KILLED, LOAD_TIMEOUT = py.killed_error, py.load_timeout_error

local type, tostring, select, error, next, pairs = type, tostring, select, error, next, pairs
local rawget, rawset, rawequal, getmetatable, setmetatable = rawget, rawset, rawequal, getmetatable, setmetatable
local xpcall, unpack, setfenv, loadstring = xpcall, unpack, setfenv, loadstring
local getinfo, sethook = debug.getinfo, debug.sethook
local co_resume = coroutine.resume
local byte, sub, find, match, concat = string.byte, string.sub, string.find, string.match, table.concat
local py_unwrap, py_interrupt = py.unwrap, py.interrupt

-- Python callables shown to scripts as functions: value -> what tostring() says.
local builtin_names = {}
local function builtin(fn)
  builtin_names[fn] = "function: builtin: " .. py.address(fn)
  return fn
end

-- -- errors ---------------------------------------------------------------------------------------------

-- luaL_where for the function `level` frames above the caller of where_at.
local function where_at(level)
  local info = getinfo(level + 1, "Sl")
  if info and info.currentline > 0 then
    return info.short_src .. ":" .. info.currentline .. ": "
  end
  return ""
end

-- The Lua value of an error raised by a Python function. Must be called directly by a message handler:
-- then frame 3 is the function that raised, frame 4 its caller (whose position luaL_error would add).
local function unwrap(e)
  if type(e) ~= "userdata" or builtin_names[e] then
    return e
  end
  local value, positioned = py_unwrap(e)
  if positioned then
    local raiser = getinfo(3, "S")
    if raiser and raiser.what == "C" then
      value = where_at(4) .. value
    end
  end
  return value
end

-- Redis's __redis__err__handler: any error becomes {err=..., source=..., line=...} of the script frame that
-- raised it (skipping the C function, or the sandbox's own code, that raised it on the script's behalf).
local function error_handler(err)
  err = unwrap(err)
  local level = 2
  local info = getinfo(level, "nSl")
  if info and (info.what == "C" or info.source == INTERNAL) then
    repeat
      level = level + 1
      info = getinfo(level, "nSl")
    until not info or info.source ~= INTERNAL
  end
  if type(err) ~= "table" then
    err = {err = "ERR " .. tostring(err)}
  end
  if info then
    err.source = info.source
    err.line = info.currentline
  end
  return err
end

-- -- read-only tables ---------------------------------------------------------------------------------

local proxies = {}        -- proxy -> the table it stands for
local reported_meta = {}  -- proxy -> what getmetatable() reports for it

local function readonly_error()
  error("Attempt to modify a readonly table", 2)
end

local function protect(real, meta)
  local proxy = setmetatable({}, {__index = real, __newindex = readonly_error})
  proxies[proxy] = real
  reported_meta[proxy] = meta
  return proxy
end

local function missing_global(_, name)
  error("Script attempted to access nonexistent global variable '" .. tostring(name) .. "'", 2)
end

-- -- Redis's replacements of Lua builtins ---------------------------------------------------------------

-- luaL_checktype's message, raised at the caller of the builtin `name`.
local function check_table(value, name)
  if type(value) ~= "table" then
    local got = value == nil and "nil" or type(value)
    error("bad argument #1 to '" .. name .. "' (table expected, got " .. got .. ")", 3)
  end
end

local function safe_next(t, k)
  check_table(t, "next")
  return next(proxies[t] or t, k)
end

local function safe_pairs(t)
  check_table(t, "pairs")
  if proxies[t] then
    return safe_next, t, nil
  end
  return pairs(t)
end

local function safe_rawget(t, k)
  check_table(t, "rawget")
  return rawget(proxies[t] or t, k)
end

local function safe_rawset(t, k, v)
  check_table(t, "rawset")
  if proxies[t] then
    error("Attempt to modify a readonly table", 0)
  end
  return rawset(t, k, v)
end

local function safe_getmetatable(v)
  if proxies[v] then
    return reported_meta[v]
  end
  return getmetatable(v)
end

local function safe_setmetatable(t, m)
  if proxies[t] then
    error("Attempt to modify a readonly table", 0)
  end
  return setmetatable(t, m)
end

local function safe_type(...)
  local t = type((...))
  if t == "userdata" then
    if builtin_names[(...)] then
      return "function"
    end
  elseif t == "nil" and select("#", ...) == 0 then
    error("bad argument #1 to 'type' (value expected)", 2)
  end
  return t
end

local function safe_tostring(...)
  local name = builtin_names[(...)]
  if name then
    return name
  end
  return tostring(...)
end

-- Redis's pcall: an error table with an `err` field comes back as that field.
local function pcall_result(ok, ...)
  if ok then
    return true, ...
  end
  local e = ...
  if type(e) == "table" then
    local message = e.err
    local t = type(message)
    if t == "string" or t == "number" then
      e = message
    end
  end
  return false, e
end

local function pcall_handler(e)
  return unwrap(e)
end

local function callable(f, t)
  if t == "function" or builtin_names[f] then
    return true
  end
  local meta = t == "table" and getmetatable(f)
  return type(meta) == "table" and rawget(meta, "__call") ~= nil
end

local function safe_pcall(...)
  if select("#", ...) == 0 then
    return false, "attempt to call a boolean value"  -- what Redis's pcall answers
  end
  local f = ...
  local t = type(f)
  if not callable(f, t) then
    return false, "attempt to call a " .. t .. " value"
  end
  local n, args = select("#", ...) - 1, {select(2, ...)}
  return pcall_result(xpcall(function() return f(unpack(args, 1, n)) end, pcall_handler))
end

local function safe_xpcall(...)
  local f, handler = ...
  if select("#", ...) < 2 then
    error("bad argument #2 to 'xpcall' (value expected)", 2)
  end
  return xpcall(f, function(e) return handler(unwrap(e)) end)
end

local function resume_result(ok, ...)
  if ok then
    return true, ...
  end
  local e = ...
  if type(e) == "userdata" and not builtin_names[e] then
    e = py_unwrap(e)
  end
  return false, e
end

local function safe_resume(co, ...)
  return resume_result(co_resume(co, ...))
end

local env  -- the protected globals every script function runs with (set below)

local function with_env(f, ...)
  if f then
    setfenv(f, env)
  end
  return f, ...
end

local function safe_loadstring(source, chunkname)
  if type(source) == "string" and byte(source, 1) == 27 then
    -- Redis's Lua only parses text: a precompiled chunk is a syntax error like any other
    return with_env(loadstring(" " .. source, chunkname or source))
  end
  return with_env(loadstring(source, chunkname))
end

local function safe_load(reader, chunkname)
  if type(reader) ~= "function" and not builtin_names[reader] then
    error("bad argument #1 to 'load' (function expected, got " .. safe_type(reader) .. ")", 2)
  end
  local parts = {}
  while true do
    local piece = reader()
    if piece == nil or piece == "" then
      break
    end
    if type(piece) ~= "string" then
      return nil, "reader function must return a string"
    end
    parts[#parts + 1] = piece
  end
  return safe_loadstring(concat(parts), chunkname or "=(load)")
end

-- -- redis.error_reply / status_reply (Redis's luaPushErrorBuff rules) ---------------------------------

local function c_string(s)
  local nul = find(s, "\0", 1, true)
  if nul then
    return sub(s, 1, nul - 1)
  end
  return s
end

local function error_table(message)
  message = c_string(message)
  local code, text = "ERR", message
  if byte(message, 1) == 45 then
    local space = find(message, " ", 1, true)
    if space then
      code, text = sub(message, 2, space - 1), sub(message, space + 1)
    else
      text = sub(message, 2)
    end
  end
  text = match(text, "^[\r\n]*(.-)[\r\n]*$")
  return {err = code .. " " .. text}
end

local function error_reply(...)
  local message = ...
  if select("#", ...) ~= 1 or type(message) ~= "string" then
    return error_table("wrong number or type of arguments")
  end
  if byte(message, 1) ~= 45 then
    message = "-" .. c_string(message)
  end
  return error_table(message)
end

local function status_reply(...)
  local status = ...
  if select("#", ...) ~= 1 or type(status) ~= "string" then
    return error_table("wrong number or type of arguments")
  end
  return {ok = status}
end

-- -- the library tables -----------------------------------------------------------------------------------

local function library(fields)
  local t = {}
  for name, value in pairs(fields) do
    if type(value) == "userdata" then
      builtin(value)
    end
    t[name] = value
  end
  return t
end

local lib_math = {}
for name, value in pairs(math) do
  lib_math[name] = value
end
lib_math.random = builtin(py.random)
lib_math.randomseed = builtin(py.randomseed)

local lib_string = {}
for name, value in pairs(string) do
  lib_string[name] = value
end

local lib_table = {}
for name, value in pairs(table) do
  lib_table[name] = value
end

local lib_coroutine = {}
for name, value in pairs(coroutine) do
  lib_coroutine[name] = value
end
lib_coroutine.resume = safe_resume

local lib_cjson = library(py.cjson)
lib_cjson.null = py.cjson_null

local lib_redis = {
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = py.version, REDIS_VERSION_NUM = py.version_num,
  call = builtin(py.call), pcall = builtin(py.pcall), sha1hex = builtin(py.sha1hex),
  error_reply = error_reply, status_reply = status_reply,
  log = builtin(py.log), setresp = builtin(py.setresp), set_repl = builtin(py.set_repl),
  acl_check_cmd = builtin(py.acl_check_cmd),
}
if kind == "eval" then
  lib_redis.replicate_commands = function() return true end
  lib_redis.breakpoint = function() return false end
  lib_redis.debug = function() end
end

-- -- the globals ----------------------------------------------------------------------------------------

local env_real = {}
local env_meta = {__index = env_real, __newindex = readonly_error}
env = setmetatable({}, env_meta)
proxies[env] = env_real
reported_meta[env] = protect({__index = missing_global})

local string_proxy = protect(lib_string)
getmetatable("").__index = string_proxy

env_real._G = env
env_real._VERSION = _VERSION
env_real.assert = assert
env_real.collectgarbage = collectgarbage
env_real.error = error
env_real.gcinfo = gcinfo
env_real.getmetatable = safe_getmetatable
env_real.ipairs = ipairs
env_real.load = safe_load
env_real.loadstring = safe_loadstring
env_real.next = safe_next
env_real.pairs = safe_pairs
env_real.pcall = safe_pcall
env_real.rawequal = rawequal
env_real.rawget = safe_rawget
env_real.rawset = safe_rawset
env_real.select = select
env_real.setmetatable = safe_setmetatable
env_real.tonumber = tonumber
env_real.tostring = safe_tostring
env_real.type = safe_type
env_real.unpack = unpack
env_real.xpcall = safe_xpcall
env_real.string = string_proxy
env_real.math = protect(lib_math)
env_real.table = protect(lib_table)
env_real.coroutine = protect(lib_coroutine)
env_real.bit = protect(library(py.bit))
env_real.struct = protect(library(py.struct))
env_real.cmsgpack = protect(library(py.cmsgpack))
env_real.cjson = protect(lib_cjson)
env_real.redis = protect(lib_redis)
if kind == "eval" then
  env_real.__redis__err__handler = error_handler
end
setmetatable(env_real, {__index = missing_global})

-- What FUNCTION LOAD's code sees while it runs: only the registration API.
-- (Reading a missing field of its `redis` table is an error too.)
local load_real = setmetatable({
  redis = protect(setmetatable({
    register_function = builtin(py.register_function), log = lib_redis.log,
    LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
    REDIS_VERSION = py.version, REDIS_VERSION_NUM = py.version_num,
  }, {__index = missing_global})),
}, {__index = missing_global})

-- -- running scripts ------------------------------------------------------------------------------------

local function kill_on_every_line()
  error({err = KILLED})
end

local function count_hook()
  if py_interrupt() then
    -- Keep raising on every line, so a pcall in the script cannot swallow the kill.
    sethook(kill_on_every_line, "l")
    error({err = KILLED})
  end
end

local function timeout_on_every_line()
  error({err = LOAD_TIMEOUT})
end

local function load_hook()
  if py_interrupt() then
    sethook(timeout_on_every_line, "l")
    error({err = LOAD_TIMEOUT})
  end
end

-- Scripts (and what they loadstring) run with the protected globals; the state's own global table stays
-- as it is, for lupa.
local function compile(body, chunkname)
  return with_env(loadstring(body, chunkname))
end

local function run_eval(fn, keys, argv, count)
  rawset(env_real, "KEYS", keys)
  rawset(env_real, "ARGV", argv)
  if count > 0 then
    sethook(count_hook, "", count)
  end
  local ok, result = xpcall(fn, error_handler)
  sethook()
  return ok, result
end

local function run_function(fn, keys, args, count)
  if count > 0 then
    sethook(count_hook, "", count)
  end
  local ok, result = xpcall(function() return fn(keys, args) end, error_handler)
  sethook()
  return ok, result
end

local function load_library(fn, count)
  env_meta.__index = load_real
  if count > 0 then
    sethook(load_hook, "", count)
  end
  local ok, result = xpcall(fn, pcall_handler)
  sethook()
  env_meta.__index = env_real
  return ok, result
end

-- -- conversions used by the Python side ---------------------------------------------------------------

-- What a table returned by a script means as a reply (Redis's luaReplyToRedisReply order of checks).
local function describe(t)
  local v = rawget(t, "err")
  if type(v) == "string" then
    return 1, v, t.ignore_error_stats_update == true
  end
  v = rawget(t, "ok")
  if type(v) == "string" then
    return 2, v
  end
  v = rawget(t, "double")
  if type(v) == "number" then
    return 3, v
  end
  v = rawget(t, "big_number")
  if type(v) == "string" then
    return 4, v
  end
  v = rawget(t, "verbatim_string")
  if type(v) == "table" then
    local format = rawget(v, "format")
    if type(format) == "string" then
      local text = rawget(v, "string")
      if type(text) == "string" then
        return 5, text, format
      end
    end
  end
  v = rawget(t, "map")
  if type(v) == "table" then
    local flat, n = {}, 0
    for key, value in next, v do
      flat[n + 1] = key
      flat[n + 2] = value
      n = n + 2
    end
    return 6, flat, n
  end
  v = rawget(t, "set")
  if type(v) == "table" then
    local keys, n = {}, 0
    for key in next, v do
      n = n + 1
      keys[n] = key
    end
    return 7, keys, n
  end
  local n = 0
  while rawget(t, n + 1) ~= nil do
    n = n + 1
  end
  return 8, t, n
end

-- Redis's luaExtractErrorInformation: err, source and line as strings (numbers converted), the stats flag.
local function as_string(v)
  local t = type(v)
  if t == "string" then
    return v
  elseif t == "number" then
    return tostring(v)
  end
  return nil
end

local function error_info(e)
  if type(e) ~= "table" then
    return as_string(e), nil, nil, false
  end
  local ignore = e.ignore_error_stats_update
  return as_string(e.err), as_string(e.source), as_string(e.line), type(ignore) == "boolean" and ignore
end

local function build_map(flat, n, nil_marker)
  local t = {}
  for i = 1, n, 2 do
    local key, value = flat[i], flat[i + 1]
    if rawequal(key, nil_marker) then
      error("table index is nil", 0)
    elseif key ~= key then
      error("table index is NaN", 0)
    end
    if rawequal(value, nil_marker) then
      value = nil
    end
    t[key] = value
  end
  return t
end

local function new_library(fields)
  return library(fields)
end

return {
  compile = compile, run_eval = run_eval, run_function = run_function, load_library = load_library,
  describe = describe, error_info = error_info, build_map = build_map, unpack = unpack,
  new_library = new_library, error_table = error_table,
}
"""
