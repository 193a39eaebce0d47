"""The closing summary of `make pipeline`: per source the files loaded, with quarantined rows and
rejected, and the rows; dbt's models and tests; the tables published; seconds per step; where to
look next. Counts come from audit.loads (this run's load_id) and dbt's run_results.json, never from
the progress display."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

from pipelines.settings import SOURCES


@dataclass(frozen=True)
class SourceLoads:
    source: str
    files_loaded: int = 0
    files_with_quarantine: int = 0
    files_rejected: int = 0
    files_duplicate: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0


@dataclass(frozen=True)
class DbtCounts:
    models: int = 0
    seeds: int = 0
    models_failed: int = 0
    tests_passed: int = 0
    tests_warned: int = 0
    tests_failed: int = 0
    skipped: int = 0


@dataclass
class RunSummary:
    run_id: str
    success: bool
    sources: list[SourceLoads] = field(default_factory=list)
    dbt: DbtCounts | None = None
    publish: str = "not run"  # published | nothing changed … | not run
    tables_published: int = 0
    rows_published: int = 0
    step_seconds: list[tuple[str, float]] = field(default_factory=list)
    next_steps: list[str] = field(default_factory=list)


LOADS_BY_SOURCE = """
select source,
    count(*) filter (where outcome = 'loaded') as files_loaded,
    count(*) filter (where outcome = 'loaded_with_quarantine') as files_with_quarantine,
    count(*) filter (where outcome = 'rejected') as files_rejected,
    count(*) filter (where outcome = 'duplicate') as files_duplicate,
    coalesce(sum(rows_loaded), 0) as rows_loaded,
    coalesce(sum(rows_quarantined), 0) as rows_quarantined
from audit.loads where load_id = ? group by source
"""


def query_loads(databases: list[Path], sql: str, params: list) -> list[tuple]:
    """A query over audit.loads on the first of ``databases`` that can be read: the warehouse,
    briefly and read-only, else (another run holds it) the last published copy."""
    for db in databases:
        if not db.exists():
            continue
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                if not con.execute(
                    "select 1 from duckdb_tables() "
                    "where schema_name = 'audit' and table_name = 'loads'"
                ).fetchone():
                    continue
                return con.execute(sql, params).fetchall()
        except duckdb.IOException:  # another run holds the warehouse
            continue
    return []


def source_loads(databases: list[Path], run_id: str) -> list[SourceLoads]:
    """This run's loads per source: every known source, zeros where nothing was new."""
    found = {row[0]: SourceLoads(*row) for row in query_loads(databases, LOADS_BY_SOURCE, [run_id])}
    order = list(SOURCES) + sorted(set(found) - set(SOURCES))
    return [found.get(source, SourceLoads(source)) for source in order]


def dbt_counts(run_results: Path | None) -> DbtCounts | None:
    """Models, seeds and tests of one dbt invocation by status, from its run_results.json."""
    if run_results is None or not run_results.exists():
        return None
    results = json.loads(run_results.read_text(encoding="utf-8")).get("results", [])
    tally = {key: 0 for key in DbtCounts.__dataclass_fields__}
    for result in results:
        kind = result.get("unique_id", "").split(".")[0]
        status = result.get("status")
        if status == "skipped":
            tally["skipped"] += 1
        elif kind in {"test", "unit_test"}:
            key = {"pass": "tests_passed", "warn": "tests_warned"}.get(status, "tests_failed")
            tally[key] += 1
        elif kind in {"model", "seed", "snapshot"}:
            if status not in {"success", "pass"}:
                tally["models_failed"] += 1
            else:
                tally["seeds" if kind == "seed" else "models"] += 1
    return DbtCounts(**tally)


def run_results_of(target_root: Path, run_id: str) -> Path | None:
    """The run_results.json of this run's dbt invocation (its folder is named after the run)."""
    found = sorted(target_root.glob(f"{run_id[:8]}-*/run_results.json"))
    return found[-1] if found else None


def render(summary: RunSummary, console: Console) -> None:
    loads = Table(title="Files and rows loaded by this run", title_justify="left")
    for title in (
        "source",
        "files loaded",
        "with quarantine",
        "rejected",
        "duplicate",
        "rows loaded",
        "rows quarantined",
    ):
        loads.add_column(title, justify="left" if title == "source" else "right")
    total = [0] * 6
    for s in summary.sources:
        values = [
            s.files_loaded,
            s.files_with_quarantine,
            s.files_rejected,
            s.files_duplicate,
            s.rows_loaded,
            s.rows_quarantined,
        ]
        total = [a + b for a, b in zip(total, values, strict=True)]
        loads.add_row(s.source, *(f"{v:,}" for v in values))
    loads.add_section()
    loads.add_row("total", *(f"{v:,}" for v in total), style="bold")
    console.print(loads)

    outcome = Table(title="Build and publish", title_justify="left", show_header=False)
    outcome.add_column("what")
    outcome.add_column("result")
    if summary.dbt is not None:
        d = summary.dbt
        outcome.add_row(
            "dbt models",
            f"{d.models:,} built, {d.seeds:,} seeds"
            + (f", {d.models_failed} FAILED" if d.models_failed else "")
            + (f", {d.skipped} skipped" if d.skipped else ""),
        )
        outcome.add_row(
            "dbt tests",
            f"{d.tests_passed:,} passed, {d.tests_warned:,} warned, {d.tests_failed:,} failed",
        )
    else:
        outcome.add_row(
            "dbt", "not run (nothing new since the last publish, or an earlier step failed)"
        )
    outcome.add_row(
        "serving.duckdb",
        f"{summary.publish}: {summary.tables_published} tables, {summary.rows_published:,} rows"
        if summary.tables_published
        else summary.publish,
    )
    for step, seconds in summary.step_seconds:
        outcome.add_row(f"seconds: {step}", f"{seconds:,.1f}")
    console.print(outcome)
    if summary.next_steps:
        console.print("[bold]Where to look next[/bold]")
        for line in summary.next_steps:
            console.print(f"  • {line}", highlight=False, soft_wrap=True)
