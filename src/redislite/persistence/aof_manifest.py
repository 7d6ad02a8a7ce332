"""The AOF's manifest, Redis 7's `<appendfilename>.manifest` in `<dir>/<appenddirname>/`: the lines naming the base
file (`type b`), the incremental files (`type i`) and the history files a rewrite replaced (`type h`), read
and replaced atomically; and AofLoadError, raised when the AOF's files cannot be read or created.
"""

import os
from pathlib import Path

from .snapshot import LoadError, fsync_directory


class AofLoadError(LoadError):
    """The AOF cannot be loaded: the server must not start."""


def aof_directory(config) -> Path:
    return Path(config.dir) / config.appenddirname


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
            if len(words) % 2 or not {"file", "seq", "type"} <= fields.keys() or not _is_number(fields["seq"]):
                raise AofLoadError(f"invalid AOF manifest {path} line {number}: {line!r}")
            if fields["type"] not in ("b", "h", "i"):
                raise AofLoadError(f"invalid AOF manifest {path} line {number}: Unknown AOF file type")
            if any(char in fields["file"] for char in "/\\\0"):  # it must name a file in the AOF directory
                raise AofLoadError(f"invalid AOF manifest {path} line {number}: File can't be a path, just a filename")
            entries.append((fields["file"], int(fields["seq"]), fields["type"]))
        return cls(entries)

    def render(self) -> bytes:
        lines = "".join(f"file {name} seq {seq} type {kind}\n" for name, seq, kind in self.entries)
        return lines.encode("utf-8", "surrogateescape")

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
        text = path.read_bytes().decode("utf-8", "surrogateescape")  # file names are bytes, as in Redis
    except FileNotFoundError:
        return None
    except OSError as error:
        raise AofLoadError(f"can't read {path}: {error.strerror or error}") from None
    return Manifest.parse(text, path)


def _is_number(text: str) -> bool:
    return text.removeprefix("-").isdigit() and text.isascii()


def file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
