"""MEMORY USAGE, STATS, DOCTOR, MALLOC-STATS, PURGE and HELP: the dataset as storage/memory.py prices it
(ctx.server.memory is engine/memory.py's MemoryManager)."""

from .. import errors
from ..errors import CommandError
from ..protocol.values import OK, Verbatim
from ..storage.memory import HEAP_ENTRY_BYTES, STARTUP_BYTES, TABLE_SLOT_BYTES, bytes_size, measure
from .args import ArgCursor
from .client import help_reply
from .context import Argv, Context
from .info import resident_bytes
from .keys import lookup_read
from .registry import Index, KeySpec, command

MEMORY_HELP = """\
MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
DOCTOR
    Return memory problems reports.
MALLOC-STATS
    Return internal statistics report from the memory allocator.
PURGE
    Attempt to purge dirty pages for reclamation by the allocator.
STATS
    Return information about the memory usage of the server.
USAGE <key> [SAMPLES <count>]
    Return memory in bytes used by <key> and its value. Nested values are
    sampled up to <count> times (default: 5, 0 means sample all).
HELP
    Prints this help."""

DOCTOR_EMPTY = (
    "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these "
    "conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be "
    "back to our programming as soon as I finished rebooting."
)
DOCTOR_FINE = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base."
DOCTOR_PEAK = (
    "Sam, I detected a few issues in this Redis instance memory implants:\n\n"
    " * Peak memory: In the past this instance used more than 150% the memory that is currently using. The "
    "allocator is normally not able to release memory after a peak, so you can expect to see a big "
    "fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the "
    "Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon "
    "as you fill the Redis instance with more data. If the memory peak was only occasional and you want to "
    "try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to "
    "shutdown and restart the instance.\n\n"
    "I'm here to keep you safe, Sam. I want to help you.\n"
)


@command("memory", arity=-2, group="server", since="4.0.0", complexity="Depends on subcommand.")
def memory_command(ctx: Context, argv: Argv):
    """MEMORY — A container for memory diagnostics commands"""
    raise CommandError(errors.wrong_arity("memory"))


@command("memory|help", arity=2, flags="loading stale", group="server", since="4.0.0", complexity="O(1)")
def memory_help_command(ctx: Context, argv: Argv):
    """MEMORY HELP — Show helpful text about the different subcommands"""
    return help_reply(MEMORY_HELP)


@command(
    "memory|usage",
    arity=-3,
    flags="readonly",
    key_specs=[KeySpec("RO", Index(2))],
    group="server",
    since="4.0.0",
    complexity="O(N) where N is the number of samples.",
)
def memory_usage_command(ctx: Context, argv: Argv):
    """MEMORY USAGE key [SAMPLES count] — Estimate the memory usage of a key: its key and value objects

    ... and its share of the tables (data, access times, and deadline and heap entry when it has a TTL)."""
    samples = 5
    args = ArgCursor(argv, 3)
    while args.more():
        if args.next_upper() != b"SAMPLES":
            raise CommandError(errors.SYNTAX)
        samples = args.next_int()
        if samples < 0:
            raise CommandError(errors.SYNTAX)
    key = argv[2]
    value = lookup_read(ctx, key, False, notify_miss=False)
    if value is None:
        return None
    usage = bytes_size(key) + 2 * TABLE_SLOT_BYTES
    usage += bytes_size(value) if value.__class__ is bytes else measure(value, samples)
    if ctx.db.deadline(key) is not None:
        usage += TABLE_SLOT_BYTES + HEAP_ENTRY_BYTES
    return usage


@command(
    "memory|stats",
    arity=2,
    group="server",
    since="4.0.0",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
    complexity="O(1)",
)
def memory_stats_command(ctx: Context, argv: Argv):
    """MEMORY STATS — Show memory usage details, with Redis's field names where they apply."""
    state = ctx.server
    memory = state.memory
    used = memory.used_memory()
    rss = resident_bytes()
    keys = sum(len(db) for db in state.databases)
    dataset = used - STARTUP_BYTES
    stats: dict[bytes, float | dict[bytes, int]] = {
        b"peak.allocated": memory.peak,
        b"total.allocated": used,
        b"startup.allocated": STARTUP_BYTES,
        b"replication.backlog": 0,
        b"clients.slaves": 0,
        b"clients.normal": 0,
        b"cluster.links": 0,
        b"aof.buffer": 0,
        b"lua.caches": 0,
        b"functions.caches": 0,
    }
    overhead = STARTUP_BYTES
    for db in state.databases:
        if db.data or db.expires:
            main, expires = db.table_bytes()
            stats[b"db.%d" % db.index] = {
                b"overhead.hashtable.main": main,
                b"overhead.hashtable.expires": expires,
                b"overhead.hashtable.slot-to-keys": 0,
            }
            overhead += main + expires
    stats.update(
        {
            b"overhead.total": overhead,
            b"keys.count": keys,
            b"keys.bytes-per-key": dataset // keys if keys else 0,
            b"dataset.bytes": used - overhead,
            b"dataset.percentage": 100.0 * (used - overhead) / used,
            b"peak.percentage": 100.0 * used / memory.peak if memory.peak else 100.0,
            b"allocator.allocated": used,
            b"allocator.active": used,
            b"allocator.resident": rss,
            b"rss-overhead.ratio": rss / used,
            b"rss-overhead.bytes": rss - used,
            b"fragmentation": rss / used,
            b"fragmentation.bytes": rss - used,
        }
    )
    return stats


@command(
    "memory|doctor",
    arity=2,
    group="server",
    since="4.0.0",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
    complexity="O(1)",
)
def memory_doctor_command(ctx: Context, argv: Argv):
    """MEMORY DOCTOR — Outputs memory problems report"""
    memory = ctx.server.memory
    used = memory.used_memory()
    if used < 5 * 1024 * 1024:
        report = DOCTOR_EMPTY
    elif memory.peak > used * 3 // 2:
        report = DOCTOR_PEAK
    else:
        report = DOCTOR_FINE
    return Verbatim(report.encode())


@command(
    "memory|malloc-stats",
    arity=2,
    group="server",
    since="4.0.0",
    tips="nondeterministic_output request_policy:all_shards response_policy:special",
    complexity="Depends on how much memory is allocated, could be slow",
)
def memory_malloc_stats_command(ctx: Context, argv: Argv):
    """MEMORY MALLOC-STATS — Show allocator internal stats (what Redis answers without jemalloc)"""
    return b"Stats not supported for the current allocator"


@command(
    "memory|purge",
    arity=2,
    group="server",
    since="4.0.0",
    tips="request_policy:all_shards response_policy:all_succeeded",
    complexity="Depends on how much memory is allocated, could be slow",
)
def memory_purge_command(ctx: Context, argv: Argv):
    """MEMORY PURGE — Ask the allocator to release memory: here, rebuild tables emptied by deletions"""
    for db in ctx.server.databases:
        while db.compact_one_table(max_keys=None):
            pass
    return OK
