"""Real-browser smoke test: `streamlit run` on the fixture serving DB, driven by Debian's Chromium
through Playwright; loads the overview and the scorecard, checks visible text, saves screenshots.

`make test` installs chromium first (scripts/install_browser.sh); without it the test is skipped.
Screenshots go to data/screenshots/ (CCHC_SCREENSHOT_DIR overrides).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fixtures_serving import build_serving_db

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError("streamlit did not become healthy")


@contextmanager
def streamlit_server(data: Path, **settings: str) -> Iterator[str]:
    """`streamlit run` on the data folder `data` with extra environment `settings`; its URL."""
    port = _free_port()
    env = {
        **os.environ,
        "CCHC_DATA_DIR": str(data),
        "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false",
        **settings,
    }
    log = (data / "streamlit.log").open("w")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", "dashboards/app.py",
            "--server.port", str(port), "--server.address", "127.0.0.1",
            "--server.headless", "true", "--server.fileWatcherType", "none",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = tmp_path_factory.mktemp("browser_data")
    build_serving_db(data / "warehouse" / "serving.duckdb")
    # full access with a banner; sign-in in the browser: tests/test_browser_access.py
    with streamlit_server(data, CCHC_AUTH="off") as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = shutil.which("chromium")
    if executable is None:
        # `make test` installs it first and sets CCHC_REQUIRE_BROWSER: there (and so in CI) a
        # missing browser fails; a bare pytest on a machine without it skips.
        message = "Debian's chromium is not installed (run `make browser`)"
        if os.environ.get("CCHC_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("CCHC_SCREENSHOT_DIR", ROOT / "data" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _open(browser: object, url: str):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
    page.set_default_timeout(45_000)
    page.goto(url)
    return page


def _settle(page) -> None:
    """Wait until Streamlit has finished running the script."""
    page.wait_for_selector("[data-testid='stApp']")
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !document.querySelector('[data-testid=\"stStatusWidget\"]').innerText"
        ".includes('Running')",
        timeout=45_000,
    )
    page.wait_for_timeout(500)


def _wait_or_explain(locator, page, shots: Path, name: str) -> None:
    """Wait for `locator`; if it never comes, fail with what the page showed instead."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.wait_for(timeout=45_000)
    except PlaywrightTimeout:
        page.screenshot(path=str(shots / f"{name}_failure.png"), full_page=True)
        shown = page.locator("[data-testid='stMain']").inner_text()[:3000]
        pytest.fail(f"{locator} never appeared on {page.url}; the page showed:\n{shown}")


def test_overview_renders_in_the_browser(server: str, browser: object, shots: Path) -> None:
    page = _open(browser, f"{server}/?grain=month&period=2025-06-01&basis=reported")
    page.get_by_text("Bản đồ", exact=True).wait_for()
    page.get_by_text("Ranh giới: Natural Earth").wait_for()
    _settle(page)
    assert page.get_by_role("heading", name="Tổng quan").is_visible()
    assert page.get_by_text("Chỉ tiêu toàn quốc — Tháng 6/2025").is_visible()
    assert page.get_by_text("Số liệu cập nhật đến: 30/09/2025").is_visible()
    # wait for them rather than count at once: a cold first run can still be drawing the grid
    metrics = page.locator("[data-testid='stMetric']")
    _wait_or_explain(metrics.nth(9), page, shots, "overview")
    assert metrics.count() >= 10
    assert page.locator("[data-testid='stException']").count() == 0
    # Plotly draws after its script bundle loads, later than the text on a busy machine.
    page.mouse.wheel(0, 5000)
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot').length >= 2", timeout=60_000
    )  # ranking bars and the map
    page.screenshot(path=str(shots / "overview.png"), full_page=True)
    province_map = page.locator(".js-plotly-plot").last
    province_map.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    province_map.screenshot(path=str(shots / "overview_map.png"))
    # the URL keeps the filters, so the view can be shared
    assert "period=2025-06-01" in page.url and "kpi=online_dossier_rate" in page.url

    # switch to English in the sidebar: the page re-renders without an error
    page.get_by_text("English", exact=True).click()
    page.get_by_role("heading", name="Overview").wait_for()
    _settle(page)
    assert page.get_by_text("National indicators — Jun 2025").is_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    assert "lang=en" in page.url
    page.close()


def test_scorecard_renders_in_the_browser(server: str, browser: object, shots: Path) -> None:
    page = _open(browser, f"{server}/scorecard?province=current-25&grain=month&period=2025-06-01")
    page.get_by_text("Cơ quan, đơn vị thấp nhất").first.wait_for()
    _settle(page)
    assert page.get_by_role("heading", name="Tỉnh Phú Thọ").is_visible()
    assert page.get_by_text("Hoà Bình, Phú Thọ, Vĩnh Phúc").is_visible()
    assert page.get_by_text("Thẻ điểm tỉnh — Tháng 6/2025 · Toàn tỉnh").is_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(shots / "scorecard.png"), full_page=True)
    page.close()


def test_official_rankings_renders_in_the_browser(
    server: str, browser: object, shots: Path
) -> None:
    page = _open(browser, f"{server}/official_rankings?province=current-25")
    page.get_by_text("Bảng xếp hạng của Cổng DVCQG").wait_for()
    _settle(page)
    assert page.get_by_role("heading", name="Xếp hạng chính thức").is_visible()
    assert page.get_by_text("Chỉ tiêu xếp hạng trong kế hoạch").is_visible()
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(shots / "official_rankings.png"), full_page=True)


# Whole download labels: a fixed share of the width once cut "Tải CSV" to "T." on narrow columns.
LABELS_CUT = """() => [...document.querySelectorAll("[data-testid='stDownloadButton'] button")]
    .filter(b => b.checkVisibility({visibilityProperty: true})
                 && b.getBoundingClientRect().width > 0)
    .filter(b => {
        const label = b.querySelector("[data-testid='stMarkdownContainer']");
        if (!label) return true;  // an icon without its label
        const parts = [label, ...label.querySelectorAll('*')];
        const text = label.textContent.trim();
        return parts.some(e => e.scrollWidth > e.clientWidth + 1)
            || label.getBoundingClientRect().width < 3.5 * text.length;
    })
    .map(b => b.innerText.trim())"""


@pytest.mark.parametrize("lang", ["vi", "en"])
@pytest.mark.parametrize(
    ("name", "path", "heading"),
    [
        ("overview", "/?grain=month&period=2025-06-01&basis=reported", ("Tổng quan", "Overview")),
        (
            "scorecard",
            "/scorecard?province=current-01&grain=month&period=2025-08-01",
            ("Thẻ điểm tỉnh", "Province scorecard"),
        ),
        ("data_status", "/data_status?", ("Tình trạng dữ liệu", "Data status")),
    ],
    ids=["overview", "scorecard", "data_status"],
)
def test_pages_in_both_languages_for_screenshots(
    server: str,
    browser: object,
    shots: Path,
    name: str,
    path: str,
    heading: tuple[str, str],
    lang: str,
) -> None:
    """The three pages people open first, in each language: no error, whole download labels,
    a full-page screenshot to look at (data/screenshots/<page>_<lang>.png)."""
    separator = "&" if "?" in path and not path.endswith("?") else ""
    page = _open(browser, f"{server}{path}{separator}lang={lang}")
    title = heading[0] if lang == "vi" else heading[1]
    page.get_by_role("heading", name=title).first.wait_for()
    _settle(page)
    page.mouse.wheel(0, 8000)
    page.wait_for_timeout(1500)
    _settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    buttons = page.locator("[data-testid='stDownloadButton']:visible")
    _wait_or_explain(buttons.first, page, shots, f"{name}_{lang}")
    assert page.evaluate(LABELS_CUT) == []
    # the label's last line (the icon's name comes first in the text)
    labels = {b.strip().splitlines()[-1] for b in buttons.all_inner_texts() if b.strip()}
    expected = {"Tải CSV", "Tải Excel"} if lang == "vi" else {"Download CSV", "Download XLSX"}
    assert labels and labels <= expected, labels
    # Streamlit scrolls inside its main block, not the document: grow the window to show all
    height = page.evaluate("() => document.querySelector(\"[data-testid='stMain']\").scrollHeight")
    page.set_viewport_size({"width": 1400, "height": min(int(height) + 100, 12_000)})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / f"{name}_{lang}.png"), full_page=True)
    page.close()
