"""Publishing replaces serving.duckdb atomically and never blocks on, or breaks, its readers."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.lib import unit_copy
from pipelines.lib.publish import publish, unchanged_since_publish


def _warehouse(path: Path, value: int) -> Path:
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts; create schema if not exists audit")
        con.execute("create or replace table marts.fct_kpi as select ? as value", [value])
        con.execute(
            "create or replace table audit.loads as select 1 as load_seq, 'f' as source, "
            "'f.csv' as file_name, ? as file_hash, 'loaded' as outcome, '1' as contract_version, "
            "'L' as load_id, now()::timestamp as loaded_at, 1 as rows_loaded",
            [str(value)],
        )
    return path


READER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(con.execute("select value from marts.fct_kpi").fetchone()[0], flush=True)
sys.stdin.readline()
print(con.execute("select value from marts.fct_kpi").fetchone()[0], flush=True)
"""


def test_a_reader_keeps_its_snapshot_while_a_new_file_is_published(tmp_path: Path) -> None:
    """A reader in another process (a dashboard, an analyst) holds the file open throughout."""
    serving = tmp_path / "serving.duckdb"
    publish(_warehouse(tmp_path / "w.duckdb", 1), serving)
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(serving)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdin is not None
        assert reader.stdout.readline().strip() == "1"

        result = publish(_warehouse(tmp_path / "w.duckdb", 2), serving)

        assert result.published
        with duckdb.connect(str(serving), read_only=True) as fresh:
            assert fresh.execute("select value from marts.fct_kpi").fetchone() == (2,)
            row_count = "select row_count from meta.tables where table_name = 'marts.fct_kpi'"
            assert fresh.execute(row_count).fetchone() == (1,)
        reader.stdin.write("\n")
        reader.stdin.flush()
        assert reader.stdout.readline().strip() == "1"  # its snapshot, unchanged and unbroken
    finally:
        reader.kill()
        reader.wait()


def test_an_unchanged_warehouse_is_not_republished(tmp_path: Path) -> None:
    warehouse, serving = _warehouse(tmp_path / "w.duckdb", 1), tmp_path / "serving.duckdb"
    assert publish(warehouse, serving).published
    before = serving.stat().st_mtime_ns

    again = publish(warehouse, serving)

    assert not again.published and again.reason == "nothing changed since the last publish"
    assert serving.stat().st_mtime_ns == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        ".exports",
        "exports",
        "serving.duckdb",
        "w.duckdb",
    ]


def _kpi_warehouse(path: Path) -> Path:
    """fct_kpi rows in a scrambled order: roll-ups, per-field and per-agency rows, two periods."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema audit")
        con.execute(
            """
            create table marts.fct_kpi as
            select kpi as kpi_code, grain as period_grain, ps::date as period_start,
                   (ps::date + 30) as period_end,
                   'current' as unit_basis, prov as province_code, 'all' as level,
                   agency as agency_code, field as procedure_field, n as numerator
            from (values
              ('b', 'month', '2025-08-01', '02', 'A1', null, 5),
              ('a', 'month', '2025-09-01', 'VN', null, null, 1),
              ('a', 'month', '2025-08-01', '01', null, 'f1', 2),
              ('b', 'month', '2025-08-01', '01', null, null, 3),
              ('a', 'quarter', '2025-07-01', 'VN', null, null, 4),
              ('a', 'month', '2025-08-01', 'VN', null, null, 6),
              ('a', 'month', '2025-09-01', '01', 'A2', 'f2', 7)
            ) t(kpi, grain, ps, prov, agency, field, n)
            """
        )
        con.execute(
            "create table audit.loads as select 1 as load_seq, 'f' as source, 'f.csv' as "
            "file_name, 'h' as file_hash, 'loaded' as outcome, '1' as contract_version, "
            "'L' as load_id, now()::timestamp as loaded_at, 1 as rows_loaded"
        )
    return path


def test_fct_kpi_is_written_in_the_order_the_pages_filter_on(tmp_path: Path) -> None:
    """Roll-ups first, then per-field, then per-agency rows; each by period, province, KPI."""
    warehouse = _kpi_warehouse(tmp_path / "w.duckdb")
    serving = tmp_path / "serving.duckdb"

    publish(warehouse, serving)

    with duckdb.connect(str(serving), read_only=True) as con:
        numerators = [n for (n,) in con.execute("select numerator from marts.fct_kpi").fetchall()]
        published = con.execute("select * from marts.fct_kpi order by all").fetchall()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        built = con.execute("select * from marts.fct_kpi order by all").fetchall()
    assert numerators == [3, 6, 1, 4, 2, 5, 7]
    assert published == built  # the same rows, only their order changed


def test_the_periods_of_fct_kpi_are_published_as_a_small_table(tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    publish(_kpi_warehouse(tmp_path / "w.duckdb"), serving)

    with duckdb.connect(str(serving), read_only=True) as con:
        periods = con.execute("select * from meta.report_periods").fetchall()
        every = con.execute(
            "select distinct period_grain, period_start, period_end from marts.fct_kpi "
            "order by period_start desc, period_grain, period_end"
        ).fetchall()
        documented = con.execute(
            "select row_count from meta.tables where table_name = 'meta.report_periods'"
        ).fetchall()
    assert periods == every and len(periods) == 3
    assert documented == [(3,)]

    publish(_warehouse(tmp_path / "w2.duckdb", 1), serving)  # fct_kpi without period columns
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = con.execute("select table_name from duckdb_tables() where schema_name = 'meta'")
        assert "report_periods" not in {name for (name,) in tables.fetchall()}


def test_an_unchanged_warehouse_is_recognised_before_dbt_runs(tmp_path: Path) -> None:
    """The pipeline skips dbt and the publish when the warehouse's fingerprint equals the serving
    DB's; a new load, rows written to raw outside the loader, a changed dbt project or a missing
    serving DB each mean a build."""
    warehouse, serving = _warehouse(tmp_path / "w.duckdb", 1), tmp_path / "serving.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema raw; create table raw.dossiers as select 1 as load_seq")
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"nodes": {"model.cchc.a": {"checksum": {"checksum": "1"}}}}')
    assert unchanged_since_publish(warehouse, serving, manifest) is None  # nothing published
    published = publish(warehouse, serving, manifest_path=manifest)

    assert unchanged_since_publish(warehouse, serving, manifest) == published.fingerprint

    manifest.write_text('{"nodes": {"model.cchc.a": {"checksum": {"checksum": "2"}}}}')
    assert unchanged_since_publish(warehouse, serving, manifest) is None
    # a changed macro (a KPI definition) changes the marts as much as a changed model
    manifest.write_text(
        '{"nodes": {"model.cchc.a": {"checksum": {"checksum": "1"}}},'
        ' "macros": {"macro.cchc.kpi": {"macro_sql": "x / y"}}}'
    )
    assert unchanged_since_publish(warehouse, serving, manifest) is None
    manifest.write_text('{"nodes": {"model.cchc.a": {"checksum": {"checksum": "1"}}}}')
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into raw.dossiers values (2)")
    assert unchanged_since_publish(warehouse, serving, manifest) is None
    assert publish(warehouse, serving, manifest_path=manifest).published
    assert unchanged_since_publish(warehouse, serving, manifest) is not None
    _warehouse(warehouse, 2)  # a new file load (another hash in audit.loads)
    assert unchanged_since_publish(warehouse, serving, manifest) is None


def test_a_lake_part_written_outside_the_loader_means_a_build(tmp_path: Path) -> None:
    """raw.<source> is a view over the lake's Parquet parts; the fingerprint lists the parts
    (name, size, time) instead of counting their rows: a part written, replaced or removed by
    anything but a file load (which audit.loads records) still means a build, and a data folder
    copied with its files' times does not."""
    lake = tmp_path / "lake" / "payments"
    (lake / "data_month=2024-01").mkdir(parents=True)
    write_part = "copy (select {n} as amount) to '{path}' (format parquet)"
    warehouse, serving = _warehouse(tmp_path / "w.duckdb", 1), tmp_path / "serving.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute(write_part.format(n=1, path=lake / "data_month=2024-01" / "part-a.parquet"))
        con.execute(
            f"create schema raw; create view raw.payments as select * from "
            f"read_parquet('{lake}/*/*.parquet', hive_partitioning = true)"
        )
    assert publish(warehouse, serving).published
    assert unchanged_since_publish(warehouse, serving, None) is not None

    with duckdb.connect() as con:
        con.execute(write_part.format(n=2, path=lake / "data_month=2024-01" / "part-b.parquet"))
    assert unchanged_since_publish(warehouse, serving, None) is None
    assert publish(warehouse, serving).published
    (lake / "data_month=2024-01" / "part-b.parquet").unlink()
    assert unchanged_since_publish(warehouse, serving, None) is None
    assert publish(warehouse, serving).published

    copy = tmp_path / "copy"
    shutil.copytree(tmp_path, copy, ignore=shutil.ignore_patterns("copy"))
    with duckdb.connect(str(copy / "w.duckdb")) as con:  # the view as a load there makes it
        con.execute(
            f"create or replace view raw.payments as select * from "
            f"read_parquet('{copy / 'lake' / 'payments'}/*/*.parquet', hive_partitioning = true)"
        )
    assert unchanged_since_publish(copy / "w.duckdb", copy / "serving.duckdb", None) is not None


def test_a_new_serving_layout_republishes_an_unchanged_warehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pipelines.lib import publish as publish_module

    warehouse, serving = _warehouse(tmp_path / "w.duckdb", 1), tmp_path / "serving.duckdb"
    publish(warehouse, serving)
    assert unchanged_since_publish(warehouse, serving, None) is not None

    monkeypatch.setattr(
        publish_module, "SERVING_LAYOUT_VERSION", publish_module.SERVING_LAYOUT_VERSION + 1
    )
    assert unchanged_since_publish(warehouse, serving, None) is None
    assert publish(warehouse, serving).published


def test_a_publish_writes_only_the_tables_that_changed(tmp_path: Path) -> None:
    """The new serving file starts from the last one; only changed tables are written again,
    a table gone from the warehouse is gone from serving, and the content is the warehouse's."""
    warehouse, serving = _warehouse(tmp_path / "w.duckdb", 1), tmp_path / "serving.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.dim_unit as select 'a' as unit union all select 'b'")
        con.execute("create table marts.fct_old as select 1 as n")
    first = publish(warehouse, serving)
    assert set(first.tables_written) == {
        "audit.loads",
        "marts.dim_unit",
        "marts.fct_kpi",
        "marts.fct_old",
    }

    _warehouse(warehouse, 2)  # fct_kpi and audit.loads change; dim_unit keeps its rows
    with duckdb.connect(str(warehouse)) as con:
        con.execute("drop table marts.fct_old")
        # the same rows in another order are the same table
        con.execute(
            "create or replace table marts.dim_unit as select 'b' as unit union all select 'a'"
        )
    second = publish(warehouse, serving)

    assert second.published
    assert set(second.tables_written) == {"audit.loads", "marts.fct_kpi"}
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() "
            "where schema_name in ('marts', 'audit') order by 1"
        ).fetchall()
        assert tables == [("audit.loads",), ("marts.dim_unit",), ("marts.fct_kpi",)]
        assert con.execute("select value from marts.fct_kpi").fetchall() == [(2,)]
        assert con.execute("select unit from marts.dim_unit order by 1").fetchall() == [
            ("a",),
            ("b",),
        ]
        counted = con.execute("select table_name, row_count from meta.tables order by 1").fetchall()
        assert ("marts.dim_unit", 2) in counted and ("marts.fct_kpi", 1) in counted


def _units_warehouse(path: Path, rows: list[tuple[str | None, str | None, int]]) -> Path:
    """marts.fct_units: rows of (province_code, era, n), and an audit table."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema if not exists marts; create schema if not exists audit")
        con.execute(
            "create or replace table marts.fct_units (province_code varchar, era varchar, n int)"
        )
        con.executemany("insert into marts.fct_units values (?, ?, ?)", rows)
        con.execute(
            "create or replace table audit.loads as select 1 as load_seq, 'f' as source, "
            "'f.csv' as file_name, ? as file_hash, 'loaded' as outcome, '1' as contract_version, "
            "'L' as load_id, now()::timestamp as loaded_at, 1 as rows_loaded",
            [str(len(rows)) + str(sum(n for *_, n in rows))],
        )
    return path


def _published_rows(serving: Path) -> list[tuple]:
    """(rowid, province_code, era, n) of the serving table, in storage order."""
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(
            "select rowid, province_code, era, n from marts.fct_units order by rowid"
        ).fetchall()


def _unit_state(serving: Path) -> tuple[int, int]:
    with duckdb.connect(str(serving), read_only=True) as con:
        (appended,) = con.execute(
            "select rows_appended from meta.unit_copies where table_name = 'marts.fct_units'"
        ).fetchone()  # type: ignore[misc]
        (units,) = con.execute(
            "select count(*) from meta.unit_digests where table_name = 'marts.fct_units'"
        ).fetchone()  # type: ignore[misc]
    return appended, units


HISTORY = [
    *[("01", "legacy", n) for n in range(10)],
    *[("02", "current", n) for n in range(10, 20)],
    *[("VN", "all", n) for n in range(20, 30)],
    (None, None, 99),
]


def test_a_large_table_is_brought_up_to_date_province_by_province(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Only the (province_code, era) units whose rows changed are deleted and inserted again,
    a unit gone from the warehouse is gone from serving, and the content is the warehouse's."""
    monkeypatch.setattr(unit_copy, "MIN_ROWS", 10)
    monkeypatch.setattr(unit_copy, "REWRITE_AFTER_APPENDED_SHARE", 0.5)
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    publish(_units_warehouse(warehouse, HISTORY), serving)
    first = _published_rows(serving)
    assert [row[0] for row in first] == list(range(31))  # written whole
    assert _unit_state(serving) == (0, 4)

    # 02 gets a corrected row, 01 is gone, 03 is new; the nation and the null unit are as they were
    changed = [
        *[("02", "current", n if n != 15 else 150) for n in range(10, 20)],
        ("03", "current", 40),
        *[("VN", "all", n) for n in range(20, 30)],
        (None, None, 99),
    ]
    second = publish(_units_warehouse(warehouse, changed), serving)

    assert "marts.fct_units" in second.tables_written
    published = _published_rows(serving)
    assert sorted((row[1:] for row in published), key=str) == sorted(changed, key=str)
    # in storage order: the rows that stayed, as they were, then the replaced units' rows (a
    # whole copy would have the warehouse's order: 02, 03, VN, null)
    stayed = [row[1:] for row in first if row[1] in ("VN", None)]
    assert [row[1:] for row in published][: len(stayed)] == stayed
    assert {row[1] for row in published[len(stayed) :]} == {"02", "03"}
    assert _unit_state(serving) == (11, 4)  # 02's ten rows and 03's one

    # nothing changed since: the next publish keeps the table and its state
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.dim_other as select 1 as x")
    third = publish(warehouse, serving, force=True)
    assert "marts.fct_units" not in third.tables_written
    assert _published_rows(serving) == published and _unit_state(serving) == (11, 4)


def test_a_table_changed_unit_by_unit_past_its_share_is_written_whole_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the share of rows inserted unit by unit, the table is written whole: its rows in
    the serving order again, the count of inserted rows back to zero."""
    monkeypatch.setattr(unit_copy, "MIN_ROWS", 10)
    monkeypatch.setattr(unit_copy, "REWRITE_AFTER_APPENDED_SHARE", 0.4)
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    publish(_units_warehouse(warehouse, HISTORY), serving)
    one_unit = [(p, e, n + 100 if p == "01" else n) for p, e, n in HISTORY]
    publish(_units_warehouse(warehouse, one_unit), serving)
    assert _unit_state(serving) == (10, 4)  # 10 of 31 rows: under the share

    two_units = [(p, e, n + 100 if p == "02" else n) for p, e, n in one_unit]
    publish(_units_warehouse(warehouse, two_units), serving)

    assert _unit_state(serving) == (0, 4)  # 20 of 31 rows: written whole
    published = _published_rows(serving)
    assert [row[0] for row in published] == list(range(31))
    assert sorted((row[1:] for row in published), key=str) == sorted(two_units, key=str)


def test_a_table_whose_columns_changed_is_written_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(unit_copy, "MIN_ROWS", 10)
    warehouse, serving = tmp_path / "w.duckdb", tmp_path / "serving.duckdb"
    publish(_units_warehouse(warehouse, HISTORY), serving)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("alter table marts.fct_units add column note varchar default 'x'")
        con.execute("update marts.fct_units set n = n + 1000 where province_code = '01'")

    publish(warehouse, serving, force=True)  # the marts changed, no file arrived

    with duckdb.connect(str(serving), read_only=True) as con:
        columns = [
            c
            for (c,) in con.execute(
                "select column_name from duckdb_columns() where table_name = 'fct_units'"
            ).fetchall()
        ]
        assert columns == ["province_code", "era", "n", "note"]
        assert con.execute("select count(*), sum(n) from marts.fct_units").fetchone() == (
            31,
            sum(n for *_, n in HISTORY) + 10 * 1000,
        )
    assert _unit_state(serving) == (0, 4)
