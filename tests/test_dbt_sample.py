"""dbt on the generator's sample: every model builds and every dbt test passes.

Also holds the helpers the other tests/test_dbt_*.py modules share: the raw tables as the
ingestion creates them from data_contracts/, a loader for the sample files (the real ingestion)
and one `dbt build`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.contracts import load_contract
from pipelines.lib.dbt_state import set_tests_scope
from pipelines.lib.ingest import default_lake_dir, ensure_schema, ingest_source
from pipelines.lib.lake import (
    LINEAGE_COLUMNS,
    LakeTable,
    file_key,
    lake_columns,
    lake_dir_for_database,
)
from pipelines.settings import DBT_PROJECT_DIR, SOURCES
from tests.dbt_parse_cache import seed_partial_parse

LINEAGE = tuple(LINEAGE_COLUMNS)


def create_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """The raw tables of every source, empty, as the ingestion creates them from the contracts."""
    for source in SOURCES:
        ensure_schema(con, load_contract(source))


def insert_rows(
    con: duckdb.DuckDBPyConnection,
    source: str,
    rows: list[dict],
    *,
    load_seq: int = 1,
    source_file: str | None = None,
) -> None:
    """Fixture rows into the raw lake (a part of its own, as a loaded file's) with lineage
    columns filled in; columns the rows leave out are null."""
    if not rows:
        return
    contract = load_contract(source)
    columns = list(rows[0])
    names = [*columns, *LINEAGE]
    file_name = source_file or f"{source}-{load_seq}.csv"
    values = [
        [
            *(row[c] for c in columns),
            load_seq,
            f"load-{load_seq}",
            file_name,
            f"hash-{load_seq}",
            number,
            datetime(2026, 11, 1),
        ]
        for number, row in enumerate(rows, start=1)
    ]
    lake = LakeTable(default_lake_dir(con), contract)
    typed = ", ".join(f"{name} {kind}" for name, kind in lake_columns(contract).items())
    con.execute(f"create or replace temp table _fixture_rows ({typed})")
    placeholders = ", ".join("?" for _ in names)
    con.executemany(
        f"insert into _fixture_rows ({', '.join(names)}) values ({placeholders})", values
    )
    lake.write_file(con, file_key(source, f"{file_name}#{load_seq}"), "select * from _fixture_rows")
    con.execute("drop table _fixture_rows")


def load_sample(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    """The generator's files into raw tables through the real ingestion, every source."""
    create_raw_tables(con)
    for source in SOURCES:
        ingest_source(con, source, landing / source, load_id="sample")


def dbt_build(database: Path, target_dir: Path, *args: str) -> tuple[bool, list, float]:
    """One `dbt build` into `database` in a subprocess (dbt-duckdb keeps its connection open for
    the life of the process); (success, failed nodes, seconds)."""
    dbt = Path(sys.executable).parent / "dbt"
    env = {
        **os.environ,
        "CCHC_WAREHOUSE_DB": str(database),
        "CCHC_LAKE_DIR": str(lake_dir_for_database(database)),
    }
    seed_partial_parse(target_dir, database)  # the session's parse (tests/dbt_parse_cache.py)
    began = time.perf_counter()
    completed = subprocess.run(
        [
            str(dbt),
            "build",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target_dir),
            "--log-path",
            str(target_dir / "logs"),
            *args,
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - began
    results_file = target_dir / "run_results.json"
    results = json.loads(results_file.read_text())["results"] if results_file.exists() else []
    failures = [
        (r["unique_id"], r["status"], r.get("message"))
        for r in results
        if r["status"] not in ("success", "pass")
    ]
    if completed.returncode and not failures:
        failures = [("dbt", completed.returncode, completed.stdout[-3000:])]
    return completed.returncode == 0, failures, elapsed


@pytest.fixture(scope="module")
def sample_build(tmp_path_factory: pytest.TempPathFactory):
    from pipelines.sample_data.generate import GeneratorConfig, generate

    root = tmp_path_factory.mktemp("dbt_sample")
    landing = root / "landing"
    generate(
        GeneratorConfig(out=landing, provinces="1", dossiers=6_000, start=(2024, 10), end=(2025, 9))
    )
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        load_sample(con, landing)
    success, failures, seconds = dbt_build(database, root / "target")
    manifest = json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))
    yield database, success, failures, seconds, manifest
    shutil.rmtree(root, ignore_errors=True)


def test_every_model_builds_and_every_dbt_test_passes_on_the_sample(sample_build) -> None:
    _, success, failures, _, _ = sample_build
    assert failures == []
    assert success


def test_reconciliation_finds_the_generators_deliberate_mismatches(sample_build) -> None:
    database, _, _, _, manifest = sample_build
    with duckdb.connect(str(database), read_only=True) as con:
        found = con.execute(
            "select distinct province_code, period_start::varchar, agency_code "
            "from marts.fct_reconciliation where status <> 'match'"
        ).fetchall()
    expected = {
        (m["province_code"], m["period_start"])
        for m in manifest["deliberate_mismatches"]
        if m.get("present")
    }
    assert {(p, s) for p, s, _ in found} == expected


def test_dbt_tests_are_dagster_asset_checks_of_the_marts() -> None:
    from pipelines.defs.dbt import cchc_dbt_assets

    checks: dict[str, set[str]] = {}
    for key in cchc_dbt_assets.check_keys:
        checks.setdefault(key.asset_key.to_user_string(), set()).add(key.name)
    for mart in (
        "fct_kpi",
        "fct_target_attainment",
        "fct_service_index",
        "fct_reconciliation",
        "fct_dossier_flow",
        "dim_province",
        "dim_agency",
    ):
        assert any("unique" in name for name in checks.get(f"marts/{mart}", ())), mart
    assert any("value_between" in name for name in checks["marts/fct_kpi"])
    assert any("expression_is_true" in name for name in checks["marts/fct_dossier_flow"])


# --- Official figures (issue 18): the real files the sample lands, through the real build ---


def test_the_sample_shows_the_portals_2026_10_10_snapshot(sample_build) -> None:
    database, *_ = sample_build
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select province_name, points, published_rank, computed_rank, national_mean, "
            "snapshot_at::varchar, period_grain, provinces_in_snapshot, source_file "
            "from marts.fct_published_index where group_code = 'total' "
            "order by computed_rank, province_name"
        ).fetchall()
    first = rows[0]
    assert first[:4] == ("Tỉnh Đồng Tháp", 68.80, 1, 1)
    # The portal's national figure is 62.59; the mean of the 34 rounded totals is 62.5803.
    assert abs(first[4] - 62.59) <= 0.01
    assert first[5:8] == ("2026-10-10 06:00:00", "year_to_date", 34)
    assert first[8] == "published_766_2026-ytd_2026-10-10T06-00.json"
    assert rows[-1][:3] == ("Thành phố Hà Nội", 55.23, 34)


def test_binh_dinh_papi_2024_rank_target_is_judged_from_the_bundled_table(sample_build) -> None:
    database, *_ = sample_build
    with duckdb.connect(str(database), read_only=True) as con:
        rows = con.execute(
            "select rank_scope, target_rank, actual_rank, status, gap_ranks, source_seed "
            "from marts.fct_target_attainment where plan_unit = 'Bình Định' "
            "and index_code = 'PAPI' order by rank_scope"
        ).fetchall()
    # reference/papi_2021_2024.csv: Bình Định 33rd of 61 in 2024; in Nam Trung Bộ và Tây
    # Nguyên after Bình Thuận (3rd), Ninh Thuận (5th) and Khánh Hòa (27th): 4th.
    assert rows == [
        ("national", 20, 33, "not_met", -13, "002_ddd620c00709287f.txt"),
        ("region", 3, 4, "not_met", -1, "002_ddd620c00709287f.txt"),
    ]


def sample_copy(sample_build, tmp_path: Path) -> Path:
    """A copy of the session's sample warehouse a test may change."""
    database, *_ = sample_build
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(database, warehouse)
    return warehouse


@dataclass(frozen=True)
class BatchScope:
    """What a limited build of an incremental staging model is told: whether tests are limited,
    and what the model held before the build (meta.dbt_batch_marks, column -> mark)."""

    model: str
    limited: bool
    marks: dict[str, int]


def staging_tests_pass(
    warehouse: Path, target: Path, selection: str, scope: BatchScope, failing: str
) -> bool:
    """Run the selected tests under ``scope``; whether they pass (any failure must be one whose
    id contains ``failing``)."""
    with duckdb.connect(str(warehouse)) as con:
        set_tests_scope(con, rebuilt_units_only=scope.limited)
        con.execute("delete from meta.dbt_batch_marks")
        for column, mark in scope.marks.items():
            con.execute(
                "insert into meta.dbt_batch_marks values (?, ?, ?)", [scope.model, column, mark]
            )
    success, failures, _ = dbt_build(
        warehouse, target, "--select", selection, "--resource-type", "test"
    )
    assert all(failing in unique_id for unique_id, *_ in failures), failures
    return success


# --- Tests limited to the rebuilt provinces (issue 13; macros/tests_scope.sql) ---------------


def test_a_province_incremental_models_tests_read_only_its_rebuilt_units_when_asked(
    sample_build, tmp_path: Path
) -> None:
    """A row that breaks int_kpi_counts' key fails its test; with the pipeline's limit on
    (meta.dbt_tests_scope) the test reads only the units the last build rebuilt, so the row
    fails it only when its unit is one of them, or after a full build."""
    warehouse = sample_copy(sample_build, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        province, era = con.execute(
            "select province_code, era from intermediate.int_kpi_counts order by all limit 1"
        ).fetchone()  # type: ignore[misc]
        con.execute(
            "insert into intermediate.int_kpi_counts select * from intermediate.int_kpi_counts "
            "where province_code = ? and era = ? limit 1",
            [province, era],
        )
        # as after an incremental build of int_kpi_counts that rebuilt another unit only
        con.execute("delete from meta.dbt_rebuilt_provinces where model_name = 'int_kpi_counts'")
        con.execute(
            "insert into meta.dbt_rebuilt_provinces values ('int_kpi_counts', '99', ?)", [era]
        )
        con.execute(
            "insert into meta.dbt_watermarks "
            "values ('int_kpi_counts', 1000000, false, current_timestamp + interval 1 day)"
        )

    def key_test_passes(*, limited: bool, rebuilt: bool = False, full_build: bool = False) -> bool:
        with duckdb.connect(str(warehouse)) as con:
            set_tests_scope(con, rebuilt_units_only=limited)
            if rebuilt:
                con.execute(
                    "insert into meta.dbt_rebuilt_provinces values ('int_kpi_counts', ?, ?)",
                    [province, era],
                )
            if full_build:
                con.execute(
                    "insert into meta.dbt_watermarks "
                    "values ('int_kpi_counts', 1000001, true, current_timestamp + interval 2 day)"
                )
        success, failures, _ = dbt_build(
            warehouse, tmp_path / "target", "--select", "int_kpi_counts", "--resource-type", "test"
        )
        assert all("unique_combination" in unique_id for unique_id, *_ in failures), failures
        return success

    assert not key_test_passes(limited=False)
    assert key_test_passes(limited=True)  # its unit was not rebuilt: tested when it was
    assert not key_test_passes(limited=True, rebuilt=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("delete from meta.dbt_rebuilt_provinces where province_code = ?", [province])
    assert not key_test_passes(limited=True, full_build=True)  # a full build tests every row


def test_an_incremental_staging_models_tests_read_only_the_keys_its_build_wrote_when_asked(
    sample_build, tmp_path: Path
) -> None:
    """A repeated key in stg_dossiers and in stg_payments fails their key test; with the
    pipeline's limit on, the tests read only the keys the last build wrote (rows above what the
    model held before it, meta.dbt_batch_marks), so the repeat fails them only when its key is
    among those; a payment is among them also when its dossier has a newer version."""
    warehouse = sample_copy(sample_build, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        (dossier_seq,) = con.execute(
            "insert into staging.stg_dossiers select * from staging.stg_dossiers "
            "order by load_seq, dossier_id limit 1 returning load_seq"
        ).fetchone()  # type: ignore[misc]
        (transaction, era, province, payment_seq, paid_dossier_seq) = con.execute(
            "select p.transaction_id, p.era, p.province_code, p.load_seq, d.load_seq "
            "from staging.stg_payments p "
            "join staging.stg_dossiers d using (era, province_code, dossier_id) "
            "order by p.load_seq, p.transaction_id limit 1"
        ).fetchone()  # type: ignore[misc]
        con.execute(
            "insert into staging.stg_payments select * from staging.stg_payments "
            "where transaction_id = ? and era = ? and province_code = ?",
            [transaction, era, province],
        )
        (top_seq,) = con.execute(
            "select max(load_seq) from (select load_seq from staging.stg_dossiers "
            "union all select load_seq from staging.stg_payments)"
        ).fetchone()  # type: ignore[misc]

    def key_test_passes(model: str, *, limited: bool, marks: dict[str, int]) -> bool:
        scope = BatchScope(model, limited, marks)
        return staging_tests_pass(
            warehouse, tmp_path / "target", model, scope, "unique_combination"
        )

    held = {"load_seq": top_seq}  # as after a build that wrote nothing
    assert not key_test_passes("stg_dossiers", limited=False, marks=held)
    assert key_test_passes("stg_dossiers", limited=True, marks=held)  # tested when written
    assert not key_test_passes("stg_dossiers", limited=True, marks={"load_seq": dossier_seq - 1})
    assert not key_test_passes("stg_dossiers", limited=True, marks={"load_seq": 0})  # full build

    held = {"load_seq": top_seq, "dossier_load_seq": top_seq}
    assert not key_test_passes("stg_payments", limited=False, marks=held)
    assert key_test_passes("stg_payments", limited=True, marks=held)
    written = {"load_seq": payment_seq - 1, "dossier_load_seq": top_seq}
    assert not key_test_passes("stg_payments", limited=True, marks=written)
    restated = {"load_seq": top_seq, "dossier_load_seq": paid_dossier_seq - 1}
    assert not key_test_passes("stg_payments", limited=True, marks=restated)


def test_a_build_that_tests_every_row_compiles_its_tests_without_the_batch_filter(
    sample_build, tmp_path: Path
) -> None:
    """The limit is read when a test compiles, not when it runs: written into the SQL as
    `not limited or exists (...)`, DuckDB computed the `exists` over every row whatever the
    flag (4.4 s instead of 0.01 s for one accepted_values test of stg_payments at 10 M rows)."""
    warehouse = sample_copy(sample_build, tmp_path)

    def compiled_test_sql(*, limited: bool) -> str:
        with duckdb.connect(str(warehouse)) as con:
            set_tests_scope(con, rebuilt_units_only=limited)
        target = tmp_path / f"target-{limited}"
        success, failures, _ = dbt_build(
            warehouse, target, "--select", "stg_payments int_kpi_counts", "--resource-type", "test"
        )
        assert success, failures
        run = target / "run"
        compiled = sorted(run.rglob("accepted_values_stg_payments_status_*.sql"))
        compiled += sorted(run.rglob("accepted_values_int_kpi_counts_unit_basis_*.sql"))
        assert len(compiled) == 2, compiled
        return "\n".join(path.read_text() for path in compiled)

    everything = compiled_test_sql(limited=False)
    assert "dbt_batch_marks" not in everything and "dbt_rebuilt_provinces" not in everything
    limited = compiled_test_sql(limited=True)
    assert "dbt_batch_marks" in limited and "dbt_rebuilt_provinces" in limited


def test_a_row_test_of_an_incremental_staging_model_reads_the_rows_its_build_wrote(
    sample_build, tmp_path: Path
) -> None:
    """A test of one row at a time (accepted_values) reads, on a limited build, the rows above
    what the model held before it: a bad value on a row the build did not write is not seen,
    on a row it wrote it is, and a build that tests every row sees it wherever it is."""
    warehouse = sample_copy(sample_build, tmp_path)
    with duckdb.connect(str(warehouse)) as con:
        (row_seq,) = con.execute(
            "update staging.stg_dossiers set channel = 'fax' where (dossier_id, era, province_code)"
            " = (select (dossier_id, era, province_code) from staging.stg_dossiers"
            "    order by load_seq desc, dossier_id limit 1) returning load_seq"
        ).fetchone()  # type: ignore[misc]

    def channel_test_passes(*, limited: bool, mark: int) -> bool:
        scope = BatchScope("stg_dossiers", limited, {"load_seq": mark})
        selection = "stg_dossiers,test_name:accepted_values"
        return staging_tests_pass(warehouse, tmp_path / "target", selection, scope, "channel")

    assert channel_test_passes(limited=True, mark=row_seq)  # written before: tested then
    assert not channel_test_passes(limited=True, mark=row_seq - 1)
    assert not channel_test_passes(limited=False, mark=row_seq)
