"""Sign-in, roles and province scope on the fixture serving DB (tests/fixtures_serving.py).

The fixture holds agencies of Hà Nội 01, Phú Thọ 25 (legacy Hoà Bình 17, Phú Thọ 25, Vĩnh Phúc
26) and Tây Ninh 80 (legacy Tây Ninh 72, Long An 80). The demo leadership account sees Phú Thọ
(25), the demo analyst Hà Nội (01): every agency row of another province is a leak, whichever
page, URL parameter, download or SQL query it comes through.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib import db
from dashboards.lib.access import AccessFileError, Grant, Viewer, parse_access
from dashboards.lib.db import SqlRejected, run_analyst_query
from tests.fixtures_serving import build_serving_db
from tests.test_sql_page import ESCAPES

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")
ALL_PAGES = (
    "overview",
    "scorecard",
    "service_index",
    "digitization",
    "online_payment",
    "online_dossiers",
    "data_status",
    "sql",
)
DEMO = {
    "leadership": ("lanhdao", "lanhdao-demo"),
    "analyst": ("phantich", "phantich-demo"),
    "engineer": ("kysu", "kysu-demo"),
    "admin": ("quantri", "quantri-demo"),
}


@pytest.fixture(scope="module")
def serving_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serving_access")
    build_serving_db(root / "warehouse" / "serving.duckdb")
    return root


@pytest.fixture
def served(serving_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CCHC_DATA_DIR", str(serving_root))
    monkeypatch.setenv("CCHC_AUTH", "demo")
    monkeypatch.setenv("CCHC_ACCESS_LOG", str(serving_root / "access_log.jsonl"))
    yield serving_root
    db.READER.close()


def agencies(root: Path) -> pd.DataFrame:
    """Every agency of the fixture with its current province (by the successor of its unit)."""
    with duckdb.connect(
        str(root / "warehouse" / "serving.duckdb"), read_only=True, config=dict(db.LOCKED_CONFIG)
    ) as con:
        return con.execute(
            """
            select a.agency_code, a.agency_name,
                   case when a.era = 'current' then a.province_code else p.successor_code end
                       as current_code
            from marts.dim_agency a
            join marts.dim_province p on p.province_code = a.province_code and p.era = a.era
            """
        ).df()


def outside(root: Path, provinces: set[str]) -> set[str]:
    """Codes and names of the agencies outside `provinces`: none may reach the viewer."""
    frame = agencies(root)
    other = frame[~frame["current_code"].isin(provinces)]
    return set(other["agency_code"]) | set(other["agency_name"])


def leaked(frames: list[pd.DataFrame], forbidden: set[str]) -> set[str]:
    found: set[str] = set()
    for frame in frames:
        for column in frame.columns:
            found |= {v for v in frame[column].astype(str) if v in forbidden}
    return found


def signed_in(role: str, page: str | None = None, **params: str) -> AppTest:
    """A demo sign-in through the form, then `page` with URL parameters."""
    app = AppTest.from_file(APP, default_timeout=60)
    app.run()
    username, password = DEMO[role]
    app.text_input(key="demo_username").input(username)
    app.text_input(key="demo_password").input(password)
    app.button[0].click().run()  # the form's submit button
    assert not app.exception, app.exception
    if page:
        app.switch_page(f"app_pages/{page}.py")
    for key, value in params.items():
        app.query_params[key] = value
    app.run()
    assert not app.exception, app.exception
    return app


# --------------------------------------------------------------------------- sign-in modes


def test_without_settings_the_dashboard_serves_no_data(
    served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CCHC_AUTH")
    db.READER.close()
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.exception
    assert "Chưa cấu hình đăng nhập" in app.error[0].value
    assert "CCHC_AUTH=demo" in app.markdown[0].value and "secrets.toml" in app.markdown[0].value
    assert not app.dataframe and not app.metric
    assert not db.READER.is_open  # nothing was read


def test_an_unknown_mode_is_refused(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCHC_AUTH", "yes")
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert "CCHC_AUTH" in app.error[0].value and not app.dataframe


def test_off_mode_gives_full_access_with_a_banner(
    served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCHC_AUTH", "off")
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert any("CCHC_AUTH=off" in m.value for m in app.markdown)
    assert app.metric  # the overview's national KPIs


def test_demo_sign_in_refuses_a_wrong_password_and_logs_both(served: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=60).run()
    assert not app.dataframe  # the sign-in form only
    app.text_input(key="demo_username").input("lanhdao")
    app.text_input(key="demo_password").input("wrong")
    app.button[0].click().run()
    assert app.error[0].value == "Sai tên đăng nhập hoặc mật khẩu."
    assert not app.dataframe
    signed_in("leadership")
    log = [json.loads(line) for line in (served / "access_log.jsonl").read_text().splitlines()]
    assert [(e["event"], e["user"], e["outcome"]) for e in log[-2:]] == [
        ("sign_in_failed", "lanhdao", "wrong_credentials"),
        ("sign_in", "lanhdao", "ok"),
    ]
    assert log[-1]["role"] == "leadership" and log[-1]["provinces"] == "25"


def test_sign_out_returns_to_the_form_and_is_logged(served: Path) -> None:
    app = signed_in("leadership")
    assert any("chỉ gồm các tỉnh: 25" in m.value for m in app.sidebar.markdown)
    app.button(key="sign_out").click().run()
    assert not app.exception and not app.metric
    assert app.text_input(key="demo_username").value == ""
    last = json.loads((served / "access_log.jsonl").read_text().splitlines()[-1])
    assert (last["event"], last["user"]) == ("sign_out", "lanhdao")


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("leadership", 6),
        ("analyst", 7),
        ("engineer", 8),
        ("admin", 8),
    ],
)
def test_each_role_sees_its_pages(served: Path, role: str, pages: int) -> None:
    app = signed_in(role)
    # the sidebar says who is signed in, with the role
    assert any(DEMO[role][0] in m.value for m in app.sidebar.markdown)
    # a page outside the role is not registered at all (the browser test follows its URL)
    opens = {"leadership": set(), "analyst": {"sql"}}.get(role, {"sql", "data_status"})
    for page in ("sql", "data_status"):
        if page in opens:
            probe = signed_in(role, page)
            assert probe.title[0].value in {"Truy vấn SQL", "Tình trạng dữ liệu"}
        else:
            with pytest.raises(ValueError, match="Could not find a navigation page"):
                signed_in(role, page)
    assert sum(1 for page in ALL_PAGES if page not in {"sql", "data_status"}) + len(opens) == pages


def test_oidc_user_gets_the_role_of_their_group(
    served: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """st.login's identity (AppTest.user stands for the cookie) mapped through access.toml."""
    monkeypatch.setenv("CCHC_AUTH", "oidc")
    app = AppTest.from_file(APP, default_timeout=60)
    app.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    app.user = {"is_logged_in": False}
    app.run()
    assert app.button(key="oidc_sign_in").label == "Đăng nhập" and not app.dataframe
    app.user = {
        "is_logged_in": True,
        "email": "someone@hanoi.gov.vn",
        "groups": ["cchc-analysts-hanoi"],
    }
    app.switch_page("app_pages/sql.py").run()
    assert not app.exception, app.exception
    assert app.title[0].value == "Truy vấn SQL"
    app.user = {"is_logged_in": True, "email": "stranger@example.org", "groups": []}
    stranger = AppTest.from_file(APP, default_timeout=60)
    stranger.secrets["auth"] = {"redirect_uri": "http://localhost:8501/oauth2callback"}
    stranger.user = app.user
    stranger.run()
    assert "chưa được cấp quyền" in stranger.error[0].value and not stranger.dataframe


def test_roles_file_errors_name_the_file_and_entry() -> None:
    with pytest.raises(AccessFileError, match=r"roles.toml: groups entry 1: role 'boss'"):
        parse_access('[[groups]]\nname = "x"\nrole = "boss"\nprovinces = ["01"]', "roles.toml")
    with pytest.raises(AccessFileError, match="two-digit province codes"):
        parse_access('[[users]]\nemail = "a@b"\nrole = "analyst"\nprovinces = ["Hanoi"]')
    rules = parse_access(
        '[[groups]]\nname = "a"\nrole = "analyst"\nprovinces = ["01"]\n'
        '[[groups]]\nname = "b"\nrole = "leadership"\nprovinces = ["25"]\n'
    )
    assert rules.resolve("x@y", ["a", "b"]) == Grant("analyst", frozenset({"01", "25"}))
    assert rules.resolve("x@y", ["c"]) is None


# --------------------------------------------------------------------------- province scope

LEADERSHIP_VISITS = [
    ("overview", {"grain": "month", "period": "2025-06-01", "basis": "reported"}),
    ("scorecard", {"province": "current-01", "grain": "month", "period": "2025-06-01"}),
    ("scorecard", {"province": "legacy-80", "grain": "quarter", "period": "2025-04-01"}),
    ("scorecard", {"province": "current-80", "grain": "month", "period": "2025-09-01"}),
    ("scorecard", {"province": "current-25", "grain": "month", "period": "2025-06-01"}),
    ("service_index", {"province": "current-01"}),
    ("digitization", {"grain": "month", "period": "2025-06-01", "basis": "reported"}),
    ("online_payment", {"grain": "quarter", "period": "2025-07-01", "basis": "current"}),
    ("online_dossiers", {"grain": "month", "period": "2025-09-01", "basis": "current"}),
]


def test_leadership_of_one_province_gets_no_agency_row_of_another(served: Path) -> None:
    forbidden = outside(served, {"25"})
    assert len(forbidden) > 20  # the fixture has agencies of Hà Nội and Tây Ninh to leak
    frames: list[pd.DataFrame] = []
    own_agencies = 0
    for page, params in LEADERSHIP_VISITS:
        app = signed_in("leadership", page, **params)
        frames += [d.value for d in app.dataframe]
        own_agencies += sum(len(d.value) for d in app.dataframe if "Cơ quan, đơn vị" in d.value)
    assert leaked(frames, forbidden) == set()
    assert own_agencies > 0  # Phú Thọ's own agencies are shown
    # what the download buttons write: the same raw frames, read through the viewer's file
    viewer = Viewer("lanhdao", Grant("leadership", frozenset({"25"})), "demo")
    scoped = db.path_for(viewer)
    with duckdb.connect(str(scoped), read_only=True, config=dict(db.LOCKED_CONFIG)) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables"
        ).fetchall()
        everything = [con.execute(f"select * from {t}").df() for (t,) in tables]
    assert ("audit.quarantine",) not in tables and ("audit.loads",) not in tables
    assert leaked(everything, forbidden) == set()


def test_a_national_ranking_stays_national_for_a_province_leader(served: Path) -> None:
    app = signed_in("leadership", "overview", grain="month", period="2025-06-01", basis="current")
    ranking = next(d.value for d in app.dataframe if "Hạng" in d.value.columns)
    assert len(ranking) == 3  # Hà Nội, Phú Thọ, Tây Ninh: province roll-ups are not agency rows


# --------------------------------------------------------------------------- the SQL page in scope

ANALYST = Viewer("phantich", Grant("analyst", frozenset({"01"})), "demo")

# reading outside the analyst's province (Hà Nội): none may return another province's agency
SCOPE_ESCAPES = {
    "plain_select": "select * from marts.dim_agency",
    "other_province": "select * from marts.fct_kpi where province_code = '25' "
    "and agency_code is not null",
    "information_schema_tables": "select * from information_schema.tables",
    "information_schema_columns": "select table_catalog, table_schema, table_name "
    "from information_schema.columns",
    "information_schema_schemata": "select * from information_schema.schemata",
    "duckdb_databases": "select * from duckdb_databases()",
    "duckdb_tables": "select * from duckdb_tables()",
    "duckdb_views": "select * from duckdb_views()",
    "duckdb_settings_path": "select * from duckdb_settings() where name like '%director%'",
    "pragma_database_list": "pragma database_list",
    "pragma_show_tables": "pragma show_tables",
    "pragma_table_info": "pragma table_info('marts.dim_agency')",
    "recursive_cte": "with recursive r(n, code) as (select 1, (select min(agency_code) "
    "from marts.dim_agency) union all select n + 1, (select min(agency_code) from "
    "marts.dim_agency where agency_code > code) from r where code is not null) select * from r",
    "query_function": "select * from query('select * from marts.fct_reconciliation')",
    "query_table": "select * from query_table('marts.dim_agency')",
    "create_view": "create view marts.all_agencies as select * from marts.dim_agency",
    "temp_view": "create temp view v as select * from marts.dim_agency",
    "audit_quarantine": "select * from audit.quarantine",
    "audit_loads": "select * from audit.loads",
    "meta_tables": "select * from meta.tables",
}


@pytest.fixture
def analyst_file(served: Path) -> Path:
    return db.path_for(ANALYST)


def test_analyst_copy_is_its_own_file(served: Path, analyst_file: Path) -> None:
    assert analyst_file != served / "warehouse" / "serving.duckdb"
    assert analyst_file.parent == served / "warehouse" / "scoped"


@pytest.mark.parametrize("sql", SCOPE_ESCAPES.values(), ids=SCOPE_ESCAPES.keys())
def test_analyst_cannot_read_outside_the_province(
    served: Path, analyst_file: Path, sql: str
) -> None:
    forbidden = outside(served, {"01"}) | {str(served / "warehouse" / "serving.duckdb")}
    try:
        result = run_analyst_query(sql, source=analyst_file)
    except SqlRejected as rejected:
        assert rejected.kind in {"forbidden", "error"}, rejected.detail
        return
    assert leaked([result.frame], forbidden) == set()
    as_text = result.frame.astype(str).to_string()
    assert "serving.duckdb" not in as_text  # the copy never names the file it came from


@pytest.mark.parametrize("sql", ESCAPES.values(), ids=ESCAPES.keys())
def test_every_escape_the_sql_page_refuses_is_refused_in_scope_too(
    served: Path, analyst_file: Path, sql: str
) -> None:
    with pytest.raises(SqlRejected) as rejected:
        run_analyst_query(sql, source=analyst_file)
    # refused, or stopped earlier because the table it names is not in the analyst's copy
    missing = rejected.value.kind == "error" and "does not exist" in rejected.value.detail
    assert rejected.value.kind == "forbidden" or missing, rejected.value.detail


def test_the_serving_file_cannot_be_attached_from_a_scoped_copy(
    served: Path, analyst_file: Path
) -> None:
    serving = served / "warehouse" / "serving.duckdb"
    cursor = db.READER.cursor()  # the pages' reader has the serving file open in this process
    try:
        for sql in (
            f"attach '{serving}' as full_data (read_only)",
            f"attach '{serving}' as full_data",
            f"select * from '{serving}'",
            f"select * from read_blob('{serving}')",
        ):
            with pytest.raises(SqlRejected) as rejected:
                run_analyst_query(sql, source=analyst_file)
            assert rejected.value.kind == "forbidden", rejected.value.detail
    finally:
        db.READER.release(cursor)


def test_analyst_still_reads_their_own_agencies(served: Path, analyst_file: Path) -> None:
    result = run_analyst_query(
        "select distinct province_code, era from marts.dim_agency", source=analyst_file
    )
    assert set(map(tuple, result.frame.values.tolist())) == {("01", "legacy"), ("01", "current")}


def test_sql_page_queries_run_in_scope_and_are_logged(served: Path) -> None:
    app = signed_in("analyst", "sql")
    app.text_area(key="sql").input("select agency_code, agency_name from marts.dim_agency")
    app.button(key="run_sql").click().run()
    assert not app.exception
    result = next(d.value for d in app.dataframe if "agency_code" in d.value.columns)
    # Hà Nội's agencies (legacy and current), every one of them and no other
    frame = agencies(served)
    in_scope = frame[frame["current_code"] == "01"]
    assert len(in_scope) >= 10 and len(in_scope) < len(frame)
    assert set(result["agency_code"]) == set(in_scope["agency_code"])
    assert leaked([result], outside(served, {"01"})) == set()
    last = json.loads((served / "access_log.jsonl").read_text().splitlines()[-1])
    assert (last["event"], last["user"], last["rows"], last["outcome"]) == (
        "sql",
        "phantich",
        len(in_scope),
        "ok",
    )
    assert last["detail"].startswith("select agency_code") and last["at"].endswith("+00:00")


def test_engineer_reads_the_access_log_on_data_status(served: Path) -> None:
    signed_in("analyst")
    app = signed_in("engineer", "data_status")
    log = next(d.value for d in app.dataframe if "Sự kiện" in d.value.columns)
    assert {"phantich", "kysu"} <= set(log["Người dùng"])


def test_a_page_run_on_its_own_reads_nothing_without_a_viewer(served: Path) -> None:
    """Only CCHC_AUTH=off lets a page file run without app.py's sign-in read data."""
    page = str(Path(APP).parent / "app_pages" / "overview.py")
    app = AppTest.from_file(page, default_timeout=60).run()
    assert app.exception and "NotSignedIn" in "".join(app.exception[0].stack_trace)
    assert not app.metric


def test_a_province_leader_starts_on_their_province(served: Path) -> None:
    app = signed_in("leadership", "scorecard", grain="month", period="2025-06-01")
    assert app.header[0].value == "Tỉnh Phú Thọ"
    agencies = next(d.value for d in app.dataframe if "Cơ quan, đơn vị" in d.value.columns)
    assert len(agencies) > 0


def test_an_engineer_of_some_provinces_sees_their_loads_and_quarantine_only(served: Path) -> None:
    """Fixture loads: Hoà Bình 6/2025 (legacy 17 → 25), Phú Thọ 8/2025 (25, 3 quarantined rows),
    a rejected file with no province, Hà Nội 9/2025 (01)."""
    engineer = Viewer("e", Grant("engineer", frozenset({"25"})), "demo")
    with duckdb.connect(
        str(db.path_for(engineer)), read_only=True, config=dict(db.LOCKED_CONFIG)
    ) as con:
        loads = con.execute("select file_name from audit.loads order by load_seq").fetchall()
        quarantined = con.execute("select count(*) from audit.quarantine").fetchone()
    assert loads == [("hb_2025_06.xlsx",), ("pt_2025_08.csv",)]
    assert quarantined == (3,)
    hanoi = Viewer("e", Grant("engineer", frozenset({"01"})), "demo")
    with duckdb.connect(
        str(db.path_for(hanoi)), read_only=True, config=dict(db.LOCKED_CONFIG)
    ) as con:
        assert con.execute("select count(*) from audit.quarantine").fetchone() == (0,)
