"""A RedisLite replica reading a stream that is not only RESP commands: a hand-written master (a socket in this
test) sends a bare newline between commands, a transaction split across writes and a command split mid-argument.
The replica applies every command and counts every byte in its offset, as Redis's replica does, and answers
REPLCONF GETACK with the offset before it."""

import socket
import time

import hiredis

from ..servers import free_port, raw_client
from .replica_helpers import info, redislite_node, wait_until

EMPTY_RDB = b"REDIS0009\xff" + bytes(8)  # a checksum of 0: saved with checksums off, loaded without a check


def command(*argv: bytes) -> bytes:
    return b"*%d\r\n" % len(argv) + b"".join(b"$%d\r\n%s\r\n" % (len(arg), arg) for arg in argv)


def answer_handshake(link: socket.socket) -> None:
    """+PONG / +OK to each command until PSYNC, then a full resync with an empty snapshot."""
    reader = hiredis.Reader()
    while True:
        chunk = link.recv(4096)
        assert chunk, "the replica closed the link during its handshake"
        reader.feed(chunk)
        for argv in iter(reader.gets, False):
            name = argv[0].upper()
            if name == b"PSYNC":
                link.sendall(b"+FULLRESYNC " + b"a" * 40 + b" 0\r\n$%d\r\n" % len(EMPTY_RDB) + EMPTY_RDB)
                return
            link.sendall(b"+PONG\r\n" if name == b"PING" else b"+OK\r\n")


def test_a_bare_newline_and_split_commands_in_the_stream_are_applied_and_counted(tmp_path):
    listener = socket.create_server(("127.0.0.1", free_port()))
    master_port = listener.getsockname()[1]
    with redislite_node(tmp_path, "--replicaof", "127.0.0.1", str(master_port)) as replica:
        listener.settimeout(10)
        link, _ = listener.accept()
        link.settimeout(10)
        answer_handshake(link)
        ours = raw_client(replica.port)
        wait_until(lambda: info(ours)["master_link_status"] == "up", what="the link up")
        # REPLCONF GETACK between two writes in one piece: the replica answers with the offset before it
        link.setblocking(False)
        try:
            while link.recv(65536):  # the ACKs so far
                pass
        except BlockingIOError:
            pass
        link.setblocking(True)
        first = command(b"SET", b"d", b"1") + command(b"REPLCONF", b"GETACK", b"*") + command(b"SET", b"e", b"1")
        link.sendall(first)
        acks = hiredis.Reader()
        acks.feed(link.recv(65536))
        assert acks.gets() == [b"REPLCONF", b"ACK", b"%d" % len(command(b"SET", b"d", b"1"))]
        stream = [
            command(b"SELECT", b"0") + command(b"SET", b"a", b"1"),
            command(b"SET", b"b", b"2") + command(b"MULTI") + command(b"INCR", b"a"),
            command(b"INCR", b"b") + command(b"EXEC")[:5],
            command(b"EXEC")[5:] + command(b"SET", b"c", b"x" * 20000)[:100],
            command(b"SET", b"c", b"x" * 20000)[100:] + command(b"RPUSH", b"list", b"p")[:-3],
            command(b"RPUSH", b"list", b"p")[-3:] + b"\n",  # a keep-alive newline, as a master waiting for a BGSAVE
            command(b"RPUSH", b"list", b"q"),
        ]
        for piece in stream:
            link.sendall(piece)
            time.sleep(0.05)
        total = len(first) + sum(map(len, stream))
        wait_until(lambda: int(info(ours)["slave_repl_offset"]) == total, what="every byte counted")
        assert ours.execute_command("MGET", "a", "b") == [b"2", b"3"]
        assert ours.execute_command("STRLEN", "c") == 20000 and ours.execute_command("LRANGE", "list", 0, -1) == [
            b"p",
            b"q",
        ]
        link.close()
        ours.close()
    listener.close()
