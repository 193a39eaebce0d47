"""The landing sensor: a run when files are new or changed in the landing folder.

Its cursor is the last listing (file name → size, mtime per source; see
pipelines/lib/landing_scan.py). One tick with changes asks for one run of the pipeline job over
every month that loads the sources with a changed file (the ingestion skips files it has already
loaded by their hash), builds the dbt models downstream of them (``jobs.loading_only``) and
publishes once, however many sources changed, since only one run at a time may write the
warehouse; every source's freshness is checked. The run key is derived from the changes, so the
same change never starts two runs.
"""

from __future__ import annotations

import os

import dagster as dg

from pipelines.defs.jobs import PIPELINE_JOB, pipeline_job, plan_run
from pipelines.defs.partitions import full_range_tags
from pipelines.lib import landing_scan
from pipelines.settings import SOURCES, data_paths

SETTLE_ENV = "CCHC_LANDING_SETTLE_SECONDS"
DEFAULT_SETTLE_SECONDS = 10


def settle_seconds() -> float:
    return float(os.environ.get(SETTLE_ENV) or DEFAULT_SETTLE_SECONDS)


@dg.sensor(
    name="landing_sensor",
    job=pipeline_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts a pipeline run when files are new or changed in data/landing/<source>/ "
    f"(name, size, mtime; a file must be unchanged for {SETTLE_ENV} seconds, default "
    f"{DEFAULT_SETTLE_SECONDS}, so a file still being copied waits).",
)
def landing_sensor(context: dg.SensorEvaluationContext):
    landing = data_paths().landing
    previous = landing_scan.decode_cursor(context.cursor)
    current, unsettled = landing_scan.scan(landing, SOURCES, settle_seconds=settle_seconds())
    changed = landing_scan.changed_files(previous, current)
    next_cursor = landing_scan.encode_cursor(landing_scan.merge(previous, current))
    if not changed:
        context.update_cursor(next_cursor)
        waiting = f"; {len(unsettled)} file(s) still being written" if unsettled else ""
        return dg.SkipReason(f"no new or changed files in {landing}{waiting}")
    count = sum(len(files) for files in changed.values())
    names = [f"{source}/{name}" for source, files in changed.items() for name in files]
    context.log.info(f"{count} new or changed file(s): {', '.join(names[:20])}")
    context.update_cursor(next_cursor)
    # The sources with a changed file are loaded; the others' loads would find nothing new.
    plan = plan_run(
        context.repository_def.get_job(PIPELINE_JOB), data_paths().warehouse_db, set(changed)
    )
    return dg.RunRequest(
        run_key=f"landing-{landing_scan.change_key(changed)}",
        asset_selection=sorted(plan.assets, key=lambda key: key.to_user_string()),
        asset_check_keys=sorted(plan.checks, key=lambda key: key.to_user_string()),
        tags={
            **full_range_tags(),
            "cchc/trigger": "landing_sensor",
            **plan.tags,  # the sources it loads, and those whose dbt models it builds
            "cchc/changed_files": str(count),
        },
    )
