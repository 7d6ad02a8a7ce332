"""`redislite-check-rdb <file>`: read an RDB file the way the server loads it and say whether it is sound.

Prints what the file holds (version, auxiliary fields, keys per database, expiries, function libraries) and
exits 0, or prints the first problem with its byte offset and exits 1. Works on files written by RedisLite
or by Redis. Nothing is changed: an RDB file cannot be repaired, only replaced by a sound one.
"""

import sys
from collections import Counter
from pathlib import Path

from .rdb import FileSummary, RdbError, RdbReader

USAGE = "Usage: redislite-check-rdb <rdb-file>"


def check(path: Path, out=sys.stdout) -> bool:
    try:
        data = path.read_bytes()
    except OSError as error:
        print(f"cannot read {path}: {error.strerror or error}", file=out)
        return False
    summary = FileSummary()
    per_db: Counter = Counter()
    expires = 0
    types: Counter = Counter()
    try:
        for db, _key, value, expire_ms, _idle, _freq in RdbReader(data).records(summary, 1 << 32):
            per_db[db] += 1
            expires += expire_ms is not None
            types[type(value).__name__] += 1
    except RdbError as error:
        print(f"{path}: {error}", file=out)
        print(f"[info] {sum(per_db.values())} keys read before the problem", file=out)
        return False
    print(f"{path}: RDB version {summary.version}, {len(data)} bytes", file=out)
    for name, value in summary.aux.items():
        print(f"[aux] {name.decode('latin-1')} = {value.decode('latin-1')!r}", file=out)
    for db in sorted(per_db):
        print(f"[db {db}] {per_db[db]} keys", file=out)
    print(
        f"[info] {sum(per_db.values())} keys, {expires} with an expiry, {len(summary.functions)} function "
        f"libraries; value classes: {dict(types)}",
        file=out,
    )
    print("checksum OK" if summary.checksum_checked else "no checksum (saved with rdbchecksum no)", file=out)
    print("RDB looks OK", file=out)
    return True


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1 or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr)
        return 2
    return 0 if check(Path(args[0])) else 1


if __name__ == "__main__":
    sys.exit(main())
