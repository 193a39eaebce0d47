"""The dashboard on a serving DB built by the real pipeline (Hoà Bình Q1/2023 report).

Skipped while the pipeline's serving DB lacks the docs/marts.md interface (the marts are being
built in parallel); from then on it checks the overview end to end.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from streamlit.testing.v1 import AppTest

from dashboards.lib import db
from pipelines.settings import DataPaths

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")
REQUIRED = {
    "marts.fct_kpi": {"unit_basis", "procedure_field"},
    "marts.dim_province": {"province_key"},
    "marts.fct_service_index": {"group_code"},
    "marts.fct_target_attainment": {"status"},
    # early warning (issue 14): the scorecard and data status read these
    "marts.fct_target_forecast": {"status", "judgement"},
    "marts.fct_kpi_forecast": {"forecast_pct"},
    "marts.fct_forecast_backtest": {"abs_error_pp"},
    "marts.dim_forecast_method": {"explanation_vi"},
    "marts.fct_anomalies": {"severity"},
}


def _missing_interface(path: Path) -> list[str]:
    with duckdb.connect(str(path), read_only=True, config=dict(db.LOCKED_CONFIG)) as con:
        columns = con.execute(
            "select table_schema || '.' || table_name, column_name from information_schema.columns"
        ).fetchall()
    have: dict[str, set[str]] = {}
    for table, column in columns:
        have.setdefault(table, set()).add(column)
    return [
        f"{table}.{column}"
        for table, needed in REQUIRED.items()
        for column in sorted(needed - have.get(table, set()))
    ]


def test_overview_on_a_pipeline_build(hoa_binh_data_dir: DataPaths) -> None:
    data_dir = hoa_binh_data_dir  # hb.csv through a real pipeline run (tests/conftest.py)
    missing = _missing_interface(data_dir.serving_db)
    db.READER.close()
    assert not missing, f"serving DB lacks the docs/marts.md interface: {', '.join(missing)}"
    app = AppTest.from_file(APP, default_timeout=60)
    for key, value in {"grain": "quarter", "period": "2023-01-01", "basis": "reported"}.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    ranking = next(d.value for d in app.dataframe if "Hạng" in d.value.columns)
    row = ranking[ranking["Tỉnh, thành phố"].str.contains("Hoà Bình|Hòa Bình")].iloc[0]
    assert row["Tỷ lệ (%)"] == "94,24 %"
    assert (row["Tử số"], row["Mẫu số"]) == ("72.901", "77.354")
    # one quarter of one province: no year runs, nothing to forecast; the scorecard says so
    scorecard = AppTest.from_file(APP, default_timeout=60)
    scorecard.switch_page("app_pages/scorecard.py")
    for key, value in {"province": "legacy-17", "grain": "quarter", "period": "2023-01-01"}.items():
        scorecard.query_params[key] = value
    scorecard.run()
    assert not scorecard.exception, scorecard.exception
    assert any("Không có dự báo" in i.value for i in scorecard.info)
    db.READER.close()
