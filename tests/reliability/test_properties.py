"""Property-based tests: the number and period parsers, the report round trip, KPI roll-ups.

- ``parse_count``: every way a count is written (plain, Vietnamese ``88.424``, ``88,424``, spaces,
  non-breaking spaces, Excel floats) reads back as the number; anything else raises
  ``NumberFormatError``, never another exception.
- ``parse_period``: every month, quarter, year and date range, in any case, with or without
  diacritics, reads back as that period; arbitrary text returns None or raises
  ``PeriodFormatError``.
- the portal report: random agencies and counts, written as CSV or XLSX in the official layout
  (Vietnamese or plain numbers), parse back to the same numbers, agency by agency.
- KPI roll-ups: random agency counts through the SQL dbt compiles for ``marts.fct_kpi``: every
  level and province row's numerator and denominator are the sums of its agencies', and its
  value is 100 × Σ numerator / Σ denominator, never the mean of the agencies' percentages.
"""

from __future__ import annotations

import calendar
import contextlib
import os
import re
import subprocess
import sys
import unicodedata
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from pipelines.lib.periods import PeriodFormatError, parse_period
from pipelines.lib.vn_text import NumberFormatError, parse_count
from tests.reliability.conftest import PROPERTY_SETTINGS, ROOT
from tests.report_files import _official_layout, vn_number, write_csv, write_xlsx

pytestmark = pytest.mark.reliability

counts = st.integers(min_value=0, max_value=10**9)


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").replace("đ", "d")


# --- parse_count ------------------------------------------------------------------------------


@PROPERTY_SETTINGS
@given(n=st.integers(min_value=-(10**12), max_value=10**12), style=st.sampled_from(range(7)))
def test_parse_count_reads_every_way_a_count_is_written(n: int, style: int) -> None:
    written: object = {
        0: str(n),
        1: vn_number(n),
        2: f"{n:,}",
        3: f"  {vn_number(n)}\u00a0",
        4: n,
        5: float(n),
        6: f"{vn_number(n).replace('.', ' ')}",
    }[style]
    assert parse_count(written) == n  # style 6: "88 424", spaces as thousands separators


@PROPERTY_SETTINGS
@given(whole=st.integers(min_value=0, max_value=10**6), frac=st.integers(min_value=1, max_value=99))
def test_parse_count_refuses_a_fraction(whole: int, frac: int) -> None:
    for text in (f"{whole}.{frac:02d}", f"{vn_number(whole)},{frac:02d}", whole + frac / 100):
        with pytest.raises(NumberFormatError):
            parse_count(text)


@PROPERTY_SETTINGS
@given(text=st.text(max_size=30))
@example("1.2.3")
@example("12.34.567")
@example("--5")
@example("١٢٣")  # Arabic-Indic digits: str.isdigit, not a Vietnamese count
def test_parse_count_on_any_text_returns_a_count_or_a_number_error(text: str) -> None:
    try:
        value = parse_count(text)
    except NumberFormatError:
        return
    assert value is None or isinstance(value, int)


# --- parse_period -------------------------------------------------------------------------------

years = st.integers(min_value=2000, max_value=2099)
ROMAN = ["I", "II", "III", "IV"]


def _styled(text: str, style: int) -> str:
    return [text, text.upper(), _strip_marks(text), _strip_marks(text).lower()][style]


@PROPERTY_SETTINGS
@given(year=years, month=st.integers(1, 12), style=st.integers(0, 3), sep=st.sampled_from(
    ["/", " / ", " năm "]))  # fmt: skip
def test_a_month_title_reads_as_that_month(year: int, month: int, style: int, sep: str) -> None:
    title = _styled(f"Báo cáo tháng {month}{sep}{year}", style)
    period = parse_period(title)
    assert period is not None, title
    assert (period.grain, period.start) == ("month", date(year, month, 1))
    assert period.end == date(year, month, calendar.monthrange(year, month)[1])


@PROPERTY_SETTINGS
@given(year=years, quarter=st.integers(1, 4), roman=st.booleans(), style=st.integers(0, 3))
def test_a_quarter_title_reads_as_that_quarter(
    year: int, quarter: int, roman: bool, style: int
) -> None:
    label = ROMAN[quarter - 1] if roman else str(quarter)
    period = parse_period(_styled(f"Quý {label}/{year}", style))
    assert period is not None
    first = 3 * quarter - 2
    assert (period.grain, period.start) == ("quarter", date(year, first, 1))
    assert period.end == date(year, first + 2, calendar.monthrange(year, first + 2)[1])


@PROPERTY_SETTINGS
@given(start=st.dates(date(2000, 1, 1), date(2099, 12, 31)), days=st.integers(0, 800),
       style=st.integers(0, 3))  # fmt: skip
def test_a_date_range_reads_as_its_dates_and_the_right_grain(
    start: date, days: int, style: int
) -> None:
    end = start + timedelta(days=days)
    title = _styled(f"Từ ngày {start:%d/%m/%Y} đến ngày {end:%d/%m/%Y}", style)
    period = parse_period(title)
    assert period is not None
    assert (period.start, period.end) == (start, end)
    month_end = date(end.year, end.month, calendar.monthrange(end.year, end.month)[1])
    whole_months = start.day == 1 and end == month_end and start.year == end.year
    months = end.month - start.month + 1
    expected = "range"
    if whole_months and months == 1:
        expected = "month"
    elif whole_months and months == 3 and start.month % 3 == 1:
        expected = "quarter"
    elif whole_months and months == 12:
        expected = "year"
    assert period.grain == expected


@PROPERTY_SETTINGS
@given(year=years, style=st.integers(0, 3))
def test_a_year_title_reads_as_that_year(year: int, style: int) -> None:
    period = parse_period(_styled(f"Báo cáo năm {year}", style))
    assert period is not None
    assert (period.grain, period.start) == ("year", date(year, 1, 1))
    assert period.end == date(year, 12, 31)


@PROPERTY_SETTINGS
@given(text=st.text(max_size=60))
@example("Từ ngày 31/03/2021 đến ngày 01/01/2021")
@example("Tháng 13/2024")
@example("Quý V/2024")
def test_any_title_gives_a_period_none_or_a_period_error(text: str) -> None:
    with contextlib.suppress(PeriodFormatError):
        parse_period(text)


def test_an_impossible_date_in_a_range_is_a_period_error() -> None:
    with pytest.raises(PeriodFormatError):
        parse_period("Từ ngày 30/02/2021 đến ngày 31/03/2021")


# --- the portal report round trip ---------------------------------------------------------------

SECTIONS = ["I. Cấp tỉnh", "II. Cấp huyện", "III. Cấp xã"]
LEVEL_NAMES = {
    "I. Cấp tỉnh": [
        "Sở Tư pháp",
        "Sở Y tế",
        "Công an tỉnh",
        "Sở Xây dựng",
        "Sở Nội vụ",
        "Cục Thuế tỉnh",
    ],
    "II. Cấp huyện": ["UBND huyện Lạc Sơn", "UBND huyện Mai Châu", "UBND thành phố Hòa Bình"],
    "III. Cấp xã": ["UBND xã Hợp Thịnh", "UBND phường Thái Bình", "UBND thị trấn Mãn Đức"],
}
LEVEL_OF = {"I. Cấp tỉnh": "province", "II. Cấp huyện": "district", "III. Cấp xã": "commune"}


@st.composite
def agencies(draw):
    chosen = []
    for section in SECTIONS:
        names = draw(st.lists(st.sampled_from(LEVEL_NAMES[section]), unique=True, max_size=3))
        for name in names:
            chosen.append((section, name, draw(st.lists(counts, min_size=8, max_size=8))))
    assume(chosen)
    return chosen


PERIODS = [
    ("Tháng 3/2023", "month", date(2023, 3, 1)),
    ("Quý II/2024", "quarter", date(2024, 4, 1)),
    ("Năm 2023", "year", date(2023, 1, 1)),
    ("Từ ngày 01/01/2024 đến ngày 15/02/2024", "range", date(2024, 1, 1)),
]


@PROPERTY_SETTINGS
@given(
    rows=agencies(),
    fmt=st.sampled_from(["csv", "xlsx"]),
    vietnamese_numbers=st.booleans(),
    period=st.sampled_from(PERIODS),
    province=st.sampled_from(["Tỉnh Hòa Bình", "TỈNH HOÀ BÌNH", "Hoa Binh"]),
)
def test_a_written_report_parses_back_to_the_same_numbers(
    tmp_path_factory: pytest.TempPathFactory, rows, fmt, vietnamese_numbers, period, province
) -> None:
    from pipelines.lib.portal_report import parse_report

    title, grain, start = period
    number = vn_number if vietnamese_numbers else str
    grid = _official_layout(rows, province, title, number=number)
    path = tmp_path_factory.mktemp("report") / f"report.{fmt}"
    (write_csv if fmt == "csv" else write_xlsx)(path, grid)

    parsed = parse_report(path)

    assert (parsed.province_code, parsed.period.grain, parsed.period.start) == ("17", grain, start)
    got = parsed.rows.select(
        "agency_name", "level", "carried_over", "received_online", "received_direct_postal",
        "resolved_early", "resolved_on_time", "resolved_late", "in_progress_within_due",
        "in_progress_overdue", "received_total", "resolved_total", "in_progress_total",
        "returned_withdrawn",
    ).rows()  # fmt: skip
    expected = [
        (name, LEVEL_OF[section], *c, c[0] + c[1] + c[2], c[3] + c[4] + c[5], c[6] + c[7], 0)
        for section, name, c in rows
    ]
    assert got == expected
    if parsed.total_row is not None:
        assert parsed.total_row["received_online"] == sum(c[1] for _, _, c in rows)


def test_the_provincial_police_row_is_not_a_subtotal(tmp_path: Path) -> None:
    from pipelines.lib.portal_report import parse_report

    rows = [("I. Cấp tỉnh", "Công an tỉnh", [1, 2, 3, 4, 1, 1, 0, 0]),
            ("I. Cấp tỉnh", "Sở Y tế", [1, 2, 3, 4, 1, 1, 0, 0])]  # fmt: skip
    path = write_csv(tmp_path / "r.csv", _official_layout(rows, "Tỉnh Hòa Bình", "Tháng 3/2023"))
    assert parse_report(path).rows["agency_name"].to_list() == ["Công an tỉnh", "Sở Y tế"]


# --- KPI roll-ups through the SQL dbt compiles for marts.fct_kpi ------------------------------


@pytest.fixture(scope="module")
def fct_kpi_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    """fct_kpi's SQL as dbt compiles it (refs resolved to warehouse.<schema>.<table>)."""
    target = tmp_path_factory.mktemp("dbt-target")
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "compile", "--select", "fct_kpi",
         "--profiles-dir", ".", "--target-path", str(target), "--quiet"],
        cwd=ROOT / "dbt_project", capture_output=True, text=True,
        env={**os.environ,
             "CCHC_WAREHOUSE_DB": str(tmp_path_factory.mktemp("wh") / "warehouse.duckdb")},
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    (compiled,) = target.rglob("fct_kpi.sql")
    return compiled.read_text(encoding="utf-8")


COUNTS_CTE = re.compile(
    r"counts as \(\s*select(.*?)from \"warehouse\"\.\"intermediate\"\.\"int_kpi_counts\"", re.S
)
KEY_TYPES = {
    "unit_basis": "varchar", "period_grain": "varchar", "period_start": "date",
    "period_end": "date", "province_code": "varchar", "era": "varchar",
    "agency_code": "varchar", "level": "varchar", "procedure_field": "varchar",
    "months_covered": "integer", "is_complete": "boolean",
}  # fmt: skip


# int_kpi_units' rows are whole provinces and periods
UNIT_ROW_EXCLUDED = {"agency_code", "level", "procedure_field", "months_covered", "is_complete"}


def count_columns(sql: str) -> list[str]:
    """The count columns fct_kpi reads from int_kpi_counts, as dbt compiled them."""
    match = COUNTS_CTE.search(sql)
    assert match, "fct_kpi no longer starts from int_kpi_counts: teach this test its inputs"
    names = [c.strip() for c in match.group(1).split(",") if c.strip()]
    return [n for n in names if n not in KEY_TYPES]


@st.composite
def agency_counts(draw, columns: list[str]):
    """Agencies of one province-month, every count column drawn (>= 1, so every KPI is
    present at agency grain); some agencies with a zero numerator-prone column mix."""
    rows = []
    for i in range(draw(st.integers(1, 8))):
        row = {
            "unit_basis": "reported", "period_grain": "month",
            "period_start": date(2024, 3, 1), "period_end": date(2024, 3, 31),
            "province_code": "17", "era": "legacy", "agency_code": f"legacy/17/agency-{i}",
            "level": draw(st.sampled_from(["province", "district", "commune"])),
            "procedure_field": None, "months_covered": 1, "is_complete": True,
        }  # fmt: skip
        for column in columns:
            row[column] = draw(st.integers(1, 50_000))
        rows.append(row)
    return rows


@PROPERTY_SETTINGS
@given(data=st.data())
def test_kpi_roll_ups_add_counts_and_take_the_ratio_last(fct_kpi_sql: str, data) -> None:
    columns = count_columns(fct_kpi_sql)
    rows = data.draw(agency_counts(columns))
    con = duckdb.connect()
    con.execute("attach ':memory:' as warehouse")
    for schema in ("intermediate", "marts"):
        con.execute(f"create schema warehouse.{schema}")
    definition = [f"{k} {t}" for k, t in KEY_TYPES.items()] + [f"{c} bigint" for c in columns]
    con.execute(f"create table warehouse.intermediate.int_kpi_counts ({', '.join(definition)})")
    # who reported (int_kpi_units): not under test here, an empty table leaves the counts alone
    units = sorted(set(re.findall(r"units\.(units_\w+)", fct_kpi_sql)))
    unit_keys = [f"{k} {t}" for k, t in KEY_TYPES.items() if k not in UNIT_ROW_EXCLUDED]
    con.execute(
        "create table warehouse.intermediate.int_kpi_units "
        f"({', '.join(unit_keys + [f'{c} bigint' for c in units])})"
    )
    con.execute(
        "create table warehouse.marts.dim_province as select '17' as province_code, "
        "'legacy' as era, 'Tỉnh Hòa Bình' as province_name"
    )
    names = list(rows[0])
    con.executemany(
        f"insert into warehouse.intermediate.int_kpi_counts ({', '.join(names)}) "
        f"values ({', '.join('?' for _ in names)})",
        [list(r.values()) for r in rows],
    )
    kpi = con.execute(
        "select kpi_code, province_code, level, agency_code, numerator, denominator, value_pct "
        f"from ({fct_kpi_sql}) where procedure_field is null"
    ).fetchall()
    con.close()
    level_of = {r["agency_code"]: r["level"] for r in rows}
    agency_rows = [r for r in kpi if r[3] is not None]
    assert agency_rows, "no agency rows"
    for code in {r[0] for r in kpi}:
        mine = [r for r in agency_rows if r[0] == code]
        for province in ("17", "VN"):
            for level in ("all", "province", "district", "commune"):
                members = [r for r in mine if level == "all" or level_of[r[3]] == level]
                rolled = [
                    r for r in kpi
                    if r[0] == code and r[1] == province and r[2] == level and r[3] is None
                ]  # fmt: skip
                if not members:
                    assert rolled == [], (code, province, level)
                    continue
                assert len(rolled) == 1, (code, province, level, rolled)
                (_, _, _, _, numerator, denominator, value) = rolled[0]
                assert numerator == sum(r[4] for r in members), (code, province, level)
                assert denominator == sum(r[5] for r in members), (code, province, level)
                if denominator:
                    exact = Decimal(100) * numerator / denominator
                    assert abs(Decimal(str(value)) - exact) < Decimal("1e-6")
                    mean = sum(r[6] for r in members) / len(members)
                    if len({r[6] for r in members}) > 1 and len({r[5] for r in members}) > 1:
                        # not the mean of the agencies' percentages (unless they coincide)
                        assert abs(value - mean) > 1e-9 or abs(float(exact) - mean) < 1e-9
    for *_, numerator, denominator, value in kpi:
        if denominator:
            assert abs(value - 100 * numerator / denominator) < 1e-6
        else:
            assert value is None
