"""AOF rewrites as Redis 7.0 does them with the multi-part layout: BGREWRITEAOF, automatic rewrites
(auto-aof-rewrite-percentage / auto-aof-rewrite-min-size, checked from the cron) and the rewrite that
CONFIG SET appendonly yes starts to write the first base.

A rewrite, with appendonly on:

    1. the buffered writes go to the current incremental file, a new incremental file is created and the
       manifest naming it (old base + old incr files + new incr) replaces the old one; writes continue there;
    2. a forked child (snapshot.py's BackgroundSave) writes the dataset as it was at the fork, which is
       exactly what the old files hold, to `temp-rewriteaof-bg.aof` (an RDB with aof-base 1, or RESP commands
       with aof-use-rdb-preamble no), fsynced;
    3. the parent renames it to `<appendfilename>.<n>.base.rdb|aof` and replaces the manifest with one naming
       the new base and the new incr file, the old files marked `type h` (history); it then deletes them and
       writes the manifest once more without them.

Until the rename of step 3 the old manifest is the valid one and names every file that holds data, so a crash
at any point loses nothing. With appendonly off (BGREWRITEAOF still works, as in Redis) there is no incremental
file: the new manifest names the base alone. While appendonly is being turned on (Redis's AOF_WAIT_REWRITE),
writes from the fork on go to a temporary incremental file no manifest names, renamed into place at the end.
"""

import logging
import os
import time
from functools import partial
from pathlib import Path

from .aof import AppendOnlyFile
from .aof_format import write_resp_base
from .aof_manifest import Manifest, aof_directory, file_size, read_manifest, write_manifest
from .rdb import RdbError
from .snapshot import BackgroundSave, fsync_directory

log = logging.getLogger("redislite.persistence.aof")

TEMP_BASE = "temp-rewriteaof-bg.aof"
LIMIT_THRESHOLD = 3  # AOF_REWRITE_LIMITE_THRESHOLD: consecutive failures before automatic rewrites slow down
LIMIT_MAX_MINUTES = 60  # AOF_REWRITE_LIMITE_MAX_MINUTES


class AofRewriter:
    def __init__(self, persistence):
        self.persistence = persistence
        self.state = persistence.state
        self.child: BackgroundSave | None = None
        self.directory: Path | None = None  # where the running rewrite writes (dir may change meanwhile)
        self.rdb_base = True  # the kind of base the running child writes
        self.scheduled = False
        self.enabling: AppendOnlyFile | None = None  # appendonly turned on, first base not written yet
        self.last_ok = True
        self.last_seconds = -1
        self.rewrites = 0
        self.consecutive_failures = 0
        self.last_cow_bytes = 0
        self.next_delay_minutes = 0
        self.next_try_s = 0

    @property
    def config(self):
        return self.state.config

    def in_progress(self) -> bool:
        return self.child is not None

    # -- starting ----------------------------------------------------------------------------------------

    def start(self) -> bool:
        """rewriteAppendOnlyFileBackground: open the new incremental file and fork the child that writes the
        new base. False (logged) when it could not be started."""
        persistence, state, config = self.persistence, self.state, self.config
        self._set_scheduled(False)
        directory = aof_directory(config)
        aof = persistence.aof
        try:
            directory.mkdir(parents=True, exist_ok=True)
            if self.enabling is not None:
                self.enabling.open_temp_incr()
            elif aof is not None:
                aof.switch_to_new_incr()
        except OSError as error:
            log.warning("aof_rewrite_start_failed", extra={"error": error.strerror or str(error)})
            self._failed()
            return False
        rdb = config.aof_use_rdb_preamble
        aux = [(name, b"1" if name == b"aof-base" else value) for name, value in persistence.aux_fields()]
        write_base = None if rdb else partial(write_resp_base, timestamp=config.aof_timestamp_enabled)
        try:
            child, fork_usec = BackgroundSave.start(
                directory / TEMP_BASE,
                state.databases,
                persistence.save_options(),
                aux,
                persistence.function_codes(),
                state.dirty,
                write=write_base,
            )
        except OSError as error:
            log.warning("aof_rewrite_fork_failed", extra={"error": error.strerror or str(error)})
            self._failed()
            return False
        self.child, self.directory, self.rdb_base = child, directory, rdb
        self.rewrites += 1  # counted at the start, as Redis's aof_rewrites
        persistence.note_fork(fork_usec)
        if self.enabling is not None:  # from the fork on, writes are logged (to the temporary incr file)
            self._install(self.enabling)
        log.info("aof_rewrite_started", extra={"pid": child.pid, "fork_usec": fork_usec, "rdb_preamble": rdb})
        return True

    def _set_scheduled(self, scheduled: bool) -> None:
        self.scheduled = scheduled
        if self.persistence.aof is not None:
            self.persistence.aof.rewrite_scheduled = scheduled

    def schedule(self) -> None:
        self._set_scheduled(True)

    def limited(self) -> bool:
        """aofRewriteLimited: after 3 failures in a row, automatic and scheduled rewrites wait 1, 2, 4 ... 60
        minutes between attempts (BGREWRITEAOF itself is never held back)."""
        if self.consecutive_failures < LIMIT_THRESHOLD:
            self.next_delay_minutes, self.next_try_s = 0, 0
            return False
        now_s = int(time.time())
        if self.next_try_s:
            if now_s < self.next_try_s:
                return True
            self.next_try_s = 0
            return False
        self.next_delay_minutes = min(self.next_delay_minutes * 2 or 1, LIMIT_MAX_MINUTES)
        self.next_try_s = now_s + self.next_delay_minutes * 60
        log.warning(
            "aof_rewrite_limited",
            extra={"failures": self.consecutive_failures, "delay_minutes": self.next_delay_minutes},
        )
        return True

    def cron(self) -> bool:
        """The cron's part, called while no child runs: a scheduled rewrite, else an automatic one when the
        AOF grew by auto-aof-rewrite-percentage since the last rewrite and is larger than
        auto-aof-rewrite-min-size. True when a rewrite was started."""
        if self.scheduled:
            return not self.limited() and self.start()
        aof, config = self.persistence.aof, self.config
        percentage = config.auto_aof_rewrite_percentage
        if aof is None or self.enabling is not None or not percentage:
            return False
        if aof.current_size <= config.auto_aof_rewrite_min_size:
            return False
        growth = aof.current_size * 100 // (aof.base_size or 1) - 100
        if growth < percentage or self.limited():
            return False
        log.info("aof_auto_rewrite", extra={"growth_percent": growth, "size": aof.current_size})
        return self.start()

    # -- finishing ---------------------------------------------------------------------------------------

    def check_child(self) -> None:
        """Reap a finished rewrite child (backgroundRewriteDoneHandler)."""
        child = self.child
        if child is None:
            return
        result = child.poll()
        if result is None:
            return
        self.child = None
        self.last_seconds = int(result.seconds)
        if result.ok:
            try:
                self._finish(result)
            except (OSError, RdbError) as error:
                log.warning(
                    "aof_rewrite_finish_failed",
                    extra={"error": error.strerror or str(error) if isinstance(error, OSError) else str(error)},
                )
                self._remove_temp_base()
                self._failed()
                return
            self.last_ok = True
            self.consecutive_failures = 0
            self.last_cow_bytes = result.cow_bytes
            return
        self._remove_temp_base()
        log.warning("aof_rewrite_failed", extra={"pid": child.pid, "error": result.error})
        self._failed()

    def _finish(self, result) -> None:
        directory = self.directory
        filename = self.config.appendfilename
        aof = self.persistence.aof
        enabling = self.enabling
        manifest = (
            (aof.manifest if aof is not None and enabling is None else None)
            or read_manifest(directory, filename)
            or Manifest([])
        )
        base_seq = manifest.next_seq("b")
        base_name = f"{filename}.{base_seq}.base.{'rdb' if self.rdb_base else 'aof'}"
        os.replace(directory / TEMP_BASE, directory / base_name)
        keep = []
        if enabling is not None:
            incr_seq = manifest.next_seq("i")
            incr_name = f"{filename}.{incr_seq}.incr.aof"
            enabling.flush()
            os.replace(enabling.temp_incr_path, directory / incr_name)
            keep = [(incr_name, incr_seq, "i")]
        elif aof is not None:
            keep = manifest.incrs[-1:]  # the file written since the rewrite started
        fsync_directory(directory)
        old = [entry for entry in manifest.entries if entry[2] in "bi" and entry not in keep]
        history = manifest.history + [(name, seq, "h") for name, seq, _kind in old]
        write_manifest(directory, filename, Manifest([(base_name, base_seq, "b"), *history, *keep]))
        # The new manifest is durable: the files the base replaces can go.
        for name, _seq, _kind in history:
            try:
                os.unlink(directory / name)
            except FileNotFoundError:
                pass
            except OSError as error:
                log.warning("aof_history_delete_failed", extra={"file": name, "error": error.strerror})
        final = Manifest([(base_name, base_seq, "b"), *keep])
        write_manifest(directory, filename, final)
        if aof is not None:
            aof.manifest = final
            incr_size = sum(file_size(directory / name) for name, _seq, _kind in keep)
            aof.base_size = aof.current_size = file_size(directory / base_name) + incr_size
        if enabling is not None:
            self.enabling = None
        log.info(
            "aof_rewrite_done",
            extra={
                "base": base_name,
                "bytes": result.size,
                "keys": result.keys,
                "seconds": round(result.seconds, 3),
                "cow_bytes": result.cow_bytes,
            },
        )

    def _failed(self) -> None:
        self.last_ok = False
        self.consecutive_failures += 1
        if self.enabling is not None:  # try again from the cron, as Redis does while in AOF_WAIT_REWRITE
            self._uninstall()
            self.enabling.discard_temp_incr()
            self.schedule()

    def _remove_temp_base(self) -> None:
        if self.directory is not None:
            try:
                os.unlink(self.directory / TEMP_BASE)
            except OSError:
                pass

    def kill(self) -> None:
        """Stop a running rewrite (SHUTDOWN, appendonly no): the files it would have replaced stay valid."""
        child = self.child
        if child is None:
            return
        log.info("aof_rewrite_killed", extra={"pid": child.pid})
        child.kill()
        self.child = None
        self._remove_temp_base()
        if self.enabling is not None:
            self._uninstall()
            self.enabling.discard_temp_incr()
            self.schedule()

    # -- appendonly yes / no at run time -----------------------------------------------------------------

    def enable(self, atomic: bool) -> bool:
        """startAppendOnly: the AOF starts with a rewrite that writes the current data as the first base
        (scheduled when another child runs or inside EXEC). False when the rewrite could not be started."""
        persistence = self.persistence
        aof = AppendOnlyFile(self.state, persistence)
        self.enabling = persistence.aof = aof
        if persistence.child is not None or atomic:
            log.warning("aof_enable_scheduled")
            self.schedule()
            return True
        if self.child is not None:  # a rewrite started while appendonly was off: its base would lack the incr file
            self.kill()
        if self.start():
            return True
        self._uninstall()
        aof.discard_temp_incr()
        self.enabling = persistence.aof = None
        self.scheduled = False
        return False

    def disable(self) -> None:
        """stopAppendOnly: flush and close the AOF, stop a running rewrite."""
        persistence = self.persistence
        self.kill()
        aof = persistence.aof
        if self.enabling is not None:
            self.enabling.discard_temp_incr()
            self.enabling.fsync.stop()
            self.enabling = None
        elif aof is not None:
            aof.close()
        self._uninstall()
        persistence.aof = None
        persistence.aof_status_changed()  # a write error of the closed AOF no longer refuses writes
        self.scheduled = False
        log.info("aof_disabled")

    def _install(self, aof) -> None:
        self.state.engine.attach_aof(aof)

    def _uninstall(self) -> None:
        if self.state.engine.aof is not None:
            self.state.engine.attach_aof(None)

    # -- INFO --------------------------------------------------------------------------------------------

    def info_fields(self) -> list:
        child = self.child
        return [
            ("aof_rewrite_in_progress", int(child is not None)),
            ("aof_rewrite_scheduled", int(self.scheduled)),
            ("aof_last_rewrite_time_sec", self.last_seconds),
            ("aof_current_rewrite_time_sec", int(time.monotonic() - child.started) if child else -1),
            ("aof_last_bgrewrite_status", "ok" if self.last_ok else "err"),
            ("aof_rewrites", self.rewrites),
            ("aof_rewrites_consecutive_failures", self.consecutive_failures),
        ]
