"""Redis's error replies, byte for byte. Client libraries branch on these texts, so they live in one place."""


class CommandError(Exception):
    """A command failed; `message` is the full error line without the leading '-' (e.g. b'ERR syntax error')."""

    def __init__(self, message: bytes):
        super().__init__(message)
        self.message = message


class ProtocolViolation(Exception):
    """The client broke RESP; the connection gets `-ERR Protocol error: ...` and is closed."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.message = b"ERR Protocol error: " + detail.encode()


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
NO_CONFIG_FILE = b"ERR The server is running without a config file"
TIMEOUT_NOT_INTEGER = b"ERR timeout is not an integer or out of range"
MULTI_NESTED = b"ERR MULTI calls can not be nested"


def wrong_arity(name: str) -> bytes:
    return b"ERR wrong number of arguments for '%s' command" % name.encode()


def unknown_command(argv: list[bytes]) -> bytes:
    # Redis caps the quoted-argument preview at about 128 bytes in total.
    args = b""
    for arg in argv[1:]:
        if len(args) >= 128:
            break
        args += b"'%s' " % arg[: 128 - len(args)]
    return b"ERR unknown command '%s', with args beginning with: %s" % (argv[0][:128], args)


def unknown_subcommand(container: str, sub: bytes) -> bytes:
    return b"ERR unknown subcommand '%s'. Try %s HELP." % (sub[:128], container.upper().encode())


def invalid_expire(command: str) -> bytes:
    return b"ERR invalid expire time in '%s' command" % command.encode()
