"""The growth curve's arithmetic: sizes, the log-log exponent and when a size is skipped."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from benchmarks.growth import Point, exponent, parse_size, projected_seconds, skip_reason
from benchmarks.measure import run_measured
from benchmarks.run import StepTime, step_at


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
    # Sized from this machine's free disk, so the budget case never meets the disk first (a
    # fixed 0.3 GiB per million rows needed 39 GiB for 100 M rows: this test failed on a
    # machine with 23 GiB free).
    free_gb = shutil.disk_usage(tmp_path).free / 2**30
    tiny = free_gb / 1e4  # GiB per million rows: 100 M rows take a hundredth of the free disk
    measured = [Point(rows=1_000_000, seconds=60.0, landing_gb=tiny / 2, warehouse_gb=tiny / 2)]
    # one point: projected linearly, 100 M rows -> 6,000 s
    assert projected_seconds(measured, 100_000_000) == pytest.approx(6000.0)
    assert skip_reason(measured, 10_000_000, tmp_path, budget_seconds=3600) is None
    reason = skip_reason(measured, 100_000_000, tmp_path, budget_seconds=3600)
    assert reason is not None and "budget" in reason
    # a size that needs twice the free disk, however long the budget
    rows = int(1_000_000 * 2 * free_gb / tiny)
    reason = skip_reason(measured, rows, tmp_path, budget_seconds=10**12)
    assert reason is not None and "disk" in reason


def test_the_disk_a_run_fills_at_its_peak_decides_whether_a_size_fits(tmp_path: Path) -> None:
    """DuckDB's spill files are gone when a size's files are measured after its run; the
    projection uses the most the run held at once, or a size that fits afterwards fails midway."""
    free_gb = shutil.disk_usage(tmp_path).free / 2**30
    # after the run: 0.1 GiB per million rows (fits 10x over); at its peak 3x the free disk
    after_only = Point(rows=1_000_000, seconds=60.0, landing_gb=0.05, warehouse_gb=0.05)
    spilled = Point(
        rows=1_000_000, seconds=60.0, landing_gb=0.05, warehouse_gb=0.05,
        peak_run_disk_gb=free_gb * 3,
    )  # fmt: skip
    rows = int(1_000_000 * free_gb / 0.1 / 10)  # 1/10 of the free disk after the run
    assert skip_reason([after_only], rows, tmp_path, budget_seconds=10**9) is None
    reason = skip_reason([spilled], rows, tmp_path, budget_seconds=10**9)
    assert reason is not None and "disk" in reason
    assert spilled.peak_disk_gb == pytest.approx(0.05 + free_gb * 3)
    assert after_only.peak_disk_gb == pytest.approx(0.1)


def test_run_measured_sees_a_file_that_lived_only_while_the_command_ran(tmp_path: Path) -> None:
    """A real child writes 64 MiB, holds it for a moment and deletes it (as DuckDB does with its
    spill files): the peak disk counts it though nothing is left at the end."""
    script = (
        "import os, sys, time; p = sys.argv[1]; f = open(p, 'wb'); "
        "f.write(os.urandom(64 * 2**20)); f.flush(); os.fsync(f.fileno()); f.close(); "
        "time.sleep(0.5); os.remove(p)"
    )
    spill = tmp_path / "spill.bin"
    measured = run_measured([sys.executable, "-c", script, str(spill)], disk_path=tmp_path)
    assert measured.returncode == 0 and not spill.exists()
    assert measured.peak_disk_growth_mb is not None and measured.peak_disk_growth_mb >= 60
    assert run_measured([sys.executable, "-c", "pass"]).peak_disk_growth_mb is None


def test_the_largest_process_is_named_with_the_moment_of_its_peak() -> None:
    """A real parent (small) starts a child that holds 300 MiB for a moment: the peak names the
    child's command line, not the parent's, and a time inside the run."""
    child = "import time; hold = bytearray(300 * 2**20); time.sleep(0.6)  # the-big-one"
    parent = (
        "import subprocess, sys, time; time.sleep(0.3); "
        f"subprocess.run([sys.executable, '-c', {child!r}], check=True)"
    )
    measured = run_measured([sys.executable, "-c", parent])
    assert measured.returncode == 0
    peak = measured.peak_process
    assert "the-big-one" in peak.command
    assert peak.rss_mb == measured.peak_single_rss_mb >= 300
    assert 0.3 <= peak.at_seconds <= measured.seconds


def test_the_peak_is_placed_in_the_step_that_was_running() -> None:
    steps = [StepTime("raw__dossiers", 100.0, 200.0), StepTime("cchc_dbt_assets", 200.5, 400.0)]
    assert step_at(steps, 150.0) == "raw__dossiers"
    assert step_at(steps, 399.0) == "cchc_dbt_assets"
    assert step_at(steps, 200.2) is None  # between steps: Dagster's own work
    overlapping = [*steps, StepTime("raw__payments", 150.0, 160.0)]
    assert step_at(sorted(overlapping, key=lambda s: s.start), 155.0) == "raw__payments"
