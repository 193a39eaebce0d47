"""Resources, configured in one place."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from packaging import version

from pipelines.settings import DBT_PROJECT_DIR, DataPaths, data_paths

# One writer at a time on warehouse.duckdb: every asset that writes it runs in this pool,
# whose limit is 1 (see pipelines/dagster.yaml).
WAREHOUSE_POOL = "warehouse_writer"


class WarehouseResource(dg.ConfigurableResource):
    """The pipeline's DuckDB file. Connections are opened per step and closed at once, so the
    file is never held while another step (dbt, the publisher) needs it.

    ``memory_limit`` bounds what DuckDB holds in the pipeline's own process, beyond which it
    spills to ``warehouse.duckdb.tmp/``. Without it DuckDB takes up to 80 % of the RAM: a
    national export of one province-year (1.77 M dossier rows, 412 MB of CSV) took the
    ingestion process to 4.7 GB, where 1 GB loads it as fast (benchmarks/RESULTS.md).
    """

    data_dir: str | None = None
    memory_limit: str = "1GB"

    @property
    def paths(self) -> DataPaths:
        return (
            DataPaths(Path(self.data_dir).resolve()) if self.data_dir else data_paths()
        ).ensure()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(self.paths.warehouse_db))
        # A setting, not a connect() config: another connection of this process to the same
        # file (a test's, a sensor's) would refuse a different configuration.
        con.execute("set memory_limit = ?", [self.memory_limit])
        # dbt's staging views read the lake by paths relative to it (profiles.yml).
        lake = str(self.paths.lake).replace("'", "''")
        con.execute(f"set file_search_path = '{lake}'")
        try:
            yield con
        finally:
            con.close()


class FreshnessSettings(dg.ConfigurableResource):
    """When a month's data is due: by ``due_day`` of the next month (Vietnam time).

    ``today`` (YYYY-MM-DD) pins the date, for tests and for re-checking a past month.
    """

    due_day: int = 10
    today: str | None = None


class CchcDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, minus two start-up costs this project does not need.

    - ``dbt --version`` in a subprocess (a full dbt import, seconds) to learn the version of
      the dbt executable: here it is always this environment's dbt, so the installed dbt-core
      package says the same.
    - A dbt adapter opened inside this process (profile, project and macros loaded again) that
      dagster-dbt uses only for its own row counts and column metadata: the dbt asset counts
      rows itself (``with_row_counts``), after dbt has released the DuckDB file.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # type: ignore[override]
        return None


def build_resources(data_dir: str | None = None) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(
            data_dir=data_dir,
            # a DuckDB size ('1GB', '4GB'), as CCHC_DBT_MEMORY_LIMIT for dbt (profiles.yml)
            memory_limit=os.environ.get("CCHC_WAREHOUSE_MEMORY_LIMIT") or "1GB",
        ),
        "freshness": FreshnessSettings(
            due_day=int(os.environ.get("CCHC_FRESHNESS_DUE_DAY") or 10),
            today=os.environ.get("CCHC_FRESHNESS_TODAY") or None,
        ),
        "dbt": CchcDbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            # The dbt of this interpreter's environment, whether or not the venv is on PATH.
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }
