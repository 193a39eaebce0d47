"""The Dagster UI as a data engineer meets it: `make dagster` from a fresh shell.

A fresh shell has no virtual environment activated, so nothing of `.venv/bin` is on PATH (the
code location once failed there with "The dbt executable 'dbt' was not found on PATH" and the UI
showed an empty graph). The test starts `make dagster` exactly so, waits for the code location,
asks the webserver's GraphQL API for every asset, schedule and sensor the definitions declare,
and opens the UI's main pages (lineage, a run, automation) in the real browser.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.test_browser import browser, shots  # noqa: F401  (shared real-browser fixtures)

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _fresh_shell_path() -> str:
    """PATH as a new terminal has it: the venv's bin folder (and any other venv) left out."""
    venv = str(VENV_BIN.resolve())
    entries = [
        entry
        for entry in os.environ.get("PATH", "").split(os.pathsep)
        if entry and Path(entry).resolve() != Path(venv) and not (Path(entry) / "activate").exists()
    ]
    return os.pathsep.join(entries)


@dataclass(frozen=True)
class DagsterUI:
    url: str
    data_dir: Path
    log: Path

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"{self.url}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = json.load(response)
        assert "errors" not in payload, payload["errors"]
        return payload["data"]


LOCATION_QUERY = """
{ workspaceOrError { __typename ... on Workspace { locationEntries {
    name loadStatus
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""


def _wait_for_location(ui: DagsterUI, process: subprocess.Popen, timeout: float) -> dict:
    """The code location's entry once it has finished loading (loaded or failed)."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"make dagster exited with {process.returncode}:\n{ui.log.read_text()}")
        try:
            entries = ui.graphql(LOCATION_QUERY)["workspaceOrError"]["locationEntries"]
            if entries and all(entry["loadStatus"] == "LOADED" for entry in entries):
                return entries[0]
        except (OSError, AssertionError, KeyError) as error:
            last_error = error
        time.sleep(1.0)
    pytest.fail(
        f"no loaded code location after {timeout:.0f} s ({last_error}):\n{ui.log.read_text()}"
    )


@pytest.fixture(scope="module")
def dagster_ui(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DagsterUI]:
    data = tmp_path_factory.mktemp("dagster_ui")
    port = _free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"VIRTUAL_ENV", "CONDA_PREFIX", "PYTHONHOME"}
    }
    env.update(
        PATH=_fresh_shell_path(),
        CCHC_DATA_DIR=str(data / "data"),
        DAGSTER_HOME=str(data / "data" / "dagster_home"),
    )
    env.pop("CCHC_WAREHOUSE_DB", None)
    log = data / "make_dagster.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "dagster", f"DAGSTER_PORT={port}"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # make → dagster dev → webserver and daemon: stop them all
        )
    ui = DagsterUI(url=f"http://127.0.0.1:{port}", data_dir=data / "data", log=log)
    try:
        entry = _wait_for_location(ui, process, timeout=300)
        error = entry["locationOrLoadError"]
        assert error["__typename"] != "PythonError", f"code location failed: {error.get('message')}"
        yield ui
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def _declared_definitions() -> tuple[set[str], set[str], set[str]]:
    """What the code location declares, read from the definitions themselves."""
    from pipelines.definitions import defs

    repository = defs.get_repository_def()
    assets = {key.to_user_string() for key in repository.asset_graph.get_all_asset_keys()}
    schedules = {schedule.name for schedule in repository.schedule_defs}
    sensors = {sensor.name for sensor in repository.sensor_defs}
    return assets, schedules, sensors


def test_make_dagster_from_a_fresh_shell_serves_every_definition(dagster_ui: DagsterUI) -> None:
    data = dagster_ui.graphql(
        """{
          assetNodes { assetKey { path } }
          repositoriesOrError { ... on RepositoryConnection { nodes {
            name schedules { name } sensors { name } jobs { name }
          } } }
        }"""
    )
    served_assets = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
    repositories = data["repositoriesOrError"]["nodes"]
    served_schedules = {s["name"] for repo in repositories for s in repo["schedules"]}
    served_sensors = {s["name"] for repo in repositories for s in repo["sensors"]}
    served_jobs = {j["name"] for repo in repositories for j in repo["jobs"]}

    assets, schedules, sensors = _declared_definitions()
    assert served_assets == assets
    # the whole path is there: landing files, raw, dbt models, the publish
    assert {"raw/portal_report", "raw/dossiers", "serving/serving_db"} <= served_assets
    assert any(asset.startswith("marts/") for asset in served_assets)
    assert served_schedules == schedules == {"daily_refresh", "monthly_close"}
    assert served_sensors == sensors
    assert "landing_sensor" in served_sensors
    from pipelines.defs.jobs import PIPELINE_JOB

    assert PIPELINE_JOB in served_jobs


def _launch_a_real_run(ui: DagsterUI) -> str:
    """One small real run in the UI's own instance (the procedure catalog of one month, from an
    empty landing folder), the way `dagster asset materialize` records it."""
    env = {
        **os.environ,
        "CCHC_DATA_DIR": str(ui.data_dir),
        "DAGSTER_HOME": str(ui.data_dir / "dagster_home"),
    }
    env.pop("CCHC_WAREHOUSE_DB", None)
    subprocess.run(
        [
            sys.executable, "-m", "dagster", "asset", "materialize",
            "-m", "pipelines.definitions", "--select", "raw/procedures", "--partition", "2025-01",
        ],
        cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    runs = ui.graphql("{ runsOrError { ... on Runs { results { runId status } } } }")
    results = runs["runsOrError"]["results"]
    assert results, "the run launched from the CLI is not in the UI's instance"
    assert results[0]["status"] == "SUCCESS", results[0]
    return results[0]["runId"]


def _dismiss_first_visit_dialog(page) -> None:
    """A new Dagster instance greets its first visitor with a newsletter dialog: skip it."""
    skip = page.get_by_role("button", name="Skip")
    if skip.count():
        skip.first.click()


@pytest.mark.browser
def test_dagster_ui_pages_open_in_the_browser(
    dagster_ui: DagsterUI,
    browser: object,  # noqa: F811
    shots: Path,  # noqa: F811
) -> None:
    run_id = _launch_a_real_run(dagster_ui)
    pages = {
        "dagster_lineage": ("/asset-groups", "Global asset lineage"),
        "dagster_run": (f"/runs/{run_id}", "RUN_SUCCESS"),
        "dagster_automation": ("/automation", "landing_sensor"),
    }
    for name, (path, expected_text) in pages.items():
        page = browser.new_page(viewport={"width": 1400, "height": 1000})  # type: ignore[attr-defined]
        page.set_default_timeout(60_000)
        page.goto(f"{dagster_ui.url}{path}")
        try:
            page.get_by_text(expected_text).first.wait_for()
            _dismiss_first_visit_dialog(page)
            if name == "dagster_lineage":
                # the graph lists every asset group, none of them empty
                for group in ("landing", "raw", "staging", "marts", "serving"):
                    page.get_by_text(group, exact=True).first.wait_for()
        except Exception:
            page.screenshot(path=str(shots / f"{name}_failure.png"), full_page=True)
            raise
        body = page.locator("body").inner_text()
        for failure in (
            "Empty graph",
            "Unexpected GraphQL error",
            "PythonError",
            "Something went wrong",
        ):
            assert failure not in body, f"{path} shows {failure!r}"
        page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        page.close()
