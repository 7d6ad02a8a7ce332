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
UNKILLABLE = (b"UNKILLABLE Sorry the script already executed write commands against the dataset. You can either "
              b"wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
NOT_ALLOWED_IN_MULTI = b"ERR Command not allowed inside a transaction"


def misconf_aof(errno: int) -> bytes:
    """writeCommandsGetDiskErrorMessage for an AOF that cannot be written (or fsynced): strerror's text."""
    return b"MISCONF Errors writing to the AOF file: %s" % os.strerror(errno).encode()


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
    return (b"ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed "
            b"in this context" % name.encode())


def unknown_subcommand_or_arity(container: str, sub: bytes) -> bytes:
    """addReplySubcommandSyntaxError: a known subcommand with arguments its handler does not take."""
    return b"ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP." % (
        sub[:128], container.upper().encode())


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
BITFIELD_TYPE = (
    b"ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)
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
SORT_NOT_DOUBLE = b"ERR One or more scores can't be converted into double"

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
AOF_REWRITE_FAILED = b"ERR Can't execute an AOF background rewriting. Please check the server logs for more information."
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
