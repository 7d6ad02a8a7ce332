"""FUNCTION DUMP / RESTORE payloads in Redis's own format, so payloads move between RedisLite and Redis:

    for each library: RDB_OPCODE_FUNCTION2 (245), the library code as an RDB string
    the RDB version (2 bytes, little-endian), then the CRC-64/Jones of everything before (8 bytes, little-endian)

RedisLite writes the code uncompressed; reading also accepts the LZF-compressed and integer-encoded strings
Redis writes.
"""

from ... import errors
from ...errors import CommandError
from ...storage import lzf
from ...storage.crc64 import crc64

RDB_VERSION = 10  # Redis 7.0
OPCODE_FUNCTION2 = 245
OPCODE_FUNCTION_PRE_GA = 246


class PayloadError(CommandError):
    """A payload that verified but does not hold libraries: FUNCTION RESTORE answers its message."""


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
            raise PayloadError(errors.PAYLOAD_TRUNCATED)
        chunk = self.data[self.pos : self.pos + count]
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
        raise PayloadError(errors.PAYLOAD_LENGTH_ENCODING)

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
            try:
                return lzf.decompress(self.take(compressed_length), original_length)
            except lzf.LzfError:
                raise PayloadError(errors.PAYLOAD_LZF) from None
        raise PayloadError(errors.PAYLOAD_STRING_ENCODING)


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
            raise PayloadError(errors.PAYLOAD_PRE_GA)
        if opcode != OPCODE_FUNCTION2:
            raise PayloadError(errors.PAYLOAD_NOT_A_FUNCTION)
        codes.append(reader.string())
    return codes
