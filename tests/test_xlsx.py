"""The one XLSX writer (pipelines/lib/xlsx.py): each value's cell, read back by another reader
(calamine, through polars), against values written here by hand."""

from __future__ import annotations

import io
import uuid
import zipfile
from datetime import UTC, date, datetime, time
from decimal import Decimal

import numpy as np
import pandas as pd
import polars as pl
import pytest

from pipelines.lib import xlsx
from pipelines.lib.xlsx import HEADER_FILL, Sheet, sheet_from_frame, write_workbook


def _read(book: io.BytesIO, sheet: str, **overrides: pl.DataType) -> pl.DataFrame:
    return pl.read_excel(io.BytesIO(book.getvalue()), sheet_name=sheet, schema_overrides=overrides)


def test_each_value_keeps_its_kind_and_missing_values_are_blank() -> None:
    columns = ["text", "day", "at", "share", "flag", "count", "nan", "clock", "items", "id"]
    rows = [
        ("=1+2", date(2025, 7, 1), datetime(2025, 7, 1, 8, 30, tzinfo=UTC), Decimal("2.5"),
         True, None, float("nan"), time(8, 30), [1, 2], uuid.UUID(int=1)),
        ("Sở Tư pháp", None, None, None, False, 3, float("inf"), None, None, None),
    ]  # fmt: skip
    book = io.BytesIO()
    assert write_workbook(book, {"data": Sheet(columns, rows)}) == {"data": 2}
    back = _read(book, "data", nan=pl.Float64)
    assert back.schema["day"] == pl.Date  # a date column is shown as a date, not a datetime
    assert back.rows() == [
        ("=1+2", date(2025, 7, 1), datetime(2025, 7, 1, 8, 30), 2.5, True, None, None,
         "08:30:00", "[1, 2]", "00000000-0000-0000-0000-000000000001"),
        ("Sở Tư pháp", None, None, None, False, 3, None, None, None, None),
    ]  # fmt: skip


def test_a_frame_with_pandas_missing_values() -> None:
    frame = pd.DataFrame(
        {
            "at": pd.to_datetime(["2025-07-01 08:00", None]),
            "count": pd.array([3, None], dtype="Int64"),
            "name": pd.array(["=x", pd.NA], dtype="string"),
            "rank": np.array([1, 2]),
        }
    )
    book = io.BytesIO()
    assert write_workbook(book, {"f": sheet_from_frame(frame)}) == {"f": 2}
    assert _read(book, "f").rows() == [(datetime(2025, 7, 1, 8), 3, "=x", 1), (None, None, None, 2)]


def test_every_sheet_has_its_header_frozen_and_shaded() -> None:
    book = io.BytesIO()
    write_workbook(book, {"a": Sheet(["n"], [(1,)]), "b": Sheet(["m"], [])})
    with zipfile.ZipFile(io.BytesIO(book.getvalue())) as archive:
        sheets = [archive.read(f"xl/worksheets/sheet{i}.xml").decode() for i in (1, 2)]
        styles = archive.read("xl/styles.xml").decode()
    assert all('ySplit="1"' in sheet and 'state="frozen"' in sheet for sheet in sheets)
    assert "<b/>" in styles and HEADER_FILL.removeprefix("#") in styles


def test_an_empty_sheet_shows_its_header() -> None:
    book = io.BytesIO()
    assert write_workbook(book, {"none": Sheet(["province_code", "value"], [])}) == {"none": 0}
    assert _read(book, "none").columns == ["province_code", "value"]


def test_a_sheet_longer_than_excel_allows_continues_on_numbered_sheets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(xlsx, "MAX_DATA_ROWS", 3)
    rows = ((i, f"row {i}") for i in range(1, 8))  # an iterator: its count is given
    book = io.BytesIO()
    assert write_workbook(book, {"kpi": Sheet(["n", "label"], rows, row_count=7)}) == {"kpi": 7}
    assert _read(book, "kpi")["n"].to_list() == [1, 2, 3]
    assert _read(book, "kpi (2)")["n"].to_list() == [4, 5, 6]
    assert _read(book, "kpi (3)")["n"].to_list() == [7]


def test_a_count_that_does_not_match_the_rows_fails() -> None:
    with pytest.raises(ValueError, match="'kpi': 2 rows announced, 3 given"):
        write_workbook(io.BytesIO(), {"kpi": Sheet(["n"], iter([(1,), (2,), (3,)]), row_count=2)})
    with pytest.raises(TypeError, match="needs its row_count"):
        write_workbook(io.BytesIO(), {"kpi": Sheet(["n"], iter([(1,)]))})
