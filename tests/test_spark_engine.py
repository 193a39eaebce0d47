"""The engine switch and the copy of Spark's marts into DuckDB (pipelines/lib/spark_engine.py).

No Spark here: a Spark table is a folder of Parquet files, written below by DuckDB in Spark's
layout (``<data>/spark/warehouse/<schema>.db/<table>/part-*.parquet``, partition folders too).
The Spark build itself is tested by ``make test-spark`` (tests/spark/).
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.lib.spark_engine import (
    Engine,
    SparkTableMissing,
    SparkWarehouse,
    dbt_target_args,
    engine_in_force,
    import_spark_tables,
)


def test_the_engine_is_duckdb_unless_spark_is_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CCHC_ENGINE", raising=False)
    assert engine_in_force() is Engine.DUCKDB and dbt_target_args(Engine.DUCKDB) == []
    monkeypatch.setenv("CCHC_ENGINE", " Spark ")
    assert engine_in_force() is Engine.SPARK
    assert dbt_target_args(Engine.SPARK) == ["--target", "spark"]
    monkeypatch.setenv("CCHC_ENGINE", "snowflake")
    with pytest.raises(ValueError, match="CCHC_ENGINE='snowflake'"):
        engine_in_force()


def write_spark_table(folder: Path, select_sql: str, partition: str | None = None) -> None:
    """A table as Spark writes it: part files (and a _SUCCESS marker) in its folder."""
    target = folder / partition if partition else folder
    target.mkdir(parents=True, exist_ok=True)
    (folder / "_SUCCESS").touch()
    with duckdb.connect() as con:
        con.execute(f"copy ({select_sql}) to '{target / 'part-00000.snappy.parquet'}'")


def test_spark_tables_are_copied_into_the_warehouse_file_whole(tmp_path: Path) -> None:
    spark = SparkWarehouse.of_data_dir(tmp_path)
    write_spark_table(
        spark.table_dir("marts", "fct_kpi"),
        "select * from (values ('25', 1.5::double), ('80', null)) as t(province_code, value_pct)",
    )
    # a partitioned table: the partition column comes from the path, a string ('01' stays '01')
    for code in ("01", "25"):
        write_spark_table(
            spark.table_dir("marts", "fct_flow"),
            f"select 'current' as era, {int(code)} as received",
            partition=f"province_code={code}",
        )
    database = tmp_path / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.fct_kpi as select 'stale' as old_column")
        counts = import_spark_tables(con, spark, "marts", ["fct_kpi", "fct_flow"])
        assert counts == {"fct_kpi": 2, "fct_flow": 2}
        # the stale table is replaced whole, columns included
        assert con.execute("select * from marts.fct_kpi order by 1").fetchall() == [
            ("25", 1.5),
            ("80", None),
        ]
        assert con.execute(
            "select province_code, received from marts.fct_flow order by 1"
        ).fetchall() == [("01", 1), ("25", 25)]


def test_a_mart_spark_did_not_build_is_named(tmp_path: Path) -> None:
    spark = SparkWarehouse.of_data_dir(tmp_path)
    spark.table_dir("marts", "fct_kpi").mkdir(parents=True)  # a folder without parts
    with duckdb.connect() as con, pytest.raises(SparkTableMissing, match=r"marts\.fct_kpi"):
        import_spark_tables(con, spark, "marts", ["fct_kpi"])
