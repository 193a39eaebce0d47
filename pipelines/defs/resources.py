"""Resources, configured in one place."""

from __future__ import annotations

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


def build_resources(data_dir: str | None = None) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(data_dir=data_dir),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            # The dbt of this interpreter's environment, whether or not the venv is on PATH.
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    }
