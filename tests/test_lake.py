"""The raw lake: one Parquet part per landed file and month, typed by the contract, written then
renamed, replaced by a reload; dbt's sources generated from the contracts and checked against
the lake (a mismatch fails the build)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from pipelines.lib import dbt_sources
from pipelines.lib.contracts import Column, load_contract
from pipelines.lib.ingest import define_view, ingest_source
from pipelines.lib.lake import (
    CONTRACT_MONTH,
    LINEAGE_COLUMNS,
    LakeSchemaMismatch,
    LakeTable,
    check_schema,
    file_key,
    read_sql,
)
from tests.test_dbt_sample import dbt_build

HEADER = "transaction_id,dossier_id,province_code,amount_vnd,channel,status,paid_at\n"
# Hand-written: 3 good rows in two months (Jan: T1, T2; Feb: T3), one quarantined (negative).
TWO_MONTHS = HEADER + (
    "T1,D1,17,50000,online,success,2024-01-05 08:00:00\n"
    "T2,D2,17,20000,offline,success,2024-01-31 17:00:00\n"
    "T3,D3,17,10000,online,failed,2024-02-01 09:30:00\n"
    "T4,D4,17,-5,online,success,2024-02-02 10:00:00\n"
)
# The same file corrected: February's rows gone, T1's amount changed.
ONE_MONTH = HEADER + "T1,D1,17,55000,online,success,2024-01-05 08:00:00\n"


def load(tmp_path: Path, text: str, run: str) -> tuple[duckdb.DuckDBPyConnection, Path]:
    landing = tmp_path / "landing" / "payments"
    landing.mkdir(parents=True, exist_ok=True)
    (landing / "pay.csv").write_text(text, encoding="utf-8")
    con = duckdb.connect(str(tmp_path / "warehouse" / "warehouse.duckdb"))
    ingest_source(con, "payments", landing, load_id=run, gx_max_rows=0)
    return con, tmp_path / "lake"


def parts(lake: Path) -> list[str]:
    return sorted(str(p.relative_to(lake)) for p in lake.rglob("*") if p.is_file())


def test_a_file_is_written_once_per_month_typed_by_the_contract(tmp_path: Path) -> None:
    (tmp_path / "warehouse").mkdir()
    con, lake = load(tmp_path, TWO_MONTHS, "run-1")
    key = file_key("payments", "pay.csv")
    assert parts(lake) == [
        f"payments/data_month={CONTRACT_MONTH}/part-contract.parquet",
        f"payments/data_month=2024-01/part-{key}.parquet",
        f"payments/data_month=2024-02/part-{key}.parquet",
    ]
    contract = load_contract("payments")
    schema = pq.read_schema(lake / "payments" / "data_month=2024-01" / f"part-{key}.parquet")
    # The contract's columns in its order, then the lineage; the month is in the path only.
    assert schema.names == [*contract.column_names, *LINEAGE_COLUMNS]
    rows = con.execute(
        f"select transaction_id, amount_vnd, data_month, source_row_number "
        f"from {read_sql(lake, 'payments')} order by 1"
    ).fetchall()
    assert rows == [
        ("T1", 50000, "2024-01", 2),
        ("T2", 20000, "2024-01", 3),
        ("T3", 10000, "2024-02", 4),
    ]
    (quarantined,) = con.execute("select count(*) from audit.quarantine").fetchone()  # type: ignore[misc]
    assert quarantined == 1  # T4: never in the lake
    check_schema(con, lake, contract)
    # counted from the parts' footers (the raw asset's row count): the same 3 rows
    assert LakeTable(lake, contract).row_count(con) == 3


def test_a_reload_replaces_exactly_its_own_parts(tmp_path: Path) -> None:
    (tmp_path / "warehouse").mkdir()
    con, lake = load(tmp_path, TWO_MONTHS, "run-1")
    con.close()
    con, lake = load(tmp_path, ONE_MONTH, "run-2")
    key = file_key("payments", "pay.csv")
    # February's part is gone: the file no longer has rows of that month.
    assert parts(lake) == [
        f"payments/data_month={CONTRACT_MONTH}/part-contract.parquet",
        f"payments/data_month=2024-01/part-{key}.parquet",
    ]
    rows = con.execute(
        f"select transaction_id, amount_vnd, load_id from {read_sql(lake, 'payments')}"
    ).fetchall()
    assert rows == [("T1", 55000, "run-2")]
    assert LakeTable(lake, load_contract("payments")).row_count(con) == 1


def test_a_reload_with_no_valid_row_leaves_none_of_its_parts(tmp_path: Path) -> None:
    (tmp_path / "warehouse").mkdir()
    con, lake = load(tmp_path, TWO_MONTHS, "run-1")
    table = LakeTable(lake, load_contract("payments"))
    # The months written are the folders DuckDB's partitioned copy made: none for no rows.
    no_rows = f"select * exclude (data_month) from {read_sql(lake, 'payments')} where false"
    assert table.write_file(con, file_key("payments", "pay.csv"), no_rows) == []
    assert parts(lake) == [f"payments/data_month={CONTRACT_MONTH}/part-contract.parquet"]
    assert [p.name for p in (lake / "payments").iterdir() if p.name.startswith("_")] == []


def test_a_failed_write_leaves_the_previous_parts_and_nothing_half_written(
    tmp_path: Path,
) -> None:
    (tmp_path / "warehouse").mkdir()
    con, lake = load(tmp_path, TWO_MONTHS, "run-1")
    before = {p: p.read_bytes() for p in (lake / "payments").rglob("*.parquet")}
    table = LakeTable(lake, load_contract("payments"))
    failing = (
        f"select * exclude (data_month) replace (case when transaction_id = 'T3' "
        f"then error('disk full') else amount_vnd end as amount_vnd) "
        f"from {read_sql(lake, 'payments')}"
    )
    with pytest.raises(duckdb.Error, match="disk full"):
        table.write_file(con, file_key("payments", "pay.csv"), failing)
    assert {p: p.read_bytes() for p in (lake / "payments").rglob("*.parquet")} == before
    assert [
        p.name for p in (lake / "payments").iterdir() if not p.name.startswith("data_month=")
    ] == []


def test_a_new_optional_contract_column_appears_as_a_column(tmp_path: Path) -> None:
    (tmp_path / "warehouse").mkdir()
    con, lake = load(tmp_path, TWO_MONTHS, "run-1")
    contract = load_contract("payments")
    grown = dataclasses.replace(
        contract,
        columns=(
            *contract.columns,
            Column("fee_kind", "varchar", False, "A column the contract gained.", None),
        ),
    )
    contract_part = lake / "payments" / f"data_month={CONTRACT_MONTH}" / "part-contract.parquet"
    written = contract_part.stat().st_mtime_ns
    LakeTable(lake, contract).ensure(con)  # the same contract: the part is left as it is
    assert contract_part.stat().st_mtime_ns == written
    LakeTable(lake, grown).ensure(con)  # what the next load does under the new contract
    check_schema(con, lake, grown)  # the part was written again, with the new column
    assert con.execute(
        f"select count(*), count(fee_kind) from {read_sql(lake, 'payments')}"
    ).fetchone() == (3, 0)
    # ...and the lake no longer matches the old contract: loudly.
    with pytest.raises(LakeSchemaMismatch, match="fee_kind"):
        check_schema(con, lake, contract)


def test_the_dbt_sources_are_generated_from_the_contracts() -> None:
    assert dbt_sources.SOURCES_YML.read_text(encoding="utf-8") == dbt_sources.render()


def test_a_lake_part_that_breaks_the_contract_fails_the_dbt_build(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    con, lake = load(tmp_path, TWO_MONTHS, "run-1")
    # A part written by something else than the loader: amount_vnd as text.
    bad = lake / "payments" / "data_month=2024-03" / "part-other.parquet"
    bad.parent.mkdir()
    con.execute(
        f"copy (select * exclude (data_month) replace (amount_vnd::varchar as amount_vnd) "
        f"from {read_sql(lake, 'payments')}) to '{bad}'"
    )
    con.close()
    ok, failed, _ = dbt_build(
        warehouse / "warehouse.duckdb", tmp_path / "target", "--select", "source:raw.payments"
    )
    assert not ok
    assert any("matches_contract" in str(node) for node in failed), failed
    bad.unlink()
    ok, failed, _ = dbt_build(
        warehouse / "warehouse.duckdb", tmp_path / "target", "--select", "source:raw.payments"
    )
    assert ok, failed


def test_a_raw_view_is_defined_again_only_when_its_query_changes(tmp_path: Path) -> None:
    """Each load ensures raw.<source> and raw.<source>_current; a view that already selects
    the same query is left as it is (binding a view over the lake reads every part's footer)."""
    (tmp_path / "warehouse").mkdir()
    con, lake = load(tmp_path, TWO_MONTHS, "run-1")
    (digest,) = con.execute(
        "select comment from duckdb_views() where view_name = 'payments'"
    ).fetchone()  # type: ignore[misc]
    # A stand-in under the same digest: a second load must not replace it...
    con.execute("create or replace view raw.payments as select 1 as stand_in")
    con.execute(f"comment on view raw.payments is '{digest}'")
    define_view(con, "raw.payments", f"select * from {read_sql(lake, 'payments')}")
    assert con.execute("select * from raw.payments").fetchall() == [(1,)]
    # ...while another query replaces it.
    define_view(con, "raw.payments", f"select * from {read_sql(lake, 'payments')} where true")
    assert con.execute("select count(*) from raw.payments").fetchone() == (3,)
