"""Redis's CRC-64 (crc64.c): the Jones polynomial 0xad93d23594c935a9, reflected in and out, no final xor.

crc64(b"123456789") == 0xe9c6d914c4b8d9ca. The C extension of crcmod-plus does the work; a table-driven
pure-Python fallback keeps the module usable without it.
"""

POLY = 0xAD93D23594C935A9


def _table() -> list[int]:
    reflected = int(f"{POLY:064b}"[::-1], 2)
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ reflected if crc & 1 else crc >> 1
        table.append(crc)
    return table


def crc64_python(data, crc: int = 0) -> int:
    table = _TABLE
    for byte in bytes(data):
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc


_TABLE = _table()

try:
    import crcmod

    _crc64 = crcmod.mkCrcFun(0x1_0000_0000_0000_0000 | POLY, initCrc=0, rev=True, xorOut=0)

    def crc64(data, crc: int = 0) -> int:
        """The CRC of data, continuing from `crc` (0 to start)."""
        return _crc64(data, crc)
except ImportError:  # pragma: no cover - crcmod-plus is a dependency
    crc64 = crc64_python
