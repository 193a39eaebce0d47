"""The Streamlit app on a real serving DB built by the pipeline (AppTest)."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.settings import DataPaths
from tests.conftest import run_pipeline_job
from tests.report_files import hoa_binh_q1_2023_rows, write_csv

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")


@pytest.fixture
def published(data_dir: DataPaths) -> DataPaths:
    write_csv(data_dir.landing_for("portal_report") / "hb.csv", hoa_binh_q1_2023_rows())
    assert run_pipeline_job().success
    return data_dir


def test_kpi_page_shows_the_published_figures_in_vietnamese(published: DataPaths) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()

    assert not app.exception
    assert app.selectbox(key="period").value == 0
    assert "Quý I/2023" in app.selectbox(key="period").options
    assert [s.value for s in app.subheader] == [
        "Tỷ lệ giải quyết đúng hạn",
        "Tỷ lệ hồ sơ trực tuyến",
        "Tỷ lệ hồ sơ đang giải quyết quá hạn",
        "Tiến độ giải quyết (QĐ 766)",
    ]
    online = app.dataframe[1].value
    assert online.iloc[0].tolist() == ["Tỉnh Hoà Bình", "72.901", "77.354", "94,24 %"]
    assert any("Số liệu cập nhật đến" in c.value for c in app.caption)


def test_english_switch(published: DataPaths) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    app.query_params["lang"] = "en"
    app.run()

    assert not app.exception
    assert app.subheader[1].value == "Online dossier rate"
    assert app.dataframe[1].value.iloc[0].tolist() == [
        "Tỉnh Hoà Bình",
        "72,901",
        "77,354",
        "94.24 %",
    ]


def test_without_a_serving_db_the_page_says_what_to_do(data_dir: DataPaths) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()

    assert not app.exception
    assert "make pipeline" in app.warning[0].value
