"""`--dirty`: the faults real exports have, one per file, each to be rejected with its rule.

Every faulty file is an *extra* file about the month just before the window (so a warehouse that
wrongly accepted one would show data outside the window, and rejecting them leaves the clean
data complete). Its content is a small simulation of that month for one selected province, with
exactly one fault injected; the manifest says which, where, and which rule must reject it.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from pipelines.sample_data.portal_report import (
    CSV_VIETNAMESE,
    OFFICIAL,
    SPLIT_BCCI,
    Column,
    GridRow,
    Layout,
    ReportPeriod,
    build_grid,
    write_csv_grid,
    write_report,
    write_xlsx,
)
from pipelines.sample_data.simulate import DOSSIER_COLUMNS, Chunk, ProvinceSimulator, chunk_frame
from pipelines.sample_data.sinks import CSV_DATETIME, VIETNAMESE_DOSSIER_HEADERS, WrittenFile
from pipelines.sample_data.timeline import (
    RESTRUCTURING_MONTH,
    month_first_day,
    month_last_day,
)
from pipelines.sample_data.units import Province, build_provinces

if TYPE_CHECKING:
    from pipelines.sample_data.generate import ProvincePlan, Run

PRE_WINDOW_DOSSIERS = 90
# Hà Tây was merged into Hà Nội in 2008: a real name, but no province at any date we load.
UNKNOWN_PROVINCE_NAME = "Tỉnh Hà Tây"


# --- Windows-1258 -------------------------------------------------------------------------------

_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """Encode Vietnamese text as Windows-1258 writes it: base letters with their vowel marks
    precomposed where the code page has them (â, ă, ê, ô, ơ, ư, đ), tones as combining marks."""
    out = bytearray()
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", char)
        base = "".join(c for c in decomposed if c not in _TONE_MARKS)
        tones = "".join(c for c in decomposed if c in _TONE_MARKS)
        out += unicodedata.normalize("NFC", base).encode("cp1258") + tones.encode("cp1258")
    return bytes(out)


# --- helpers ------------------------------------------------------------------------------------


# What must be rejected: the whole file, or the faulty row(s) (quarantined; the rest of such a
# file may load or be rejected with it: it is about a month outside the window either way).
FILE_SCOPED = {"wrong_header", "unknown_province", "extra_sheet", "windows_1258_encoding",
               "empty_file"}  # fmt: skip


def _fault(
    fault_id: str,
    fault: str,
    source: str,
    file: str,
    rule: str,
    detail: str,
    location: dict[str, object] | None = None,
) -> dict[str, object]:
    scope = "file" if fault in FILE_SCOPED else "row"
    return {
        "id": fault_id,
        "fault": fault,
        "source": source,
        "file": file,
        "scope": scope,
        "expected": "reject" if scope == "file" else "reject_rows",
        "rule": rule,
        "detail": detail,
        "location": location or {},
    }


def _pre_window_province(run: Run) -> Province:
    config = run.config
    month = config.first_month - 1
    legacy, current = build_provinces(
        config.provinces, config.seed, config.legacy_communes, config.current_communes
    )
    candidates = legacy if month < RESTRUCTURING_MONTH else current
    return candidates[0]


def _grid_position(grid: list[GridRow], kind: str, occurrence: int = 0) -> int:
    return [i for i, row in enumerate(grid) if row.kind == kind][occurrence]


def _column_position(layout: Layout, metric: str) -> int:
    return next(i for i, c in enumerate(layout.columns) if c.metric == metric)


def _set_cell(grid: list[GridRow], row: int, column: int, value: object) -> None:
    cells = list(grid[row].cells)
    cells[column] = value
    grid[row] = GridRow(grid[row].kind, tuple(cells))


def _csv_text(frame: pl.DataFrame) -> str:
    buffer = io.StringIO()
    frame.write_csv(buffer, datetime_format=CSV_DATETIME)
    return buffer.getvalue()


# --- the faults ---------------------------------------------------------------------------------


def write_faults(run: Run, plans: list[ProvincePlan]) -> list[dict[str, object]]:
    config = run.config
    month = config.first_month - 1
    province = _pre_window_province(run)
    # No returned dossiers: the national form used below has no column for them, and each
    # file must carry exactly one fault.
    simulator = ProvinceSimulator(province, config.seed, month, month, returns_reported=False)
    chunk = Chunk.concat(list(simulator.simulate_month(month, PRE_WINDOW_DOSSIERS)))
    frame = chunk_frame(chunk, province)
    from pipelines.sample_data.generate import make_report, period_counts

    period = ReportPeriod("month", month_first_day(month), month_last_day(month))
    report = make_report(province, period, period_counts(simulator.state, 0, 0))
    label = f"{province.code}_{province.slug}_{period.tag}"
    report_dir = run.out / "portal_report"
    faults: list[dict[str, object]] = []

    def register(path: Path, source: str, file_format: str, rows: int) -> str:
        run.register(
            WrittenFile(
                source, path, file_format, rows, province_code=province.code, era=province.era,
                first_month=period.tag, last_month=period.tag, notes=["dirty"],
            )
        )  # fmt: skip
        return run.relative(path)

    # F1: a wrong header. The 'Trực tuyến' column is headed 'Tổng số' (a template copy error),
    # so two columns under 'Tiếp nhận' claim the same meaning and none is the online count.
    wrong = replace(
        OFFICIAL,
        columns=tuple(
            Column(c.group, "Tổng số", c.metric) if c.metric == "online" else c
            for c in OFFICIAL.columns
        ),
    )
    path = report_dir / f"{label}_v2.xlsx"
    write_report(report, wrong, path)
    faults.append(
        _fault(
            "F1", "wrong_header", "portal_report", register(path, "portal_report", "xlsx", 0),
            "header_unmappable",
            "The column holding online receptions is headed 'Tổng số' under 'Tiếp nhận': two "
            "columns map to received_total and no column maps to received_online.",
            {"header_text": "Tổng số", "column_number": _column_position(OFFICIAL, "online") + 1},
        )
    )  # fmt: skip

    # F2: a row whose totals do not add up (the received total is 7 too high).
    grid = build_grid(report, CSV_VIETNAMESE)
    row = _grid_position(grid, "agency", 0)
    column = _column_position(CSV_VIETNAMESE, "received")
    shown = report.rows[0].counts.received + 7
    _set_cell(grid, row, column, f"{shown:,}".replace(",", "."))
    path = report_dir / f"{label}_v3.csv"
    write_csv_grid(grid, path)
    faults.append(
        _fault(
            "F2", "totals_do_not_add_up", "portal_report",
            register(path, "portal_report", "csv", 0), "row_identity",
            "received_total = carried_over + received_online + received_direct_postal fails "
            f"on the first agency row: {shown} shown, {shown - 7} from its parts.",
            {"line": row + 1, "agency_name": report.rows[0].name, "column": "received_total"},
        )
    )  # fmt: skip

    # F3: a negative count. Early resolutions of the second agency row read -3 and on time
    # +3 more, so every total and identity still holds: only non-negativity fails.
    target = 1 if len(report.rows) > 1 else 0
    counts = report.rows[target].counts
    negative = counts.replace(early=-3 - counts.early, on_time=3 + counts.early)
    rows = list(report.rows)
    rows[target] = replace(rows[target], counts=negative)
    path = report_dir / f"{label}_v4.xlsx"
    write_report(replace(report, rows=tuple(rows)), OFFICIAL, path)
    faults.append(
        _fault(
            "F3", "negative_count", "portal_report", register(path, "portal_report", "xlsx", 0),
            "non_negative_counts",
            f"resolved_early is -3 on the row of {rows[target].name}; totals are consistent.",
            {"agency_name": rows[target].name, "column": "resolved_early", "value": -3},
        )
    )  # fmt: skip

    # F4: an unknown province name in the title.
    path = report_dir / f"ha_tay_{period.tag}.xlsx"
    write_report(replace(report, province_name=UNKNOWN_PROVINCE_NAME), OFFICIAL, path)
    faults.append(
        _fault(
            "F4", "unknown_province", "portal_report",
            register(path, "portal_report", "xlsx", 0), "unknown_province",
            "The title names 'UBND TỈNH HÀ TÂY' (merged into Hà Nội in 2008): an unknown "
            "province is an error, never a new province.",
            {"title": "UBND TỈNH HÀ TÂY"},
        )
    )  # fmt: skip

    # F5: an Excel file with an extra sheet (notes next to the report).
    path = report_dir / f"{label}_v5.xlsx"
    write_xlsx(build_grid(report, SPLIT_BCCI), SPLIT_BCCI, path, extra_sheet=True)
    faults.append(
        _fault(
            "F5", "extra_sheet", "portal_report", register(path, "portal_report", "xlsx", 0),
            "single_sheet",
            "The workbook has a second sheet 'Ghi chú' with text; which sheet to load is not "
            "guessed.",
            {"sheets": ["Báo cáo", "Ghi chú"]},
        )
    )  # fmt: skip

    # Dossier-level faults: three disjoint slices of the month's dossiers.
    third = max(frame.height // 3, 2)
    slices = [frame.slice(0, third), frame.slice(third, third), frame.slice(2 * third)]
    dossier_dir = run.out / "dossiers"

    # F6: a duplicated dossier id (the second row repeats the first row's id).
    part = slices[0]
    duplicate_id = part["dossier_id"][0]
    part = part.with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit(duplicate_id))
        .otherwise(pl.col("dossier_id"))
        .alias("dossier_id")
    )
    path = dossier_dir / f"{label}_{period.tag}_v2.csv"
    path.write_text(_csv_text(part), encoding="utf-8")
    faults.append(
        _fault(
            "F6", "duplicate_dossier_id", "dossiers",
            register(path, "dossiers", "csv", part.height), "unique_dossier_id",
            f"dossier_id {duplicate_id} appears on data lines 1 and 2 (dossier ids are unique "
            "within a province).",
            {"dossier_id": duplicate_id, "lines": [2, 3]},
        )
    )  # fmt: skip

    # F7: a file in Windows-1258 (Vietnamese headers, as the old desktop exports wrote them).
    part = slices[1].rename(VIETNAMESE_DOSSIER_HEADERS)
    path = dossier_dir / f"{label}_{period.tag}_v3.csv"
    path.write_bytes(to_cp1258(_csv_text(part)))
    faults.append(
        _fault(
            "F7", "windows_1258_encoding", "dossiers",
            register(path, "dossiers", "csv+vietnamese_headers+cp1258", part.height),
            "utf8_encoding",
            "The file is encoded in Windows-1258 (tones as combining marks), not UTF-8; "
            "SOURCES.md §2 accepts UTF-8 with or without BOM only.",
            {"encoding": "cp1258"},
        )
    )  # fmt: skip

    # F8: a date written dd/mm/yyyy as text on one row.
    part = slices[2]
    original = part["received_at"][0]
    text_dates = part.with_columns(
        pl.col(c).dt.strftime(CSV_DATETIME) for c in ("received_at", "due_at", "resolved_at")
    )
    bad_value = original.strftime("%d/%m/%Y %H:%M:%S")
    text_dates = text_dates.with_columns(
        pl.when(pl.int_range(pl.len()) == 0)
        .then(pl.lit(bad_value))
        .otherwise(pl.col("received_at"))
        .alias("received_at")
    )
    path = dossier_dir / f"{label}_{period.tag}_v4.csv"
    path.write_text(_csv_text(text_dates.select(DOSSIER_COLUMNS)), encoding="utf-8")
    faults.append(
        _fault(
            "F8", "date_dd_mm_yyyy", "dossiers",
            register(path, "dossiers", "csv", text_dates.height), "iso_datetime",
            f"received_at of the first data line is '{bad_value}' (dd/mm/yyyy text) where "
            "every timestamp is 'YYYY-MM-DD HH:MM:SS'.",
            {"line": 2, "column": "received_at", "value": bad_value},
        )
    )  # fmt: skip

    # F9: an empty file (zero bytes) where a payment export was expected.
    path = run.out / "payments" / f"{label}_{period.tag}.csv"
    path.write_bytes(b"")
    faults.append(
        _fault(
            "F9", "empty_file", "payments", register(path, "payments", "csv", 0),
            "non_empty_file", "The file has zero bytes.", {},
        )
    )  # fmt: skip
    return faults
