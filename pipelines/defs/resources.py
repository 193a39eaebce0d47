"""Resources, configured in one place."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource

from pipelines.settings import DBT_PROJECT_DIR, DataPaths, data_paths

# One writer at a time on warehouse.duckdb: every asset that writes it runs in this pool,
# whose limit is 1 (see pipelines/dagster.yaml).
WAREHOUSE_POOL = "warehouse_writer"


class WarehouseResource(dg.ConfigurableResource):
    """The pipeline's DuckDB file. Connections are opened per step and closed at once, so the
    file is never held while another step (dbt, the publisher) needs it."""

    data_dir: str | None = None

    @property
    def paths(self) -> DataPaths:
        return (
            DataPaths(Path(self.data_dir).resolve()) if self.data_dir else data_paths()
        ).ensure()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = duckdb.connect(str(self.paths.warehouse_db))
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


def build_resources(data_dir: str | None = None) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(data_dir=data_dir),
        "freshness": FreshnessSettings(
            due_day=int(os.environ.get("CCHC_FRESHNESS_DUE_DAY") or 10),
            today=os.environ.get("CCHC_FRESHNESS_TODAY") or None,
        ),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            # The dbt of this interpreter's environment, whether or not the venv is on PATH.
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }
