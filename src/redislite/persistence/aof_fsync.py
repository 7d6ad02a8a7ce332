"""The AOF's fsync thread (Redis's bio AOF_FSYNC job): with appendfsync everysec, what the loop wrote is fsynced
at most once a second, off the loop. A failed fsync is tried again each second; meanwhile the server refuses
writes with -MISCONF (writeCommandsDeniedByDiskError reads aof_bio_fsync_status).
"""

import errno
import logging
import os
import threading
import time

log = logging.getLogger("redislite.persistence.aof")


class FsyncThread:
    def __init__(self, aof):
        self.aof = aof  # the AppendOnlyFile whose descriptor it fsyncs
        self.lock = threading.Lock()  # held while fsyncing, and by the AOF while it closes its descriptor
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        # aof_bio_fsync_status: False refuses writes until a later fsync succeeds
        self.ok = True
        self.errno = 0
        self.unsynced = False  # written but not fsynced yet (everysec, no)
        self.unsynced_since = 0.0  # when the oldest write not yet fsynced was made (lag_seconds)

    def start(self) -> None:
        # always running (it only fsyncs in everysec mode), so CONFIG SET appendfsync takes effect at once
        self.thread = threading.Thread(target=self._sync_every_second, name="aof-fsync", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.stop_event.set()

    def wrote(self) -> None:
        """The loop wrote to the file without fsyncing it."""
        if not self.unsynced:
            self.unsynced = True
            self.unsynced_since = time.monotonic()

    def lag_seconds(self) -> float:
        """How long the oldest write not yet fsynced has waited (0 when everything is on disk)."""
        return time.monotonic() - self.unsynced_since if self.unsynced else 0.0

    def _sync_every_second(self) -> None:
        aof = self.aof
        config = aof.state.config
        while not self.stop_event.wait(1.0):
            if self.unsynced and aof.fd >= 0 and config.appendfsync == "everysec":
                self.unsynced = False
                with self.lock:
                    try:
                        if aof.fd >= 0:
                            fault = config.aof_fsync_fault_errno
                            if fault:
                                raise OSError(fault, os.strerror(fault))
                            os.fsync(aof.fd)
                    except OSError as error:
                        # as bio.c: EBADF / EINVAL mean the descriptor went away, not that the fsync failed
                        if error.errno not in (errno.EBADF, errno.EINVAL):
                            self.unsynced = True
                            self._set_status(False, error)
                            continue
                self._set_status(True)

    def _set_status(self, ok: bool, error: OSError | None = None) -> None:
        """Record the result; when it changes, the loop updates the refusal."""
        if ok == self.ok:
            return
        if error is not None:
            self.errno = error.errno or errno.EIO
            log.warning("aof_fsync_failed", extra={"error": error.strerror or str(error)})
        else:
            log.warning("aof_fsync_error_solved")
        self.ok = ok
        try:
            self.aof.loop.call_soon_threadsafe(self.aof.persistence.aof_status_changed)
        except RuntimeError:  # the loop is closed: the server is stopping
            pass
