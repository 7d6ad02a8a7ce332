"""Redis's pqsort (pqsort.c, a NetBSD Bentley-McIlroy quicksort): sorts only as much as puts positions
low..high where a full sort puts them. It is not stable, and the order of equal items shows in replies (SORT
BY ... LIMIT, GEOSEARCH ... COUNT), so Redis 7.0's steps are taken one by one: insertion sort below 7 items,
a median-of-three pivot (a ninther above 40 items), items equal to the pivot swapped to both ends and then into
the middle, and recursion only into parts overlapping low..high. (Later Redis versions switch to insertion
sort after a partition pass that swaps nothing; 7.0 does not.)"""

from collections.abc import Callable
from typing import Any


def pqsort(items: list, compare: Callable[[Any, Any], int], low: int, high: int) -> None:
    """Sort `items` in place by `compare` (negative, 0, positive) enough for positions low..high."""

    def cmp(i: int, j: int) -> int:
        return compare(items[i], items[j])

    def swap(i: int, j: int) -> None:
        items[i], items[j] = items[j], items[i]

    def block_swap(i: int, j: int, count: int) -> None:
        for offset in range(count):
            swap(i + offset, j + offset)

    def insertion_sort(base: int, n: int) -> None:
        for m in range(base + 1, base + n):
            pos = m
            while pos > base and cmp(pos - 1, pos) > 0:
                swap(pos, pos - 1)
                pos -= 1

    def median(a: int, b: int, c: int) -> int:
        if cmp(a, b) < 0:
            return b if cmp(b, c) < 0 else (c if cmp(a, c) < 0 else a)
        return b if cmp(b, c) > 0 else (a if cmp(a, c) < 0 else c)

    def overlaps(first: int, last: int) -> bool:
        return not (high < first or low > last)

    def quicksort(base: int, n: int) -> None:
        while True:
            if n < 7:
                insertion_sort(base, n)
                return
            middle = base + n // 2
            if n > 7:
                left, right = base, base + n - 1
                if n > 40:
                    step = n // 8
                    left = median(left, left + step, left + 2 * step)
                    middle = median(middle - step, middle, middle + step)
                    right = median(right - 2 * step, right - step, right)
                middle = median(left, middle, right)
            swap(base, middle)
            pa = pb = base + 1
            pc = pd = base + n - 1
            while True:
                while pb <= pc and (result := cmp(pb, base)) <= 0:
                    if result == 0:
                        swap(pa, pb)
                        pa += 1
                    pb += 1
                while pb <= pc and (result := cmp(pc, base)) >= 0:
                    if result == 0:
                        swap(pc, pd)
                        pd -= 1
                    pc -= 1
                if pb > pc:
                    break
                swap(pb, pc)
                pb += 1
                pc -= 1
            end = base + n
            count = min(pa - base, pb - pa)
            block_swap(base, pb - count, count)
            count = min(pd - pc, end - pd - 1)
            block_swap(pb, end - count, count)
            count = pb - pa
            if count > 1 and overlaps(base, base + count - 1):
                quicksort(base, count)
            count = pd - pc
            if count <= 1:
                return
            base, n = end - count, count
            if not overlaps(base, base + n - 1):
                return

    quicksort(0, len(items))
