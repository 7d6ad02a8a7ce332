"""SLOWLOG: the most recent commands slower than slowlog-log-slower-than microseconds."""

from collections import deque
from dataclasses import dataclass

MAX_ARGS = 32
MAX_ARG_BYTES = 128
REDACTED = b"(redacted)"
SENSITIVE_CONFIGS = frozenset({b"requirepass", b"masterauth", b"masteruser"})


def redact(argv: list[bytes]) -> list[bytes]:
    """argv as SLOWLOG and MONITOR show it: passwords replaced by "(redacted)", as Redis's
    redactClientCommandArgument does for AUTH, HELLO ... AUTH, ACL SETUSER (the user and its rules) and CONFIG
    SET of requirepass, masterauth and masteruser."""
    name = argv[0].lower()
    if name == b"auth":
        return argv[:1] + [REDACTED] * (len(argv) - 1)
    if name == b"acl" and len(argv) > 2 and argv[1].lower() == b"setuser":
        return argv[:2] + [REDACTED] * (len(argv) - 2)
    hidden = []  # positions to redact
    if name == b"config" and len(argv) > 3 and argv[1].lower() == b"set":
        hidden = [i + 1 for i in range(2, len(argv) - 1, 2) if argv[i].lower() in SENSITIVE_CONFIGS]
    elif name == b"hello":  # HELLO protover [AUTH username password] [SETNAME name], parsed as Redis does
        i = 2
        while i < len(argv):
            option, more = argv[i].lower(), len(argv) - i - 1
            if option == b"auth" and more >= 2:
                hidden += [i + 1, i + 2]
                i += 2
            elif option == b"setname" and more >= 1:
                i += 1
            else:
                break
            i += 1
    if not hidden:
        return argv
    return [REDACTED if i in hidden else arg for i, arg in enumerate(argv)]


@dataclass
class SlowlogEntry:
    id: int
    timestamp: int
    duration_us: int
    argv: list[bytes]
    client_addr: bytes
    client_name: bytes

    def as_reply(self) -> list:
        return [self.id, self.timestamp, self.duration_us, self.argv, self.client_addr, self.client_name]


class Slowlog:
    def __init__(self, max_len: int = 128):
        self.entries: deque[SlowlogEntry] = deque(maxlen=max_len)
        self.next_id = 0

    def resize(self, max_len: int) -> None:
        self.entries = deque(self.entries, maxlen=max_len)

    def add(self, argv: list[bytes], duration_us: int, timestamp: int, addr: str, name: bytes) -> None:
        self.entries.appendleft(SlowlogEntry(self.next_id, timestamp, duration_us, _trim(argv), addr.encode(), name))
        self.next_id += 1

    def reset(self) -> None:
        self.entries.clear()


def _trim(argv: list[bytes]) -> list[bytes]:
    """Redis keeps at most 32 arguments of at most 128 bytes each, saying what it left out."""
    kept = argv[:MAX_ARGS]
    if len(argv) > MAX_ARGS:
        kept[-1] = b"... (%d more arguments)" % (len(argv) - MAX_ARGS + 1)
    return [
        arg if len(arg) <= MAX_ARG_BYTES else arg[:MAX_ARG_BYTES] + b"... (%d more bytes)" % (len(arg) - MAX_ARG_BYTES)
        for arg in kept
    ]
