"""Snapshots on disk: write an RDB file atomically, in this process (SAVE) or in a forked child (BGSAVE), and
load one back into the databases.

Writing goes to `temp-<pid>.rdb` in the target directory, is fsynced, renamed over the target and the
directory is fsynced, so a crash at any point leaves either the old file or the new one, never half of one.

BGSAVE forks. The child sees the dataset frozen at the fork (the kernel copies a page only when one of the
two processes writes it), writes the file, reports through a pipe and leaves with os._exit; the parent keeps
serving and reaps the child from its cron. While it writes, the child reports its progress about once a second
(keys written, copy-on-write size), one JSON line per report, as Redis's sendChildInfo does; the parent reads
them from the cron without waiting (the pipe is non-blocking) for INFO's current_* fields. CPython touches
reference counts as the child walks the data, so the child ends up owning a copy of most pages it reads
(measured and reported as the CoW size); the parent's collector is frozen meanwhile (gc.freeze) so that it,
at least, does not dirty every page too.
"""

import dataclasses
import gc
import json
import logging
import os
import resource
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .rdb import FileSummary, RdbError, RdbFileWriter, RdbReader, SaveOptions

log = logging.getLogger("redislite.persistence")


def fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_snapshot(path: Path, databases, options: SaveOptions, aux, functions=()) -> tuple[int, int]:
    """Write the databases to path through a temporary file; returns (bytes, keys). OSError / RdbError on
    failure, with the temporary file removed."""
    directory = path.parent
    temp = directory / f"temp-{os.getpid()}.rdb"
    try:
        with open(temp, "wb") as file:
            writer = RdbFileWriter(file, options)
            size = writer.write_file(databases, aux, functions)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
        fsync_directory(directory)
    except BaseException:
        try:
            os.unlink(temp)
        except OSError:
            pass
        raise
    return size, writer.keys


def stream_snapshot(fd: int, _path: Path, databases, options: SaveOptions, aux, functions=()) -> tuple[int, int]:
    """A diskless full sync's child (write_snapshot's signature after `fd`): the snapshot into the pipe `fd`,
    which the parent relays to the replicas; returns (bytes, keys)."""
    options = dataclasses.replace(options, incremental_fsync=False)  # a pipe cannot be fsynced (EINVAL)
    with os.fdopen(fd, "wb", buffering=1 << 16) as pipe:
        writer = RdbFileWriter(pipe, options)
        size = writer.write_file(databases, aux, functions)
    return size, writer.keys


def private_dirty_bytes(pid: int | str = "self") -> int:
    """Pages a process has written since it was forked (its copies): Private_Dirty of smaps_rollup."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as smaps:
            for line in smaps:
                if line.startswith("Private_Dirty:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


PROGRESS_INTERVAL_S = 1.0  # rdbSaveDb: the child reports its progress at most about once a second


class ChildReporter:
    """The child's end of the pipe: progress lines while it writes, the result line at the end."""

    def __init__(self, fd: int):
        self.fd = fd
        self.last_report = 0.0

    def progress(self, keys: int) -> None:
        now = time.monotonic()
        if now - self.last_report >= PROGRESS_INTERVAL_S:
            self.last_report = now
            self.send({"keys": keys, "cow": private_dirty_bytes(), "cow_at": time.monotonic()})

    def send(self, message: dict) -> None:
        os.write(self.fd, json.dumps(message).encode() + b"\n")  # under PIPE_BUF: one atomic write


def child_info_fields(child: "BackgroundSave | None") -> list:
    """INFO persistence's current_* fields for the running fork child (all 0 when none runs)."""
    if child is None:
        return [
            ("current_cow_peak", 0),
            ("current_cow_size", 0),
            ("current_cow_size_age", 0),
            ("current_fork_perc", "0.00"),
            ("current_save_keys_processed", 0),
            ("current_save_keys_total", 0),
        ]
    share = child.keys_processed / child.keys_total if child.keys_total else 0.0
    return [
        ("current_cow_peak", child.cow_peak),
        ("current_cow_size", child.cow_bytes),
        ("current_cow_size_age", int(time.monotonic() - child.cow_at) if child.cow_at else 0),
        ("current_fork_perc", f"{share * 100:.2f}"),
        ("current_save_keys_processed", child.keys_processed),
        ("current_save_keys_total", child.keys_total),
    ]


@dataclass
class ChildResult:
    ok: bool
    error: str = ""
    size: int = 0
    keys: int = 0
    cow_bytes: int = 0
    seconds: float = 0.0
    by_signal: int = 0


class BackgroundSave:
    """One forked child writing a snapshot."""

    def __init__(self, pid: int, pipe_fd: int, dirty_before: int, path: Path, keys_total: int = 0):
        self.pid = pid
        self.pipe_fd = pipe_fd
        self.dirty_before = dirty_before
        self.path = path
        self.started = time.monotonic()
        self.started_s = int(time.time())
        self.keys_total = keys_total  # the keys at the fork (current_save_keys_total)
        self.keys_processed = 0
        self.cow_bytes = 0  # the child's latest copy-on-write size, and when it measured it (monotonic clock)
        self.cow_at = 0.0
        self.cow_peak = 0
        self.unread = b""  # a report line the pipe has delivered only part of
        self.result: dict = {}
        self.to_replicas = False  # a diskless sync: the snapshot goes through a pipe to replica sockets

    @classmethod
    def start(
        cls, path: Path, databases, options: SaveOptions, aux, functions, dirty: int, write=None, keep_fd: int = -1
    ) -> tuple["BackgroundSave", int]:
        """Fork a child that writes the snapshot (with `write`, write_snapshot's signature: how the AOF
        rewrite writes its base; `keep_fd` stays open in the child for it); returns (the child, fork time in
        µs). OSError when the fork fails."""
        read_fd, write_fd = os.pipe()
        gc.freeze()  # the parent's collector must not dirty every page while the child runs
        started = time.perf_counter_ns()
        try:
            pid = os.fork()
        except OSError:
            gc.unfreeze()
            os.close(read_fd)
            os.close(write_fd)
            raise
        if pid == 0:  # the child: never returns
            _child_main(read_fd, write_fd, path, databases, options, aux, functions, write or write_snapshot, keep_fd)
        fork_usec = (time.perf_counter_ns() - started) // 1000
        os.close(write_fd)
        os.set_blocking(read_fd, False)
        keys_total = sum(len(db.data) for db in databases)
        return cls(pid, read_fd, dirty, path, keys_total), fork_usec

    def poll(self) -> ChildResult | None:
        """Take in the child's progress reports; its result once it has exited, else None."""
        self.read_reports()
        try:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
        except ChildProcessError:
            pid, status = self.pid, 1 << 8
        if pid == 0:
            return None
        return self._finish(status)

    def kill(self) -> None:
        """Stop the child (SHUTDOWN, FLUSHALL): SIGUSR1, as Redis's killRDBChild, then reap it."""
        try:
            os.kill(self.pid, signal.SIGUSR1)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        self._remove_temp()
        self._close()

    def _finish(self, status: int) -> ChildResult:
        self.read_reports()
        report = self.result
        self._close()
        seconds = time.monotonic() - self.started
        if os.WIFSIGNALED(status):
            self._remove_temp()
            return ChildResult(
                False, f"terminated by signal {os.WTERMSIG(status)}", seconds=seconds, by_signal=os.WTERMSIG(status)
            )
        if os.waitstatus_to_exitcode(status) != 0 or not report.get("ok"):
            self._remove_temp()
            return ChildResult(False, report.get("error", "the child failed"), seconds=seconds)
        # the peak, as Redis's rdb_last_cow_size / aof_last_cow_size
        return ChildResult(
            True, size=report.get("size", 0), keys=report.get("keys", 0), cow_bytes=self.cow_peak, seconds=seconds
        )

    def read_reports(self) -> None:
        """Read what the child has written so far, never waiting for more (receiveChildInfo)."""
        while self.pipe_fd >= 0:
            try:
                chunk = os.read(self.pipe_fd, 65536)
            except BlockingIOError:
                break
            if not chunk:
                break
            self.unread += chunk
        *lines, self.unread = self.unread.split(b"\n")
        for line in lines:
            try:
                report = json.loads(line)
            except ValueError:
                continue
            if "ok" in report:  # the result, sent last
                self.result = report
            else:
                self.keys_processed = report["keys"]
                self.cow_at = report["cow_at"]
            self.cow_bytes = report.get("cow", 0)
            self.cow_peak = max(self.cow_peak, self.cow_bytes)

    def _remove_temp(self) -> None:
        try:
            os.unlink(self.path.parent / f"temp-{self.pid}.rdb")
        except OSError:
            pass

    def _close(self) -> None:
        if self.pipe_fd >= 0:
            os.close(self.pipe_fd)
            self.pipe_fd = -1
        gc.unfreeze()


def _child_main(
    read_fd: int, write_fd: int, path: Path, databases, options, aux, functions, write, keep_fd: int = -1
) -> None:
    status = 1
    report: dict = {"ok": False, "error": "the child failed"}
    reporter = ChildReporter(write_fd)
    try:
        gc.disable()  # a collection would write to every object header: copies for nothing
        os.close(read_fd)
        # The loop's signal handlers and wake-up fd belong to the parent; the parent stops a child with SIGUSR1.
        try:
            signal.set_wakeup_fd(-1)
            for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):
                signal.signal(signum, signal.SIG_DFL)
        except ValueError:  # not the main thread: the handlers were never ours to reset
            pass
        # Listening and client sockets stay the parent's: a child that outlives a shutdown must not hold the port.
        soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        low = 3
        for kept in sorted({write_fd, keep_fd} - {-1}):
            os.closerange(low, kept)
            low = kept + 1
        os.closerange(low, soft_limit if 0 < soft_limit < 1 << 20 else 1 << 16)
        options = dataclasses.replace(options, key_progress=reporter.progress)
        size, keys = write(path, databases, options, aux, functions)
        report = {"ok": True, "size": size, "keys": keys, "cow": private_dirty_bytes()}
        status = 0
    except BaseException as error:
        report = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    finally:
        try:
            reporter.send(report)
        finally:
            os._exit(status)


# -- loading ---------------------------------------------------------------------------------------------------


class LoadError(Exception):
    """The RDB file at start-up cannot be read: the server must not start."""


@dataclass
class LoadProgress:
    """What INFO shows while loading, and the counts it keeps after."""

    total_bytes: int = 0
    loaded_bytes: int = 0
    started_s: int = 0
    keys_loaded: int = 0
    keys_expired: int = 0
    keys_empty: int = 0


class DuplicateKey(RdbError):
    pass


def load_records(
    data: bytes,
    state,
    progress: LoadProgress,
    *,
    merge: bool = False,
    skip_expired: bool = True,
    key_load_delay_us: int = 0,
    slice_s: float = 0.01,
) -> Iterator[FileSummary | None]:
    """Load an RDB file held in memory into state.databases. A generator: it yields None about every
    `slice_s` seconds so the caller can serve clients (who get -LOADING), and finally the file summary.
    RdbError on a bad file (the databases then hold what was loaded so far)."""
    databases = state.databases
    config = state.config
    summary = FileSummary()
    reader = RdbReader(data, config)
    now_ms = state.clock_ms()
    delay = key_load_delay_us / 1_000_000 if key_load_delay_us > 0 else 0
    progress.total_bytes = len(data)
    deadline = time.perf_counter() + slice_s
    current = None  # the database of the previous key, and its dicts, cached across the run of its keys
    records = reader.records(summary, len(databases), check_crc=config.rdbchecksum)
    for count, (index, key, value, expire_ms, idle_s, freq) in enumerate(records, 1):
        if index is not current:
            current = index
            db = databases[index]
            data_of_db, access, clock = db.data, db.access, db.clock
            lfu = db.lfu
        if value.__class__ is not bytes and not value:
            progress.keys_empty += 1
        elif expire_ms is not None and skip_expired and expire_ms < now_ms:
            progress.keys_expired += 1
        else:
            if key in data_of_db:
                if not merge:
                    raise DuplicateKey(f"duplicate key {key[:64]!r} in database {index}", reader.pos)
                db.delete(key)
            db.store(key, value, touch=False)
            if expire_ms is not None:
                db.set_deadline(key, expire_ms)
            if lfu is None:
                access[key] = clock - idle_s if idle_s else clock
            else:
                access[key] = lfu.new_word(clock, 5 if freq is None else freq)
            progress.keys_loaded += 1
        if delay:
            time.sleep(delay)
            if time.perf_counter() >= deadline:
                progress.loaded_bytes = reader.pos
                yield None
                deadline = time.perf_counter() + slice_s
        elif not count & 255 and time.perf_counter() >= deadline:
            progress.loaded_bytes = reader.pos
            yield None
            deadline = time.perf_counter() + slice_s
    progress.loaded_bytes = reader.pos
    yield summary
