"""When an incremental dbt build is exact, and when it must start again from raw.

The staging models of the large sources (``stg_dossiers``, ``stg_payments``) are incremental: a
build reads only the raw rows loaded since the last one. That is exact only while the models are
the ones that built the rows already held. dbt does not notice a changed model (or macro, seed,
adapter) by itself, so the pipeline records the dbt project's digest after each successful build
and asks for ``--full-refresh`` whenever the project it is about to build differs.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import duckdb

STATE_TABLE = "meta.dbt_project_builds"
# The Spark target's tables (CCHC_ENGINE=spark) are built apart from DuckDB's: their own record,
# kept in the same warehouse file.
SPARK_STATE_TABLE = "meta.dbt_project_builds_spark"


def project_digest(manifest_path: Path) -> str:
    """Every node's checksum (models, tests, seeds) and config, every macro's SQL (the
    adapter's included) and every unit test's case: what decides the rows a build writes and
    what its unit tests check."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    digest = hashlib.sha256()
    for unique_id, node in sorted(manifest.get("nodes", {}).items()):
        checksum = node.get("checksum", {}).get("checksum")
        config = json.dumps(node.get("config", {}), sort_keys=True, default=str)
        digest.update(f"{unique_id}:{checksum}:{config}\n".encode())
    for unique_id, macro in sorted(manifest.get("macros", {}).items()):
        digest.update(f"{unique_id}:{macro.get('macro_sql', '')}\n".encode())
    # Unit tests too: a build of an unchanged project skips them (pipelines/defs/dbt.py).
    for unique_id, unit_test in sorted(manifest.get("unit_tests", {}).items()):
        case = {key: unit_test.get(key) for key in ("model", "given", "expect", "overrides")}
        digest.update(f"{unique_id}:{json.dumps(case, sort_keys=True, default=str)}\n".encode())
    return digest.hexdigest()


def last_built_digest(con: duckdb.DuckDBPyConnection, table: str = STATE_TABLE) -> str | None:
    try:
        row = con.execute(
            f"select project_digest from {table} order by built_at desc, rowid desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def needs_full_refresh(
    con: duckdb.DuckDBPyConnection, digest: str, table: str = STATE_TABLE
) -> bool:
    """True unless the last successful build (recorded in ``table``) was of this very project."""
    return last_built_digest(con, table) != digest


def record_build(
    con: duckdb.DuckDBPyConnection, digest: str, *, full_refresh: bool, table: str = STATE_TABLE
) -> None:
    schema = table.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    con.execute(
        f"create table if not exists {table} ("
        "built_at timestamp, project_digest varchar, full_refresh boolean)"
    )
    con.execute(
        f"insert into {table} values (current_localtimestamp(), ?, ?)", [digest, full_refresh]
    )
