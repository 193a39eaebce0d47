"""One XLSX writer for every workbook the project hands out (the publish's exports, the
dashboard's downloads): cells keep the type of their value, and text is always written as text.

Text is never turned into a formula, a number or a link: a cell that starts with ``=``, ``+``,
``-`` or ``@`` (a province name typed by someone, an agency's note) would otherwise run as a
formula when an analyst opens the file.

The cells are written by ``rustpy-xlsxwriter``, a binding of rust_xlsxwriter (the Rust port of
xlsxwriter by xlsxwriter's author): a string is always a string cell, and a sheet is written in
constant memory, its rows taken from the iterable as the file is written. xlsxwriter's Python
took 7.0 s for the publish's workbook at reference scale (1.4 M cells), this 1.0 s
(benchmarks/RESULTS.md).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any

from rustpy_xlsxwriter import FastExcel, Format

# Excel's limits: a sheet holds 1,048,576 rows (one is the header); a name has 31 characters.
MAX_DATA_ROWS = 1_048_575
MAX_SHEET_NAME = 31
HEADER_FILL = "#DDEBF7"
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
# Rows read ahead of a sheet to tell its date columns (shown as dates) from its datetime ones:
# the writer takes each column's format before it reads the rows.
ROWS_TO_TELL_DATES = 1_000
# Values written as they are; every other kind goes through ``_cell``.
_AS_IS = frozenset({str, int, bool, date})


@dataclass(frozen=True)
class Sheet:
    """A sheet's header and rows (any iterable of sequences, read once). ``row_count``: the
    rows it yields, needed when ``rows`` is not a sequence: a sheet longer than Excel allows
    continues on further sheets, which are named before any row is read."""

    columns: Sequence[str]
    rows: Iterable[Sequence[Any]]
    row_count: int | None = None

    def count(self) -> int:
        if self.row_count is not None:
            return self.row_count
        if not isinstance(self.rows, Sequence):
            raise TypeError("a Sheet of an iterator needs its row_count")
        return len(self.rows)


def sheet_from_frame(frame: Any) -> Sheet:
    """A pandas DataFrame as a Sheet (its index left out)."""
    return Sheet(
        [str(c) for c in frame.columns], frame.itertuples(index=False, name=None), len(frame)
    )


def write_workbook(target: Path | IO[bytes], sheets: Mapping[str, Sheet]) -> dict[str, int]:
    """Write the sheets in order; returns the data rows written per sheet name.

    A sheet longer than Excel allows continues on ``name (2)``, ``name (3)``…
    """
    book = FastExcel(target, output_format="xlsx")
    book.format(datetime_format=DATETIME_FORMAT).freeze(row=1)
    header = Format().set_bold().set_background_color(HEADER_FILL)
    counted: dict[str, _Counted] = {}
    for name, sheet in sheets.items():
        columns = [str(c) for c in sheet.columns]
        rows = iter(sheet.rows)
        ahead = list(islice(rows, ROWS_TO_TELL_DATES))
        date_format = {c: Format().set_num_format(DATE_FORMAT) for c in _dates(columns, ahead)}
        counted[name] = _Counted(columns, chain(ahead, rows))
        expected = sheet.count()
        for part in range(1, max(1, math.ceil(expected / MAX_DATA_ROWS)) + 1):
            book.sheet(
                _part_name(name, part),
                counted[name].records(MAX_DATA_ROWS) if expected else _header_only(columns),
                column_formats=date_format or None,
                header_format=header,
            )
    book.save()
    for name, sheet_rows in counted.items():
        sheet_rows.check(name, sheets[name].count())
    return {name: sheet_rows.written for name, sheet_rows in counted.items()}


class _Counted:
    """A sheet's rows as the records the writer takes, counted as it takes them."""

    def __init__(self, columns: list[str], rows: Iterator[Sequence[Any]]):
        self.columns = columns
        self.rows = rows
        self.written = 0

    def records(self, limit: int) -> Iterator[dict[str, Any]]:
        for row in islice(self.rows, limit):
            self.written += 1
            yield dict(zip(self.columns, map(_cell, row), strict=True))

    def check(self, name: str, expected: int) -> None:
        """The sheet held the rows its count said: none left unwritten, none missing."""
        left = sum(1 for _ in self.rows)
        if left or self.written != expected:
            raise ValueError(
                f"sheet {name!r}: {expected} rows announced, {self.written + left} given"
            )


def _header_only(columns: list[str]) -> Any:
    """An empty sheet still shows its header (the writer takes the columns of a frame)."""
    import pandas as pd

    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


def _dates(columns: list[str], rows: list[Sequence[Any]]) -> list[str]:
    """The columns whose values among ``rows`` are dates (not datetimes)."""
    return [
        column
        for index, column in enumerate(columns)
        if any(type(row[index]) is date for row in rows)
    ]


def _part_name(name: str, part: int) -> str:
    suffix = "" if part == 1 else f" ({part})"
    return name[: MAX_SHEET_NAME - len(suffix)] + suffix


def _cell(value: Any) -> Any:
    """A value as the writer takes it: numbers as floats, datetimes without a time zone;
    None, NaN, NaT and infinities blank; a time of day, a list, a UUID… as their text."""
    kind = type(value)
    if kind in _AS_IS or value is None:
        return value
    if kind is float:
        return value if math.isfinite(value) else None
    if isinstance(value, datetime):
        if value != value:  # NaT is not equal to itself
            return None
        plain = value.replace(tzinfo=None)
        # pandas' Timestamp: the writer takes the standard library's datetime
        return plain.to_pydatetime() if hasattr(plain, "to_pydatetime") else plain
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    if isinstance(value, bool) or _is_numpy_kind(value, "b"):
        return bool(value)
    if isinstance(value, int | float | Decimal) or _is_numpy_kind(value, "iuf"):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):  # a str subclass
        return str(value)
    if isinstance(value, time):
        return value.isoformat()
    if _is_missing(value):
        return None
    return str(value)  # lists, dicts, UUIDs…: their text


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
