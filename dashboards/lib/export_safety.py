"""Text from landed files reaches people as text: downloads that no spreadsheet runs as a formula.

An agency name such as `=HYPERLINK("http://…")&"Sở Tư pháp"` passes the data contract (it is a
valid name to the contract, which only warns) and would run in Excel when it opens a download.
- XLSX: a writer may turn a string starting with `=` into a formula (xlsxwriter's default); the
  project's one XLSX writer (pipelines/lib/xlsx.py, also the publish's exports) writes every
  string as a string cell holding exactly the value.
- CSV: a text cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`,
  as OWASP's "CSV Injection" advice says; pandas quotes cells with separators or quotes, so a
  cell cannot break out of its field. Numbers are not text and stay as they are.
Every download (the pages' tables and charts, the SQL page's results) goes through here.
"""

from __future__ import annotations

import io

import pandas as pd

from pipelines.lib.xlsx import sheet_from_frame, write_workbook

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_for_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a formula: `'` before a dangerous first character."""

    def neutral(value: object) -> object:
        if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
            return "'" + value
        return value

    text_columns = [c for c in frame.columns if frame[c].dtype == object or isinstance(
        frame[c].dtype, pd.StringDtype
    )]  # fmt: skip
    safe = frame.copy()
    for column in text_columns:
        safe[column] = safe[column].map(neutral)
    return safe


def csv_bytes(frame: pd.DataFrame) -> bytes:
    # UTF-8 with BOM, so that Excel opens Vietnamese text correctly
    return neutralise_for_csv(frame).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(frame: pd.DataFrame, sheet_name: str = "data") -> bytes:
    buffer = io.BytesIO()
    write_workbook(buffer, {sheet_name: sheet_from_frame(frame)})
    return buffer.getvalue()
