"""Every mart equals, table by table, what main built before the raw lake on the same landing files.

The landing folder (tests/fixtures/mart_equality/landing: 2 provinces and their predecessors,
April-October 2025, with the documented faulty files) and the marts main's code built from it
(golden/<table>.parquet, by scripts/refresh_mart_golden.py at the branch's first commit) are
committed. The test runs today's pipeline on that folder and compares every mart: the same set
of tables and columns, row counts and every non-double column exactly, doubles within 1e-9
relative, all order-insensitive.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from pipelines.settings import DataPaths
from tests.conftest import run_pipeline_job

FIXTURE = Path(__file__).parent / "fixtures" / "mart_equality"
RELATIVE_TOLERANCE = 1e-9


def differences(con: duckdb.DuckDBPyConnection, table: str, golden: Path) -> list[str]:
    """What differs between marts.<table> and its golden file (empty when equal)."""
    con.execute(f"create or replace temp view golden as select * from read_parquet('{golden}')")
    con.execute(f"create or replace temp view built as select * from marts.{table}")
    kinds = {
        name: kind for name, kind, *_ in con.execute("describe select * from golden").fetchall()
    }
    built_kinds = {
        name: kind for name, kind, *_ in con.execute("describe select * from built").fetchall()
    }
    if set(kinds) != set(built_kinds):
        return [f"columns differ: golden {sorted(kinds)} vs built {sorted(built_kinds)}"]
    exact = [name for name, kind in kinds.items() if kind not in ("DOUBLE", "FLOAT")]
    doubles = [name for name in kinds if name not in exact]
    (golden_rows,) = con.execute("select count(*) from golden").fetchone()  # type: ignore[misc]
    (built_rows,) = con.execute("select count(*) from built").fetchone()  # type: ignore[misc]
    if golden_rows != built_rows:
        return [f"{built_rows} rows, golden {golden_rows}"]
    # Pair the rows by every exact column (with a number among equal ones), then compare the
    # doubles of each pair within the tolerance.
    keys = ", ".join(f'"{c}"' for c in exact) or "1"
    numbered = "select *, row_number() over (partition by {keys} order by {order}) as _n from {rel}"
    order = ", ".join(f'"{c}"' for c in doubles) or "1"
    join = " and ".join([f'g."{c}" is not distinct from b."{c}"' for c in exact] + ["g._n = b._n"])
    far = " or ".join(
        f'(g."{c}" is distinct from b."{c}" and (g."{c}" is null or b."{c}" is null '
        f'or abs(g."{c}" - b."{c}") > {RELATIVE_TOLERANCE} * greatest(abs(g."{c}"), abs(b."{c}"))))'
        for c in doubles
    )
    unmatched = con.execute(
        f"""
        with g as ({numbered.format(keys=keys, order=order, rel="golden")}),
        b as ({numbered.format(keys=keys, order=order, rel="built")})
        select count(*) filter (where b._n is null), count(*) filter (where {far or "false"})
        from g left join b on {join}
        """
    ).fetchone()
    assert unmatched is not None
    missing, off = unmatched
    problems = []
    if missing:
        problems.append(f"{missing} golden row(s) have no built row with the same exact columns")
    if off:
        problems.append(f"{off} row(s) differ in a double beyond {RELATIVE_TOLERANCE} relative")
    return problems


def test_every_mart_equals_what_main_built(data_dir: DataPaths) -> None:
    shutil.rmtree(data_dir.landing)
    shutil.copytree(FIXTURE / "landing", data_dir.landing)
    result = run_pipeline_job()
    assert result.success
    golden = sorted((FIXTURE / "golden").glob("*.parquet"))
    assert len(golden) > 20
    with duckdb.connect(str(data_dir.serving_db), read_only=True) as con:
        built = {
            name
            for (name,) in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        }
        assert built == {path.stem for path in golden}
        problems = {path.stem: differences(con, path.stem, path) for path in golden}
    assert {table: p for table, p in problems.items() if p} == {}


def test_the_comparison_sees_a_changed_double_a_lost_row_and_a_changed_count(
    tmp_path: Path,
) -> None:
    """The comparison can fail: a mart equal to its golden file passes, one with a rate moved
    by 1e-6 relative, one row fewer, or a count off by one does not."""
    golden = FIXTURE / "golden" / "fct_kpi.parquet"
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema marts")
    con.execute(f"create table marts.fct_kpi as select * from read_parquet('{golden}')")
    assert differences(con, "fct_kpi", golden) == []
    con.execute(
        "update marts.fct_kpi set value_pct = value_pct * (1 + 1e-6) "
        "where rowid = (select min(rowid) from marts.fct_kpi where value_pct > 0)"
    )
    assert any("double" in p for p in differences(con, "fct_kpi", golden))
    con.execute(f"create or replace table marts.fct_kpi as select * from read_parquet('{golden}')")
    con.execute("delete from marts.fct_kpi where rowid = (select min(rowid) from marts.fct_kpi)")
    assert differences(con, "fct_kpi", golden) != []
    con.execute(f"create or replace table marts.fct_kpi as select * from read_parquet('{golden}')")
    con.execute(
        "update marts.fct_kpi set numerator = numerator + 1 "
        "where rowid = (select min(rowid) from marts.fct_kpi where numerator is not null)"
    )
    assert differences(con, "fct_kpi", golden) != []
