"""`python -m pipelines.cli pipeline`: one headless Dagster run of the whole graph, then a summary.

Exit code 0 when the run succeeded (rejected files and quarantined rows are expected outcomes and
are listed); non-zero with the failing step, the files and the rules otherwise.

`python -m pipelines.cli backfill --from 2024-01 --to 2024-02`: the same run over those months only
(the files whose period starts in them), then dbt and the publish.
"""

from __future__ import annotations

import argparse
import filecmp
import os
import shutil
import sys
from pathlib import Path

import duckdb

from pipelines.settings import PROJECT_ROOT, DataPaths, data_paths

# The pool every warehouse writer is in (pipelines/defs/resources.py; not imported here, since
# loading the definitions is what takes time).
WAREHOUSE_POOL = "warehouse_writer"
PROJECT_DAGSTER_YAML = PROJECT_ROOT / "pipelines" / "dagster.yaml"


def prepare_dagster_home(paths: DataPaths) -> Path:
    """DAGSTER_HOME with the project's instance settings (pools, run queue) in force."""
    home = Path(os.environ.get("DAGSTER_HOME") or paths.dagster_home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or not filecmp.cmp(PROJECT_DAGSTER_YAML, config, shallow=False):
        shutil.copyfile(PROJECT_DAGSTER_YAML, config)
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_pipeline(paths: DataPaths, months: tuple[str, str] | None = None) -> int:
    import dagster as dg

    from pipelines.lib.stale_slots import free_slots_of_dead_runs, process_tags

    prepare_dagster_home(paths)
    with dg.DagsterInstance.get() as instance:
        # First, before the (slower) definitions load: a killed run's slot blocks everyone.
        for run_id in free_slots_of_dead_runs(instance, WAREHOUSE_POOL):
            print(
                f"pipeline: run {run_id} died holding the warehouse pool slot; "
                "freed it and marked the run failed"
            )
        from pipelines.definitions import defs
        from pipelines.defs.jobs import PIPELINE_JOB
        from pipelines.defs.partitions import full_range_tags, range_tags

        tags = {**(range_tags(*months) if months else full_range_tags()), **process_tags()}
        job = defs.resolve_job_def(PIPELINE_JOB)
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        result = job.execute_in_process(
            instance=instance, raise_on_error=False, run_config=quiet, tags=tags
        )
        return report_run(paths, instance, result.run_id, result.success)


def report_run(paths: DataPaths, instance, run_id: str, success: bool) -> int:
    from pipelines.lib.run_report import build_report, summary_lines

    report = build_report(instance, run_id)
    print_loads(paths, run_id)
    for check in report.failed_checks:
        if check.severity != "ERROR":
            print(f"pipeline: {check.line()}")
    published = publish_outcome(instance, run_id)
    if published:
        print(f"pipeline: serving.duckdb {published}")
    elif success:
        print(
            "pipeline: serving.duckdb up to date: nothing new since the last publish "
            "(dbt build, mart checks and publish skipped)"
        )
    months = f" over {report.partitions}" if report.partitions else ""
    if success:
        print(f"pipeline: run {run_id} succeeded{months}")
        return 0
    for line in summary_lines(report):
        if line.startswith("check ") and "FAILED" not in line:
            continue
        print(f"pipeline: {line}", file=sys.stderr)
    print(
        f"pipeline: run {run_id}{months} FAILED; serving.duckdb was not replaced",
        file=sys.stderr,
    )
    return 1


def publish_outcome(instance, run_id: str) -> str | None:
    import dagster as dg

    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    for record in records:
        event = record.event_log_entry.dagster_event
        materialization = event.step_materialization_data.materialization if event else None
        if materialization and materialization.asset_key.path == ["serving", "serving_db"]:
            reason = materialization.metadata.get("reason")
            return f"{'published' if reason is None else reason.value}"
    return None


def load_rows(paths: DataPaths, run_id: str) -> list[tuple]:
    """This run's file outcomes: from the warehouse, briefly and read-only; if another run holds
    the warehouse, from the last published copy."""
    query = (
        "select source, file_name, outcome, rows_in, rows_loaded, rows_quarantined, message "
        "from audit.loads where load_id = ? order by source, file_name"
    )
    for db in (paths.warehouse_db, paths.serving_db):
        if not db.exists():
            continue
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                if not con.execute(
                    "select 1 from duckdb_tables() "
                    "where schema_name = 'audit' and table_name = 'loads'"
                ).fetchone():
                    continue
                return con.execute(query, [run_id]).fetchall()
        except duckdb.IOException:
            continue
    return []


def print_loads(paths: DataPaths, run_id: str) -> None:
    rows = load_rows(paths, run_id)
    if not rows:
        print("pipeline: no new or changed files in the landing folder")
        return
    outcomes: dict[str, int] = {}
    for row in rows:
        outcomes[row[2]] = outcomes.get(row[2], 0) + 1
    counts = ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items()))
    print(f"pipeline: {len(rows)} new file(s): {counts}")
    shown = 0
    for source, file_name, outcome, rows_in, loaded, quarantined, message in rows:
        if outcome == "loaded" and len(rows) > 30:
            continue  # a big first load lists only what needs attention
        line = f"  {source}/{file_name}: {outcome}, {rows_in} rows in, {loaded} loaded"
        if quarantined:
            line += f", {quarantined} quarantined"
        print(line + (f" — {message}" if message else ""))
        shown += 1
    if shown < len(rows):
        print(f"  (and {len(rows) - shown} file(s) loaded cleanly)")


def month_key(text: str) -> str:
    from pipelines.defs.partitions import monthly_partitions

    if text not in monthly_partitions.get_partition_keys():
        first, *_, last = monthly_partitions.get_partition_keys()
        raise argparse.ArgumentTypeError(f"{text!r} is not a month from {first} to {last}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("pipeline", help="process the landing folder, build, publish")
    backfill = sub.add_parser("backfill", help="load the files of some months, build, publish")
    backfill.add_argument("--from", dest="first", type=month_key, required=True, help="YYYY-MM")
    backfill.add_argument("--to", dest="last", type=month_key, required=True, help="YYYY-MM")
    sub.add_parser("paths", help="print the data locations in force (and prepare DAGSTER_HOME)")
    args = parser.parse_args(argv)
    paths = data_paths().ensure()
    if args.command == "paths":
        home = prepare_dagster_home(paths)
        print(f"landing:      {paths.landing}")
        print(f"warehouse:    {paths.warehouse_db}")
        print(f"serving:      {paths.serving_db}")
        print(f"dagster home: {home}")
        return 0
    if args.command == "backfill":
        if args.last < args.first:
            parser.error("--to is before --from")
        return run_pipeline(paths, (args.first, args.last))
    return run_pipeline(paths)


if __name__ == "__main__":
    raise SystemExit(main())
