"""Loading the AOF, at start-up and for DEBUG LOADAOF: the manifest's base file (an RDB, loaded as a snapshot, or
RESP commands) and incremental files are replayed through Engine.execute with a client of its own, in slices of
about 10 ms (clients get -LOADING meanwhile). A truncated last command is dropped with a warning
(aof-load-truncated yes; with no, and for any other damage, AofLoadError names the file and the byte offset).
"""

import logging
import os
import time
from pathlib import Path

from ..engine.client import Client
from ..protocol.values import ErrorReply
from .aof_format import AofFormatError, parse_commands
from .aof_manifest import AofLoadError, read_manifest
from .snapshot import LoadError

log = logging.getLogger("redislite.persistence.aof")

LOAD_SLICE_S = 0.01  # loading hands the loop back this often, so clients get -LOADING instead of waiting


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


class AofLoader:
    """Replays the AOF files of one directory into the (empty) databases."""

    def __init__(self, state, persistence, directory: Path):
        self.state = state
        self.persistence = persistence
        self.directory = directory
        self.filename = state.config.appendfilename

    @property
    def manifest_path(self) -> Path:
        return self.directory / f"{self.filename}.manifest"

    def load(self):
        """Replay the manifest's files into the (empty) databases, as a generator of time slices of about
        10 ms (clients get -LOADING meanwhile). AofLoadError when they cannot be read."""
        manifest = read_manifest(self.directory, self.filename)
        if manifest is None:
            log.info("aof_not_found", extra={"dir": str(self.directory)})
            return
        started = time.monotonic()
        base = manifest.base
        files = ([base] if base else []) + manifest.incrs
        commands = 0
        for index, (name, _seq, _kind) in enumerate(files):
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
        log.info(
            "aof_loaded",
            extra={"dir": str(self.directory), "commands": commands, "seconds": round(time.monotonic() - started, 3)},
        )

    def _replay(self, data: bytes, path: Path, last: bool, progress):
        """Run one RESP file's commands; yields between slices, returns how many ran."""
        state = self.state
        client = _replay_client_class(Client)(state)
        client.kind = "master"  # neither -LOADING nor -MISCONF applies
        client.authenticated = True
        client.user = state.acl.superuser  # never checked against ACL rules
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
                    raise AofFormatError(
                        f"{argv[0].decode(errors='replace')} failed: {bytes(reply).decode(errors='replace')}", start
                    )
                count += 1
                valid_up_to = end
                if not count & 255 and time.perf_counter() >= slice_end:
                    progress.loaded_bytes = start
                    yield
                    slice_end = time.perf_counter() + LOAD_SLICE_S
        except AofFormatError as error:
            if error.truncated and last and state.config.aof_load_truncated:
                cut = valid_before_multi if client.multi is not None else valid_up_to
                log.warning(
                    "aof_truncated_tail_dropped",
                    extra={"path": str(path), "offset": cut, "dropped_bytes": len(data) - cut},
                )
                self._truncate(path, cut)
                return count
            if error.truncated and last:
                raise AofLoadError(
                    f"Unexpected end of file reading the append only file {path} at offset "
                    f"{error.offset} (aof-load-truncated is no). Make a backup of your AOF file, "
                    f"then use redislite-check-aof --fix {self.manifest_path}, or set "
                    f"aof-load-truncated yes"
                ) from None
            raise AofLoadError(
                f"Bad file format reading the append only file {path} at offset {error.offset}: "
                f"{error}. Make a backup of your AOF file, then use redislite-check-aof --fix "
                f"{self.manifest_path}"
            ) from None
        if client.multi is not None:  # a MULTI without its EXEC at the very end: dropped, as a truncation
            if last and state.config.aof_load_truncated:
                log.warning("aof_unfinished_multi_dropped", extra={"path": str(path), "offset": valid_before_multi})
                self._truncate(path, valid_before_multi)
            else:
                raise AofLoadError(
                    f"Unexpected end of file reading the append only file {path} "
                    f"(MULTI without EXEC at offset {valid_before_multi})"
                )
        return count

    def _truncate(self, path: Path, size: int) -> None:
        """Cut a damaged tail so the commands appended from now on follow a valid one."""
        try:
            os.truncate(path, size)
        except OSError as error:
            raise AofLoadError(f"can't truncate {path} to {size} bytes: {error.strerror or error}") from None
