"""Per-command latency histograms: a fixed list of bucket counters on each command, bumped once per call
(engine/core.py), read at INFO latencystats and /metrics scrape time.

Redis 7.0 keeps an HDR histogram per command (2 significant digits); a Python list of ~70 counters with
bounds at 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6 and 8 per decade costs one table lookup (a bisect above 100 µs) and
one increment per command, and still reports a percentile at most a third above its true value. The 1-2.5-5
bounds of every decade are what the Prometheus histogram exports (cumulative buckets may skip bounds and stay
exact).
"""

from itertools import accumulate

DECADE_STEPS = (1.0, 1.2, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
EXPORTED_STEPS = (1.0, 2.5, 5.0)

# Upper bounds (inclusive) in nanoseconds, 1 µs to 10 s. counts[i] holds calls with
# LATENCY_BOUNDS_NS[i-1] < elapsed <= LATENCY_BOUNDS_NS[i]: bisect_left's index; the last counter is
# everything slower than 10 s.
LATENCY_BOUNDS_NS = [round(step * 10**exponent) for exponent in range(3, 10) for step in DECADE_STEPS] + [10**10]
# The bounds Prometheus sees: 10 µs, 25 µs, 50 µs, 100 µs, ..., 10 s.
EXPORTED_BOUNDS_NS = [round(step * 10**exponent) for exponent in range(4, 10) for step in EXPORTED_STEPS] + [10**10]
DEFAULT_INFO_PERCENTILES = (50.0, 99.0, 99.9)

# Below 100 µs (nearly every call) the bucket of a duration is one index into a table by nanosecond (a bytes
# object of 100 KB): cheaper than the bisect, which the slower calls still take.
BUCKET_TABLE_LIMIT_NS = 100_000
BUCKET_BY_NS = b"".join(
    bytes([index]) * (min(bound, BUCKET_TABLE_LIMIT_NS) - low)
    for index, (low, bound) in enumerate(zip([-1, *LATENCY_BOUNDS_NS], LATENCY_BOUNDS_NS))
    if low < BUCKET_TABLE_LIMIT_NS
)


def new_latency_counts() -> list[int]:
    return [0] * (len(LATENCY_BOUNDS_NS) + 1)


def value_at_percentile_ns(counts: list[int], percentile: float) -> int:
    """The upper bound of the bucket holding the given percentile (HDR's "highest equivalent value", with
    its rounding of the target count); slower-than-10 s calls report 10 s, as Redis clamps at its maximum."""
    total = sum(counts)
    if not total:
        return 0
    wanted = max(int(percentile / 100 * total + 0.5), 1)
    for index, seen in enumerate(accumulate(counts)):
        if seen >= wanted:
            return LATENCY_BOUNDS_NS[min(index, len(LATENCY_BOUNDS_NS) - 1)]
    return LATENCY_BOUNDS_NS[-1]


def exported_buckets(counts: list[int]) -> list[tuple[float, int]]:
    """Cumulative (upper bound in seconds, count) pairs at EXPORTED_BOUNDS_NS, then (+Inf, total)."""
    cumulative = list(accumulate(counts))
    exported = set(EXPORTED_BOUNDS_NS)
    buckets = [(bound / 1e9, cumulative[index]) for index, bound in enumerate(LATENCY_BOUNDS_NS) if bound in exported]
    buckets.append((float("inf"), cumulative[-1]))
    return buckets


def format_percentile(percentile: float) -> str:
    """Redis prints percentiles with "%f" and trims the zeros: 50 -> "50", 99.90 -> "99.9"."""
    return f"{percentile:f}".rstrip("0").rstrip(".")
