"""Hand-written reports as provinces print them, cell by cell, with hand-computed expectations.

Written here, independently of the generator and of the parser: the official form Biểu số
06/VPCP/KSTT (Circular 01/2020/TT-VPCP) with its title block, three header rows, the numbering row
(1)…(12), level sections carrying their own subtotal figures, direct and BCCI split, and the footer
every real report has; a report grouped by field (lĩnh vực) with subtotals; a signature block
under an ordinary quarterly report.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from tests.report_files import write_xlsx

# --- Phú Thọ (current code 25), Tháng 9/2026, the official form -----------------------------------
# Per agency: (level, name, online, direct, bcci, carried, early, on_time, late, within, overdue).
PHU_THO_2026_09: list[tuple[str, str, tuple[int, ...]]] = [
    ("province", "Sở Tư pháp", (120, 30, 5, 15, 100, 40, 6, 20, 4)),
    ("province", "Sở Xây dựng", (60, 12, 3, 25, 50, 25, 5, 18, 2)),
    ("commune", "UBND phường Việt Trì", (200, 40, 0, 10, 180, 50, 3, 15, 2)),
    ("commune", "UBND xã Hy Cương", (35, 20, 1, 4, 40, 15, 0, 5, 0)),
]
# The same figures in contract columns, added up by hand (direct + BCCI = direct_postal).
PHU_THO_AGENCY_COUNTS: dict[str, dict[str, int]] = {
    "Sở Tư pháp": {
        "received_total": 170, "carried_over": 15, "received_online": 120,
        "received_direct_postal": 35, "resolved_total": 146, "resolved_early": 100,
        "resolved_on_time": 40, "resolved_late": 6, "in_progress_total": 24,
        "in_progress_within_due": 20, "in_progress_overdue": 4, "returned_withdrawn": 0,
    },
    "Sở Xây dựng": {
        "received_total": 100, "carried_over": 25, "received_online": 60,
        "received_direct_postal": 15, "resolved_total": 80, "resolved_early": 50,
        "resolved_on_time": 25, "resolved_late": 5, "in_progress_total": 20,
        "in_progress_within_due": 18, "in_progress_overdue": 2, "returned_withdrawn": 0,
    },
    "UBND phường Việt Trì": {
        "received_total": 250, "carried_over": 10, "received_online": 200,
        "received_direct_postal": 40, "resolved_total": 233, "resolved_early": 180,
        "resolved_on_time": 50, "resolved_late": 3, "in_progress_total": 17,
        "in_progress_within_due": 15, "in_progress_overdue": 2, "returned_withdrawn": 0,
    },
    "UBND xã Hy Cương": {
        "received_total": 60, "carried_over": 4, "received_online": 35,
        "received_direct_postal": 21, "resolved_total": 55, "resolved_early": 40,
        "resolved_on_time": 15, "resolved_late": 0, "in_progress_total": 5,
        "in_progress_within_due": 5, "in_progress_overdue": 0, "returned_withdrawn": 0,
    },
}  # fmt: skip
# Per level and for the province, by hand: the subtotal rows of the sheet are NOT added again.
PHU_THO_LEVEL_COUNTS: dict[str, dict[str, int]] = {
    "province": {"received_total": 270, "received_online": 180, "received_direct_postal": 50,
                 "carried_over": 40, "resolved_total": 226, "resolved_early": 150,
                 "resolved_on_time": 65, "resolved_late": 11, "in_progress_total": 44,
                 "in_progress_within_due": 38, "in_progress_overdue": 6},
    "commune": {"received_total": 310, "received_online": 235, "received_direct_postal": 61,
                "carried_over": 14, "resolved_total": 288, "resolved_early": 220,
                "resolved_on_time": 65, "resolved_late": 3, "in_progress_total": 22,
                "in_progress_within_due": 20, "in_progress_overdue": 2},
    "all": {"received_total": 580, "received_online": 415, "received_direct_postal": 111,
            "carried_over": 54, "resolved_total": 514, "resolved_early": 370,
            "resolved_on_time": 130, "resolved_late": 14, "in_progress_total": 66,
            "in_progress_within_due": 58, "in_progress_overdue": 8},
}  # fmt: skip


def _official_row(name_cells: tuple[str, str], c: tuple[int, ...]) -> list[object]:
    """A data row of the official form: STT, name, then the 12 numbered columns (1)…(12):
    total received, online, direct, BCCI, carried over, resolved total, early, on time, late,
    in progress total, not yet due, overdue."""
    online, direct, bcci, carried, early, on_time, late, within, overdue = c
    return [
        *name_cells,
        online + direct + bcci + carried, online, direct, bcci, carried,
        early + on_time + late, early, on_time, late,
        within + overdue, within, overdue,
    ]  # fmt: skip


def _summed(rows: list[tuple[int, ...]]) -> tuple[int, ...]:
    return tuple(sum(column) for column in zip(*rows, strict=True))


def write_official_form(path: Path) -> Path:
    """Biểu số 06/VPCP/KSTT for Phú Thọ, Tháng 9/2026, as the circular prints it.

    Rows (1-based, as a spreadsheet shows them): 1-4 title block, 5-7 header, 8 numbering row,
    9 'I. Cấp tỉnh' with its subtotal, 10-11 departments, 12 'II. Cấp huyện' (empty: districts are
    abolished), 13 'III. Cấp xã' with its subtotal, 14-15 communes, 16 'Tổng cộng', then the footer.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Biểu 06")
    title = book.add_format({"bold": True, "align": "center"})
    head = book.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1})
    # Title block: issuing body left, form number right, report name, period, unit note.
    sheet.merge_range("A1:D1", "UBND TỈNH PHÚ THỌ", title)
    sheet.merge_range(
        "J1:N1",
        "Biểu số 06/VPCP/KSTT - Ban hành kèm theo Thông tư số 01/2020/TT-VPCP "
        "ngày 21 tháng 10 năm 2020",
    )
    sheet.merge_range(
        "A2:N2",
        "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC",
        title,
    )
    sheet.merge_range(
        "A3:N3", "Kỳ báo cáo: Tháng 9/2026 (Từ ngày 01/09/2026 đến ngày 30/09/2026)", title
    )
    sheet.write_string("L4", "Đơn vị tính: Số hồ sơ TTHC")
    # Header, three rows.
    sheet.merge_range("A5:A7", "STT", head)
    sheet.merge_range("B5:B7", "Lĩnh vực, công việc giải quyết theo cấp", head)
    sheet.merge_range("C5:G5", "Số hồ sơ nhận giải quyết", head)
    sheet.merge_range("H5:N5", "Kết quả giải quyết", head)
    sheet.merge_range("C6:C7", "Tổng số", head)
    sheet.merge_range("D6:G6", "Trong đó", head)
    sheet.merge_range("H6:K6", "Số hồ sơ đã giải quyết", head)
    sheet.merge_range("L6:N6", "Số hồ sơ đang giải quyết", head)
    leaves = [
        "Số mới tiếp nhận trực tuyến", "Số mới tiếp nhận trực tiếp",
        "Số mới tiếp nhận qua BCCI", "Số kỳ trước chuyển qua", "Tổng số", "Trả trước hạn",
        "Trả đúng thời hạn", "Trả quá hạn", "Tổng số", "Chưa đến hạn", "Quá hạn",
    ]  # fmt: skip
    for offset, text in enumerate(leaves):
        sheet.write_string(6, 3 + offset, text, head)
    # Numbering row: A, B, then (1)…(12).
    sheet.write_row(7, 0, ["A", "B", *[f"({n})" for n in range(1, 13)]], head)

    province = [c for level, _, c in PHU_THO_2026_09 if level == "province"]
    commune = [c for level, _, c in PHU_THO_2026_09 if level == "commune"]
    body: list[list[object]] = [
        _official_row(("I", "Cấp tỉnh"), _summed(province)),
        _official_row(("1", "Sở Tư pháp"), PHU_THO_2026_09[0][2]),
        _official_row(("2", "Sở Xây dựng"), PHU_THO_2026_09[1][2]),
        ["II", "Cấp huyện"],
        _official_row(("III", "Cấp xã"), _summed(commune)),
        _official_row(("1", "UBND phường Việt Trì"), PHU_THO_2026_09[2][2]),
        _official_row(("2", "UBND xã Hy Cương"), PHU_THO_2026_09[3][2]),
        _official_row(("", "Tổng cộng"), _summed(province + commune)),
    ]
    for index, row in enumerate(body):
        sheet.write_row(8 + index, 0, row)
    # Footer: place and date, signature blocks, names, recipients, notes.
    footer = {
        17: {9: "Phú Thọ, ngày 05 tháng 10 năm 2026"},
        18: {1: "NGƯỜI LẬP BIỂU", 9: "KT. CHỦ TỊCH"},
        19: {9: "PHÓ CHỦ TỊCH"},
        20: {1: "(Ký, ghi rõ họ tên)", 9: "(Ký tên, đóng dấu)"},
        23: {1: "Nguyễn Thị Lan", 9: "Trần Văn Minh"},
        25: {0: "Nơi nhận:"},
        26: {0: "- Văn phòng Chính phủ (Cục Kiểm soát TTHC);"},
        27: {0: "- Lưu: VT, KSTT."},
        29: {0: "Ghi chú: (1) = (2) + (3) + (4) + (5); (6) = (7) + (8) + (9)"},
        30: {0: "* Số liệu trích xuất từ Hệ thống thông tin giải quyết TTHC tỉnh."},
    }
    for row_number, cells in footer.items():
        for column, text in cells.items():
            sheet.write_string(row_number - 1, column, text)
    book.close()
    return path


# --- a report grouped by field (lĩnh vực), with subtotal figures on the field rows ---------------
# Hòa Bình (legacy 17), Tháng 3/2025. Levels come from the agencies' names (no level sections).
# (carried, online, direct_postal, returned, early, on_time, late, within, overdue)
FIELD_GROUPED_AGENCIES: list[tuple[str, str, tuple[int, ...]]] = [
    ("1. Lĩnh vực Hộ tịch, chứng thực", "Sở Tư pháp", (5, 40, 10, 1, 30, 10, 2, 10, 2)),
    ("1. Lĩnh vực Hộ tịch, chứng thực", "UBND xã Hợp Thịnh", (2, 20, 8, 0, 20, 5, 0, 5, 0)),
    ("2. Lĩnh vực Đất đai", "Sở Tài nguyên và Môi trường", (10, 50, 5, 2, 40, 10, 3, 8, 2)),
    ("2. Lĩnh vực Đất đai", "UBND huyện Lạc Sơn", (20, 30, 10, 0, 30, 15, 5, 8, 2)),
]
# '3. Lĩnh vực Y tế' has figures and no agency under it: a row of data of its own.
FIELD_LEAF = ("3. Lĩnh vực Y tế", (0, 12, 3, 0, 10, 4, 0, 1, 0))
# By hand: per level (the field rows' subtotals not added again; the leaf field row is
# province-level by its name, which names no district or commune).
FIELD_GROUPED_LEVELS = {
    # level: (received_total, resolved_total, resolved_late, in_progress_overdue, rows)
    "province": (55 + 65 + 15, 42 + 53 + 14, 2 + 3 + 0, 2 + 2 + 0, 3),
    "commune": (30, 25, 0, 0, 1),
    "district": (60, 50, 5, 2, 1),
}


def _field_row(stt: str, name: str, c: tuple[int, ...]) -> list[str]:
    carried, online, direct_postal, returned, early, on_time, late, within, overdue = c
    values = [
        carried + online + direct_postal, carried, online, direct_postal,
        early + on_time + late, early, on_time, late, within + overdue, within, overdue, returned,
    ]  # fmt: skip
    return [stt, name, *(str(v) for v in values)]


def field_grouped_rows(subtotal_error: int = 0) -> list[list[str]]:
    """Sections by field with their subtotals on the section row, a 'Tổng cộng' row and a
    footer; ``subtotal_error`` is added to the first field's stated received total."""
    rows: list[list[str]] = [
        ["UBND TỈNH HÒA BÌNH"],
        ["BÁO CÁO TÌNH HÌNH GIẢI QUYẾT TTHC THEO LĨNH VỰC"],
        ["Tháng 3/2025"],
        ["STT", "Đơn vị", "Tiếp nhận", "", "", "", "Đã giải quyết", "", "", "",
         "Đang giải quyết", "", "", "Trả lại/Rút hồ sơ"],
        ["", "", "Tổng số", "Kỳ trước chuyển sang", "Trực tuyến", "Trực tiếp, bưu chính",
         "Tổng số", "Trước hạn", "Đúng hạn", "Quá hạn", "Tổng số", "Trong hạn", "Quá hạn", ""],
    ]  # fmt: skip
    fields: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
    for field_name, agency, counts in FIELD_GROUPED_AGENCIES:
        fields.setdefault(field_name, []).append((agency, counts))
    all_counts = []
    for field_name, agencies in fields.items():
        subtotal = list(_summed([c for _, c in agencies]))
        all_counts += [c for _, c in agencies]
        section = _field_row("", field_name, tuple(subtotal))
        if field_name.startswith("1."):
            section[2] = str(int(section[2]) + subtotal_error)
        rows.append(section)
        rows += [_field_row(str(n), a, c) for n, (a, c) in enumerate(agencies, start=1)]
    rows.append(_field_row("", *FIELD_LEAF))
    rows.append(_field_row("", "Tổng cộng", _summed([*all_counts, FIELD_LEAF[1]])))
    rows += [
        [],
        ["", "", "", "", "", "", "", "", "", "Hòa Bình, ngày 03 tháng 4 năm 2025"],
        ["", "Người lập biểu", "", "", "", "", "", "", "", "Thủ trưởng đơn vị"],
    ]
    return rows


def with_signature_block(rows: list[list[str]]) -> list[list[str]]:
    """The usual block under a report: signature titles in the name column and in a count
    column, the '(Ký, ghi rõ họ tên)' line, the names."""
    width = max(len(row) for row in rows)
    blank = [""] * width

    def at(cells: dict[int, str]) -> list[str]:
        row = blank[:]
        for column, text in cells.items():
            row[column] = text
        return row

    return [
        *rows,
        blank[:],
        at({1: "Người lập biểu", 10: "Thủ trưởng đơn vị"}),
        at({1: "(Ký, ghi rõ họ tên)", 10: "(Ký tên, đóng dấu)"}),
        blank[:],
        at({1: "Đinh Thị Hoa", 10: "Bùi Văn Khánh"}),
    ]


def write_quarterly_with_signatures(path: Path, rows: list[list[str]]) -> Path:
    return write_xlsx(path, with_signature_block(rows))
