"""HyperLogLog commands: PFADD, PFCOUNT, PFMERGE.

An HLL is a string value in Redis's layout (see storage/hyperloglog.py), so TYPE answers "string" and GET/SET
move it around like Redis's, and the bytes are Redis's: created sparse, promoted to dense past
hll-sparse-max-bytes or when a register outgrows the sparse encoding. PFCOUNT of one key caches the cardinality
in the header, as Redis does: that rewrites the value, which is why Redis documents PFCOUNT as possibly
modifying the key.
"""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK
from ..storage import hyperloglog as hll
from .context import Argv, Context
from .keys import lookup_read
from .notifications import NOTIFY_STRING, new_key, notify
from .registry import Index, KeySpec, Range, command
from .strings import lookup_string_write


def check_hll(value) -> bytes:
    """isHLLObjectOrReply: WRONGTYPE for another type, then Redis's HyperLogLog-specific WRONGTYPE text."""
    if value.__class__ is not bytes:
        raise CommandError(errors.WRONGTYPE)
    if not hll.is_hll(value):
        raise CommandError(errors.HLL_WRONGTYPE)
    return value


def registers_or_error(value: bytes) -> bytearray:
    try:
        return hll.registers_of(value)
    except hll.CorruptedHLL:
        raise CommandError(errors.HLL_CORRUPTED) from None


@command(
    "pfadd",
    arity=-2,
    flags="write denyoom fast",
    key_specs=[KeySpec("RW INSERT", Index(1))],
    group="hyperloglog",
    since="2.8.9",
    complexity="O(1) to add every element.",
)
def pfadd_command(ctx: Context, argv: Argv):
    """PFADD key [element [element ...]] — Adds the specified elements to the specified HyperLogLog."""
    key = argv[1]
    old = lookup_string_write(ctx, key)
    if old is None:
        sketch = hll.HyperLogLog.empty()
        updated = 1  # creating the key counts as a change even with no elements
    else:
        sketch = hll.HyperLogLog(check_hll(old))
        updated = 0
    max_bytes = ctx.server.config.hll_sparse_max_bytes
    add = sketch.add
    try:
        for element in argv[2:]:
            if add(element, max_bytes):
                updated += 1
    except hll.CorruptedHLL:
        # Redis changes the value in place and stops at the corrupt spot: the elements before it stay added,
        # unannounced (no dirty count, so nothing propagates and no WATCH fires). The key existed: `updated`
        # counts those elements.
        if updated:
            ctx.db.store(key, sketch.value(), keep_ttl=True, touch=ctx.touch, in_place=True)
        raise CommandError(errors.HLL_CORRUPTED) from None
    if updated:
        sketch.invalidate_cache()
        ctx.db.store(key, sketch.value(), keep_ttl=True, touch=ctx.touch, in_place=True)
        ctx.server.dirty += updated
        if ctx.server.notify_flags:
            if old is None:
                new_key(ctx, key)
            notify(ctx, NOTIFY_STRING, b"pfadd", key)
    return 1 if updated else 0


PFCOUNT_KEYS = KeySpec(
    "RW ACCESS",
    Index(1),
    Range(-1),
    notes="RW because it may change the internal representation of the key, and propagate to replicas",
)


@command(
    "pfcount",
    arity=-2,
    flags="readonly",
    key_specs=[PFCOUNT_KEYS],
    group="hyperloglog",
    since="2.8.9",
    complexity="O(1) with a very small average constant time when called with a single key. O(N) with N "
    "being the number of keys, and much bigger constant times, when called with multiple keys.",
)
def pfcount_command(ctx: Context, argv: Argv):
    """PFCOUNT key [key ...] — Return the approximated cardinality of the set(s) observed by the HyperLogLog at
    key(s)."""
    if len(argv) > 2:  # the cardinality of the union: registers merged, no cache involved
        registers = bytearray(hll.REGISTERS)
        for key in argv[1:]:
            value = lookup_read(ctx, key, ctx.touch)
            if value is not None:
                registers = hll.merge_registers(registers, registers_or_error(check_hll(value)))
        return hll.count_registers(registers)
    key = argv[1]
    value = lookup_read(ctx, key, ctx.touch)
    if value is None:
        return 0
    check_hll(value)
    cached = hll.cached_count(value)
    if cached is not None:
        return cached
    count = hll.count_registers(registers_or_error(value))
    ctx.db.store(key, hll.with_cached_count(value, count), keep_ttl=True, touch=ctx.touch, in_place=True)
    ctx.propagate_as(argv)  # a read that rewrote its key's cached count: replay caches it too, as Redis's does
    ctx.server.dirty += 1
    return count


@command(
    "pfmerge",
    arity=-2,
    flags="write denyoom",
    key_specs=[KeySpec("RW ACCESS INSERT", Index(1)), KeySpec("RO ACCESS", Index(2), Range(-1))],
    group="hyperloglog",
    since="2.8.9",
    complexity="O(N) to merge N HyperLogLogs, but with high constant times.",
)
def pfmerge_command(ctx: Context, argv: Argv):
    """PFMERGE destkey [sourcekey [sourcekey ...]] — Merge N different HyperLogLogs into a single one.

    The destination keeps its encoding and header, unless a source is dense: then it turns dense first."""
    registers = bytearray(hll.REGISTERS)
    use_dense = False
    # The destination is one of the sources, and every source is checked before anything is written.
    for key in argv[1:]:
        value = lookup_read(ctx, key, ctx.touch)
        if value is not None:
            if check_hll(value)[4] == hll.DENSE:
                use_dense = True
            registers = hll.merge_registers(registers, registers_or_error(value))
    destination = argv[1]
    old = lookup_string_write(ctx, destination)
    sketch = hll.HyperLogLog.empty() if old is None else hll.HyperLogLog(old)
    if use_dense:
        sketch.to_dense()  # (a sparse destination was read whole above, so it converts)
    sketch.raise_registers(registers, ctx.server.config.hll_sparse_max_bytes)
    sketch.invalidate_cache()
    ctx.db.store(destination, sketch.value(), keep_ttl=True, touch=ctx.touch, in_place=True)
    ctx.server.dirty += 1
    if ctx.server.notify_flags:  # PFMERGE tells of a "pfadd", as Redis does
        if old is None:
            new_key(ctx, destination)
        notify(ctx, NOTIFY_STRING, b"pfadd", destination)
    return OK
