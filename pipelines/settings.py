"""Where the warehouse keeps its files: one data folder that ``CCHC_DATA_DIR`` overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DATA_CONTRACTS_DIR = PROJECT_ROOT / "data_contracts"
REFERENCE_DIR = DBT_PROJECT_DIR / "seeds"

SOURCES: tuple[str, ...] = (
    "portal_report",
    "dossiers",
    "payments",
    "procedures",
    "satisfaction",
    "satisfaction_responses",
    "published_index",
    "governance_indices",
)


@dataclass(frozen=True)
class DataPaths:
    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def landing_for(self, source: str) -> Path:
        return self.landing / source

    @property
    def warehouse_dir(self) -> Path:
        return self.root / "warehouse"

    @property
    def warehouse_db(self) -> Path:
        return self.warehouse_dir / "warehouse.duckdb"

    @property
    def serving_db(self) -> Path:
        return self.warehouse_dir / "serving.duckdb"

    @property
    def lake(self) -> Path:
        """The raw lake (Parquet, docs/ingestion.md): ``$CCHC_LAKE_DIR``, else ``<data>/lake``."""
        configured = os.environ.get("CCHC_LAKE_DIR")
        return Path(configured).expanduser().resolve() if configured else self.root / "lake"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def ensure(self) -> DataPaths:
        for source in SOURCES:
            self.landing_for(source).mkdir(parents=True, exist_ok=True)
        self.warehouse_dir.mkdir(parents=True, exist_ok=True)
        return self


def data_paths() -> DataPaths:
    """The data folder in force: ``$CCHC_DATA_DIR`` or ``./data`` under the project root."""
    configured = os.environ.get("CCHC_DATA_DIR")
    root = Path(configured).expanduser().resolve() if configured else PROJECT_ROOT / "data"
    return DataPaths(root)
