"""The Dagster code location: everything is defined in pipelines/defs/, merged here."""

import dagster as dg

from pipelines.defs.alerts import notify_on_run_failure
from pipelines.defs.checks import freshness_checks, mart_checks
from pipelines.defs.dbt import cchc_dbt_assets
from pipelines.defs.ingestion import landing_specs, raw_assets
from pipelines.defs.jobs import pipeline_job
from pipelines.defs.publish import serving_db
from pipelines.defs.resources import build_resources
from pipelines.defs.schedules import daily_refresh, monthly_close
from pipelines.defs.sensors import landing_sensor

defs = dg.Definitions(
    assets=[*landing_specs, *raw_assets, cchc_dbt_assets, serving_db],
    asset_checks=[*mart_checks, *freshness_checks],
    jobs=[pipeline_job],
    schedules=[daily_refresh, monthly_close],
    sensors=[landing_sensor, notify_on_run_failure],
    resources=build_resources(),
)
