"""Redis's error replies, byte for byte. Client libraries branch on these texts, so they live in one place."""

import os


class CommandError(Exception):
    """A command failed; `message` is the full error line without the leading '-' (e.g. b'ERR syntax error')."""

    def __init__(self, message: bytes):
        super().__init__(message)
        self.message = message


class ProtocolViolation(Exception):
    """The client broke RESP; the connection gets `-ERR Protocol error: ...` and is closed."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.message = b"ERR Protocol error: " + detail.encode("latin-1")  # a byte the client sent, as it sent it


class ConfigError(Exception):
    """A bad configuration value at start-up: printed as one line, exit status 2."""


SYNTAX = b"ERR syntax error"
WRONGTYPE = b"WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_INTEGER = b"ERR value is not an integer or out of range"
NOT_FLOAT = b"ERR value is not a valid float"
INCR_OVERFLOW = b"ERR increment or decrement would overflow"
INCRFLOAT_NAN = b"ERR increment would produce NaN or Infinity"
NO_SUCH_KEY = b"ERR no such key"
DB_INDEX_RANGE = b"ERR DB index is out of range"
INVALID_DB_INDEX = b"ERR invalid DB index"
INVALID_CURSOR = b"ERR invalid cursor"
STRING_TOO_LONG = b"ERR string exceeds maximum allowed size (proto-max-bulk-len)"
OFFSET_RANGE = b"ERR offset is out of range"
SAME_OBJECT = b"ERR source and destination objects are the same"
NOPROTO = b"NOPROTO unsupported protocol version"
NO_PASSWORD = (
    b"ERR AUTH <password> called without any password configured for the default user. "
    b"Are you sure your configuration is correct?"
)
WRONGPASS = b"WRONGPASS invalid username-password pair or user is disabled."
NOAUTH = b"NOAUTH Authentication required."
OOM = b"OOM command not allowed when used memory > 'maxmemory'."
NO_CONFIG_FILE = b"ERR The server is running without a config file"
TIMEOUT_NOT_INTEGER = b"ERR timeout is not an integer or out of range"
MULTI_NESTED = b"ERR MULTI calls can not be nested"
EXEC_WITHOUT_MULTI = b"ERR EXEC without MULTI"
DISCARD_WITHOUT_MULTI = b"ERR DISCARD without MULTI"
WATCH_INSIDE_MULTI = b"ERR WATCH inside MULTI is not allowed"
EXECABORT = b"EXECABORT Transaction discarded because of previous errors."
BUSY_EVAL = b"BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
BUSY_FUNCTION = b"BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
NOTBUSY = b"NOTBUSY No scripts in execution right now."
UNKILLABLE = (
    b"UNKILLABLE Sorry the script already executed write commands against the dataset. You can either "
    b"wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command."
)
NOT_ALLOWED_IN_MULTI = b"ERR Command not allowed inside a transaction"


def misconf_aof(errno: int) -> bytes:
    """writeCommandsGetDiskErrorMessage for an AOF that cannot be written (or fsynced): strerror's text."""
    return b"MISCONF Errors writing to the AOF file: %s" % os.strerror(errno).encode()


def generic(message: bytes) -> bytes:
    """An -ERR reply around a message (a Lua error string, a failed load's reason)."""
    return b"ERR " + message


def internal_error(command: str) -> bytes:
    """A handler raised something other than a CommandError: a bug, answered without a traceback."""
    return b"ERR internal error while running '%s'" % command.encode()


def exec_abort(reason: bytes) -> bytes:
    """execCommandAbort: EXEC refused before it ran (BUSY, OOM, arity ...). Redis formats its own refusals
    without the ERR code, and keeps the code of the others."""
    return b"EXECABORT Transaction discarded because of: " + reason.removeprefix(b"ERR ")


def wrong_arity(name: str) -> bytes:
    return b"ERR wrong number of arguments for '%s' command" % name.encode()


def unknown_command(argv: list[bytes]) -> bytes:
    # Redis formats with %.*s: each argument stops at a NUL byte, and the preview at about 128 bytes.
    args = b""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'%s' " % c_string(arg)[: 128 - len(args)]
    return b"ERR unknown command '%s', with args beginning with: %s" % (c_string(argv[0])[:128], args)


def c_string(value: bytes) -> bytes:
    """What C string functions (%s, strcasecmp, strchr ...) see of an argument: the bytes before the first NUL.
    Here rather than in commands/args.py because error texts need it, and this module is below every other."""
    return value.split(b"\0", 1)[0] if b"\0" in value else value


def pubsub_context(name: str) -> bytes:
    return (
        b"ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
        b"in this context" % name.encode()
    )


def unknown_subcommand_or_arity(container: str, sub: bytes) -> bytes:
    """addReplySubcommandSyntaxError: a known subcommand with arguments its handler does not take."""
    return b"ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP." % (
        sub[:128],
        container.upper().encode(),
    )


def unknown_subcommand(container: str, sub: bytes) -> bytes:
    return b"ERR unknown subcommand '%s'. Try %s HELP." % (sub[:128], container.upper().encode())


def invalid_expire(command: str) -> bytes:
    return b"ERR invalid expire time in '%s' command" % command.encode()


# Connection, CLIENT, CONFIG, COMMAND and server commands.
HELLO_PROTOVER = b"ERR Protocol version is not an integer or out of range"
HELLO_NOAUTH = (
    b"NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH "
    b"<user> <pass> option can be used to authenticate the client and select the RESP protocol version at "
    b"the same time"
)
CLIENT_NAME_CHARS = b"ERR Client names cannot contain spaces, newlines or special characters."
NO_SUCH_CLIENT = b"ERR No such client"
CLIENT_ID_POSITIVE = b"ERR client-id should be greater than 0"
INVALID_CLIENT_ID = b"ERR Invalid client ID"
TIMEOUT_NEGATIVE = b"ERR timeout is negative"
TIMEOUT_NOT_FLOAT = b"ERR timeout is not a float or out of range"
UNBLOCKED = b"UNBLOCKED client unblocked via CLIENT UNBLOCK"
UNBLOCK_REASON = b"ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR"
PAUSE_MODE = b"ERR CLIENT PAUSE mode must be WRITE or ALL"
INVALID_COMMAND = b"ERR Invalid command specified"
INVALID_COMMAND_ARGS = b"ERR Invalid number of arguments specified for command"
NO_KEY_ARGUMENTS = b"ERR The command has no key arguments"
SLOWLOG_COUNT = b"ERR count should be greater than or equal to -1"
CONFIG_SET_UNKNOWN = b"ERR Unknown option or number of arguments for CONFIG SET - '%s'"
CONFIG_SET_FAILED = b"ERR CONFIG SET failed (possibly related to argument '%s') - %s"


def hello_option(option: bytes) -> bytes:
    return b"ERR Syntax error in HELLO option '%s'" % option


def unknown_client_type(name: bytes) -> bytes:
    return b"ERR Unknown client type '%s'" % name


def no_such_user(name: bytes) -> bytes:
    return b"ERR No such user '%s'" % name


def unrecognized_client_attribute(attribute: bytes) -> bytes:
    """CLIENT SETINFO with an attribute other than LIB-NAME / LIB-VER."""
    return b"ERR Unrecognized option '%s'" % attribute


def client_attribute_chars(attribute: bytes) -> bytes:
    """CLIENT SETINFO's CLIENT_NAME_CHARS, naming the attribute as the client spelled it."""
    return b"ERR %s cannot contain spaces, newlines or special characters." % attribute


# CLIENT TRACKING and CLIENT CACHING (tracking.c).
TRACKING_ONE_REDIRECT = b"ERR A client can only redirect to a single other client"
TRACKING_NO_REDIRECT_TARGET = b"ERR The client ID you want redirect to does not exist"
TRACKING_PREFIX_WITHOUT_BCAST = b"ERR PREFIX option requires BCAST mode to be enabled"
TRACKING_BCAST_SWITCH = (
    b"ERR You can't switch BCAST mode on/off before disabling tracking for this client, and "
    b"then re-enabling it with a different mode."
)
TRACKING_OPTIN_OPTOUT_WITH_BCAST = b"ERR OPTIN and OPTOUT are not compatible with BCAST"
TRACKING_OPTIN_AND_OPTOUT = b"ERR You can't specify both OPTIN mode and OPTOUT mode"
TRACKING_OPTIN_OPTOUT_SWITCH = (
    b"ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, "
    b"and then re-enabling it with a different mode."
)
CACHING_WITHOUT_OPT_MODE = (
    b"ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
)
CACHING_YES_WITHOUT_OPTIN = b"ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
CACHING_NO_WITHOUT_OPTOUT = b"ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."


def tracking_prefix_overlaps_existing(prefix: bytes, existing: bytes) -> bytes:
    return b"ERR Prefix '%s' overlaps with an existing prefix '%s'. Prefixes for a single client must not overlap." % (
        prefix,
        existing,
    )


def tracking_prefixes_overlap(prefix: bytes, other: bytes) -> bytes:
    return (
        b"ERR Prefix '%s' overlaps with another provided prefix '%s'. Prefixes for a single client must not "
        b"overlap." % (prefix, other)
    )


# Keyspace and string commands.
DECR_OVERFLOW = b"ERR decrement would overflow"
LCS_NOT_STRINGS = b"ERR The specified keys must contain string values"
LCS_LEN_AND_IDX = b"ERR If you want both the length and indexes, please just use IDX."
EXPIRE_NX_AND_OTHERS = b"ERR NX and XX, GT or LT options at the same time are not compatible"
EXPIRE_GT_AND_LT = b"ERR GT and LT options at the same time are not compatible"
INVALID_FIRST_DB_INDEX = b"ERR invalid first DB index"
INVALID_SECOND_DB_INDEX = b"ERR invalid second DB index"
LFU_NOT_SELECTED = (
    b"ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when "
    b"switching between policies at runtime LRU and LFU data will take some time to adjust."
)
LFU_SELECTED = (
    b"ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching "
    b"between policies at runtime LRU and LFU data will take some time to adjust."
)


def unsupported_option(option: bytes) -> bytes:
    return b"ERR Unsupported option %s" % option


def value_out_of_range(low: int, high: int) -> bytes:
    """getRangeLongFromObjectOrReply without a custom message."""
    return b"ERR value is out of range, value must between %d and %d" % (low, high)


# List commands.
MUST_BE_POSITIVE = b"ERR value is out of range, must be positive"
INDEX_OUT_OF_RANGE = b"ERR index out of range"
LPOS_RANK_ZERO = (
    b"ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to "
    b"start from the end of the list"
)
LPOS_COUNT_NEGATIVE = b"ERR COUNT can't be negative"
LPOS_MAXLEN_NEGATIVE = b"ERR MAXLEN can't be negative"
NUMKEYS_NOT_POSITIVE = b"ERR numkeys should be greater than 0"
COUNT_NOT_POSITIVE = b"ERR count should be greater than 0"

# Bitmap and HyperLogLog commands.
BIT_OFFSET = b"ERR bit offset is not an integer or out of range"
BIT_VALUE = b"ERR bit is not an integer or out of range"
BITPOS_BIT = b"ERR The bit argument must be 1 or 0."
BITOP_NOT_ONE_KEY = b"ERR BITOP NOT must be called with a single source key."
BITFIELD_TYPE = b"ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
BITFIELD_OVERFLOW = b"ERR Invalid OVERFLOW type specified"
BITFIELD_RO_GET_ONLY = b"ERR BITFIELD_RO only supports the GET subcommand"
HLL_WRONGTYPE = b"WRONGTYPE Key is not a valid HyperLogLog string value."
HLL_CORRUPTED = b"INVALIDOBJ Corrupted HLL object detected"

# Sorted set commands.
ZADD_XX_AND_NX = b"ERR XX and NX options at the same time are not compatible"
ZADD_GT_LT_NX = b"ERR GT, LT, and/or NX options at the same time are not compatible"
ZADD_INCR_PAIR = b"ERR INCR option supports a single increment-element pair"
ZSCORE_NAN = b"ERR resulting score is not a number (NaN)"
MIN_MAX_NOT_FLOAT = b"ERR min or max is not a float"
MIN_MAX_NOT_LEX = b"ERR min or max not valid string range item"
ZRANGE_LIMIT_BY_RANK = b"ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
ZRANGE_WITHSCORES_BYLEX = b"ERR syntax error, WITHSCORES not supported in combination with BYLEX"
WEIGHT_NOT_FLOAT = b"ERR weight value is not a float"
LIMIT_NEGATIVE = b"ERR LIMIT can't be negative"
VALUE_OUT_OF_RANGE = b"ERR value is out of range"


def at_least_one_input_key(command: str) -> bytes:
    return b"ERR at least 1 input key is needed for '%s' command" % command.encode()


# Hash and set commands.
HASH_NOT_INTEGER = b"ERR hash value is not an integer"
HASH_NOT_FLOAT = b"ERR hash value is not a float"
VALUE_NAN_OR_INFINITY = b"ERR value is NaN or Infinity"
NUMKEYS_TOO_MANY = b"ERR Number of keys can't be greater than number of args"

# SORT.
SORT_BY_DENIED = b"ERR BY option of SORT denied due to insufficient ACL permissions."
SORT_GET_DENIED = b"ERR GET option of SORT denied due to insufficient ACL permissions."
SORT_NOT_DOUBLE = b"ERR One or more scores can't be converted into double"

# -- scripting (EVAL, SCRIPT, FCALL, FUNCTION, and the redis.* API scripts call) -------------------------------
NOSCRIPT = b"NOSCRIPT No matching script. Please use EVAL."
NUMKEYS_NEGATIVE = b"ERR Number of keys can't be negative"
FCALL_BAD_NUMKEYS = b"ERR Bad number of keys provided"
RO_WITH_WRITE_FLAG = b"ERR Can not execute a script with write flag using *_ro command."
SCRIPT_UNKNOWN_ERROR = b"ERR unknown error"  # a script's error without a message
SCRIPT_KILLED = b"ERR Script killed by user with SCRIPT KILL..."
FUNCTION_LOAD_TIMEOUT = b"ERR FUNCTION LOAD timeout"
LUA_STACK_LIMIT = b"ERR reached lua stack limit"
LUA_DEBUGGER_UNSUPPORTED = b"ERR The Lua debugger is not supported by RedisLite"
SCRIPT_DEBUG_MODE = b"ERR Use SCRIPT DEBUG YES/SYNC/NO"
SCRIPT_FLUSH_MODE = b"ERR SCRIPT FLUSH only support SYNC|ASYNC option"
FUNCTION_FLUSH_MODE = b"ERR FUNCTION FLUSH only supports SYNC|ASYNC option"
FUNCTION_NOT_FOUND = b"ERR Function not found"
LIBRARY_NOT_FOUND = b"ERR Library not found"
LIBRARYNAME_MISSING = b"ERR library name argument was not given"
RESTORE_POLICY = b"ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE."
NO_FUNCTIONS_REGISTERED = b"ERR No functions registered"
INVALID_SHEBANG = b"ERR Invalid script shebang"
SHEBANG_WITHOUT_ENGINE = b"ERR Invalid engine in script shebang"
LIBRARY_METADATA_MISSING = b"ERR Missing library metadata"
LIBRARY_METADATA_INVALID = b"ERR Invalid library metadata"
LIBRARY_NAME_TWICE = b"ERR Invalid metadata value, name argument was given multiple times"
LIBRARY_NAME_MISSING = b"ERR Library name was not given"
# FUNCTION RESTORE's payload: the last two are Redis's texts (rdbFunctionLoad), the others RedisLite's.
PAYLOAD_TRUNCATED = b"ERR payload truncated"
PAYLOAD_LENGTH_ENCODING = b"ERR bad length encoding"
PAYLOAD_LZF = b"ERR bad LZF data"
PAYLOAD_STRING_ENCODING = b"ERR unknown string encoding"
PAYLOAD_PRE_GA = b"ERR Pre-GA function format not supported"
PAYLOAD_NOT_A_FUNCTION = b"ERR given type is not a function"


def script_run_failed(name: bytes, message: bytes) -> bytes:
    """A script's error that is not an error table (Lua's "not enough memory"): luaCallFunction's format."""
    return b"ERR Error running script %s, %s" % (name, message[:100])


def script_error(message: bytes, name: bytes, source: bytes, line: bytes) -> bytes:
    """A script's runtime error, with where it happened (luaCallFunction)."""
    return message + b" script: %s, on %s:%s." % (name, source, line)


def script_compile_error(lua_message: bytes) -> bytes:
    return b"ERR Error compiling script (new function): " + lua_message


def shebang_engine(engine: bytes) -> bytes:
    return b"ERR Unexpected engine in script shebang: %s" % engine


def shebang_option(option: bytes) -> bytes:
    return b"ERR Unknown lua shebang option: %s" % option


def shebang_flag(flag: bytes) -> bytes:
    return b"ERR Unexpected flag in script shebang: %s" % flag


def library_metadata_value(part: bytes) -> bytes:
    return b"ERR Invalid metadata value given: %s" % part


def engine_not_found(engine: bytes) -> bytes:
    return b"ERR Engine '%s' not found" % engine


def library_exists(name: bytes) -> bytes:
    """FUNCTION LOAD without REPLACE (functionsCreateWithLibraryCtx)."""
    return b"ERR Library '%s' already exists" % name


def restored_library_exists(name: bytes) -> bytes:
    """FUNCTION RESTORE without REPLACE (libraryJoin spells it without quotes)."""
    return b"ERR Library %s already exists" % name


def function_exists(name: bytes) -> bytes:
    return b"ERR Function %s already exists" % name


def function_compile_error(lua_message: bytes) -> bytes:
    return b"ERR Error compiling function: " + lua_message


def function_register_error(message: bytes) -> bytes:
    return b"ERR Error registering functions: " + message


def function_load_option(option: bytes) -> bytes:
    return b"ERR Unknown option given: %s" % option


def function_list_argument(argument: bytes) -> bytes:
    return b"ERR Unknown argument %s" % argument


# What redis.call refuses, and the redis.* functions' errors: raised in the script as error tables, these texts
# get their "ERR " there (the script's error reply may then add where it happened).
LIBRARY_NAME_RULE = (
    b"Library names can only contain letters, numbers, or underscores(_) and must be at least one character long"
)
INVALID_LIBRARY_NAME = b"ERR " + LIBRARY_NAME_RULE  # FUNCTION LOAD's metadata names the library
FUNCTION_EXISTS_IN_LIBRARY = b"Function already exists in the library"
SCRIPT_UNKNOWN_COMMAND = b"Unknown Redis command called from script"
SCRIPT_WRONG_ARITY = b"Wrong number of args calling Redis command from script"
SCRIPT_COMMAND_NOT_ALLOWED = b"This Redis command is not allowed from script"
SCRIPT_WRITE_IN_READ_ONLY = b"Write commands are not allowed from read-only scripts."
LUA_CALL_WITHOUT_ARGUMENTS = b"Please specify at least one argument for this redis lib call"
LUA_CALL_ARGUMENT_TYPE = b"Lua redis lib command arguments must be strings or integers"
LUA_WRONG_NUMBER_OF_ARGUMENTS = b"wrong number of arguments"
LUA_LOG_ARGUMENTS = b"redis.log() requires two arguments or more."
LUA_LOG_LEVEL_NOT_A_NUMBER = b"First argument must be a number (log level)."
LUA_LOG_LEVEL_INVALID = b"Invalid debug level."
LUA_SETRESP_ARGUMENTS = b"redis.setresp() requires one argument."
LUA_SETRESP_VERSION = b"RESP version must be 2 or 3."
LUA_SET_REPL_ARGUMENTS = b"redis.set_repl() requires two arguments."
LUA_SET_REPL_FLAGS = b"Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."
LUA_ACL_CHECK_COMMAND = b"Invalid command passed to redis.acl_check_cmd()"
REGISTER_OUTSIDE_LOAD = b"redis.register_function can only be called on FUNCTION LOAD command"
REGISTER_ARGUMENT_COUNT = b"wrong number of arguments to redis.register_function"
REGISTER_NAME_NOT_STRING = b"first argument to redis.register_function must be a string"
REGISTER_CALLBACK_NOT_FUNCTION = b"second argument to redis.register_function must be a function"
REGISTER_SINGLE_NOT_TABLE = (
    b"calling redis.register_function with a single argument is only applicable to Lua "
    b"table (representing named arguments)."
)
REGISTER_KEY_NOT_STRING = b"named argument key given to redis.register_function is not a string"
REGISTER_NAMED_NAME_NOT_STRING = b"function_name argument given to redis.register_function must be a string"
REGISTER_DESCRIPTION_NOT_STRING = b"description argument given to redis.register_function must be a string"
REGISTER_NAMED_CALLBACK_NOT_FUNCTION = b"callback argument given to redis.register_function must be a function"
REGISTER_FLAGS_NOT_TABLE = b"flags argument to redis.register_function must be a table representing function flags"
REGISTER_UNKNOWN_FLAG = b"unknown flag given"
REGISTER_UNKNOWN_ARGUMENT = b"unknown argument given to redis.register_function"
REGISTER_NAME_MISSING = b"redis.register_function must get a function name argument"
REGISTER_CALLBACK_MISSING = b"redis.register_function must get a callback argument"


def lua_outside_script(function: bytes) -> bytes:
    """A redis.* function that needs a running script, called from FUNCTION LOAD's code or outside a run."""
    return b"%s can only be called inside a script invocation" % function


# -- persistence (SAVE, BGSAVE, DUMP, RESTORE, loading) ------------------------------------------------------
LOADING = b"LOADING Redis is loading the dataset in memory"
MISCONF = (
    b"MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. "
    b"Commands that may modify the data set are disabled, because this instance is configured to report errors "
    b"during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs "
    b"for details about the RDB error."
)
SAVE_FAILED = b"ERR"  # Redis's shared.err: SAVE and BGSAVE answer just "-ERR" when the save fails
BGSAVE_IN_PROGRESS = b"ERR Background save already in progress"
BGSAVE_CHILD_ACTIVE = (
    b"ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to "
    b"schedule a BGSAVE whenever possible."
)
AOF_REWRITE_IN_PROGRESS = b"ERR Background append only file rewriting already in progress"
AOF_REWRITE_FAILED = (
    b"ERR Can't execute an AOF background rewriting. Please check the server logs for more information."
)
AOF_ENABLE_FAILED = b"Unable to turn on AOF. Check server logs."  # CONFIG SET appendonly yes: the reason part
BUSYKEY = b"BUSYKEY Target key name already exists."
DUMP_PAYLOAD_INVALID = b"ERR DUMP payload version or checksum are wrong"
BAD_DATA_FORMAT = b"ERR Bad data format"
RESTORE_TTL_NEGATIVE = b"ERR Invalid TTL value, must be >= 0"
RESTORE_IDLETIME_NEGATIVE = b"ERR Invalid IDLETIME value, must be >= 0"
RESTORE_FREQ_RANGE = b"ERR Invalid FREQ value, must be >= 0 and <= 255"
DEBUG_RELOAD_OPTIONS = b"ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."
DEBUG_RELOAD_FAILED = b"ERR Error trying to load the RDB dump, check server logs."
SHUTDOWN_FAILED = b"ERR Errors trying to SHUTDOWN. Check logs."
NO_PERSISTENCE = b"ERR persistence is not available in this server"  # a server built without the service


def unrecognized_replconf_option(option: bytes) -> bytes:
    return b"ERR Unrecognized REPLCONF option: %s" % option


# -- the HTTP API's own errors (not Redis's: texts of the `{"error": ...}` bodies) ------------------------------
def not_over_http(command: str) -> bytes:
    """A command the HTTP API refuses: it needs a connection that outlives the request (`client|reply` is
    printed as CLIENT REPLY)."""
    return b"ERR %s is not available over the HTTP API" % command.replace("|", " ").upper().encode()


HTTP_KEY_NOT_FOUND = "key not found"
HTTP_EMPTY_COMMAND = "empty command"
HTTP_NOT_UNICODE = "not valid Unicode (a lone surrogate): send bytes that are not UTF-8 as base64"
HTTP_URL_NOT_UTF8 = "the URL is not UTF-8 once percent-decoded: send keys that are not UTF-8 with ?encoding=base64"
HTTP_METRICS_DISABLED = "metrics are disabled (metrics-enabled no)"


def http_invalid_base64(text: str) -> str:
    return f"invalid base64: {text!r}"


def http_body_too_large(limit: int) -> str:
    return f"request body larger than {limit} bytes"


# server commands
INVALID_KEY_ARGUMENTS = b"ERR Invalid arguments specified for command"  # COMMAND GETKEYS: these arguments name no key
CONFIG_REWRITE_FAILED = b"ERR Rewriting config file: %s"
CONFIG_SET_IMMUTABLE = b"can't set immutable config"  # CONFIG SET: the reason part of CONFIG_SET_FAILED
CONFIG_SET_DUPLICATE = b"duplicate parameter"  # likewise
TLS_UPDATE_FAILED = b"Unable to update TLS configuration. Check server logs."  # likewise, tls-*
LISTEN_FAILED = b"Unable to listen on this port. Check server logs."  # likewise, tls-port
CONFIG_SET_PROTECTED = b"can't set protected config"  # likewise: enable-protected-configs does not allow it
MAX_CLIENTS_REACHED = b"-ERR max number of clients reached\r\n"


def too_many_clients_for_os(fitted: int) -> bytes:
    """CONFIG SET maxclients beyond what the open-files limit allows (the reason part of CONFIG_SET_FAILED)."""
    return b"The operating system is not able to handle the specified number of clients, try with %d" % fitted


def protected_command_refused(command: str, option: str) -> bytes:
    """DEBUG (and MODULE) while enable-debug-command (enable-module-command) does not allow this client."""
    return (
        b'ERR %s command not allowed. If the %s option is set to "local", you can run it from a local connection, '
        b"otherwise you need to set this option in the configuration file, and then restart the server."
        % (command.encode(), option.encode())
    )


# protected mode: what a non-loopback client is sent before it is closed (acceptCommonHandler)
PROTECTED_MODE_DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the "
    b"default user. In this mode connections are only accepted from the loopback interface. If you want to connect "
    b"from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected "
    b"mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis "
    b"from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet "
    b"if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the "
    b"protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and "
    b"then restarting the server. 3) If you started the server manually just for testing, restart it with the "
    b"'--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only "
    b"need to do one of the above things in order for the server to start accepting connections from the "
    b"outside.\r\n"
)
# an inline POST or Host: line on the RESP port: someone's browser was made to talk to us (logged, then closed)
CROSS_PROTOCOL_ATTACK = (
    "Possible SECURITY ATTACK detected. It looks like somebody is sending POST or Host: commands to Redis. This is "
    "likely due to an attacker attempting to use Cross Protocol Scripting to compromise your Redis instance. "
    "Connection aborted."
)
NO_SHUTDOWN_IN_PROGRESS = b"ERR No shutdown in progress."

READONLY = b"READONLY You can't write against a read only replica."
INVALID_MASTER_PORT = b"ERR Invalid master port"
REPLICAOF_FROM_REPLICA = b"ERR Command is not valid when client is a replica."


def replica_ip_too_long(length: int) -> bytes:
    return b"ERR REPLCONF ip-address provided by replica instance is too long: %d bytes" % length


FAILOVER_IN_PROGRESS = b"ERR FAILOVER already in progress."
FAILOVER_ON_REPLICA = b"ERR FAILOVER is not valid when server is a replica."
FAILOVER_NO_REPLICAS = b"ERR FAILOVER requires connected replicas."
FAILOVER_FORCE_NEEDS_TARGET = b"ERR FAILOVER with force option requires both a timeout and target HOST and IP."
FAILOVER_TARGET_NOT_REPLICA = b"ERR FAILOVER target HOST and PORT is not a replica."
FAILOVER_TARGET_NOT_ONLINE = b"ERR FAILOVER target replica is not online."
FAILOVER_TIMEOUT = b"ERR FAILOVER timeout must be greater than 0"
NO_FAILOVER_IN_PROGRESS = b"ERR No failover in progress."
PSYNC_FAILOVER_REPLID = b"ERR PSYNC FAILOVER replid must match my replid."
SYNC_WITH_PENDING_OUTPUT = b"ERR SYNC and PSYNC are invalid with pending output"
CLUSTER_DISABLED = b"ERR This instance has cluster support disabled"
NOREPLICAS = b"NOREPLICAS Not enough good replicas to write."
MASTERDOWN = b"MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
# a server without a network side (unit tests, an embedded engine): replication needs the event loop
REPLICATION_UNAVAILABLE = b"ERR replication is not available in this server"
NOMASTERLINK_FAILING_OVER = b"NOMASTERLINK Can't SYNC while failing over"
NOMASTERLINK = b"NOMASTERLINK Can't SYNC while not connected with my master"
WAIT_ON_REPLICA = (
    b"ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is "
    b"configured to be writable (which is not the default) writes to replicas are just local and are not "
    b"propagated."
)


# -- ACL ---------------------------------------------------------------------------------------------------

NOPERM_IN_EXEC = b"NOPERM"  # (its errorstats code)
_NOPERM_REASONS = {1: b"command", 2: b"key", 4: b"channel"}


def noperm(reason: int, command: str) -> bytes:
    """processCommand's refusal of a command the user may not run (reason: storage/acl.py DENIED_*)."""
    what = _NOPERM_REASONS.get(reason)
    if what == b"command":
        return b"NOPERM this user has no permissions to run the '%s' command" % command.encode()
    if what == b"key":
        return b"NOPERM this user has no permissions to access one of the keys used as arguments"
    return b"NOPERM this user has no permissions to access one of the channels used as arguments"


def noperm_in_exec(reason: int) -> bytes:
    """EXEC's refusal of a queued command the user may no longer run."""
    why = {
        1: b"no permission to execute the command or subcommand",
        2: b"no permission to touch the specified keys",
        4: b"no permission to access one of the channels used as arguments",
    }.get(reason, b"no permission")
    return (
        b"NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. "
        b"This command is no longer allowed for the following reason: " + why
    )


def script_noperm(reason: int) -> bytes:
    """scriptVerifyACL: what redis.call raises when the script's user may not run the command."""
    return {
        1: b"The user executing the script can't run this command or subcommand",
        2: b"The user executing the script can't access at least one of the keys mentioned in the command arguments",
        4: b"The user executing the script can't publish to the channel mentioned in the command",
    }.get(reason, b"The user executing the script is lacking the permissions for the command")


ACL_UNMATCHED_SELECTOR = b"ERR Unmatched parenthesis in acl selector starting at '%s'."
ACL_USERNAME_SPACES = b"ERR Usernames can't contain spaces or null characters"
ACL_SETUSER_ERROR = b"ERR Error in ACL SETUSER modifier '%s': %s"
ACL_DEFAULT_UNDELETABLE = b"ERR The 'default' user cannot be removed"
ACL_NO_FILE = (
    b"ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL "
    b"SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in "
    b"order to store users in the Redis configuration."
)
ACL_SAVE_FAILED = b"ERR There was an error trying to save the ACLs. Please check the server logs for more information"
ACL_UNKNOWN_CATEGORY = b"ERR Unknown category '%s'"
ACL_GENPASS_RANGE = (
    b"ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
)
ACL_USER_NOT_FOUND = b"ERR User '%s' not found"
ACL_COMMAND_NOT_FOUND = b"ERR Command '%s' not found"

# -- geo --
GEO_UNIT = b"ERR unsupported unit provided. please use M, KM, FT, MI"
GEO_RADIUS_NOT_NUMERIC = b"ERR need numeric radius"
GEO_WIDTH_NOT_NUMERIC = b"ERR need numeric width"
GEO_HEIGHT_NOT_NUMERIC = b"ERR need numeric height"
GEO_RADIUS_NEGATIVE = b"ERR radius cannot be negative"
GEO_BOX_NEGATIVE = b"ERR height or width cannot be negative"
GEO_MEMBER_UNKNOWN = b"ERR could not decode requested zset member"
GEO_COUNT_NOT_POSITIVE = b"ERR COUNT must be > 0"
GEO_ANY_WITHOUT_COUNT = b"ERR the ANY argument requires COUNT argument"


def invalid_long_lat(longitude: float, latitude: float) -> bytes:
    return b"ERR invalid longitude,latitude pair %f,%f" % (longitude, latitude)


def geo_store_with_options(search_store: bool) -> bytes:
    what = b"GEOSEARCHSTORE" if search_store else b"STORE option in GEORADIUS"
    return b"ERR %s is not compatible with WITHDIST, WITHHASH and WITHCOORD options" % what


def geo_exactly_one_center(name: bytes) -> bytes:
    return b"ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s" % c_string(name)


def geo_exactly_one_shape(name: bytes) -> bytes:
    return b"ERR exactly one of BYRADIUS and BYBOX can be specified for %s" % c_string(name)
