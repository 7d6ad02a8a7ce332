"""FUNCTION DUMP / RESTORE payloads in Redis's own format, so payloads move between RedisLite and Redis:

    for each library: RDB_OPCODE_FUNCTION2 (245), the library code as an RDB string
    the RDB version (2 bytes, little-endian), then the CRC-64/Jones of everything before (8 bytes, little-endian)

RedisLite writes the code uncompressed; reading also accepts the LZF-compressed and integer-encoded strings
Redis writes.
"""

RDB_VERSION = 10  # Redis 7.0
OPCODE_FUNCTION2 = 245
OPCODE_FUNCTION_PRE_GA = 246


class PayloadError(Exception):
    pass


def _crc64_table() -> list[int]:
    reflected_poly = int(f"{0xAD93D23594C935A9:064b}"[::-1], 2)
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ reflected_poly if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC_TABLE = _crc64_table()


def crc64(data: bytes, crc: int = 0) -> int:
    """Redis's crc64 (Jones polynomial, reflected, no final xor); crc64(b"123456789") == 0xe9c6d914c4b8d9ca."""
    table = _CRC_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


def _length(value: int) -> bytes:
    if value < 1 << 6:
        return bytes([value])
    if value < 1 << 14:
        return bytes([0x40 | (value >> 8), value & 0xFF])
    if value <= 0xFFFFFFFF:
        return b"\x80" + value.to_bytes(4, "big")
    return b"\x81" + value.to_bytes(8, "big")


def dump(codes: list[bytes]) -> bytes:
    body = b"".join(bytes([OPCODE_FUNCTION2]) + _length(len(code)) + code for code in codes)
    body += RDB_VERSION.to_bytes(2, "little")
    return body + crc64(body).to_bytes(8, "little")


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise PayloadError("payload truncated")
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk

    def length(self) -> tuple[int, bool]:
        """(length, is_encoded) as rdbLoadLenByRef reads it."""
        first = self.take(1)[0]
        kind = first >> 6
        if kind == 0:
            return first & 0x3F, False
        if kind == 1:
            return ((first & 0x3F) << 8) | self.take(1)[0], False
        if kind == 3:
            return first & 0x3F, True
        if first == 0x80:
            return int.from_bytes(self.take(4), "big"), False
        if first == 0x81:
            return int.from_bytes(self.take(8), "big"), False
        raise PayloadError("bad length encoding")

    def string(self) -> bytes:
        length, encoded = self.length()
        if not encoded:
            return self.take(length)
        if length in (0, 1, 2):  # integers stored as 1, 2 or 4 bytes
            size = 1 << length
            return b"%d" % int.from_bytes(self.take(size), "little", signed=True)
        if length == 3:
            compressed_length, _ = self.length()
            original_length, _ = self.length()
            return lzf_decompress(self.take(compressed_length), original_length)
        raise PayloadError("unknown string encoding")


def lzf_decompress(data: bytes, expected: int) -> bytes:
    out = bytearray()
    pos = 0
    while pos < len(data):
        control = data[pos]
        pos += 1
        if control < 32:
            run = control + 1
            out += data[pos:pos + run]
            pos += run
        else:
            length = control >> 5
            if length == 7:
                length += data[pos]
                pos += 1
            back = ((control & 0x1F) << 8) + data[pos] + 1
            pos += 1
            start = len(out) - back
            if start < 0:
                raise PayloadError("bad LZF data")
            for index in range(length + 2):
                out.append(out[start + index])
    if len(out) != expected:
        raise PayloadError("bad LZF data")
    return bytes(out)


def verify(payload: bytes) -> bool:
    """verifyDumpPayload: a known RDB version and a matching checksum."""
    if len(payload) < 10:
        return False
    version = int.from_bytes(payload[-10:-8], "little")
    if version > RDB_VERSION:
        return False
    return crc64(payload[:-8]) == int.from_bytes(payload[-8:], "little")


def load(payload: bytes) -> list[bytes]:
    """The library codes in a verified payload; PayloadError with Redis's text when it holds something else."""
    reader = _Reader(payload[:-10])
    codes = []
    while reader.pos < len(reader.data):
        opcode = reader.take(1)[0]
        if opcode == OPCODE_FUNCTION_PRE_GA:
            raise PayloadError("Pre-GA function format not supported")
        if opcode != OPCODE_FUNCTION2:
            raise PayloadError("given type is not a function")
        codes.append(reader.string())
    return codes
