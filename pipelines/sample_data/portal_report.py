"""Writers of the aggregate dossier report (portal_report) in the layouts real provinces use.

A report is a list of agency rows (level, name, counts) for one province and period; a layout
decides titles, the header (column order, wording, merged groups, 'Trong đó', column numbers),
sections, subtotals, the total row, the number format and the file format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

from pipelines.sample_data.counts import RowCounts, sum_counts

# Fixed workbook metadata: xlsxwriter would otherwise stamp the current time into docProps.
FIXED_CREATED = datetime(2026, 1, 1, 0, 0, 0)
LEVEL_ORDER = ("province", "district", "commune")
LEVEL_SECTION = {"province": "Cấp tỉnh", "district": "Cấp huyện", "commune": "Cấp xã"}
LEVEL_SUBTOTAL = {
    "province": "Cộng cấp tỉnh",
    "district": "Cộng cấp huyện",
    "commune": "Cộng cấp xã",
}
ROMAN = ("I", "II", "III", "IV")
QUARTER_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}


@dataclass(frozen=True)
class ReportPeriod:
    grain: str  # month | quarter | year
    start: date
    end: date  # inclusive last day

    def label(self, style: str) -> str:
        if style == "range":
            return f"Từ ngày {self.start:%d/%m/%Y} đến ngày {self.end:%d/%m/%Y}"
        if self.grain == "month":
            return f"Tháng {self.start.month}/{self.start.year}"
        if self.grain == "quarter":
            return f"Quý {QUARTER_ROMAN[(self.start.month - 1) // 3 + 1]}/{self.start.year}"
        return f"Năm {self.start.year}"

    @property
    def tag(self) -> str:
        if self.grain == "month":
            return f"{self.start:%Y-%m}"
        if self.grain == "quarter":
            return f"{self.start.year}-q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"


@dataclass(frozen=True)
class AgencyRow:
    level: str
    name: str
    counts: RowCounts
    waiting_supplement: int = 0  # 'Chờ bổ sung': informational, a part of in progress


@dataclass(frozen=True)
class Report:
    province_name: str  # official, e.g. 'Tỉnh Hoà Bình'
    division_type: str  # 'tỉnh' | 'thành phố trung ương'
    period: ReportPeriod
    rows: tuple[AgencyRow, ...]

    @property
    def total(self) -> RowCounts:
        return sum_counts([row.counts for row in self.rows])


@dataclass(frozen=True)
class Column:
    group: str | None  # the merged group header above, None for stand-alone columns
    header: str
    metric: str  # 'stt', 'name', a RowCounts metric, or 'waiting_supplement'


def _cols(group: str, *pairs: tuple[str, str]) -> list[Column]:
    return [Column(group, header, metric) for header, metric in pairs]


@dataclass(frozen=True)
class Layout:
    name: str
    file_format: str  # xlsx | csv
    columns: tuple[Column, ...]
    title_style: str  # committee | single_line | result_heading
    orthography: str  # list (as the official list writes it) | traditional ('Hòa') | upper
    period_style: str  # natural ('Tháng 3/2024') | range ('Từ ngày ... đến ngày ...')
    trong_do_row: bool
    column_numbers: bool
    unit_note: bool
    sections: bool
    subtotals: bool
    total_label: str | None  # 'Tổng cộng' | 'Tổng số' | None (no total row)
    total_first: bool
    vietnamese_numbers: bool  # '88.424' text instead of plain 88424
    numbers_as_text: bool = False  # XLSX only: counts stored as text cells
    bom: bool = False  # CSV only
    # CSV only: write merged header cells as Excel's "save as CSV" does (text in the first cell
    # of the span, blanks in the rest) instead of repeating the text in every cell.
    blank_merged_cells: bool = False
    # Centrally-run cities written 'TP. Hồ Chí Minh' instead of 'Thành phố Hồ Chí Minh'.
    abbreviate_city: bool = False


_STT_NAME = [Column(None, "STT", "stt"), Column(None, "Đơn vị", "name")]

OFFICIAL = Layout(
    name="official_06_vpcp",
    file_format="xlsx",
    columns=tuple(
        _STT_NAME
        + _cols(
            "Tiếp nhận",
            ("Tổng số", "received"),
            ("Trực tuyến", "online"),
            ("Trực tiếp, bưu chính", "direct_postal"),
            ("Kỳ trước chuyển sang", "carried"),
        )
        + _cols(
            "Đã giải quyết",
            ("Tổng số", "resolved"),
            ("Trước hạn", "early"),
            ("Đúng hạn", "on_time"),
            ("Quá hạn", "late"),
        )
        + _cols(
            "Đang giải quyết",
            ("Tổng số", "in_progress"),
            ("Trong hạn", "within_due"),
            ("Quá hạn", "overdue"),
        )
    ),
    title_style="committee",
    orthography="traditional",
    period_style="natural",
    trong_do_row=True,
    column_numbers=True,
    unit_note=True,
    sections=True,
    subtotals=True,
    total_label="Tổng cộng",
    total_first=False,
    vietnamese_numbers=False,
)

CARRIED_FIRST = Layout(
    name="carried_first_text_numbers",
    file_format="xlsx",
    columns=tuple(
        _STT_NAME
        + _cols(
            "Tiếp nhận",
            ("Tổng số", "received"),
            ("Kỳ trước chuyển sang", "carried"),
            ("Trực tuyến", "online"),
            ("Trực tiếp, bưu chính", "direct_postal"),
        )
        + _cols(
            "Đã giải quyết",
            ("Tổng số", "resolved"),
            ("Trước hạn", "early"),
            ("Đúng hạn", "on_time"),
            ("Quá hạn", "late"),
        )
        + _cols(
            "Đang giải quyết",
            ("Tổng số", "in_progress"),
            ("Trong hạn", "within_due"),
            ("Quá hạn", "overdue"),
        )
        + [Column(None, "Trả lại/Rút hồ sơ", "returned_withdrawn")]
    ),
    title_style="single_line",
    orthography="list",
    period_style="natural",
    trong_do_row=False,
    column_numbers=False,
    unit_note=False,
    sections=False,
    subtotals=False,
    total_label="Tổng số",
    total_first=True,
    vietnamese_numbers=True,
    numbers_as_text=True,
    abbreviate_city=True,
)

SPLIT_BCCI = Layout(
    name="split_postal_bcci",
    file_format="xlsx",
    columns=tuple(
        _STT_NAME
        + _cols(
            "Tiếp nhận",
            ("Số kỳ trước chuyển qua", "carried"),
            ("Số mới tiếp nhận trực tuyến", "online"),
            ("Số mới tiếp nhận trực tiếp", "direct"),
            ("Số mới tiếp nhận qua BCCI", "postal"),
        )
        + _cols(
            "Đã giải quyết",
            ("Trả trước hạn", "early"),
            ("Trả đúng thời hạn", "on_time"),
            ("Trả quá hạn", "late"),
        )
        + _cols(
            "Đang giải quyết",
            ("Chưa đến hạn", "within_due"),
            ("Quá hạn", "overdue"),
        )
        + [
            Column(None, "Trả lại/Rút hồ sơ", "returned_withdrawn"),
            Column(None, "Chờ bổ sung", "waiting_supplement"),
        ]
    ),
    title_style="result_heading",
    orthography="upper",
    period_style="range",
    trong_do_row=False,
    column_numbers=False,
    unit_note=True,
    sections=True,
    subtotals=False,
    total_label="Tổng cộng",
    total_first=False,
    vietnamese_numbers=False,
)

CSV_VIETNAMESE = Layout(
    name="csv_vietnamese_numbers",
    file_format="csv",
    columns=tuple(
        _STT_NAME
        + _cols(
            "Tiếp nhận",
            ("Tổng số", "received"),
            ("Từ kỳ trước", "carried"),
            ("Trực tuyến", "online"),
            ("Trực tiếp, bưu chính", "direct_postal"),
        )
        + _cols(
            "Đã giải quyết",
            ("Tổng số", "resolved"),
            ("Trước hạn", "early"),
            ("Đúng hạn", "on_time"),
            ("Trễ hạn", "late"),
        )
        + _cols(
            "Đang giải quyết",
            ("Tổng số", "in_progress"),
            ("Trong hạn", "within_due"),
            ("Quá hạn", "overdue"),
        )
        + [Column(None, "Số hồ sơ trả lại, rút hồ sơ", "returned_withdrawn")]
    ),
    title_style="committee",
    orthography="list",
    period_style="natural",
    trong_do_row=True,
    column_numbers=False,
    unit_note=False,
    sections=True,
    subtotals=True,
    total_label="Tổng cộng",
    total_first=False,
    vietnamese_numbers=True,
    bom=True,
    blank_merged_cells=True,
)

CSV_PLAIN = Layout(
    name="csv_plain_numbered",
    file_format="csv",
    columns=tuple(
        _STT_NAME
        + _cols(
            "Tiếp nhận",
            ("Trực tuyến", "online"),
            ("Trực tiếp, bưu chính", "direct_postal"),
            ("Kỳ trước chuyển sang", "carried"),
            ("Tổng số", "received"),
        )
        + _cols(
            "Đã giải quyết",
            ("Trước hạn", "early"),
            ("Đúng hạn", "on_time"),
            ("Quá hạn", "late"),
            ("Tổng số", "resolved"),
        )
        + _cols(
            "Đang giải quyết",
            ("Trong hạn", "within_due"),
            ("Quá hạn", "overdue"),
            ("Tổng số", "in_progress"),
        )
        + [Column(None, "Trả lại/Rút hồ sơ", "returned_withdrawn")]
    ),
    title_style="single_line",
    orthography="traditional",
    period_style="range",
    trong_do_row=False,
    column_numbers=True,
    unit_note=False,
    sections=False,
    subtotals=False,
    total_label="Tổng số",
    total_first=False,
    vietnamese_numbers=False,
)


def has_returned_column(layout: Layout) -> bool:
    """The national form has no returned/withdrawn column: a province using it exports no
    returned or withdrawn dossiers (its system cancels them), so its rows still add up."""
    return any(column.metric == "returned_withdrawn" for column in layout.columns)


LAYOUTS: tuple[Layout, ...] = (OFFICIAL, CARRIED_FIRST, SPLIT_BCCI, CSV_VIETNAMESE, CSV_PLAIN)
LAYOUT_BY_NAME = {layout.name: layout for layout in LAYOUTS}


# --- text helpers -------------------------------------------------------------------------------

# Old-style ('Hoà') and traditional ('Hòa') tone placement on oa/oe/uy.
_TONE_PAIRS = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip


def traditional_orthography(text: str) -> str:
    """'Hoà Bình' -> 'Hòa Bình'; 'qu' keeps its tone on the following vowel ('Quý')."""
    out = text
    for new_style, old_style in _TONE_PAIRS.items():
        index = out.find(new_style)
        while index != -1:
            at_word_end = index + 2 == len(out) or not out[index + 2].isalpha()
            after_q = index > 0 and out[index - 1] in "qQ"
            if at_word_end and not after_q:
                out = out[:index] + old_style + out[index + 2 :]
            index = out.find(new_style, index + 1)
    return out


def province_title(report: Report, layout: Layout) -> str:
    name = report.province_name
    if layout.abbreviate_city and name.startswith("Thành phố "):
        name = "TP. " + name.removeprefix("Thành phố ")
    if layout.orthography == "traditional":
        name = traditional_orthography(name)
    if layout.title_style == "committee":
        return f"UBND {name}".upper()
    if layout.orthography == "upper":
        return name.upper()
    return name


def format_count(value: int, vietnamese: bool) -> str:
    return f"{value:,}".replace(",", ".") if vietnamese else str(value)


# --- the grid -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GridRow:
    kind: str  # title | unit_note | header_group | header_trong_do | header | column_numbers
    #            | section | agency | subtotal | total
    cells: tuple[object, ...]


def _count_cells(counts: RowCounts, waiting: int, layout: Layout) -> list[object]:
    cells: list[object] = []
    for column in layout.columns[2:]:
        value = waiting if column.metric == "waiting_supplement" else counts.value(column.metric)
        cells.append(format_count(value, True) if layout.vietnamese_numbers else value)
    return cells


def build_grid(report: Report, layout: Layout) -> list[GridRow]:
    """Every row of the sheet as it will be written, titles to total."""
    width = len(layout.columns)
    period_label = report.period.label(layout.period_style)
    province = province_title(report, layout)
    grid: list[GridRow] = []
    if layout.title_style == "committee":
        titles = [
            province,
            "BÁO CÁO TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH",
            period_label,
        ]
    elif layout.title_style == "single_line":
        period_in_sentence = period_label[0].lower() + period_label[1:]
        titles = [f"Kết quả giải quyết hồ sơ TTHC {period_in_sentence} - {province}"]
    else:
        titles = [f"KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH {province}", period_label]
    grid += [GridRow("title", (title,) + ("",) * (width - 1)) for title in titles]
    if layout.unit_note:
        grid.append(
            GridRow("unit_note", ("",) * (width - 3) + ("Đơn vị tính: Số hồ sơ TTHC", "", ""))
        )

    groups = tuple(column.group or column.header for column in layout.columns)
    grid.append(GridRow("header_group", groups))
    if layout.trong_do_row:
        trong_do = []
        for column in layout.columns:
            if column.group is None:
                trong_do.append(column.header)
            elif column.header == "Tổng số":
                trong_do.append("Tổng số")
            else:
                trong_do.append("Trong đó")
        grid.append(GridRow("header_trong_do", tuple(trong_do)))
    grid.append(GridRow("header", tuple(column.header for column in layout.columns)))
    if layout.column_numbers:
        grid.append(GridRow("column_numbers", tuple(f"({i})" for i in range(1, width + 1))))

    total = report.total
    total_waiting = sum(row.waiting_supplement for row in report.rows)
    total_row = (
        GridRow(
            "total",
            ("", layout.total_label, *_count_cells(total, total_waiting, layout)),
        )
        if layout.total_label
        else None
    )
    if total_row and layout.total_first:
        grid.append(total_row)
    levels = [level for level in LEVEL_ORDER if any(r.level == level for r in report.rows)]
    number = 0
    for section_index, level in enumerate(levels):
        rows = [row for row in report.rows if row.level == level]
        if layout.sections:
            label = f"{ROMAN[section_index]}. {LEVEL_SECTION[level]}"
            grid.append(GridRow("section", (ROMAN[section_index], label) + ("",) * (width - 2)))
            number = 0
        for row in rows:
            number += 1
            grid.append(
                GridRow(
                    "agency",
                    (number, row.name, *_count_cells(row.counts, row.waiting_supplement, layout)),
                )
            )
        if layout.subtotals:
            subtotal = sum_counts([row.counts for row in rows])
            waiting = sum(row.waiting_supplement for row in rows)
            grid.append(
                GridRow(
                    "subtotal",
                    ("", LEVEL_SUBTOTAL[level], *_count_cells(subtotal, waiting, layout)),
                )
            )
    if total_row and not layout.total_first:
        grid.append(total_row)
    return grid


# --- file writers -------------------------------------------------------------------------------


def write_report(report: Report, layout: Layout, path: Path, *, extra_sheet: bool = False) -> None:
    grid = build_grid(report, layout)
    if layout.file_format == "xlsx":
        write_xlsx(grid, layout, path, extra_sheet=extra_sheet)
    else:
        if layout.blank_merged_cells:
            grid = blank_merged_header_cells(grid)
        write_csv_grid(grid, path, bom=layout.bom)


def blank_merged_header_cells(grid: Sequence[GridRow]) -> list[GridRow]:
    """Header cells as a spreadsheet saved as CSV leaves them: a label repeated to its right
    under the same parent, or repeated from the row above, is a merged span: blank."""
    out: list[GridRow] = []
    header_rows = [row for row in grid if row.kind.startswith("header")]
    for row in grid:
        if not row.kind.startswith("header"):
            out.append(row)
            continue
        level = header_rows.index(row)
        above = header_rows[level - 1].cells if level else None
        cells = list(row.cells)
        for col in range(len(cells) - 1, -1, -1):
            same_as_above = above is not None and row.cells[col] == above[col]
            same_as_left = (
                col > 0
                and row.cells[col] == row.cells[col - 1]
                and all(h.cells[col] == h.cells[col - 1] for h in header_rows[:level])
            )
            if same_as_above or same_as_left:
                cells[col] = ""
        out.append(GridRow(row.kind, tuple(cells)))
    return out


def grid_to_csv_text(grid: Sequence[GridRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in grid:
        writer.writerow(["" if cell is None else cell for cell in row.cells])
    return buffer.getvalue()


def write_csv_grid(grid: Sequence[GridRow], path: Path, *, bom: bool = False) -> None:
    text = grid_to_csv_text(grid)
    path.write_bytes(("\ufeff" if bom else "").encode("utf-8") + text.encode("utf-8"))


def new_workbook(path: Path) -> xlsxwriter.Workbook:
    # in_memory: no temporary file per workbook part (a third of the writing time otherwise).
    workbook = xlsxwriter.Workbook(str(path), {"in_memory": True})
    workbook.set_properties(
        {"created": FIXED_CREATED, "author": "cchc-warehouse sample data", "title": path.stem}
    )
    return workbook


def write_xlsx(
    grid: Sequence[GridRow], layout: Layout, path: Path, *, extra_sheet: bool = False
) -> None:
    workbook = new_workbook(path)
    sheet = workbook.add_worksheet("Báo cáo")
    bold = workbook.add_format({"bold": True})
    title_format = workbook.add_format({"bold": True, "align": "center"})
    header = workbook.add_format(
        {"bold": True, "align": "center", "valign": "vcenter", "text_wrap": True, "border": 1}
    )
    cell = workbook.add_format({"border": 1})
    number = workbook.add_format({"border": 1, "num_format": "#,##0"})
    strong_number = workbook.add_format({"border": 1, "num_format": "#,##0", "bold": True})
    strong_cell = workbook.add_format({"border": 1, "bold": True})
    width = len(layout.columns)
    sheet.set_column(0, 0, 5)
    sheet.set_column(1, 1, 42)
    sheet.set_column(2, width - 1, 12)

    header_rows = [i for i, row in enumerate(grid) if row.kind.startswith("header")]
    for index, row in enumerate(grid):
        if row.kind == "title":
            sheet.merge_range(index, 0, index, width - 1, str(row.cells[0]), title_format)
        elif row.kind == "unit_note":
            sheet.write_string(index, width - 3, str(row.cells[width - 3]))
        elif row.kind in ("header_group", "header_trong_do", "header"):
            continue  # written below, as merged ranges
        elif row.kind == "column_numbers":
            for col, value in enumerate(row.cells):
                sheet.write_string(index, col, str(value), header)
        else:
            strong = row.kind in ("section", "subtotal", "total")
            for col, value in enumerate(row.cells):
                if isinstance(value, int) and not layout.numbers_as_text:
                    sheet.write_number(index, col, value, strong_number if strong else number)
                elif value == "" or value is None:
                    sheet.write_blank(index, col, None, strong_cell if strong else cell)
                else:
                    text = str(value) if not isinstance(value, int) else format_count(value, True)
                    sheet.write_string(index, col, text, strong_cell if strong else cell)
    _write_merged_header(sheet, grid, layout, header_rows, header)
    if extra_sheet:
        notes = workbook.add_worksheet("Ghi chú")
        notes.write_string(0, 0, "Số liệu trích xuất từ Hệ thống thông tin giải quyết TTHC", bold)
        notes.write_string(1, 0, "Người lập biểu")
        notes.write_string(1, 1, "Văn phòng UBND")
    workbook.close()


def _write_merged_header(sheet, grid, layout: Layout, header_rows: list[int], fmt) -> None:
    """Group cells span their columns; stand-alone columns and group totals span downwards."""
    top, bottom = header_rows[0], header_rows[-1]
    has_trong_do = layout.trong_do_row
    col = 0
    columns = layout.columns
    while col < len(columns):
        column = columns[col]
        if column.group is None:
            _merge(sheet, top, col, bottom, col, column.header, fmt)
            col += 1
            continue
        end = col
        while end + 1 < len(columns) and columns[end + 1].group == column.group:
            end += 1
        _merge(sheet, top, col, top, end, column.group, fmt)
        if has_trong_do:
            parts = [c for c in range(col, end + 1) if columns[c].header != "Tổng số"]
            for c in range(col, end + 1):
                if columns[c].header == "Tổng số":
                    _merge(sheet, top + 1, c, bottom, c, "Tổng số", fmt)
            if parts:
                _merge(sheet, top + 1, parts[0], top + 1, parts[-1], "Trong đó", fmt)
                for c in parts:
                    sheet.write_string(bottom, c, columns[c].header, fmt)
        else:
            for c in range(col, end + 1):
                if bottom == top:
                    continue
                _merge(sheet, top + 1, c, bottom, c, columns[c].header, fmt)
        col = end + 1


def _merge(sheet, first_row, first_col, last_row, last_col, text, fmt) -> None:
    if (first_row, first_col) == (last_row, last_col):
        sheet.write_string(first_row, first_col, text, fmt)
    else:
        sheet.merge_range(first_row, first_col, last_row, last_col, text, fmt)
