"""`python -m pipelines.cli pipeline`: one headless Dagster run of the whole graph, then a summary.

Exit code 0 when the run succeeded (rejected files and quarantined rows are expected outcomes and
are listed); non-zero with the failing step and its reason otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import duckdb

from pipelines.settings import PROJECT_ROOT, DataPaths, data_paths


def prepare_dagster_home(paths: DataPaths) -> Path:
    home = Path(os.environ.get("DAGSTER_HOME") or paths.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(PROJECT_ROOT / "pipelines" / "dagster.yaml", config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_pipeline(paths: DataPaths) -> int:
    import dagster as dg

    from pipelines.definitions import defs

    prepare_dagster_home(paths)
    with dg.DagsterInstance.get() as instance:
        job = defs.resolve_implicit_global_asset_job_def()
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet)
        print_summary(paths, result.run_id)
        if result.success:
            print(f"pipeline: run {result.run_id} succeeded")
            return 0
        for event in result.all_events:
            if event.is_step_failure:
                failure = event.step_failure_data.error
                message = failure.message.strip() if failure else "unknown error"
                print(f"pipeline: step {event.step_key} failed: {message}", file=sys.stderr)
        print(
            f"pipeline: run {result.run_id} FAILED; serving.duckdb was not replaced",
            file=sys.stderr,
        )
        return 1


def print_summary(paths: DataPaths, run_id: str) -> None:
    if not paths.warehouse_db.exists():
        return
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as con:
        if not con.execute(
            "select 1 from duckdb_tables() where schema_name = 'audit' and table_name = 'loads'"
        ).fetchone():
            return
        rows = con.execute(
            "select source, file_name, outcome, rows_in, rows_loaded, rows_quarantined, message "
            "from audit.loads where load_id = ? order by source, file_name",
            [run_id],
        ).fetchall()
    if not rows:
        print("pipeline: no new or changed files in the landing folder")
        return
    print(f"pipeline: {len(rows)} new file(s)")
    for source, file_name, outcome, rows_in, loaded, quarantined, message in rows:
        line = f"  {source}/{file_name}: {outcome}, {rows_in} rows in, {loaded} loaded"
        if quarantined:
            line += f", {quarantined} quarantined"
        print(line + (f" — {message}" if message else ""))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("pipeline", help="process the landing folder, build, publish")
    sub.add_parser("paths", help="print the data locations in force")
    args = parser.parse_args(argv)
    paths = data_paths().ensure()
    if args.command == "paths":
        print(f"landing:   {paths.landing}")
        print(f"warehouse: {paths.warehouse_db}")
        print(f"serving:   {paths.serving_db}")
        return 0
    return run_pipeline(paths)


if __name__ == "__main__":
    raise SystemExit(main())
