"""What the dataset costs, in bytes: a model of CPython's allocations, kept up to date incrementally.

Redis counts every malloc; Python cannot, so each stored object is priced by the allocator's rules instead:
a bytes object is a 33-byte header plus its payload, rounded up to pymalloc's 16-byte size classes; a
container is what `sys.getsizeof` says (its own table, O(1) to ask) plus its members. Small aggregates are
priced member by member; a large one prices a fixed sample of members and scales by its length, as
Redis's MEMORY USAGE does with SAMPLES.

Database keeps the sum for its keys (`Database.used`) as they are stored, replaced and deleted; an
aggregate changed in place is re-priced after the command (Database.settle). An aggregate remembers what
it was last priced at (`accounted`) and its length then (`counted`): re-pricing keeps that when the length
did not change, scales it by the change in length for a large one, and measures afresh once in a while (at
random, whenever the length jumps, and for small ones), so a write on a big aggregate costs O(1). The per-key
hash table slots (data, access times, deadlines, the expiry heap) are priced at query time from the tables
themselves, so a table resize shows up exactly as the process sees it.
"""

from collections import deque
from itertools import islice
from sys import getsizeof
from typing import Protocol

# What an empty server reports as used_memory: the interpreter itself is not the dataset, but Redis's
# used_memory is never 0 either (its startup allocations), and tools divide by it.
STARTUP_BYTES = 1 << 20
# Members priced one by one up to this many (and re-priced afresh after every change); above it, SAMPLE
# of them stand for all.
EXACT_MEMBERS = 8
SAMPLE = 16
RESAMPLE_CHANCE = 1 / 32  # how often re-pricing a large aggregate measures it afresh
# A (score, member) tuple and the float score of a sorted-set member (shared with the scores dict).
ZSET_PAIR_BYTES = 64 + 32
# One slot of a key table (data, access times, deadlines): a 24-byte entry, its index and the spare
# capacity CPython keeps (a dict is at most 2/3 full), on average.
TABLE_SLOT_BYTES = 42
# The expiry heap's (deadline, key) tuple and the deadline int it shares with the expires table.
HEAP_ENTRY_BYTES = 64 + 32


class Aggregate(Protocol):
    """A stored value other than a string (ListValue, HashValue, SetValue, ZSet): its TYPE name, OBJECT
    ENCODING and COPY, and its pricing state: what it was last priced at, and its length then."""

    type_name: bytes
    accounted: int
    counted: int

    @property
    def encoding(self) -> bytes: ...

    def duplicate(self) -> "Aggregate": ...

    def __len__(self) -> int: ...


def bytes_size(value: bytes) -> int:
    """A bytes object as allocated: header + payload + NUL, in 16-byte steps."""
    return (len(value) + 48) & -16


# bytes_size by length, for lengths below 4096: a C-level lookup (MSET prices its values with map())
SIZE_BY_LENGTH = [bytes_size(bytes(length)) for length in range(4096)]


def price(value) -> int:
    """Measure an aggregate afresh and remember it (a value being stored)."""
    value.counted = len(value)
    value.accounted = measure(value)
    return value.accounted


def value_size(value) -> int:
    """The bytes a stored value costs (an aggregate's last measure, which `measure` refreshes)."""
    if value.__class__ is bytes:
        return bytes_size(value)
    return value.accounted


def measure(value, samples: int = SAMPLE) -> int:
    """Price an aggregate now: its containers plus its members (all of them when few or samples is 0,
    else a sample scaled to the length)."""
    if isinstance(value, dict):  # HashValue
        return getsizeof(value) + _members_size(value.items(), len(value), samples, _pair_size)
    if isinstance(value, (set, frozenset)):  # SetValue
        return getsizeof(value) + _members_size(value, len(value), samples, bytes_size)
    if isinstance(value, deque):  # ListValue: a sample from both ends, where pushes and pops happen
        count = len(value)
        if samples and count > max(samples, EXACT_MEMBERS):
            half = max(samples // 2, 1)
            picked = [*islice(value, half), *islice(reversed(value), half)]
            return getsizeof(value) + count * sum(map(bytes_size, picked)) // len(picked)
        return getsizeof(value) + sum(map(bytes_size, value))
    scores = getattr(value, "scores", None)
    if scores is not None:  # ZSet: the member -> score dict plus the ordered (score, member) pairs
        count = len(scores)
        members = _members_size(scores, count, samples, bytes_size)
        return (
            getsizeof(value) + getsizeof(scores) + members + count * ZSET_PAIR_BYTES + _sorted_list_size(value.ordered)
        )
    return getsizeof(value)


def _sorted_list_size(ordered) -> int:
    """A SortedList: its object and attribute dict, its index lists, and its sublists of pair pointers
    (about one sublist per thousand pairs, so this stays cheap)."""
    lists = ordered._lists
    return (
        getsizeof(ordered)
        + getsizeof(ordered.__dict__)
        + getsizeof(lists)
        + getsizeof(ordered._maxes)
        + getsizeof(ordered._index)
        + sum(map(getsizeof, lists))
    )


def _pair_size(item) -> int:
    return bytes_size(item[0]) + bytes_size(item[1])


def _members_size(members, count: int, samples: int, size_of) -> int:
    if not samples or count <= max(samples, EXACT_MEMBERS):
        return sum(map(size_of, members))
    picked = list(islice(members, samples))
    return count * sum(map(size_of, picked)) // len(picked)
