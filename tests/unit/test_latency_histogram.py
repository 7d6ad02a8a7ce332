"""The per-command latency histogram: bucket placement, HDR-style percentiles, the buckets Prometheus sees,
and the latency-tracking-info-percentiles setting's parsing and spelling."""

import itertools
from bisect import bisect_left

import pytest

from redislite.config import parse_percentiles, validate_value
from redislite.observability.histogram import (
    EXPORTED_BOUNDS_NS,
    LATENCY_BOUNDS_NS,
    exported_buckets,
    format_percentile,
    new_latency_counts,
    value_at_percentile_ns,
)


def histogram_of(*durations_ns: int) -> list[int]:
    counts = new_latency_counts()
    for elapsed_ns in durations_ns:  # what Engine.execute does per command
        counts[bisect_left(LATENCY_BOUNDS_NS, elapsed_ns)] += 1
    return counts


def test_bounds_are_inclusive_upper_bounds_and_slower_calls_land_in_the_last_counter():
    counts = histogram_of(1000, 1001, 10**11)
    assert counts[0] == 1  # exactly 1 µs is "<= 1 µs"
    assert counts[1] == 1  # just above goes to the 1.2 µs bucket
    assert counts[-1] == 1 and len(counts) == len(LATENCY_BOUNDS_NS) + 1


def test_percentiles_report_the_upper_bound_of_the_bucket_that_holds_them():
    counts = histogram_of(*[1500] * 900, *[30_000] * 99, 2 * 10**10)
    assert value_at_percentile_ns(counts, 50) == 1500
    assert value_at_percentile_ns(counts, 99) == 30_000
    assert value_at_percentile_ns(counts, 99.9) == 30_000
    assert value_at_percentile_ns(counts, 100) == 10**10  # clamped at the largest bound, as Redis clamps
    assert value_at_percentile_ns(counts, 0) == 1500  # at least one call is always wanted
    assert value_at_percentile_ns(new_latency_counts(), 50) == 0


def test_a_percentile_is_never_more_than_a_third_above_the_true_value():
    for elapsed_ns in range(1001, 10**9, 7919 * 131):
        reported = value_at_percentile_ns(histogram_of(elapsed_ns), 50)
        assert elapsed_ns <= reported <= elapsed_ns * 4 / 3


def test_prometheus_buckets_are_cumulative_at_the_exported_bounds_and_end_with_inf():
    assert set(EXPORTED_BOUNDS_NS) <= set(LATENCY_BOUNDS_NS)
    buckets = exported_buckets(histogram_of(5_000, 20_000, 20_000, 3 * 10**9, 10**11))
    assert [bound for bound, _ in buckets][:4] == [1e-05, 2.5e-05, 5e-05, 0.0001]
    assert buckets[0] == (1e-05, 1) and buckets[1] == (2.5e-05, 3)
    assert buckets[-2] == (10.0, 4) and buckets[-1] == (float("inf"), 5)
    assert all(earlier[1] <= later[1] for earlier, later in itertools.pairwise(buckets))


def test_percentiles_are_spelled_as_redis_trims_them():
    assert [format_percentile(p) for p in (50.0, 99.0, 99.9, 99.9999, 0.0, 100.0)] == [
        "50",
        "99",
        "99.9",
        "99.9999",
        "0",
        "100",
    ]


def test_the_percentiles_setting_is_normalised_and_checked_with_redis_messages():
    assert validate_value("latency-tracking-info-percentiles", "99.90 050") == "99.9 50"
    assert validate_value("latency-tracking-info-percentiles", "1e2") == "100"
    assert validate_value("latency-tracking-info-percentiles", "") == ""
    assert parse_percentiles("50 99 99.9") == [50.0, 99.0, 99.9]
    with pytest.raises(ValueError, match="^Invalid latency-tracking-info-percentiles parameters$"):
        validate_value("latency-tracking-info-percentiles", "50 abc")
    with pytest.raises(ValueError, match=r"should sit between \[0.0,100.0\]$"):
        validate_value("latency-tracking-info-percentiles", "101")
