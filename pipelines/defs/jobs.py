"""The pipeline job: every asset from raw to serving, with the failure hook.

`make pipeline`, the landing sensor and both schedules run this job; the UI can too. A run over
every month (``full_range_tags``) processes everything new; a run over some months loads only the
files of those months (see pipelines/defs/partitions.py). A run that loads some sources builds the
dbt models downstream of them (``loading_only``) while the last build passed on the same project,
every model otherwise; the publish copies what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

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
    job: dg.JobDefinition, sources: Iterable[str], building: Iterable[str] | None = None
) -> tuple[set[dg.AssetKey], set[dg.AssetCheckKey]]:
    """The job's assets and checks for a run that loads ``sources`` only: without the raw
    assets of the other sources, nor the contract checks their steps report; every other asset
    and check stays (the publish, the freshness of every source). A source with nothing new
    would only record its months as materialized again: 2 Dagster events per month and source,
    ≈ 10 ms each (benchmarks/RESULTS.md).

    ``building`` (``dbt_state.sources_to_build``): the sources whose rows the run's dbt build
    takes in. Given, the run builds only the dbt models downstream of them, with their tests;
    every other model holds what its unchanged inputs gave it at a build that passed. None
    builds every model."""
    from pipelines.defs.dbt import cchc_dbt_assets, models_downstream_of
    from pipelines.defs.ingestion import CONTRACT_CHECK, raw_key
    from pipelines.settings import SOURCES

    idle = {raw_key(source) for source in set(SOURCES) - set(sources)}
    graph = job.asset_layer.asset_graph
    unbuilt: set[dg.AssetKey] = set()
    unchecked: set[dg.AssetKey] = set()  # assets whose dbt tests do not run
    if building is not None:
        unbuilt = set(cchc_dbt_assets.keys) - models_downstream_of(building)
        unchecked = unbuilt | {raw_key(source) for source in set(SOURCES) - set(building)}
    dbt_checks = set(cchc_dbt_assets.check_keys)
    checks = {
        key
        for key in graph.asset_check_keys
        if not (key.asset_key in idle and key.name == CONTRACT_CHECK)
        and not (key in dbt_checks and key.asset_key in unchecked)
    }
    return set(graph.executable_asset_keys) - idle - unbuilt, checks


@dataclass(frozen=True)
class RunPlan:
    """What a run that loads some sources selects, and the tags that say what it loads and
    builds: one plan for `make pipeline` (``job_for_run``) and the landing sensor."""

    assets: set[dg.AssetKey]
    checks: set[dg.AssetCheckKey]
    tags: dict[str, str]


def plan_run(job: dg.JobDefinition, warehouse_db: Path, to_load: set[str]) -> RunPlan:
    """The run that loads ``to_load`` and builds the dbt models its loads change
    (``dbt_sources_for_run``; every model when the warehouse cannot say)."""
    from pipelines.defs.dbt import DBT_SOURCES_TAG, dbt_sources_for_run

    building = dbt_sources_for_run(warehouse_db, to_load)
    assets, checks = loading_only(job, to_load, building)
    tags = {
        "cchc/sources": ",".join(sorted(to_load)) or "none",
        DBT_SOURCES_TAG: ",".join(sorted(building)) if building else "all",
    }
    return RunPlan(assets, checks, tags)


def job_for_run(
    job: dg.JobDefinition, warehouse_db: Path, to_load: set[str] | None
) -> tuple[dg.JobDefinition, dict[str, str]]:
    """The job as a run that loads ``to_load`` (None: every source) runs it, and its tags."""
    if to_load is None:
        return job, {}
    plan = plan_run(job, warehouse_db, to_load)
    if plan.assets == set(job.asset_layer.asset_graph.executable_asset_keys):
        return job, plan.tags
    subset = job.get_subset(asset_selection=plan.assets, asset_check_selection=plan.checks)
    return subset, plan.tags
