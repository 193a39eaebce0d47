"""A viewer's copy of the serving database: only the rows their grant allows, in a file of its own.

A restricted viewer never reads serving.duckdb. Their pages, downloads and SQL queries run on
`scoped/<digest>.duckdb` next to it, built once per (grant, published file) and opened read-only
with the same locked configuration as the serving file. What is not in that file cannot be
reached by any query: no catalog, `information_schema`, `duckdb_*()` function, pragma or view
can name the serving file, and the locked connection cannot attach it.

What the copy keeps:
- every table without agency-level rows, whole (national rankings stay national);
- of a table with an `agency_code` column: roll-ups (`agency_code` null) and the rows of agencies
  of the viewer's provinces, i.e. of `dim_agency` rows whose (province_code, era) is one of the
  viewer's current provinces or a legacy province merged into one (`dim_province.successor_code`);
- `audit.*` only for engineers and admins, limited to loads of their provinces (and the
  quarantined rows of those files).
A new publish is a new file identity, hence a new digest; older copies are removed.
"""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import duckdb

from dashboards.lib.access import Grant
from pipelines.lib.admin_units import RESTRUCTURING_DATE

LEGACY_UNTIL = RESTRUCTURING_DATE.isoformat()
_BUILD_LOCK = threading.Lock()


def scope_key(grant: Grant, sees_audit: bool) -> str:
    provinces = "*" if grant.provinces is None else ",".join(sorted(grant.provinces))
    return f"{provinces}|audit={sees_audit}"


def scoped_path(serving: Path, grant: Grant, sees_audit: bool) -> Path:
    """The viewer's copy of the current serving file, built on first use."""
    stat = serving.stat()
    identity = f"{scope_key(grant, sees_audit)}|{stat.st_ino}|{stat.st_mtime_ns}"
    digest = hashlib.sha256(identity.encode()).hexdigest()[:20]
    folder = serving.parent / "scoped"
    target = folder / f"{stat.st_ino}-{stat.st_mtime_ns}-{digest}.duckdb"
    if target.exists():
        return target
    with _BUILD_LOCK:
        if not target.exists():
            folder.mkdir(parents=True, exist_ok=True)
            partial = folder / f".{digest}.{os.getpid()}.partial"
            partial.unlink(missing_ok=True)
            _build(serving, partial, grant, sees_audit)
            os.replace(partial, target)
            _remove_stale(folder, f"{stat.st_ino}-{stat.st_mtime_ns}-")
    return target


def _remove_stale(folder: Path, current_prefix: str) -> None:
    """Copies of earlier publishes: a reader that still has one open keeps its snapshot."""
    for path in folder.glob("*.duckdb"):
        if not path.name.startswith(current_prefix):
            path.unlink(missing_ok=True)


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _build(serving: Path, target: Path, grant: Grant, sees_audit: bool) -> None:
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach {_literal(str(serving))} as src (read_only)")
        columns: dict[tuple[str, str], list[str]] = {}
        for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = 'src' order by schema_name, table_name, column_index"
        ).fetchall():
            columns.setdefault((schema, table), []).append(column)
        _allowed_units(con, grant)
        for (schema, table), names in columns.items():
            if schema == "audit" and not sees_audit:
                continue
            predicate = _row_filter(schema, table, names, grant)
            if predicate is None:
                continue
            con.execute(f"create schema if not exists {_quote(schema)}")
            con.execute(
                f"create table {_quote(schema)}.{_quote(table)} as "
                f"select * from src.{_quote(schema)}.{_quote(table)} t where {predicate}"
            )
        con.execute("detach src")
        con.execute("checkpoint")
    finally:
        con.close()


def _allowed_units(con: duckdb.DuckDBPyConnection, grant: Grant) -> None:
    """Temp tables of the (province_code, era) pairs and the agencies the grant covers."""
    if grant.provinces is None:
        con.execute(
            "create temp table allowed_units as "
            "select province_code, era from src.marts.dim_province"
        )
    else:
        codes = ", ".join(_literal(c) for c in sorted(grant.provinces))
        con.execute(
            f"""
            create temp table allowed_units as
            select province_code, era from src.marts.dim_province
            where (era = 'current' and province_code in ({codes}))
               or (era = 'legacy' and successor_code in ({codes}))
            """
        )
    con.execute(
        "create temp table allowed_agencies as select a.agency_code from src.marts.dim_agency a "
        "join allowed_units u on a.province_code = u.province_code and a.era = u.era"
    )


def _load_in_scope(load: str) -> str:
    """A load (an audit.loads row aliased `load`) of one of the allowed provinces."""
    return (
        "exists (select 1 from allowed_units u "
        f"where u.province_code = {load}.province_code "
        f"and u.era = case when {load}.period_start < date '{LEGACY_UNTIL}' "
        "then 'legacy' else 'current' end)"
    )


def _row_filter(schema: str, table: str, names: list[str], grant: Grant) -> str | None:
    """The rows of one table the grant keeps, as SQL; None = the table is left out."""
    if schema == "audit":
        if grant.provinces is None:
            return "true"
        if table == "loads":
            return _load_in_scope("t")
        if "file_hash" in names:
            loads = f"select l.file_hash from src.audit.loads l where {_load_in_scope('l')}"
            return f"t.file_hash in ({loads})"
        return None  # an audit table with no way to tell its province: not shown
    if "agency_code" in names:
        return (
            "t.agency_code is null or t.agency_code in (select agency_code from allowed_agencies)"
        )
    return "true"
