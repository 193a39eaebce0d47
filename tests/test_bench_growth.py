"""The growth curve's arithmetic: sizes, the log-log exponent and when a size is skipped."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.growth import Point, exponent, parse_size, projected_seconds, skip_reason


def test_sizes_read_as_people_write_them() -> None:
    assert [parse_size(s) for s in ("1M", "10m", "2.5M", "30_000", "500K")] == [
        1_000_000,
        10_000_000,
        2_500_000,
        30_000,
        500_000,
    ]


def test_exponent_is_the_slope_of_log_time_on_log_rows() -> None:
    # time = 2 s per million rows (linear): slope 1
    linear = [Point(rows=n, seconds=2.0 * n / 1e6) for n in (1_000_000, 10_000_000, 30_000_000)]
    assert exponent(linear) == pytest.approx(1.0)
    # time grows with the square of the rows: 1, 100, 900 s for 1, 10, 30 M
    square = [Point(rows=n, seconds=(n / 1e6) ** 2) for n in (1_000_000, 10_000_000, 30_000_000)]
    assert exponent(square) == pytest.approx(2.0)
    # fixed start-up cost: 50 s + 1 s per million -> between 0 and 1 (sub-linear on these sizes)
    startup = [Point(rows=n, seconds=50 + n / 1e6) for n in (1_000_000, 10_000_000)]
    # log(60/51) / log(10) by hand
    assert exponent(startup) == pytest.approx(0.07058, abs=1e-4)
    assert exponent([Point(rows=1_000_000, seconds=5.0)]) is None
    assert exponent([Point(rows=1_000_000, skipped="disk")]) is None


def test_a_size_that_would_overrun_the_budget_or_the_disk_is_skipped(tmp_path: Path) -> None:
    measured = [Point(rows=1_000_000, seconds=60.0, landing_gb=0.2, warehouse_gb=0.1)]
    # one point: projected linearly, 100 M rows -> 6,000 s
    assert projected_seconds(measured, 100_000_000) == pytest.approx(6000.0)
    assert skip_reason(measured, 10_000_000, tmp_path, budget_seconds=3600) is None
    reason = skip_reason(measured, 100_000_000, tmp_path, budget_seconds=3600)
    assert reason is not None and "budget" in reason
    # 0.3 GiB per million rows: a billion rows would need ~390 GiB with the margin
    reason = skip_reason(measured, 1_000_000_000, tmp_path, budget_seconds=10**9)
    assert reason is not None and "disk" in reason
