"""The engine that builds the dbt project: DuckDB (default) or Apache Spark (``CCHC_ENGINE``).

On Spark (docs/scale_out.md) dbt runs with ``--target spark``: a local pyspark session reads the
same raw lake and writes every model as a Parquet table under ``<data>/spark/warehouse/
<schema>.db/<table>/`` (its Derby metastore beside it). The dashboards still read
``serving.duckdb``: after a good Spark build the mart tables' Parquet files are copied by DuckDB
into the warehouse file's ``marts`` schema (``import_spark_tables``), and the publish goes on from
there exactly as after a DuckDB build (digests, exports, atomic rename). No Spark session is
started for that: the files are the tables.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import duckdb

ENGINE_ENV = "CCHC_ENGINE"
# The dbt profile target of each engine (dbt_project/profiles.yml).
SPARK_TARGET = "spark"


class Engine(StrEnum):
    DUCKDB = "duckdb"
    SPARK = "spark"


class SparkTableMissing(RuntimeError):
    """A model the manifest lists has no Parquet files in the Spark warehouse."""


def engine_in_force() -> Engine:
    """``$CCHC_ENGINE`` (``duckdb`` when unset); anything else is an error, not a silent default."""
    configured = (os.environ.get(ENGINE_ENV) or Engine.DUCKDB.value).strip().lower()
    try:
        return Engine(configured)
    except ValueError:
        choices = ", ".join(e.value for e in Engine)
        raise ValueError(f"{ENGINE_ENV}={configured!r}: expected one of {choices}") from None


def dbt_target_args(engine: Engine) -> list[str]:
    """The dbt CLI arguments that select the engine's profile target."""
    return ["--target", SPARK_TARGET] if engine is Engine.SPARK else []


@dataclass(frozen=True)
class SparkWarehouse:
    """Where the Spark target keeps its tables: ``<data>/spark`` (profiles.yml says the same)."""

    root: Path

    @classmethod
    def of_data_dir(cls, data_dir: Path) -> SparkWarehouse:
        return cls(Path(data_dir) / "spark")

    @property
    def tables_dir(self) -> Path:
        return self.root / "warehouse"

    def table_dir(self, schema: str, table: str) -> Path:
        # Spark's managed-table layout under spark.sql.warehouse.dir
        return self.tables_dir / f"{schema}.db" / table

    def read_sql(self, schema: str, table: str) -> str:
        """A DuckDB expression reading a Spark table's Parquet files (partition folders too).

        Partition values are read as strings (hive_types_autocast off): a province code '01'
        must not become the integer 1. The project partitions by string columns only."""
        folder = self.table_dir(schema, table)
        if not any(folder.rglob("*.parquet")):
            raise SparkTableMissing(
                f"{schema}.{table}: no Parquet files under {folder} (was it built on Spark?)"
            )
        glob = str(folder / "**" / "*.parquet").replace("'", "''")
        return (
            f"read_parquet('{glob}', hive_partitioning = true, hive_types_autocast = false, "
            "union_by_name = true)"
        )


def manifest_models(manifest_path: Path, schema: str) -> list[str]:
    """The names of the models (not seeds, not ephemeral) a dbt manifest puts in ``schema``."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return sorted(
        node.get("alias") or node["name"]
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
        and node.get("schema") == schema
        and node.get("config", {}).get("materialized") != "ephemeral"
    )


def import_spark_tables(
    con: duckdb.DuckDBPyConnection, warehouse: SparkWarehouse, schema: str, tables: list[str]
) -> dict[str, int]:
    """Replace ``schema.<table>`` in the DuckDB database of ``con`` by the Spark table's rows,
    each in one statement (a reader sees the old table or the new one). Returns row counts."""
    con.execute(f'create schema if not exists "{schema}"')
    counts: dict[str, int] = {}
    for table in tables:
        source = warehouse.read_sql(schema, table)
        con.execute(f'create or replace table "{schema}"."{table}" as select * from {source}')
        (counts[table],) = con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()  # type: ignore[misc]
    return counts
