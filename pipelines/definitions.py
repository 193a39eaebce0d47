"""The Dagster code location: everything is defined in pipelines/defs/, merged here."""

import dagster as dg

from pipelines.defs.dbt import cchc_dbt_assets
from pipelines.defs.ingestion import landing_specs, raw_assets
from pipelines.defs.publish import serving_db
from pipelines.defs.resources import build_resources

defs = dg.Definitions(
    assets=[*landing_specs, *raw_assets, cchc_dbt_assets, serving_db],
    resources=build_resources(),
)
