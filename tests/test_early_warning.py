"""Early warning (issue 14) end to end: the generator injects known anomalies (recorded in its
manifest), a real dbt build on that sample flags each with the rule meant for it, and the
forecast marts hold their promises (a running year is never met / not met; the back-test judges
only complete years). The forecast arithmetic itself is checked by the dbt unit tests in
dbt_project/models/intermediate/_forecast.yml and models/marts/_early_warning.yml (hand-computed
small series), which this build runs too.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.sample_data.generate import GeneratorConfig, generate
from tests.test_dbt_sample import dbt_build, load_sample
from tests.test_sample_data import load_dossiers

# Two current provinces (Phú Thọ, Tây Ninh) and their five legacy predecessors: 18 legacy months
# give two eligible provinces; the window runs into 2026 so that 2026 is the running year.
ARGS = dict(provinces="2", dossiers=12_000, start=(2024, 1), end=(2026, 3))


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("early_warning") / "landing"
    generate(GeneratorConfig(out=out, **ARGS), report_workers=0)
    return out


@pytest.fixture(scope="module")
def manifest(landing: Path) -> dict:
    return json.loads((landing / "_manifest.json").read_text(encoding="utf-8"))


def test_generator_injects_known_anomalies_deterministically(
    landing: Path, manifest: dict, tmp_path: Path
) -> None:
    anomalies = manifest["injected_anomalies"]
    assert len(anomalies) == 8
    assert {a["kind"] for a in anomalies} == {
        "volume_spike", "volume_drop", "online_share_zero", "missing_report",
    }  # fmt: skip
    mismatched = {(m["province_code"], m["era"]) for m in manifest["deliberate_mismatches"]}
    assert not {(a["province_code"], a["era"]) for a in anomalies} & mismatched
    # same arguments, same anomalies
    generate(GeneratorConfig(out=tmp_path, **ARGS), report_workers=0)
    again = json.loads((tmp_path / "_manifest.json").read_text(encoding="utf-8"))
    assert again["injected_anomalies"] == anomalies
    # --anomalies 0 injects none
    generate(GeneratorConfig(out=tmp_path, anomalies=0, **ARGS), report_workers=0)
    none = json.loads((tmp_path / "_manifest.json").read_text(encoding="utf-8"))
    assert none["injected_anomalies"] == []
    # the volume moves within the province: the dossier total stays exact
    withheld = sum(
        m["report_minus_dossiers"].get("received_total", 0)
        for m in manifest["deliberate_mismatches"]
        if m["kind"] == "dossier_export_missing_agency"
    )
    assert manifest["dossier_rows_written"] == ARGS["dossiers"] - withheld


def test_injected_anomalies_are_in_the_files(landing: Path, manifest: dict) -> None:
    dossiers = load_dossiers(landing, manifest).with_columns(
        month=pl.col("received_at").dt.strftime("%Y-%m-01")
    )
    reports = {f["path"] for f in manifest["files"] if f["source"] == "portal_report"}
    for anomaly in manifest["injected_anomalies"]:
        month = dossiers.filter(
            (pl.col("province_code") == anomaly["province_code"])
            & (pl.col("era") == anomaly["era"])
            & (pl.col("month") == anomaly["period_start"])
        )
        if anomaly["kind"] in ("volume_spike", "volume_drop"):
            assert month.height == anomaly["dossiers_after"]
            factor = anomaly["dossiers_after"] / anomaly["dossiers_before"]
            assert factor > 2.5 if anomaly["kind"] == "volume_spike" else factor < 0.3
        elif anomaly["kind"] == "online_share_zero":
            assert month.height > 50
            assert month.filter(pl.col("channel") == "online").is_empty()
        else:
            stem = f"{anomaly['province_code']}_"
            tag = anomaly["period_start"][:7]
            assert not [p for p in reports if p.startswith(f"portal_report/{stem}") and tag in p]
            assert not list((landing / "portal_report").glob(f"{stem}*{tag}*"))
            assert month.height > 0  # its dossiers are there


@pytest.fixture(scope="module")
def build(landing: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("early_warning_build")
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        load_sample(con, landing)
    success, failures, _ = dbt_build(database, root / "target")
    yield database, success, failures
    shutil.rmtree(root, ignore_errors=True)


def query(database: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_model_unit_test_and_dbt_test_passes(build) -> None:
    _, success, failures = build
    assert failures == []
    assert success


def test_each_injected_anomaly_is_flagged_by_its_rule(build, manifest: dict) -> None:
    database, _, _ = build
    for anomaly in manifest["injected_anomalies"]:
        found = query(
            database,
            "select severity from marts.fct_anomalies where province_code = ? and era = ? "
            "and month_start = ?::date and rule = ?",
            [
                anomaly["province_code"],
                anomaly["era"],
                anomaly["period_start"],
                anomaly["expected_rule"],
            ],
        )
        assert found, anomaly
        assert {s for (s,) in found} & {"high", "medium"}, anomaly


def test_deliberate_mismatches_are_flagged_as_not_reconciled(build, manifest: dict) -> None:
    database, _, _ = build
    flagged = {
        (p, e, str(m))
        for p, e, m in query(
            database,
            "select province_code, era, month_start from marts.fct_anomalies "
            "where rule = 'report_not_reconciled'",
        )
    }
    expected = {
        (m["province_code"], m["era"], m["period_start"])
        for m in manifest["deliberate_mismatches"]
        if m["present"]
    }
    assert flagged == expected


def test_forecasts_cover_the_running_year_and_never_settle_it(build) -> None:
    database, _, _ = build
    ((years, provinces, cases),) = query(
        database,
        "select list(distinct forecast_year), count(distinct province_code), "
        "list(distinct method_case order by method_case) from marts.fct_kpi_forecast "
        "where unit_basis = 'current'",
    )
    assert years == [2026] and provinces == 2
    # 2024 and 2025 are complete on the current basis: flows use seasonality and trend
    assert cases == ["seasonal_trend", "stock"]
    statuses = query(
        database,
        "select judgement, status from marts.fct_target_forecast "
        "where judgement != 'year_over' and status in ('met', 'not_met')",
    )
    assert statuses == []
    ((years_tested, earliest_cutoff),) = query(
        database,
        "select list(distinct forecast_year order by forecast_year), min(cutoff_month) "
        "from marts.fct_forecast_backtest where unit_basis = 'current'",
    )
    assert years_tested == [2024, 2025] and earliest_cutoff == 6


def test_publish_serves_the_early_warning_marts_and_the_pages_show_them(
    build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real publish copies the new marts to serving.duckdb, and the pages read them there:
    the scorecard's forecast section and the data status page's flags, on real built data."""
    from pipelines.lib.publish import publish
    from tests.test_dashboard import frame_by_column, open_page

    database, _, _ = build
    root = tmp_path / "data"
    result = publish(database, root / "warehouse" / "serving.duckdb", force=True)
    assert result.published
    for table in (
        "fct_kpi_forecast", "fct_target_forecast", "fct_forecast_backtest", "fct_anomalies",
        "dim_forecast_method",
    ):  # fmt: skip
        assert result.table_rows[f"marts.{table}"] > 0, table
    ((forecast_rows,),) = query(
        database,
        "select count(*) from marts.fct_kpi_forecast where province_code = '25' "
        "and unit_basis = 'current'",
    )
    monkeypatch.setenv("CCHC_DATA_DIR", str(root))
    scorecard = open_page(
        "scorecard", province="current-25", grain="month", period="2026-03-01", level="all"
    )
    assert any(h.value == "Dự báo cuối năm 2026" for h in scorecard.subheader)
    assert len(frame_by_column(scorecard, "Khoảng 80 % (%)")) == forecast_rows > 10
    assert any("sai số tuyệt đối trung bình" in c.value for c in scorecard.caption)
    ((flag_rows,),) = query(database, "select count(*) from marts.fct_anomalies")
    status = open_page("data_status")
    assert len(frame_by_column(status, "Mức độ")) == min(flag_rows, 500)
