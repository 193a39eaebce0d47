"""DuckDB and local Spark side by side: one whole `dbt build` of each over the same lake.

    .venv/bin/python scripts/measure_engines.py --data-dir DATA [--runs dbt-args]

DATA is a data folder the pipeline has loaded (its lake, and warehouse.duckdb for the DuckDB
build, which is rebuilt with --full-refresh). For each engine: wall time, peak memory of the
whole process tree (dbt, and on Spark the JVM it starts; sampled every 0.2 s), and the load
average before and after (the machine is shared: say so next to the figures). Used for
docs/scale_out.md.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT = ROOT / "dbt_project"


@dataclass(frozen=True)
class Measurement:
    engine: str
    seconds: float
    peak_mb: float
    load_before: float
    load_after: float
    returncode: int


def tree_rss(process: psutil.Process) -> int:
    total = 0
    for member in [process, *process.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def measure(engine: str, data_dir: Path, dbt_args: list[str]) -> Measurement:
    target = ["--target", "spark"] if engine == "spark" else []
    env = {
        **os.environ,
        "CCHC_DATA_DIR": str(data_dir),
        "CCHC_LAKE_DIR": str(data_dir / "lake"),
        "CCHC_WAREHOUSE_DB": str(data_dir / "warehouse" / "warehouse.duckdb"),
    }
    command = [
        str(Path(sys.executable).parent / "dbt"),
        *dbt_args,
        *target,
        "--profiles-dir",
        ".",
        "--target-path",
        str(data_dir / "dbt_target" / f"measure-{engine}"),
        "--log-path",
        str(data_dir / "logs"),
    ]
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    process = psutil.Popen(
        command, cwd=DBT_PROJECT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process))
        time.sleep(0.2)
    seconds = time.perf_counter() - began
    return Measurement(
        engine, seconds, peak / 2**20, load_before, os.getloadavg()[0], process.returncode
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--engines", default="duckdb,spark")
    parser.add_argument("--dbt-args", default="build --full-refresh")
    args = parser.parse_args()
    for engine in args.engines.split(","):
        m = measure(engine, args.data_dir.resolve(), args.dbt_args.split())
        print(
            f"{m.engine}: {m.seconds:.1f} s, peak {m.peak_mb:.0f} MB, "
            f"load {m.load_before:.2f} -> {m.load_after:.2f}, exit {m.returncode}",
            flush=True,
        )


if __name__ == "__main__":
    main()
