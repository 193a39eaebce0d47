"""The analysts' SQL page: results, the row cap, the timeout, and every escape attempt refused
with a clear message (the connection is read-only, without file or network access, locked)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib.db import SqlRejected, run_analyst_query
from tests.fixtures_serving import build_serving_db

APP = str(Path(__file__).resolve().parent.parent / "dashboards" / "app.py")


@pytest.fixture(scope="module")
def serving_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("serving_sql")
    build_serving_db(root / "warehouse" / "serving.duckdb")
    return root


@pytest.fixture
def served(serving_root: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("CCHC_DATA_DIR", str(serving_root))
    yield serving_root


def run_on_page(sql: str, lang: str = "vi") -> AppTest:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("app_pages/sql.py")
    app.query_params["lang"] = lang
    app.run()
    app.text_area(key="sql").input(sql)
    app.button(key="run_sql").click().run()
    assert not app.exception, app.exception
    return app


def test_a_query_returns_its_rows_and_offers_a_csv(served: Path) -> None:
    app = run_on_page(
        "select province_code, value_pct from marts.fct_kpi where kpi_code = 'online_dossier_rate'"
        " and province_code = '17' and period_grain = 'month' and period_start = '2025-06-01'"
        " and level = 'all' and agency_code is null and procedure_field is null"
    )
    result = next(d.value for d in app.dataframe if "province_code" in d.value.columns)
    assert result["province_code"].tolist() == ["17"]
    assert round(result["value_pct"].iloc[0], 2) == 94.24
    assert any(b.proto.label == "Tải CSV" for b in app.get("download_button"))
    assert "1 dòng" in app.caption[-1].value


def test_schema_browser_lists_marts_with_their_documentation(served: Path) -> None:
    app = AppTest.from_file(APP, default_timeout=60)
    app.switch_page("app_pages/sql.py").run()
    labels = [e.label for e in app.expander]
    assert any(label.startswith("`marts.fct_kpi`") for label in labels)
    assert any(label.startswith("`audit.quarantine`") for label in labels)
    assert "Mô tả bảng marts.fct_kpi" in [c.value for c in app.caption]


def test_row_cap(served: Path) -> None:
    result = run_analyst_query("select * from range(100)", max_rows=10)
    assert len(result.frame) == 10 and result.truncated
    result = run_analyst_query("select * from range(10)", max_rows=10)
    assert len(result.frame) == 10 and not result.truncated


def test_timeout_interrupts_a_long_query(served: Path) -> None:
    with pytest.raises(SqlRejected) as rejected:
        run_analyst_query("select count(*) from range(1000000000000) a", timeout_seconds=0.5)
    assert rejected.value.kind == "timeout"


def test_a_syntax_error_is_an_error_not_a_security_refusal(served: Path) -> None:
    app = run_on_page("selec 1")
    assert app.error[0].value == "Lỗi truy vấn"
    assert "syntax error" in app.code[0].value.lower()


ESCAPES = {
    "copy_to": "copy marts.dim_kpi to '/tmp/cchc_stolen.csv'",
    "copy_after_select": "select 1; copy (select * from audit.loads) to '/tmp/cchc_stolen.csv'",
    "export_database": "export database '/tmp/cchc_export'",
    "attach_file": "attach '/tmp/cchc_other.duckdb' as other",
    "attach_memory": "attach ':memory:' as scratch",
    "install": "install httpfs",
    "load": "load httpfs",
    "read_csv_passwd": "select * from read_csv('/etc/passwd')",
    "read_text": "select * from read_text('/etc/hostname')",
    "glob": "select * from glob('/etc/*')",
    "http": "select * from read_parquet('https://example.org/x.parquet')",
    "set_threads": "set threads = 1",
    "reenable_external_access": "set enable_external_access = true",
    "unlock": "reset lock_configuration",
    "pragma": "pragma memory_limit = '100GB'",
    "write": "delete from marts.fct_kpi",
    "create_table": "create table marts.stolen as select 1",
    # issue 16: more ways out, 41 in all (the analysts' scoped copies refuse them too)
    "import_database": "import database '/tmp/cchc_export'",
    "export_parquet": "export database '/tmp/cchc_export' (format parquet)",
    "copy_from": "copy marts.dim_kpi from '/etc/hostname'",
    "copy_to_stdout": "copy (select 1) to '/dev/stdout'",
    "create_view": "create view marts.all_rows as select * from marts.fct_kpi",
    "create_macro": "create macro marts.m(x) as x",
    "create_secret": "create secret s (type s3, key_id 'a', secret 'b')",
    "duckdb_secrets": "select * from duckdb_secrets()",
    "drop_table": "drop table marts.fct_kpi",
    "update": "update marts.dim_kpi set name_vi = 'x'",
    "insert": "insert into marts.dim_kpi (kpi_code) values ('x')",
    "alter": "alter table marts.dim_kpi add column x int",
    "write_in_transaction": "begin transaction; delete from marts.dim_kpi; commit",
    "read_blob": "select * from read_blob('/etc/passwd')",
    "read_json": "select * from read_json('/etc/passwd')",
    "sniff_csv": "select * from sniff_csv('/etc/passwd')",
    "parquet_metadata": "select * from parquet_metadata('/tmp/x.parquet')",
    "read_text_http": "select * from read_text('http://example.org/')",
    "set_memory_limit": "set memory_limit = '100GB'",
    "set_allowed_directories": "set allowed_directories = ['/']",
    "set_temp_directory": "set temp_directory = '/tmp/cchc_spill'",
    "pragma_enable_profiling": "pragma enable_profiling",
    "install_from_url": "install httpfs from 'http://example.org'",
    "load_extension_file": "load '/tmp/evil.duckdb_extension'",
}


def test_thirty_or_more_escape_attempts() -> None:
    assert len(ESCAPES) >= 30


@pytest.mark.parametrize("sql", ESCAPES.values(), ids=ESCAPES.keys())
def test_escape_attempts_are_refused(served: Path, sql: str) -> None:
    with pytest.raises(SqlRejected) as rejected:
        run_analyst_query(sql)
    assert rejected.value.kind == "forbidden", rejected.value.detail
    assert not Path("/tmp/cchc_stolen.csv").exists()


@pytest.mark.parametrize(
    "sql",
    [
        ESCAPES["copy_to"],
        ESCAPES["attach_file"],
        ESCAPES["install"],
        ESCAPES["load"],
        ESCAPES["read_csv_passwd"],
        ESCAPES["set_threads"],
    ],
    ids=["copy_to", "attach", "install", "load", "read_csv_passwd", "set"],
)
def test_escape_attempts_show_a_clear_message_on_the_page(served: Path, sql: str) -> None:
    app = run_on_page(sql)
    assert app.error[0].value.startswith("Không được phép")
    assert all("Cột" in d.value.columns for d in app.dataframe)  # only the schema browser
    english = run_on_page(sql, lang="en")
    assert english.error[0].value.startswith("Not allowed")
