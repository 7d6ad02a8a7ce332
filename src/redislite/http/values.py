"""Between JSON and the engine: request arguments to argv bytes, reply values to JSON, Redis errors to
HTTP statuses. Bytes that are not UTF-8 travel as base64, marked with `"encoding": "base64"`."""

import base64
import binascii
import math

import hiredis

from .. import errors
from ..protocol.values import Encoded, ErrorReply, NullArray, Replies

UTF8 = "utf-8"
BASE64 = "base64"

# Redis error prefix -> HTTP status; anything else a command refuses is the caller's bad input (400).
ERROR_STATUS = {
    "WRONGTYPE": 409,
    "LOADING": 503,
    "OOM": 503,
    "MISCONF": 503,
    "BUSY": 503,
    "MASTERDOWN": 503,
    "NOAUTH": 401,
    "WRONGPASS": 401,
    "NOPERM": 403,
}


class BadInput(ValueError):
    """A request the API cannot turn into a command (bad base64, an empty command)."""


def decode_text(text: str, encoding: str) -> bytes:
    """A key, value or argument as sent: UTF-8 text, or base64 (standard or URL-safe alphabet). JSON's
    escapes can spell a lone surrogate ("\\ud800"), which has no UTF-8 form."""
    if encoding == UTF8:
        try:
            return text.encode()
        except UnicodeEncodeError:
            raise BadInput(errors.HTTP_NOT_UNICODE) from None
    try:
        return base64.b64decode(text.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        raise BadInput(errors.http_invalid_base64(text)) from None


def text_or_base64(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 when the bytes are UTF-8, base64 otherwise; never lossy."""
    try:
        return data.decode(), UTF8
    except UnicodeDecodeError:
        return base64.b64encode(data).decode(), BASE64


def pair_encoding(*items: bytes) -> tuple[list[str], str]:
    """Several byte strings under one encoding field: base64 for all when any is not UTF-8."""
    try:
        return [item.decode() for item in items], UTF8
    except UnicodeDecodeError:
        return [base64.b64encode(item).decode() for item in items], BASE64


def bulk_to_json(data: bytes):
    try:
        return data.decode()
    except UnicodeDecodeError:
        return {"encoding": BASE64, "data": base64.b64encode(data).decode()}


def reply_to_json(value):
    """A handler's reply value (RESP3 types) as JSON: maps become objects when every key is text,
    otherwise lists of [key, value] pairs; sets become lists; doubles that JSON cannot carry become strings."""
    if isinstance(value, ErrorReply):
        return {"error": value.decode("utf-8", "replace")}
    if isinstance(value, Encoded):  # EXEC's array, already encoded (RESP3 for our clients)
        return reply_to_json(parse_encoded(bytes(value)))
    if isinstance(value, (bytes, bytearray)):
        return bulk_to_json(bytes(value))
    if isinstance(value, hiredis.ReplyError):
        return {"error": str(value)}
    if value is None or isinstance(value, NullArray):
        return None
    if isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf"))
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        keys = [reply_to_json(key) for key in value]
        values = [reply_to_json(item) for item in value.values()]
        if all(isinstance(key, str) for key in keys):
            return dict(zip(keys, values))
        return [[key, item] for key, item in zip(keys, values)]
    if isinstance(value, (list, tuple, set, frozenset, Replies)):
        return [reply_to_json(item) for item in value]
    return str(value)


def parse_encoded(data: bytes):
    reader = hiredis.Reader()
    reader.feed(data)
    return reader.gets()


def error_status(message: str) -> int:
    return ERROR_STATUS.get(message.split(" ", 1)[0], 400)
