"""Reply value types that handlers return besides bytes, int, None, list and dict.

Handlers return plain Python values; the encoder turns them into RESP2 or RESP3 per client:
bytes -> bulk string, int -> integer, None -> null, list -> array, dict -> map (flat array in RESP2),
float -> double (bulk string in RESP2).
"""


class SimpleString(bytes):
    """A status reply: +OK."""


class ErrorReply(bytes):
    """An error value inside an array (EXEC results); top-level errors are raised as CommandError."""


class Verbatim(bytes):
    """A verbatim string (`=` in RESP3, bulk in RESP2); INFO, CLIENT LIST and LATENCY DOCTOR use it."""


class HumanDouble(bytes):
    """A double already printed in Redis's human form (addReplyHumanLongDouble: "%.17Lf", trailing zeros
    stripped): a bulk string in RESP2, a `,` double in RESP3. GEOPOS and WITHCOORD answer with it."""


class SetReply(list):
    """A set (`~` in RESP3, array in RESP2)."""


class Push(list):
    """An out-of-band push (`>` in RESP3, array in RESP2): pub/sub messages, invalidations."""


class Replies(list):
    """Several top-level replies to one command (SUBSCRIBE a b confirms each channel on its own)."""


class Encoded(bytes):
    """A reply already encoded for its client (EXEC's array of results); sent as it is."""


class NullArray:
    """`*-1` in RESP2 (`_` in RESP3): what a few commands answer instead of a null bulk."""


NULL_ARRAY = NullArray()


OK = SimpleString(b"OK")
PONG = SimpleString(b"PONG")
QUEUED = SimpleString(b"QUEUED")
