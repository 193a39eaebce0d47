"""One XLSX writer for every workbook the project hands out (the publish's exports, the
dashboard's downloads): cells keep the type of their value, and text is always written as text.

Text is never turned into a formula, a number or a link: a cell that starts with ``=``, ``+``,
``-`` or ``@`` (a province name typed by someone, an agency's note) would otherwise run as a
formula when an analyst opens the file.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

# Excel's limits: a sheet holds 1,048,576 rows (one is the header); a name has 31 characters.
MAX_DATA_ROWS = 1_048_575
MAX_SHEET_NAME = 31
WORKBOOK_OPTIONS = {
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
    "nan_inf_to_errors": False,
}


@dataclass(frozen=True)
class Sheet:
    """A sheet's header and rows (any iterable of sequences, read once)."""

    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]


def sheet_from_frame(frame: Any) -> Sheet:
    """A pandas DataFrame as a Sheet (its index left out)."""
    return Sheet([str(c) for c in frame.columns], frame.itertuples(index=False, name=None))


def write_workbook(target: Path | IO[bytes], sheets: Mapping[str, Sheet]) -> dict[str, int]:
    """Write the sheets in order; returns the data rows written per sheet name.

    A sheet longer than Excel allows continues on ``name (2)``, ``name (3)``…
    ``constant_memory`` keeps a large export's memory flat (rows are written in order).
    """
    options = {**WORKBOOK_OPTIONS, "constant_memory": isinstance(target, Path)}
    workbook = xlsxwriter.Workbook(target, options)
    formats = {
        "header": workbook.add_format({"bold": True, "bg_color": "#DDEBF7"}),
        "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    written: dict[str, int] = {}
    try:
        for name, sheet in sheets.items():
            part, row_index, worksheet = 1, 0, None
            for row in sheet.rows:
                if worksheet is None or row_index == MAX_DATA_ROWS:
                    worksheet = _new_sheet(workbook, _part_name(name, part), sheet.columns, formats)
                    part, row_index = part + 1, 0
                row_index += 1
                for column, value in enumerate(row):
                    _write_cell(worksheet, row_index, column, value, formats)
                written[name] = written.get(name, 0) + 1
            if worksheet is None:  # an empty sheet still shows its header
                _new_sheet(workbook, _part_name(name, 1), sheet.columns, formats)
                written[name] = 0
    finally:
        workbook.close()
    return written


def _part_name(name: str, part: int) -> str:
    suffix = "" if part == 1 else f" ({part})"
    return name[: MAX_SHEET_NAME - len(suffix)] + suffix


def _new_sheet(
    workbook: xlsxwriter.Workbook, name: str, columns: Sequence[str], formats: dict
) -> Worksheet:
    worksheet = workbook.add_worksheet(name)
    for column, title in enumerate(columns):
        worksheet.write_string(0, column, str(title), formats["header"])
    worksheet.freeze_panes(1, 0)
    return worksheet


def _write_cell(worksheet: Worksheet, row: int, column: int, value: Any, formats: dict) -> None:
    """Each value by its type; None, NaN, NaT and infinities stay blank."""
    if value is None:
        return
    if isinstance(value, str):
        worksheet.write_string(row, column, value)
    elif isinstance(value, bool) or _is_numpy_kind(value, "b"):
        worksheet.write_boolean(row, column, bool(value))
    elif isinstance(value, int | float | Decimal) or _is_numpy_kind(value, "iuf"):
        number = float(value)
        if math.isfinite(number):
            worksheet.write_number(row, column, number)
    elif isinstance(value, datetime):
        if value == value:  # NaT is not equal to itself
            worksheet.write_datetime(row, column, value.replace(tzinfo=None), formats["datetime"])
    elif isinstance(value, date):
        worksheet.write_datetime(row, column, value, formats["date"])
    elif isinstance(value, time):
        worksheet.write_string(row, column, value.isoformat())
    elif _is_missing(value):
        return
    else:  # lists, dicts, UUIDs…: their text
        worksheet.write_string(row, column, str(value))


def _is_numpy_kind(value: Any, kinds: str) -> bool:
    return (
        type(value).__module__ == "numpy"
        and getattr(value, "dtype", None) is not None
        and (value.dtype.kind in kinds)
    )


def _is_missing(value: Any) -> bool:
    """NaN-like values (pandas' NA among them: comparing it gives NA, which has no truth)."""
    try:
        return bool(value != value)
    except (TypeError, ValueError):
        return type(value).__name__ == "NAType"
