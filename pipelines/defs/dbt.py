"""The dbt project as Dagster assets: sources link to the raw assets, tests become asset checks."""

import contextlib
import functools
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from pipelines.defs.ingestion import raw_key
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.lib.dbt_failures import (
    describe_failures,
    manifest_is_stale,
    prune_target_dirs,
    reuse_partial_parse,
)
from pipelines.lib.dbt_state import (
    SPARK_STATE_TABLE,
    STATE_TABLE,
    last_build_passed,
    needs_full_refresh,
    newest_loads,
    project_digest,
    record_build,
    record_built_loads,
    record_outcome,
    set_tests_scope,
    sources_behind,
    sources_to_build,
)
from pipelines.lib.publish import unchanged_since_publish
from pipelines.lib.spark_engine import (
    Engine,
    SparkWarehouse,
    dbt_target_args,
    engine_in_force,
    import_spark_tables,
    manifest_models,
)
from pipelines.settings import DBT_PROJECT_DIR, SOURCES

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# No `dbt_project.prepare_if_dev()`: under `dagster dev` its preparer runs `dbt` from PATH, and a
# fresh shell (venv not activated, as `make dagster` runs it) has none, so the code location
# failed to load with no assets. The check below parses with the venv's own dbt instead.
if manifest_is_stale(DBT_PROJECT_DIR, dbt_project.manifest_path):
    # `make` builds the manifest when dbt files change; this covers a fresh clone, a bare
    # `pytest` or `dagster dev` after a pull. A check of file times, a parse only when needed.
    subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "parse", "--quiet", "--profiles-dir", "."],
        cwd=DBT_PROJECT_DIR,
        check=True,
    )

# A run tag that makes the dbt asset build even when nothing is new (see `nothing_new`).
FORCE_BUILD_TAG = "cchc/force_dbt_build"
# The sources whose downstream models a run was planned to build (``dbt_sources_for_run``;
# "all": every model). Set by `make pipeline` and the landing sensor.
DBT_SOURCES_TAG = "cchc/dbt_sources"


class _SkippedBuildChecks(logging.Filter):
    """Drops Dagster's warning that a dbt test "emitted no result" and the publish "will proceed
    without gating on it", logged when the dbt step yields nothing: the publish does not proceed
    then (Dagster skips it, its model inputs missing), and the step's log says why."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        return "emitted no result in step 'cchc_dbt_assets'" not in message


logging.getLogger("dagster._core.execution.plan.active").addFilter(_SkippedBuildChecks())

# dbt.log (in the invocation's target folder) at info, the level of the events Dagster shows,
# not dbt's default debug: at debug every node also logs its SQL text, transactions and
# connections (8.7 MB a province-month build), and the four threads' writes contend for the
# log's lock. ≈ 10 % of the build's CPU, measured (benchmarks/RESULTS.md). A dbt run by hand
# keeps the debug log.
DBT_LOG_ARGS = ["--log-level-file", "info"]

# Each dbt invocation writes its artifacts to a folder of its own under the data folder (not in
# dbt_project/target); only the most recent few are kept.
KEEP_TARGET_DIRS = 5


class CchcDbtTranslator(DagsterDbtTranslator):
    """Models keyed by layer (``marts/fct_kpi``), grouped by layer; sources keyed by schema."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


translator = CchcDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def declared_vars() -> set[str]:
    """The vars dbt_project.yml declares (the manifest records them)."""
    try:
        manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    project_vars = manifest.get("metadata", {}).get("vars") or {}
    nodes_vars = {
        name
        for node in manifest.get("nodes", {}).values()
        for name in (node.get("config", {}).get("vars") or {})
    }
    return set(project_vars) | nodes_vars


def month_vars(tags: Mapping[str, str], declared: set[str]) -> dict[str, str]:
    """``min_month``/``max_month`` for a run over some months, if the dbt project takes them.

    A run over every month (or none) passes nothing, so dbt builds the whole history.
    """
    from pipelines.defs.partitions import all_months

    first = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
    last = tags.get("dagster/asset_partition_range_end") or tags.get("dagster/partition")
    if not first or not last or not {"min_month", "max_month"} <= declared:
        return {}
    everything = all_months()
    if first <= everything[0] and last >= everything[1]:
        return {}
    return {"min_month": first, "max_month": last}


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def cchc_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    paths = warehouse.paths
    if nothing_new(context, paths.warehouse_db, paths.serving_db):
        # No output: Dagster records no materialization of any model and skips what depends on
        # them (the mart check, the publish), so the UI shows exactly what ran.
        return
    # dbt's profile reads the warehouse path from the environment of its subprocess.
    os.environ["CCHC_WAREHOUSE_DB"] = str(paths.warehouse_db)
    target_root = paths.root / "dbt_target"
    target_path = target_root / f"{context.run_id[:8]}-{os.getpid()}"
    reuse_partial_parse(target_root, target_path)
    engine = engine_in_force()
    # CCHC_ENGINE=spark: the same project on the profile's Spark target (docs/scale_out.md).
    args = ["build", *dbt_target_args(engine), *DBT_LOG_ARGS]
    state_table = SPARK_STATE_TABLE if engine is Engine.SPARK else STATE_TABLE
    dbt_vars = month_vars(context.run.tags, declared_vars())
    if dbt_vars:
        args += ["--vars", json.dumps(dbt_vars)]
        context.log.info(f"dbt vars for this run's months: {dbt_vars}")
    digest = project_digest(dbt_project.manifest_path)
    with warehouse.connect() as con:
        full_refresh = needs_full_refresh(con, digest, state_table)
        # what this build takes in of each source (the loads are done: one run at a time)
        loads = newest_loads(con)
        check_planned_sources(context, con, digest, loads)
        # macros/tests_scope.sql: the province-incremental models' tests read only the units
        # this build rewrites; every other unit is as the last build, which passed, tested it.
        limit_tests = engine is Engine.DUCKDB and not full_refresh and last_build_passed(con)
        if engine is Engine.DUCKDB:
            set_tests_scope(con, rebuilt_units_only=limit_tests)
    if limit_tests:
        context.log.info(
            "dbt tests of the province-incremental models limited to the provinces this build "
            "rebuilds: the project is the one last built, and that build passed every test"
        )
    if full_refresh:
        # The incremental staging models hold rows built by another dbt project (or none yet).
        args.append("--full-refresh")
        context.log.info(
            "dbt build with --full-refresh: the dbt project differs from the one of the last "
            "build (or there was none), so the incremental models start again from raw"
        )
    else:
        # Unit tests check the code on fixed inputs, never the data: this same project passed
        # them at its last successful build (the digest covers every unit test), so a run of
        # new data skips them.
        # Seeds likewise: their CSVs are in the digest, so the reference tables hold what that
        # build loaded (reloading the 18 of them cost ≈ 1.7 s of node time a run).
        args += ["--exclude-resource-type", "unit_test", "--exclude-resource-type", "seed"]
        context.log.info("dbt unit tests and seeds skipped: the dbt project is the one last built")
    # The raw lake the sources read (models/staging/_sources.yml), for dbt's subprocess only:
    # left in this process's environment it would redirect a later run on another data folder.
    # The data folder too: the Spark target keeps its tables and metastore under it.
    with environment_for_dbt({"CCHC_LAKE_DIR": paths.lake, "CCHC_DATA_DIR": paths.root}):
        invocation = dbt.cli(args, context=context, target_path=target_path, raise_on_error=False)
        # Events are held until dbt exits: dagster-dbt's own row counting opens the database
        # inside this process and keeps it open, which would lock out the publisher next.
        events = list(invocation.stream())
    failure = None if invocation.is_successful() else _failure(invocation, warehouse)
    if engine is Engine.DUCKDB:
        with warehouse.connect() as con:
            # a dbt run by hand tests every row again
            set_tests_scope(con, rebuilt_units_only=False)
            if failure is not None or builds_whole_project(context):
                record_outcome(con, passed=failure is None)
    if engine is Engine.SPARK and failure is None:
        # The marts Spark wrote (Parquet), into the warehouse file the checks and publish read.
        imported = import_spark_marts(paths.root, warehouse, whole=builds_whole_project(context))
        context.log.info(f"marts copied from Spark into {paths.warehouse_db.name}: {imported}")
    if failure is None and builds_whole_project(context):
        # Only a build of the whole project brings every incremental model to this digest.
        with warehouse.connect() as con:
            record_build(con, digest, full_refresh=full_refresh, table=state_table)
    if failure is None and engine is Engine.DUCKDB:
        # The sources every model downstream of which this build ran are taken in: a later run
        # needs to build only what its own loads change (pipelines/defs/jobs.py).
        built = sources_built_by(context.selected_asset_keys)
        with warehouse.connect() as con:
            record_built_loads(con, {s: seq for s, seq in loads.items() if s in built})
    yield from with_row_counts(context, events, warehouse, only_schemas=_counted_schemas(engine))
    prune_target_dirs(target_root, keep=KEEP_TARGET_DIRS)
    if failure is not None:
        # Models and tests that did pass are recorded above; what failed stops the run here,
        # so nothing downstream (the publish) runs.
        raise failure


def import_spark_marts(data_dir: Path, warehouse: WarehouseResource, *, whole: bool) -> dict:
    """Copy every mart Spark has built into ``warehouse.duckdb``'s ``marts`` schema.

    After a build of the whole project every mart must be there; a run of some models picked
    in the UI copies the marts that exist (the others keep their last copy)."""
    spark = SparkWarehouse.of_data_dir(data_dir)
    marts = manifest_models(dbt_project.manifest_path, "marts")
    built = marts if whole else [m for m in marts if spark.table_dir("marts", m).exists()]
    with warehouse.connect() as con:
        return import_spark_tables(con, spark, "marts", built)


def _counted_schemas(engine: Engine) -> set[str] | None:
    """The schemas of warehouse.duckdb whose tables are this build's: on Spark only the marts
    copied in (a staging table there would be a DuckDB build's, not this one)."""
    return {"marts"} if engine is Engine.SPARK else None


@contextlib.contextmanager
def environment_for_dbt(variables: Mapping[str, Path]) -> Iterator[None]:
    """Environment variables set while dbt runs, then as they were."""
    previous = {name: os.environ.get(name) for name in variables}
    os.environ.update({name: str(value) for name, value in variables.items()})
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def builds_whole_project(context: dg.AssetExecutionContext) -> bool:
    """False for a run of some models: picked in the UI, or planned from the sources a run
    loads (``jobs.loading_only``). Compared with every dbt asset, not with the step's own
    ``assets_def``: in a run of a subset of the job that is the subset, whose keys are all
    selected."""
    return set(context.selected_asset_keys) == set(cchc_dbt_assets.keys)


def nothing_new(context: dg.AssetExecutionContext, warehouse_db: Path, serving_db: Path) -> bool:
    """True when this run would rebuild exactly what serving.duckdb already holds: no file was
    loaded (nor raw written otherwise) and the dbt project is the one of the last publish.

    Only a run of every dbt asset skips (the pipeline job, the sensor, the schedules); a run of
    some models picked in the UI, or one tagged ``cchc/force_dbt_build``, always builds.
    """
    if context.run.tags.get(FORCE_BUILD_TAG, "").lower() in {"1", "true", "yes"}:
        return False
    if not builds_whole_project(context):
        return False
    fingerprint = unchanged_since_publish(warehouse_db, serving_db, dbt_project.manifest_path)
    if fingerprint is None:
        return False
    context.log.info(
        "dbt build skipped, and with it the mart checks and the publish: no file loaded and the "
        f"dbt project unchanged since the last publish (fingerprint {fingerprint[:12]}); "
        f"serving.duckdb is up to date. Tag a run {FORCE_BUILD_TAG}=true to build anyway."
    )
    return True


def _failure(invocation: Any, warehouse: WarehouseResource) -> dg.Failure:
    try:
        run_results = invocation.get_artifact("run_results.json")
    except Exception:  # dbt failed before writing its results (e.g. a compilation error)
        run_results = {}
    with warehouse.connect() as con:
        failures = describe_failures(run_results, con)
    error = invocation.get_error()
    lines = [f.line() for f in failures] or [str(error)]
    return dg.Failure(
        description="dbt build failed:\n" + "\n".join(lines),
        metadata={
            "failed": dg.MetadataValue.json([f.as_dict() for f in failures]),
            "target_path": dg.MetadataValue.path(str(invocation.target_path)),
        },
    )


def with_row_counts(
    context: dg.AssetExecutionContext,
    events: list[Any],
    warehouse: WarehouseResource,
    only_schemas: set[str] | None = None,
) -> Iterator[Any]:
    """dbt's events, each model's output carrying its table's (or view's) row count (of the
    tables in ``only_schemas`` when given)."""
    with warehouse.connect() as con:
        relations = {
            (schema, name)
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "union all select schema_name, view_name from duckdb_views() where not internal"
            ).fetchall()
            if only_schemas is None or schema in only_schemas
        }
        for event in events:
            if isinstance(event, dg.Output):
                schema, name = context.asset_key_for_output(event.output_name).path
                if (schema, name) in relations:
                    (rows,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()  # type: ignore[misc]
                    event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
            yield event


@functools.cache
def _readers() -> dict[dg.AssetKey, frozenset[dg.AssetKey]]:
    """Each asset's dbt readers (the dbt assets that name it upstream): the project's graph,
    fixed for the process."""
    readers: dict[dg.AssetKey, set[dg.AssetKey]] = {}
    for key, upstream in cchc_dbt_assets.asset_deps.items():
        for parent in upstream:
            readers.setdefault(parent, set()).add(key)
    return {parent: frozenset(children) for parent, children in readers.items()}


def models_downstream_of(sources: Iterable[str]) -> set[dg.AssetKey]:
    """The dbt assets that read these sources' raw assets, directly or through other models."""
    readers = _readers()
    found: set[dg.AssetKey] = set()
    frontier = [raw_key(source) for source in sources]
    while frontier:
        for child in readers.get(frontier.pop(), ()):
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def dbt_sources_for_run(warehouse_db: Path, loading: Iterable[str]) -> set[str] | None:
    """The sources whose downstream models a run loading ``loading`` builds
    (``dbt_state.sources_to_build``); None: every model. On Spark always every model (its
    builds keep no record of what they took in)."""
    if engine_in_force() is not Engine.DUCKDB:
        return None
    return sources_to_build(warehouse_db, dbt_project.manifest_path, set(loading))


def check_planned_sources(
    context: dg.AssetExecutionContext,
    con: duckdb.DuckDBPyConnection,
    digest: str,
    loads: dict[str, int],
) -> None:
    """Fail a run planned to build the models of some sources only when the warehouse no longer
    allows it (a run queued before it failed its build, or loaded other sources): the models it
    leaves out would be published untested. The next run builds every model."""
    planned = context.run.tags.get(DBT_SOURCES_TAG, "all")
    if planned == "all" or builds_whole_project(context):
        return
    behind = sources_behind(con, digest, loads)
    if behind is None:
        why = "the last build failed or the dbt project differs"
    elif behind <= set(planned.split(",")):
        return
    else:
        why = f"{', '.join(sorted(behind - set(planned.split(','))))} also wait"
    raise dg.Failure(
        description=f"this run was planned to build the dbt models of {planned} only, but the "
        f"warehouse changed since: {why}. Nothing was built or published; start the pipeline "
        "again to build every model (`make pipeline`)."
    )


def sources_built_by(selected: Iterable[dg.AssetKey]) -> set[str]:
    """The sources all of whose downstream models are among ``selected``."""
    chosen = set(selected)
    return {source for source in SOURCES if models_downstream_of([source]) <= chosen}


def mart_keys() -> list[dg.AssetKey]:
    return sorted(
        (key for key in cchc_dbt_assets.keys if key.path[0] == "marts"),
        key=lambda key: key.to_user_string(),
    )
