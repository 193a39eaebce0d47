"""The dbt project as Dagster assets: sources link to the raw assets, tests become asset checks."""

import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
dbt_project.prepare_if_dev()
if not dbt_project.manifest_path.exists():
    # A fresh clone has no manifest yet; `make` builds it, this covers a bare `dagster dev`.
    dbt_project.preparer.prepare(dbt_project)


class CchcDbtTranslator(DagsterDbtTranslator):
    """Models keyed by layer (``marts/fct_kpi``), grouped by layer; sources keyed by schema."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return dbt_resource_props["schema"]


translator = CchcDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    dagster_dbt_translator=translator,
    pool=WAREHOUSE_POOL,
)
def cchc_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource
):
    # dbt's profile reads the warehouse path from the environment of its subprocess.
    os.environ["CCHC_WAREHOUSE_DB"] = str(warehouse.paths.warehouse_db)
    # Events are held until dbt exits: dagster-dbt's own row counting opens the database inside
    # this process and keeps it open, which would lock out the publisher that runs next.
    events = list(dbt.cli(["build"], context=context).stream())
    yield from with_row_counts(context, events, warehouse)


def with_row_counts(
    context: dg.AssetExecutionContext, events: list[Any], warehouse: WarehouseResource
) -> Iterator[Any]:
    """dbt's events, each model's output carrying its table's row count."""
    with warehouse.connect() as con:
        tables = set(con.execute("select schema_name, table_name from duckdb_tables()").fetchall())
        for event in events:
            if isinstance(event, dg.Output):
                schema, name = context.asset_key_for_output(event.output_name).path
                if (schema, name) in tables:
                    (rows,) = con.execute(f'select count(*) from "{schema}"."{name}"').fetchone()  # type: ignore[misc]
                    event = event.with_metadata({**event.metadata, "dagster/row_count": rows})
            yield event


def mart_keys() -> list[dg.AssetKey]:
    return sorted(
        (key for key in cchc_dbt_assets.keys if key.path[0] == "marts"),
        key=lambda key: key.to_user_string(),
    )
