"""The set value: a Python set of bytes members, O(1) membership.

Redis 7.0 keeps a set made only of integers (strings that string2ll accepts) as an intset while it holds at
most set-max-intset-entries members; any other member, or one member too many, converts it to a hashtable
for good (Redis 7.0 has no listpack sets: they arrived in 7.2). The encoding is remembered as a flag that
only ever goes from True to False, except for a set that a command builds afresh (SINTERSTORE, SPOP of most
of a set, ...), which starts again from the members it gets, as Redis's do.
"""

from .hashes import random_element, random_sample

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def is_integer(member: bytes) -> bool:
    """Redis's string2ll: optional '-', no '+', no spaces, no leading zeros, signed 64-bit."""
    if len(member) > 20 or not member:
        return False
    try:
        value = int(member)
    except ValueError:
        return False
    return b"%d" % value == member and INT64_MIN <= value <= INT64_MAX


class SetValue(set):
    """A Redis set. Never stored empty: the commands delete a key whose set they emptied."""

    __slots__ = ("intset", "scans", "accounted", "counted")  # pricing state, see storage/memory.py
    type_name = b"set"  # TYPE

    def __init__(self, *args):
        super().__init__(*args)
        self.accounted = self.counted = 0
        self.intset = True
        self.scans = None  # ScanSnapshots for SSCAN over a hashtable, made on first use

    @classmethod
    def built_from(cls, members, max_intset_entries: int) -> "SetValue":
        """A fresh set (setTypeCreate + setTypeAdd of each member): an intset when every member is an
        integer and there are few enough."""
        value = cls(members)
        value.intset = len(value) <= max_intset_entries and all(map(is_integer, value))
        return value

    @property
    def encoding(self) -> bytes:
        """OBJECT ENCODING."""
        return b"intset" if self.intset else b"hashtable"

    def add_members(self, members, max_intset_entries: int) -> int:
        """setTypeAdd for each member; returns how many were new."""
        before = len(self)
        if len(members) == 1:
            self.add(members[0])
        else:
            self.update(members)
        added = len(self) - before
        if added and self.intset and (len(self) > max_intset_entries or not all(map(is_integer, members))):
            self.intset = False
        return added

    def duplicate(self) -> "SetValue":
        """COPY keeps the encoding, as Redis's setTypeDup does."""
        copy = SetValue(self)
        copy.intset = self.intset
        return copy

    def random_member(self) -> bytes:
        return random_element(self)

    def random_members(self, count: int) -> list[bytes]:
        """count distinct random members, 0 < count < len(self)."""
        return random_sample(self, count)
