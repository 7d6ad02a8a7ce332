"""The list value: a deque of bytes (Redis's quicklist), O(1) at both ends.

Indexes here are already normalized (0 <= index < len); the commands layer turns Redis's negative and
out-of-range indexes into these. Every operation that may touch the whole list is linear: scans run at C
speed where Python allows (list.index, islice), and bulk removals rebuild the deque once instead of deleting
element by element (each deque deletion in the middle is itself O(n)).
"""

from collections import deque
from itertools import islice


class ListValue(deque):
    """A Redis list. Never stored empty: the commands delete a key whose list they emptied."""

    __slots__ = ("accounted", "counted")  # pricing state, see storage/memory.py
    type_name = b"list"  # TYPE
    encoding = b"quicklist"  # OBJECT ENCODING: Redis 7.0 makes every list a quicklist

    def __init__(self, *args):
        super().__init__(*args)
        self.accounted = self.counted = 0

    def duplicate(self) -> "ListValue":
        """COPY's copy."""
        return ListValue(self)

    def range(self, start: int, stop: int) -> list[bytes]:
        """Elements start..stop inclusive (0 <= start <= stop < len), walking from the nearer end."""
        length = len(self)
        if start == 0 and stop == length - 1:
            return list(self)
        if start <= length - 1 - stop:
            return list(islice(self, start, stop + 1))
        items = list(islice(reversed(self), length - 1 - stop, length - start))
        items.reverse()
        return items

    def pop_many(self, count: int, from_left: bool) -> list[bytes]:
        """Up to count elements from one end, in pop order."""
        if count >= len(self):
            items = list(self) if from_left else list(reversed(self))
            self.clear()
            return items
        pop = self.popleft if from_left else self.pop
        return [pop() for _ in range(count)]

    def trim(self, start: int, stop: int) -> int:
        """Keep only start..stop inclusive (an empty range when start > stop); returns how many went."""
        length = len(self)
        if start > stop or start >= length:
            self.clear()
            return length
        stop = min(stop, length - 1)
        left, right = start, length - 1 - stop
        if left + right > stop - start + 1:  # more goes than stays: rebuild from the kept part
            kept = self.range(start, stop)
            self.clear()
            self.extend(kept)
        else:
            popleft, pop = self.popleft, self.pop
            for _ in range(left):
                popleft()
            for _ in range(right):
                pop()
        return left + right

    def remove_matching(self, element: bytes, count: int) -> int:
        """LREM: remove the first |count| occurrences (from the tail when count < 0; all when 0)."""
        from_tail = count < 0
        limit = -count if from_tail else count
        items = list(reversed(self)) if from_tail else list(self)
        found: list[int] = []
        position = 0
        index = items.index
        while not limit or len(found) < limit:
            try:
                position = index(element, position)
            except ValueError:
                break
            found.append(position)
            position += 1
        if not found:
            return 0
        kept = []
        previous = 0
        for position in found:
            kept += items[previous:position]
            previous = position + 1
        kept += items[previous:]
        self.clear()
        if from_tail:
            self.extendleft(kept)
        else:
            self.extend(kept)
        return len(found)

    def insert_near(self, pivot: bytes, element: bytes, after: bool) -> bool:
        """LINSERT: put element before or after the first occurrence of pivot; False when pivot is absent."""
        try:
            position = self.index(pivot)
        except ValueError:
            return False
        self.insert(position + 1 if after else position, element)
        return True

    def positions(self, element: bytes, rank: int, limit: int, maxlen: int) -> list[int]:
        """LPOS: indexes of matches, skipping the first rank-1 ones, scanning from the tail when rank < 0,
        at most `limit` of them (0: all) and looking at no more than `maxlen` elements (0: all)."""
        from_tail = rank < 0
        skip = (-rank if from_tail else rank) - 1
        if not from_tail and not skip and limit == 1:  # the common case, at C speed
            try:
                return [self.index(element, 0, maxlen or len(self))]
            except ValueError:
                return []
        items = reversed(self) if from_tail else iter(self)
        if maxlen:
            items = islice(items, maxlen)
        last = len(self) - 1
        found = []
        matches = 0
        for index, item in enumerate(items):
            if item == element:
                matches += 1
                if matches > skip:
                    found.append(last - index if from_tail else index)
                    if len(found) == limit:
                        break
        return found
