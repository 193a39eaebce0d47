"""Row-level exports (dossiers, payments, procedures, satisfaction): one relation per file.

A file is opened, its encoding and header checked against the contract, and its rows handed to
the checker named by the contract and numbered: for CSV the ``row_number`` is the line in the
file (the header is line 1), for Parquet, JSON Lines and XLSX it is the record's position counted
from 1 (XLSX: the sheet row, header = 1).

CSV and Parquet are read by DuckDB itself (``TabularFile.relation``: ``read_csv`` with every
column as text, columns picked by their position in the header; ``read_parquet`` with its
``file_row_number``), so a file is parsed once, inside the checker's one pass. A CSV's rows are
numbered in the pass by ``row_number() over ()``, a streaming window that keeps the file's order
and runs the pass on one thread. A CSV of ``COPY_CSV_FROM_BYTES`` or more is first copied as read
into a work table (``CSV_ROWS``) and numbered by the copy's ``rowid``, which keeps the pass on
every thread: the copy costs CPU (≈ 40 % more for the file), which pays only for a file large
enough to keep both cores busy on its own.
JSON Lines, XLSX, a CSV with blank lines (DuckDB skips them, which would shift the line numbers)
and a Windows-1258 CSV (transcoded first) are handed out as Arrow batches of at most
``batch_rows`` rows instead.
Nothing holds a whole large file in memory.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

from pipelines.lib.contracts import Contract
from pipelines.lib.files import EXCEL_SUFFIXES, FileReadError, looks_like_utf16, read_excel_sheet
from pipelines.lib.validation.rules import IncomingColumns, is_text_type, quote, sql_text
from pipelines.lib.vn_text import fold_words

DEFAULT_BATCH_ROWS = 100_000
# A CSV's rows as read, in file order (a parallel insert keeps its source's order while the
# connection's preserve_insertion_order is on, DuckDB's default): their rowids number them.
CSV_ROWS = "_csv_rows"
# A CSV this large is copied before its pass (CSV_ROWS), smaller ones are read in it. Measured on
# the reference dossiers (benchmarks/RESULTS.md): 54 k rows (13 MB) copy + pass 0.45 s wall /
# 0.49 s CPU, in the pass 0.35 / 0.35 s; 177 k rows (41 MB) 1.02 / 1.54 s against 1.01 / 1.02 s;
# 846 k rows (196 MB) 3.0 / 5.5 s against 3.9 / 3.9 s. Sources load two at a time, so CPU is
# what a file costs the run until it is the last one loading.
COPY_CSV_FROM_BYTES = 64 * 1024 * 1024
FORMAT_BY_SUFFIX = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    **dict.fromkeys(EXCEL_SUFFIXES, "xlsx"),
}
_ISO_DATE_IN_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})")


class SchemaRejection(ValueError):
    """The file breaks the contract's schema as a whole; ``rule`` names the rule."""

    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class FileRelation:
    """A file as the checker's one pass reads it: the SELECT (``row_number`` and the
    contract-named columns), which of them are text, and the statements to run before the
    pass and after it, in the file's transaction."""

    select_sql: str
    incoming: IncomingColumns
    prepare: tuple[str, ...] = ()
    cleanup: tuple[str, ...] = ()


@dataclass
class TabularFile:
    path: Path
    file_format: str
    encoding: str | None
    columns: dict[str, str]  # contract column -> header as written in the file
    constants: dict[str, object]  # contract column -> value for every row (e.g. snapshot_date)
    warnings: list[str] = field(default_factory=list)
    batch_rows: int = DEFAULT_BATCH_ROWS
    _delimiter: str = ","
    _text_path: Path | None = None  # a UTF-8 copy of a Windows-1258 file
    # CSV: the header as the file has it (columns are picked by position); Parquet: its schema.
    _header: list[str] = field(default_factory=list)
    _parquet_schema: pa.Schema | None = None
    # A CSV with an empty line: read in batches, which number the physical lines.
    _blank_lines: bool = False

    def relation(self) -> FileRelation | None:
        """The file as one DuckDB SELECT (``row_number`` and the contract's columns as the file
        writes them, plus the constants), and which of them are text; None when the file is
        read in ``batches`` (JSON Lines, XLSX, a CSV with blank lines)."""
        constants = [(_sql_constant(value), column) for column, value in self.constants.items()]
        prepare: tuple[str, ...] = ()
        cleanup: tuple[str, ...] = ()
        if self.file_format == "csv" and not self._blank_lines:
            positions = {text: i for i, text in enumerate(self._header, start=1)}
            picked = [(f"c{positions[h]}", c) for c, h in self.columns.items()]
            types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(1, len(self._header) + 1))
            source = self._text_path or self.path
            # A row shorter than the header reads its missing cells as empty (null_padding),
            # as a row of a spreadsheet export does; a longer one is an error (file_readable).
            reader = (
                f"read_csv({sql_text(str(source))}, header = false, skip = 1, "
                f"delim = {sql_text(self._delimiter)}, quote = '\"', escape = '\"', "
                f"auto_detect = false, null_padding = true, columns = {{{types}}})"
            )
            if source.stat().st_size < COPY_CSV_FROM_BYTES:
                number = "row_number() over () + 1"  # the header is line 1
            else:
                prepare = (f"create or replace temp table {CSV_ROWS} as select * from {reader}",)
                cleanup = (f"drop table if exists {CSV_ROWS}",)
                # Rows a transaction added have rowids from a large base until it commits
                # (2^55 in DuckDB 2.0), consecutive in the copy's order: counted from the
                # first one. The header is line 1.
                number = f"rowid - (select min(rowid) from {CSV_ROWS}) + 2"
                reader = CSV_ROWS
        elif self.file_format == "parquet" and self._parquet_schema is not None:
            picked = [(quote(h), c) for c, h in self.columns.items()]
            reader = f"read_parquet({sql_text(str(self.path))}, file_row_number = true)"
            number = "file_row_number + 1"
        else:
            return None
        items = [f"{number} as row_number"]
        items += [f"{expression} as {quote(column)}" for expression, column in picked]
        items += [f"{expression} as {quote(column)}" for expression, column in constants]
        if self.file_format == "csv":
            text = {column: True for _, column in picked}
        else:
            assert self._parquet_schema is not None
            text = {
                column: is_text_type(self._parquet_schema.field(header).type)
                for column, header in self.columns.items()
            }
        incoming = IncomingColumns.of(
            [("row_number", False), *((column, text[column]) for _, column in picked)]
            + [(column, False) for _, column in constants]
        )
        return FileRelation(f"select {', '.join(items)} from {reader}", incoming, prepare, cleanup)

    def batches(self) -> Iterator[pa.Table]:
        """Arrow tables of at most ``batch_rows`` rows: row_number + the contract's columns."""
        renames = {header: column for column, header in self.columns.items()}
        if self.file_format == "csv":
            source = self._text_path or self.path
            frames = (
                pl.scan_csv(
                    source,
                    infer_schema=False,
                    separator=self._delimiter,
                    encoding="utf8",
                    missing_columns="insert",
                )
                .select(list(renames))
                .rename(renames)
                .with_row_index("row_number", offset=2)
                .collect_batches(chunk_size=self.batch_rows)
            )
            for frame in frames:
                yield self._finish(frame.with_columns(pl.col("row_number").cast(pl.Int64)))
        elif self.file_format == "parquet":
            parquet = pq.ParquetFile(self.path)
            start = 1
            for batch in parquet.iter_batches(batch_size=self.batch_rows, columns=list(renames)):
                table = pa.Table.from_batches([batch]).rename_columns(
                    [renames[name] for name in batch.schema.names]
                )
                numbers = pa.array(range(start, start + table.num_rows), pa.int64())
                start += table.num_rows
                yield self._finish_arrow(table.add_column(0, "row_number", numbers))
        elif self.file_format == "jsonl":
            yield from self._jsonl_batches(renames)
        else:
            yield from self._xlsx_batches(renames)

    def _jsonl_batches(self, renames: dict[str, str]) -> Iterator[pa.Table]:
        with self.path.open("rb") as handle:
            line_number = 0
            while True:
                lines = []
                numbers = []
                for raw in handle:
                    line_number += 1
                    if raw.strip():
                        lines.append(raw)
                        numbers.append(line_number)
                    if len(lines) >= self.batch_rows:
                        break
                if not lines:
                    return
                frame = pl.read_ndjson(io.BytesIO(b"".join(lines)), infer_schema_length=None)
                missing = [h for h in renames if h not in frame.columns]
                frame = frame.with_columns(pl.lit(None, pl.String).alias(h) for h in missing)
                frame = frame.select(list(renames)).rename(renames)
                frame = frame.with_columns(pl.Series("row_number", numbers, pl.Int64))
                yield self._finish(frame)

    def _xlsx_batches(self, renames: dict[str, str]) -> Iterator[pa.Table]:
        grid = read_excel_sheet(self.path)
        header = grid[0]
        positions = {name: header.index(name) for name in renames}
        records = [
            {
                renames[h]: (row[i] if i < len(row) and row[i] != "" else None)
                for h, i in positions.items()
            }
            | {"row_number": number}
            for number, row in enumerate(grid[1:], start=2)
            if any(cell.strip() for cell in row)
        ]
        schema = {"row_number": pl.Int64, **{c: pl.String for c in renames.values()}}
        for start in range(0, max(len(records), 1), self.batch_rows):
            chunk = records[start : start + self.batch_rows]
            yield self._finish(pl.DataFrame(chunk, schema=schema, orient="row"))

    def _finish(self, frame: pl.DataFrame) -> pa.Table:
        # compat_level oldest: plain large strings rather than string views, for every engine.
        return self._finish_arrow(frame.to_arrow(compat_level=pl.CompatLevel.oldest()))

    def _finish_arrow(self, table: pa.Table) -> pa.Table:
        for column, value in self.constants.items():
            if column not in table.column_names:
                table = table.append_column(column, pa.array([value] * table.num_rows))
        return table

    def close(self) -> None:
        if self._text_path is not None:
            self._text_path.unlink(missing_ok=True)
            self._text_path = None


def _sql_constant(value: object) -> str:
    if isinstance(value, date):
        return f"date {sql_text(value.isoformat())}"
    return sql_text(str(value))


def open_tabular(path: Path, contract: Contract, *, batch_rows: int | None = None) -> TabularFile:
    """Check a file's format, encoding and header against the contract; reject it whole if not."""
    batch_rows = batch_rows or DEFAULT_BATCH_ROWS
    if path.stat().st_size == 0:
        raise SchemaRejection("non_empty_file", f"{path.name}: the file is empty (0 bytes)")
    file_format = FORMAT_BY_SUFFIX.get(path.suffix.lower())
    if file_format is None or file_format not in contract.file_formats:
        raise SchemaRejection(
            "file_readable",
            f"{path.name}: file type {path.suffix or '(none)'} is not accepted for "
            f"{contract.source}; the contract accepts {', '.join(contract.file_formats)}",
        )
    encoding = None
    delimiter = ","
    text_path = None
    blank_lines = False
    parquet_schema = None
    if file_format == "csv":
        encoding, text_path, blank_lines = _check_encoding(path, contract)
        header, delimiter = _csv_header(text_path or path, contract)
    elif file_format == "parquet":
        parquet_schema = pq.ParquetFile(path).schema_arrow
        header = parquet_schema.names
    elif file_format == "jsonl":
        header = _jsonl_header(path)
    else:
        try:
            grid = read_excel_sheet(path)
        except FileReadError as error:
            raise SchemaRejection(error.rule, str(error)) from error
        header = grid[0] if grid else []
    if not [h for h in header if h.strip()]:
        raise SchemaRejection("non_empty_file", f"{path.name}: the file has no header row")
    columns, warnings = map_header(header, contract, path)
    constants: dict[str, object] = {}
    if contract.snapshot_date == "file_name" and "snapshot_date" not in columns:
        constants["snapshot_date"] = _snapshot_date_from_name(path)
    try:
        return TabularFile(
            path, file_format, encoding, columns, constants, warnings, batch_rows, delimiter,
            text_path, _header=header, _parquet_schema=parquet_schema, _blank_lines=blank_lines,
        )  # fmt: skip
    except BaseException:
        if text_path is not None:
            text_path.unlink(missing_ok=True)
        raise


def map_header(
    header: list[str], contract: Contract, path: Path
) -> tuple[dict[str, str], list[str]]:
    """Contract column -> the file's header for it, matched by text: the canonical name or an
    alias, in any case, with or without diacritics, in either tone orthography."""
    accepted = _accepted_headers(contract)
    mapped: dict[str, str] = {}
    unknown: list[str] = []
    for position, text in enumerate(header, start=1):
        if not text.strip():
            continue
        column = accepted.get(fold_words(text))
        if column is None:
            unknown.append(text)
            continue
        if column in mapped:
            raise SchemaRejection(
                "header_unmappable",
                f"{path.name} header (line 1): columns {mapped[column]!r} and {text!r} "
                f"(column {position}) both mean {column!r}",
            )
        mapped[column] = text
    derived = {"snapshot_date"} if contract.snapshot_date == "file_name" else set()
    # Columns a source's own parser fills (from the file name, or resolved by the loader).
    derived |= set(contract.extra.get("derivedColumns") or ())
    missing = [
        c for c in contract.columns if c.required and c.name not in mapped | dict.fromkeys(derived)
    ]
    if missing:
        expected = "; ".join(
            f"{c.name} (or {', '.join(repr(a) for a in c.aliases)})" if c.aliases else c.name
            for c in missing
        )
        extra = (
            f"; unrecognised header(s): {', '.join(repr(u) for u in unknown)}" if unknown else ""
        )
        raise SchemaRejection(
            "header_unmappable",
            f"{path.name} header (line 1) has no column for {expected}{extra}",
        )
    warnings = [f"ignored column(s) not in the contract: {', '.join(unknown)}"] if unknown else []
    return mapped, warnings


def name_date(path: Path, contract: Contract) -> date | None:
    """The date a file's name contributes to its rows (None when the contract takes none)."""
    if contract.snapshot_date != "file_name":
        return None
    try:
        return _snapshot_date_from_name(path)
    except SchemaRejection:
        return None


def _snapshot_date_from_name(path: Path) -> date:
    match = _ISO_DATE_IN_NAME.search(path.name)
    try:
        if match:
            return date.fromisoformat(match.group(1))
    except ValueError:
        pass
    raise SchemaRejection(
        "snapshot_date_known",
        f"{path.name}: no snapshot_date column and no ISO date in the file name "
        "(e.g. procedures_2025-07-01.csv): a catalog's provinces cannot be resolved without it",
    )


def _check_encoding(path: Path, contract: Contract) -> tuple[str, Path | None, bool]:
    """The file's encoding, checked in one streaming pass (a large file is never decoded whole),
    and whether it has an empty line below the header (then it is read in batches).

    Returns a temporary UTF-8 copy when the file is Windows-1258 and the contract accepts it.
    """
    with path.open("rb") as handle:
        bom = handle.read(3) == b"\xef\xbb\xbf"
        handle.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        offset = 0
        blank = False
        tail = b""  # the end of the previous block: an empty line may straddle two
        try:
            for block in iter(lambda: handle.read(1 << 22), b""):
                decoder.decode(block)
                offset += len(block)
                joined = tail + block
                blank = blank or b"\n\n" in joined or b"\n\r\n" in joined
                tail = block[-2:]
            decoder.decode(b"", final=True)
            return ("utf-8-sig" if bom else "utf-8"), None, blank
        except UnicodeDecodeError as error:
            handle.seek(0)
            before = handle.read(offset + error.start)
            line = before.count(b"\n") + 1
            bad_at = len(before)
    with path.open("rb") as handle:
        utf16 = looks_like_utf16(handle.read(4096))
    if "cp1258" in contract.encodings and not utf16:
        # A legacy file (a small report or survey export) is read in batches, like before.
        return "cp1258", _transcode_cp1258(path), True
    if utf16:
        raise SchemaRejection(
            "utf8_encoding",
            f"{path.name}: the file is UTF-16 text; {contract.source} files must be "
            f"{' or '.join(contract.encodings)}: re-export the file as UTF-8",
        )
    accepted = " or ".join(contract.encodings)
    raise SchemaRejection(
        "utf8_encoding",
        f"{path.name} line {line}: byte {bad_at} is not UTF-8 (the file looks like a legacy "
        f"code page such as Windows-1258); {contract.source} files must be {accepted}: "
        "re-export the file as UTF-8",
    )


def _transcode_cp1258(path: Path) -> Path:
    handle, name = tempfile.mkstemp(suffix=".csv", prefix="cchc-utf8-")
    target = Path(name)
    with path.open("rb") as source, open(handle, "w", encoding="utf-8", newline="") as out:
        decoder = codecs.getincrementaldecoder("cp1258")()
        for block in iter(lambda: source.read(1 << 22), b""):
            # Windows-1258 writes tones as combining marks; NFC joins them as UTF-8 exports have.
            out.write(unicodedata.normalize("NFC", decoder.decode(block)))
        out.write(decoder.decode(b"", final=True))
    return target


def _csv_header(path: Path, contract: Contract) -> tuple[list[str], str]:
    """The header and the delimiter that maps most of it to the contract's columns (a sniffer
    is fooled by a header like 'Có thu phí, lệ phí' in a semicolon file)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        first = handle.readline()
    accepted = _accepted_headers(contract)
    best: tuple[int, list[str], str] | None = None
    for delimiter in (",", ";", "\t", "|"):
        (header,) = list(csv.reader([first], delimiter=delimiter)) or [[]]
        header = [h.strip() for h in header]
        score = sum(1 for h in header if fold_words(h) in accepted)
        if best is None or score > best[0]:
            best = (score, header, delimiter)
    assert best is not None
    return best[1], best[2]


def _accepted_headers(contract: Contract) -> dict[str, str]:
    """Folded header text -> contract column, for the canonical names and every alias."""
    accepted: dict[str, str] = {}
    for column in contract.columns:
        for text in (column.name, *column.aliases):
            accepted.setdefault(fold_words(text), column.name)
    return accepted


def _jsonl_header(path: Path) -> list[str]:
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                first = pl.read_ndjson(io.BytesIO(raw))
                return list(first.columns)
    return []
