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


# Whether the last dbt build passed every test it ran: a build that failed leaves rows its tests
# rejected in the warehouse, so the next build tests every row again (macros/tests_scope.sql).
OUTCOMES_TABLE = "meta.dbt_build_outcomes"


def record_outcome(con: duckdb.DuckDBPyConnection, *, passed: bool) -> None:
    """Record a build's outcome. Callers record a pass only for a build of the whole project (a
    run of a few models tested only those) and a failure for any build."""
    con.execute("create schema if not exists meta")
    con.execute(f"create table if not exists {OUTCOMES_TABLE} (built_at timestamp, passed boolean)")
    con.execute(f"insert into {OUTCOMES_TABLE} values (current_localtimestamp(), ?)", [passed])


def last_build_passed(con: duckdb.DuckDBPyConnection) -> bool:
    """True when the latest recorded build passed every test (False when none is recorded)."""
    try:
        row = con.execute(
            f"select passed from {OUTCOMES_TABLE} order by built_at desc, rowid desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return False
    return bool(row and row[0])


# macros/tests_scope.sql: while true, the data tests of the province-incremental models read only
# the (province, era) units their build rewrote. Set for one build at a time by the pipeline.
TESTS_SCOPE_TABLE = "meta.dbt_tests_scope"


def set_tests_scope(con: duckdb.DuckDBPyConnection, *, rebuilt_units_only: bool) -> None:
    con.execute("create schema if not exists meta")
    con.execute(f"create table if not exists {TESTS_SCOPE_TABLE} (rebuilt_units_only boolean)")
    con.execute(f"delete from {TESTS_SCOPE_TABLE}")
    con.execute(f"insert into {TESTS_SCOPE_TABLE} values (?)", [rebuilt_units_only])


# The newest load of each source whose rows a passing dbt build has taken in: after a build, the
# source's highest audit.loads sequence as the build started, for each source every model
# downstream of which the build ran. A run may then build only the models downstream of the
# sources it loads and of any source whose loads no build has taken yet (a run killed between
# its loads and dbt); every other model holds what its unchanged inputs gave it, and passed
# its tests then.
BUILT_LOADS_TABLE = "meta.dbt_built_loads"


def newest_loads(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Each source's highest load sequence in audit.loads (rejected files included: a later
    load of a file replaces its part, whatever became of the earlier one)."""
    try:
        return dict(
            con.execute("select source, max(load_seq) from audit.loads group by source").fetchall()
        )
    except duckdb.CatalogException:  # nothing loaded yet
        return {}


def record_built_loads(con: duckdb.DuckDBPyConnection, loads: dict[str, int]) -> None:
    """Record that a passing build took in each of ``loads``' sources up to its sequence."""
    con.execute("create schema if not exists meta")
    con.execute(
        f"create table if not exists {BUILT_LOADS_TABLE} "
        "(source varchar primary key, load_seq bigint, built_at timestamp)"
    )
    for source, load_seq in sorted(loads.items()):
        con.execute(
            f"insert or replace into {BUILT_LOADS_TABLE} values (?, ?, current_localtimestamp())",
            [source, load_seq],
        )


def sources_behind(
    con: duckdb.DuckDBPyConnection, digest: str, loads: dict[str, int] | None = None
) -> set[str] | None:
    """The sources with a load no passing build has taken in; None when a build of only some
    models would not be exact: the project differs from the one last built, the last build
    failed (its tests must see every row again), or no build has recorded what it took.
    ``loads``: ``newest_loads``, when the caller has read it already."""
    if needs_full_refresh(con, digest) or not last_build_passed(con):
        return None
    try:
        built = dict(con.execute(f"select source, load_seq from {BUILT_LOADS_TABLE}").fetchall())
    except duckdb.CatalogException:
        return None
    return {
        source
        for source, load_seq in (newest_loads(con) if loads is None else loads).items()
        if load_seq > built.get(source, -1)
    }


def sources_to_build(warehouse_db: Path, manifest_path: Path, loading: set[str]) -> set[str] | None:
    """The sources whose downstream models a run that loads ``loading`` must build: those and
    the ones behind (``sources_behind``). None when the run must build every model (see
    ``sources_behind``), when nothing is to build (the dbt step then decides whether the last
    publish is current), or when the warehouse cannot say (none yet, or another run holds it)."""
    if not warehouse_db.exists():
        return None
    try:
        con = duckdb.connect(str(warehouse_db), read_only=True)
    except duckdb.Error:  # held by a run in another process
        return None
    try:
        behind = sources_behind(con, project_digest(manifest_path))
    finally:
        con.close()
    if behind is None or not (behind | loading):
        return None
    return behind | loading
