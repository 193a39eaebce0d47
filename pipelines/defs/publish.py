"""serving.duckdb: the marts and audit tables, replaced atomically after a good build."""

import dagster as dg

from pipelines.defs.dbt import dbt_project, mart_keys
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.lib.publish import publish


@dg.asset(
    key=["serving", "serving_db"],
    deps=mart_keys(),
    group_name="serving",
    kinds={"duckdb"},
    pool=WAREHOUSE_POOL,
    description="The read-only database Streamlit and analysts use; replaced by rename, never "
    "written in place, and only after every upstream dbt test passed.",
)
def serving_db(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    paths = warehouse.paths
    result = publish(
        paths.warehouse_db,
        paths.serving_db,
        manifest_path=dbt_project.manifest_path,
        run_id=context.run_id,
    )
    context.log.info(f"serving.duckdb: {result.reason}")
    return dg.MaterializeResult(
        metadata={
            "published": result.published,
            "fingerprint": result.fingerprint,
            "path": dg.MetadataValue.path(str(paths.serving_db)),
            **{f"rows {name}": count for name, count in result.table_rows.items()},
        }
    )
