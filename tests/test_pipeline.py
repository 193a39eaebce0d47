"""The thin slice end to end: a landed report → Dagster run → dbt → serving.duckdb."""

from __future__ import annotations

import shutil

import pytest

from pipelines.settings import DataPaths
from tests.conftest import BuiltFolder, query_serving, run_pipeline_job
from tests.report_files import hoa_binh_q1_2023_rows, write_csv, write_xlsx

WORKED_EXAMPLE = {  # shared/domain/KPIS.md, Hòa Bình Q1/2023
    "online_dossier_rate": (72_901, 77_354, 94.24),
    "on_time_rate": (78_331, 78_517, 99.76),
    "progress_on_time_rate": (88_219, 88_424, 99.77),
    "overdue_open_rate": (19, 9_907, 0.19),
}


def _province_kpis(paths: DataPaths) -> dict[str, tuple[int, int, float]]:
    rows = query_serving(
        paths,
        "select kpi_code, numerator, denominator, round(value_pct, 2) from marts.fct_kpi "
        "where level = 'all' and province_code = '17' and period_grain = 'quarter' "
        "and unit_basis = 'reported' and procedure_field is null "
        "and period_start = date '2023-01-01'",
    )
    return {code: (num, den, value) for code, num, den, value in rows}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_landed_report_reaches_the_serving_db_with_the_worked_example(
    request: pytest.FixtureRequest, fmt: str
) -> None:
    if fmt == "csv":
        # The session's shared run is this very case: hb.csv alone (tests/conftest.py).
        build: BuiltFolder = request.getfixturevalue("hoa_binh_build")
        data_dir, result, file_name = build.paths, build.result, "hb.csv"
    else:
        data_dir = request.getfixturevalue("data_dir")
        file_name = "bao-cao-hoa-binh.xlsx"
        write_xlsx(data_dir.landing_for("portal_report") / file_name, hoa_binh_q1_2023_rows())
        result = run_pipeline_job()

    assert result.success
    assert _province_kpis(data_dir) == WORKED_EXAMPLE
    levels = query_serving(
        data_dir,
        "select level, sum(denominator) from marts.fct_kpi where kpi_code = 'on_time_rate' "
        "and unit_basis = 'reported' and province_code = '17' and agency_code is null "
        "and level <> 'all' and period_grain = 'quarter' group by level order by level",
    )
    assert levels == [("commune", 19_020), ("district", 26_030), ("province", 33_467)]
    loads = query_serving(data_dir, "select file_name, outcome, rows_loaded from audit.loads")
    assert loads == [(file_name, "loaded", 4)]


def test_a_second_run_with_nothing_new_changes_nothing(hoa_binh_data_dir: DataPaths) -> None:
    data_dir = hoa_binh_data_dir  # hb.csv landed and its first run done (tests/conftest.py)
    first_publish = query_serving(data_dir, "select published_at, fingerprint from meta.publish")
    first_bytes = data_dir.serving_db.read_bytes()

    second = run_pipeline_job()

    assert second.success
    assert (
        query_serving(data_dir, "select published_at, fingerprint from meta.publish")
        == first_publish
    )
    assert data_dir.serving_db.read_bytes() == first_bytes
    assert query_serving(data_dir, "select count(*) from audit.loads") == [(1,)]


def _materialized(result) -> set[str]:
    return {event.asset_key.to_user_string() for event in result.get_asset_materialization_events()}


def _skipped_steps(result) -> set[str]:
    return {
        event.step_key for event in result.all_events if event.event_type_value == "STEP_SKIPPED"
    }


def test_a_run_with_nothing_new_skips_dbt_and_the_publish(
    hoa_binh_data_dir: DataPaths, hoa_binh_build: BuiltFolder
) -> None:
    from pipelines.defs.dbt import FORCE_BUILD_TAG
    from pipelines.lib.ingest import PARSERS

    data_dir = hoa_binh_data_dir  # a copy of the folder the first run (below) built
    first = hoa_binh_build.result
    assert first.success and {"marts/fct_kpi", "serving/serving_db"} <= _materialized(first)
    first_bytes = data_dir.serving_db.read_bytes()

    second = run_pipeline_job()

    # Only the ingestion ran (and found nothing): no model, no mart check, no publish.
    assert second.success
    assert _materialized(second) == {f"raw/{source}" for source in PARSERS}
    assert {"serving__serving_db", "marts__fct_dossier_flow_report_rows_counted_once"} <= (
        _skipped_steps(second)
    )
    assert data_dir.serving_db.read_bytes() == first_bytes

    # Forced, dbt builds again; the publisher still finds nothing to replace.
    forced = run_pipeline_job(tags={FORCE_BUILD_TAG: "true"})
    assert forced.success and "marts/fct_kpi" in _materialized(forced)
    assert data_dir.serving_db.read_bytes() == first_bytes


def test_a_rejected_file_is_audited_and_the_good_data_still_publishes(data_dir: DataPaths) -> None:
    landing = data_dir.landing_for("portal_report")
    write_csv(landing / "good.csv", hoa_binh_q1_2023_rows())
    broken = hoa_binh_q1_2023_rows()
    broken[3][2] = "Cột không rõ"  # the 'Tiếp nhận' group header
    write_csv(landing / "broken.csv", broken)
    landed_before = {p.name: p.read_bytes() for p in landing.iterdir()}

    result = run_pipeline_job()

    assert result.success
    assert _province_kpis(data_dir) == WORKED_EXAMPLE
    ((outcome, message),) = query_serving(
        data_dir, "select outcome, message from audit.loads where file_name = 'broken.csv'"
    )
    assert outcome == "rejected"
    assert "broken.csv" in message and "header" in message
    assert {p.name: p.read_bytes() for p in landing.iterdir()} == landed_before


def test_a_row_breaking_an_identity_is_quarantined_with_its_values(data_dir: DataPaths) -> None:
    rows = hoa_binh_q1_2023_rows()
    rows[8][2] = "99.999"  # Sở Tư pháp: received total no longer adds up
    write_csv(data_dir.landing_for("portal_report") / "hb.csv", rows)

    assert run_pipeline_job().success

    quarantined = query_serving(
        data_dir,
        "select row_number, rule, message, original_values->>'agency_name' from audit.quarantine "
        "order by rule",
    )
    assert [(r[0], r[1], r[3]) for r in quarantined] == [
        (9, "balance_identity", "Sở Tư pháp"),
        (9, "received_identity", "Sở Tư pháp"),
    ]
    assert "hb.csv row 9" in quarantined[0][2]
    ((rows_in, loaded, held),) = query_serving(
        data_dir, "select rows_in, rows_loaded, rows_quarantined from audit.loads"
    )
    assert (rows_in, loaded, held) == (4, 3, 1)


def test_a_corrected_re_export_replaces_the_earlier_one(data_dir: DataPaths) -> None:
    landing = data_dir.landing_for("portal_report")
    rows = hoa_binh_q1_2023_rows()
    rows[8][4], rows[8][5] = "12.900", "454"  # one dossier moved from online to counter
    write_csv(landing / "hb-v1.csv", rows)
    assert run_pipeline_job().success
    assert _province_kpis(data_dir)["online_dossier_rate"][0] == 72_900

    write_xlsx(landing / "hb-v2-corrected.xlsx", hoa_binh_q1_2023_rows())
    assert run_pipeline_job().success

    assert _province_kpis(data_dir) == WORKED_EXAMPLE
    history = query_serving(data_dir, "select file_name from audit.loads order by load_seq")
    assert history == [("hb-v1.csv",), ("hb-v2-corrected.xlsx",)]


def test_a_failed_build_keeps_the_last_good_serving_db(hoa_binh_data_dir: DataPaths) -> None:
    data_dir = hoa_binh_data_dir  # hb.csv landed and its first run done (tests/conftest.py)
    good = data_dir.serving_db.read_bytes()

    # A newer report whose balance fails in dbt's staging test, though it passed the parser:
    # simulate a contract gap by loading it straight into raw, as a buggy loader would.
    import duckdb

    with duckdb.connect(str(data_dir.warehouse_db)) as con:
        part = data_dir.lake / "portal_report" / "data_month=2023-04" / "part-sneaky.parquet"
        part.parent.mkdir(parents=True)
        con.execute(
            "copy (select * exclude (data_month) replace (received_total + 1 as "
            "received_total, date '2023-04-01' as period_start, date '2023-06-30' as period_end, "
            f"999 as load_seq) from raw.portal_report) to '{part}'"
        )
        con.execute(
            "insert into audit.loads by name select * replace (999 as load_seq, 'sneaky.csv' "
            "as file_name) from audit.loads"
        )
    result = run_pipeline_job()

    assert not result.success
    assert data_dir.serving_db.read_bytes() == good
    leftovers = [p.name for p in data_dir.warehouse_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    shutil.rmtree(data_dir.root)
