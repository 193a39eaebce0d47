"""Bad inputs, one fault each, as provinces' exports really go wrong.

Each ``BadInput`` writes one file into a landing folder and says what the warehouse must do with
it: ``reject`` the file whole (``audit.loads.outcome = 'rejected'``, the message names the file,
the place and the rule) or ``quarantine`` rows (``audit.quarantine`` holds each bad row with its
row number, rule and original values, and the good rows load). Either way no row is lost:
``rows_in = rows_loaded + rows_quarantined`` for every file.

Every portal report here has its own period (``Tháng k/2022``, then ``Tháng k/2021``), so no
two of them, and none of them and the clean Hòa Bình Q1/2023 file, are versions of the same
report (a later version would replace an earlier one in the marts: a different feature).

The generator's ``--dirty`` faults (F1-F9, ``pipelines/sample_data/dirty.py``) come on top: the
suite lands them too and checks each against the generator's manifest.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from tests.report_files import (
    HOA_BINH_Q1_2023_AGENCIES,
    _official_layout,
    vn_number,
    write_csv,
    write_xlsx,
)

Rows = list[list[str]]

# Row positions in the official layout built from HOA_BINH_Q1_2023_AGENCIES.
TITLE_PROVINCE, TITLE_PERIOD = 0, 2
GROUP_HEADER, SUB_HEADER, LEAF_HEADER = 3, 4, 5
SO_TU_PHAP, SO_TNMT, LAC_SON, HOP_THINH, TOTAL = 8, 9, 11, 13, 14
AGENCY_ROWS = 4
# Columns: 2 received total, 3 carried, 4 online, 5 direct/postal, 6 resolved total, 7 early,
# 8 on time, 9 late, 10 in progress total, 11 within due, 12 overdue, 13 returned.


@dataclass(frozen=True)
class BadInput:
    id: str
    source: str
    file_name: str
    fault: str
    expect: str  # "reject" | "quarantine"
    rules: tuple[str, ...]  # any of these names the rule (message "[rule]" or quarantine.rule)
    write: Callable[[Path], None] = field(repr=False)
    data_rows: int | None = None  # rows the file holds (quarantine cases): none may be lost
    bad_rows: int | None = None  # of which quarantined
    mentions: tuple[str, ...] = ()  # words the message must contain (the place: header, row ...)


def period_of(case_number: int) -> str:
    return f"Tháng {case_number}/2022" if case_number <= 12 else f"Tháng {case_number - 12}/2021"


def report(case_number: int, province: str = "Tỉnh Hòa Bình") -> Rows:
    return _official_layout(HOA_BINH_Q1_2023_AGENCIES, province, period_of(case_number))


def _edit(rows: Rows, edits: dict[tuple[int, int], str]) -> Rows:
    for (r, c), value in edits.items():
        while len(rows[r]) <= c:
            rows[r].append("")
        rows[r][c] = value
    return rows


def _csv(rows_fn: Callable[[], Rows]) -> Callable[[Path], None]:
    return lambda path: write_csv(path, rows_fn()) and None


def _xlsx(rows_fn: Callable[[], Rows], **kwargs) -> Callable[[Path], None]:
    return lambda path: write_xlsx(path, rows_fn(), **kwargs) and None


def _bytes(data: bytes) -> Callable[[Path], None]:
    def write(path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)

    return write


def _truncated_xlsx(path: Path) -> None:
    write_xlsx(path, report(20))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _xlsx_without_sheet(path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _utf16_csv(path: Path) -> None:
    text = "\n".join(",".join(row) for row in report(22))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-16"))


def _html_as_xls(path: Path) -> None:
    cells = "".join(f"<tr>{''.join(f'<td>{c}</td>' for c in row)}</tr>" for row in report(23))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"<html><body><table>{cells}</table></body></html>", encoding="utf-8")


def _no_agency_rows() -> Rows:
    rows = report(11)
    return rows[:7]


def _duplicate_online_column() -> Rows:
    rows = report(10)
    rows[LEAF_HEADER][5] = "Trực tuyến"  # direct/postal headed as online: two online columns
    return rows


def _missing_overdue_column() -> Rows:
    rows = report(9)
    # the in-progress 'Quá hạn' column is dropped: the form has no overdue count at all
    return [row[:12] + row[13:] for row in rows]


# fmt: off
PORTAL_REPORT: list[BadInput] = [
    # --- row faults: the row is quarantined with its rule, the other agencies load ---
    BadInput(
        "R01", "portal_report", "r01_received_identity.csv", "received total ≠ its parts",
        "quarantine", ("received_identity",),
        _csv(lambda: _edit(report(1), {(SO_TU_PHAP, 2): "99.999"})), AGENCY_ROWS, 1,
    ),
    BadInput(
        "R02", "portal_report", "r02_resolved_identity.xlsx", "resolved total ≠ its parts",
        "quarantine", ("resolved_identity",),
        _xlsx(lambda: _edit(report(2), {(SO_TNMT, 6): vn_number(20_055)})), AGENCY_ROWS, 1,
    ),
    BadInput(
        "R03", "portal_report", "r03_in_progress_identity.csv", "in progress total ≠ its parts",
        "quarantine", ("in_progress_identity",),
        _csv(lambda: _edit(report(3), {(LAC_SON, 10): vn_number(3_480)})), AGENCY_ROWS, 1,
    ),
    BadInput(
        "R04", "portal_report", "r04_balance_identity.csv",
        "received ≠ resolved + in progress + returned (each group adds up)", "quarantine",
        ("balance_identity",),
        _csv(lambda: _edit(report(4), {(HOP_THINH, 2): vn_number(19_510),
                                       (HOP_THINH, 3): vn_number(3_010)})),
        AGENCY_ROWS, 1,
    ),
    BadInput(
        "R05", "portal_report", "r05_negative_count.xlsx", "a negative count",
        "quarantine", ("counts_non_negative", "non_negative_counts"),
        _xlsx(lambda: _edit(report(5), {(SO_TU_PHAP, 9): "-86", (SO_TU_PHAP, 8): "3.311"})),
        AGENCY_ROWS, 1,
    ),
    BadInput(
        "R06", "portal_report", "r06_decimal_comma.csv", "a count with a decimal comma (12,5)",
        "quarantine", ("counts_are_whole_numbers",),
        _csv(lambda: _edit(report(6), {(SO_TNMT, 9): "50,5"})), AGENCY_ROWS, 1,
    ),
    BadInput(
        "R07", "portal_report", "r07_decimal_point.csv", "a count with a decimal point (1.5)",
        "quarantine", ("counts_are_whole_numbers",),
        _csv(lambda: _edit(report(7), {(LAC_SON, 9): "30.5"})), AGENCY_ROWS, 1,
    ),
    BadInput(
        "R08", "portal_report", "r08_text_in_count.csv", "text where a count belongs ('n/a')",
        "quarantine", ("counts_are_whole_numbers",),
        _csv(lambda: _edit(report(8), {(HOP_THINH, 12): "n/a"})), AGENCY_ROWS, 1,
    ),
    BadInput(
        "R09", "portal_report", "r09_two_bad_rows.xlsx", "two agencies with broken identities",
        "quarantine", ("received_identity", "resolved_identity"),
        _xlsx(lambda: _edit(report(12), {(SO_TU_PHAP, 2): "1", (LAC_SON, 6): "2"})),
        AGENCY_ROWS, 2,
    ),
    # --- file faults: the file is rejected whole, with the place and the rule ---
    BadInput(
        "F01", "portal_report", "f01_unknown_group_header.csv", "an unmappable group header",
        "reject", ("header_mappable", "header_unmappable"),
        _csv(lambda: _edit(report(13), {(GROUP_HEADER, 2): "Cột không rõ"})),
        mentions=("header",),
    ),
    BadInput(
        "F02", "portal_report", "f02_duplicate_online.csv", "two columns headed 'Trực tuyến'",
        "reject", ("header_mappable", "header_unmappable"), _csv(_duplicate_online_column),
        mentions=("header",),
    ),
    BadInput(
        "F03", "portal_report", "f03_missing_overdue.xlsx", "no in-progress overdue column",
        "reject", ("header_mappable", "header_unmappable"),
        _xlsx(_missing_overdue_column, merge_header=False), mentions=("header",),
    ),
    BadInput(
        "F04", "portal_report", "f04_empty.csv", "a zero-byte file",
        "reject", ("file_readable", "non_empty_file"), _bytes(b""), mentions=("empty",),
    ),
    BadInput(
        "F05", "portal_report", "f05_blank_lines.csv", "only blank lines",
        "reject", ("file_readable", "non_empty_file"), _bytes(b"\r\n\r\n  \r\n"),
        mentions=("empty",),
    ),
    BadInput(
        "F06", "portal_report", "f06_no_period.csv", "no period in the title rows",
        "reject", ("header_mappable", "period"),
        _csv(lambda: _edit(report(14), {(TITLE_PERIOD, 0): "BÁO CÁO ĐỊNH KỲ"})),
        mentions=("period",),
    ),
    BadInput(
        "F07", "portal_report", "f07_month_13.csv", "a month that does not exist (Tháng 13)",
        "reject", ("header_mappable", "period"),
        _csv(lambda: _edit(report(15), {(TITLE_PERIOD, 0): "Tháng 13/2022"})),
        mentions=("13",),
    ),
    BadInput(
        "F08", "portal_report", "f08_range_backwards.csv", "a range ending before it starts",
        "reject", ("header_mappable", "period"),
        _csv(lambda: _edit(report(16), {(TITLE_PERIOD, 0):
                                        "Từ ngày 31/03/2021 đến ngày 01/01/2021"})),
        mentions=("before",),
    ),
    BadInput(
        "F09", "portal_report", "f09_impossible_date.csv", "a date that does not exist (30/02)",
        "reject", ("header_mappable", "period"),
        _csv(lambda: _edit(report(17), {(TITLE_PERIOD, 0):
                                        "Từ ngày 30/02/2021 đến ngày 31/03/2021"})),
        mentions=("30/02/2021",),
    ),
    BadInput(
        "F10", "portal_report", "f10_unknown_province.xlsx", "a province that never was (Sông Bé)",
        "reject", ("header_mappable", "unknown_province"),
        _xlsx(lambda: report(18, "Tỉnh Sông Bé")),
        mentions=("province",),
    ),
    BadInput(
        "F11", "portal_report", "f11_no_province.csv", "no province named in the title rows",
        "reject", ("header_mappable", "unknown_province"),
        _csv(lambda: _edit(report(19), {(TITLE_PROVINCE, 0): "BÁO CÁO"})),
        mentions=("province",),
    ),
    BadInput(
        "F12", "portal_report", "f12_truncated.xlsx", "an XLSX cut off half way (broken zip)",
        "reject", ("file_readable",), _truncated_xlsx, mentions=("Excel",),
    ),
    BadInput(
        "F13", "portal_report", "f13_zip_without_sheet.xlsx", "a zip archive with no worksheet",
        "reject", ("file_readable",), _xlsx_without_sheet, mentions=("Excel",),
    ),
    BadInput(
        "F14", "portal_report", "f14_utf16.csv", "a CSV in UTF-16", "reject",
        ("file_readable", "header_mappable", "header_unmappable", "utf8_encoding"), _utf16_csv,
    ),
    BadInput(
        "F15", "portal_report", "f15_html_table.xls", "an HTML table saved as .xls",
        "reject", ("file_readable",), _html_as_xls,
    ),
    BadInput(
        "F16", "portal_report", "f16_scan.pdf", "a PDF scan of the report",
        "reject", ("file_readable", "file_format"),
        _bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"),
        mentions=("pdf",),
    ),
    BadInput(
        "F17", "portal_report", "f17_header_only.csv", "a header and no agency rows",
        "reject", ("header_mappable", "no_rows", "file_readable"), _csv(_no_agency_rows),
    ),
    BadInput(
        "F18", "portal_report", "f18_xlsx_extra_sheet.xlsx", "a second sheet with notes",
        "reject", ("file_readable", "single_sheet"),
        _xlsx(lambda: report(21), extra_sheet=True), mentions=("sheet",),
    ),
]
# fmt: on


# --- dossier-level exports (checked once the dossiers source is ingested) ---------------------

DOSSIER_HEADER = (
    "dossier_id,province_code,province_name,agency_code,agency_name,agency_level,commune_code,"
    "procedure_code,procedure_field,channel,online_level,received_at,due_at,resolved_at,status,"
    "dossier_digitized,result_digitized,e_result_issued,data_reused,fee_required,paid_online,"
    "fee_amount_vnd"
)


def _dossier_line(n: int, **overrides: str) -> str:
    values = {
        "dossier_id": f"25.2203.{n:06d}",
        "province_code": "25",
        "province_name": "Tỉnh Phú Thọ",
        "agency_code": "25.S01",
        "agency_name": "Sở Tư pháp",
        "agency_level": "province",
        "commune_code": "",
        "procedure_code": "1.001234",
        "procedure_field": "Hộ tịch",
        "channel": "online",
        "online_level": "full",
        "received_at": "2026-03-02 08:00:00",
        "due_at": "2026-03-05 17:00:00",
        "resolved_at": "2026-03-04 10:00:00",
        "status": "resolved",
        "dossier_digitized": "true",
        "result_digitized": "true",
        "e_result_issued": "true",
        "data_reused": "false",
        "fee_required": "false",
        "paid_online": "false",
        "fee_amount_vnd": "0",
    }
    values.update(overrides)
    return ",".join(values[c] for c in DOSSIER_HEADER.split(","))


def _dossier_csv(bad: dict[str, str], rows: int = 5, header: str = DOSSIER_HEADER):
    def write(path: Path) -> None:
        lines = [header]
        for n in range(1, rows + 1):
            lines.append(_dossier_line(n, **(bad if n == 2 else {})))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return write


def _parquet_truncated(path: Path) -> None:
    frame = pl.read_csv(
        io.StringIO("\n".join([DOSSIER_HEADER, *(_dossier_line(n) for n in range(1, 6))])),
        infer_schema=False,
    )
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    data = buffer.getvalue()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data[: len(data) // 2])


# fmt: off
DOSSIERS: list[BadInput] = [
    BadInput(
        "D01", "dossiers", "d01_status_unknown.csv", "a status outside the contract ('pending')",
        "quarantine", ("status",), _dossier_csv({"status": "pending"}), 5, 1,
    ),
    BadInput(
        "D02", "dossiers", "d02_channel_unknown.csv", "a channel outside the contract ('fax')",
        "quarantine", ("channel",), _dossier_csv({"channel": "fax"}), 5, 1,
    ),
    BadInput(
        "D03", "dossiers", "d03_resolved_before_received.csv", "resolved before it was received",
        "quarantine", ("resolved", "received"),
        _dossier_csv({"resolved_at": "2026-02-01 08:00:00"}), 5, 1,
    ),
    BadInput(
        "D04", "dossiers", "d04_negative_fee.csv", "a negative fee amount",
        "quarantine", ("fee",), _dossier_csv({"fee_amount_vnd": "-1000"}), 5, 1,
    ),
    BadInput(
        "D05", "dossiers", "d05_missing_received_at_column.csv", "no received_at column at all",
        "reject", ("column", "header", "received_at"),
        _dossier_csv({}, header=DOSSIER_HEADER.replace("received_at", "ngay_xyz")),
    ),
    BadInput(
        "D06", "dossiers", "d06_truncated.parquet", "a Parquet file cut off half way",
        "reject", ("file_readable", "parquet", "readable"), _parquet_truncated,
    ),
    BadInput(
        "D07", "dossiers", "d07_empty_id.csv", "a dossier without an id",
        "quarantine", ("dossier_id",), _dossier_csv({"dossier_id": ""}), 5, 1,
    ),
]
# fmt: on

CORPUS: list[BadInput] = PORTAL_REPORT + DOSSIERS
assert len({c.id for c in CORPUS}) == len(CORPUS)
assert len({c.file_name for c in CORPUS}) == len(CORPUS)


def land_corpus(landing: Path, cases: list[BadInput] = CORPUS) -> None:
    for case in cases:
        case.write(landing / case.source / case.file_name)
