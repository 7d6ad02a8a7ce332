"""The append-only file, Redis 7's multi-part layout: `<dir>/<appenddirname>/` holds a base file (an RDB,
`<appendfilename>.1.base.rdb`, or RESP, `.base.aof`), an incremental RESP file `<appendfilename>.1.incr.aof`,
and the manifest `<appendfilename>.manifest` naming them.

The AOF consumes the engine's propagation stream (engine/propagation.py: each write as it states itself, in a
deterministic form such as SET PXAT or SREM, EXEC and script effects in MULTI ... EXEC, expired and evicted
keys as DEL): `AppendOnlyFile.feed`. Fed commands are buffered and written once per event-loop turn:

    always     the turn's changes are written and fsynced before any of that turn's replies leave (connections
               hand their replies to `hold`, released after the fsync: group commit);
    everysec   written each turn, before the turn's replies leave; a background thread fsyncs at most once a
               second (never the loop);
    no         written each turn, before the replies; the kernel decides when to flush.

When a write fails (a full disk), the data stays buffered and is tried again each turn and from the cron; the
server refuses writes with `-MISCONF Errors writing to the AOF file: <strerror>` until a write succeeds. With
always the server exits instead, as Redis does (a reply may not leave before its write is on disk, and a
change in memory cannot be undone). A failed background fsync (everysec) refuses writes the same way until the
fsync thread's next try, a second later, succeeds. With aof-timestamp-enabled, a `#TS:<unix time>` annotation
line precedes the first command of each new second.

At start-up `load` replays the manifest's base and incremental files through Engine.execute with a client of
its own, in slices of about 10 ms (clients get -LOADING meanwhile). A truncated last command is dropped with a warning (aof-load-truncated yes; with no, and for any other
damage, LoadError names the file and the byte offset). Rewrites (BGREWRITEAOF, automatic ones, CONFIG SET
appendonly yes) are aof_rewrite.py's: this module gives them a new incremental file (`switch_to_new_incr`), or a
temporary one while the first base is being written (`open_temp_incr`), and `write_resp_base` for
aof-use-rdb-preamble no.
"""

import asyncio
import errno
import logging
import os
import threading
import time
from pathlib import Path

from ..storage.hashes import HashValue
from ..storage.lists import ListValue
from ..storage.sets import SetValue
from ..storage.zset import ZSet
from .rdb import score_text
from .service import LoadError
from .snapshot import fsync_directory, write_snapshot

log = logging.getLogger("redislite.persistence.aof")

ITEMS_PER_COMMAND = 64  # AOF_REWRITE_ITEMS_PER_CMD: elements per RPUSH/SADD/ZADD/HMSET in a RESP base
LOAD_SLICE_S = 0.01  # loading hands the loop back this often, so clients get -LOADING instead of waiting
WRITE_ERROR_LOG_INTERVAL_S = 30  # AOF_WRITE_LOG_ERROR_RATE: a failing write is logged at most this often


def encode_command(argv) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join([b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in argv])


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
            count = int(data[pos + 1:eol])
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
                length = int(data[pos + 1:eol])
            except ValueError:
                raise AofFormatError("bad bulk length", pos) from None
            pos = eol + 2
            if pos + length + 2 > size:
                raise AofFormatError("truncated command", start, True)
            if data[pos + length:pos + length + 2] != b"\r\n":
                raise AofFormatError("bulk string not terminated by CRLF", pos + length)
            argv.append(data[pos:pos + length])
            pos += length + 2
        yield argv, start, pos


class Manifest:
    """The manifest's lines: `file <name> seq <n> type <b|h|i>`."""

    def __init__(self, entries: list[tuple[str, int, str]]):
        self.entries = entries

    @classmethod
    def parse(cls, text: str, path: Path) -> "Manifest":
        entries = []
        for number, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            words = line.split()
            fields = dict(zip(words[::2], words[1::2]))
            if len(words) % 2 or not {"file", "seq", "type"} <= fields.keys():
                raise AofLoadError(f"invalid AOF manifest {path} line {number}: {line!r}")
            entries.append((fields["file"], int(fields["seq"]), fields["type"]))
        return cls(entries)

    def render(self) -> bytes:
        return "".join(f"file {name} seq {seq} type {kind}\n" for name, seq, kind in self.entries).encode()

    @property
    def base(self):
        return next((entry for entry in self.entries if entry[2] == "b"), None)

    @property
    def incrs(self):
        return [entry for entry in self.entries if entry[2] == "i"]

    @property
    def history(self):
        return [entry for entry in self.entries if entry[2] == "h"]

    def next_seq(self, kind: str) -> int:
        """The sequence number of the next base ("b") or incremental ("i") file, as Redis counts them: one
        more than the current one (so incremental files start again at 1 after a rewrite that kept none)."""
        current = self.base if kind == "b" else (self.incrs[-1] if self.incrs else None)
        return current[1] + 1 if current else 1


def write_manifest(directory: Path, filename: str, manifest: Manifest) -> None:
    """Replace the manifest atomically: a temporary file, fsynced, renamed over it, then the directory fsynced,
    so a crash leaves the old manifest or the new one (never half of one)."""
    temp = directory / f"temp-{filename}.manifest"
    with open(temp, "wb") as file:
        file.write(manifest.render())
        file.flush()
        os.fsync(file.fileno())
    os.replace(temp, directory / f"{filename}.manifest")
    fsync_directory(directory)


def read_manifest(directory: Path, filename: str) -> Manifest | None:
    path = directory / f"{filename}.manifest"
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise AofLoadError(f"can't read {path}: {error.strerror or error}") from None
    return Manifest.parse(text, path)


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


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
        for item in items[start:start + ITEMS_PER_COMMAND]:
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


def _replay_client_class(base):
    """The loader's client: nothing expires while the AOF loads, as in Redis (keyIsExpired and
    checkAlreadyExpired answer no while loading). The file's commands ran while their keys were alive; a
    deadline that passed since is applied once the server runs. The file holds absolute deadlines only."""

    class ReplayClient(base):
        @property
        def now_ms(self) -> int:
            return 0

        @now_ms.setter
        def now_ms(self, _value: int) -> None:
            pass

    return ReplayClient


class AofLoadError(LoadError):
    """The AOF cannot be loaded: the server must not start."""


class AppendOnlyFile:
    def __init__(self, state, persistence):
        self.state = state
        self.persistence = persistence
        config = state.config
        self.directory = Path(config.dir) / config.appenddirname
        self.filename = config.appendfilename
        self.buffer: list[bytes] = []
        self.db_index = -1  # the database the file's last SELECT chose
        self.fd = -1
        self.scheduled = False
        self.held: list = []  # (connection, replies) waiting for this turn's write (and fsync, in always mode)
        self.last_write_ok = True  # aof_last_write_status: False refuses writes (-MISCONF) until a write succeeds
        self.write_errno = 0  # why the last write failed: the -MISCONF text
        # aof_bio_fsync_status: set by the fsync thread; False refuses writes until a later fsync succeeds
        self.fsync_ok = True
        self.fsync_errno = 0
        self.timestamp_s = 0  # aof_cur_timestamp: the second of the last `#TS:` annotation
        self.last_error_log = 0.0
        self.last_retry = 0.0
        self.manifest: Manifest | None = None  # None while the first base is being written (open_temp_incr)
        self.current_size = 0  # aof_current_size: the base and every incremental file
        self.base_size = 0  # aof_base_size: the size when the last rewrite ended (the base alone after a restart)
        self.rewrite_scheduled = False  # aof_pending_rewrite, kept up to date by aof_rewrite.py
        self.unsynced = False  # written but not fsynced yet (everysec, no)
        self.unsynced_since = 0.0  # when the oldest write not yet fsynced was made (fsync_lag_seconds)
        self.sync_lock = threading.Lock()
        self.stop_event = threading.Event()
        self.sync_thread: threading.Thread | None = None
        self.loop = None

    # -- files -----------------------------------------------------------------------------------------

    @property
    def manifest_path(self) -> Path:
        return self.directory / f"{self.filename}.manifest"

    @property
    def temp_incr_path(self) -> Path:
        return self.directory / f"temp-{self.filename}.incr"

    def read_manifest(self) -> Manifest | None:
        return read_manifest(self.directory, self.filename)

    def open(self) -> None:
        """Open (creating when missing: an RDB base of the current data, an empty incr file, the manifest) the
        incremental file for appending, and start the fsync thread for everysec. AofLoadError when the
        directory or its files cannot be created (a read-only or full disk): the server must not start."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise AofLoadError(f"Can't open or create append-only dir {self.directory}: "
                               f"{error.strerror or error}") from None
        try:
            manifest = self.read_manifest()
            if manifest is None:
                manifest = self._create()
            elif not manifest.incrs:  # a BGREWRITEAOF while appendonly was off left a base alone
                manifest = self._add_incr(manifest)
            self.fd = os.open(self.directory / manifest.incrs[-1][0], os.O_WRONLY | os.O_APPEND | os.O_CREAT,
                              0o644)
        except OSError as error:
            raise AofLoadError(f"Can't open the append only file in {self.directory}: "
                               f"{error.strerror or error}") from None
        self.manifest = manifest
        base = manifest.base
        self.base_size = file_size(self.directory / base[0]) if base else 0
        self.current_size = self.base_size + sum(file_size(self.directory / name) for name, _, _ in manifest.incrs)
        self._start_sync_thread()

    def open_temp_incr(self) -> None:
        """CONFIG SET appendonly yes: until the rewrite has written the first base, writes go to a temporary
        incremental file that no manifest names (Redis's temp-appendonly.aof.incr); the rewrite renames it."""
        self.directory.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(self.temp_incr_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_TRUNC, 0o644)
        self.db_index = -1
        if self.sync_thread is None:
            self._start_sync_thread()

    def discard_temp_incr(self) -> None:
        """The first rewrite failed or was stopped: its temporary incremental file goes."""
        self._close_fd()
        try:
            os.unlink(self.temp_incr_path)
        except OSError:
            pass
        self.buffer = []
        self.db_index = -1

    def switch_to_new_incr(self) -> Manifest:
        """At a rewrite's start: the buffered writes go to the current incremental file, then a new one is
        created and named in the manifest before anything is written to it, so the child's snapshot holds
        exactly what the older files hold."""
        self.flush()
        if self.buffer:  # the write failed: the new base would hold these writes, and the new incr file again
            raise OSError(self.write_errno, os.strerror(self.write_errno))
        manifest = self._add_incr(self.manifest)
        new_fd = os.open(self.directory / manifest.incrs[-1][0], os.O_WRONLY | os.O_APPEND, 0o644)
        self._close_fd()
        self.fd = new_fd
        self.db_index = -1  # the new file starts with its own SELECT
        self.manifest = manifest
        return manifest

    def _add_incr(self, manifest: Manifest) -> Manifest:
        seq = manifest.next_seq("i")
        name = f"{self.filename}.{seq}.incr.aof"
        fd = os.open(self.directory / name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.fsync(fd)
        os.close(fd)
        manifest = Manifest([*manifest.entries, (name, seq, "i")])
        write_manifest(self.directory, self.filename, manifest)
        log.info("aof_incr_created", extra={"file": name})
        return manifest

    def _start_sync_thread(self) -> None:
        self.loop = asyncio.get_running_loop()
        # always running (it only fsyncs in everysec mode), so CONFIG SET appendfsync takes effect at once
        self.sync_thread = threading.Thread(target=self._sync_every_second, name="aof-fsync", daemon=True)
        self.sync_thread.start()

    def _create(self) -> Manifest:
        base_name = f"{self.filename}.1.base.rdb"
        incr_name = f"{self.filename}.1.incr.aof"
        persistence = self.persistence
        aux = [(name, b"1" if name == b"aof-base" else value) for name, value in persistence.aux_fields()]
        write_snapshot(self.directory / base_name, self.state.databases, persistence.save_options(), aux,
                       persistence.function_codes())
        fd = os.open(self.directory / incr_name, os.O_WRONLY | os.O_CREAT, 0o644)
        os.fsync(fd)
        os.close(fd)
        manifest = Manifest([(base_name, 1, "b"), (incr_name, 1, "i")])
        self._write_manifest(manifest)
        log.info("aof_created", extra={"dir": str(self.directory)})
        return manifest

    def _write_manifest(self, manifest: Manifest) -> None:
        write_manifest(self.directory, self.filename, manifest)

    def close(self) -> None:
        self.flush()
        self.stop_event.set()
        self._close_fd()

    def _close_fd(self) -> None:
        """fsync and close the file being appended to; under the lock, so the fsync thread never fsyncs a
        descriptor number that has just been closed (or reused)."""
        with self.sync_lock:
            if self.fd >= 0:
                try:
                    os.fsync(self.fd)
                except OSError:
                    pass
                os.close(self.fd)
                self.fd = -1

    # -- feeding -----------------------------------------------------------------------------------------

    def feed(self, ops) -> None:
        """Ops of the propagation stream (engine/propagation.py): (db index, argv), buffered for this turn's
        write, with SELECT where the database changes (-1: any database, for EXEC)."""
        buffer = self.buffer
        if self.state.config.aof_timestamp_enabled:
            self._annotate_time()
        for db_index, argv in ops:
            if db_index >= 0:
                self._select(db_index)
            buffer.append(encode_command(argv))
        if not self.scheduled:
            self._schedule()

    def _annotate_time(self) -> None:
        """feedAppendOnlyFile's rule: `#TS:<unix time>` before the first command of each new second (before
        its SELECT or MULTI; never inside a transaction, which Redis logs within one second)."""
        now_s = int(time.time())
        if now_s > self.timestamp_s:
            self.timestamp_s = now_s
            self.buffer.append(timestamp_annotation(now_s))

    def _select(self, index: int) -> None:
        if index != self.db_index:
            self.buffer.append(encode_command([b"SELECT", b"%d" % index]))
            self.db_index = index

    def _schedule(self) -> None:
        if not self.scheduled and self.loop is not None:
            self.scheduled = True
            self.loop.call_soon(self.flush)

    # -- writing -----------------------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the buffered commands (and fsync them in always mode), then release the held replies."""
        self.scheduled = False
        if self.buffer and self.fd >= 0:
            self._write_buffer()
        held, self.held = self.held, []
        for connection, replies in held:
            if not connection.transport.is_closing():
                connection.send_all(replies)
                connection.write_unsent()  # now, as beforeSleep does (and a closing connection closes)

    def _write_buffer(self) -> None:
        """Append the buffer to the file. On failure (flushAppendOnlyFile) the data stays buffered for the next
        try, and the server refuses writes with -MISCONF until one succeeds; with always, it exits."""
        data = b"".join(self.buffer)
        always = self.state.config.appendfsync == "always"
        written = 0
        try:
            fault = self.state.config.aof_write_fault_errno
            if fault:
                raise OSError(fault, os.strerror(fault))
            view = memoryview(data)
            while written < len(data):
                written += os.write(self.fd, view[written:])
        except OSError as error:
            self._write_failed(error, data, written, always)
            return
        if always:
            try:
                os.fsync(self.fd)
            except OSError as error:
                self._exit_on_always_failure("aof_fsync_failed_exiting", error)
        elif not self.unsynced:
            self.unsynced = True
            self.unsynced_since = time.monotonic()
        self.buffer = []
        self.current_size += len(data)
        if not self.last_write_ok:
            self.last_write_ok = True
            log.warning("aof_write_error_solved")
            self.persistence.aof_status_changed()

    def _write_failed(self, error: OSError, data: bytes, written: int, always: bool) -> None:
        if written:  # a short write: cut it off, so the file still ends with a whole command
            try:
                os.ftruncate(self.fd, os.fstat(self.fd).st_size - written)
                written = 0
            except OSError as truncate_error:
                log.warning("aof_short_write_not_removed", extra={"error": truncate_error.strerror})
        if always:
            self._exit_on_always_failure("aof_write_failed_exiting", error)
        self.current_size += written
        self.buffer = [data[written:]]
        self.write_errno = error.errno or errno.EIO
        now = time.monotonic()
        if self.last_write_ok or now - self.last_error_log >= WRITE_ERROR_LOG_INTERVAL_S:
            self.last_error_log = now
            log.error("aof_write_failed", extra={"error": error.strerror or str(error), "written": written,
                                                 "buffered_bytes": len(data) - written})
        if self.last_write_ok:
            self.last_write_ok = False
            self.persistence.aof_status_changed()

    def _exit_on_always_failure(self, event: str, error: OSError) -> None:
        """appendfsync always promises that a reply (to a write, or to a read that saw it) leaves only once the
        write is on disk, and a change in memory cannot be undone: Redis exits (status 1), so do we. The held
        replies of this turn are never sent, and what the AOF holds is exactly what was acknowledged."""
        log.critical(event, extra={"error": error.strerror or str(error)})
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(1)

    def retry_failed_write(self) -> None:
        """From the cron after a write error: try the buffered data again once a second, as serverCron does
        (writes are refused meanwhile, so nothing else would schedule a flush)."""
        now = time.monotonic()
        if now - self.last_retry >= 1.0:
            self.last_retry = now
            self.flush()

    def hold(self, connection, replies: list[bytes]) -> bool:
        """Whether a reply must wait for this turn's changes to be written (and fsynced, in always mode); then
        it is kept. As in Redis (flushAppendOnlyFile before the replies in beforeSleep), in every mode a reply
        leaves only after the changes it may depend on reached the kernel, so killing the process loses
        nothing acknowledged; only a machine crash can lose what was not fsynced yet."""
        if not (self.buffer or self.held):
            return False
        self.held.append((connection, replies))
        self._schedule()
        return True

    def _sync_every_second(self) -> None:
        """The fsync thread (Redis's bio AOF_FSYNC job). A failed fsync is tried again each second; meanwhile
        the server refuses writes with -MISCONF (writeCommandsDeniedByDiskError reads aof_bio_fsync_status)."""
        config = self.state.config
        while not self.stop_event.wait(1.0):
            if self.unsynced and self.fd >= 0 and config.appendfsync == "everysec":
                self.unsynced = False
                with self.sync_lock:
                    try:
                        if self.fd >= 0:
                            fault = config.aof_fsync_fault_errno
                            if fault:
                                raise OSError(fault, os.strerror(fault))
                            os.fsync(self.fd)
                    except OSError as error:
                        # as bio.c: EBADF / EINVAL mean the descriptor went away, not that the fsync failed
                        if error.errno not in (errno.EBADF, errno.EINVAL):
                            self.unsynced = True
                            self._set_fsync_status(False, error)
                            continue
                self._set_fsync_status(True)

    def _set_fsync_status(self, ok: bool, error: OSError | None = None) -> None:
        """From the fsync thread: record the result; when it changes, the loop updates the refusal."""
        if ok == self.fsync_ok:
            return
        if error is not None:
            self.fsync_errno = error.errno or errno.EIO
            log.warning("aof_fsync_failed", extra={"error": error.strerror or str(error)})
        else:
            log.warning("aof_fsync_error_solved")
        self.fsync_ok = ok
        try:
            self.loop.call_soon_threadsafe(self.persistence.aof_status_changed)
        except RuntimeError:  # the loop is closed: the server is stopping
            pass

    def healthy(self) -> bool:
        """Both the last write and the last background fsync succeeded (INFO's aof_last_write_status:ok)."""
        return self.last_write_ok and self.fsync_ok

    def error_errno(self) -> int:
        """Why writes are refused: the failed write first, then the failed fsync (-MISCONF's strerror)."""
        return self.write_errno if not self.last_write_ok else self.fsync_errno

    # -- loading -----------------------------------------------------------------------------------------

    def load(self):
        """Replay the manifest's files into the (empty) databases, as a generator of time slices of about
        10 ms (clients get -LOADING meanwhile). AofLoadError when they cannot be read."""
        manifest = self.read_manifest()
        if manifest is None:
            log.info("aof_not_found", extra={"dir": str(self.directory)})
            return
        started = time.monotonic()
        base = manifest.base
        files = ([base] if base else []) + manifest.incrs
        commands = 0
        for index, (name, _seq, kind) in enumerate(files):
            path = self.directory / name
            try:
                data = path.read_bytes()
            except OSError as error:
                raise AofLoadError(f"can't read {path}: {error.strerror or error}") from None
            if data.startswith(b"REDIS"):
                try:
                    yield from self.persistence._load_slices(data, path, skip_expired=False)
                except LoadError as error:
                    raise AofLoadError(str(error)) from None
                continue
            progress = self.persistence._begin_loading(len(data))
            try:
                commands += yield from self._replay(data, path, index == len(files) - 1, progress)
            finally:
                self.persistence._end_loading(progress)
        log.info("aof_loaded", extra={"dir": str(self.directory), "commands": commands,
                                      "seconds": round(time.monotonic() - started, 3)})

    def _replay(self, data: bytes, path: Path, last: bool, progress):
        """Run one RESP file's commands; yields between slices, returns how many ran."""
        from ..engine.client import Client
        from ..protocol.values import ErrorReply

        state = self.state
        client = _replay_client_class(Client)(state)
        client.kind = "master"  # neither -LOADING nor -MISCONF applies
        client.authenticated = True
        execute = state.engine.execute
        count = 0
        # As loadSingleAppendOnlyFile: a damaged tail is cut at the end of the last whole command (annotations
        # after it go too), or before an unfinished MULTI
        valid_up_to = valid_before_multi = 0
        slice_end = time.perf_counter() + LOAD_SLICE_S
        try:
            for argv, start, end in parse_commands(data):
                if client.multi is None:
                    valid_before_multi = valid_up_to
                reply = execute(client, argv)
                if reply.__class__ is ErrorReply and argv[0].lower() in (b"multi", b"exec"):
                    raise AofFormatError(f"{argv[0].decode(errors='replace')} failed: "
                                         f"{bytes(reply).decode(errors='replace')}", start)
                count += 1
                valid_up_to = end
                if not count & 255 and time.perf_counter() >= slice_end:
                    progress.loaded_bytes = start
                    yield
                    slice_end = time.perf_counter() + LOAD_SLICE_S
        except AofFormatError as error:
            if error.truncated and last and state.config.aof_load_truncated:
                cut = valid_before_multi if client.multi is not None else valid_up_to
                log.warning("aof_truncated_tail_dropped", extra={"path": str(path), "offset": cut,
                                                                  "dropped_bytes": len(data) - cut})
                self._truncate(path, cut)
                return count
            if error.truncated and last:
                raise AofLoadError(f"Unexpected end of file reading the append only file {path} at offset "
                                   f"{error.offset} (aof-load-truncated is no). Make a backup of your AOF file, "
                                   f"then use redislite-check-aof --fix {self.manifest_path}, or set "
                                   f"aof-load-truncated yes") from None
            raise AofLoadError(f"Bad file format reading the append only file {path} at offset {error.offset}: "
                               f"{error}. Make a backup of your AOF file, then use redislite-check-aof --fix "
                               f"{self.manifest_path}") from None
        if client.multi is not None:  # a MULTI without its EXEC at the very end: dropped, as a truncation
            if last and state.config.aof_load_truncated:
                log.warning("aof_unfinished_multi_dropped", extra={"path": str(path), "offset": valid_before_multi})
                self._truncate(path, valid_before_multi)
            else:
                raise AofLoadError(f"Unexpected end of file reading the append only file {path} "
                                   f"(MULTI without EXEC at offset {valid_before_multi})")
        return count

    def _truncate(self, path: Path, size: int) -> None:
        """Cut a damaged tail so the commands appended from now on follow a valid one."""
        try:
            os.truncate(path, size)
        except OSError as error:
            raise AofLoadError(f"can't truncate {path} to {size} bytes: {error.strerror or error}") from None

    # -- INFO --------------------------------------------------------------------------------------------

    def fsync_lag_seconds(self) -> float:
        """How long the oldest write not yet fsynced has waited (0 when everything is on disk)."""
        return time.monotonic() - self.unsynced_since if self.unsynced else 0.0

    def info_fields(self) -> list:
        return [
            ("aof_current_size", self.current_size),
            ("aof_base_size", self.base_size),
            ("aof_pending_rewrite", int(self.rewrite_scheduled)),
            ("aof_buffer_length", sum(map(len, self.buffer))),
            ("aof_pending_bio_fsync", 0),
            ("aof_delayed_fsync", 0),
        ]
