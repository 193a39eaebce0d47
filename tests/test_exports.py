"""Exports for analysts: each publish writes the marts as Parquet and a workbook of the province
facts next to serving.duckdb, equal to the serving tables, swapped in atomically."""

from __future__ import annotations

import io
import json
import math
import zipfile
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.lib import exports
from pipelines.lib.publish import publish
from pipelines.lib.xlsx import Sheet, write_workbook
from pipelines.settings import DataPaths
from tests.conftest import run_pipeline_job
from tests.report_files import hoa_binh_q1_2023_rows, write_csv
from tests.source_files import CLEAN_FILE_NAMES, clean_rows, write_source_csv
from tests.test_publish import _warehouse


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    """A real pipeline run (hand-written files of every source) and its publish."""
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("exports") / "data"
    monkeypatch.setenv("CCHC_DATA_DIR", str(root))
    monkeypatch.delenv("CCHC_WAREHOUSE_DB", raising=False)
    paths = DataPaths(root).ensure()
    write_csv(paths.landing_for("portal_report") / "hb.csv", hoa_binh_q1_2023_rows())
    for source, name in CLEAN_FILE_NAMES.items():
        write_source_csv(paths.landing_for(source) / name, clean_rows(source))
    assert run_pipeline_job().success
    yield paths
    monkeypatch.undo()


def _serving(paths: DataPaths, sql: str) -> list[tuple]:
    with duckdb.connect(str(paths.serving_db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_every_mart_is_exported_as_parquet_equal_to_its_serving_table(
    published: DataPaths,
) -> None:
    folder = published.serving_db.parent / "exports"
    assert folder.is_symlink()
    marts = [name for (name,) in _serving(published, "select table_name from duckdb_tables() "
                                          "where schema_name = 'marts' order by 1")]  # fmt: skip
    assert marts and sorted(p.stem for p in (folder / "marts").glob("*.parquet")) == marts
    with duckdb.connect(str(published.serving_db), read_only=True) as con:
        for table in marts:
            parquet = f"read_parquet('{folder / 'marts' / f'{table}.parquet'}')"
            for left, right in ((parquet, f"marts.{table}"), (f"marts.{table}", parquet)):
                (extra,) = con.execute(
                    f"select count(*) from (select * from {left} except all select * from {right})"
                ).fetchone()
                assert extra == 0, f"{table}: {extra} row(s) of {left} not in {right}"
            columns = con.execute(f"describe select * from {parquet}").fetchall()
            # Parquet has no 128-bit integer: a HUGEINT sum of counts is exported as BIGINT
            served = [
                (name, "BIGINT" if kind == "HUGEINT" else kind, *rest)
                for name, kind, *rest in con.execute(f"describe marts.{table}").fetchall()
            ]
            assert columns == served, table


def _comparable(value: object) -> object:
    """A cell as Excel gives it back: numbers as floats (15 digits), dates as dates."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return round(float(value), 9)
    if isinstance(value, datetime) and value.time() == datetime.min.time():
        return value.date()
    if isinstance(value, date | datetime):
        return value
    return str(value)


def test_the_workbook_holds_the_province_facts_of_the_serving_db(published: DataPaths) -> None:
    workbook = published.serving_db.parent / "exports" / exports.WORKBOOK_NAME
    kpi = pl.read_excel(workbook, sheet_name="kpi")
    # written independently of the exporter: the whole-province rows of fct_kpi, nation included
    expected = _serving(
        published,
        """
        select k.kpi_code, d.name_vi, d.name_en, k.period_grain, k.period_start, k.period_end,
               k.unit_basis, k.province_code, k.province_name, k.era, k.numerator,
               k.denominator, k.value_pct
        from marts.fct_kpi k join marts.dim_kpi d on d.kpi_code = k.kpi_code
        where k.level = 'all' and k.agency_code is null and k.procedure_field is null
        """,
    )
    assert kpi.height == len(expected) > 0
    got = sorted((tuple(_comparable(v) for v in row) for row in kpi.iter_rows()), key=repr)
    want = sorted((tuple(_comparable(v) for v in row) for row in expected), key=repr)
    assert got == want
    # Hòa Bình Q1/2023 (shared/domain/KPIS.md): 72,901 of 77,354 dossiers online
    hoa_binh = kpi.filter(
        (pl.col("kpi_code") == "online_dossier_rate") & (pl.col("province_code") == "17")
        & (pl.col("period_grain") == "quarter") & (pl.col("unit_basis") == "reported")
    )  # fmt: skip
    assert hoa_binh.select("numerator", "denominator").row(0) == (72_901, 77_354)
    for sheet, table in (
        ("service_index", "fct_service_index"),
        ("targets", "fct_target_attainment"),
        ("provinces", "dim_province"),
        ("kpi_catalog", "dim_kpi"),
    ):
        (count,) = _serving(published, f"select count(*) from marts.{table}")[0]
        assert pl.read_excel(workbook, sheet_name=sheet).height == count, sheet


def test_a_new_publish_swaps_the_exports_whole_and_old_readers_keep_theirs(
    tmp_path: Path,
) -> None:
    serving = tmp_path / "serving.duckdb"
    link = tmp_path / "exports"
    first = None
    for value in (1, 2, 3):
        warehouse = _warehouse(tmp_path / "w.duckdb", value)
        publish(warehouse, serving)
        if first is None:
            first = (link / "marts" / "fct_kpi.parquet").resolve()
            held = first.open("rb")  # a reader (Power BI, pandas) in the middle of a read
        current = pl.read_parquet(link / "marts" / "fct_kpi.parquet")
        assert current["value"].to_list() == [value]
    assert pl.read_parquet(held)["value"].to_list() == [1]  # its version, unbroken
    held.close()
    versions = [p for p in (tmp_path / exports.VERSIONS_DIR).iterdir()]
    assert len(versions) == exports.KEEP_VERSIONS  # the current one and the one before
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".link")]


def test_text_that_looks_like_a_formula_stays_text() -> None:
    """=, +, - and @ at the start of a cell (issue 16): written as strings, never formulas."""
    risky = ["=1+2", "+SUM(A1:A2)", "-3+4", "@cmd", '=HYPERLINK("http://x")', "0123"]
    buffer = io.BytesIO()
    write_workbook(buffer, {"data": Sheet(["text", "number"], [(t, 1.5) for t in risky])})
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet
    back = pl.read_excel(io.BytesIO(buffer.getvalue()), sheet_name="data")
    assert back["text"].to_list() == risky
    assert back["number"].to_list() == [1.5] * len(risky)


def test_a_real_folder_where_the_link_goes_stops_the_publish_before_anything_changes(
    tmp_path: Path,
) -> None:
    serving = tmp_path / "serving.duckdb"
    publish(_warehouse(tmp_path / "w.duckdb", 1), serving)
    before = serving.read_bytes()
    (tmp_path / "exports").unlink()
    (tmp_path / "exports").mkdir()  # someone made a folder of that name

    with pytest.raises(FileExistsError, match="is a folder, not the exports link"):
        publish(_warehouse(tmp_path / "w.duckdb", 2), serving)

    assert serving.read_bytes() == before
    assert not list((tmp_path / exports.VERSIONS_DIR).glob(".tmp-*"))


def test_a_publish_exports_again_only_the_tables_it_rewrote(tmp_path: Path) -> None:
    """Unchanged marts' Parquet files (and the workbook, when none of its tables changed) are
    the previous version's files, hard-linked; a changed mart is exported again; every file
    holds its serving table's rows."""
    warehouse, serving = _warehouse(tmp_path / "w.duckdb", 1), tmp_path / "serving.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.dim_unit as select 'a' as unit, 'A' as name_vi")
    publish(warehouse, serving)
    link = tmp_path / exports.EXPORTS_LINK
    first = {p.name: p.stat().st_ino for p in (link / "marts").iterdir()}

    _warehouse(warehouse, 2)  # fct_kpi changes, dim_unit does not
    second = publish(warehouse, serving)
    assert set(second.tables_written) == {"audit.loads", "marts.fct_kpi"}
    now = {p.name: p.stat().st_ino for p in (link / "marts").iterdir()}
    assert now["dim_unit.parquet"] == first["dim_unit.parquet"]  # the same file
    assert now["fct_kpi.parquet"] != first["fct_kpi.parquet"]
    assert pl.read_parquet(link / "marts" / "fct_kpi.parquet")["value"].to_list() == [2]
    assert pl.read_parquet(link / "marts" / "dim_unit.parquet").rows() == [("a", "A")]
    manifest = json.loads((link / exports.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["reused"] == ["marts/dim_unit.parquet"]
    assert manifest["parquet"] == {"marts.dim_unit": 1, "marts.fct_kpi": 1}


def test_the_workbook_is_kept_when_none_of_its_tables_changed(tmp_path: Path) -> None:
    warehouse, serving = _warehouse(tmp_path / "w.duckdb", 1), tmp_path / "serving.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table marts.dim_province as select '01' as code, 'Hà Nội' as name")
    publish(warehouse, serving)
    link = tmp_path / exports.EXPORTS_LINK
    workbook = (link / exports.WORKBOOK_NAME).stat().st_ino

    _warehouse(warehouse, 2)  # fct_kpi is in no sheet of this workbook (dim_kpi is missing)
    publish(warehouse, serving)
    assert (link / exports.WORKBOOK_NAME).stat().st_ino == workbook
    manifest = json.loads((link / exports.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["workbook"] == {exports.WORKBOOK_NAME: {"provinces": 1}}

    _warehouse(warehouse, 3)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("insert into marts.dim_province values ('79', 'Hồ Chí Minh')")
    publish(warehouse, serving)
    assert (link / exports.WORKBOOK_NAME).stat().st_ino != workbook
    manifest = json.loads((link / exports.MANIFEST_NAME).read_text(encoding="utf-8"))
    assert manifest["workbook"] == {exports.WORKBOOK_NAME: {"provinces": 2}}
