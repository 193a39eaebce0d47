"""Benchmark the sample-data generator: rows per second and peak memory at a given scale.

    .venv/bin/python benchmarks/bench_generator.py                 # 1 M dossier rows
    .venv/bin/python benchmarks/bench_generator.py --rows 10_000_000 --compare 1_000_000

Each size runs the real CLI in a child process (all 97 provinces, Jan 2024 - Oct 2026) while
this script samples the resident memory of the child and its report-writer processes every
50 ms with psutil. Streaming is bounded when the peak barely moves as the rows grow.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += member.memory_info().rss
    return total


def directory_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def run_once(rows: int, extra: list[str], keep: Path | None) -> dict[str, float]:
    out = keep or Path(tempfile.mkdtemp(prefix="bench_sample_"))
    command = [sys.executable, "-m", "pipelines.sample_data", "--out", str(out), "--dossiers",
               str(rows), "--quiet", *extra]  # fmt: skip
    peak_tree = peak_main = 0
    began = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT)
    process = psutil.Process(child.pid)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak_tree, peak_main
        while not done.is_set():
            try:
                peak_main = max(peak_main, process.memory_info().rss)
                peak_tree = max(peak_tree, tree_rss(process))
            except psutil.NoSuchProcess:
                return
            done.wait(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = child.wait()
    elapsed = time.perf_counter() - began
    done.set()
    sampler.join()
    if code != 0:
        raise SystemExit(f"generator failed with exit code {code}")
    dossier_bytes = directory_size(out / "dossiers")
    if keep is None:
        shutil.rmtree(out, ignore_errors=True)
    return {
        "rows": rows,
        "seconds": elapsed,
        "rows_per_second": rows / elapsed,
        "peak_rss_main_mb": peak_main / 2**20,
        "peak_rss_tree_mb": peak_tree / 2**20,
        "dossier_mb": dossier_bytes / 2**20,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument(
        "--compare",
        type=lambda s: int(s.replace("_", "")),
        default=None,
        help="also run this (smaller) size, to show the peak does not grow with the rows",
    )
    parser.add_argument("--keep", type=Path, default=None, help="write here and keep the files")
    parser.add_argument("generator_args", nargs="*", help="extra CLI arguments, after --")
    args = parser.parse_args()

    sizes = [args.compare, args.rows] if args.compare else [args.rows]
    print(f"{'rows':>12} {'seconds':>8} {'rows/s':>10} {'peak RSS main':>14} "
          f"{'peak RSS all':>13} {'dossier files':>14}")  # fmt: skip
    for size in sizes:
        keep = args.keep if size == args.rows else None
        result = run_once(size, args.generator_args, keep)
        print(
            f"{result['rows']:>12,} {result['seconds']:>8.1f} {result['rows_per_second']:>10,.0f} "
            f"{result['peak_rss_main_mb']:>11.0f} MB {result['peak_rss_tree_mb']:>10.0f} MB "
            f"{result['dossier_mb']:>11.0f} MB"
        )


if __name__ == "__main__":
    main()
