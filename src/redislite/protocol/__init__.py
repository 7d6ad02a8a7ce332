"""RESP: bytes in (reader), reply values out (encoder)."""
