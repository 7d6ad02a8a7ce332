"""The hash value: a dict of bytes fields to bytes values, O(1) per field.

Redis 7.0 keeps a small hash as a listpack and converts it to a hashtable once it holds more than
hash-max-listpack-entries fields or any field or value longer than hash-max-listpack-value bytes. The
conversion is one-way (deleting fields never turns a hashtable back into a listpack), so the encoding is
remembered here as a flag that only ever goes from True to False.
"""

import random
from itertools import islice


class HashValue(dict):
    """A Redis hash. Never stored empty: the commands delete a key whose hash they emptied."""

    __slots__ = ("listpack", "scans", "accounted", "counted")  # pricing state, see storage/memory.py
    type_name = b"hash"  # TYPE

    def __init__(self, *args):
        super().__init__(*args)
        self.accounted = self.counted = 0
        self.listpack = True
        self.scans = None  # ScanSnapshots for HSCAN over a hashtable, made on first use

    @property
    def encoding(self) -> bytes:
        """OBJECT ENCODING."""
        return b"listpack" if self.listpack else b"hashtable"

    def check_sizes(self, strings, max_value: int) -> None:
        """hashTypeTryConversion: any string longer than max_value makes the hash a hashtable."""
        if self.listpack:
            for string in strings:
                if len(string) > max_value:
                    self.listpack = False
                    return

    def check_length(self, max_entries: int) -> None:
        if self.listpack and len(self) > max_entries:
            self.listpack = False

    def duplicate(self) -> "HashValue":
        """COPY keeps the encoding, as Redis's hashTypeDup does."""
        copy = HashValue(self)
        copy.listpack = self.listpack
        return copy

    def random_field(self) -> bytes:
        return random_element(self)


def random_element(container) -> bytes:
    """A random element of a dict or set without copying a big one: a uniform pick when it is small, else the
    element a random number of steps (at most 1024) into iteration order."""
    size = len(container)
    if size <= 1024:
        return random.choice(list(container))
    return next(islice(iter(container), random.randrange(1024), None))


def random_sample(container, count: int) -> list:
    """count distinct random elements (0 < count < len): a uniform sample when count is a large part of the
    container, else repeated picks, so a small count on a huge container does not copy it."""
    size = len(container)
    if size <= 1024 or count * 3 > size:
        return random.sample(list(container), count)
    picked: dict = {}
    while len(picked) < count:
        picked[random_element(container)] = None
    return list(picked)
