"""Official figures published about the provinces: the portal's Decision-766 scores
(``published_index``, SOURCES.md §8) and the annual governance indices (``governance_indices``, §9).

Both are small tables (34 or 63 rows per snapshot or year), so a file is read whole. The parsers
only reshape: the portal's JSON ``groupScores`` into the six group columns, the snapshot time and
period from the file name when the file does not carry them, and each province resolved to its
statistics-office code for the era the figures are about. Every value stays text here; typing
(Vietnamese decimal commas included) and every rule run in DuckDB from the data contract.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl

from pipelines.lib.admin_units import UnknownProvinceError, resolve_province
from pipelines.lib.contracts import Contract, load_contract
from pipelines.lib.ingest_types import ParsedFile, RejectedFile
from pipelines.lib.parsers.tabular import SchemaRejection, open_tabular
from pipelines.lib.vn_text import fold_words, parse_vn_date

# The portal's group codes, as its JSON and its table headers write them.
PORTAL_GROUPS = ("ckmb", "tdgq", "clgq", "mdsh", "mdhl", "tttt")
_JSON_LIST_KEYS = ("data", "items", "results", "provinces")
_JSON_FIELDS = {
    "dvcqg_code": ("code", "provinceCode", "maTinh"),
    "province_name": ("name", "provinceName", "tenTinh"),
    "total": ("total", "totalScore", "score"),
    "published_rank": ("rank", "xepHang"),
}
_JSON_META = {
    "snapshot_at": ("snapshotAt", "readAt", "crawledAt"),
    "period_start": ("fromDate", "periodStart"),
    "period_end": ("toDate", "periodEnd"),
    "period_grain": ("periodGrain",),
}
_READ_TIME = re.compile(r"(\d{4}-\d{2}-\d{2})(?:[Tt ](\d{2})[-:h]?(\d{2}))?")
_YTD = re.compile(r"(\d{4})-ytd")
_QUARTER = re.compile(r"(\d{4})-q([1-4])")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_YEAR = re.compile(r"(20\d{2})")


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def read_table(path: Path, contract: Contract) -> pl.DataFrame:
    """A CSV/XLSX table under the contract's header mapping, every cell as text, numbered."""
    tabular = open_tabular(path, contract)
    try:
        frames = [pl.from_arrow(batch) for batch in tabular.batches()]
    finally:
        tabular.close()
    frame = pl.concat(frames, how="vertical_relaxed") if frames else pl.DataFrame()
    assert isinstance(frame, pl.DataFrame)
    return frame.with_columns(pl.exclude("row_number").cast(pl.String))


# --- published_index -------------------------------------------------------------------------


def snapshot_from_name(path: Path) -> dict[str, str]:
    """Read time and period from a file name such as published_766_2026-ytd_2026-10-10T06-00.csv
    (tokens split by '_'); keys present only for what the name says."""
    found: dict[str, str] = {}
    read: datetime | None = None
    period: tuple[str, date, date | None] | None = None
    for token in path.stem.lower().split("_"):
        if match := _READ_TIME.fullmatch(token):
            day = date.fromisoformat(match.group(1))
            read = datetime(day.year, day.month, day.day, int(match.group(2) or 0),
                            int(match.group(3) or 0))  # fmt: skip
        elif match := _YTD.fullmatch(token):
            period = ("year_to_date", date(int(match.group(1)), 1, 1), None)
        elif match := _QUARTER.fullmatch(token):
            year, quarter = int(match.group(1)), int(match.group(2))
            start = date(year, 3 * quarter - 2, 1)
            period = ("quarter", start, _month_end(date(year, 3 * quarter, 1)))
        elif match := _MONTH.fullmatch(token):
            start = date(int(match.group(1)), int(match.group(2)), 1)
            period = ("month", start, _month_end(start))
        elif match := _YEAR.fullmatch(token):
            year = int(match.group(1))
            period = ("year", date(year, 1, 1), date(year, 12, 31))
    if read is not None:
        found["snapshot_at"] = read.isoformat(sep=" ")
    if period is not None:
        grain, start, end = period
        if end is None and read is not None:
            end = read.date()
        found["period_grain"] = grain
        found["period_start"] = start.isoformat()
        if end is not None:
            found["period_end"] = end.isoformat()
    return found


def _month_end(first: date) -> date:
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return following - timedelta(days=1)


def _pick(record: dict[str, object], names: tuple[str, ...]) -> object:
    lowered = {k.lower(): v for k, v in record.items()}
    return next((lowered[n.lower()] for n in names if n.lower() in lowered), None)


def read_portal_json(path: Path) -> tuple[pl.DataFrame, dict[str, str]]:
    """The service-results JSON as rows of contract columns, and the metadata its keys give."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        message = f"{path.name}: not readable as JSON: {error}"
        raise RejectedFile("file_readable", message) from error
    meta: dict[str, str] = {}
    records = document
    if isinstance(document, dict):
        meta = {
            column: str(value)
            for column, names in _JSON_META.items()
            if (value := _pick(document, names)) is not None
        }
        records = next((document[k] for k in _JSON_LIST_KEYS if k in document), None)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise RejectedFile(
            "header_unmappable",
            f"{path.name}: expected a list of provinces (bare or under "
            f"{'/'.join(_JSON_LIST_KEYS)}), each an object with code, name, total, groupScores",
        )
    rows = []
    for number, record in enumerate(records, start=1):
        row: dict[str, str | int | None] = {"row_number": number}
        for column, names in _JSON_FIELDS.items():
            row[column] = _text(_pick(record, names))
        groups = _pick(record, ("groupScores",)) or []
        if not isinstance(groups, list):
            raise RejectedFile(
                "header_unmappable", f"{path.name} record {number}: groupScores is not a list"
            )
        for group in groups:
            code = str(_pick(group, ("code",)) or "").strip().lower()
            if code not in PORTAL_GROUPS:
                raise RejectedFile(
                    "group_codes_known",
                    f"{path.name} record {number}: group code {code!r} is not one of "
                    f"{', '.join(g.upper() for g in PORTAL_GROUPS)}",
                )
            row[code] = _text(_pick(group, ("score",)))
        rows.append(row)
    schema = {"row_number": pl.Int64, **dict.fromkeys(_JSON_FIELDS, pl.String)}
    schema |= dict.fromkeys(PORTAL_GROUPS, pl.String)
    return pl.DataFrame(rows, schema=schema, orient="row"), meta


def parse_published_index(path: Path) -> ParsedFile:
    contract = load_contract("published_index")
    try:
        if path.suffix.lower() == ".json":
            rows, meta = read_portal_json(path)
        else:
            rows, meta = read_table(path, contract), {}
    except SchemaRejection as error:
        raise RejectedFile(error.rule, str(error)) from error
    # The file's own columns first, then its JSON keys, then its name.
    for column, value in (snapshot_from_name(path) | meta).items():
        if column not in rows.columns:
            rows = rows.with_columns(pl.lit(value, pl.String).alias(column))
    missing = [c for c in ("snapshot_at", "period_start", "period_end") if c not in rows.columns]
    if missing:
        raise RejectedFile(
            "snapshot_period_known",
            f"{path.name}: no {', '.join(missing)} in the file, its JSON keys or its name; name "
            "the file with its read time and period, e.g. published_766_2026-ytd_2026-10-10.csv",
        )
    if "period_grain" not in rows.columns:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("period_grain"))
    if "dvcqg_code" not in rows.columns:
        rows = rows.with_columns(pl.lit(None, pl.String).alias("dvcqg_code"))
    rows = rows.with_columns(
        pl.struct("dvcqg_code", "province_name", "period_start")
        .map_elements(_portal_province, return_dtype=pl.String)
        .alias("province_code")
    )
    return _parsed(rows, "period_start", "period_end")


def _portal_province(row: dict[str, str | None]) -> str | None:
    day = _day(row.get("period_start"))
    return _resolve(row.get("dvcqg_code"), day) or _resolve(row.get("province_name"), day)


# --- governance_indices ----------------------------------------------------------------------


def index_code(text: str | None) -> str | None:
    """PAR INDEX, Par Index, par_index → PAR_INDEX (the contract's allowed values decide)."""
    if text is None:
        return None
    return "_".join(fold_words(text).upper().split()) or None


def results_era_day(year: str | None) -> date | None:
    """The day whose era an index year's results rank: 1 January after it (results up to 2024,
    published in 2025 before the restructuring, rank the 63 legacy provinces)."""
    try:
        return date(int(float(str(year))) + 1, 1, 1)
    except (TypeError, ValueError):
        return None


def parse_governance_indices(path: Path) -> ParsedFile:
    contract = load_contract("governance_indices")
    try:
        rows = read_table(path, contract)
    except SchemaRejection as error:
        raise RejectedFile(error.rule, str(error)) from error
    rows = rows.with_columns(
        pl.col("index_code").map_elements(index_code, return_dtype=pl.String),
        pl.struct("province_name", "year")
        .map_elements(
            lambda r: _resolve(r["province_name"], results_era_day(r["year"])),
            return_dtype=pl.String,
        )
        .alias("province_code"),
    )
    years = [int(y) for y in rows["year"].cast(pl.Float64, strict=False).drop_nulls().to_list()]
    parsed = _parsed(rows, None, None)
    if years:
        parsed.period_grain = "year"
        parsed.period_start, parsed.period_end = date(min(years), 1, 1), date(max(years), 12, 31)
    return parsed


# --- shared ----------------------------------------------------------------------------------


def _day(text: str | None) -> date | None:
    try:
        return parse_vn_date(text) if text else None
    except ValueError:
        return None


def _resolve(name_or_code: str | None, day: date | None) -> str | None:
    if not name_or_code or day is None:
        return None
    try:
        return resolve_province(name_or_code, day).code
    except UnknownProvinceError:
        return None


def _parsed(rows: pl.DataFrame, start_column: str | None, end_column: str | None) -> ParsedFile:
    parsed = ParsedFile(rows=rows)
    if start_column and rows.height:
        starts = {s for s in rows[start_column].to_list() if s}
        ends = {e for e in rows[end_column].to_list() if e} if end_column else set()
        if len(starts) == 1 and len(ends) == 1:
            parsed.period_start, parsed.period_end = _day(starts.pop()), _day(ends.pop())
            grains = {g for g in rows["period_grain"].to_list() if g}
            parsed.period_grain = grains.pop() if len(grains) == 1 else "range"
    return parsed
