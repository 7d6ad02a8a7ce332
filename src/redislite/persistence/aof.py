"""The append-only file's writer, Redis 7's multi-part layout: `<dir>/<appenddirname>/` holds a base file (an
RDB, `<appendfilename>.1.base.rdb`, or RESP, `.base.aof`), an incremental RESP file `<appendfilename>.1.incr.aof`,
and the manifest `<appendfilename>.manifest` naming them (aof_manifest.py). Loading them is aof_loader.py's,
the everysec fsync thread aof_fsync.py's, the RESP form aof_format.py's.

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

Rewrites (BGREWRITEAOF, automatic ones, CONFIG SET appendonly yes) are aof_rewrite.py's: this module gives them
a new incremental file (`switch_to_new_incr`), or a temporary one while the first base is being written
(`open_temp_incr`).
"""

import asyncio
import errno
import logging
import os
import time
from pathlib import Path

from ..engine.propagation import encode_ops
from .aof_format import timestamp_annotation
from .aof_fsync import FsyncThread
from .aof_manifest import AofLoadError, Manifest, aof_directory, file_size, read_manifest, write_manifest
from .snapshot import write_snapshot

log = logging.getLogger("redislite.persistence.aof")

WRITE_ERROR_LOG_INTERVAL_S = 30  # AOF_WRITE_LOG_ERROR_RATE: a failing write is logged at most this often


class AppendOnlyFile:
    def __init__(self, state, persistence):
        self.state = state
        self.persistence = persistence
        config = state.config
        self.directory = aof_directory(config)
        self.filename = config.appendfilename
        self.buffer: list[bytes] = []
        self.db_index = -1  # the database the file's last SELECT chose
        self.fd = -1
        self.scheduled = False
        self.held: list = []  # (connection, replies) waiting for this turn's write (and fsync, in always mode)
        self.last_write_ok = True  # aof_last_write_status: False refuses writes (-MISCONF) until a write succeeds
        self.write_errno = 0  # why the last write failed: the -MISCONF text
        self.timestamp_s = 0  # aof_cur_timestamp: the second of the last `#TS:` annotation
        self.last_error_log = 0.0
        self.last_retry = 0.0
        self.manifest: Manifest | None = None  # None while the first base is being written (open_temp_incr)
        self.current_size = 0  # aof_current_size: the base and every incremental file
        self.base_size = 0  # aof_base_size: the size when the last rewrite ended (the base alone after a restart)
        self.rewrite_scheduled = False  # aof_pending_rewrite, kept up to date by aof_rewrite.py
        self.fsync = FsyncThread(self)  # appendfsync everysec
        self.loop = None

    # -- files -----------------------------------------------------------------------------------------

    @property
    def temp_incr_path(self) -> Path:
        return self.directory / f"temp-{self.filename}.incr"

    def open(self) -> None:
        """Open (creating when missing: an RDB base of the current data, an empty incr file, the manifest) the
        incremental file for appending, and start the fsync thread for everysec. AofLoadError when the
        directory or its files cannot be created (a read-only or full disk): the server must not start."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise AofLoadError(
                f"Can't open or create append-only dir {self.directory}: {error.strerror or error}"
            ) from None
        try:
            manifest = read_manifest(self.directory, self.filename)
            if manifest is None:
                manifest = self._create()
            elif not manifest.incrs:  # a BGREWRITEAOF while appendonly was off left a base alone
                manifest = self._add_incr(manifest)
            self.fd = os.open(self.directory / manifest.incrs[-1][0], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        except OSError as error:
            raise AofLoadError(
                f"Can't open the append only file in {self.directory}: {error.strerror or error}"
            ) from None
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
        if self.fsync.thread is None:
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
        self.fsync.start()

    def _create(self) -> Manifest:
        base_name = f"{self.filename}.1.base.rdb"
        incr_name = f"{self.filename}.1.incr.aof"
        persistence = self.persistence
        aux = [(name, b"1" if name == b"aof-base" else value) for name, value in persistence.aux_fields()]
        write_snapshot(
            self.directory / base_name,
            self.state.databases,
            persistence.save_options(),
            aux,
            persistence.function_codes(),
        )
        fd = os.open(self.directory / incr_name, os.O_WRONLY | os.O_CREAT, 0o644)
        os.fsync(fd)
        os.close(fd)
        manifest = Manifest([(base_name, 1, "b"), (incr_name, 1, "i")])
        write_manifest(self.directory, self.filename, manifest)
        log.info("aof_created", extra={"dir": str(self.directory)})
        return manifest

    def close(self) -> None:
        self.flush()
        self.fsync.stop()
        self._close_fd()

    def _close_fd(self) -> None:
        """fsync and close the file being appended to; under the lock, so the fsync thread never fsyncs a
        descriptor number that has just been closed (or reused)."""
        with self.fsync.lock:
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
        if self.state.config.aof_timestamp_enabled:
            self._annotate_time()
        parts, self.db_index = encode_ops(ops, self.db_index)
        self.buffer.extend(parts)
        if not self.scheduled:
            self._schedule()

    def _annotate_time(self) -> None:
        """feedAppendOnlyFile's rule: `#TS:<unix time>` before the first command of each new second (before
        its SELECT or MULTI; never inside a transaction, which Redis logs within one second)."""
        now_s = int(time.time())
        if now_s > self.timestamp_s:
            self.timestamp_s = now_s
            self.buffer.append(timestamp_annotation(now_s))

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
        else:
            self.fsync.wrote()
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
            log.error(
                "aof_write_failed",
                extra={
                    "error": error.strerror or str(error),
                    "written": written,
                    "buffered_bytes": len(data) - written,
                },
            )
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

    def healthy(self) -> bool:
        """Both the last write and the last background fsync succeeded (INFO's aof_last_write_status:ok)."""
        return self.last_write_ok and self.fsync.ok

    def error_errno(self) -> int:
        """Why writes are refused: the failed write first, then the failed fsync (-MISCONF's strerror)."""
        return self.write_errno if not self.last_write_ok else self.fsync.errno

    # -- INFO --------------------------------------------------------------------------------------------

    def fsync_lag_seconds(self) -> float:
        """How long the oldest write not yet fsynced has waited (0 when everything is on disk)."""
        return self.fsync.lag_seconds()

    def info_fields(self) -> list:
        return [
            ("aof_current_size", self.current_size),
            ("aof_base_size", self.base_size),
            ("aof_pending_rewrite", int(self.rewrite_scheduled)),
            ("aof_buffer_length", sum(map(len, self.buffer))),
            ("aof_pending_bio_fsync", 0),
            ("aof_delayed_fsync", 0),
        ]
