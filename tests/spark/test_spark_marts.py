"""The same dbt project on Spark gives the marts DuckDB gives (issue 15, `make test-spark`).

One generated sample (3 current provinces and their predecessors, May-August 2025, across the
1 July 2025 restructuring), split as tests/test_dbt_incremental.py splits it: history, then one
new province-month (current Tây Ninh, August 2025).

- ``spark_runs``: the pipeline with ``CCHC_ENGINE=spark`` (Dagster, `dbt build` on Spark with
  every data and unit test, the publish from Spark's Parquet), first over the history: a whole
  build, whose every seed and mart must equal DuckDB's build of the same files
  (``duckdb_history``), table by table, row by row (tests/spark/mart_compare.py states the
  tolerance); then again after the new province-month landed: the province-incremental models
  overwrite only Tây Ninh's partitions, and every mart must equal a clean DuckDB build of all
  the files (``duckdb_all``), so the incremental Spark run gives what a whole build gives.
  (One Spark build fewer than comparing with a second whole Spark build: on 2 cores in CI each
  costs minutes; the whole Spark build is the history run, compared with DuckDB above.)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.lib.spark_engine import SparkWarehouse, manifest_models
from pipelines.settings import DBT_PROJECT_DIR, DataPaths
from tests.conftest import run_pipeline_job
from tests.spark.mart_compare import Comparison, compare_tables
from tests.test_dbt_incremental import (
    PROVINCE_INCREMENTAL_MODELS,
    _generated_sample,
    _land,
    _province_month_runs,
)

MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
SPARK_BUILD_TIMEOUT = 40 * 60  # a whole build took 9-16 min on 2 cores shared at load 7-15


def dbt_on_spark(paths: DataPaths, *args: str) -> tuple[subprocess.CompletedProcess, float]:
    """dbt with the profile's Spark target over the data folder's lake, in a subprocess."""
    env = {
        **os.environ,
        "CCHC_DATA_DIR": str(paths.root),
        "CCHC_LAKE_DIR": str(paths.lake),
    }
    began = time.perf_counter()
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            *args,
            "--target",
            "spark",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(paths.root / "dbt_target" / "spark"),
            "--log-path",
            str(paths.root / "logs"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=SPARK_BUILD_TIMEOUT,
    )
    return completed, time.perf_counter() - began


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _generated_sample(
        tmp_path_factory.mktemp("spark-sample"), start=(2025, 5), end=(2025, 8), provinces="3"
    )


@pytest.fixture(scope="module")
def module_env() -> Iterator[pytest.MonkeyPatch]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("CCHC_WAREHOUSE_DB", raising=False)
        patch.delenv("CCHC_LAKE_DIR", raising=False)
        yield patch


def _duckdb_build(root: Path, runs: list[dict], module_env: pytest.MonkeyPatch) -> DataPaths:
    """The files of ``runs`` landed at once and one DuckDB pipeline run: a clean build."""
    paths = DataPaths(root).ensure()
    for files in runs:
        _land(paths, files)
    module_env.setenv("CCHC_DATA_DIR", str(paths.root))
    module_env.setenv("CCHC_ENGINE", "duckdb")
    assert run_pipeline_job().success, "the DuckDB pipeline failed on the sample"
    return paths


@pytest.fixture(scope="module")
def duckdb_history(
    generated: Path, tmp_path_factory: pytest.TempPathFactory, module_env: pytest.MonkeyPatch
) -> DataPaths:
    history, _new_month, _correction = _province_month_runs(generated)
    return _duckdb_build(tmp_path_factory.mktemp("duckdb-history"), [history], module_env)


@pytest.fixture(scope="module")
def duckdb_all(
    generated: Path, tmp_path_factory: pytest.TempPathFactory, module_env: pytest.MonkeyPatch
) -> DataPaths:
    history, new_month, _correction = _province_month_runs(generated)
    return _duckdb_build(tmp_path_factory.mktemp("duckdb-all"), [history, new_month], module_env)


@dataclass(frozen=True)
class SparkRuns:
    """The Spark pipeline's two runs; what its whole (history) build was compared with is kept,
    since the second run overwrites it."""

    paths: DataPaths
    whole_build_seeds: list[Comparison]
    whole_build_marts: list[Comparison]
    whole_build_seconds: float
    incremental_seconds: float

    @property
    def warehouse(self) -> SparkWarehouse:
        return SparkWarehouse.of_data_dir(self.paths.root)


@pytest.fixture(scope="module")
def spark_runs(
    generated: Path,
    tmp_path_factory: pytest.TempPathFactory,
    module_env: pytest.MonkeyPatch,
    spark_ready: None,
    duckdb_history: DataPaths,
) -> SparkRuns:
    """The history, then the new province-month, each a pipeline run with CCHC_ENGINE=spark."""
    paths = DataPaths(tmp_path_factory.mktemp("spark")).ensure()
    history, new_month, _correction = _province_month_runs(generated)
    module_env.setenv("CCHC_DATA_DIR", str(paths.root))
    module_env.setenv("CCHC_ENGINE", "spark")
    _land(paths, history)
    began = time.perf_counter()
    assert run_pipeline_job().success, "the first Spark pipeline run (a whole build) failed"
    whole_build_seconds = time.perf_counter() - began
    warehouse = SparkWarehouse.of_data_dir(paths.root)
    seeds = sorted(p.name for p in (warehouse.tables_dir / "reference.db").iterdir())
    assert len(seeds) >= 18, seeds
    whole_build_seeds = compare_with_warehouse(
        duckdb_history, "reference", spark_relations(warehouse, "reference", seeds)
    )
    whole_build_marts = compare_with_warehouse(
        duckdb_history, "marts", spark_relations(warehouse, "marts", marts())
    )
    _land(paths, new_month)
    began = time.perf_counter()
    assert run_pipeline_job().success, "the incremental Spark pipeline run failed"
    return SparkRuns(
        paths,
        whole_build_seeds,
        whole_build_marts,
        whole_build_seconds,
        time.perf_counter() - began,
    )


def spark_relations(warehouse: SparkWarehouse, schema: str, tables: list[str]) -> dict[str, str]:
    return {t: warehouse.read_sql(schema, t) for t in tables}


def compare_with_warehouse(
    paths: DataPaths, schema: str, actual: dict[str, str]
) -> list[Comparison]:
    """Compare ``actual`` (name -> DuckDB SQL) with ``schema``'s tables in warehouse.duckdb."""
    with duckdb.connect() as con:
        con.execute(f"attach '{paths.warehouse_db}' as wh (read_only)")
        results = [
            compare_tables(con, name, f'wh."{schema}"."{name}"', sql)
            for name, sql in actual.items()
        ]
    return results


def problems_of(results: list[Comparison]) -> list[str]:
    return [f"{r.table}: {p}" for r in results for p in r.problems]


def report(results: list[Comparison], label: str) -> None:
    flips = {r.table: r.rounding_flips for r in results if r.rounding_flips}
    rows = sum(r.rows for r in results)
    print(f"{label}: {len(results)} tables, {rows} rows; one-unit rounding differences: {flips}")


def marts() -> list[str]:
    return manifest_models(MANIFEST, "marts")


def test_every_seed_on_spark_equals_duckdb(spark_runs: SparkRuns) -> None:
    results = spark_runs.whole_build_seeds
    assert len(results) >= 18
    assert not problems_of(results), "\n".join(problems_of(results))
    assert all(r.rounding_flips == 0 for r in results)


def test_every_mart_of_a_whole_spark_build_equals_duckdb(spark_runs: SparkRuns) -> None:
    results = spark_runs.whole_build_marts
    assert len(results) >= 20, [r.table for r in results]
    report(results, f"Spark vs DuckDB (whole Spark build {spark_runs.whole_build_seconds:.0f} s)")
    assert not problems_of(results), "\n".join(problems_of(results))
    assert sum(r.rows for r in results) > 1000  # the sample reached the marts


def rebuilt_provinces(build: SparkRuns, model: str) -> set[tuple[str, str]]:
    """What the model's last incremental build overwrote (meta.dbt_rebuilt_provinces on Spark)."""
    folder = build.warehouse.table_dir("meta", "dbt_rebuilt_provinces") / f"model_name={model}"
    if not any(folder.glob("*.parquet")):
        return set()
    with duckdb.connect() as con:
        rows = con.execute(
            f"select province_code, era from read_parquet('{folder}/*.parquet')"
        ).fetchall()
    return set(rows)


def test_a_new_province_month_on_spark_equals_a_whole_build(
    spark_runs: SparkRuns, duckdb_all: DataPaths
) -> None:
    # the second run overwrote Tây Ninh's partitions only
    for model in PROVINCE_INCREMENTAL_MODELS:
        assert rebuilt_provinces(spark_runs, model) == {("80", "current")}, model
    results = compare_with_warehouse(
        duckdb_all, "marts", spark_relations(spark_runs.warehouse, "marts", marts())
    )
    report(
        results,
        f"incremental Spark run ({spark_runs.incremental_seconds:.0f} s) vs a whole DuckDB build",
    )
    assert not problems_of(results), "\n".join(problems_of(results))
    assert sum(r.rows for r in results) > 1000


def test_the_publish_serves_the_marts_spark_built(spark_runs: SparkRuns) -> None:
    tables = marts()
    with duckdb.connect() as con:
        con.execute(f"attach '{spark_runs.paths.serving_db}' as serving (read_only)")
        served = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() "
                "where database_name = 'serving' and schema_name = 'marts'"
            ).fetchall()
        }
        assert served == set(tables)
        results = [
            compare_tables(
                con, table, spark_runs.warehouse.read_sql("marts", table), f"serving.marts.{table}"
            )
            for table in tables
        ]
    assert not problems_of(results), "\n".join(problems_of(results))
    assert all(r.rounding_flips == 0 for r in results)  # a copy, not a recomputation


def test_a_lake_part_with_a_column_the_contract_lacks_fails_the_build_on_spark(
    duckdb_all: DataPaths, spark_ready: None, tmp_path: Path
) -> None:
    """matches_contract on Spark is no formality: a part carrying a column the contract lacks
    (schemas merged by name, so the column appears) fails the source's test."""
    paths = DataPaths(tmp_path / "data")
    shutil.copytree(duckdb_all.lake, paths.lake)
    source = paths.lake / "published_index"
    (part,) = [p for p in source.glob("*/*.parquet") if p.parent.name != "data_month=0000-00"][:1]
    odd = source / "data_month=2099-01"
    odd.mkdir()
    with duckdb.connect() as con:
        con.execute(
            f"copy (select *, 'surprise' as unexpected_column from read_parquet('{part}')) "
            f"to '{odd / 'part-odd.parquet'}'"
        )
    completed, _ = dbt_on_spark(paths, "test", "--select", "source:raw.published_index")
    assert completed.returncode != 0, completed.stdout[-3000:]
    assert "FAIL 1 source_matches_contract_raw_published_index" in completed.stdout, (
        completed.stdout[-3000:]
    )
