"""Idempotence and corrections through real Dagster runs (ingestion, dbt, publish): the same
landing folder twice changes nothing; a corrected re-export replaces the earlier version (which
stays in history); a reload after a fix gives the same warehouse as a clean first load."""

from __future__ import annotations

import duckdb
import pytest

from pipelines.settings import DataPaths
from tests.conftest import query_serving, run_pipeline_job
from tests.report_files import hoa_binh_q1_2023_rows, write_csv
from tests.source_files import CLEAN_FILE_NAMES, clean_rows, write_source_csv

ROW_SOURCES = ("dossiers", "payments", "procedures", "satisfaction")
LINEAGE = "load_seq, load_id, source_file, file_hash, source_row_number, loaded_at"


def _marts_hash(paths: DataPaths) -> dict[str, str]:
    """A content hash of every table of the published marts schema."""
    tables = query_serving(
        paths, "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
    )
    return {
        name: query_serving(
            paths,
            f"select md5(coalesce(string_agg(t::varchar, '|' order by t::varchar), '')) "
            f"from marts.{name} t",
        )[0][0]
        for (name,) in tables
    }


def _current_hash(paths: DataPaths) -> dict[str, str]:
    """Content of every raw.<source>_current view, lineage left out (it names files and runs)."""
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as con:
        return {
            source: con.execute(
                f"select md5(string_agg(t::varchar, '|' order by t::varchar)) from "
                f"(select * exclude ({LINEAGE}) from raw.{source}_current) t"
            ).fetchone()[0]  # type: ignore[index]
            for source in ROW_SOURCES
        }


def _online_rate_numerator(paths: DataPaths) -> int:
    ((numerator,),) = query_serving(
        paths,
        "select numerator from marts.fct_kpi where kpi_code = 'online_dossier_rate' "
        "and level = 'all' and province_code = '17' and period_start = date '2023-01-01' "
        "and period_grain = 'quarter'",
    )
    return numerator


def _land_everything(paths: DataPaths, *, broken: bool) -> None:
    report = hoa_binh_q1_2023_rows()
    dossiers = clean_rows("dossiers")
    if broken:
        report[8][4], report[8][5] = "12.900", "454"  # one dossier moved online → counter
        dossiers[0]["status"] = "finished"  # not an allowed status: quarantined
    suffix = "-v1" if broken else "-v2"
    write_csv(paths.landing_for("portal_report") / f"hb{suffix}.csv", report)
    write_source_csv(paths.landing_for("dossiers") / f"17_hoa_binh_2024-03{suffix}.csv", dossiers)
    for source in ROW_SOURCES[1:]:
        write_source_csv(paths.landing_for(source) / CLEAN_FILE_NAMES[source], clean_rows(source))


def test_same_folder_twice_then_a_correction_equals_a_clean_load(
    data_dir: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    _land_everything(data_dir, broken=True)
    assert run_pipeline_job().success
    first_marts, first_current = _marts_hash(data_dir), _current_hash(data_dir)
    first_serving = data_dir.serving_db.read_bytes()
    assert _online_rate_numerator(data_dir) == 72_900

    # The same landing folder again: nothing new, nothing changes.
    assert run_pipeline_job().success
    assert (_marts_hash(data_dir), _current_hash(data_dir)) == (first_marts, first_current)
    assert data_dir.serving_db.read_bytes() == first_serving
    assert query_serving(data_dir, "select count(*) from audit.loads") == [(5,)]

    # Corrected re-exports of the same province, source and period.
    _land_everything(data_dir, broken=False)
    assert run_pipeline_job().success
    assert _online_rate_numerator(data_dir) == 72_901
    fixed_marts, fixed_current = _marts_hash(data_dir), _current_hash(data_dir)
    assert fixed_marts["fct_kpi"] != first_marts["fct_kpi"]
    assert fixed_current["dossiers"] != first_current["dossiers"]
    with duckdb.connect(str(data_dir.warehouse_db), read_only=True) as con:
        history = con.execute(
            "select source_file, count(*) from raw.dossiers group by all order by all"
        ).fetchall()
        current = con.execute(
            "select distinct source_file from raw.dossiers_current order by all"
        ).fetchall()
    assert history == [("17_hoa_binh_2024-03-v1.csv", 3), ("17_hoa_binh_2024-03-v2.csv", 4)]
    assert current == [("17_hoa_binh_2024-03-v2.csv",)]
    outcomes = query_serving(
        data_dir,
        "select source, outcome from audit.loads where source in ('dossiers', 'portal_report') "
        "order by source, load_seq",
    )
    assert outcomes == [
        ("dossiers", "loaded_with_quarantine"),
        ("dossiers", "loaded"),
        ("portal_report", "loaded"),
        ("portal_report", "loaded"),
    ]

    # A clean first load of the fixed files alone builds the same warehouse.
    clean = DataPaths(data_dir.root.parent / "clean").ensure()
    _land_everything(clean, broken=False)
    monkeypatch.setenv("CCHC_DATA_DIR", str(clean.root))
    assert run_pipeline_job().success
    assert (_marts_hash(clean), _current_hash(clean)) == (fixed_marts, fixed_current)
