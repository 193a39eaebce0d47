"""Parse the aggregate dossier report (Biểu 06/VPCP/KSTT and the provinces' variants).

A report is a grid: title rows naming the province and the period, a header of one to three rows
(groups such as "Tiếp nhận" or the official "Số hồ sơ nhận giải quyết" over columns such as
"Trực tuyến"), an optional row of column numbers, then agency rows, section rows by level
("I. Cấp tỉnh") or by field ("1. Lĩnh vực Đất đai"), with or without their own subtotal figures,
subtotal and total rows, and below the table a footer (place and date, signature blocks,
"Nơi nhận", notes) that ends it. Columns are mapped by the text of their header path, never by
position; a file whose headers cannot be mapped is refused whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from pipelines.lib.admin_units import RESTRUCTURING_DATE, UnknownProvinceError, resolve_province
from pipelines.lib.files import read_grid
from pipelines.lib.periods import Period, PeriodFormatError, find_period
from pipelines.lib.vn_text import NumberFormatError, fold_words, parse_count

COUNT_COLUMNS: tuple[str, ...] = (
    "received_total",
    "carried_over",
    "received_online",
    "received_direct_postal",
    "resolved_total",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress_total",
    "in_progress_within_due",
    "in_progress_overdue",
    "returned_withdrawn",
)
# Columns that may be absent from a province's form: totals are derived, returned/withdrawn is 0.
_OPTIONAL = {"received_total", "resolved_total", "in_progress_total", "returned_withdrawn"}
_PARTS = {
    "received_total": ("carried_over", "received_online", "received_direct_postal"),
    "resolved_total": ("resolved_early", "resolved_on_time", "resolved_late"),
    "in_progress_total": ("in_progress_within_due", "in_progress_overdue"),
}

PARSED_SCHEMA: dict[str, pl.DataType] = {
    "row_number": pl.Int64(),
    "province_code": pl.String(),
    "province_name": pl.String(),
    "period_grain": pl.String(),
    "period_start": pl.Date(),
    "period_end": pl.Date(),
    "level": pl.String(),
    "section": pl.String(),
    "agency_name": pl.String(),
    **{name: pl.Int64() for name in COUNT_COLUMNS},
    "count_errors": pl.String(),
}


class ReportFormatError(ValueError):
    """The file as a whole cannot be read as a report; the message names the place and the rule.

    ``rule`` is the contract rule broken, as audit.loads reports it: ``header_unmappable`` (no
    header, or headers that cannot be mapped), ``period_readable``, ``unknown_province`` or
    ``no_rows`` (a header and no agency rows).
    """

    def __init__(self, message: str, rule: str = "header_unmappable"):
        super().__init__(message)
        self.rule = rule


@dataclass
class ParsedReport:
    province_code: str
    province_name: str
    period: Period
    rows: pl.DataFrame
    total_row: dict[str, int | None] | None
    header_row_numbers: tuple[int, ...]
    ignored_columns: list[str] = field(default_factory=list)
    # Findings that do not stop the load (a section's subtotal that differs from its rows).
    warnings: list[str] = field(default_factory=list)


# --- header mapping -----------------------------------------------------------------------------

_GROUP_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("returned", re.compile(r"\btra lai\b|\brut ho so\b|\brut\b")),
    ("waiting", re.compile(r"\bcho bo sung\b")),
    ("satisfaction", re.compile(r"\bhai long\b|\bdanh gia\b")),
    # Other extra columns provinces add, recognised by name and ignored: notes, rates in percent,
    # apology letters (thư xin lỗi) and paused dossiers (tạm dừng).
    ("extra", re.compile(r"^ghi chu\b|\bty le\b|\bxin loi\b|\btam dung\b")),
    ("received", re.compile(r"\btiep nhan\b|\bnhan giai quyet\b|\bso ho so nhan\b|\bky truoc\b")),
    ("in_progress", re.compile(r"\bdang giai quyet\b|\bchua giai quyet\b|\bdang xu ly\b")),
    ("resolved", re.compile(r"\bda giai quyet\b|\bda xu ly\b|\bket qua giai quyet\b")),
)
_LEAF_PATTERNS: dict[str, tuple[tuple[str, re.Pattern[str]], ...]] = {
    "received": (
        ("carried_over", re.compile(r"\bky truoc\b|\btu ky truoc\b|\btồn\b|\bton ky truoc\b")),
        ("received_direct_postal", re.compile(r"\btruc tiep\b.*\bbuu chinh\b|\btruc tiep\b.*bcci")),
        ("received_direct", re.compile(r"\btruc tiep\b")),
        ("received_postal", re.compile(r"\bbuu chinh\b|\bbcci\b")),
        ("received_online", re.compile(r"\btruc tuyen\b")),
        ("received_total", re.compile(r"\btong so\b|\btong\b")),
    ),
    "resolved": (
        ("resolved_early", re.compile(r"\btruoc han\b")),
        ("resolved_on_time", re.compile(r"\bdung han\b|\bdung thoi han\b|\btrong han\b")),
        ("resolved_late", re.compile(r"\bqua han\b|\btre han\b")),
        ("resolved_total", re.compile(r"\btong so\b|\btong\b")),
    ),
    "in_progress": (
        ("in_progress_within_due", re.compile(r"\btrong han\b|\bchua den han\b|\bchua qua han\b")),
        ("in_progress_overdue", re.compile(r"\bqua han\b|\btre han\b")),
        ("in_progress_total", re.compile(r"\btong so\b|\btong\b")),
    ),
    "returned": (("returned_withdrawn", re.compile(r".")),),
}
_COUNT_GROUP_PATTERNS = tuple(
    (name, pattern)
    for name, pattern in _GROUP_PATTERNS
    if name in {"received", "in_progress", "resolved"}
)
# The official form heads the name column "Lĩnh vực, công việc giải quyết theo cấp".
_AGENCY_HEADER = re.compile(
    r"^(ten )?(don vi|co quan|dia phuong|co quan don vi|don vi co quan|linh vuc)\b"
)
_STT_HEADER = re.compile(r"^(stt|tt|so tt|so thu tu)$")
_NOISE = re.compile(r"^(trong do|chia ra|bao gom|\(?\d+\)?(\s*=.*)?)$")
_COLUMN_NUMBER = re.compile(r"^\(?\s*\d+\s*\)?(\s*=.*)?$|^\(?[a-z]\)?$")


def _is_header_start(row: Sequence[str]) -> bool:
    folded = [fold_words(cell) for cell in row]
    has_agency = any(_AGENCY_HEADER.match(cell) for cell in folded)
    has_group = any(p.search(cell) for cell in folded for _, p in _COUNT_GROUP_PATTERNS)
    return has_agency and has_group


def _header_paths(block: list[list[str]]) -> list[list[str]]:
    """Each column's labels from the top header row down, with merged spans filled in."""
    width = max(len(r) for r in block)
    grid = [[(r[c] if c < len(r) else "").strip() for c in range(width)] for r in block]
    filled = [row[:] for row in grid]
    for r, row in enumerate(grid):
        last_row = r == len(grid) - 1
        for c in range(1, width):
            if row[c] or last_row:
                continue
            # A blank header cell continues its left neighbour's merged span only under the same
            # parent labels; otherwise it is the lower half of a vertically merged cell.
            same_parent = all(filled[k][c] == filled[k][c - 1] for k in range(r))
            if same_parent and filled[r][c - 1]:
                filled[r][c] = filled[r][c - 1]
    paths: list[list[str]] = []
    for c in range(width):
        labels = []
        for r in range(len(filled)):
            text = filled[r][c]
            if text and (not labels or labels[-1] != text) and not _NOISE.match(fold_words(text)):
                labels.append(text)
        paths.append(labels)
    return paths


def _classify(path: list[str]) -> str | None:
    folded = [fold_words(label) for label in path]
    if not folded:
        return None
    joined = " | ".join(folded)
    if any(_STT_HEADER.match(label) for label in folded):
        return "stt"
    if any(_AGENCY_HEADER.match(label) for label in folded):
        return "agency_name"
    group = next((name for name, p in _GROUP_PATTERNS if p.search(joined)), None)
    if group is None:
        return f"unknown:{' / '.join(path)}"
    if group in {"waiting", "satisfaction", "extra"}:
        return f"ignored:{' / '.join(path)}"
    leaf_text = folded[-1] if len(folded) > 1 else joined
    for name, pattern in _LEAF_PATTERNS[group]:
        if pattern.search(leaf_text):
            return name
    if len(folded) == 1 and group != "returned":
        return f"{group}_total".replace("received_total", "received_total")
    return f"unknown:{' / '.join(path)}"


@dataclass
class _ColumnMap:
    positions: dict[str, int]
    ignored: list[str]


def _map_columns(paths: list[list[str]], header_rows: str) -> _ColumnMap:
    positions: dict[str, int] = {}
    ignored: list[str] = []
    unknown: list[str] = []
    for index, path in enumerate(paths):
        meaning = _classify(path)
        if meaning is None or meaning == "stt":
            continue
        if meaning.startswith("ignored:"):
            ignored.append(meaning.removeprefix("ignored:"))
            continue
        if meaning.startswith("unknown:"):
            unknown.append(meaning.removeprefix("unknown:"))
            continue
        if meaning in positions:
            raise ReportFormatError(
                f"header {header_rows}: two columns mean {meaning!r} "
                f"({' / '.join(paths[positions[meaning]])!r} and {' / '.join(path)!r})"
            )
        positions[meaning] = index
    split = "received_direct" in positions or "received_postal" in positions
    if split and "received_direct_postal" in positions:
        raise ReportFormatError(
            f"header {header_rows}: a combined direct/postal column and a split one"
        )
    required = [c for c in COUNT_COLUMNS if c not in _OPTIONAL] + ["agency_name"]
    missing = [
        c
        for c in required
        if c not in positions
        and not (
            c == "received_direct_postal"
            and ("received_direct" in positions or "received_postal" in positions)
        )
    ]
    if missing or unknown:
        problems = []
        if missing:
            problems.append("no column for " + ", ".join(missing))
        if unknown:
            problems.append("unrecognised header(s) " + "; ".join(repr(u) for u in unknown))
        raise ReportFormatError(f"header {header_rows} cannot be mapped: " + "; ".join(problems))
    return _ColumnMap(positions, ignored)


# --- rows ---------------------------------------------------------------------------------------

_LEVEL_SECTION = re.compile(
    r"^(?:[ivx]+|[a-d]|\d+)?\s*[.)/-]?\s*(?:cac\s+)?(?:co quan\s+)?"
    r"(?:cap|khoi)\s+(tinh|huyen|xa|so nganh|so ban nganh)\b"
)
_SECTION_LEVEL = {
    "tinh": "province",
    "so nganh": "province",
    "so ban nganh": "province",
    "huyen": "district",
    "xa": "commune",
}
_TOTAL = re.compile(r"^(tong cong|tong so|toan tinh|tong|cong toan tinh)\b")
# "Cộng" opens a subtotal row, but "Công an tỉnh" (the provincial police) folds to "cong an".
_SUBTOTAL = re.compile(r"^(cong(?! an\b)|tong cong cap|tong cap|cong cap|cong khoi)\b")
_DISTRICT_NAME = re.compile(r"^(ubnd |uy ban nhan dan )?(huyen|thi xa|quan|thanh pho)\b")
_COMMUNE_NAME = re.compile(r"^(ubnd |uy ban nhan dan )?(xa|phuong|thi tran|dac khu)\b")


def infer_level(agency_name: str, period_start: date) -> str:
    """The level of an agency from its name when the report has no section rows."""
    key = fold_words(agency_name)
    if _COMMUNE_NAME.match(key):
        return "commune"
    if period_start < RESTRUCTURING_DATE and _DISTRICT_NAME.match(key):
        return "district"
    return "province"


def _title_text(grid: list[list[str]], header_start: int) -> list[str]:
    return [" ".join(cell for cell in row if cell).strip() for row in grid[:header_start]]


def _find_province(titles: list[str], as_of: date, path: Path) -> tuple[str, str]:
    tried = []
    for text in titles:
        if not text:
            continue
        for candidate in _province_candidates(text):
            tried.append(candidate)
            try:
                province = resolve_province(candidate, as_of)
            except UnknownProvinceError:
                continue
            return province.code, province.name
    named = [c for c in tried if c]
    detail = f" (title names {named[0]!r})" if named else ""
    raise ReportFormatError(
        f"{path.name}: title rows name no province known for {as_of:%m/%Y}{detail}: "
        "an unknown province is an error, never a new province",
        "unknown_province",
    )


_PROVINCE_KEYWORD = re.compile(r"\b(?:tinh|thanh pho|tp)\s+")


def _province_candidates(text: str) -> list[str]:
    """Names that may follow "Tỉnh"/"Thành phố"/"TP" in a title, longest first, then the line."""
    folded = fold_words(text)
    candidates = []
    for match in _PROVINCE_KEYWORD.finditer(folded):
        words = folded[match.end() :].split()
        candidates += [" ".join(words[:n]) for n in range(min(4, len(words)), 0, -1)]
    return [*candidates, folded]


def parse_report(path: Path) -> ParsedReport:
    """Read one landed report file into agency rows; raise ReportFormatError if it is not one."""
    grid = read_grid(path)
    header_start = next((i for i, row in enumerate(grid) if _is_header_start(row)), None)
    if header_start is None:
        raise ReportFormatError(
            f"{path.name}: no header row found (a row naming the agency column — 'Đơn vị', "
            "'Cơ quan' or the official 'Lĩnh vực, công việc giải quyết theo cấp' — and a group "
            "such as 'Tiếp nhận' or 'Số hồ sơ nhận giải quyết')"
        )
    titles = _title_text(grid, header_start)
    try:
        period = find_period(_period_lines_first(titles))
    except PeriodFormatError as error:
        raise ReportFormatError(f"{path.name}: title rows: {error}", "period_readable") from error
    province_code, province_name = _find_province(titles, period.start, path)

    header_end = _header_end(grid, header_start)
    header_rows = (
        f"row {header_end}"
        if header_end == header_start + 1
        else f"rows {header_start + 1}-{header_end}"
    )
    paths = _header_paths(grid[header_start:header_end])
    columns = _map_columns(paths, f"{path.name} {header_rows}")

    lines = _resolve_leaf_sections(_body_lines(grid, header_end, columns.positions))
    records: list[dict[str, object]] = []
    total_row: dict[str, int | None] | None = None
    level: str | None = None
    level_label: str | None = None
    field_label: str | None = None
    for line in lines:
        if line.kind == "level":
            level, level_label, field_label = line.level, line.label, None
            continue
        if line.kind == "field":
            field_label = line.label
            continue
        if line.kind == "total":
            total_row = line.counts
            continue
        if line.kind != "agency":
            continue
        if line.leaf_of == "field":
            field_label = None  # a field row of data closes the field section above it
        elif line.leaf_of == "level":
            level, level_label, field_label = line.level, None, None
        unreadable = {error.split(":")[0] for error in line.count_errors}
        records.append(
            {
                "row_number": line.row_number,
                "province_code": province_code,
                "province_name": province_name,
                "period_grain": period.grain,
                "period_start": period.start,
                "period_end": period.end,
                "level": line.level or level or infer_level(line.label, period.start),
                "section": field_label or level_label,
                "agency_name": line.label,
                # An unreadable cell stays empty (not 0): counts_are_whole_numbers flags the row
                # and the identities, which need every count, do not pile on.
                **{
                    name: None if name in unreadable else value
                    for name, value in _complete(line.counts).items()
                },
                "count_errors": "; ".join(line.count_errors) or None,
            }
        )
    if not records:
        raise ReportFormatError(
            f"{path.name}: no agency rows below the header ({header_rows}): a report lists every "
            "agency, with zeros where it received nothing",
            "no_rows",
        )
    rows = pl.DataFrame(records, schema=PARSED_SCHEMA, orient="row")
    return ParsedReport(
        province_code=province_code,
        province_name=province_name,
        period=period,
        rows=rows,
        total_row=_complete(total_row) if total_row else None,
        header_row_numbers=tuple(range(header_start + 1, header_end + 1)),
        ignored_columns=columns.ignored,
        warnings=_section_subtotal_findings(lines),
    )


def _period_lines_first(titles: list[str]) -> list[str]:
    """Title lines with the official 'Kỳ báo cáo: …' line first: a corner cell citing the
    circular ('… ngày 21 tháng 10 năm 2020') must not be taken for the report's period."""
    return sorted(titles, key=lambda text: "ky bao cao" not in fold_words(text))


# --- the table body: agency, section, total rows, up to the footer -------------------------------

# A footer row ends the table: the place-and-date line, signature blocks, 'Nơi nhận', notes.
_FOOTER = re.compile(
    r"\bngay\b.*\bthang\b.*\bnam\b"
    r"|^(nguoi lap bieu|nguoi lap|nguoi tong hop|nguoi kiem tra|thu truong|lanh dao don vi"
    r"|chu tich|pho chu tich|giam doc|pho giam doc|chanh van phong|xac nhan cua)\b"
    r"|^(kt|tm|tl|tuq) (chu tich|pho chu tich|giam doc|ubnd|uy ban|thu truong|chanh|truong)\b"
    r"|^ky (ten|ghi ro|va ghi|dong dau)\b"
    r"|^(noi nhan|ghi chu|luu)\b"
)
# A field section: '1. Lĩnh vực Đất đai', 'Nhóm lĩnh vực …'.
_FIELD_SECTION = re.compile(r"^(?:[ivx]+|[a-z]|\d+)?\s*(?:nhom |khoi )?linh vuc\b")
# A section's number in the STT column: a Roman numeral or a capital letter, where agency rows
# have Arabic numbers.
_SECTION_NUMBER = re.compile(r"^(?:[IVX]+|[A-Z])\s*[.)]?$")


@dataclass
class _Line:
    """One row of the table body, classified: agency, level, field, subtotal or total."""

    row_number: int
    kind: str
    label: str
    counts: dict[str, int | None]
    count_errors: list[str]
    level: str | None = None  # the level a level section names (or a leaf level row's level)
    leaf_of: str | None = None  # 'field' / 'level': a section row that is a row of data itself

    @property
    def has_figures(self) -> bool:
        return any(v is not None for v in self.counts.values()) or bool(self.count_errors)


def _is_footer(row: Sequence[str], positions: dict[str, int]) -> bool:
    if not any(_FOOTER.search(fold_words(cell)) or cell.lstrip().startswith("*") for cell in row):
        return False
    count_cells = (
        _cell(row, i) for name, i in positions.items() if name not in {"agency_name", "stt"}
    )
    return not any(_looks_like_count(cell) for cell in count_cells if cell)


def _body_lines(grid: list[list[str]], header_end: int, positions: dict[str, int]) -> list[_Line]:
    """The rows below the header, classified, up to the first footer row (which ends the table:
    nothing from it on is loaded or quarantined)."""
    lines: list[_Line] = []
    for offset, row in enumerate(grid[header_end:]):
        row_number = header_end + offset + 1
        if not any(cell.strip() for cell in row):
            continue
        # Before anything else: a signer's name or title may stand in any column.
        if _is_footer(row, positions):
            break
        agency_cell = _cell(row, positions["agency_name"])
        stt_cell = _cell(row, positions.get("stt", -1))
        label = agency_cell or stt_cell
        key = fold_words(label)
        counts, count_errors = _read_counts(row, positions)
        has_counts = any(v is not None for v in counts.values()) or bool(count_errors)
        if not key and not has_counts:
            continue
        if _COLUMN_NUMBER.match(key) and all(
            _COLUMN_NUMBER.match(fold_words(c)) or not c.strip() for c in row
        ):
            continue
        line = _Line(row_number, "agency", agency_cell, counts, count_errors)
        if level_match := _LEVEL_SECTION.match(key):
            line.kind, line.label = "level", label
            line.level = _SECTION_LEVEL[level_match.group(1)]
        elif _TOTAL.match(key) and not _SUBTOTAL.match(key):
            line.kind = "total"
        elif _SUBTOTAL.match(key):
            line.kind = "subtotal"
        elif (
            _FIELD_SECTION.match(key)
            or (agency_cell and _SECTION_NUMBER.match(stt_cell))
            or not has_counts
        ):
            # A label without figures is a section by field (lĩnh vực) too.
            line.kind, line.label = "field", label
        lines.append(line)
    return lines


def _members(lines: list[_Line], index: int) -> list[_Line]:
    """The agency rows a section row stands over: up to the next section of its rank or above
    (a level section holds field sections), a subtotal (fields only) or the total."""
    ends = {"level", "total"} | ({"field", "subtotal"} if lines[index].kind == "field" else set())
    members = []
    for line in lines[index + 1 :]:
        if line.kind in ends or line.leaf_of in ends:
            break
        if line.kind == "agency":
            members.append(line)
    return members


def _resolve_leaf_sections(lines: list[_Line]) -> list[_Line]:
    """A section row with figures but no agency rows under it is a row of data itself (a report
    by field, or a level reported as one line); otherwise its figures are a subtotal, never
    counted. Fields first, so that a level over field rows sees them as its members."""
    for kind in ("field", "level"):
        for index, line in enumerate(lines):
            if line.kind == kind and line.has_figures and not _members(lines, index):
                line.kind, line.leaf_of = "agency", kind
    return lines


def _section_subtotal_findings(lines: list[_Line]) -> list[str]:
    """A section row's own figures checked against the sum of its agency rows."""
    findings = []
    for index, line in enumerate(lines):
        if line.kind not in {"level", "field"} or not line.has_figures or line.count_errors:
            continue
        if any(value is None for value in line.counts.values()):
            continue  # a partial subtotal (only some columns filled in) is not checked
        rows = _members(lines, index)
        if any(member.count_errors for member in rows):
            continue  # an unreadable row is quarantined; its sum would be a false finding
        stated = _complete(line.counts)
        members = [_complete(member.counts) for member in rows]
        sums = {name: sum(m[name] or 0 for m in members) for name in COUNT_COLUMNS}
        differing = [name for name in COUNT_COLUMNS if stated[name] != sums[name]]
        if differing:
            findings.append(
                f"row {line.row_number} ({line.label!r}): subtotal differs from the sum of its "
                "rows in "
                + ", ".join(f"{name} ({stated[name]} vs {sums[name]})" for name in differing)
            )
    return findings


def _header_end(grid: list[list[str]], header_start: int) -> int:
    """The first row after the header: the first with a number in a cell right of the labels."""
    for index in range(header_start + 1, min(header_start + 6, len(grid))):
        row = grid[index]
        numeric = [cell for cell in row[2:] if cell.strip()]
        if numeric and all(_COLUMN_NUMBER.match(fold_words(c)) for c in numeric):
            return index  # the "(1) (2) (3)" row closes the header
        if numeric and any(_looks_like_count(c) for c in numeric):
            return index
        if any(_LEVEL_SECTION.match(fold_words(c)) for c in row if c):
            return index
    return header_start + 2


def _looks_like_count(cell: str) -> bool:
    try:
        return parse_count(cell) is not None and not cell.strip().startswith("(")
    except NumberFormatError:
        return False


def _cell(row: Sequence[str], index: int) -> str:
    return row[index].strip() if 0 <= index < len(row) else ""


def _read_counts(
    row: Sequence[str], positions: dict[str, int]
) -> tuple[dict[str, int | None], list[str]]:
    counts: dict[str, int | None] = {}
    errors: list[str] = []
    for name, index in positions.items():
        if name in {"agency_name", "stt"}:
            continue
        raw = _cell(row, index)
        try:
            counts[name] = parse_count(raw)
        except NumberFormatError as error:
            counts[name] = None
            errors.append(f"{name}: {error}")
    return counts, errors


def _complete(counts: dict[str, int | None]) -> dict[str, int | None]:
    """Canonical counts: split direct/postal summed, absent totals derived, absent returns 0.

    A blank cell in a row that has figures means zero in these forms; a blank total is therefore
    0 too, and the report identities then flag the row rather than a silent fill-in.
    """
    result = {name: counts.get(name) for name in COUNT_COLUMNS}
    if "received_direct" in counts or "received_postal" in counts:
        direct, postal = counts.get("received_direct"), counts.get("received_postal")
        result["received_direct_postal"] = (direct or 0) + (postal or 0)
    for name in COUNT_COLUMNS:
        if name not in _PARTS and result[name] is None:
            result[name] = 0
    for total, parts in _PARTS.items():
        if total not in counts:
            result[total] = sum(result[part] or 0 for part in parts)
        elif result[total] is None:
            result[total] = 0
    return result
