"""The pipeline job: every asset from raw to serving, with the failure hook.

`make pipeline`, the landing sensor and both schedules run this job; the UI can too. A run over
every month (``full_range_tags``) processes everything new; a run over some months loads only the
files of those months (see pipelines/defs/partitions.py). dbt and the publish always run whole.
"""

from __future__ import annotations

import dagster as dg

from pipelines.defs.alerts import HOOKED_JOBS, notify_on_failure

PIPELINE_JOB = "cchc_pipeline"

# Landing folders are observed, not materialized: everything else is the pipeline.
pipeline_selection = dg.AssetSelection.all() - dg.AssetSelection.groups("landing")

pipeline_job = dg.define_asset_job(
    PIPELINE_JOB,
    selection=pipeline_selection,
    hooks={notify_on_failure},
    description="Landing → raw (by month) → dbt (staging, intermediate, marts, with tests) → "
    "blocking mart checks → serving.duckdb (atomic publish).",
)
HOOKED_JOBS.add(PIPELINE_JOB)
