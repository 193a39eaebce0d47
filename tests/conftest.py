"""Shared fixtures: an isolated data folder per test and one real pipeline run per scenario.

Keeping `make test` inside its CI budget (a pipeline run costs 30-40 s on an idle 2-core machine,
mostly dbt building 40-odd models and running 270 tests): a new test reuses a build rather than
starting its own when it can (tests/README.md lists them).

- `hoa_binh_build` (session): one real run over the worked example report (hb.csv). A test that
  only reads a published folder reads `hoa_binh_build.paths`; a test that goes on from there
  (another run, a changed file) takes `hoa_binh_data_dir`, a copy of it as its `data_dir`.
- `copy_built_folder(build, root)`: the same copy for module fixtures with a folder of their own.
- dbt parses once per session (tests/dbt_parse_cache.py); `run_pipeline_job` seeds each folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from pipelines.settings import DataPaths, data_paths
from tests.dbt_parse_cache import seed_data_folder, set_session_root
from tests.report_files import hoa_binh_q1_2023_rows, write_csv

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
    # The lake follows CCHC_DATA_DIR (a test may move it), unless a developer's override leaks in.
    monkeypatch.delenv("CCHC_LAKE_DIR", raising=False)
    return DataPaths(tmp_path / "data").ensure()


def run_pipeline_job(
    instance: dg.DagsterInstance | None = None,
    months: tuple[str, str] | None = None,
    tags: dict[str, str] | None = None,
    request: dg.RunRequest | None = None,
) -> dg.ExecuteInProcessResult:
    """One real Dagster run of the pipeline job, as `make pipeline` does it: over every month,
    or over ``months`` (first, last) as a backfill does; with a sensor's ``request``, what the
    daemon runs for it (its assets, checks and tags)."""
    from pipelines.definitions import defs
    from pipelines.defs.jobs import PIPELINE_JOB
    from pipelines.defs.partitions import full_range_tags, range_tags

    seed_data_folder(data_paths())  # the session's dbt parse, not one per data folder
    job = defs.resolve_job_def(PIPELINE_JOB)
    if request is not None:
        tags = {**request.tags, **(tags or {})}
        if request.asset_selection is not None:
            job = job.get_subset(
                asset_selection=set(request.asset_selection),
                asset_check_selection=set(request.asset_check_keys or ()),
            )
    run_tags = {**(range_tags(*months) if months else full_range_tags()), **(tags or {})}
    with instance or dg.DagsterInstance.ephemeral() as active:
        return job.execute_in_process(instance=active, raise_on_error=False, tags=run_tags)


def run_planned_pipeline_job(
    instance: dg.DagsterInstance | None = None,
) -> dg.ExecuteInProcessResult:
    """One real Dagster run planned as `make pipeline` plans it: the sources with a new file
    loaded, the dbt models downstream of them built (``pipelines.defs.jobs.job_for_run``)."""
    from pipelines.definitions import defs
    from pipelines.defs.jobs import PIPELINE_JOB, job_for_run
    from pipelines.defs.partitions import full_range_tags
    from pipelines.lib.ingest import sources_with_new_files

    paths = data_paths()
    seed_data_folder(paths)
    job, tags = job_for_run(
        defs.resolve_job_def(PIPELINE_JOB), paths.warehouse_db, sources_with_new_files(paths)
    )
    with instance or dg.DagsterInstance.ephemeral() as active:
        return job.execute_in_process(
            instance=active, raise_on_error=False, tags={**full_range_tags(), **tags}
        )


def query_serving(paths: DataPaths, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@pytest.fixture
def serving_reader(data_dir: DataPaths) -> Iterator[callable]:
    yield lambda sql, params=None: query_serving(data_dir, sql, params)


@dataclass(frozen=True)
class BuiltFolder:
    """A data folder after a real pipeline run, and that run's result (events, materializations)."""

    paths: DataPaths
    result: dg.ExecuteInProcessResult


@pytest.fixture(scope="session")
def hoa_binh_build(tmp_path_factory: pytest.TempPathFactory) -> BuiltFolder:
    """One real pipeline run over the worked example (Hoà Bình Q1/2023, portal_report/hb.csv):
    loaded, built, checked and published. Shared by the session: read it, never write to it
    (take `hoa_binh_data_dir` or `copy_built_folder` to go on from it)."""
    paths = DataPaths(tmp_path_factory.mktemp("hoa_binh_build") / "data").ensure()
    write_csv(paths.landing_for("portal_report") / "hb.csv", hoa_binh_q1_2023_rows())
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CCHC_DATA_DIR", str(paths.root))
        patch.delenv("CCHC_WAREHOUSE_DB", raising=False)
        result = run_pipeline_job()
    assert result.success, "the shared Hoà Bình build failed (see test_pipeline.py)"
    return BuiltFolder(paths, result)


def copy_built_folder(build: BuiltFolder, root: Path) -> DataPaths:
    """A copy of a built data folder at ``root``, as if its run had happened there: landing,
    warehouse, serving DB and exports (symlinks kept: the exports link is relative), and the
    session's dbt parse for the new warehouse path."""
    shutil.copytree(build.paths.root, root, symlinks=True, dirs_exist_ok=True)
    paths = DataPaths(root)
    seed_data_folder(paths, copied=True)
    return paths


@pytest.fixture
def hoa_binh_data_dir(data_dir: DataPaths, hoa_binh_build: BuiltFolder) -> DataPaths:
    """`data_dir` holding a copy of `hoa_binh_build` (hb.csv landed, built, published once)."""
    return copy_built_folder(hoa_binh_build, data_dir.root)


# --- two workers: `pytest -n 2 --dist loadgroup` (pytest-xdist) ---------------------------------
# Session fixtures are per worker, so each worker that runs a test of the Hoà Bình build makes
# that build again. These modules therefore run on one worker together, and every other module
# whole on one worker (its module fixtures built once). xdist's own loadgroup reads `xdist_group`
# marks through a node-id suffix that pytest 9.2 no longer keeps (pytest-xdist issue 1386), and
# the controller never collects, so the grouping is by file here.
SHARED_BUILD_FIXTURE = "hoa_binh_build"
SHARED_BUILD_MODULES = frozenset(
    {
        "tests/test_dashboard_pipeline.py",
        "tests/test_orchestration.py",
        "tests/test_pipeline.py",
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A module that takes the shared build but is missing from SHARED_BUILD_MODULES would build
    it once more on the other worker: name it rather than lose the time silently."""
    missing = {
        item.nodeid.split("::", 1)[0]
        for item in items
        if SHARED_BUILD_FIXTURE in getattr(item, "fixturenames", ())
    } - SHARED_BUILD_MODULES
    if missing:
        raise pytest.UsageError(
            f"{sorted(missing)} use {SHARED_BUILD_FIXTURE}: add them to SHARED_BUILD_MODULES "
            "in tests/conftest.py"
        )


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """For `--dist loadgroup`: whole modules per worker, the shared-build modules together."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ModuleOrSharedBuildScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SHARED_BUILD_FIXTURE if module in SHARED_BUILD_MODULES else module

    return ModuleOrSharedBuildScheduling(config, log)
