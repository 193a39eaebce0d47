"""serving.duckdb: the marts and audit tables, replaced atomically after a good build."""

import time

import dagster as dg

from pipelines.defs.checks import blocking_check_assets
from pipelines.defs.dbt import dbt_project, mart_keys
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.lib.publish import publish

# The publish waits for the blocking checks: Dagster only holds back the direct dependents of a
# checked asset, so every asset with a blocking check is a direct dependency here.
SERVING_DEPS = sorted(
    set(mart_keys()) | set(blocking_check_assets), key=lambda key: key.to_user_string()
)


@dg.asset(
    key=["serving", "serving_db"],
    deps=SERVING_DEPS,
    group_name="serving",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description="The read-only database Streamlit and analysts use; replaced by rename, never "
    "written in place, and only after every upstream dbt test and blocking check passed.",
)
def serving_db(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    paths = warehouse.paths
    began = time.perf_counter()
    tags = context.run.tags
    result = publish(
        paths.warehouse_db,
        paths.serving_db,
        manifest_path=dbt_project.manifest_path,
        run_id=context.run_id,
        partitions=_partitions(tags),
    )
    context.log.info(f"serving.duckdb: {result.reason}")
    return dg.MaterializeResult(
        metadata={
            "published": result.published,
            "reason": result.reason,
            "fingerprint": result.fingerprint,
            "path": dg.MetadataValue.path(str(paths.serving_db)),
            "seconds": round(time.perf_counter() - began, 2),
            "dagster/row_count": sum(result.table_rows.values()),
            **{f"rows {name}": count for name, count in result.table_rows.items()},
            **(
                {"exports": dg.MetadataValue.path(str(result.exports.folder))}
                if result.exports
                else {}
            ),
        }
    )


def _partitions(tags: dict[str, str]) -> str | None:
    start = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
    end = tags.get("dagster/asset_partition_range_end") or tags.get("dagster/partition")
    if not start:
        return None
    return start if start == end else f"{start}...{end}"
