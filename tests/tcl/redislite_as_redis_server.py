#!/usr/bin/env python
"""RedisLite in the place of `src/redis-server` for Redis's own TCL units that start their servers themselves
(unit/acl, unit/acl-v2, unit/auth are tagged external:skip, so /work/shared/redis-tests/run.sh cannot run them).

    cp -r /work/shared/redis-tests/suite /tmp/suite && mkdir -p /tmp/suite/src
    ln -s "$(command -v redis-cli)" /tmp/suite/src/redis-cli
    ln -s "$PWD/tests/tcl/redislite_as_redis_server.py" /tmp/suite/src/redis-server
    cd /tmp/suite && PATH=/work/main/.venv/bin:$PATH PYTHONPATH=<worktree>/src ./runtest --single unit/acl \\
        --single unit/acl-v2 --single unit/auth --clients 1 --baseport 7448 --portcount 50 \\
        --skiptest "ACLs including of a type includes also subcommands"     # XADD: no streams yet

unit/acl-v2 stops at its first command RedisLite lacks: drop its lines with MIGRATE and GEORADIUS and the XLEN
of its cardinality list in the private copy first (no streams, geo or MIGRATE yet).

The suite waits for " PID: <pid>" and "Ready to accept" in the server's stdout and reads its log there, so this
prints both and sends the logs (stderr) to stdout. redis.conf options RedisLite does not know are dropped.
"""

import os
import socket
import sys
import threading
import time
from pathlib import Path

from redislite import cli
from redislite.config import PARAMETERS


def filtered_config(path: str) -> tuple[str, int]:
    """A copy of the config without the options RedisLite does not have; and the port it names."""
    kept, port = [], 6379
    for line in Path(path).read_text().splitlines():
        words = line.strip().split(None, 1)
        if not words or words[0].startswith("#"):
            continue
        name = words[0].lower()
        if name == "port":
            port = int(words[1])
        if name in PARAMETERS or name == "user":
            kept.append(line)
    copy = path + ".redislite"
    with open(copy, "w") as out:
        out.write("\n".join(kept) + "\nhttp-port 0\n")
    return copy, port


def announce_when_ready(port: int) -> None:
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            print("Ready to accept connections", flush=True)
            return
        except OSError:
            time.sleep(0.05)


def main() -> int:
    os.dup2(1, 2)  # the logs go where the suite reads them
    print(f"RedisLite started PID: {os.getpid()}", flush=True)
    args, port = sys.argv[1:], 6379
    if args and not args[0].startswith("--"):
        config, port = filtered_config(args[0])
        args = [config, *args[1:]]
    if "--port" in args:
        port = int(args[args.index("--port") + 1])
    threading.Thread(target=announce_when_ready, args=(port,), daemon=True).start()
    return cli.main(args)


if __name__ == "__main__":
    sys.exit(main())
