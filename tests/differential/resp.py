"""A minimal raw-RESP client for tests: replies come back as exact bytes, errors included."""

import socket


def encode(*args) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        arg = arg if isinstance(arg, bytes) else str(arg).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg))
    return b"".join(out)


def parse_reply(reply: bytes, pos: int = 0):
    """(value, end) of the RESP2 reply at pos: bytes for a bulk, None for a null, a list for an array, and the
    whole line (type byte included) for anything else."""
    kind = reply[pos : pos + 1]
    end = reply.index(b"\r\n", pos)
    header = reply[pos + 1 : end]
    if kind == b"$":
        length = int(header)
        if length < 0:
            return None, end + 2
        return reply[end + 2 : end + 2 + length], end + 2 + length + 2
    if kind == b"*":
        children, pos = [], end + 2
        for _ in range(int(header)):
            child, pos = parse_reply(reply, pos)
            children.append(child)
        return children, pos
    return kind + header, end + 2


class RawClient:
    """Sends commands, reads back one complete RESP2/RESP3 reply per command as its raw bytes."""

    def __init__(self, port: int, timeout: float = 10.0):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buffer = b""

    def close(self) -> None:
        self.sock.close()

    def _fill(self) -> None:
        chunk = self.sock.recv(1 << 16)
        if not chunk:
            raise ConnectionError("connection closed")
        self.buffer += chunk

    def _line_end(self, pos: int) -> int:
        while (end := self.buffer.find(b"\r\n", pos)) < 0:
            self._fill()
        return end

    def _reply_end(self, pos: int) -> int:
        """Offset just past one complete reply starting at pos."""
        while len(self.buffer) <= pos:
            self._fill()
        kind = self.buffer[pos : pos + 1]
        end = self._line_end(pos)
        header = self.buffer[pos + 1 : end]
        if kind in b"$=!":
            length = int(header)
            if length < 0:
                return end + 2
            while len(self.buffer) < end + 2 + length + 2:
                self._fill()
            return end + 2 + length + 2
        if kind in b"*~>%|":
            count = int(header)
            if kind in b"%|":
                count *= 2
            pos = end + 2
            for _ in range(max(count, 0)):
                pos = self._reply_end(pos)
            return pos
        return end + 2  # + - : _ , # (

    def read_reply(self) -> bytes:
        end = self._reply_end(0)
        reply, self.buffer = self.buffer[:end], self.buffer[end:]
        return reply

    def call(self, *args) -> bytes:
        self.sock.sendall(encode(*args))
        return self.read_reply()

    def pipeline(self, commands) -> list[bytes]:
        self.sock.sendall(b"".join(encode(*cmd) for cmd in commands))
        return [self.read_reply() for _ in commands]

    def send_raw(self, data: bytes) -> None:
        self.sock.sendall(data)
