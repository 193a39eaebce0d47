"""The Streamlit app page by page (AppTest) on the fixture serving DB (tests/fixtures_serving.py).

Expected values come from the fixture's marts, read with independent SQL, or are hand-known
(Hoà Bình June 2025: 72.901 / 77.354 = 94,24 %). Filters are set through the URL and through the
widgets, and the URL is checked to follow the widgets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib.db import LOCKED_CONFIG
from tests.fixtures_serving import build_serving_db

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")


@pytest.fixture(scope="session")
def serving_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serving")
    build_serving_db(root / "warehouse" / "serving.duckdb")
    return root


@pytest.fixture
def served(serving_db: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CCHC_DATA_DIR", str(serving_db))
    yield serving_db / "warehouse" / "serving.duckdb"


def marts(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    # the same configuration as the app's reader, which may have the file open in this process
    with duckdb.connect(str(db), read_only=True, config=dict(LOCKED_CONFIG)) as con:
        return con.execute(sql, params or []).fetchall()


def open_page(page: str | None = None, **params: str) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    if page:
        app.switch_page(f"app_pages/{page}.py")
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


def vi_pct(value: float) -> str:
    return f"{value:.2f} %".replace(".", ",")


def vi_int(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def metric(app: AppTest, label: str) -> tuple[str, str]:
    found = [m for m in app.metric if m.label == label]
    assert found, [m.label for m in app.metric]
    return found[0].value, found[0].delta


def frame_by_column(app: AppTest, column: str):
    for element in app.dataframe:
        if column in element.value.columns:
            return element.value
    raise AssertionError(f"no table with column {column!r}")


# --------------------------------------------------------------------------- overview


def test_overview_national_kpis_and_change_from_previous_month(served: Path) -> None:
    app = open_page(grain="month", period="2025-09-01", basis="reported")

    ((sep_num, sep_den, sep_pct),) = marts(
        served,
        """
        select numerator, denominator, value_pct from marts.fct_kpi
        where kpi_code = 'online_dossier_rate' and province_code = 'VN' and level = 'all'
          and period_grain = 'month' and period_start = '2025-09-01' and unit_basis = 'reported'
          and agency_code is null and procedure_field is null""",
    )
    ((aug_pct,),) = marts(
        served,
        """
        select value_pct from marts.fct_kpi
        where kpi_code = 'online_dossier_rate' and province_code = 'VN' and level = 'all'
          and period_grain = 'month' and period_start = '2025-08-01' and unit_basis = 'reported'
          and agency_code is null and procedure_field is null""",
    )
    value, delta = metric(app, "Tỷ lệ hồ sơ trực tuyến")
    assert value == vi_pct(sep_pct)
    change = round(sep_pct - aug_pct, 2)
    assert delta == f"{'+' if change > 0 else '-'}{vi_pct(abs(change))[:-2]} điểm %"
    assert app.subheader[0].value == "Chỉ tiêu toàn quốc — Tháng 9/2025"
    national = frame_by_column(app, "Kỳ trước (%)")
    row = national[national["Chỉ tiêu"] == "Tỷ lệ hồ sơ trực tuyến"].iloc[0]
    assert row["Tử số"] == vi_int(sep_num) and row["Mẫu số"] == vi_int(sep_den)
    # a lower-is-better KPI is coloured the other way round
    assert [m for m in app.metric if m.label == "Tỷ lệ hồ sơ đang giải quyết quá hạn"]
    assert any(c.value.startswith("Số liệu cập nhật đến: 30/09/2025") for c in app.caption)


def test_overview_ranks_63_era_provinces_before_july_and_successors_on_current_basis(
    served: Path,
) -> None:
    app = open_page(grain="month", period="2025-06-01", basis="reported", kpi="online_dossier_rate")
    ranking = frame_by_column(app, "Hạng")
    assert len(ranking) == 6  # the fixture's six legacy provinces
    hoa_binh = ranking[ranking["Tỉnh, thành phố"] == "Tỉnh Hoà Bình"].iloc[0]
    # the last column marks Hoà Bình's June, which its reconciliation flags
    assert hoa_binh.tolist()[2:] == ["94,24 %", "72.901", "77.354", "⚠"]
    expected = [
        name
        for (name,) in marts(
            served,
            """
        select province_name from marts.fct_kpi
        where kpi_code = 'online_dossier_rate' and province_code <> 'VN' and level = 'all'
          and period_grain = 'month' and period_start = '2025-06-01' and unit_basis = 'reported'
          and agency_code is null and procedure_field is null
        order by value_pct desc""",
        )
    ]
    assert ranking["Tỉnh, thành phố"].tolist() == expected

    app.selectbox(key="f_basis").set_value("current").run()
    ranking = frame_by_column(app, "Hạng")
    assert sorted(ranking["Tỉnh, thành phố"]) == [
        "Thành phố Hà Nội",
        "Tỉnh Phú Thọ",
        "Tỉnh Tây Ninh",
    ]
    ((num, den),) = marts(
        served,
        """
        select sum(numerator), sum(denominator) from marts.fct_kpi
        where kpi_code = 'online_dossier_rate' and province_code in ('17', '25', '26')
          and level = 'all' and period_grain = 'month' and period_start = '2025-06-01'
          and unit_basis = 'reported' and agency_code is null and procedure_field is null""",
    )
    phu_tho = ranking[ranking["Tỉnh, thành phố"] == "Tỉnh Phú Thọ"].iloc[0]
    assert phu_tho["Tử số"] == vi_int(num) and phu_tho["Mẫu số"] == vi_int(den)
    assert app.query_params["basis"] == "current"


def test_overview_quarter_grain_and_lower_is_better_ranking(served: Path) -> None:
    app = open_page()
    app.selectbox(key="f_grain").set_value("quarter").run()
    assert app.selectbox(key="f_period").options == ["Quý III/2025", "Quý II/2025"]
    app.selectbox(key="f_period").set_value("2025-04-01").run()
    app.selectbox(key="f_kpi").set_value("overdue_open_rate").run()
    assert app.query_params["grain"] == "quarter"
    assert app.query_params["period"] == "2025-04-01"
    ranking = frame_by_column(app, "Hạng")
    expected = marts(
        served,
        """
        select province_name, value_pct from marts.fct_kpi
        where kpi_code = 'overdue_open_rate' and province_code <> 'VN' and level = 'all'
          and period_grain = 'quarter' and period_start = '2025-04-01'
          and unit_basis = 'reported' and agency_code is null and procedure_field is null
        order by value_pct asc""",
    )
    assert ranking["Tỉnh, thành phố"].tolist() == [name for name, _ in expected]
    assert ranking["Tỷ lệ (%)"].tolist() == [vi_pct(v) for _, v in expected]


def chart_spec(app: AppTest, key: str) -> dict:
    """The plotly figure (as JSON) of the chart drawn with layout.chart(..., name)."""
    for element in app.get("plotly_chart"):
        if element.proto.id.endswith(key) or key in element.proto.id:
            return json.loads(element.proto.spec)
    raise AssertionError(f"no chart {key!r}")


def test_overview_ranks_on_the_766_index(served: Path) -> None:
    app = open_page(grain="month", period="2025-08-01", basis="current", kpi="index_766")
    ranking = frame_by_column(app, "Xếp loại")
    expected = marts(
        served,
        """
        select province_name, points, computed_max_points, computed, band
        from marts.fct_service_index
        where group_code = 'total' and period_start = '2025-08-01' and unit_basis = 'current'
          and province_code <> 'VN'
        order by points desc""",
    )
    assert ranking["Tỉnh, thành phố"].tolist() == [r[0] for r in expected]
    # transparency and satisfaction are not computed: "x of the 64 points that could be
    # computed", never a score out of 100, and no band
    assert {r[2:] for r in expected} == {(64, False, None)}
    assert ranking["Điểm"].tolist() == [
        f"{r[1]:.2f}".replace(".", ",") + " trên 64 điểm tính được" for r in expected
    ]
    assert set(ranking["Xếp loại"]) == {"Không xếp loại (còn nhóm chưa tính được)"}
    assert any("không phải thang 100 điểm" in c.value for c in app.caption)
    # the bars and the map are in points, not percent
    bars = chart_spec(app, "ranking_chart")
    assert bars["layout"]["xaxis"]["title"]["text"] == "Điểm"
    assert not any("%" in text for text in bars["data"][0]["text"])
    colorbar = chart_spec(app, "chart_map")["data"][-1]["marker"]["colorbar"]
    assert colorbar["title"]["text"] == "Điểm"


def test_english_switch_and_english_number_format(served: Path) -> None:
    app = open_page(lang="en", grain="month", period="2025-06-01", basis="reported")
    assert app.title[0].value == "Overview"
    ranking = frame_by_column(app, "Rank")
    hoa_binh = ranking[ranking["Province"] == "Tỉnh Hoà Bình"].iloc[0]
    assert hoa_binh.tolist()[2:] == ["94.24 %", "72,901", "77,354", "⚠"]
    assert app.subheader[0].value == "National indicators — Jun 2025"


def test_language_switch_in_the_sidebar_is_kept_in_the_url(served: Path) -> None:
    app = open_page("data_status")
    assert app.title[0].value == "Tình trạng dữ liệu"
    app.radio(key="language_choice").set_value("en").run()
    assert app.title[0].value == "Data status"
    assert app.query_params["lang"] == "en"
    assert metric(app, "Data loaded until")[0] == "2025-09-30"


def test_every_table_has_csv_and_xlsx_downloads(served: Path) -> None:
    app = open_page(grain="month", period="2025-06-01")
    buttons = [b for b in app.get("download_button")]
    labels = [b.proto.label for b in buttons]
    assert labels.count("Tải CSV") >= 4  # national table, ranking, ranking chart, map
    assert labels.count("Tải Excel") >= 2


# --------------------------------------------------------------------------- scorecard


def test_scorecard_of_a_current_province_carries_its_legacy_history(served: Path) -> None:
    app = open_page(
        "scorecard", province="current-25", grain="month", period="2025-06-01", level="all"
    )
    assert app.header[0].value == "Tỉnh Phú Thọ"
    assert any("Hoà Bình, Phú Thọ, Vĩnh Phúc" in c.value for c in app.caption)
    card = frame_by_column(app, "Đánh giá")
    assert len(card) == 17
    ((num, den, pct),) = marts(
        served,
        """
        select numerator, denominator, value_pct from marts.fct_kpi
        where kpi_code = 'online_dossier_rate' and province_code = '25' and level = 'all'
          and period_grain = 'month' and period_start = '2025-06-01' and unit_basis = 'current'
          and agency_code is null and procedure_field is null""",
    )
    online = card[card["Chỉ tiêu"] == "Tỷ lệ hồ sơ trực tuyến"].iloc[0]
    assert online["Tỷ lệ (%)"] == vi_pct(pct)
    assert (online["Tử số"], online["Mẫu số"]) == (vi_int(num), vi_int(den))
    ((target,),) = marts(
        served,
        """
        select target_pct from marts.fct_target_attainment
        where province_code = '25' and kpi_code = 'online_dossier_rate'""",
    )
    assert online["Chỉ tiêu kế hoạch (%)"] == vi_pct(target)
    # 2025 runs for a current province (data to September): judged on the year-end forecast
    # (78,50 % in [76, 81] against 80), never met / not met, no year actual nor gap yet; the
    # months the attainment covers are shown
    assert online["Dự báo cuối năm (%)"] == "78,50 %"
    assert online["Thực hiện cả năm (%)"] == "—"
    assert online["Đánh giá"] == "🟠 Có nguy cơ không đạt"
    assert online["Số tháng có số liệu"] == "3/12 tháng"
    assert online["Chênh lệch (điểm %)"] == "—"
    # Hoà Bình's own 2025 plan shows under its successor: its year ended on 30 June
    e_result = card[card["Chỉ tiêu"] == "Tỷ lệ cấp kết quả điện tử"].iloc[0]
    assert e_result["Đánh giá"] == "◔ Chưa đủ số liệu cả năm"
    assert e_result["Chênh lệch (điểm %)"] == "+24,04"
    satisfaction = card[card["Chỉ tiêu"] == "Mức độ hài lòng"].iloc[0]
    assert satisfaction["Đánh giá"] == "⚪ Chưa có số liệu"
    # met, not met, incomplete, on track, at risk, off track, no data
    assert [m.value for m in app.metric][:7] == ["0", "0", "1", "0", "1", "0", "1"]
    assert not [i for i in app.info if "chưa đặt chỉ tiêu" in i.value]


def test_scorecard_never_judges_a_running_or_partly_covered_year(served: Path) -> None:
    # the fixture's data end on 30 September 2025: no target of 2025 is met or missed
    statuses = marts(
        served, "select distinct status from marts.fct_target_attainment where target_kind is null"
    )
    assert {s for (s,) in statuses} == {"in_progress", "incomplete", "no_data"}
    shown_in = {
        # language: status column, months column, running, partly covered, months, note start
        "vi": (
            "Đánh giá",
            "Số tháng có số liệu",
            "Có nguy cơ không đạt",
            "Chưa đủ số liệu cả năm",
            "3/12 tháng",
            "Chỉ đánh giá Đạt / Chưa đạt trên số liệu đủ cả năm",
        ),
        "en": (
            "Status",
            "Months covered",
            "At risk",
            "Incomplete year",
            "3 of 12 months",
            "Met / not met is judged on a complete year only",
        ),
    }
    for lang, (status, months, running, partial, three, note) in shown_in.items():
        app = open_page(
            "scorecard", province="current-25", grain="month", period="2025-06-01", lang=lang
        )
        card = frame_by_column(app, months)
        # Phú Thọ's online dossier rate (2025 runs: judged on its forecast), Hoà Bình's e-results
        # (its year ended on 30 June with six months: incomplete)
        judged = card[card[status].isin((f"🟠 {running}", f"◔ {partial}"))]
        assert len(judged) == 2
        assert set(judged[months]) == {three}
        assert not card[status].str.contains("✅|❌").any()
        assert any(c.value.startswith(note) for c in app.caption)
        # the plan table below says the same
        targets = frame_by_column(app, "Năm kế hoạch" if lang == "vi" else "Plan year")
        assert {f"🟠 {running}", f"◔ {partial}"} <= set(targets[status])


def test_scorecard_says_where_targets_exist_when_none_apply(served: Path) -> None:
    # Phú Thọ's 2025 plan sets targets for the whole province and for communes, not for the
    # provincial departments.
    app = open_page(
        "scorecard", province="current-25", grain="month", period="2025-08-01", level="province"
    )
    (notice,) = [i.value for i in app.info if "chưa đặt chỉ tiêu" in i.value]
    assert "Phú Thọ năm 2025 (Cấp tỉnh (sở, ngành))" in notice
    assert notice.endswith("Các kế hoạch đã có chỉ tiêu: Hoà Bình (2025), Phú Thọ (2025).")
    assert set(frame_by_column(app, "Đánh giá")["Đánh giá"]) == {"Không có chỉ tiêu"}


def test_scorecard_level_filter_trend_and_bottom_agencies(served: Path) -> None:
    app = open_page("scorecard", province="current-25", grain="month", period="2025-08-01")
    assert app.selectbox(key="f_level").options == [
        "Toàn tỉnh",
        "Cấp tỉnh (sở, ngành)",
        "Cấp xã",
    ]  # no districts after 7/2025
    app.selectbox(key="f_level").set_value("commune").run()
    app.selectbox(key="f_kpi").set_value("digitization_rate").run()
    assert app.query_params["level"] == "commune"
    card = frame_by_column(app, "Đánh giá")
    digitization = card[card["Chỉ tiêu"] == "Tỷ lệ số hóa hồ sơ, kết quả"].iloc[0]
    assert digitization["Chỉ tiêu kế hoạch (%)"] == "99,00 %"
    # 2025 runs: off track on the forecast (95 % in [93, 97] against 99), not "not met"
    assert digitization["Đánh giá"] == "🔴 Chệch hướng"
    agencies = frame_by_column(app, "Cơ quan, đơn vị")
    expected = marts(
        served,
        """
        select value_pct from marts.fct_kpi
        where kpi_code = 'digitization_rate' and province_code = '25' and level = 'commune'
          and period_grain = 'month' and period_start = '2025-08-01' and unit_basis = 'current'
          and agency_code is not null and procedure_field is null
        order by value_pct""",
    )
    assert agencies["Tỷ lệ (%)"].tolist() == [vi_pct(v) for (v,) in expected]
    assert set(agencies["Cấp"]) == {"Cấp xã"}
    levels = frame_by_column(app, "Toàn tỉnh")
    assert list(levels.columns) == ["Chỉ tiêu", "Toàn tỉnh", "Cấp tỉnh (sở, ngành)", "Cấp xã"]


def test_scorecard_of_a_legacy_province_names_its_successor(served: Path) -> None:
    app = open_page("scorecard", province="legacy-17", grain="month", period="2025-06-01")
    assert app.header[0].value == "Tỉnh Hoà Bình"
    assert "Tỉnh Phú Thọ" in app.info[0].value
    card = frame_by_column(app, "Đánh giá")
    online = card[card["Chỉ tiêu"] == "Tỷ lệ hồ sơ trực tuyến"].iloc[0]
    assert (online["Tỷ lệ (%)"], online["Tử số"], online["Mẫu số"]) == (
        "94,24 %",
        "72.901",
        "77.354",
    )


# --------------------------------------------------------------------------- data status


def test_data_status_shows_loads_failures_quarantine_and_reconciliation(served: Path) -> None:
    app = open_page("data_status")
    loads = frame_by_column(app, "Số ngày từ cuối kỳ")
    assert loads["Nguồn"].tolist() == [
        "Dữ liệu hồ sơ",
        "Giao dịch thanh toán",
        "Báo cáo từ Cổng DVC",
    ]
    # legacy Hoà Bình's data ends with June 2025, when it merged: it is not "92 days behind"
    assert loads["Số ngày từ cuối kỳ"].tolist() == ["30", "0", "—"]
    assert loads["Tỉnh, thành phố"].tolist()[2] == "Tỉnh Hoà Bình (cũ)"
    assert loads["Kết quả"].tolist() == ["Đã nạp, có dòng bị cách ly", "Đã nạp", "Đã nạp"]
    rejected = frame_by_column(app, "Thông báo")
    assert "Số hồ sơ ABC" in rejected["Thông báo"].iloc[0]
    assert metric(app, "Dòng bị cách ly")[0] == "3"
    findings = frame_by_column(app, "Cột báo cáo")
    assert findings["Đánh giá"].tolist() == ["Chỉ có trong báo cáo", "Lệch"]
    # by name: the mart's own, else dim_agency's (C80-C1 has none in the mart)
    assert findings["Cơ quan, đơn vị"].tolist() == ["UBND xã 1 – Tây Ninh", "Sở 1 – Hoà Bình"]
    assert findings["Cột báo cáo"].tolist() == ["Đã giải quyết: tổng số", "Tiếp nhận trực tuyến"]
    assert "Khớp: 1 · Lệch: 1 · Chỉ có trong báo cáo: 1" in [c.value for c in app.caption]
    assert metric(app, "Dữ liệu đến ngày")[0] == "30/09/2025"


def test_without_a_serving_db_every_page_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCHC_DATA_DIR", str(tmp_path / "empty"))
    for page in (None, "scorecard", "data_status", "sql"):
        app = open_page(page)
        assert "make pipeline" in app.warning[0].value


# --------------------------------------------------------------------------- topic pages


@pytest.mark.parametrize(
    ("page", "kpi", "other_kpi"),
    [
        ("digitization", "digitization_rate", "e_result_rate"),
        ("online_payment", "online_payment_rate", "online_payment_dossier_rate"),
        ("online_dossiers", "online_dossier_rate", "full_online_dossier_rate"),
    ],
)
def test_topic_page_distribution_agencies_and_fields(
    served: Path, page: str, kpi: str, other_kpi: str
) -> None:
    app = open_page(page, grain="quarter", period="2025-04-01", basis="reported")
    assert app.selectbox(key="f_kpi").value == kpi
    app.selectbox(key="f_kpi").set_value(other_kpi).run()
    assert app.query_params["kpi"] == other_kpi
    ranking = frame_by_column(app, "Hạng")
    expected = marts(
        served,
        """
        select province_name, value_pct from marts.fct_kpi
        where kpi_code = ? and province_code <> 'VN' and level = 'all' and period_grain = 'quarter'
          and period_start = '2025-04-01' and unit_basis = 'reported'
          and agency_code is null and procedure_field is null
        order by value_pct desc nulls last, province_name""",
        [other_kpi],
    )
    assert ranking["Tỉnh, thành phố"].tolist() == [r[0] for r in expected]
    values = [v for _, v in expected if v is not None]
    assert metric(app, "Cao nhất")[0] == vi_pct(max(values))
    bottom = next(
        d.value
        for d in app.dataframe
        if "Cơ quan, đơn vị" in d.value.columns and d.value.index[0] == 0
    )
    (lowest,) = marts(
        served,
        """
        select min(value_pct) from marts.fct_kpi
        where kpi_code = ? and province_code <> 'VN' and period_grain = 'quarter'
          and period_start = '2025-04-01' and unit_basis = 'reported'
          and agency_code is not null and procedure_field is null
          and denominator >= 30""",
        [other_kpi],
    )
    assert bottom["Tỷ lệ (%)"].iloc[0] == vi_pct(lowest[0])


def test_digitization_fields_and_no_data_for_a_province_without_payments(served: Path) -> None:
    app = open_page("digitization", grain="month", period="2025-06-01", basis="reported")
    fields = frame_by_column(app, "Lĩnh vực")
    expected = marts(
        served,
        """
        select procedure_field, value_pct from marts.fct_kpi
        where kpi_code = 'digitization_rate' and province_code = 'VN' and level = 'all'
          and period_grain = 'month' and period_start = '2025-06-01' and unit_basis = 'reported'
          and agency_code is null and procedure_field is not null
        order by value_pct desc""",
    )
    assert fields["Lĩnh vực"].tolist() == [f for f, _ in expected]
    assert fields["Tỷ lệ (%)"].tolist() == [vi_pct(v) for _, v in expected]
    payment = open_page("online_payment", grain="month", period="2025-06-01", basis="reported")
    ranking = frame_by_column(payment, "Hạng")
    # no data (a zero denominator) is neither 0 % nor ranked: left out, and the page says so
    assert "Tỉnh Long An" not in ranking["Tỉnh, thành phố"].tolist()
    assert ranking["Hạng"].tolist() == [str(n) for n in range(1, len(ranking) + 1)]
    assert any(c.value.startswith("1 tỉnh, thành phố có mẫu số dưới 30") for c in payment.caption)


# --------------------------------------------------------------------------- service index


def test_index_page_ranking_groups_bands_and_what_was_not_computed(served: Path) -> None:
    app = open_page("service_index", month="2025-08-01", basis="current", province="current-25")
    ranking = frame_by_column(app, "Phiên bản phương pháp")
    expected = marts(
        served,
        """
        select province_name, points from marts.fct_service_index
        where group_code = 'total' and period_start = '2025-08-01' and unit_basis = 'current'
          and province_code <> 'VN' order by points desc""",
    )
    assert ranking["Tỉnh, thành phố"].tolist() == [r[0] for r in expected]
    missing = frame_by_column(app, "Lý do")
    # groups only: the total's state is in the ranking ("x trên y điểm tính được")
    assert sorted(missing["Nhóm"]) == ["Công khai, minh bạch", "Mức độ hài lòng"]
    assert set(missing["Tỉnh, thành phố"]) == {"3"}
    # the mart's reasons name codes in English; the page says them with the names
    assert dict(zip(missing["Nhóm"], missing["Lý do"], strict=True)) == {
        "Công khai, minh bạch": "Chưa có nguồn dữ liệu nào cung cấp: Công khai, minh bạch",
        "Mức độ hài lòng": "Chưa có số liệu: Mức độ hài lòng",
    }
    groups = frame_by_column(app, "Điểm tối đa")
    assert len(groups) == 6
    assert sorted(groups["Điểm tối đa"].map(int)) == [10, 12, 18, 18, 20, 22]
    satisfaction = groups[groups["Nhóm"] == "Mức độ hài lòng"].iloc[0]
    assert satisfaction["Điểm"] == "—"  # not computed is not zero
    ((total,),) = marts(
        served,
        """
        select points from marts.fct_service_index where group_code = 'total'
          and province_code = '25' and period_start = '2025-08-01' and unit_basis = 'current'""",
    )
    # a total with groups not computed: x of the y points that could be computed, no band
    assert metric(app, "Phú Thọ — Chỉ số phục vụ (QĐ 766), tổng điểm")[0] == (
        f"{total:.2f}".replace(".", ",") + " trên 64 điểm tính được"
    )
    assert any(
        c.value == "Xếp loại: **Không xếp loại (còn nhóm chưa tính được)**" for c in app.caption
    )
    assert metric(app, "Không xếp loại (còn nhóm chưa tính được)")[0] == "3"
    assert [metric(app, band)[0] for band in ("Xuất sắc", "Tốt", "Khá", "Trung bình", "Yếu")] == [
        "0"
    ] * 5
    ranking_points = frame_by_column(app, "Phiên bản phương pháp")["Điểm"]
    assert all(p.endswith(" trên 64 điểm tính được") for p in ranking_points)
    assert chart_spec(app, "index_ranking_chart")["layout"]["xaxis"]["title"]["text"] == "Điểm"
    app.selectbox(key="f_month").set_value("2025-09-01").run()
    assert app.query_params["month"] == "2025-09-01"
    assert app.subheader[0].value == "Xếp hạng tỉnh, thành phố — Tháng 9/2025"


# --------------------------------------------------------------------------- early warning


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("level", ["all", "commune"])
def test_a_target_whose_year_runs_is_never_shown_as_met_or_not_met(
    served: Path, lang: str, level: str
) -> None:
    """Phú Thọ's 2025 targets while 2025 runs (data to September): forecast statuses only, in
    the card and in the list of every target; Hoà Bình's 2025 (legacy, over in June with six
    months) is incomplete, never met."""
    app = open_page(
        "scorecard", province="current-25", grain="month", period="2025-09-01", level=level,
        lang=lang,
    )  # fmt: skip
    status = "Đánh giá" if lang == "vi" else "Status"
    met, not_met = ("Đạt", "Chưa đạt") if lang == "vi" else ("Met", "Not met")
    incomplete = "Chưa đủ số liệu cả năm" if lang == "vi" else "Incomplete year"
    card = frame_by_column(app, status)
    plan = "Năm kế hoạch" if lang == "vi" else "Plan year"
    unit = "Tỉnh, thành phố" if lang == "vi" else "Province"
    targets = frame_by_column(app, plan)
    running = targets[(targets[plan] == "2025") & (targets[unit] == "Phú Thọ")]
    assert len(running) == 3

    def words(shown: object) -> set[str]:  # the status without its mark
        return {str(s).split(" ", 1)[-1] for s in shown}

    assert not words(running[status]) & {met, not_met}
    assert all(s.startswith(("🟠", "🔴", "⚪")) for s in running[status])
    assert words(targets[targets[unit] == "Hoà Bình"][status]) == {incomplete}
    shown_in_card = set(card[status])
    if level == "commune":
        assert shown_in_card & {"🔴 Chệch hướng", "🔴 Off track"}
    assert not words(shown_in_card) & {met, not_met}  # no 2025 target is judged


def test_scorecard_shows_the_forecast_its_method_and_its_back_test_error(served: Path) -> None:
    app = open_page(
        "scorecard", province="current-25", grain="month", period="2025-09-01", level="all"
    )
    assert any(h.value == "Dự báo cuối năm 2025" for h in app.subheader)
    forecast = frame_by_column(app, "Khoảng 80 % (%)")
    online = forecast[forecast["Chỉ tiêu"] == "Tỷ lệ hồ sơ trực tuyến"].iloc[0]
    assert online["Dự báo cuối năm (%)"] == "78,50 %"
    assert online["Khoảng 80 % (%)"] == "76,00 % – 81,00 %"
    assert online["Đánh giá"] == "🟠 Có nguy cơ không đạt"
    assert online["Mốc so sánh (%)"] == "80,00 %"
    # the method in two sentences, as the seed writes it
    ((explanation,),) = marts(
        served,
        "select explanation_vi from marts.dim_forecast_method where method_case = 'seasonal_trend'",
    )
    assert any(explanation in m.value for m in app.markdown)
    # back-test by hand: errors 2, 1 (cutoff 6) and 0,5 (cutoff 9) -> MAE 1,17; the intervals
    # held 2 of 3 actuals; the worst cutoff's P90 is 1,9
    (caption,) = [c.value for c in app.caption if "sai số tuyệt đối trung bình" in c.value]
    assert "3 dự báo" in caption and "1,17 điểm %" in caption
    assert "1,90 điểm %" in caption and "67 %" in caption
    errors = frame_by_column(app, "Lập cuối tháng")
    assert errors["Sai số TB (điểm %)"].tolist() == ["1,50", "0,50"]


def test_data_status_lists_anomaly_flags(served: Path) -> None:
    app = open_page("data_status")
    flags = frame_by_column(app, "Mức độ")
    assert len(flags) == 3
    assert flags["Mức độ"].tolist()[:2] == ["⚠ Cao", "⚠ Cao"]
    assert "Khối lượng bất thường" in set(flags["Quy tắc"])
    assert "Báo cáo không khớp hồ sơ" in set(flags["Quy tắc"])
    # KPI names and the legacy mark in the page's language, not codes
    assert "Tỷ lệ cấp kết quả điện tử" in set(flags["Chỉ tiêu"])
    assert "Tỉnh Hoà Bình (cũ)" in set(flags["Tỉnh, thành phố"])


def test_a_flagged_province_month_carries_a_marker(served: Path) -> None:
    overview = open_page(grain="month", period="2025-08-01", basis="current")
    ranking = frame_by_column(overview, "Hạng")
    marked = dict(zip(ranking["Tỉnh, thành phố"], ranking["⚠"], strict=True))
    assert marked["Tỉnh Tây Ninh"] == "⚠" and marked["Tỉnh Phú Thọ"] == ""
    flagged = open_page(
        "scorecard", province="current-80", grain="month", period="2025-08-01", level="all"
    )
    assert any(h.value.endswith("⚠") for h in flagged.subheader)
    assert any("dấu hiệu bất thường" in w.value for w in flagged.warning)
    # the agency whose June report does not reconcile is marked among Hoà Bình's agencies
    hoa_binh = open_page(
        "scorecard", province="legacy-17", grain="month", period="2025-06-01", level="all"
    )
    agencies = frame_by_column(hoa_binh, "Cơ quan, đơn vị")
    marked = dict(zip(agencies["Cơ quan, đơn vị"], agencies["⚠"], strict=True))
    assert marked["Sở 1 – Hoà Bình"] == "⚠"
    assert list(marked.values()).count("⚠") == 1
    # a low-severity flag (Phú Thọ, September) gives no marker
    quiet = open_page(
        "scorecard", province="current-25", grain="month", period="2025-09-01", level="all"
    )
    assert not any(h.value.endswith("⚠") for h in quiet.subheader)


# --------------------------------------------------------------------------- official figures


def test_index_page_shows_the_official_score_beside_the_computed_one(served: Path) -> None:
    app = open_page("service_index", month="2025-08-01", basis="current", province="current-25")
    official = frame_by_column(app, "Điểm chính thức")
    assert official.columns.tolist()[:3] == ["Nhóm", "Điểm tối đa", "Điểm chính thức"]
    progress = official[official["Nhóm"] == "Tiến độ giải quyết"].iloc[0]
    # fixture: published 17.81, computed 16.00 -> gap -1.81; rank 1 of the two provinces
    assert progress["Điểm chính thức"] == "17,81"
    assert progress["Điểm kho tính"] == "16,00"
    assert progress["Chênh lệch (tính − chính thức)"] == "−1,81"
    assert progress["Trung bình cả nước"] == "16,31"  # (14.81 + 17.81) / 2
    total = official[official["Nhóm"] == "Tổng điểm"].iloc[0]
    assert (total["Điểm chính thức"], total["Hạng chính thức"]) == ("62,18", "1")
    assert total["Điểm kho tính"] == "—"  # the warehouse computes no total (transparency)
    assert any("published_766_2026-ytd_2026-10-10T06-00.json" in c.value for c in app.caption)


def test_official_rankings_page_history_targets_and_national_tables(served: Path) -> None:
    app = open_page("official_rankings", province="current-25")
    # one table per index (DTI, PAPI); Hoà Bình and Phú Thọ (both now Phú Thọ) each with their
    # own PAPI 2024 result, unmerged
    dti, papi = [t.value for t in app.dataframe if "Tỉnh được xếp hạng" in t.value.columns]
    assert dti["Hạng / số tỉnh"].tolist() == ["12 / 34"]
    assert sorted(zip(papi["Tỉnh được xếp hạng"], papi["Hạng / số tỉnh"], strict=True)) == [
        ("Hoà Bình", "20 / 63"),
        ("Phú Thọ", "10 / 63"),
    ]
    targets = frame_by_column(app, "Văn bản nguồn")
    assert targets["Đánh giá"].tolist() == ["Chưa có số liệu", "Chưa đạt"]
    assert targets["Chỉ tiêu"].tolist() == [
        "Bằng hoặc cao hơn trung bình cả nước",
        "Top 10 cả nước",
    ]
    assert targets["Chênh lệch"].tolist()[1] == "−2 bậc"
    portal = frame_by_column(app, "Công khai, minh bạch")  # the portal's CKMB, by its name
    assert portal["Tỉnh, thành phố"].tolist() == ["Tỉnh Phú Thọ", "Thành phố Hà Nội"]
    assert portal["Điểm chính thức"].tolist() == ["62,18", "55,23"]


def test_official_rankings_national_table_per_index_and_year(served: Path) -> None:
    app = open_page("official_rankings", province="current-01", index_year="PAPI 2024")
    table = [t.value for t in app.dataframe if "Hạng trong vùng" in t.value.columns][-1]
    assert table["Tỉnh, thành phố"].tolist() == ["Phú Thọ", "Hoà Bình", "Hà Nội"]
    assert table["Hạng"].tolist() == ["10", "20", "30"]
    captions = [c.value for c in app.caption]
    assert "Bảng công bố một phần (61/63 tỉnh)" in captions
    assert "Trung bình cả nước: 43,43" in captions
    app.selectbox(key="f_index_year").set_value("DTI 2025").run()
    table = [t.value for t in app.dataframe if "Hạng trong vùng" in t.value.columns][-1]
    assert table["Điểm"].tolist() == ["0,5500"]


def test_official_rankings_in_english(served: Path) -> None:
    app = open_page("official_rankings", province="current-25", lang="en")
    assert app.title[0].value == "Official rankings"
    targets = frame_by_column(app, "Source document")
    assert targets["Target"].tolist() == ["At or above the national mean", "Top 10 nationally"]


# --------------------------------------------------------------------------- minimum sample


def test_lowest_agencies_leave_out_a_unit_of_four_dossiers_and_say_so(served: Path) -> None:
    """The fixture's 'UBND xã Nhỏ' has 4 dossiers a month at 0 %: under the default minimum of
    30 it must not top the scorecard's lowest agencies."""
    app = open_page(
        "scorecard", province="current-01", grain="month", period="2025-08-01", level="all"
    )
    bottom = frame_by_column(app, "Cơ quan, đơn vị")
    assert "UBND xã Nhỏ – Hà Nội" not in bottom["Cơ quan, đơn vị"].tolist()
    assert all(int(d.replace(".", "")) >= 30 for d in bottom["Mẫu số"])
    ((small,),) = marts(
        served,
        """
        select count(*) from marts.fct_kpi
        where kpi_code = 'online_dossier_rate' and province_code = '01' and unit_basis = 'current'
          and period_grain = 'month' and period_start = '2025-08-01'
          and agency_code is not null and procedure_field is null and value_pct is not null
          and denominator < 30""",
    )
    assert small == 1
    assert "Không đưa vào danh sách 1 cơ quan, đơn vị có mẫu số dưới 30 (mẫu quá nhỏ)." in [
        c.value for c in app.caption
    ]


def test_the_minimum_is_a_setting_rankings_rank_the_rest_and_tiles_say_small(
    served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCHC_MIN_DENOMINATOR", "5000")
    app = open_page(grain="month", period="2025-06-01", basis="reported", kpi="on_time_rate")
    expected = marts(
        served,
        """
        select province_name, denominator >= 5000 from marts.fct_kpi
        where kpi_code = 'on_time_rate' and province_code <> 'VN' and level = 'all'
          and period_grain = 'month' and period_start = '2025-06-01' and unit_basis = 'reported'
          and agency_code is null and procedure_field is null
        order by value_pct desc""",
    )
    kept = [name for name, enough in expected if enough]
    left_out = len(expected) - len(kept)
    assert kept and left_out  # the fixture has both at this minimum
    ranking = frame_by_column(app, "Hạng")
    assert ranking["Tỉnh, thành phố"].tolist() == kept
    assert ranking["Hạng"].tolist() == [str(n) for n in range(1, len(kept) + 1)]
    assert f"{left_out} tỉnh, thành phố có mẫu số dưới 5.000" in " ".join(
        c.value for c in app.caption
    )
    # every national tile is over far more than 5,000 dossiers but one: say which
    ((den,),) = marts(
        served,
        """
        select min(denominator) from marts.fct_kpi
        where province_code = 'VN' and level = 'all' and period_grain = 'month'
          and period_start = '2025-06-01' and unit_basis = 'reported' and value_pct is not null
          and agency_code is null and procedure_field is null""",
    )
    small_tiles = [m.label for m in app.metric if "mẫu nhỏ" in m.label]
    assert (den < 5000) == bool(small_tiles)
    monkeypatch.setenv("CCHC_MIN_DENOMINATOR", "10000000")
    app = open_page(grain="month", period="2025-06-01", basis="reported")
    assert all("(mẫu nhỏ: mẫu số " in m.label and "< 10.000.000)" in m.label for m in app.metric)


def test_a_minimum_that_is_not_a_whole_number_is_an_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dashboards.lib.sample import min_denominator

    monkeypatch.setenv("CCHC_MIN_DENOMINATOR", "thirty")
    with pytest.raises(ValueError, match="CCHC_MIN_DENOMINATOR='thirty'"):
        min_denominator()
    monkeypatch.setenv("CCHC_MIN_DENOMINATOR", "-1")
    with pytest.raises(ValueError, match="negative"):
        min_denominator()
    monkeypatch.delenv("CCHC_MIN_DENOMINATOR")
    assert min_denominator() == 30
