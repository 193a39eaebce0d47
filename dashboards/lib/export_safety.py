"""Text from landed files reaches people as text: downloads that no spreadsheet runs as a formula.

An agency name such as `=HYPERLINK("http://…")&"Sở Tư pháp"` passes the data contract (it is a
valid name to the contract, which only warns) and would run in Excel when it opens a download.
- XLSX: xlsxwriter turns a string starting with `=` into a formula unless told not to; the
  workbook is written with `strings_to_formulas` (and `strings_to_urls`) off, so every string
  cell is a string cell holding exactly the value.
- CSV: a text cell starting with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`,
  as OWASP's "CSV Injection" advice says; pandas quotes cells with separators or quotes, so a
  cell cannot break out of its field. Numbers are not text and stay as they are.
Every download (the pages' tables and charts, the SQL page's results) goes through here.
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
XLSX_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False}


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
    with pd.ExcelWriter(
        buffer, engine="xlsxwriter", engine_kwargs={"options": XLSX_OPTIONS}
    ) as writer:
        frame.to_excel(writer, index=False, sheet_name=sheet_name)
    return buffer.getvalue()
