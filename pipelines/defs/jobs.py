"""The pipeline job: every asset from raw to serving, with the failure hook.

`make pipeline`, the landing sensor and both schedules run this job; the UI can too. A run over
every month (``full_range_tags``) processes everything new; a run over some months loads only the
files of those months (see pipelines/defs/partitions.py). dbt and the publish always run whole.
"""

from __future__ import annotations

from collections.abc import Iterable

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


def loading_only(
    job: dg.JobDefinition, sources: Iterable[str]
) -> tuple[set[dg.AssetKey], set[dg.AssetCheckKey]]:
    """The job's assets and checks for a run that loads ``sources`` only: without the raw
    assets of the other sources, nor the contract checks their steps report; every other asset
    and check stays (dbt, the publish, the freshness of every source). A source with nothing
    new would only record its months as materialized again: 2 Dagster events per month and
    source, ≈ 10 ms each (benchmarks/RESULTS.md)."""
    from pipelines.defs.ingestion import CONTRACT_CHECK, raw_key
    from pipelines.settings import SOURCES

    idle = {raw_key(source) for source in set(SOURCES) - set(sources)}
    graph = job.asset_layer.asset_graph
    checks = {
        key
        for key in graph.asset_check_keys
        if not (key.asset_key in idle and key.name == CONTRACT_CHECK)
    }
    return set(graph.executable_asset_keys) - idle, checks


def without_idle_sources(job: dg.JobDefinition, sources: Iterable[str]) -> dg.JobDefinition:
    """The job as a run that loads ``sources`` only (``loading_only``)."""
    assets, checks = loading_only(job, sources)
    if assets == set(job.asset_layer.asset_graph.executable_asset_keys):
        return job
    return job.get_subset(asset_selection=assets, asset_check_selection=checks)
