"""`redislite-check-aof [--fix] <file.manifest|file.aof>`: check an append-only file the way the server loads
it, as Redis's redis-check-aof does. Annotation lines (`#TS:<unix time>`, aof-timestamp-enabled) are skipped.

Given a manifest, it checks the base file (an RDB, checksum included, or RESP commands) and every incremental
file it names; given a single file, that file (RESP, or an RDB preamble followed by RESP commands). A RESP file is
valid when it is a sequence of complete commands and every MULTI has its EXEC. Otherwise the report names the
file and the offset of the first bad command (`ok_up_to`), and the exit status is 1.

`--fix` truncates the file to its last valid command. Unlike redis-check-aof it does not ask "Continue? [y/N]":
giving --fix is the confirmation, so it can run from scripts (make a backup first). Only the last file of a
manifest can be fixed: cutting an earlier one would drop the commands after the damage while later files still
build on them, and an RDB cannot be cut to a valid prefix. Exit status: 0 valid (or fixed), 1 not valid, 2 usage.

`--truncate-to-timestamp <unix time>` (point-in-time recovery, redis-check-aof 7.0's semantics and messages):
the files are read in the manifest's order and the first `#TS:` annotation later than the timestamp cuts its
file there, when that file is the last one; an annotation at a file's very start (nothing before it to keep)
or in an earlier file stops with status 1 and changes nothing, since later files build on the cut one.
"""

import os
import sys
from pathlib import Path

from .aof_format import AofFormatError, parse_commands
from .aof_manifest import AofLoadError, Manifest
from .rdb import FileSummary, RdbError, RdbReader

USAGE = (
    "Usage: redislite-check-aof [--fix] <file.manifest|file.aof>\n"
    "       redislite-check-aof --truncate-to-timestamp <timestamp> <file.manifest|file.aof>"
)


class Damage(Exception):
    """A file is not valid: what is wrong, and the size of its valid prefix."""

    def __init__(self, message: str, ok_up_to: int, fixable: bool = True):
        super().__init__(message)
        self.ok_up_to = ok_up_to
        self.fixable = fixable


class Abort(Exception):
    """A fatal finding (redis-check-aof prints it and exits with status 1)."""


class TimestampCut(Exception):
    """A `#TS:` annotation later than --truncate-to-timestamp, at this offset of its file."""

    def __init__(self, offset: int):
        super().__init__(offset)
        self.offset = offset


def annotation_time(line: bytes) -> int | None:
    """The unix time of a `#TS:<seconds>` annotation line (0 when unreadable, as strtol); None for others."""
    if not line.startswith(b"#TS:"):
        return None
    try:
        return int(line[4:].strip())
    except ValueError:
        return 0


def check_resp(data: bytes, start: int = 0, to_timestamp: int = 0) -> int:
    """The number of commands in data[start:]; Damage when they are not all complete, TimestampCut at the
    first annotation later than to_timestamp (when given)."""
    count = 0
    multi_at = None  # the offset of an open MULTI: without its EXEC, the transaction is not valid
    valid_end = start  # the end of the last complete command: what --fix keeps
    try:
        for argv, offset, end in parse_commands(data[start:], annotations=True):
            if argv is None:
                stamp = annotation_time(data[start + offset : start + end]) if to_timestamp else None
                if stamp is not None and stamp > to_timestamp:
                    raise TimestampCut(start + offset)
                continue
            name = argv[0].lower()
            if name == b"multi":
                if multi_at is not None:
                    raise Damage("nested MULTI", start + offset)
                multi_at = start + offset
            elif name == b"exec":
                if multi_at is None:
                    raise Damage("EXEC without MULTI", start + offset)
                multi_at = None
            count += 1
            valid_end = start + end
    except AofFormatError as error:
        kind = "truncated command" if error.truncated else f"format error ({error})"
        ok_up_to = multi_at if multi_at is not None else valid_end
        raise Damage(f"{kind} at offset {start + error.offset}", ok_up_to) from None
    if multi_at is not None:
        raise Damage(f"reached EOF before reading EXEC for MULTI at offset {multi_at}", multi_at)
    return count


def check_rdb(data: bytes) -> int:
    """The end offset of the RDB at the start of data; Damage when it is not sound (never fixable)."""
    reader = RdbReader(data)
    try:
        for _record in reader.records(FileSummary(), 1 << 32):
            pass
    except RdbError as error:
        raise Damage(f"RDB is not valid: {error}", 0, fixable=False) from None
    return reader.pos


def check_file(path: Path, fix: bool, fixable: bool, out, to_timestamp: int = 0) -> bool:
    """Check one file, and fix it (or cut it at to_timestamp) when asked and allowed (fixable: it is the last
    file). True when it is valid (or was fixed); Abort when a cut at to_timestamp is impossible."""
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"Cannot open file {path}: {error.strerror or error}", file=out)
        return False
    if not data:
        print(f"AOF {path.name} is empty", file=out)
        return True
    try:
        start = 0
        if data.startswith(b"REDIS"):
            start = check_rdb(data)
            print(f"RDB preamble of {path.name} is OK ({start} bytes)", file=out)
        commands = check_resp(data, start, to_timestamp) if start < len(data) else 0
    except TimestampCut as cut:
        truncate_to_timestamp(path, cut.offset, to_timestamp, fixable)
        print(f"Successfully truncated AOF {path.name} to timestamp {to_timestamp}", file=out)
        return True
    except Damage as damage:
        print(f"AOF {path.name}: {damage}", file=out)
        print(
            f"AOF analyzed: filename={path.name}, size={len(data)}, ok_up_to={damage.ok_up_to}, "
            f"diff={len(data) - damage.ok_up_to}",
            file=out,
        )
        if not fix:
            print(f"AOF {path.name} is not valid. Use the --fix option to try fixing it.", file=out)
            return False
        if not (fixable and damage.fixable):
            print(
                f"AOF {path.name} is not valid and cannot be fixed by truncation"
                + ("" if damage.fixable else " (an RDB cannot be cut)")
                + ("" if fixable else " (only the last file of a manifest can be truncated)"),
                file=out,
            )
            return False
        try:
            os.truncate(path, damage.ok_up_to)
        except OSError as error:
            print(f"Failed to truncate AOF {path.name}: {error.strerror or error}", file=out)
            return False
        print(f"Successfully truncated AOF {path.name} from {len(data)} bytes to {damage.ok_up_to} bytes", file=out)
        return True
    if to_timestamp:
        print(f"Truncate nothing in AOF {path.name} to timestamp {to_timestamp}", file=out)
    else:
        print(f"AOF analyzed: filename={path.name}, size={len(data)}, ok_up_to={len(data)}, diff=0", file=out)
    print(f"AOF {path.name} is valid ({commands} commands)", file=out)
    return True


def truncate_to_timestamp(path: Path, offset: int, to_timestamp: int, last: bool) -> None:
    """Cut path at offset, where the first annotation later than to_timestamp starts (processAnnotations)."""
    if offset == 0:
        raise Abort(f"AOF {path} has nothing before timestamp {to_timestamp}, aborting...")
    if not last:
        raise Abort(
            f"Failed to truncate AOF {path} to timestamp {to_timestamp} to offset {offset} because it is "
            f"not the last file.\nIf you insist, please delete all files after this file according to the "
            f"manifest file and delete the corresponding records in manifest file manually. Then re-run "
            f"redis-check-aof."
        )
    try:
        os.truncate(path, offset)
    except OSError:
        raise Abort(f"Failed to truncate AOF {path} to timestamp {to_timestamp}") from None


def is_manifest(data: bytes) -> bool:
    lines = [line.strip() for line in data.splitlines() if line.strip() and not line.startswith(b"#")]
    return bool(lines) and all(line.startswith(b"file ") for line in lines)


def check_manifest(path: Path, text: str, fix: bool, out, to_timestamp: int = 0) -> bool:
    try:
        manifest = Manifest.parse(text, path)
    except (AofLoadError, ValueError) as error:
        print(str(error) if isinstance(error, AofLoadError) else f"invalid AOF manifest {path}: {error}", file=out)
        return False
    base = manifest.base
    files = ([base] if base else []) + manifest.incrs
    if not files:
        print(f"AOF manifest {path} names no base and no incremental file", file=out)
        return False
    print("Start checking Multi Part AOF", file=out)
    ok = True
    for index, (name, _seq, kind) in enumerate(files):
        print(f"Checking {'BASE' if kind == 'b' else 'INCR'} AOF {name}", file=out)
        last = index == len(files) - 1
        if not check_file(path.parent / name, fix, last, out, to_timestamp):
            ok = False
            break  # later files build on this one: Redis stops at the first damaged file too
    print("All AOF files and manifest are valid" if ok else "AOF files and manifest are not valid", file=out)
    return ok


def check(path: Path, fix: bool = False, out=None, to_timestamp: int = 0) -> bool:
    """Check (and with fix, repair; with to_timestamp, cut at that time) a manifest and its files or a single
    AOF file; the report goes to out."""
    out = sys.stdout if out is None else out
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"Cannot open file {path}: {error.strerror or error}", file=out)
        return False
    try:
        if is_manifest(data):
            return check_manifest(path, data.decode("utf-8", "replace"), fix, out, to_timestamp)
        print("Start checking Old-Style AOF", file=out)
        return check_file(path, fix, True, out, to_timestamp)
    except Abort as abort:
        print(abort, file=out)
        return False


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    to_timestamp = 0
    if len(args) == 3 and args[0] == "--truncate-to-timestamp":  # as redis-check-aof: alone, never with --fix
        try:
            to_timestamp = int(args[1])
        except ValueError:
            print("Invalid timestamp, aborting...")
            return 1
        args = args[2:]
    fix = "--fix" in args
    paths = [arg for arg in args if arg != "--fix"]
    if len(paths) != 1 or paths[0] in ("-h", "--help") or paths[0].startswith("--"):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        return 0 if check(Path(paths[0]), fix, to_timestamp=to_timestamp) else 1
    except Exception as error:  # a bug must still end in one line, not a traceback
        print(f"redislite-check-aof: unexpected {type(error).__name__}: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
