"""Rebuild the golden marts of tests/test_mart_equality.py from its committed landing folder.

    .venv/bin/python scripts/refresh_mart_golden.py

Runs the whole pipeline (`python -m pipelines.cli pipeline`) on a copy of
``tests/fixtures/mart_equality/landing`` in a temporary data folder and writes every table of the
published ``marts`` schema to ``tests/fixtures/mart_equality/golden/<table>.parquet``.

Run it ONLY when a mart changes on purpose (a new KPI, a corrected formula): the golden files are
what the test compares every later build with, so refreshing them after an accidental change
would hide it. The golden files committed first were built by main's code before the raw lake
(issue #13), so the test proves the lake changed no mart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_DIR = PROJECT_ROOT / "tests" / "fixtures" / "mart_equality"
LANDING = FIXTURE_DIR / "landing"
GOLDEN = FIXTURE_DIR / "golden"


def build_marts(landing: Path, data_dir: Path) -> Path:
    """The serving database the pipeline publishes from ``landing`` into ``data_dir``."""
    shutil.copytree(landing, data_dir / "landing")
    env = {**os.environ, "CCHC_DATA_DIR": str(data_dir), "DAGSTER_HOME": str(data_dir / "dh")}
    env.pop("CCHC_WAREHOUSE_DB", None)
    subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "pipeline"], cwd=PROJECT_ROOT, env=env, check=True
    )
    return data_dir / "warehouse" / "serving.duckdb"


def export_marts(serving_db: Path, out_dir: Path) -> list[str]:
    """Every marts table as ``<table>.parquet`` in ``out_dir`` (emptied first)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    with duckdb.connect(str(serving_db), read_only=True) as con:
        tables = [
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        for table in tables:
            con.execute(f"copy marts.{table} to '{out_dir / table}.parquet' (format parquet)")
    return tables


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="cchc-golden-") as tmp:
        serving = build_marts(LANDING, Path(tmp) / "data")
        tables = export_marts(serving, GOLDEN)
    print(f"wrote {len(tables)} marts to {GOLDEN.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
