"""The sorted set value: a dict member -> score for O(1) ZSCORE, plus a SortedList of (score, member) pairs
for O(log n) rank, insert and delete and O(log n + m) ranges. Pairs order as Redis orders a zset: by score,
then by member bytes (memcmp). Scores are never NaN, so tuple comparison is a total order.

`listpack` records the encoding Redis would be using (OBJECT ENCODING): it starts True for a small set and
turns False, for good, when the set outgrows zset-max-listpack-entries / -value; the command layer decides,
because the limits are configuration. Lex ranges follow Redis's two encodings: a listpack-sized set is
scanned the way t_zset.c walks a listpack (which decides the answer when scores differ), a large one is
binary-searched (Redis's skiplist descent gives the same answer when members are in lex order).
"""

from sortedcontainers import SortedList


class _Top:
    """Compares greater than every member: (score, TOP) sorts after every (score, member)."""

    __slots__ = ()

    def __lt__(self, other):
        return False

    def __gt__(self, other):
        return True

    def __le__(self, other):
        return other is self

    def __ge__(self, other):
        return True

    def __eq__(self, other):
        return other is self

    __hash__ = object.__hash__


TOP = _Top()


class ScoreRange:
    """zrangespec: min and max scores, each inclusive or exclusive."""

    __slots__ = ("min", "max", "minex", "maxex")

    def __init__(self, min_score: float, max_score: float, minex: bool = False, maxex: bool = False):
        self.min, self.max, self.minex, self.maxex = min_score, max_score, minex, maxex

    def is_empty(self) -> bool:
        return self.min > self.max or (self.min == self.max and (self.minex or self.maxex))


class LexRange:
    """zlexrangespec: None stands for '-' (below everything) as min and '+' (above everything) as max;
    an inclusive bound is b'[x', exclusive b'(x', stored as (member, exclusive)."""

    __slots__ = ("min", "max", "minex", "maxex")

    def __init__(self, min_member, max_member, minex: bool = False, maxex: bool = False):
        # min/max: bytes, or the strings "-" / "+" for Redis's shared minstring / maxstring.
        self.min, self.max, self.minex, self.maxex = min_member, max_member, minex, maxex

    def is_empty(self) -> bool:
        """The first check of zslIsInLexRange: min above max, or equal with an exclusive side."""
        order = _lex_compare(self.min, self.max)
        return order > 0 or (order == 0 and (self.minex or self.maxex))

    def gte_min(self, member: bytes) -> bool:
        order = _lex_compare(member, self.min)
        return order > 0 if self.minex else order >= 0

    def lte_max(self, member: bytes) -> bool:
        order = _lex_compare(member, self.max)
        return order < 0 if self.maxex else order <= 0


def _lex_compare(a, b) -> int:
    """sdscmplex: "-" is below everything, "+" above everything (two equal specials compare equal)."""
    if a is b or (a.__class__ is str and a == b):
        return 0
    if a == "+" or b == "-":
        return 1
    if a == "-" or b == "+":
        return -1
    return (a > b) - (a < b)


class ZSet:
    """A sorted set. Callers keep NaN out; `add` overwrites, `discard` removes."""

    __slots__ = ("scores", "ordered", "listpack", "accounted", "counted")  # pricing: storage/memory.py
    type_name = b"zset"  # TYPE

    def __init__(self, items=(), listpack: bool = True):
        self.accounted = self.counted = 0
        self.scores: dict[bytes, float] = {}
        self.ordered = SortedList()
        self.listpack = listpack
        if items:
            self.scores = dict(items)
            if listpack:
                for member, score in self.scores.items():
                    if score == 0:
                        self.scores[member] = 0.0
            self.ordered = SortedList((score, member) for member, score in self.scores.items())

    def __len__(self) -> int:
        return len(self.scores)

    def __bool__(self) -> bool:
        return bool(self.scores)

    def __contains__(self, member: bytes) -> bool:
        return member in self.scores

    def __repr__(self) -> str:
        return f"ZSet({list(self.ordered)!r}, listpack={self.listpack})"

    @property
    def encoding(self) -> bytes:
        """OBJECT ENCODING."""
        return b"listpack" if self.listpack else b"skiplist"

    def duplicate(self) -> "ZSet":
        """COPY keeps the encoding, as Redis's zsetDup does."""
        duplicate = ZSet(listpack=self.listpack)
        duplicate.scores = self.scores.copy()
        duplicate.ordered = SortedList(self.ordered)  # already sorted: Timsort copies it in O(n)
        return duplicate

    # -- single members --------------------------------------------------------------------------------

    def score(self, member: bytes) -> float | None:
        return self.scores.get(member)

    def add(self, member: bytes, score: float) -> None:
        """Insert member, or move it to score. A listpack keeps a score as text made by d2string, which
        writes -0 as "0", so there -0.0 is stored as 0.0."""
        if score == 0 and self.listpack:
            score = 0.0
        old = self.scores.get(member)
        if old is not None:
            self.ordered.remove((old, member))
        self.scores[member] = score
        self.ordered.add((score, member))

    def discard(self, member: bytes) -> bool:
        old = self.scores.pop(member, None)
        if old is None:
            return False
        self.ordered.remove((old, member))
        return True

    def rank(self, member: bytes, reverse: bool = False) -> int | None:
        score = self.scores.get(member)
        if score is None:
            return None
        rank = self.ordered.index((score, member))
        return len(self.scores) - 1 - rank if reverse else rank

    # -- positions -------------------------------------------------------------------------------------

    def by_rank(self, start: int, stop: int, reverse: bool = False) -> list[tuple[float, bytes]]:
        """Pairs at ranks start..stop inclusive (already clamped to 0 <= start <= stop < len), counted from
        the top when reverse, in reply order."""
        if reverse:
            size = len(self.scores)
            return list(self.ordered.islice(size - 1 - stop, size - start, reverse=True))
        return list(self.ordered.islice(start, stop + 1))

    def score_span(self, spec: ScoreRange) -> tuple[int, int]:
        """[lo, hi) positions of the pairs inside a score range."""
        if spec.is_empty():
            return 0, 0
        ordered = self.ordered
        lo = ordered.bisect_left((spec.min, TOP) if spec.minex else (spec.min,))
        hi = ordered.bisect_left((spec.max,) if spec.maxex else (spec.max, TOP))
        return lo, max(lo, hi)

    def _lex_candidates(self, spec: LexRange) -> bool:
        """zslIsInLexRange / zzlIsInLexRange: a non-empty range, the last member >= min, the first <= max."""
        ordered = self.ordered
        return bool(ordered) and not spec.is_empty() and spec.gte_min(ordered[-1][1]) and spec.lte_max(ordered[0][1])

    def lex_first(self, spec: LexRange) -> int | None:
        """The position of the first member in a lex range (zslFirstInLexRange / zzlFirstInLexRange)."""
        if not self._lex_candidates(spec):
            return None
        ordered, size = self.ordered, len(self.ordered)
        if self.listpack:
            pos = 0
            while not spec.gte_min(ordered[pos][1]):
                pos += 1
        else:
            pos = self._first_position(spec.gte_min, 0, size)
        return pos if pos < size and spec.lte_max(ordered[pos][1]) else None

    def lex_last(self, spec: LexRange) -> int | None:
        """The position of the last member in a lex range (zslLastInLexRange / zzlLastInLexRange)."""
        if not self._lex_candidates(spec):
            return None
        ordered, size = self.ordered, len(self.ordered)
        if self.listpack:
            pos = size - 1
            while not spec.lte_max(ordered[pos][1]):
                pos -= 1
        else:
            pos = self._first_position(lambda member: not spec.lte_max(member), 0, size) - 1
        return pos if pos >= 0 and spec.gte_min(ordered[pos][1]) else None

    def lex_run_end(self, pos: int, spec: LexRange) -> int:
        """Walking up from pos while members are <= max: the position where the walk stops."""
        ordered, size = self.ordered, len(self.ordered)
        if self.listpack:
            while pos < size and spec.lte_max(ordered[pos][1]):
                pos += 1
            return pos
        return self._first_position(lambda member: not spec.lte_max(member), pos, size)

    def lex_run_start(self, pos: int, spec: LexRange) -> int:
        """Walking down from pos while members are >= min: the lowest position reached (pos + 1 if none)."""
        ordered = self.ordered
        if self.listpack:
            while pos >= 0 and spec.gte_min(ordered[pos][1]):
                pos -= 1
            return pos + 1
        return self._first_position(spec.gte_min, 0, pos + 1)

    def _first_position(self, predicate, lo: int, hi: int) -> int:
        """The first position in [lo, hi) whose member satisfies a predicate monotone over the positions."""
        ordered = self.ordered
        while lo < hi:
            middle = (lo + hi) // 2
            if predicate(ordered[middle][1]):
                hi = middle
            else:
                lo = middle + 1
        return lo

    def slice(self, lo: int, hi: int, reverse: bool = False) -> list[tuple[float, bytes]]:
        return list(self.ordered.islice(lo, hi, reverse=reverse))

    def remove_span(self, lo: int, hi: int) -> int:
        """Delete the pairs at positions [lo, hi); the number deleted."""
        if hi <= lo:
            return 0
        ordered, scores = self.ordered, self.scores
        if lo == 0 and hi >= len(ordered):
            removed = len(ordered)
            ordered.clear()
            scores.clear()
            return removed
        for _, member in ordered.islice(lo, hi):
            del scores[member]
        del ordered[lo:hi]
        return hi - lo

    def pop(self, count: int, from_max: bool) -> list[tuple[float, bytes]]:
        """Remove and return up to count pairs from the low end (or the high end), in pop order."""
        size = len(self.scores)
        count = min(count, size)
        if from_max:
            popped = self.slice(size - count, size, reverse=True)
            self.remove_span(size - count, size)
        else:
            popped = self.slice(0, count)
            self.remove_span(0, count)
        return popped

    def pairs(self):
        """(score, member) in order."""
        return iter(self.ordered)
