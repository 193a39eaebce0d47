"""Exports for analysts next to serving.duckdb: every marts table as Parquet and one XLSX workbook
of the main facts at province grain (for Excel, Power Query, Power BI, pandas, Polars).

``data/warehouse/exports`` is a symbolic link to one complete version folder under
``data/warehouse/.exports/``. A publish writes the new version in a temporary folder, renames it
into place, then swaps the link with one atomic rename: a reader sees the old version or the new
one, never a half-written folder, and a file already open keeps reading its version (the previous
version is kept until the next publish).

A version is never written after it is activated, so the next publish takes the files of the
tables it did not rewrite from the current version as hard links (a copy where the file system
has none) instead of exporting them again: a run that changed a few marts exports those.
"""

from __future__ import annotations

import json
import os
import shutil
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.lib.xlsx import Sheet, write_workbook

EXPORTS_LINK = "exports"
VERSIONS_DIR = ".exports"
WORKBOOK_NAME = "cchc_province_facts.xlsx"
MANIFEST_NAME = "publish.json"
KEEP_VERSIONS = 2  # the current one and the one before it (a reader may still be on it)
STALE_AFTER_SECONDS = 6 * 3600
FETCH_ROWS = 50_000

# The workbook: the facts at province grain (and the nation, 'VN'), one sheet each, with the
# columns a table in the workbook needs (a serving DB without them gets no such sheet).
WORKBOOK_SHEETS: dict[str, tuple[set[str], str]] = {
    "kpi": (
        {"marts.fct_kpi", "marts.dim_kpi"},
        """
        select k.kpi_code, d.name_vi as kpi_name_vi, d.name_en as kpi_name_en, k.period_grain,
               k.period_start, k.period_end, k.unit_basis, k.province_code, k.province_name,
               k.era, k.numerator, k.denominator, k.value_pct
        from marts.fct_kpi k
        left join marts.dim_kpi d using (kpi_code)
        where k.level = 'all' and k.agency_code is null and k.procedure_field is null
        order by k.period_grain, k.period_start, k.unit_basis, k.province_code, k.kpi_code
        """,
    ),
    "service_index": (
        {"marts.fct_service_index"},
        "select * from marts.fct_service_index "
        "order by period_start, unit_basis, province_code, group_code",
    ),
    "targets": (
        {"marts.fct_target_attainment"},
        "select * from marts.fct_target_attainment "
        "order by plan_year, plan_unit, kpi_code, applies_to_level",
    ),
    "provinces": ({"marts.dim_province"}, "select * from marts.dim_province order by all"),
    "kpi_catalog": ({"marts.dim_kpi"}, "select * from marts.dim_kpi order by kpi_code"),
}
README_ROWS = [
    ("kpi", "Chỉ tiêu theo tỉnh (và toàn quốc, VN), toàn tỉnh, mọi kỳ; lọc một unit_basis",
     "KPIs per province (and the nation, VN), whole province, every period; filter one "
     "unit_basis"),
    ("service_index", "Chỉ số phục vụ (QĐ 766) theo tỉnh, tháng và nhóm",
     "Service index (Decision 766) per province, month and group"),
    ("targets", "Chỉ tiêu kế hoạch và mức đạt", "Plan targets and attainment"),
    ("provinces", "Danh mục tỉnh (trước và sau 7/2025)", "Provinces (before and after 7/2025)"),
    ("kpi_catalog", "Danh mục chỉ tiêu và định nghĩa", "KPI catalogue and definitions"),
]  # fmt: skip


@dataclass(frozen=True)
class PreviousExports:
    """The exports version in force, and the tables the publish kept as that version has them."""

    folder: Path
    unchanged: frozenset[str]
    manifest: dict  # its publish.json

    def file_of(self, relative: str) -> Path | None:
        path = self.folder / relative
        return path if path.is_file() else None


def previous_exports(
    serving_db: Path, fingerprint: str | None, unchanged: set[str]
) -> PreviousExports | None:
    """The version the exports link points at, when it was written from the serving file of
    ``fingerprint`` (the one this publish started from); else None (export everything)."""
    link = serving_db.parent / EXPORTS_LINK
    if fingerprint is None or not link.is_symlink():
        return None
    folder = link.resolve()
    try:
        written = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if written.get("fingerprint") != fingerprint:
        return None
    return PreviousExports(folder, frozenset(unchanged), written)


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system, or one without hard links
        shutil.copy2(source, target)


@dataclass(frozen=True)
class ExportResult:
    folder: Path
    parquet_rows: dict[str, int]
    workbook_rows: dict[str, int]


def staging_folder(serving_db: Path) -> Path:
    """A new temporary folder for one publish's exports (renamed into place by activate()).

    Checked first, before anything is written: ``exports`` must be the link (or absent), since
    a real folder there could not be swapped atomically."""
    link = serving_db.parent / EXPORTS_LINK
    if link.exists() and not link.is_symlink():
        raise FileExistsError(
            f"{link} is a folder, not the exports link the publish swaps: move it elsewhere"
        )
    versions = serving_db.parent / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    folder = versions / f".tmp-{uuid.uuid4().hex}"
    folder.mkdir()
    return folder


def write_exports(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    fingerprint: str,
    previous: PreviousExports | None = None,
) -> ExportResult:
    """Write the marts of the database ``con`` is on (the new serving file) into ``folder``;
    the files of tables ``previous`` holds unchanged are taken from it.

    The workbook is written on a thread of its own while the Parquet files are: both run mostly
    outside the interpreter (the workbook's cells in Rust, DuckDB's COPY in C++), so they overlap.
    """
    tables = _tables(con)
    reused: list[str] = []
    (folder / "marts").mkdir()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="workbook") as pool:
        workbook = pool.submit(
            _write_workbook_export, con.cursor(), folder, fingerprint, tables, previous
        )
        parquet_rows = _write_parquet_exports(con, folder, tables, previous, reused)
        workbook_rows, workbook_reused = workbook.result()
    if workbook_reused:
        reused.append(WORKBOOK_NAME)
    manifest = {
        "fingerprint": fingerprint,
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "parquet": {name: rows for name, rows in parquet_rows.items()},
        "workbook": {WORKBOOK_NAME: workbook_rows} if workbook_rows else {},
        # taken unchanged from the version before (hard links): not exported again
        "reused": reused,
    }
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return ExportResult(folder, parquet_rows, workbook_rows)


def _write_parquet_exports(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    tables: set[str],
    previous: PreviousExports | None,
    reused: list[str],
) -> dict[str, int]:
    """One Parquet file per marts table (hard-linked from ``previous`` when unchanged there);
    the rows of each; the files taken from ``previous`` are appended to ``reused``."""
    kept = previous.unchanged if previous else frozenset()
    parquet_rows: dict[str, int] = {}
    for name in sorted(t for t in tables if t.startswith("marts.")):
        relative = f"marts/{name.removeprefix('marts.')}.parquet"
        earlier = previous.file_of(relative) if previous and name in kept else None
        if earlier:
            _link_or_copy(earlier, folder / relative)
            reused.append(relative)
        else:
            con.execute(
                f"copy (select {_parquet_columns(con, name)} from {name}) to '{folder / relative}' "
                "(format parquet, compression zstd)"
            )
        (count,) = con.execute(f"select count(*) from {name}").fetchone()  # type: ignore[misc]
        parquet_rows[name] = count
    return parquet_rows


def _write_workbook_export(
    cursor: duckdb.DuckDBPyConnection,
    folder: Path,
    fingerprint: str,
    tables: set[str],
    previous: PreviousExports | None,
) -> tuple[dict[str, int], bool]:
    """The workbook (on its own cursor: it runs on another thread than the Parquet files);
    the data rows per sheet, and whether it was taken unchanged from ``previous``."""
    kept = previous.unchanged if previous else frozenset()
    try:
        wanted = {name: needs for name, (needs, _) in WORKBOOK_SHEETS.items() if needs <= tables}
        earlier_workbook = previous.file_of(WORKBOOK_NAME) if previous else None
        if wanted and earlier_workbook and all(needs <= kept for needs in wanted.values()):
            # every sheet's tables as the previous version had them; its README names the
            # publish that wrote it
            assert previous is not None
            _link_or_copy(earlier_workbook, folder / WORKBOOK_NAME)
            return dict(previous.manifest.get("workbook", {}).get(WORKBOOK_NAME, {})), True
        if not wanted:
            return {}, False
        sheets = {name: _query_sheet(cursor, WORKBOOK_SHEETS[name][1]) for name in wanted}
        readme = Sheet(
            ["sheet", "nội dung", "content"],
            [*[row for row in README_ROWS if row[0] in sheets], ("fingerprint", fingerprint, "")],
        )
        workbook_rows = write_workbook(folder / WORKBOOK_NAME, {"README": readme, **sheets})
        workbook_rows.pop("README")
        return workbook_rows, False
    finally:
        cursor.close()


def activate(serving_db: Path, staged: Path) -> Path:
    """Rename the staged folder into a version, point the ``exports`` link at it (one atomic
    rename), and remove versions older than the previous one. Returns the link's path."""
    versions = serving_db.parent / VERSIONS_DIR
    # microseconds: versions sort by name in the order they were made, even several a second
    # (pruning keeps the newest by name)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    version = versions / f"{stamp}-{uuid.uuid4().hex[:8]}"
    staged.rename(version)
    link = serving_db.parent / EXPORTS_LINK
    new_link = serving_db.parent / f".{EXPORTS_LINK}-{uuid.uuid4().hex}.link"
    new_link.symlink_to(Path(VERSIONS_DIR) / version.name, target_is_directory=True)
    os.replace(new_link, link)
    _prune(versions, keep=version)
    return link


def discard(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


def _prune(versions: Path, keep: Path, now: float | None = None) -> None:
    """Older versions than the last KEEP_VERSIONS go; so do temporary folders a killed publish
    left behind (only old ones: a concurrent publish's folder is never touched)."""
    now = time.time() if now is None else now
    done = sorted((p for p in versions.iterdir() if not p.name.startswith(".")), reverse=True)
    for old in done[KEEP_VERSIONS:]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)
    for leftover in versions.glob(".tmp-*"):
        try:
            if now - leftover.stat().st_mtime > STALE_AFTER_SECONDS:
                shutil.rmtree(leftover, ignore_errors=True)
        except FileNotFoundError:
            pass


def _parquet_columns(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """The table's columns, 128-bit integers (sums of counts) as BIGINT: Parquet has no 128-bit
    integer and DuckDB would write them as DOUBLE. A count beyond BIGINT fails the cast, loudly."""
    schema, _, name = table.partition(".")
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = "
        "current_database() and schema_name = ? and table_name = ? order by column_index",
        [schema, name],
    ).fetchall()
    return ", ".join(
        f'cast("{column}" as bigint) as "{column}"' if kind in HUGE_INTEGERS else f'"{column}"'
        for column, kind in columns
    )


HUGE_INTEGERS = {"HUGEINT", "UHUGEINT"}


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database()"
        ).fetchall()
    }


def _query_sheet(con: duckdb.DuckDBPyConnection, sql: str) -> Sheet:
    """The query's columns and row count now, its rows in batches once the workbook reaches
    its sheet."""
    described = con.execute(f"select * from ({sql}) limit 0").description or []
    (count,) = con.execute(f"select count(*) from ({sql})").fetchone()  # type: ignore[misc]

    def rows() -> Iterator[tuple]:
        cursor = con.cursor()
        try:
            cursor.execute(sql)
            while batch := cursor.fetchmany(FETCH_ROWS):
                yield from batch
        finally:
            cursor.close()

    return Sheet([d[0] for d in described], rows(), int(count))
