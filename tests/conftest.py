"""Shared fixtures: an isolated data folder per test and one real pipeline run per scenario."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.settings import DataPaths, data_paths
from tests.dbt_parse_cache import seed_data_folder, set_session_root

# The dashboard tests run without sign-in settings: full access, as a developer's machine with
# CCHC_AUTH=off. The sign-in tests (test_access.py, the browser's demo accounts) set their mode.
os.environ.setdefault("CCHC_AUTH", "off")


@pytest.fixture(scope="session", autouse=True)
def dbt_parse_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """The folder of the session's one dbt parse (tests/dbt_parse_cache.py); the parse itself runs
    when a test first needs dbt."""
    set_session_root(tmp_path_factory.mktemp("dbt_parse_cache"))


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataPaths:
    """A fresh CCHC_DATA_DIR: landing folders, warehouse and serving DB all under tmp_path."""
    monkeypatch.setenv("CCHC_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("CCHC_WAREHOUSE_DB", raising=False)
    return DataPaths(tmp_path / "data").ensure()


def run_pipeline_job(
    instance: dg.DagsterInstance | None = None,
    months: tuple[str, str] | None = None,
    tags: dict[str, str] | None = None,
) -> dg.ExecuteInProcessResult:
    """One real Dagster run of the pipeline job, as `make pipeline` does it: over every month,
    or over ``months`` (first, last) as a backfill does."""
    from pipelines.definitions import defs
    from pipelines.defs.jobs import PIPELINE_JOB
    from pipelines.defs.partitions import full_range_tags, range_tags

    seed_data_folder(data_paths())  # the session's dbt parse, not one per data folder
    job = defs.resolve_job_def(PIPELINE_JOB)
    run_tags = {**(range_tags(*months) if months else full_range_tags()), **(tags or {})}
    with instance or dg.DagsterInstance.ephemeral() as active:
        return job.execute_in_process(instance=active, raise_on_error=False, tags=run_tags)


def query_serving(paths: DataPaths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def serving_reader(data_dir: DataPaths) -> Iterator[callable]:
    yield lambda sql, params=None: query_serving(data_dir, sql, params)
