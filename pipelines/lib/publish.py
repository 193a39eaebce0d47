"""Publish the marts to the serving database: build a new file, then rename it over the old one.

DuckDB allows one writer or many readers per file, never both. Readers (Streamlit, analysts)
therefore never open the pipeline's warehouse: they read ``serving.duckdb``, which is replaced
atomically with ``os.replace`` after a good build. A reader that still has the old file open keeps
its consistent snapshot; a failed or killed publish leaves the last good file in place.

The new file starts as a byte copy of the current serving file and only the tables whose content
changed since it was published are written again (``meta.table_digests``): a run that touched one
province-month rewrites the few marts it changed, not all of them.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.lib import exports, unit_copy
from pipelines.lib.contracts import load_contract
from pipelines.lib.dbt_state import project_digest
from pipelines.lib.lake import view_glob
from pipelines.settings import SOURCES

PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts", "audit")
# The serving file's layout (table order, meta tables). Part of the fingerprint: a new layout
# republishes on the next run even when no file arrived. Raise it when the copy step changes.
SERVING_LAYOUT_VERSION = 4
# Per published table: a digest of its columns and rows, to copy only changed tables next time.
TABLE_DIGESTS = "meta.table_digests"


@dataclass(frozen=True)
class PublishResult:
    published: bool
    fingerprint: str
    table_rows: dict[str, int]
    reason: str
    exports: exports.ExportResult | None = None
    # the tables written into the new file; the others were kept from the previous one
    tables_written: tuple[str, ...] = ()


def warehouse_fingerprint(con: duckdb.DuckDBPyConnection, manifest_path: Path | None) -> str:
    """What the marts were built from: every file load, the raw row counts, the dbt project's
    compiled state and the serving layout's version.

    Equal fingerprints mean an unchanged warehouse, so a run with nothing new publishes nothing.
    """
    digest = hashlib.sha256(f"serving layout {SERVING_LAYOUT_VERSION}".encode())
    for row in con.execute(
        "select source, file_name, file_hash, outcome, contract_version from wh.audit.loads "
        "order by load_seq"
    ).fetchall():
        digest.update(json.dumps(row, default=str).encode())
    digest.update(json.dumps(raw_state(con)).encode())
    if manifest_path and manifest_path.exists():
        # Macros too: a changed KPI definition (macros/kpi_definitions.sql) changes the marts.
        digest.update(project_digest(manifest_path).encode())
    return digest.hexdigest()


def raw_state(con: duckdb.DuckDBPyConnection) -> list[tuple[str, object]]:
    """What each source's raw relation holds, read without reading its rows: rows written there
    other than by a file load (which audit.loads records) change the fingerprint too, so they
    are never taken for nothing new.

    A raw relation is a view over the source's folder of the lake (docs/ingestion.md): every
    write there replaces a part file, so the names, sizes and modification times of the files
    the view reads say whether it changed (counting its rows read the footers of every part,
    ≈ 1,800 at reference scale, twice a run). A table (a warehouse from before the lake) or a
    view over anything else is counted. The ``<source>_current`` views select from those same
    rows and are left out."""
    source_tables = {load_contract(source).table.split(".")[-1] for source in SOURCES}
    relations = con.execute(
        "select table_name, null from duckdb_tables() "
        "where database_name = 'wh' and schema_name = 'raw' union "
        "select view_name, sql from duckdb_views() "
        "where database_name = 'wh' and schema_name = 'raw' order by 1"
    ).fetchall()
    state: list[tuple[str, object]] = []
    for name, view_sql in relations:
        if name not in source_tables:
            continue
        files = view_glob(view_sql)
        if files:
            state.append((name, files_listing(files)))
        else:
            (count,) = con.execute(f'select count(*) from wh.raw."{name}"').fetchone()  # type: ignore[misc]
            state.append((name, count))
    return state


def files_listing(pattern: str) -> list[tuple[str, int, int]]:
    """Every file a glob matches: (path under the glob's folder, bytes, modified ns), sorted.
    Relative: a data folder copied or moved elsewhere with its files' times (``cp -a``) has the
    same listing."""
    base = os.path.dirname(pattern.split("*", 1)[0])
    listing = []
    for name in glob.glob(pattern):
        stat = os.stat(name)
        listing.append((os.path.relpath(name, base), stat.st_size, stat.st_mtime_ns))
    return sorted(listing)


def unchanged_since_publish(
    warehouse_db: Path, serving_db: Path, manifest_path: Path | None
) -> str | None:
    """The warehouse's fingerprint when it equals the serving database's, else None.

    Equal means no file was loaded (nor raw written otherwise) and the dbt project is the same as
    at the last publish: building the marts again would give what serving.duckdb already holds,
    so the pipeline may skip dbt and the publish. Read-only on both files.
    """
    published = current_fingerprint(serving_db)
    if published is None or not warehouse_db.exists():
        return None
    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse_db}' as wh (read_only)")
        try:
            fingerprint = warehouse_fingerprint(con, manifest_path)
        except duckdb.CatalogException:  # no audit.loads yet
            return None
    return fingerprint if fingerprint == published else None


def current_fingerprint(serving_db: Path) -> str | None:
    if not serving_db.exists():
        return None
    try:
        with duckdb.connect(str(serving_db), read_only=True) as con:
            row = con.execute("select fingerprint from meta.publish").fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def publish(
    warehouse_db: Path,
    serving_db: Path,
    *,
    manifest_path: Path | None = None,
    run_id: str | None = None,
    partitions: str | None = None,
    force: bool = False,
) -> PublishResult:
    """Copy the marts and audit tables into a new file, write the exports (Parquet, XLSX) from
    it, then rename the file over ``serving_db`` and switch the exports link to the new version.
    """
    serving_db.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_staging_files(serving_db)
    with duckdb.connect() as probe:
        probe.execute(f"attach '{warehouse_db}' as wh (read_only)")
        fingerprint = warehouse_fingerprint(probe, manifest_path)
    published_fingerprint = current_fingerprint(serving_db)
    if not force and fingerprint == published_fingerprint:
        return PublishResult(False, fingerprint, {}, "nothing changed since the last publish")
    staging_file = serving_db.with_name(f".{serving_db.stem}-{uuid.uuid4().hex}.duckdb.tmp")
    staged_exports: Path | None = None
    try:
        previous_digests = _start_from_serving(serving_db, staging_file)
        with duckdb.connect(str(staging_file)) as con:
            con.execute(f"attach '{warehouse_db}' as wh (read_only)")
            table_rows, written_tables = _copy_tables(con, previous_digests)
            _write_metadata(con, fingerprint, table_rows, manifest_path, run_id, partitions)
            write_report_periods(con)
            con.execute("detach wh")
            con.execute("checkpoint")
            staged_exports = exports.staging_folder(serving_db)
            # the tables kept from the serving file this one started from: their exports too
            kept = set(table_rows) - set(written_tables) if previous_digests else set()
            previous = exports.previous_exports(serving_db, published_fingerprint, kept)
            written = exports.write_exports(con, staged_exports, fingerprint, previous)
        os.replace(staging_file, serving_db)
        # Right after the serving file: the two renames leave the exports one publish behind
        # for an instant at most, and each reader sees whole versions only.
        link = exports.activate(serving_db, staged_exports)
        staged_exports = None
        result = exports.ExportResult(link, written.parquet_rows, written.workbook_rows)
        return PublishResult(
            True, fingerprint, table_rows, "published", result, tables_written=written_tables
        )
    finally:
        for leftover in (staging_file, staging_file.with_name(staging_file.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if staged_exports is not None:
            exports.discard(staged_exports)


STALE_AFTER_SECONDS = 6 * 3600


def remove_stale_staging_files(serving_db: Path, now: float | None = None) -> None:
    """A publish killed mid-copy leaves its new file behind; it is never renamed, only removed.

    Only files older than a few hours go: a concurrent publish's file is never touched.
    """
    now = time.time() if now is None else now
    for leftover in serving_db.parent.glob(f".{serving_db.stem}-*.duckdb.tmp*"):
        try:
            if now - leftover.stat().st_mtime > STALE_AFTER_SECONDS:
                leftover.unlink()
        except FileNotFoundError:
            pass


# The serving DB's physical layout. DuckDB keeps min/max and null statistics per row group (~123k
# rows) and skips every row group a filter rules out, so a table written in the order of the
# pages' filters is read a few row groups at a time instead of whole. fct_kpi (millions of rows at
# national scale): the roll-up rows first (agency_code and procedure_field null: what most pages
# read), then the per-field rows, then the agencies' rows; each by period, province and KPI.
# Only the order of the rows changes, never their content. Each term starts with its column's
# name; a table that lacks one of them is copied as it is.
SERVING_ORDER: dict[str, tuple[str, ...]] = {
    "marts.fct_kpi": (
        "agency_code is not null",
        "procedure_field is not null",
        "period_grain",
        "period_start",
        "province_code",
        "kpi_code",
    ),
}


def _order_by(name: str, columns: set[str]) -> str:
    """The serving order of table ``name`` (schema.table) with these columns ('' for none)."""
    terms = SERVING_ORDER.get(name)
    if not terms or any(term.split()[0] not in columns for term in terms):
        return ""
    return f" order by {', '.join(terms)}"


PERIOD_COLUMNS = ("period_grain", "period_start", "period_end")


def write_report_periods(con: duckdb.DuckDBPyConnection) -> None:
    """``meta.report_periods``: every (grain, start, end) of marts.fct_kpi, newest first.

    Every page lists the periods; read from this table of a few dozen rows instead of a scan of
    fct_kpi. Not written when fct_kpi lacks the columns (the dashboard then reads fct_kpi).
    """
    present = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'marts' and table_name = 'fct_kpi'"
        ).fetchall()
    }
    if not set(PERIOD_COLUMNS) <= present:
        return
    columns = ", ".join(PERIOD_COLUMNS)
    con.execute("create schema if not exists meta")
    con.execute(
        f"create table meta.report_periods as select distinct {columns} from marts.fct_kpi "
        "order by period_start desc, period_grain, period_end"
    )
    documented = con.execute(
        "select count(*) from duckdb_tables() where database_name = current_database() "
        "and schema_name = 'meta' and table_name = 'tables'"
    ).fetchone()
    if documented and documented[0]:  # for the analysts' schema browser
        con.execute(
            "insert into meta.tables select 'meta.report_periods', count(*), "
            "'Every (period_grain, period_start, period_end) of marts.fct_kpi, newest first "
            "(written on publish)' from meta.report_periods"
        )


def _start_from_serving(serving_db: Path, staging_file: Path) -> dict[str, str]:
    """Copy the serving file to ``staging_file`` when it records its tables' digests (then its
    unchanged tables are kept as they are); returns those digests, empty when starting afresh.

    The serving file is never written in place (only replaced by a rename), so a byte copy of
    it is a whole, consistent database even while readers have it open.
    """
    try:
        with duckdb.connect(str(serving_db), read_only=True) as con:
            digests = dict(
                con.execute(f"select table_name, digest from {TABLE_DIGESTS}").fetchall()
            )
    except duckdb.Error:  # no serving file yet, or one from before the digests
        return {}
    shutil.copyfile(serving_db, staging_file)
    return digests


@dataclass(frozen=True)
class _WarehouseTable:
    """A published table of the warehouse as the publish compares it, its columns read once:
    its serving order, its layout (columns and order), its rows and a digest of them, and
    whether it has (province_code, era) units (unit_copy.py)."""

    name: str
    order: str
    layout: str
    rows: int
    digest: str
    has_units: bool

    @classmethod
    def read(cls, con: duckdb.DuckDBPyConnection, schema: str, table: str) -> _WarehouseTable:
        name = f"{schema}.{table}"
        columns = con.execute(
            "select column_name, data_type from duckdb_columns() where database_name = 'wh' "
            "and schema_name = ? and table_name = ? order by column_index",
            [schema, table],
        ).fetchall()
        names = {column for column, _ in columns}
        order = _order_by(name, names)
        layout = hashlib.sha256(json.dumps([columns, order], default=str).encode()).hexdigest()
        (count, rows_hash) = con.execute(  # type: ignore[misc]
            f"select count(*), coalesce(sum(hash(published_row)::hugeint), 0) "
            f'from wh.{schema}."{table}" as published_row'
        ).fetchone()
        # equal digests mean the same table in the serving file
        content = [layout, count, str(rows_hash)]
        digest = hashlib.sha256(json.dumps(content, default=str).encode()).hexdigest()
        return cls(name, order, layout, count, digest, unit_copy.has_units(names))


def _copy_tables(
    con: duckdb.DuckDBPyConnection, previous: dict[str, str]
) -> tuple[dict[str, int], tuple[str, ...]]:
    """Write every published table whose digest differs from ``previous`` (what the file ``con``
    holds was published with), drop the ones the warehouse no longer has, keep the rest.
    Returns every table's row count and the tables written."""
    tables = con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = 'wh' and schema_name in "
        f"({', '.join(repr(s) for s in PUBLISHED_SCHEMAS)}) order by 1, 2"
    ).fetchall()
    held = {
        f"{schema}.{table}"
        for schema, table in con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database()"
        ).fetchall()
    }
    unit_states = unit_copy.previous_states(con) if previous else {}
    con.execute("drop schema if exists meta cascade")  # rewritten whole by _write_metadata
    for stale in held - {f"{schema}.{table}" for schema, table in tables}:
        if not stale.startswith("meta."):  # meta's tables went with their schema
            con.execute(f"drop table {stale}")
    rows: dict[str, int] = {}
    digests: dict[str, str] = {}
    written: list[str] = []
    kept_states: dict[str, unit_copy.UnitState] = {}
    for schema, table in tables:
        source = _WarehouseTable.read(con, schema, table)
        name = source.name
        digests[name], rows[name] = source.digest, source.rows
        if name in held and previous.get(name) == source.digest:
            if name in unit_states:  # the same rows: the same units
                kept_states[name] = unit_states[name]
        else:
            written.append(name)
            state = _write_table(con, source, unit_states.get(name) if name in held else None)
            if state is not None:
                kept_states[name] = state
    con.execute("create schema meta")
    con.execute(f"create table {TABLE_DIGESTS} (table_name varchar, digest varchar)")
    con.executemany(f"insert into {TABLE_DIGESTS} values (?, ?)", list(digests.items()))
    unit_copy.write_states(con, kept_states)
    return rows, tuple(written)


def _write_table(
    con: duckdb.DuckDBPyConnection, source: _WarehouseTable, units: unit_copy.UnitState | None
) -> unit_copy.UnitState | None:
    """Bring one changed table of the serving copy up to date: a large table with provinces
    only in the units that changed (unit_copy.py, ``units`` its state in the copy), any other
    written whole. Returns the table's unit state to record, if it keeps one."""
    name, order = source.name, source.order
    plan = unit_copy.UnitPlan(None)
    if source.has_units:  # a digest per unit only for a changed table (one more scan)
        plan = unit_copy.plan(unit_copy.unit_digests(con, f"wh.{name}"), source.layout, units)
    if plan.units is not None:
        unit_copy.replace_units(con, name, f"wh.{name}", plan.units, order)
    else:
        con.execute(f"create schema if not exists {name.split('.')[0]}")
        con.execute(f"create or replace table {name} as select * from wh.{name}{order}")
    return plan.state


def _write_metadata(
    con: duckdb.DuckDBPyConnection,
    fingerprint: str,
    table_rows: dict[str, int],
    manifest_path: Path | None,
    run_id: str | None,
    partitions: str | None = None,
) -> None:
    con.execute("create schema if not exists meta")
    con.execute(
        """
        create table meta.publish as
        select
            ?::timestamp as published_at,
            ?::varchar as fingerprint,
            ?::varchar as run_id,
            ?::varchar as partitions,
            (select max(loaded_at) from wh.audit.loads) as data_loaded_until,
            (select list(distinct load_id order by load_id) from wh.audit.loads) as load_ids,
            (select list(distinct source order by source) from wh.audit.loads
                where rows_loaded > 0) as sources
        """,
        [datetime.now(UTC).replace(tzinfo=None), fingerprint, run_id, partitions],
    )
    _write_sources(con)
    con.execute(
        "create table meta.tables (table_name varchar, row_count bigint, description varchar)"
    )
    docs = _model_docs(manifest_path)
    for name, count in table_rows.items():
        description = docs.get(name, {}).get("description", "")
        con.execute("insert into meta.tables values (?, ?, ?)", [name, count, description])
    con.execute(
        f"insert into meta.tables select '{TABLE_DIGESTS}', count(*), 'A digest of each "
        "published table (columns, rows), so the next publish rewrites only changed tables "
        f"(written on publish)' from {TABLE_DIGESTS}"
    )
    con.execute(
        f"insert into meta.tables select '{unit_copy.DIGESTS_TABLE}', count(*), 'A digest of "
        "each (province_code, era) of the large tables, so the next publish rewrites only the "
        f"provinces that changed (written on publish)' from {unit_copy.DIGESTS_TABLE}"
    )
    con.execute(
        f"insert into meta.tables select '{unit_copy.STATE_TABLE}', count(*), 'Per large table: "
        "its layout and the rows inserted province by province since it was last written "
        f"whole (written on publish)' from {unit_copy.STATE_TABLE}"
    )
    con.execute(
        "create table meta.columns (table_name varchar, column_name varchar, description varchar)"
    )
    for name, doc in docs.items():
        for column, description in doc.get("columns", {}).items():
            con.execute("insert into meta.columns values (?, ?, ?)", [name, column, description])


SOURCE_SUMMARY = {  # column of meta.sources: (audit.loads columns it needs, expression)
    "files_loaded": (
        {"outcome"},
        "count(*) filter (where outcome in ('loaded', 'loaded_with_quarantine'))",
    ),
    "files_rejected": ({"outcome"}, "count(*) filter (where outcome = 'rejected')"),
    "files_duplicate": ({"outcome"}, "count(*) filter (where outcome = 'duplicate')"),
    "rows_loaded": ({"rows_loaded"}, "sum(rows_loaded)"),
    "rows_quarantined": ({"rows_quarantined"}, "sum(rows_quarantined)"),
    "first_period_start": ({"period_start"}, "min(period_start)"),
    "last_period_end": ({"period_end"}, "max(period_end)"),
    "last_loaded_at": ({"loaded_at"}, "max(loaded_at)"),
    "load_ids": ({"load_id"}, "list(distinct load_id order by load_id)"),
}


def _write_sources(con: duckdb.DuckDBPyConnection) -> None:
    """``meta.sources``: per source, files by outcome, rows, the periods covered, the loads."""
    present = {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where database_name = 'wh' "
            "and schema_name = 'audit' and table_name = 'loads'"
        ).fetchall()
    }
    columns = [
        f"{expression} as {name}"
        for name, (needs, expression) in SOURCE_SUMMARY.items()
        if needs <= present
    ]
    con.execute(
        f"create table meta.sources as select source, {', '.join(columns)} "
        "from wh.audit.loads group by source order by source"
    )


def _model_docs(manifest_path: Path | None) -> dict[str, dict]:
    """Table and column descriptions from dbt's manifest, for the analysts' schema browser."""
    if not manifest_path or not manifest_path.exists():
        return {}
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    docs: dict[str, dict] = {}
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") not in {"model", "seed"}:
            continue
        name = f"{node['schema']}.{node.get('alias') or node['name']}"
        docs[name] = {
            "description": node.get("description", ""),
            "columns": {c: v.get("description", "") for c, v in node.get("columns", {}).items()},
        }
    for source in manifest.get("sources", {}).values():
        name = f"{source['schema']}.{source['name']}"
        docs[name] = {
            "description": source.get("description", ""),
            "columns": {c: v.get("description", "") for c, v in source.get("columns", {}).items()},
        }
    return docs
