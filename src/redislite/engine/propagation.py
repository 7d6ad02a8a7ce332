"""What writes propagate: one ordered stream of commands for the AOF (and replicas), Redis's alsoPropagate /
propagatePendingCommands.

A write command states what it propagates where it parsed its arguments (`Client.propagate_as`: SET EX as SET
PXAT, SPOP as SREM, a served BLPOP as LPOP, ...); a write that states nothing propagates its own arguments, and
one that changed nothing (the dirty counter did not move) propagates nothing. The engine collects the ops of
one top-level command (an EXEC or a script collects those of every write it ran) and emits them when it ends,
in MULTI ... EXEC when there are several, as Redis does. What happens outside any command's own logic (a key
that expires, lazily or from the cron, or is evicted) is emitted at once as its DEL, never inside a
transaction.

Each op carries the database it applies to; every consumer (`feed(ops)`) emits SELECT where the database
changes, since each consumer's stream has its own current database.
"""

from typing import Any, Protocol

from ..protocol.encoder import encode_command

MULTI = [b"MULTI"]
EXEC = [b"EXEC"]

Op = tuple[int, list[bytes]]  # (database index, argv); -1: any database (EXEC)


def encode_ops(ops: list[Op], selected: int) -> tuple[list[bytes], int]:
    """The ops as RESP commands, with a SELECT before each whose database is not the one selected last (each
    consumer's stream has its own); returns them and the database selected after them."""
    parts = []
    for db_index, argv in ops:
        if db_index >= 0 and db_index != selected:
            parts.append(encode_command([b"SELECT", b"%d" % db_index]))
            selected = db_index
        parts.append(encode_command(argv))
    return parts, selected


class Consumer(Protocol):
    """What reads the stream: the AOF (replicas later)."""

    def feed(self, ops: list[Op]) -> None: ...


class AppendOnlyLog(Consumer, Protocol):
    """persistence/aof.py's AppendOnlyFile as the engine keeps it for the network layer: a reply is held until
    the changes before it are written."""

    held: list  # (connection, replies) waiting for this turn's write

    def hold(self, connection: Any, replies: list[bytes]) -> bool: ...

    def close(self) -> None: ...


class Propagation:
    def __init__(self):
        self.consumers: list[Consumer] = []  # what reads the stream (the AOF; replicas later)
        self.pending: list[Op] = []  # the ops of the running top-level command
        self.nesting = 0  # EXEC and scripts running their commands: emitted together when the outermost ends

    def emit(self, ops: list[Op]) -> None:
        """What one command propagates: out now from a top-level command, else when the outermost EXEC or
        script ends."""
        if self.nesting:
            self.pending += ops
            return
        if len(ops) > 1:
            ops = [(ops[0][0], MULTI), *ops, (-1, EXEC)]
        for consumer in self.consumers:
            consumer.feed(ops)

    def stop(self) -> None:
        """The server stops inside a command (SHUTDOWN NOSAVE during a busy script, where Redis exits at once):
        what the running command wrote, and anything after, propagates nowhere."""
        self.pending = []
        self.consumers = []

    def begin(self) -> None:
        """EXEC or a script starts running commands: their ops go out together."""
        self.nesting += 1

    def end(self) -> None:
        self.nesting -= 1
        if not self.nesting and self.pending:
            self.flush()

    def flush(self) -> None:
        """The outermost EXEC or script ended: emit its commands' ops, in MULTI ... EXEC when there are several
        (the first op's database selected before the MULTI)."""
        ops, self.pending = self.pending, []
        self.emit(ops)

    def emit_now(self, db_index: int, argv: list[bytes]) -> None:
        """An effect outside a command's logic (an expired or evicted key's DEL): out at once, so it never
        lands inside the MULTI ... EXEC of the transaction during which it happened."""
        for consumer in self.consumers:
            consumer.feed([(db_index, argv)])
