"""Reading landed files as they come: XLSX workbooks and CSV in UTF-8, UTF-8 with BOM or
Windows-1258 (the legacy Vietnamese Windows code page)."""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path

import fastexcel

EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls"}
TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}


class FileReadError(ValueError):
    """A file that cannot be read at all; ``rule`` names the contract rule it breaks."""

    def __init__(self, message: str, rule: str = "file_readable"):
        super().__init__(message)
        self.rule = rule


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def looks_like_utf16(head: bytes) -> bool:
    """A UTF-16 export (Excel's 'Unicode text'): a UTF-16 byte-order mark, or NUL bytes, which
    neither UTF-8 nor Windows-1258 text has. Windows-1258 would decode it into garbage."""
    return head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head


def decode_text(data: bytes, path: Path) -> tuple[str, str]:
    """The text of a CSV export and the encoding it was in."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if looks_like_utf16(data[:4096]):
        raise FileReadError(
            f"{path.name}: the file is UTF-16 text; re-export it as UTF-8 (CSV UTF-8)",
            "utf8_encoding",
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        # Windows-1258 writes tones as combining marks; NFC joins them as UTF-8 exports have them.
        import unicodedata

        return unicodedata.normalize("NFC", data.decode("cp1258")), "cp1258"
    except UnicodeDecodeError as error:
        raise FileReadError(
            f"{path.name}: byte {error.start} is neither UTF-8 nor Windows-1258 text",
            "utf8_encoding",
        ) from error


def read_grid(path: Path) -> list[list[str]]:
    """Every cell of a report file as text, rows as they stand in the file (no header guessing)."""
    if not path.exists() or path.stat().st_size == 0:
        raise FileReadError(f"{path.name}: the file is empty (0 bytes)", "non_empty_file")
    suffix = path.suffix.lower()
    if suffix in EXCEL_SUFFIXES:
        return _read_excel_grid(path)
    if suffix in TEXT_SUFFIXES:
        text, _ = decode_text(path.read_bytes(), path)
        if not text.strip():
            raise FileReadError(f"{path.name}: the file is empty (no text)", "non_empty_file")
        dialect = _sniff(text)
        return [[cell.strip() for cell in row] for row in csv.reader(io.StringIO(text), dialect)]
    raise FileReadError(
        f"{path.name}: unsupported file type {suffix or '(none)'}; expected XLSX or CSV",
        "file_readable",
    )


def _sniff(text: str) -> type[csv.Dialect] | csv.Dialect:
    try:
        return csv.Sniffer().sniff(text[:20000], delimiters=",;\t")
    except csv.Error:
        return csv.excel


def _read_excel_grid(path: Path) -> list[list[str]]:
    try:
        reader = fastexcel.read_excel(path)
    except Exception as error:  # fastexcel raises its own hierarchy for corrupt archives
        raise FileReadError(f"{path.name}: not a readable Excel workbook ({error})") from error
    sheets_with_data = []
    for name in reader.sheet_names:
        sheet = reader.load_sheet(name, header_row=None, dtypes="string")
        frame = sheet.to_polars()
        if frame.height and any(frame[c].drop_nulls().len() for c in frame.columns):
            sheets_with_data.append((name, frame))
    if not sheets_with_data:
        raise FileReadError(f"{path.name}: the workbook has no data", "non_empty_file")
    if len(sheets_with_data) > 1:
        names = ", ".join(repr(n) for n, _ in sheets_with_data)
        raise FileReadError(
            f"{path.name}: the workbook has {len(sheets_with_data)} sheets with data ({names}); "
            "an export has exactly one, so which one to load is not guessed",
            "single_sheet",
        )
    frame = sheets_with_data[0][1]
    return [[_excel_text(v) for v in row] for row in frame.iter_rows()]


def read_excel_sheet(path: Path) -> list[list[str]]:
    """The one sheet with data of a workbook as text cells (a table export: header first)."""
    return _read_excel_grid(path)


def _excel_text(value: object) -> str:
    if value is None:
        return ""
    text = str(value).strip()
    # Numeric cells read as text come back as "88424.0"; a count is whole.
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        return text[:-2]
    return text
