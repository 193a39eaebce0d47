"""The July 2025 progress KPIs of every current province, recomputed from the landing files of the
default sample (`make sample`) with Polars alone, equal marts.fct_kpi.

The recomputation follows shared/domain/KPIS.md and SOURCES.md §6 directly and reads no dbt SQL:
a current province holds its own dossiers and, from 1 July 2025, its predecessors' dossiers still
open that day (crosswalk seed = reference data); a dossier closes at its resolution date, or at
its status date when returned or withdrawn; in July:
  on_time_rate          = resolved early or on time / resolved (calendar day vs due day);
  progress_on_time_rate = (resolved early or on time + open within due) / (resolved + open);
  overdue_open_rate     = open past due / open at the month's end (due before 1 August).
fct_kpi takes the monthly report where a province has one; the reports are counted from the same
dossiers except the generator's documented deliberate mismatches (_manifest.json,
report_minus_dossiers), which are added to the recomputed buckets of their report. The dbt side
counted from the dossier records (fct_dossier_flow, count_source = 'dossiers', what fct_kpi uses
where a province has no report) must equal the recomputation exactly.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.settings import DBT_PROJECT_DIR
from tests.test_dbt_sample import dbt_build, load_sample

JULY, AUGUST = datetime(2025, 7, 1), datetime(2025, 8, 1)
BUCKETS = ("in_time", "late", "within_due", "overdue")
# the report columns a deliberate mismatch may change, as recomputed buckets
MISMATCH_BUCKETS = {
    "resolved_early": "in_time",
    "resolved_on_time": "in_time",
    "resolved_late": "late",
    "in_progress_within_due": "within_due",
    "in_progress_overdue": "overdue",
}
TIMESTAMPS = ("received_at", "due_at", "resolved_at", "status_at")


def read_dossier_file(path: Path, aliases: dict[str, str]) -> pl.DataFrame:
    """One landed dossier export in canonical column names (Parquet, or CSV with or without
    Vietnamese headers and BOM)."""
    if path.suffix == ".parquet":
        frame = pl.read_parquet(path)
    else:
        frame = pl.read_csv(path, infer_schema=False, encoding="utf8")
        frame = frame.rename({c: aliases.get(c.lstrip("\ufeff"), c) for c in frame.columns})
    for column in TIMESTAMPS:
        if column not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype=pl.Datetime("us")).alias(column))
        elif frame.schema[column] == pl.String:
            frame = frame.with_columns(
                pl.col(column).str.to_datetime("%Y-%m-%d %H:%M:%S", strict=True)
            )
    return frame.select(
        pl.col("dossier_id", "province_code", "status").cast(pl.String),
        *(pl.col(c).cast(pl.Datetime("us")) for c in TIMESTAMPS),
    )


def july_holdings(landing: Path, manifest: dict) -> pl.DataFrame:
    canonical = {alias: name for name, alias in manifest["dossier_header_aliases"].items()}
    files = sorted((landing / "dossiers").iterdir())
    dossiers = pl.concat(
        read_dossier_file(path, canonical).with_columns(file_order=pl.lit(order))
        for order, path in enumerate(files)
    )
    crosswalk = pl.read_csv(
        DBT_PROJECT_DIR / "seeds" / "ref_province_crosswalk.csv", infer_schema=False
    ).select("legacy_code", "current_code")
    era = pl.when(pl.col("received_at") < JULY).then(pl.lit("legacy")).otherwise(pl.lit("current"))
    closed_at = (
        pl.when(pl.col("status") == "resolved")
        .then("resolved_at")
        .when(pl.col("status").is_in(["returned", "withdrawn"]))
        .then(pl.coalesce("status_at", "resolved_at"))
    )
    dossiers = (
        dossiers.with_columns(era=era, closed_at=closed_at)
        # the latest export of a dossier wins (a province code alone is not a key: era too)
        .sort("file_order")
        .unique(["era", "province_code", "dossier_id"], keep="last", maintain_order=True)
        .join(crosswalk, left_on="province_code", right_on="legacy_code", how="left")
        .with_columns(
            holder=pl.when(pl.col("era") == "current")
            .then("province_code")
            .otherwise("current_code")
        )
    )
    held_in_july = (pl.col("era") == "current") | (
        pl.col("closed_at").is_null() | (pl.col("closed_at") >= JULY)
    )
    resolved = (
        (pl.col("status") == "resolved")
        & (pl.col("closed_at") >= JULY)
        & (pl.col("closed_at") < AUGUST)
    )
    in_time = pl.col("closed_at").dt.date() <= pl.col("due_at").dt.date()
    open_at_end = (pl.col("received_at") < AUGUST) & (
        pl.col("closed_at").is_null() | (pl.col("closed_at") >= AUGUST)
    )
    return (
        dossiers.filter(held_in_july)
        .group_by(pl.col("holder").alias("province_code"))
        .agg(
            in_time=(resolved & in_time).sum(),
            late=(resolved & ~in_time).sum(),
            within_due=(open_at_end & (pl.col("due_at") >= AUGUST)).sum(),
            overdue=(open_at_end & (pl.col("due_at") < AUGUST)).sum(),
            taken_over_overdue=(
                (pl.col("era") == "legacy") & open_at_end & (pl.col("due_at") < AUGUST)
            ).sum(),
            taken_over_in_time=((pl.col("era") == "legacy") & resolved & in_time).sum(),
            taken_over_late=((pl.col("era") == "legacy") & resolved & ~in_time).sum(),
        )
    )


def with_documented_mismatches(counts: pl.DataFrame, manifest: dict) -> pl.DataFrame:
    rows = {row["province_code"]: row for row in counts.to_dicts()}
    for mismatch in manifest["deliberate_mismatches"]:
        if mismatch["era"] != "current" or mismatch["period_start"] != "2025-07-01":
            continue
        row = rows[mismatch["province_code"]]
        for column, delta in mismatch["report_minus_dossiers"].items():
            if column in MISMATCH_BUCKETS:
                row[MISMATCH_BUCKETS[column]] += delta
    return pl.DataFrame(list(rows.values()))


def expected_kpis(counts: pl.DataFrame) -> dict[tuple[str, str], tuple[int, int]]:
    expected = {}
    for row in counts.iter_rows(named=True):
        resolved = row["in_time"] + row["late"]
        open_ = row["within_due"] + row["overdue"]
        code = row["province_code"]
        expected[(code, "on_time_rate")] = (row["in_time"], resolved)
        expected[(code, "progress_on_time_rate")] = (
            row["in_time"] + row["within_due"],
            resolved + open_,
        )
        expected[(code, "overdue_open_rate")] = (row["overdue"], open_)
    return expected


@pytest.fixture(scope="module")
def default_sample(tmp_path_factory: pytest.TempPathFactory):
    from pipelines.sample_data.generate import GeneratorConfig, generate

    root = tmp_path_factory.mktemp("default_sample")
    landing = root / "landing"
    generate(GeneratorConfig(out=landing))  # the arguments of `make sample`
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        load_sample(con, landing)
    success, failures, _ = dbt_build(database, root / "target", "--exclude", "test_type:data")
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    yield landing, database, manifest, success, failures
    shutil.rmtree(root, ignore_errors=True)


def test_july_2025_progress_kpis_recomputed_with_polars_equal_fct_kpi(default_sample) -> None:
    landing, database, manifest, success, failures = default_sample
    assert success, failures
    counts = with_documented_mismatches(july_holdings(landing, manifest), manifest)
    expected = expected_kpis(counts)
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select province_code, kpi_code, numerator, denominator from marts.fct_kpi "
            "where unit_basis = 'current' and era = 'current' and period_grain = 'month' "
            "and period_start = date '2025-07-01' and level = 'all' and agency_code is null "
            "and procedure_field is null and kpi_code in "
            "('on_time_rate', 'progress_on_time_rate', 'overdue_open_rate')"
        ).fetchall()
    actual = {(code, kpi): (int(n), int(d)) for code, kpi, n, d in rows}
    current = {p["code"] for p in manifest["provinces"] if p["era"] == "current"}
    assert {code for code, _ in actual} == current == {code for code, _ in expected}
    assert len(current) == 34
    assert actual == expected
    with duckdb.connect(str(database), read_only=True) as con:
        from_dossiers = con.execute(
            "select province_code, sum(resolved_early + resolved_on_time), sum(resolved_late), "
            "sum(in_progress_within_due), sum(in_progress_overdue) from marts.fct_dossier_flow "
            "where count_source = 'dossiers' and period_grain = 'month' "
            "and period_start = date '2025-07-01' and era = 'current' group by province_code"
        ).fetchall()
    recomputed = july_holdings(landing, manifest).select("province_code", *BUCKETS)
    assert {row[0]: tuple(int(v) for v in row[1:]) for row in from_dossiers} == {
        row[0]: row[1:] for row in recomputed.iter_rows()
    }
    # the sample really carries dossiers across the date: taken over, then resolved in July on
    # time and late, or overdue at its end
    taken_over = counts.select(pl.col("^taken_over_.*$").sum()).row(0, named=True)
    assert min(taken_over.values()) > 0, taken_over
