"""The report parser on the layouts provinces really use, in XLSX and CSV."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipelines.lib.files import FileReadError
from pipelines.lib.periods import parse_period
from pipelines.lib.portal_report import ReportFormatError, parse_report
from pipelines.lib.vn_text import NumberFormatError, parse_count
from tests.report_files import (
    HOA_BINH_TOTALS,
    hoa_binh_q1_2023_rows,
    write_csv,
    write_xlsx,
)


def _sums(report) -> dict[str, int]:
    return {c: int(report.rows[c].sum()) for c in HOA_BINH_TOTALS}


@pytest.mark.parametrize(
    "writer",
    [
        lambda p, rows: write_csv(p / "r.csv", rows),
        lambda p, rows: write_csv(p / "r.csv", rows, encoding="utf-8-sig"),
        lambda p, rows: write_csv(p / "r.csv", rows, encoding="cp1258"),
        lambda p, rows: write_xlsx(p / "r.xlsx", rows),
        lambda p, rows: write_xlsx(p / "r.xlsx", rows, merge_header=False),
    ],
    ids=["csv-utf8", "csv-bom", "csv-windows-1258", "xlsx-merged", "xlsx-plain"],
)
def test_official_layout_gives_the_seed_figures(tmp_path: Path, writer) -> None:
    report = parse_report(writer(tmp_path, hoa_binh_q1_2023_rows()))
    assert (report.province_code, report.province_name) == ("17", "Tỉnh Hoà Bình")
    assert (report.period.grain, report.period.start, report.period.end) == (
        "quarter",
        date(2023, 1, 1),
        date(2023, 3, 31),
    )
    assert report.rows.height == 4  # total row and section rows are not agency rows
    assert _sums(report) == HOA_BINH_TOTALS
    assert report.total_row is not None and report.total_row["received_total"] == 88_424
    assert report.rows["level"].to_list() == ["province", "province", "district", "commune"]


def test_columns_are_mapped_by_header_text_not_position(tmp_path: Path) -> None:
    """Carried-over first, direct and postal split, single-row headers in real wordings."""
    rows = [
        ["UBND TỈNH HOÀ BÌNH"],
        ["Kết quả giải quyết TTHC từ ngày 01/01/2023 đến ngày 31/03/2023"],
        [
            "STT",
            "Cơ quan",
            "Số kỳ trước chuyển qua",
            "Số mới tiếp nhận trực tuyến",
            "Số mới tiếp nhận trực tiếp",
            "Số mới tiếp nhận qua BCCI",
            "Đã giải quyết - Trả trước hạn",
            "Đã giải quyết - Trả đúng thời hạn",
            "Đã giải quyết - Trễ hạn",
            "Đang giải quyết - Chưa đến hạn",
            "Đang giải quyết - Quá hạn",
            "Chờ bổ sung",
        ],
        ["1", "Sở Tư pháp", "10", "100", "5", "3", "90", "10", "1", "16", "1", "7"],
        [
            "2",
            "UBND xã Hợp Thịnh",
            "1.000",
            "2.000",
            "300",
            "0",
            "2.500",
            "700",
            "0",
            "100",
            "0",
            "0",
        ],
    ]
    report = parse_report(write_csv(tmp_path / "variant.csv", rows))
    first, second = report.rows.to_dicts()
    assert first["carried_over"] == 10 and first["received_online"] == 100
    assert first["received_direct_postal"] == 8  # direct 5 + postal 3
    assert first["received_total"] == 118  # derived: the form has no total column
    assert first["resolved_total"] == 101 and first["in_progress_total"] == 17
    assert second["carried_over"] == 1_000 and second["resolved_early"] == 2_500
    assert second["level"] == "commune"
    assert report.period.grain == "quarter"
    assert report.ignored_columns == ["Chờ bổ sung"]


def test_a_header_that_cannot_be_mapped_is_refused(tmp_path: Path) -> None:
    rows = hoa_binh_q1_2023_rows()
    rows[5][4] = "Cột lạ"  # the 'Trực tuyến' leaf header replaced
    with pytest.raises(
        ReportFormatError, match=r"header .*rows 4-6.*cannot be mapped.*received_online"
    ):
        parse_report(write_csv(tmp_path / "bad.csv", rows))


def test_an_unknown_province_is_an_error_never_a_new_province(tmp_path: Path) -> None:
    rows = hoa_binh_q1_2023_rows(title_province="Tỉnh Hòa Bìnhh Mới")
    rows[0] = ["UBND TỈNH ATLANTIS"]
    with pytest.raises(ReportFormatError, match="no province known for 01/2023"):
        parse_report(write_csv(tmp_path / "x.csv", rows))


def test_the_province_is_resolved_for_the_period(tmp_path: Path) -> None:
    """Code 80 was Long An until June 2025 and is Tây Ninh after; a name is read for its era."""
    rows = hoa_binh_q1_2023_rows()
    rows[0] = ["UBND TỈNH TÂY NINH"]
    rows[2] = ["Tháng 8/2025"]
    report = parse_report(write_csv(tmp_path / "tn.csv", rows))
    assert (report.province_code, report.province_name) == ("80", "Tỉnh Tây Ninh")
    rows[2] = ["Tháng 3/2025"]
    assert parse_report(write_csv(tmp_path / "tn2.csv", rows)).province_code == "72"


def test_an_empty_file_and_an_extra_sheet_are_refused(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FileReadError, match="empty"):
        parse_report(empty)
    extra = write_xlsx(tmp_path / "two.xlsx", hoa_binh_q1_2023_rows(), extra_sheet=True)
    with pytest.raises(FileReadError, match="2 sheets with data"):
        parse_report(extra)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("88.424", 88_424),
        ("88424", 88_424),
        ("1.234.567", 1_234_567),
        ("", None),
        ("0", 0),
        ("-5", -5),
        (12.0, 12),
        (" 4.453 ", 4_453),
    ],
)
def test_vietnamese_counts(text, expected) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize("text", ["12,5", "abc", "1.5"])
def test_non_counts_are_refused(text) -> None:
    with pytest.raises(NumberFormatError):
        parse_count(text)


@pytest.mark.parametrize(
    ("title", "grain", "start", "end"),
    [
        ("Tháng 3/2023", "month", date(2023, 3, 1), date(2023, 3, 31)),
        ("BÁO CÁO QUÝ IV/2024", "quarter", date(2024, 10, 1), date(2024, 12, 31)),
        ("Năm 2024", "year", date(2024, 1, 1), date(2024, 12, 31)),
        ("Từ ngày 01/01/2023 đến ngày 31/03/2023", "quarter", date(2023, 1, 1), date(2023, 3, 31)),
        ("Từ ngày 15/01/2023 đến ngày 14/02/2023", "range", date(2023, 1, 15), date(2023, 2, 14)),
        ("6 tháng đầu năm 2025", "half_year", date(2025, 1, 1), date(2025, 6, 30)),
    ],
)
def test_periods(title, grain, start, end) -> None:
    period = parse_period(title)
    assert period is not None and (period.grain, period.start, period.end) == (grain, start, end)
