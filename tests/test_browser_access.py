"""Sign-in in a real browser: `streamlit run` with CCHC_AUTH=demo on the fixture serving DB, driven
by Debian's Chromium through Playwright (as tests/test_browser.py). Each role signs in with its
demo account and sees its pages; the Phú Thọ leader's URL parameters and downloads hold no
agency of another province.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests import test_browser
from tests.fixtures_serving import build_serving_db
from tests.test_access import DEMO, outside
from tests.test_browser import _open, _settle, _wait_or_explain, streamlit_server

# the smoke test's fixtures: one Chromium per module, screenshots in data/screenshots/
browser = test_browser.browser
shots = test_browser.shots

pytestmark = pytest.mark.browser

NAV = {"sql": "Truy vấn SQL", "data_status": "Tình trạng dữ liệu"}
OPENS = {
    "leadership": set(),
    "analyst": {"sql"},
    "engineer": {"sql", "data_status"},
    "admin": {"sql", "data_status"},
}


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = tmp_path_factory.mktemp("browser_access")
    build_serving_db(data / "warehouse" / "serving.duckdb")
    # the access log in the data folder, where the test reads it
    with streamlit_server(data, CCHC_AUTH="demo", CCHC_ACCESS_LOG="") as url:
        yield url, data


def sign_in(browser: object, url: str, role: str, shots: Path):
    """Open `url` (a new session: the sign-in form), sign in with the role's demo account."""
    page = _open(browser, url)
    username, password = DEMO[role]
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    _wait_or_explain(page.get_by_text(f"{username}", exact=True).first, page, shots, role)
    _settle(page)
    return page


@pytest.mark.parametrize("role", list(DEMO))
def test_each_role_signs_in_and_sees_its_pages(
    demo_server: tuple[str, Path], browser: object, shots: Path, role: str
) -> None:
    url, data = demo_server
    page = _open(browser, url)
    page.get_by_role("button", name="Đăng nhập").wait_for()
    assert page.locator("[data-testid='stMetric']").count() == 0  # no data before sign-in
    page.close()

    page = sign_in(browser, url, role, shots)
    page.get_by_role("heading", name="Tổng quan").wait_for()
    nav = page.locator("[data-testid='stSidebarNav']")
    for stem, title in NAV.items():
        assert (nav.get_by_text(title, exact=True).count() > 0) == (stem in OPENS[role]), stem
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(shots / f"signed_in_{role}.png"), full_page=True)
    page.close()
    log = (data / "audit" / "access_log.jsonl").read_text(encoding="utf-8")
    assert f'"user": "{DEMO[role][0]}", "role": "{role}"' in log


def test_leadership_url_to_the_sql_page_does_not_open_it(
    demo_server: tuple[str, Path], browser: object, shots: Path
) -> None:
    url, _ = demo_server
    page = sign_in(browser, f"{url}/sql", "leadership", shots)
    page.get_by_role("heading", name="Tổng quan").wait_for()
    assert page.get_by_role("heading", name="Truy vấn SQL").count() == 0
    assert page.locator("textarea").count() == 0
    page.close()


def test_leadership_downloads_and_url_parameters_hold_only_their_province(
    demo_server: tuple[str, Path], browser: object, shots: Path
) -> None:
    url, data = demo_server
    forbidden = outside(data, {"25"})
    # the scorecard of another province by URL: its province figures, none of its agencies
    page = sign_in(
        browser, f"{url}/scorecard?province=current-01&grain=month&period=2025-06-01", "leadership",
        shots,
    )  # fmt: skip
    _wait_or_explain(page.get_by_role("heading", name="Thành phố Hà Nội"), page, shots, "url")
    _settle(page)
    shown = page.locator("[data-testid='stMain']").inner_text()
    assert not [name for name in forbidden if len(name) > 4 and name in shown]
    page.close()

    # the nation's top and bottom agencies on a topic page, and their CSV download
    page = sign_in(
        browser, f"{url}/digitization?grain=month&period=2025-06-01&basis=reported",
        "leadership", shots,
    )  # fmt: skip
    button = page.locator(".st-key-dl_page_digitization_bottom_agencies_csv button")
    _wait_or_explain(button, page, shots, "leadership_download")
    with page.expect_download() as download_info:
        button.click()
    path = download_info.value.path()
    rows = list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))
    assert rows, "the bottom agencies of Phú Thọ are listed"
    values = {value for row in rows for value in row.values()}
    assert values.isdisjoint(forbidden)
    assert {row["province_name"] for row in rows} <= {
        "Tỉnh Hoà Bình",
        "Tỉnh Phú Thọ",
        "Tỉnh Vĩnh Phúc",
    }
    page.close()
