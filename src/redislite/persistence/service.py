"""The persistence service one server owns, installed as `ServerState.persistence`: the commands (SAVE, BGSAVE,
DUMP, RESTORE, DEBUG RELOAD, SHUTDOWN) reach the RDB code through it, the server's cron drives background
saves and save points through it, and the engine asks it whether a command must be refused (`refusal`):

    -LOADING   while the dataset is being loaded, for commands without the `loading` flag;
    -MISCONF   after a failed background save, for write commands (and PING), while save points are set
               and stop-writes-on-bgsave-error is yes, until a save succeeds (writeCommandsDeniedByDiskError);
               and while the AOF cannot be written, until a retry (from the cron, once a second) succeeds,
               or its background fsync fails (everysec), until a later fsync succeeds.
"""

import asyncio
import functools
import logging
import os
import signal
import time
from pathlib import Path

from .. import REDIS_COMPAT_VERSION, errors
from ..commands.info import resident_bytes
from ..commands.registry import CommandFlag
from ..commands.scripting import scripting_of_server
from ..errors import CommandError
from ..protocol.values import OK
from .aof import AppendOnlyFile
from .aof_loader import AofLoader
from .aof_manifest import aof_directory
from .aof_rewrite import AofRewriter
from .rdb import RdbError, SaveOptions, dump_payload, load_payload, verify_payload
from .snapshot import (
    BackgroundSave,
    LoadError,
    LoadProgress,
    child_info_fields,
    load_records,
    stream_snapshot,
    write_snapshot,
)

log = logging.getLogger("redislite.persistence")

BGSAVE_RETRY_DELAY_S = 5  # CONFIG_BGSAVE_RETRY_DELAY: after a failed BGSAVE, save points wait this long
LOADING_FLAG = int(CommandFlag.LOADING)
WRITE_FLAG = int(CommandFlag.WRITE)


class Persistence:
    def __init__(self, state):
        self.state = state
        self.child: BackgroundSave | None = None
        self.bgsave_scheduled = False
        self.last_bgsave_ok = True
        self.last_bgsave_try_s = 0
        self.last_bgsave_seconds = -1
        self.saves = 0  # rdb_saves: SAVE and BGSAVE calls that started a save
        self.last_cow_bytes = 0
        self.latest_fork_usec = 0
        self.total_forks = 0
        self.loading: LoadProgress | None = None
        self.last_load = LoadProgress()
        # replicas' full syncs (SnapshotWaiter): waiting for the running BGSAVE, and waiting for the next one
        self.sync_attached: list = []
        self.sync_pending: list = []
        self.stream_fd = -1  # a diskless sync's pipe from its child, while it runs
        self.aof: AppendOnlyFile | None = None  # while appendonly is on
        self.rewriter = AofRewriter(self)  # BGREWRITEAOF, automatic rewrites, CONFIG SET appendonly
        state.persistence = self

    # -- configuration ---------------------------------------------------------------------------------

    @property
    def config(self):
        return self.state.config

    def rdb_path(self) -> Path:
        return Path(self.config.dir) / self.config.dbfilename

    def save_points(self) -> list[tuple[int, int]]:
        words = [int(word) for word in self.config.save.split()]
        return list(zip(words[::2], words[1::2]))

    def save_options(self, with_idle: bool = True) -> SaveOptions:
        config = self.config
        idle_clock = freq_clock = None
        if with_idle and config.maxmemory_policy.endswith("-lru"):
            idle_clock = self.state.clock_ms() // 1000
        if with_idle and config.maxmemory_policy.endswith("-lfu"):
            freq_clock = self.state.clock_ms() // 1000
        return SaveOptions(
            compression=config.rdbcompression,
            checksum=config.rdbchecksum,
            list_fill=config.list_max_listpack_size,
            idle_clock_s=idle_clock,
            freq_clock_s=freq_clock,
            key_save_delay_us=max(config.rdb_key_save_delay, 0),
            incremental_fsync=config.rdb_save_incremental_fsync,
        )

    def aux_fields(self) -> list[tuple[bytes, bytes]]:
        """rdbSaveInfoAuxFields, in Redis's order."""
        return [
            (b"redis-ver", REDIS_COMPAT_VERSION.encode()),
            (b"redis-bits", b"64"),
            (b"ctime", b"%d" % int(time.time())),
            (b"used-mem", b"%d" % resident_bytes()),
            (b"aof-base", b"0"),
        ]

    def function_codes(self) -> list[bytes]:
        scripting = self.state.scripting
        return [library.code for library in scripting.libraries.values()] if scripting is not None else []

    # -- saving ----------------------------------------------------------------------------------------

    def save(self) -> bool:
        """rdbSave: write the snapshot in this process (the server waits). True on success."""
        state = self.state
        path = self.rdb_path()
        started = time.monotonic()
        try:
            size, keys = write_snapshot(
                path, state.databases, self.save_options(), self.aux_fields(), self.function_codes()
            )
        except (OSError, RdbError) as error:
            log.warning("rdb_save_failed", extra={"path": str(path), "error": _describe(error)})
            return False
        except Exception:  # a bug must fail the save, not the server
            log.exception("rdb_save_crashed", extra={"path": str(path)})
            return False
        state.dirty = 0
        state.last_save_s = int(time.time())
        self._set_bgsave_status(True)
        log.info(
            "rdb_saved",
            extra={"path": str(path), "bytes": size, "keys": keys, "seconds": round(time.monotonic() - started, 3)},
        )
        return True

    def bgsave(self) -> bool:
        """rdbSaveBackground: fork a child that writes the snapshot. False when the fork failed."""
        state = self.state
        path = self.rdb_path()
        self.last_bgsave_try_s = int(time.time())
        self.saves += 1
        try:
            child, fork_usec = BackgroundSave.start(
                path, state.databases, self.save_options(), self.aux_fields(), self.function_codes(), state.dirty
            )
        except OSError as error:
            self._set_bgsave_status(False)
            log.warning("bgsave_fork_failed", extra={"error": _describe(error)})
            return False
        self.child = child
        self.note_fork(fork_usec)
        log.info("bgsave_started", extra={"pid": child.pid, "fork_usec": fork_usec})
        return True

    def note_fork(self, fork_usec: int) -> None:
        """INFO's fork counters and LATENCY's "fork" event, for a BGSAVE or an AOF rewrite child."""
        self.latest_fork_usec = fork_usec
        self.total_forks += 1
        threshold = self.config.latency_monitor_threshold
        if threshold and fork_usec // 1000 >= threshold:  # LATENCY's "fork" event, as Redis records it
            self.state.latency.record("fork", fork_usec // 1000, int(time.time()))

    def bgsave_in_progress(self) -> bool:
        return self.child is not None

    def has_active_child(self) -> bool:
        """hasActiveChildProcess: a BGSAVE or an AOF rewrite runs (Redis runs one child at a time)."""
        return self.child is not None or self.rewriter.child is not None

    # -- AOF rewrite (aof_rewrite.py) --------------------------------------------------------------------

    def aof_rewrite_in_progress(self) -> bool:
        return self.rewriter.child is not None

    def schedule_aof_rewrite(self) -> None:
        self.rewriter.schedule()

    def rewrite_aof(self) -> bool:
        """Start a rewrite now (BGREWRITEAOF). False when it could not be started."""
        return self.rewriter.start()

    def set_appendonly(self, enabled: bool, atomic: bool = False) -> bool:
        """CONFIG SET appendonly: turning it on starts the rewrite that writes the first base; turning it off
        closes the AOF. False when the AOF could not be turned on."""
        rewriter = self.rewriter
        if enabled and self.aof is None:
            return rewriter.enable(atomic)
        if not enabled and self.aof is not None:
            rewriter.disable()
        return True

    def check_child(self) -> None:
        """Reap a finished BGSAVE child (backgroundSaveDoneHandler)."""
        child = self.child
        if child is None:
            return
        result = child.poll()
        if result is None:
            return
        self.child = None
        state = self.state
        if child.to_replicas:  # a diskless sync: no file, so neither LASTSAVE nor the dirty counter change
            if self.stream_fd >= 0:  # the child is gone: the rest is in the pipe, then its end
                os.set_blocking(self.stream_fd, True)
                self._relay_stream()
                self._close_stream()
            attached, self.sync_attached = self.sync_attached, []
            log.info("diskless_sync_done", extra={"pid": child.pid, "ok": result.ok, "error": result.error})
            for waiter in attached:
                waiter.snapshot_streamed(result.ok)
            self._start_pending_syncs()
            return
        self.last_bgsave_seconds = int(result.seconds)
        if result.ok:
            state.dirty = max(state.dirty - child.dirty_before, 0)
            state.last_save_s = int(time.time())
            self.last_cow_bytes = result.cow_bytes
            self._set_bgsave_status(True)
            log.info(
                "bgsave_done",
                extra={
                    "pid": child.pid,
                    "bytes": result.size,
                    "keys": result.keys,
                    "seconds": round(result.seconds, 3),
                    "cow_bytes": result.cow_bytes,
                },
            )
        else:
            if result.by_signal != signal.SIGUSR1:  # stopped on purpose, which is not a failure
                self._set_bgsave_status(False)
            log.warning("bgsave_failed", extra={"pid": child.pid, "error": result.error, "path": str(child.path)})
        attached, self.sync_attached = self.sync_attached, []
        if attached:
            self._send_snapshot(attached, child.path if result.ok else None)
        self._start_pending_syncs()

    # -- snapshots for replicas (replication/master.py) and redis-cli --rdb ------------------------------

    def sync(self, waiter) -> bool:
        """Make a snapshot for `waiter` (SnapshotWaiter): a new BGSAVE, or the one after the running child
        (a BGSAVE started for something else holds a different point of the stream). `snapshot_started` is
        called when the child forks: the point of the stream the snapshot holds; `snapshot_done` with its
        bytes, or None when it failed. False when no BGSAVE could be started."""
        if self.has_active_child():
            self.sync_pending.append(waiter)
            return True
        if not self.bgsave():
            return False
        self.sync_attached.append(waiter)
        waiter.snapshot_started()
        return True

    def sync_to_sockets(self, waiters: list) -> bool:
        """A diskless full sync (rdbSaveToSlavesSockets): fork a child that writes the snapshot into a pipe, and
        relay what it writes to the waiters as it comes (`snapshot_chunk`); `snapshot_streamed(ok)` once the
        child has exited. `snapshot_started` is called at the fork. False when the fork failed."""
        state = self.state
        read_fd, write_fd = os.pipe()
        try:
            child, fork_usec = BackgroundSave.start(
                self.rdb_path(),
                state.databases,
                self.save_options(),
                self.aux_fields(),
                self.function_codes(),
                state.dirty,
                write=functools.partial(stream_snapshot, write_fd),
                keep_fd=write_fd,
            )
        except OSError as error:
            os.close(read_fd)
            os.close(write_fd)
            log.warning("diskless_sync_fork_failed", extra={"error": _describe(error)})
            return False
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        self.child, self.stream_fd = child, read_fd
        child.to_replicas = True
        self.note_fork(fork_usec)
        log.info("diskless_sync_started", extra={"pid": child.pid, "replicas": len(waiters)})
        self.sync_attached = list(waiters)
        for waiter in waiters:
            waiter.snapshot_started()
        asyncio.get_running_loop().add_reader(read_fd, self._relay_stream)
        return True

    def _relay_stream(self) -> None:
        """What the diskless child wrote so far, to every waiter; at the end of the pipe, stop reading."""
        while self.stream_fd >= 0:
            try:
                chunk = os.read(self.stream_fd, 1 << 16)
            except BlockingIOError:
                return
            if not chunk:
                self._close_stream()
                return
            for waiter in self.sync_attached:
                waiter.snapshot_chunk(chunk)

    def _close_stream(self) -> None:
        if self.stream_fd >= 0:
            asyncio.get_running_loop().remove_reader(self.stream_fd)
            os.close(self.stream_fd)
            self.stream_fd = -1

    def _start_pending_syncs(self) -> None:
        if self.sync_pending and not self.has_active_child():
            pending, self.sync_pending = self.sync_pending, []
            if self.bgsave():
                self.sync_attached = pending
                for waiter in pending:
                    waiter.snapshot_started()
            else:
                self._send_snapshot(pending, None)

    def _send_snapshot(self, waiters: list, path: Path | None) -> None:
        payload = None
        if path is not None:
            try:
                payload = path.read_bytes()
            except OSError as error:
                log.warning("sync_snapshot_unreadable", extra={"path": str(path), "error": _describe(error)})
        for waiter in waiters:
            waiter.snapshot_done(payload)

    def kill_child(self) -> None:
        child = self.child
        if child is not None:
            log.info("bgsave_killed", extra={"pid": child.pid})
            child.kill()
            self.child = None
            attached, self.sync_attached = self.sync_attached, []
            if child.to_replicas:
                self._close_stream()
                for waiter in attached:
                    waiter.snapshot_streamed(False)
            else:
                self._send_snapshot(attached, None)

    def cron(self) -> None:
        """serverCron's persistence part: reap the children, run a scheduled BGSAVE or AOF rewrite, check the
        save points and whether the AOF grew enough to be rewritten."""
        if self.aof is not None and not self.aof.last_write_ok:
            self.aof.retry_failed_write()
        self.check_child()
        self.rewriter.check_child()
        if self.has_active_child() or self.loading is not None:
            return
        self._start_pending_syncs()
        if self.child is not None:
            return
        if self.rewriter.scheduled and self.rewriter.cron():
            return
        if self.bgsave_scheduled:
            self.bgsave_scheduled = False
            self.bgsave()
            return
        if self.rewriter.cron():
            return
        points = self.save_points() if self.config.save else ()
        if not points:
            return
        state = self.state
        now_s = int(time.time())
        for seconds, changes in points:
            if (
                state.dirty >= changes
                and now_s - state.last_save_s > seconds
                and (now_s - self.last_bgsave_try_s > BGSAVE_RETRY_DELAY_S or self.last_bgsave_ok)
            ):
                log.info("save_point_reached", extra={"changes": changes, "seconds": seconds})
                self.bgsave()
                return

    def _set_bgsave_status(self, ok: bool) -> None:
        self.last_bgsave_ok = ok
        self._update_refusal()

    def flushed_all(self) -> None:
        """FLUSHALL (flushAllDataAndResetRDB): a running BGSAVE would write the old data back, so it is
        stopped; with save points set the empty dataset is saved at once, so a restart cannot resurrect it.
        The dirty counter is kept: the flush itself still counts as a change."""
        self.kill_child()
        if self.config.save:
            dirty = self.state.dirty
            self.save()
            self.state.dirty = dirty

    # -- shutdown --------------------------------------------------------------------------------------

    def prepare_shutdown(self, save: bool | None, force: bool = False) -> bool:
        """prepareForShutdown's saving part: stop a BGSAVE child, then save when asked to (SAVE), or when save
        points are set and NOSAVE was not given. False when the save failed (and FORCE was not given)."""
        rewriter = self.rewriter
        if rewriter.enabling is not None and rewriter.child is not None:
            # the first base is not written yet: stopping now would leave no AOF at all
            if not force:
                log.warning("shutdown_refused_writing_initial_aof")
                return False
            log.warning("shutdown_forced_writing_initial_aof")
        self.kill_child()
        rewriter.kill()
        if save is False or (save is None and not self.config.save):
            return True
        if self.loading is not None:  # half a dataset must never replace the file it is being loaded from
            log.warning("shutdown_while_loading_skips_save")
            return True
        if self.save():
            return True
        if force:
            log.warning("shutdown_save_failed_forced")
            return True
        log.warning("shutdown_aborted_save_failed")
        return False

    # -- loading ---------------------------------------------------------------------------------------

    def startup_loader(self):
        """The start-up load as a generator of time slices, or None when there is nothing to load: the AOF
        directory with appendonly yes (then opened, so every change is logged to it), else dump.rdb. LoadError
        when a file exists but cannot be read."""
        if self.config.appendonly:
            return self._load_and_open_aof()
        path = self.rdb_path()
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            log.info("rdb_not_found", extra={"path": str(path)})
            return None
        except OSError as error:
            raise LoadError(f"can't read {path}: {error.strerror or error}") from None
        return self._load_slices(data, path)

    def _load_and_open_aof(self):
        aof = AppendOnlyFile(self.state, self)
        yield from AofLoader(self.state, self, aof.directory).load()
        aof.open()
        self.aof = aof
        self.state.engine.attach_aof(aof)

    def _load_slices(self, data: bytes, path: Path, skip_expired: bool = True):
        """Load an RDB file in slices. An AOF's base keeps keys whose deadline has passed (skip_expired False),
        as Redis loads an AOF preamble: the AOF's later commands ran while they were alive."""
        started = time.monotonic()
        progress = self._begin_loading(len(data))
        summary = None
        try:
            for summary in load_records(
                data, self.state, progress, skip_expired=skip_expired, key_load_delay_us=self.config.key_load_delay
            ):
                if summary is None:
                    yield
        except RdbError as error:
            log.warning("rdb_load_failed", extra={"path": str(path), "error": str(error)})
            raise LoadError(f"can't load {path}: {error}") from None
        except Exception as error:  # a bug, not the file: still one line for the user, details in the log
            log.exception("rdb_load_crashed", extra={"path": str(path)})
            raise LoadError(f"can't load {path}: unexpected {type(error).__name__}: {error}") from None
        finally:
            self._end_loading(progress)
        self._after_load(summary, progress, path, time.monotonic() - started)

    def load_snapshot(self, data: bytes, source: str):
        """A replica's full sync (replication/replica.py): the dataset emptied, then the master's RDB loaded in
        slices (a generator; clients get -LOADING meanwhile). Keys past their deadline are kept, as a replica
        loads them: the master's DELs remove them. LoadError when the payload does not load."""
        aof_on = self.aof is not None
        if aof_on:  # stopAppendOnly: the AOF describes the old data
            self.set_appendonly(False)
        self.kill_child()  # its snapshot of the old data must not land after the new data
        self._empty_dataset()
        yield from self._load_slices(data, Path(source), skip_expired=False)
        if aof_on:  # restartAOFAfterSYNC: a rewrite writes the new dataset as the AOF's base
            self.set_appendonly(True)

    def load_file(self, merge: bool = False) -> None:
        """Load dump.rdb now, in one go (DEBUG RELOAD). LoadError when it cannot be read."""
        path = self.rdb_path()
        try:
            data = path.read_bytes()
        except OSError as error:
            raise LoadError(f"can't read {path}: {error.strerror or error}") from None
        started = time.monotonic()
        progress = self._begin_loading(len(data))
        try:
            for summary in load_records(data, self.state, progress, merge=merge):  # noqa: B007
                pass  # the generator loads in slices; what it yields last is the load's summary
        except RdbError as error:
            log.warning("rdb_load_failed", extra={"path": str(path), "error": str(error)})
            raise LoadError(f"can't load {path}: {error}") from None
        except Exception as error:
            log.exception("rdb_load_crashed", extra={"path": str(path)})
            raise LoadError(f"can't load {path}: unexpected {type(error).__name__}: {error}") from None
        finally:
            self._end_loading(progress)
        self._after_load(summary, progress, path, time.monotonic() - started)

    def _begin_loading(self, total: int) -> LoadProgress:
        progress = LoadProgress(total_bytes=total, started_s=int(time.time()))
        self.loading = progress
        self._update_refusal()
        return progress

    def _end_loading(self, progress: LoadProgress) -> None:
        self.loading = None
        self.last_load = progress
        self._update_refusal()

    def _after_load(self, summary, progress: LoadProgress, path: Path, seconds: float) -> None:
        if summary is not None and summary.functions:
            self._install_functions(summary.functions)
        log.info(
            "rdb_loaded",
            extra={
                "path": str(path),
                "keys": progress.keys_loaded,
                "expired_skipped": progress.keys_expired,
                "empty_skipped": progress.keys_empty,
                "seconds": round(seconds, 3),
                "rdb_version": summary.version if summary else None,
            },
        )

    def _install_functions(self, codes: list[bytes]) -> None:
        """Function libraries saved in the file (RDB_OPCODE_FUNCTION2), loaded as FUNCTION LOAD REPLACE would."""
        scripting = scripting_of_server(self.state)
        for code in codes:
            try:
                scripting.create_library(code, True)
            except CommandError as error:
                raise LoadError(
                    "a function library in the RDB file does not load: " + error.message.decode("utf-8", "replace")
                ) from None

    def debug_reload(self, options: list[bytes]):
        """DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the dataset (functions included), load back."""
        merge, flush, save = False, True, True
        for option in options:
            if option == b"MERGE":
                merge = True
            elif option == b"NOFLUSH":
                flush = False
            elif option == b"NOSAVE":
                save = False
            else:
                raise CommandError(errors.DEBUG_RELOAD_OPTIONS)
        self.kill_child()  # its older snapshot would otherwise land on top of this one
        if save and not self.save():
            raise CommandError(errors.SAVE_FAILED)
        if flush:
            self._empty_dataset()
        try:
            self.load_file(merge=merge)
        except LoadError:
            raise CommandError(errors.DEBUG_RELOAD_FAILED) from None
        log.warning("debug_reload_done")
        return OK

    def debug_load_aof(self):
        """DEBUG LOADAOF: write what the AOF has buffered, empty the dataset, replay the AOF directory (what a
        restart would load). The replayed writes are not appended again, and count as no change."""
        engine = self.state.engine
        attached = engine.aof
        if attached is not None:
            attached.flush()
        self._empty_dataset()
        engine.attach_aof(None)
        directory = attached.directory if attached is not None else aof_directory(self.config)
        try:
            for _ in AofLoader(self.state, self, directory).load():
                pass
        except LoadError as error:
            raise CommandError(errors.generic(str(error).encode("utf-8", "surrogateescape"))) from None
        finally:
            engine.attach_aof(attached)
        self.state.dirty = 0
        log.warning("debug_loadaof_done")
        return OK

    def _empty_dataset(self) -> None:
        """Every database and function library gone, as before a load."""
        self.state.flush_all()
        scripting = self.state.scripting
        if scripting is not None:
            scripting.libraries.clear()
            scripting.functions.clear()

    # -- refusing commands -----------------------------------------------------------------------------

    def _update_refusal(self) -> None:
        refusing = self.loading is not None or not self.last_bgsave_ok or self.aof_failed()
        self.state.refusal = self.refusal if refusing else None

    def aof_status_changed(self) -> None:
        """The AOF's writes or fsyncs started failing, or work again (or appendonly was turned off)."""
        self._update_refusal()

    def aof_failed(self) -> bool:
        return self.aof is not None and not self.aof.healthy()

    def misconf(self) -> bool:
        config = self.config
        return not self.last_bgsave_ok and config.stop_writes_on_bgsave_error and bool(config.save)

    def misconf_message(self) -> bytes | None:
        """writeCommandsDeniedByDiskError: the failed background save first, then the AOF."""
        if self.misconf():
            return errors.MISCONF
        if self.aof_failed():
            return errors.misconf_aof(self.aof.error_errno())
        return None

    def refusal(self, client, command) -> bytes | None:
        """The error that stands instead of running this command now, or None (called by the engine only
        while loading or after a failed save)."""
        if client.kind == "master":
            return None
        if self.loading is not None:
            if not command.flags & LOADING_FLAG or (
                command.name == "exec" and self._queued(client, LOADING_FLAG, missing=True)
            ):
                return errors.LOADING
            return None
        message = self.misconf_message()
        if message is not None and (
            command.flags & WRITE_FLAG
            or command.name == "ping"
            or (command.name == "exec" and self._queued(client, WRITE_FLAG))
        ):
            return message
        return None

    def _queued(self, client, flag: int, missing: bool = False) -> bool:
        """Whether a queued command of client's MULTI has (or, with missing, lacks) the flag."""
        if not client.multi:
            return False
        lookup = self.state.engine.lookup
        for argv in client.multi:
            queued = lookup(argv)
            if queued is not None and bool(queued.flags & flag) != missing:
                return True
        return False

    # -- DUMP / RESTORE --------------------------------------------------------------------------------

    def dump(self, value) -> bytes:
        return dump_payload(value, self.save_options(with_idle=False))

    def verify_payload(self, payload: bytes) -> bool:
        return verify_payload(payload)

    def restore_value(self, payload: bytes):
        """The value in a verified payload, or None when it is not a well-formed value."""
        try:
            return load_payload(payload, self.config)
        except RdbError:
            return None

    # -- INFO ------------------------------------------------------------------------------------------

    def info_fields(self) -> list:
        state = self.state
        child = self.child
        now = time.monotonic()
        fields = [
            ("loading", int(self.loading is not None)),
            ("async_loading", 0),
            *child_info_fields(child or self.rewriter.child),
            ("rdb_changes_since_last_save", state.dirty),
            ("rdb_bgsave_in_progress", int(child is not None)),
            ("rdb_last_save_time", state.last_save_s),
            ("rdb_last_bgsave_status", "ok" if self.last_bgsave_ok else "err"),
            ("rdb_last_bgsave_time_sec", self.last_bgsave_seconds),
            ("rdb_current_bgsave_time_sec", int(now - child.started) if child else -1),
            ("rdb_saves", self.saves),
            ("rdb_last_cow_size", self.last_cow_bytes),
            ("rdb_last_load_keys_expired", self.last_load.keys_expired),
            ("rdb_last_load_keys_loaded", self.last_load.keys_loaded),
            ("aof_enabled", int(self.aof is not None)),
            *self.rewriter.info_fields(),
            ("aof_last_write_status", "ok" if self.aof is None or self.aof.healthy() else "err"),
            ("aof_last_cow_size", self.rewriter.last_cow_bytes),
            ("module_fork_in_progress", 0),
            ("module_fork_last_cow_size", 0),
        ]
        if self.aof is not None:
            fields += self.aof.info_fields()
        loading = self.loading
        if loading is not None:
            elapsed = max(time.time() - loading.started_s, 0)
            share = loading.loaded_bytes / loading.total_bytes if loading.total_bytes else 0
            eta = int(elapsed * (1 - share) / share) if share else 1
            fields += [
                ("loading_start_time", loading.started_s),
                ("loading_total_bytes", loading.total_bytes),
                ("loading_rdb_used_mem", 0),
                ("loading_loaded_bytes", loading.loaded_bytes),
                ("loading_loaded_perc", f"{share * 100:.2f}"),
                ("loading_eta_seconds", eta),
            ]
        return fields


def _describe(error: Exception) -> str:
    if isinstance(error, OSError):
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror or error}{where}"
    return str(error)
