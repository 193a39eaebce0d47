"""`python -m pipelines.cli pipeline`: one headless Dagster run of the whole graph, then a summary.

Exit code 0 when the run succeeded (rejected files and quarantined rows are expected outcomes and
are listed); non-zero with the failing step, the files and the rules otherwise.

`python -m pipelines.cli backfill --from 2024-01 --to 2024-02`: the same run over those months only
(the files whose period starts in them), then dbt and the publish.
"""

from __future__ import annotations

import argparse
import contextlib
import filecmp
import os
import shutil
import sys
import time
from pathlib import Path

from rich.console import Console

from pipelines.lib import run_summary as run_summary_module
from pipelines.lib.console import CapturedOutput, LoadProgress
from pipelines.lib.progress import listening
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


def run_pipeline(
    paths: DataPaths, months: tuple[str, str] | None = None, verbose: bool = False
) -> int:
    from pipelines.lib.ingest import sources_with_new_files
    from pipelines.lib.validation import boundary

    # Only the sources with a new file are loaded (told without reading the files); when the
    # warehouse cannot say (none yet, another run holds it), every source is. With files to
    # load, GX (the loads' boundary check) starts in a process of its own now, importing on the
    # other core while this one loads Dagster and the definitions.
    to_load = sources_with_new_files(paths)
    if to_load is None or to_load:
        boundary.start_worker()
    try:
        return _run_job(paths, to_load, months, verbose)
    finally:
        boundary.stop_worker()


def _run_job(
    paths: DataPaths,
    to_load: set[str] | None,
    months: tuple[str, str] | None,
    verbose: bool,
) -> int:
    import dagster as dg

    from pipelines.lib.stale_slots import free_slots_of_dead_runs, process_tags

    prepare_dagster_home(paths)
    console = summary_console()
    with dg.DagsterInstance.get() as instance:
        # First, before the (slower) definitions load: a killed run's slot blocks everyone.
        for run_id in free_slots_of_dead_runs(instance, WAREHOUSE_POOL):
            print(
                f"pipeline: run {run_id} died holding the warehouse pool slot; "
                "freed it and marked the run failed"
            )
        from pipelines.definitions import defs
        from pipelines.defs.jobs import PIPELINE_JOB, job_for_run
        from pipelines.defs.partitions import full_range_tags, range_tags

        job, planned = job_for_run(defs.resolve_job_def(PIPELINE_JOB), paths.warehouse_db, to_load)
        tags = {
            **(range_tags(*months) if months else full_range_tags()),
            **process_tags(),
            **planned,
        }
        quiet = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
        log_file = paths.root / "logs" / f"pipeline-{time.strftime('%Y%m%d-%H%M%S')}.log"
        with LoadProgress(console, live=console.is_terminal) as progress, listening(progress):
            # Inside the progress display: what dbt prints goes through the display's own
            # stdout, so a bar is never torn by a log line.
            captured = CapturedOutput(sys.stdout, log_file, verbose)
            try:
                with contextlib.redirect_stdout(captured):
                    result = job.execute_in_process(
                        instance=instance, raise_on_error=False, run_config=quiet, tags=tags
                    )
            finally:
                captured.flush()
        if not result.success and not verbose:
            print(f"pipeline: the run's log (dbt's included), last lines of {log_file}:")
            for line in captured.tail(DBT_LOG_LINES_ON_FAILURE):
                print(f"  {line}")
        captured.close()
        return report_run(paths, instance, result.run_id, result.success, console, log_file)


def summary_console() -> Console:
    """Rich on stdout; in a log (not a terminal) wide enough that the tables do not wrap."""
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=120)
    return console


DBT_LOG_LINES_ON_FAILURE = 60
NEEDS_ATTENTION_SHOWN = 30  # files rejected or with quarantined rows listed by name


def report_run(
    paths: DataPaths,
    instance,
    run_id: str,
    success: bool,
    console: Console | None = None,
    log_file: Path | None = None,
) -> int:
    from pipelines.lib.run_report import build_report, summary_lines

    console = console or summary_console()
    report = build_report(instance, run_id)
    print_attention(paths, run_id)
    for check in report.failed_checks:
        if check.severity != "ERROR":
            print(f"pipeline: {check.line()}")
    summary = run_summary(paths, instance, run_id, success, log_file)
    run_summary_module.render(summary, console)
    months = f" over {report.partitions}" if report.partitions else ""
    if success:
        if summary.publish == "not run":
            print(
                "pipeline: serving.duckdb up to date: nothing new since the last publish "
                "(dbt build, mart checks and publish skipped)"
            )
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


def run_summary(
    paths: DataPaths, instance, run_id: str, success: bool, log_file: Path | None
) -> run_summary_module.RunSummary:
    """The closing summary: loads from audit.loads, dbt's counts from its run_results.json,
    the publish and the seconds per step from the run's event log."""
    summary = run_summary_module.RunSummary(run_id, success)
    summary.sources = run_summary_module.source_loads(
        [paths.warehouse_db, paths.serving_db], run_id
    )
    summary.dbt = run_summary_module.dbt_counts(
        run_summary_module.run_results_of(paths.root / "dbt_target", run_id)
    )
    materialized = run_materializations(instance, run_id)
    published = materialized.get(PUBLISHED_ASSET)
    if published is not None:
        reason = published.get("reason")
        summary.publish = "published" if reason is None else str(reason)
        table_rows = {k: v for k, v in published.items() if k.startswith("rows ")}
        summary.tables_published = len(table_rows)
        summary.rows_published = sum(int(v) for v in table_rows.values())
    summary.step_seconds = step_seconds(instance, run_id, materialized)
    summary.next_steps = next_steps(paths, summary, log_file)
    return summary


def next_steps(
    paths: DataPaths, summary: run_summary_module.RunSummary, log_file: Path | None
) -> list[str]:
    steps = []
    troubled = sum(s.files_rejected + s.files_with_quarantine for s in summary.sources)
    if troubled:
        steps.append(
            f"{troubled} file(s) rejected or with quarantined rows: the dashboard's "
            "'Tình trạng dữ liệu / Data status' page, or audit.loads and audit.quarantine"
        )
    steps.append(
        f"dashboard: make dashboard, then http://localhost:8501 (reads {paths.serving_db})"
    )
    exports = paths.serving_db.parent / "exports"
    if exports.exists():
        steps.append(f"Parquet and XLSX exports for analysts: {exports} (docs/analysts.md)")
    steps.append(f"this run in the Dagster UI: make dagster, then /runs/{summary.run_id}")
    if log_file is not None:
        steps.append(f"the run's full log (dbt's included): {log_file}")
    return steps


def step_name(step_key: str) -> str:
    """Steps as a person reads them: the loads; checks summed by kind."""
    if step_key == "cchc_dbt_assets":
        return "dbt build"
    if step_key == "serving__serving_db":
        return "publish"
    if step_key == "raw_sources":
        return LOAD_STEP
    if step_key.startswith("raw__") and step_key.endswith("_freshness"):
        return "freshness checks"
    return "mart checks" if step_key.startswith("marts__") else step_key


# The step that loads every selected source, two at a time; each source's own seconds follow it.
LOAD_STEP = "load (sources at once)"
# The publish's asset, whose materialization metadata the summary reads.
PUBLISHED_ASSET = ("serving", "serving_db")


def step_seconds(
    instance, run_id: str, materialized: dict[tuple[str, ...], dict[str, object]]
) -> list[tuple[str, float]]:
    """Wall seconds per step (checks summed by kind), in the order the steps started; after
    the load step, each source's load as its materialization (``run_materializations``)
    recorded it."""
    from pipelines.defs.ingestion import LOAD_SECONDS

    stats = [s for s in instance.get_run_step_stats(run_id) if s.start_time and s.end_time]
    totals: dict[str, float] = {}
    for stat in sorted(stats, key=lambda s: s.start_time):
        name = step_name(stat.step_key)
        totals[name] = totals.get(name, 0.0) + stat.end_time - stat.start_time
    rows: list[tuple[str, float]] = []
    for name, seconds in totals.items():
        rows.append((name, seconds))
        if name == LOAD_STEP:
            rows += [
                (f"load {path[-1]}", float(metadata[LOAD_SECONDS]))
                for path, metadata in materialized.items()
                if path[0] == "raw" and LOAD_SECONDS in metadata
            ]
    return rows


def run_materializations(instance, run_id: str) -> dict[tuple[str, ...], dict[str, object]]:
    """Each asset materialized by the run (its key's path) with its metadata's values."""
    import dagster as dg

    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    found: dict[tuple[str, ...], dict[str, object]] = {}
    for record in records:
        event = record.event_log_entry.dagster_event
        materialization = event.step_materialization_data.materialization if event else None
        if materialization:
            found[tuple(materialization.asset_key.path)] = {
                k: getattr(v, "value", v) for k, v in materialization.metadata.items()
            }
    return found


def load_rows(paths: DataPaths, run_id: str) -> list[tuple]:
    """This run's file outcomes (from the warehouse, else the last published copy)."""
    return run_summary_module.query_loads(
        [paths.warehouse_db, paths.serving_db],
        "select source, file_name, outcome, rows_in, rows_loaded, rows_quarantined, message "
        "from audit.loads where load_id = ? order by source, file_name",
        [run_id],
    )


def print_attention(paths: DataPaths, run_id: str) -> None:
    """The files of this run that need a person: rejected, or loaded with quarantined rows."""
    rows = load_rows(paths, run_id)
    if not rows:
        print("pipeline: no new or changed files in the landing folder")
        return
    troubled = [row for row in rows if row[2] not in {"loaded", "duplicate"}]
    for source, file_name, outcome, rows_in, loaded, quarantined, message in troubled[
        :NEEDS_ATTENTION_SHOWN
    ]:
        line = f"  {source}/{file_name}: {outcome}, {rows_in} rows in, {loaded} loaded"
        if quarantined:
            line += f", {quarantined} quarantined"
        print(line + (f" — {message}" if message else ""))
    if len(troubled) > NEEDS_ATTENTION_SHOWN:
        print(f"  (and {len(troubled) - NEEDS_ATTENTION_SHOWN} more: see audit.loads)")


def month_key(text: str) -> str:
    from pipelines.defs.partitions import monthly_partitions

    if text not in monthly_partitions.get_partition_keys():
        first, *_, last = monthly_partitions.get_partition_keys()
        raise argparse.ArgumentTypeError(f"{text!r} is not a month from {first} to {last}")
    return text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.cli")
    sub = parser.add_subparsers(dest="command", required=True)
    pipeline = sub.add_parser("pipeline", help="process the landing folder, build, publish")
    backfill = sub.add_parser("backfill", help="load the files of some months, build, publish")
    for command in (pipeline, backfill):
        command.add_argument(
            "-v", "--verbose", action="store_true", help="show dbt's whole log while it runs"
        )
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
        return run_pipeline(paths, (args.first, args.last), args.verbose)
    return run_pipeline(paths, verbose=args.verbose)


if __name__ == "__main__":
    raise SystemExit(main())
