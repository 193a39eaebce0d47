"""The growth curve: the full pipeline at several sizes, and how its cost grows with the rows.

    python -m benchmarks.growth                       # 1 M, 10 M, 30 M, 100 M dossier rows
    python -m benchmarks.growth --sizes 1M,3M,10M --budget-minutes 60
    make bench-growth SIZES=1M,10M

Each size is a fresh landing folder (all 34 provinces and their 63 legacy predecessors,
November 2023 - October 2026, the `--dirty` faults, as `make bench`) run through the full
pipeline on an empty warehouse, then through the floor (DuckDB alone reading the same files).
For each size it records wall time, peak memory of the process tree, the disk taken by the
landing files, the raw lake (when there is one) and the warehouse and serving files, and the most
the run filled the disk at once (DuckDB's spill files included, gone by the end). The exponent
of time against rows is the least-squares slope of log(seconds) on log(rows): 1 is linear, above
1 is worse than linear.

A size is skipped, with the reason recorded, when the free disk could not hold it (projected from
the bytes per row of the sizes before it at their peak, spill included, with a margin) or when
its projected time (from the curve so far) would overrun `--budget-minutes`. Each size's data is
deleted after it is measured unless `--keep`; the landing files are reused when a previous run
left the same ones.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from benchmarks import run as bench_run

DEFAULT_SIZES = "1M,10M,30M,100M"
# the window and provinces of the reference scale; only the number of dossier rows changes
WINDOW = {"provinces": "all", "start": "2023-11", "end": "2026-10"}
DISK_MARGIN = 1.3  # what a size needs, over the bytes per row measured so far


def parse_size(text: str) -> int:
    text = text.strip().upper().replace("_", "")
    factor = {"K": 1_000, "M": 1_000_000}.get(text[-1:], 1)
    return int(float(text.rstrip("KM")) * factor)


def directory_bytes(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


@dataclass
class Point:
    rows: int
    seconds: float | None = None
    floor_seconds: float | None = None
    peak_memory_gb: float | None = None
    largest_process_gb: float | None = None
    landing_gb: float | None = None
    lake_gb: float | None = None
    warehouse_gb: float | None = None
    serving_gb: float | None = None
    skipped: str | None = None
    # the most the run filled the disk above the landing files (lake, warehouse, DuckDB's spill)
    peak_run_disk_gb: float | None = None
    # the Dagster step running when the largest process peaked, and every step's seconds
    peak_step: str | None = None
    steps: dict[str, float] = field(default_factory=dict)

    @property
    def disk_gb(self) -> float:
        """What the size holds on disk after its run."""
        parts = (self.landing_gb, self.lake_gb, self.warehouse_gb, self.serving_gb)
        return sum(p or 0.0 for p in parts)

    @property
    def peak_disk_gb(self) -> float:
        """The most it held at once: the landing files and the run's peak (else what is left)."""
        if self.peak_run_disk_gb is None:
            return self.disk_gb
        return (self.landing_gb or 0.0) + max(
            self.peak_run_disk_gb, self.disk_gb - (self.landing_gb or 0.0)
        )


def exponent(points: list[Point]) -> float | None:
    """Least-squares slope of log(seconds) on log(rows) over the measured points."""
    measured = [(math.log(p.rows), math.log(p.seconds)) for p in points if p.seconds]
    if len(measured) < 2:
        return None
    mean_x = sum(x for x, _ in measured) / len(measured)
    mean_y = sum(y for _, y in measured) / len(measured)
    spread = sum((x - mean_x) ** 2 for x, _ in measured)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in measured) / spread


def projected_seconds(points: list[Point], rows: int) -> float | None:
    measured = [p for p in points if p.seconds]
    if not measured:
        return None
    slope = exponent(points) or 1.0
    last = measured[-1]
    return last.seconds * (rows / last.rows) ** max(slope, 1.0)  # type: ignore[operator]


def skip_reason(points: list[Point], rows: int, root: Path, budget_seconds: float) -> str | None:
    measured = [p for p in points if p.seconds]
    if measured:
        last = measured[-1]
        needed_gb = last.peak_disk_gb * rows / last.rows * DISK_MARGIN
        free_gb = shutil.disk_usage(root).free / 2**30
        if needed_gb > free_gb:
            return f"needs about {needed_gb:.0f} GiB of disk, {free_gb:.0f} GiB free"
    projected = projected_seconds(points, rows)
    if projected is not None and projected > budget_seconds:
        return (
            f"projected {projected / 60:.0f} min for the pipeline alone (curve so far), "
            f"over the {budget_seconds / 60:.0f} min budget"
        )
    return None


def measure_size(rows: int, root: Path) -> Point:
    scale = f"rows-{rows}"
    bench_run.SCALES[scale] = {**WINDOW, "dossiers": str(rows)}
    bench = bench_run.Bench(scale, root / scale, skip=set())
    bench_run.step_generate(bench)
    bench_run.step_full(bench)
    bench_run.step_floor(bench)
    full = bench.raw["full"]
    assert isinstance(full, dict)
    data = bench.data_dir
    return Point(
        rows=rows,
        seconds=float(full["seconds"]),
        floor_seconds=float(bench.raw["floor"]["seconds"]),  # type: ignore[index]
        peak_memory_gb=float(full["peak_tree_rss_mb"]) / 1024,
        largest_process_gb=float(full["peak_single_rss_mb"]) / 1024,
        landing_gb=directory_bytes(data / "landing") / 2**30,
        lake_gb=directory_bytes(data / "lake") / 2**30,
        warehouse_gb=directory_bytes(data / "warehouse" / "warehouse.duckdb") / 2**30,
        serving_gb=directory_bytes(data / "warehouse" / "serving.duckdb") / 2**30,
        peak_run_disk_gb=(
            None
            if full.get("peak_disk_growth_mb") is None
            else float(full["peak_disk_growth_mb"]) / 1024  # type: ignore[arg-type]
        ),
        peak_step=full.get("peak_step"),  # type: ignore[arg-type]
        steps=dict(full.get("steps") or {}),  # type: ignore[call-overload]
    )


def _gib(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} GiB"


def table(points: list[Point]) -> str:
    lines = [
        "| dossier rows | full pipeline | floor | pipeline / floor | peak memory (tree) | "
        "largest process | landing | lake | warehouse | serving | peak disk written by the run |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        if p.skipped:
            lines.append(f"| {p.rows:,} | skipped: {p.skipped} |  |  |  |  |  |  |  |  |  |")
            continue
        ratio = p.seconds / p.floor_seconds if p.seconds and p.floor_seconds else None
        lines.append(
            f"| {p.rows:,} | {p.seconds:.1f} s | {p.floor_seconds:.1f} s | "
            f"{ratio:.1f} | {p.peak_memory_gb:.2f} GB | {p.largest_process_gb:.2f} GB"
            f"{f' ({p.peak_step})' if p.peak_step else ''} | "
            f"{p.landing_gb:.2f} GiB | {p.lake_gb:.2f} GiB | {p.warehouse_gb:.2f} GiB | "
            f"{p.serving_gb:.3f} GiB | {_gib(p.peak_run_disk_gb)} |"
        )
    slope = exponent(points)
    if slope is not None:
        lines += ["", f"Exponent of time against rows (log-log slope): **{slope:.2f}**"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.growth", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="dossier rows, e.g. 1M,10M,30M")
    parser.add_argument("--budget-minutes", type=float, default=90.0)
    parser.add_argument("--data-root", type=Path, default=bench_run.OUT / "growth")
    parser.add_argument("--keep", action="store_true", help="keep each size's data")
    parser.add_argument("--out", type=Path, default=bench_run.OUT / "growth.json")
    args = parser.parse_args(argv)
    root = args.data_root.resolve()
    root.mkdir(parents=True, exist_ok=True)
    sizes = sorted(parse_size(s) for s in args.sizes.split(",") if s.strip())
    started = datetime.now(UTC)
    machine = bench_run.machine()
    points: list[Point] = []
    for rows in sizes:
        reason = skip_reason(points, rows, root, args.budget_minutes * 60)
        if reason:
            print(f"[growth] {rows:,} rows skipped: {reason}", flush=True)
            points.append(Point(rows=rows, skipped=reason))
            continue
        print(f"[growth] {rows:,} rows ...", flush=True)
        point = measure_size(rows, root)
        points.append(point)
        print(f"[growth] {rows:,} rows: {point.seconds:.1f} s", flush=True)
        if not args.keep:
            shutil.rmtree(root / f"rows-{rows}", ignore_errors=True)
    result = {
        "started_at": started.isoformat(),
        "finished_at": datetime.now(UTC).isoformat(),
        "git_commit": bench_run.git_commit(),
        "machine": machine,
        "window": WINDOW,
        "points": [asdict(p) for p in points],
        "exponent": exponent(points),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2, default=str), encoding="utf-8")
    print()
    print(table(points))
    print(f"\nJSON: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
