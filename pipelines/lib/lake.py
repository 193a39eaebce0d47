"""The raw lake: every validated file's rows as Parquet under ``<lake>/<source>/``.

Layout (agreed in the brief of issues #13 and #15; docs/ingestion.md, "The raw lake"):

- ``<lake>/<source>/data_month=YYYY-MM/part-<file_key>.parquet``: one file per landed file and
  month the rows belong to (the contract's ``lakeMonth`` expression over a typed row); the
  partition column is in the path, not in the file.
- columns: exactly the contract's, in contract order and with its types, then the lineage columns.
- ``file_key``: a stable key of the landed file's identity (source + path relative to the landing
  folder), so reloading that file replaces exactly its own parts, and removes its parts of months
  it no longer has.
- every part is written under a temporary name that readers' ``*.parquet`` globs skip, then
  renamed with ``os.replace``: a killed run never leaves a half-written part visible.
- ``data_month=0000-00/part-contract.parquet``: zero rows with the contract's columns and types,
  rewritten from the contract at every load. A source without files yet still reads as a typed,
  empty relation, and a column the contract gained appears as a column (null in older parts).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from pipelines.lib.contracts import Contract

LINEAGE_COLUMNS: dict[str, str] = {
    "load_seq": "bigint",
    "load_id": "varchar",
    "source_file": "varchar",
    "file_hash": "varchar",
    "source_row_number": "bigint",
    "loaded_at": "timestamp",
}
PARTITION_COLUMN = "data_month"
CONTRACT_MONTH = "0000-00"  # the zero-row part that carries the contract's schema
CONTRACT_PART = "part-contract.parquet"
UNKNOWN_MONTH = "unknown"  # a row whose month expression is null (never for a valid row)


class LakeSchemaMismatch(RuntimeError):
    """A part of the lake does not have the contract's columns and types."""


def lake_dir_for_database(database: Path) -> Path:
    """``$CCHC_LAKE_DIR``, else the lake of the data folder a warehouse file is in
    (``<data>/warehouse/warehouse.duckdb`` -> ``<data>/lake``), else a ``lake`` folder next to a
    loose database file (tests)."""
    configured = os.environ.get("CCHC_LAKE_DIR")
    if configured:
        return Path(configured).expanduser().resolve()
    folder = Path(database).resolve().parent
    return folder.parent / "lake" if folder.name == "warehouse" else folder / "lake"


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def file_key(source: str, relative_path: str) -> str:
    """A stable key of a landed file's identity: its source and its path in the landing folder."""
    return hashlib.sha256(f"{source}/{relative_path}".encode()).hexdigest()[:20]


def lake_columns(contract: Contract) -> dict[str, str]:
    """Column -> DuckDB type of a part: the contract's columns then the lineage columns."""
    return {c.name: c.physical_type for c in contract.columns} | LINEAGE_COLUMNS


def lake_glob(lake_root: Path, source: str) -> str:
    """The files of one source of the lake."""
    return f"{lake_root / source}/*/*.parquet"


# The glob of a view's read_parquet, as DuckDB stores the view's SQL.
_VIEW_GLOB = re.compile(r"read_parquet\(\s*'((?:[^']|'')*)'")


def view_glob(view_sql: str | None) -> str | None:
    """The files a view over the lake reads (the glob of its read_parquet); None for another
    kind of view."""
    found = _VIEW_GLOB.search(view_sql or "")
    return found.group(1).replace("''", "'") if found else None


def read_sql(lake_root: Path, source: str) -> str:
    """How DuckDB reads one source of the lake (the dbt source reads it the same way)."""
    glob = sql_text(lake_glob(lake_root, source))
    return (
        f"read_parquet({glob}, hive_partitioning = true, hive_types_autocast = false, "
        "union_by_name = true)"
    )


@dataclass(frozen=True)
class LakeTable:
    """One source's folder of the lake, written by the source's loader."""

    root: Path
    contract: Contract

    @property
    def folder(self) -> Path:
        return self.root / self.contract.source

    def month_sql(self) -> str:
        expression = self.contract.extra.get("lakeMonth")
        if not expression:
            raise ValueError(
                f"data_contracts/{self.contract.source}.yaml: no customProperty lakeMonth "
                "(the month a row belongs to, which partitions the lake)"
            )
        return f"coalesce(strftime(({expression}), '%Y-%m'), {sql_text(UNKNOWN_MONTH)})"

    def ensure(self, con: duckdb.DuckDBPyConnection) -> None:
        """The folder and its contract part, rewritten when the contract's columns or types
        changed. Left as it is otherwise: an unchanged lake keeps its files' times, which the
        publish's fingerprint reads (publish.raw_state)."""
        columns = ", ".join(
            f"null::{kind} as {quote(name)}" for name, kind in lake_columns(self.contract).items()
        )
        empty = f"select {columns} where false"
        part = self.folder / f"{PARTITION_COLUMN}={CONTRACT_MONTH}" / CONTRACT_PART
        if part.exists():
            wanted = con.execute(f"describe {empty}").fetchall()
            try:
                present = con.execute(
                    f"describe select * from read_parquet({sql_text(str(part))}, "
                    "hive_partitioning = false)"
                ).fetchall()
            except duckdb.Error:  # unreadable: written again below
                present = []
            if [row[:2] for row in present] == [row[:2] for row in wanted]:
                return
        self._replace_with(con, empty, CONTRACT_MONTH, CONTRACT_PART)

    def parts_of(self, key: str) -> list[Path]:
        return sorted(self.folder.glob(f"{PARTITION_COLUMN}=*/part-{key}.parquet"))

    def write_file(self, con: duckdb.DuckDBPyConnection, key: str, rows_sql: str) -> list[str]:
        """Write ``rows_sql`` (the contract's columns and the lineage columns, any order) as
        this file's parts, one per month; the file's parts of other months are removed.
        Returns the months written."""
        columns = ", ".join(
            f"{quote(name)}::{kind} as {quote(name)}"
            for name, kind in lake_columns(self.contract).items()
        )
        month = self.month_sql()
        staging = self.folder / f"_writing-{key}"
        shutil.rmtree(staging, ignore_errors=True)
        written: list[Path] = []
        months: list[str] = []
        try:
            # One pass: DuckDB partitions the rows; the month stays out of the files. The
            # months are the folders it wrote (no rows, no folder), not a query of their own
            # (which cost a small file as much as half its write).
            con.execute(
                f"copy (select {columns}, {month} as {PARTITION_COLUMN} from ({rows_sql})) "
                f"to {sql_text(str(staging))} "
                f"(format parquet, partition_by ({PARTITION_COLUMN}), overwrite_or_ignore)"
            )
            prefix = f"{PARTITION_COLUMN}="
            if staging.is_dir():
                months = sorted(
                    p.name.removeprefix(prefix)
                    for p in staging.iterdir()
                    if p.is_dir() and p.name.startswith(prefix)
                )
            for value in months:
                (produced,) = sorted((staging / f"{PARTITION_COLUMN}={value}").glob("*.parquet"))
                target = self.folder / f"{PARTITION_COLUMN}={value}" / f"part-{key}.parquet"
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(produced, target)
                written.append(target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        for stale in set(self.parts_of(key)) - set(written):
            stale.unlink(missing_ok=True)
        return months

    def _replace_with(
        self, con: duckdb.DuckDBPyConnection, select_sql: str, month: str, name: str
    ) -> None:
        target = self.folder / f"{PARTITION_COLUMN}={month}" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{name}.writing")  # not *.parquet: readers skip it
        con.execute(f"copy ({select_sql}) to {sql_text(str(temporary))} (format parquet)")
        os.replace(temporary, target)

    def row_count(self, con: duckdb.DuckDBPyConnection) -> int:
        """The rows of the source's lake, from its parts' footers: a count over the raw view
        reads them as well, twice (binding the union by name, then counting), ≈ 0.5-0.8 s
        against 0.2 s for the 1,808 dossier parts of the reference scale."""
        (count,) = con.execute(
            "select coalesce(sum(num_rows), 0) from parquet_file_metadata(?)",
            [lake_glob(self.root, self.contract.source)],
        ).fetchone()  # type: ignore[misc]
        return int(count)


def check_schema(con: duckdb.DuckDBPyConnection, lake_root: Path, contract: Contract) -> None:
    """Raise LakeSchemaMismatch unless the source reads with exactly the contract's columns and
    types (then the lineage and partition columns), in that order."""
    described = con.execute(
        f"describe select * from {read_sql(lake_root, contract.source)}"
    ).fetchall()
    actual = [(name, kind.lower()) for name, kind, *_ in described]
    expected = [(n, k) for n, k in lake_columns(contract).items()] + [(PARTITION_COLUMN, "varchar")]
    if actual != expected:
        differing = [
            f"{e[0]} {e[1]} (lake: {' '.join(a) if a else 'missing'})"
            for e, a in zip(expected, actual + [()] * len(expected), strict=False)
            if e != a
        ]
        raise LakeSchemaMismatch(
            f"lake/{contract.source} does not match data_contracts/{contract.source}.yaml: "
            + "; ".join(differing[:5])
        )
