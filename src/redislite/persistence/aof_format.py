"""The RESP form of AOF files, both ways: a command encoded as the AOF stores it, the parser that reads a file's
commands and `#TS:` annotations back (AofFormatError on damage; the loader, redislite-check-aof and the tests
share it), and the RESP base a rewrite writes with aof-use-rdb-preamble no (rewriteAppendOnlyFileRio's
commands, at most 64 elements each).
"""

import os
import time
from pathlib import Path

from ..protocol.encoder import encode_command
from ..storage.hashes import HashValue
from ..storage.lists import ListValue
from ..storage.sets import SetValue
from ..storage.zset import ZSet
from .rdb import score_text

ITEMS_PER_COMMAND = 64  # AOF_REWRITE_ITEMS_PER_CMD: elements per RPUSH/SADD/ZADD/HMSET in a RESP base


class AofFormatError(Exception):
    def __init__(self, message: str, offset: int, truncated: bool = False):
        super().__init__(message)
        self.offset = offset
        self.truncated = truncated


def parse_commands(data: bytes, annotations: bool = False):
    """Yield (argv, start, end) for each RESP command in data. A line starting with '#' where a command could
    start is an annotation (`#TS:<unix time>`, aof-timestamp-enabled): skipped, as Redis's loader skips it, or
    yielded as (None, start, end) with annotations=True. AofFormatError (truncated=True when the data simply
    ends inside a command) on damage."""
    pos, size = 0, len(data)
    while pos < size:
        start = pos
        if data[pos] == 0x23:  # '#': an annotation line; one cut short at the very end is harmless
            eol = data.find(b"\n", pos)
            pos = size if eol < 0 else eol + 1
            if annotations:
                yield None, start, pos
            continue
        if data[pos] != 0x2A:  # '*'
            raise AofFormatError("expected '*'", start)
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            raise AofFormatError("truncated command", start, True)
        try:
            count = int(data[pos + 1 : eol])
        except ValueError:
            raise AofFormatError("bad argument count", start) from None
        if count < 1:
            raise AofFormatError("bad argument count", start)
        pos = eol + 2
        argv = []
        for _ in range(count):
            if pos >= size:
                raise AofFormatError("truncated command", start, True)
            if data[pos] != 0x24:  # '$'
                raise AofFormatError("expected '$'", pos)
            eol = data.find(b"\r\n", pos)
            if eol < 0:
                raise AofFormatError("truncated command", start, True)
            try:
                length = int(data[pos + 1 : eol])
            except ValueError:
                raise AofFormatError("bad bulk length", pos) from None
            pos = eol + 2
            if pos + length + 2 > size:
                raise AofFormatError("truncated command", start, True)
            if data[pos + length : pos + length + 2] != b"\r\n":
                raise AofFormatError("bulk string not terminated by CRLF", pos + length)
            argv.append(data[pos : pos + length])
            pos += length + 2
        yield argv, start, pos


def value_commands(key: bytes, value):
    """The commands that rebuild one value (rewriteAppendOnlyFileRio's forms: SET, RPUSH, SADD, ZADD, HMSET,
    at most 64 elements per command)."""
    cls = value.__class__
    if cls is bytes or cls is bytearray:
        return [[b"SET", key, bytes(value)]]
    if isinstance(value, ListValue):
        verb, items = b"RPUSH", [[item] for item in value]
    elif isinstance(value, SetValue):
        verb, items = b"SADD", [[member] for member in value]
    elif isinstance(value, ZSet):
        verb, items = b"ZADD", [[score_text(score), member] for score, member in value.pairs()]
    elif isinstance(value, HashValue):
        verb, items = b"HMSET", [[field, field_value] for field, field_value in value.items()]
    else:
        raise TypeError(f"no AOF form for a {cls.__name__} value")
    commands = []
    for start in range(0, len(items), ITEMS_PER_COMMAND):
        argv = [verb, key]
        for item in items[start : start + ITEMS_PER_COMMAND]:
            argv += item
        commands.append(argv)
    return commands


def timestamp_annotation(unix_s: int) -> bytes:
    return b"#TS:%d\r\n" % unix_s


def write_resp_base(path: Path, databases, options, aux, functions=(), timestamp: bool = False) -> tuple[int, int]:
    """A base file of RESP commands (aof-use-rdb-preamble no), written and fsynced at path (a temporary name:
    the parent renames it into place); returns (bytes, keys). Same signature as write_snapshot; with timestamp
    (aof-timestamp-enabled) it starts with a `#TS:` annotation, as rewriteAppendOnlyFileRio's does."""
    delay = options.key_save_delay_us / 1_000_000 if options.key_save_delay_us else 0
    progress = options.key_progress
    size = keys = 0
    with open(path, "wb") as file:
        out = bytearray(timestamp_annotation(int(time.time())) if timestamp else b"")
        for code in functions:
            out += encode_command([b"FUNCTION", b"LOAD", code])
        for db in databases:
            if not db.data:
                continue
            out += encode_command([b"SELECT", b"%d" % db.index])
            expires = db.expires
            for key, value in db.data.items():
                for argv in value_commands(key, value):
                    out += encode_command(argv)
                deadline = expires.get(key)
                if deadline is not None:
                    out += encode_command([b"PEXPIREAT", key, b"%d" % deadline])
                keys += 1
                if progress is not None and (keys & 1023) == 1:
                    progress(keys)
                if delay:
                    time.sleep(delay)
                if len(out) >= 1 << 20:
                    file.write(out)
                    size += len(out)
                    out.clear()
        file.write(out)
        size += len(out)
        file.flush()
        os.fsync(file.fileno())
    return size, keys
