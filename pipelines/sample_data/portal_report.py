"""Writers of the aggregate dossier report (portal_report) in the layouts real provinces use.

A report is a list of agency rows (level, name, counts) for one province and period; a layout
decides titles, the header (column order, wording, merged groups, 'Trong đó', column numbers),
sections (by level, and by field within the province level), subtotals (own rows, or figures on
the section rows), the total row, the footer, the number format and the file format.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import xlsxwriter

from pipelines.sample_data.counts import RowCounts, sum_counts
from pipelines.sample_data.units import strip_prefix

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
    # The middle header row's label where it is not 'Tổng số'/'Trong đó' (the official form's
    # 'Số hồ sơ đã giải quyết' over the resolved columns); None: the usual Trong đó logic.
    subgroup: str | None = None


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
    # The section rows carry their level's (or field's) subtotal figures.
    section_figures: bool = False
    # Province-level agencies grouped under field sections ('1. Lĩnh vực kinh tế').
    field_sections: bool = False
    # The block under the table: None, 'official' (place and date, signatures, Nơi nhận, notes)
    # or 'short' (place and date, two signature titles).
    footer: str | None = None


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


# The official form as Circular 01/2020/TT-VPCP prints it (title block, 'Lĩnh vực, công việc giải
# quyết theo cấp', 'Số hồ sơ nhận giải quyết' / 'Kết quả giải quyết' over three header rows, the
# numbering row, level sections with their subtotal figures, direct and BCCI split, a footer),
# with the two extra columns the province adds at the right: the figures of SPLIT_BCCI.
OFFICIAL_FORM = replace(
    SPLIT_BCCI,
    name="bieu06_official_form",
    columns=(
        Column(None, "STT", "stt"),
        Column(None, "Lĩnh vực, công việc giải quyết theo cấp", "name"),
        Column("Số hồ sơ nhận giải quyết", "Tổng số", "received"),
        Column("Số hồ sơ nhận giải quyết", "Số mới tiếp nhận trực tuyến", "online", "Trong đó"),
        Column("Số hồ sơ nhận giải quyết", "Số mới tiếp nhận trực tiếp", "direct", "Trong đó"),
        Column("Số hồ sơ nhận giải quyết", "Số mới tiếp nhận qua BCCI", "postal", "Trong đó"),
        Column("Số hồ sơ nhận giải quyết", "Số kỳ trước chuyển qua", "carried", "Trong đó"),
        *(
            Column("Kết quả giải quyết", header, metric, "Số hồ sơ đã giải quyết")
            for header, metric in (
                ("Tổng số", "resolved"),
                ("Trả trước hạn", "early"),
                ("Trả đúng thời hạn", "on_time"),
                ("Trả quá hạn", "late"),
            )
        ),
        *(
            Column("Kết quả giải quyết", header, metric, "Số hồ sơ đang giải quyết")
            for header, metric in (
                ("Tổng số", "in_progress"),
                ("Chưa đến hạn", "within_due"),
                ("Quá hạn", "overdue"),
            )
        ),
        Column(None, "Trả lại/Rút hồ sơ", "returned_withdrawn"),
        Column(None, "Chờ bổ sung", "waiting_supplement"),
    ),
    title_style="official_form",
    period_style="natural",
    trong_do_row=True,
    column_numbers=True,
    section_figures=True,
    footer="official",
)

# CSV_VIETNAMESE grouped by field: within the province level the departments stand under field
# sections, every section row (level and field) carries its subtotal figures (no 'Cộng' rows);
# a short footer.
FIELD_GROUPED = replace(
    CSV_VIETNAMESE,
    name="grouped_by_field_subtotals",
    subtotals=False,
    section_figures=True,
    field_sections=True,
    footer="short",
)


def has_returned_column(layout: Layout) -> bool:
    """The national form has no returned/withdrawn column: a province using it exports no
    returned or withdrawn dossiers (its system cancels them), so its rows still add up."""
    return any(column.metric == "returned_withdrawn" for column in layout.columns)


LAYOUTS: tuple[Layout, ...] = (OFFICIAL, CARRIED_FIRST, SPLIT_BCCI, CSV_VIETNAMESE, CSV_PLAIN)
# Same figures, another print: every other round of the rotation, a province whose layout is a
# key here exports the variant. A variant keeps its base's returned/withdrawn column, so the
# simulation (which reports returns only where the form has that column) and every count stay
# as they are; only the layout differs.
VARIANTS: dict[str, Layout] = {SPLIT_BCCI.name: OFFICIAL_FORM, CSV_VIETNAMESE.name: FIELD_GROUPED}
LAYOUT_BY_NAME = {layout.name: layout for layout in (*LAYOUTS, *VARIANTS.values())}


def layout_for(position: int) -> Layout:
    """The layout of the province at ``position`` in the seed's rotation."""
    base = LAYOUTS[position % len(LAYOUTS)]
    if (position // len(LAYOUTS)) % 2 == 1 and base.name in VARIANTS:
        return VARIANTS[base.name]
    return base


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
    #            | section | agency | subtotal | total | footer
    cells: tuple[object, ...]


def _count_cells(counts: RowCounts, waiting: int, layout: Layout) -> list[object]:
    cells: list[object] = []
    for column in layout.columns[2:]:
        value = waiting if column.metric == "waiting_supplement" else counts.value(column.metric)
        cells.append(format_count(value, True) if layout.vietnamese_numbers else value)
    return cells


def build_grid(report: Report, layout: Layout) -> list[GridRow]:
    """Every row of the sheet as it will be written, titles to footer."""
    grid = _title_rows(report, layout) + _header_rows(layout)
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
    grid += _body_rows(report, layout)
    if total_row and not layout.total_first:
        grid.append(total_row)
    return grid + _footer_rows(report, layout)


def _title_rows(report: Report, layout: Layout) -> list[GridRow]:
    width = len(layout.columns)
    period_label = report.period.label(layout.period_style)
    province = province_title(report, layout)
    if layout.title_style == "committee":
        titles = [
            province,
            "BÁO CÁO TÌNH HÌNH TIẾP NHẬN, GIẢI QUYẾT HỒ SƠ THỦ TỤC HÀNH CHÍNH",
            period_label,
        ]
    elif layout.title_style == "single_line":
        period_in_sentence = period_label[0].lower() + period_label[1:]
        titles = [f"Kết quả giải quyết hồ sơ TTHC {period_in_sentence} - {province}"]
    elif layout.title_style == "official_form":
        period = report.period
        titles = [
            "Biểu số 06/VPCP/KSTT",
            f"UBND {province}",
            "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT TTHC TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT TTHC",
            f"Kỳ báo cáo: {period_label} ({period.label('range')})",
        ]
    else:
        titles = [f"KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH {province}", period_label]
    grid = [GridRow("title", (title,) + ("",) * (width - 1)) for title in titles]
    if layout.unit_note:
        grid.append(
            GridRow("unit_note", ("",) * (width - 3) + ("Đơn vị tính: Số hồ sơ TTHC", "", ""))
        )
    return grid


def _middle_label(column: Column) -> str:
    """The label of a column in the middle header row ('Trong đó' row)."""
    if column.group is None:
        return column.header
    if column.subgroup is not None:
        return column.subgroup
    return "Tổng số" if column.header == "Tổng số" else "Trong đó"


def _header_rows(layout: Layout) -> list[GridRow]:
    width = len(layout.columns)
    grid = [GridRow("header_group", tuple(c.group or c.header for c in layout.columns))]
    if layout.trong_do_row:
        grid.append(GridRow("header_trong_do", tuple(map(_middle_label, layout.columns))))
    grid.append(GridRow("header", tuple(column.header for column in layout.columns)))
    if layout.column_numbers:
        if layout.title_style == "official_form":
            # The circular's numbering: letters for STT and the name, (1)…(n) for the figures.
            numbers = ("A", "B", *(f"({i})" for i in range(1, width - 1)))
        else:
            numbers = tuple(f"({i})" for i in range(1, width + 1))
        grid.append(GridRow("column_numbers", numbers))
    return grid


# Province-level departments grouped by field in the field-grouped layout (either era's names).
FIELD_OF_DEPARTMENT: dict[str, str] = {
    "Sở Kế hoạch và Đầu tư": "Lĩnh vực kinh tế, tài chính",
    "Sở Tài chính": "Lĩnh vực kinh tế, tài chính",
    "Sở Công Thương": "Lĩnh vực kinh tế, tài chính",
    "Ban Quản lý các khu công nghiệp": "Lĩnh vực kinh tế, tài chính",
    "Sở Tài nguyên và Môi trường": "Lĩnh vực đất đai, xây dựng, nông nghiệp",
    "Sở Nông nghiệp và Môi trường": "Lĩnh vực đất đai, xây dựng, nông nghiệp",
    "Sở Nông nghiệp và Phát triển nông thôn": "Lĩnh vực đất đai, xây dựng, nông nghiệp",
    "Sở Xây dựng": "Lĩnh vực đất đai, xây dựng, nông nghiệp",
    "Sở Giao thông vận tải": "Lĩnh vực đất đai, xây dựng, nông nghiệp",
    "Sở Tư pháp": "Lĩnh vực tư pháp, nội vụ",
    "Sở Nội vụ": "Lĩnh vực tư pháp, nội vụ",
    "Sở Dân tộc và Tôn giáo": "Lĩnh vực tư pháp, nội vụ",
}
OTHER_FIELD = "Lĩnh vực văn hóa - xã hội, khoa học"


def _grouped_by_field(rows: list[AgencyRow]) -> list[tuple[str | None, list[AgencyRow]]]:
    groups: dict[str, list[AgencyRow]] = {}
    for row in rows:
        groups.setdefault(FIELD_OF_DEPARTMENT.get(row.name, OTHER_FIELD), []).append(row)
    return list(groups.items())


def _section_cells(
    stt: str, label: str, rows: list[AgencyRow], layout: Layout
) -> tuple[object, ...]:
    if not layout.section_figures:
        return (stt, label) + ("",) * (len(layout.columns) - 2)
    subtotal = sum_counts([row.counts for row in rows])
    waiting = sum(row.waiting_supplement for row in rows)
    return (stt, label, *_count_cells(subtotal, waiting, layout))


def _body_rows(report: Report, layout: Layout) -> list[GridRow]:
    """Sections, agencies and subtotals, level by level."""
    grid: list[GridRow] = []
    levels = [level for level in LEVEL_ORDER if any(r.level == level for r in report.rows)]
    number = 0
    for section_index, level in enumerate(levels):
        rows = [row for row in report.rows if row.level == level]
        if layout.sections:
            label = f"{ROMAN[section_index]}. {LEVEL_SECTION[level]}"
            grid.append(
                GridRow("section", _section_cells(ROMAN[section_index], label, rows, layout))
            )
            number = 0
        groups: list[tuple[str | None, list[AgencyRow]]] = (
            _grouped_by_field(rows)
            if layout.field_sections and level == "province"
            else [(None, rows)]
        )
        for field_index, (field_name, members) in enumerate(groups, start=1):
            if field_name is not None:
                label = f"{field_index}. {field_name}"
                grid.append(GridRow("section", _section_cells("", label, members, layout)))
            for row in members:
                number += 1
                cells = _count_cells(row.counts, row.waiting_supplement, layout)
                grid.append(GridRow("agency", (number, row.name, *cells)))
        if layout.subtotals:
            subtotal = sum_counts([row.counts for row in rows])
            waiting = sum(row.waiting_supplement for row in rows)
            grid.append(
                GridRow(
                    "subtotal",
                    ("", LEVEL_SUBTOTAL[level], *_count_cells(subtotal, waiting, layout)),
                )
            )
    return grid


FOOTER_DELAY_DAYS = 5  # the report is signed a few days after its period ends


def _footer_rows(report: Report, layout: Layout) -> list[GridRow]:
    """The block under the table: place and date, signatures, (official) recipients and notes."""
    if layout.footer is None:
        return []
    width = len(layout.columns)
    right = width - 4  # the signer's block stands at the right

    def row(cells: dict[int, str]) -> GridRow:
        return GridRow("footer", tuple(cells.get(c, "") for c in range(width)))

    signed = report.period.end + timedelta(days=FOOTER_DELAY_DAYS)
    place = strip_prefix(report.province_name)
    rows = [
        row({}),
        row({right: f"{place}, ngày {signed:%d} tháng {signed.month:02d} năm {signed.year}"}),
    ]
    if layout.footer == "short":
        return [*rows, row({1: "Người lập biểu", right: "Thủ trưởng đơn vị"})]
    return [
        *rows,
        row({1: "NGƯỜI LẬP BIỂU", right: "KT. CHỦ TỊCH"}),
        row({right: "PHÓ CHỦ TỊCH"}),
        row({1: "(Ký, ghi rõ họ tên)", right: "(Ký tên, đóng dấu)"}),
        row({}),
        row({1: "Nguyễn Thị Lan", right: "Trần Văn Minh"}),
        row({0: "Nơi nhận:"}),
        row({0: "- Văn phòng Chính phủ (Cục Kiểm soát TTHC);"}),
        row({0: "- Lưu: VT."}),
        row({0: "Ghi chú: (1) = (2) + (3) + (4) + (5); (6) = (7) + (8) + (9)."}),
        row({0: "* Số liệu trích xuất từ Hệ thống thông tin giải quyết TTHC của tỉnh."}),
    ]


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
        elif row.kind == "footer":
            for col, value in enumerate(row.cells):
                if value:
                    sheet.write_string(index, col, str(value))
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
        if any(columns[c].subgroup for c in range(col, end + 1)):
            _merge_subgroups(sheet, columns[col : end + 1], col, (top, bottom), fmt)
        elif has_trong_do:
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


def _merge_subgroups(sheet, group: Sequence[Column], first_col: int, rows, fmt) -> None:
    """A three-row group: each run of columns under one middle label is merged in the middle
    row with its leaves below; a column whose middle label is its own header spans both rows."""
    top, bottom = rows
    start = 0
    while start < len(group):
        label = _middle_label(group[start])
        end = start
        while end + 1 < len(group) and _middle_label(group[end + 1]) == label:
            end += 1
        if start == end and label == group[start].header:
            _merge(sheet, top + 1, first_col + start, bottom, first_col + start, label, fmt)
        else:
            _merge(sheet, top + 1, first_col + start, top + 1, first_col + end, label, fmt)
            for offset in range(start, end + 1):
                sheet.write_string(bottom, first_col + offset, group[offset].header, fmt)
        start = end + 1


def _merge(sheet, first_row, first_col, last_row, last_col, text, fmt) -> None:
    if (first_row, first_col) == (last_row, last_col):
        sheet.write_string(first_row, first_col, text, fmt)
    else:
        sheet.merge_range(first_row, first_col, last_row, last_col, text, fmt)
