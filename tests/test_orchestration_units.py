"""Orchestration pieces without a run: the definitions as `dagster dev` loads them, groups, pools,
schedules, the landing scan, freshness, alerts, dbt failure descriptions, publish leftovers."""

from __future__ import annotations

import json
import os
import threading
import time
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb
import pytest

from pipelines.lib import landing_scan
from pipelines.lib.alerts import FailureAlert, notify
from pipelines.lib.dbt_failures import describe_failures, prune_target_dirs
from pipelines.lib.freshness import check_freshness, month_due_checked
from pipelines.lib.ingest import AUDIT_DDL

# --- definitions -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def defs() -> dg.Definitions:
    from pipelines.definitions import defs

    return defs


def test_definitions_load_as_dagster_dev_loads_them(defs: dg.Definitions) -> None:
    dg.Definitions.validate_loadable(defs)


def test_every_asset_is_in_a_readable_group(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    groups = {key.to_user_string(): graph.get(key).group_name for key in graph.get_all_asset_keys()}
    assert all(groups.values()), [k for k, g in groups.items() if not g]
    assert {"landing", "raw", "staging", "intermediate", "marts", "serving"} <= set(groups.values())
    assert groups["landing/portal_report"] == "landing"
    assert groups["raw/portal_report"] == "raw"
    assert groups["staging/stg_portal_report"] == "staging"
    assert groups["serving/serving_db"] == "serving"
    # landing → raw → dbt staging: the dbt source is the raw asset itself
    assert (
        dg.AssetKey(["raw", "portal_report"])
        in graph.get(dg.AssetKey(["staging", "stg_portal_report"])).parent_keys
    )


def test_every_warehouse_writer_is_in_the_one_writer_pool(defs: dg.Definitions) -> None:
    from pipelines.defs.resources import WAREHOUSE_POOL

    graph = defs.resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            assert node.pools == {WAREHOUSE_POOL}, key
    config = (Path(__file__).parents[1] / "pipelines" / "dagster.yaml").read_text()
    assert "default_limit: 1" in config


def test_raw_assets_are_monthly_and_take_a_range_in_one_run(defs: dg.Definitions) -> None:
    graph = defs.resolve_asset_graph()
    raw = graph.get(dg.AssetKey(["raw", "portal_report"]))
    assert raw.partitions_def is not None
    keys = raw.partitions_def.get_partition_keys()
    assert keys[0] == "2023-01" and "2024-02" in keys
    assert raw.backfill_policy == dg.BackfillPolicy.single_run()
    serving = graph.get(dg.AssetKey(["serving", "serving_db"]))
    assert serving.partitions_def is None


def test_the_publish_waits_for_every_blocking_check(defs: dg.Definitions) -> None:
    from pipelines.defs.checks import blocking_check_assets

    graph = defs.resolve_asset_graph()
    serving_parents = graph.get(dg.AssetKey(["serving", "serving_db"])).parent_keys
    assert set(blocking_check_assets) <= serving_parents


def test_schedules_run_in_vietnam_time(defs: dg.Definitions) -> None:
    daily = defs.resolve_schedule_def("daily_refresh")
    monthly = defs.resolve_schedule_def("monthly_close")
    assert daily.execution_timezone == monthly.execution_timezone == "Asia/Ho_Chi_Minh"
    assert daily.cron_schedule == "0 2 * * *"
    assert monthly.cron_schedule == "0 6 5 * *"
    moment = datetime(2026, 11, 5, 6, 0, tzinfo=UTC)
    with dg.instance_for_test() as instance:
        context = dg.build_schedule_context(instance=instance, scheduled_execution_time=moment)
        request = monthly.evaluate_tick(context).run_requests[0]
        assert request.tags["dagster/asset_partition_range_start"] == "2026-10"
        assert request.tags["dagster/asset_partition_range_end"] == "2026-10"
        request = daily.evaluate_tick(context).run_requests[0]
        assert request.tags["dagster/asset_partition_range_start"] == "2023-01"


def test_month_window_keeps_only_the_runs_months() -> None:
    from pipelines.defs.partitions import all_months, period_filter, window_for_keys

    window = window_for_keys("2024-01", "2024-02")
    keep = period_filter(window)
    assert keep is not None
    assert keep(date(2024, 1, 1)) and keep(date(2024, 2, 15))
    assert not keep(date(2024, 3, 1)) and not keep(date(2022, 1, 1)) and not keep(None)
    assert period_filter(window_for_keys(*all_months())) is None  # every month: no filter


# --- landing scan (the sensor's cursor) ----------------------------------------------------------


def test_landing_scan_sees_new_and_changed_files_once(tmp_path: Path) -> None:
    folder = tmp_path / "portal_report"
    folder.mkdir()
    (folder / "a.csv").write_text("a")
    (folder / ".hidden").write_text("x")
    (folder / "~$lock.xlsx").write_text("x")
    first, _ = landing_scan.scan(tmp_path, ["portal_report", "dossiers"])
    assert landing_scan.changed_files({}, first) == {"portal_report": first["portal_report"]}
    assert list(first["portal_report"]) == ["a.csv"]
    cursor = landing_scan.encode_cursor(first)
    again, _ = landing_scan.scan(tmp_path, ["portal_report", "dossiers"])
    assert landing_scan.changed_files(landing_scan.decode_cursor(cursor), again) == {}
    (folder / "a.csv").write_text("a changed")
    os.utime(folder / "a.csv", ns=(time.time_ns(), time.time_ns() + 10**9))
    (folder / "b.csv").write_text("b")
    changed = landing_scan.changed_files(
        landing_scan.decode_cursor(cursor), landing_scan.scan(tmp_path, ["portal_report"])[0]
    )
    assert sorted(changed["portal_report"]) == ["a.csv", "b.csv"]


def test_a_file_still_being_written_waits_for_the_next_tick(tmp_path: Path) -> None:
    folder = tmp_path / "portal_report"
    folder.mkdir()
    (folder / "old.csv").write_text("a")
    os.utime(folder / "old.csv", (time.time() - 60, time.time() - 60))
    (folder / "copying.csv").write_text("partial")
    listing, unsettled = landing_scan.scan(tmp_path, ["portal_report"], settle_seconds=10)
    assert list(listing["portal_report"]) == ["old.csv"]
    assert unsettled == ["portal_report/copying.csv"]


# --- freshness --------------------------------------------------------------------------------


def test_the_month_checked_is_the_latest_one_past_its_due_day() -> None:
    assert month_due_checked(date(2026, 11, 25), due_day=10) == date(2026, 10, 1)
    assert month_due_checked(date(2026, 11, 9), due_day=10) == date(2026, 9, 1)
    assert month_due_checked(date(2026, 1, 10), due_day=10) == date(2025, 12, 1)


def _load(con, province, name, start, end, grain="month", outcome="loaded", source="dossiers"):
    con.execute(
        "insert into audit.loads (load_id, source, file_name, file_hash, file_bytes, "
        "contract_version, outcome, rows_in, rows_loaded, rows_quarantined, province_code, "
        "province_name, period_grain, period_start, period_end, loaded_at) values "
        "('r', ?, ?, 'h', 1, '1', ?, 1, 1, 0, ?, ?, ?, ?, ?, now())",
        [source, f"{province}-{start}", outcome, province, name, grain, start, end],
    )


def test_freshness_lists_the_provinces_whose_last_closed_month_is_missing() -> None:
    con = duckdb.connect()
    con.execute(AUDIT_DDL)
    for month in (7, 8, 9):
        _load(con, "25", "Phú Thọ", date(2026, month, 1), date(2026, month, 28))
        _load(con, "01", "Hà Nội", date(2026, month, 1), date(2026, month, 28))
    _load(con, "04", "Cao Bằng", date(2026, 7, 1), date(2026, 9, 30), grain="quarter")
    _load(con, "25", "Phú Thọ", date(2026, 10, 1), date(2026, 10, 31))
    _load(con, "01", "Hà Nội", date(2026, 10, 1), date(2026, 10, 31), outcome="rejected")
    late = check_freshness(con, "dossiers", today=date(2026, 11, 12), due_day=10)
    assert late.month == date(2026, 10, 1)
    assert late.expected == ["01", "25"]  # a quarterly reporter is not expected monthly
    assert late.missing == [("01", "Hà Nội")]  # a rejected file is not data
    assert "Hà Nội (01)" in late.summary()
    early = check_freshness(con, "dossiers", today=date(2026, 11, 3), due_day=10)
    assert early.month == date(2026, 9, 1) and early.passed
    nothing = check_freshness(con, "payments", today=date(2026, 11, 12), due_day=10)
    assert nothing.passed and not nothing.evaluable


def test_freshness_does_not_expect_merged_provinces_after_july_2025() -> None:
    con = duckdb.connect()
    con.execute(AUDIT_DDL)
    _load(con, "17", "Hòa Bình", date(2025, 6, 1), date(2025, 6, 30))  # merged into Phú Thọ
    _load(con, "25", "Phú Thọ", date(2025, 7, 1), date(2025, 7, 31))
    result = check_freshness(con, "dossiers", today=date(2025, 9, 15), due_day=10)
    assert result.month == date(2025, 8, 1)
    assert result.expected == ["25"]


# --- alerts -----------------------------------------------------------------------------------


class _Collect(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        _Collect.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


def test_an_alert_is_logged_and_posted_as_json(caplog: pytest.LogCaptureFixture) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Collect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Collect.bodies = []
    alert = FailureAlert("abcdef123", "cchc_pipeline", "step", "boom", ["x.csv"], ["rule_a"])
    try:
        assert notify(alert, f"http://127.0.0.1:{server.server_port}/secret")
    finally:
        server.shutdown()
    (body,) = _Collect.bodies
    assert body["files"] == ["x.csv"] and body["rules"] == ["rule_a"]
    assert "x.csv" in body["text"] and "rule_a" in body["text"]
    assert any("boom" in r.message for r in caplog.records)


def test_an_unreachable_webhook_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    alert = FailureAlert("abcdef123", "cchc_pipeline", None, "boom")
    assert notify(alert, "http://127.0.0.1:9/secret-token", timeout=1) is False
    assert notify(alert, "") is False  # no webhook: the log line only
    assert not any("secret-token" in r.message for r in caplog.records)


# --- dbt failures and target folders -----------------------------------------------------------


def test_a_failed_dbt_test_names_its_rule_and_the_offending_files() -> None:
    con = duckdb.connect()
    con.execute("create table t as select 'hb.csv' as source_file, 1 as bad")
    results = {
        "results": [
            {"unique_id": "model.cchc.ok", "status": "success"},
            {
                "unique_id": "test.cchc.expression_is_true_stg_x.abc",
                "status": "fail",
                "message": "Got 1 result, configured to fail if != 0",
                "failures": 1,
                "compiled_code": "select * from t where bad = 1;",
            },
            {"unique_id": "model.cchc.fct_x", "status": "error", "message": "Binder Error"},
        ]
    }
    first, second = describe_failures(results, con)
    assert first.rule == "expression_is_true_stg_x" and first.files == ["hb.csv"]
    assert "hb.csv" in first.line()
    assert second.status == "error" and second.rule == "fct_x" and second.files == []


def test_only_the_latest_dbt_target_folders_are_kept(tmp_path: Path) -> None:
    for index in range(8):
        folder = tmp_path / f"run{index}"
        folder.mkdir()
        os.utime(folder, (index, index))
    prune_target_dirs(tmp_path, keep=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"run{i}" for i in range(3, 8)]


def test_a_killed_publish_leaves_no_file_behind_for_long(tmp_path: Path) -> None:
    from pipelines.lib.publish import remove_stale_staging_files

    serving = tmp_path / "serving.duckdb"
    stale = tmp_path / ".serving-dead.duckdb.tmp"
    fresh = tmp_path / ".serving-running.duckdb.tmp"
    stale.write_text("x")
    fresh.write_text("x")
    os.utime(stale, (time.time() - 86400, time.time() - 86400))
    remove_stale_staging_files(serving)
    assert not stale.exists() and fresh.exists()


# --- a killed `make pipeline` must not hold the one writer slot forever ------------------------


def test_the_slot_of_a_killed_pipeline_run_is_freed_and_a_live_one_kept() -> None:
    import socket
    import subprocess
    import sys

    from dagster._core.storage.dagster_run import DagsterRun, DagsterRunStatus

    from pipelines.lib.stale_slots import HOST_TAG, PID_TAG, free_slots_of_dead_runs

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    overrides = {"concurrency": {"pools": {"default_limit": 1}}}
    with dg.instance_for_test(overrides=overrides) as instance:
        storage = instance.event_log_storage
        runs = {}
        for name, pid in (("killed", dead.pid), ("alive", os.getpid())):
            run = DagsterRun(
                job_name="cchc_pipeline",
                run_id=f"{name}-run",
                status=DagsterRunStatus.STARTED,
                tags={PID_TAG: str(pid), HOST_TAG: socket.gethostname()},
            )
            runs[name] = instance.add_run(run)
        storage.claim_concurrency_slot("warehouse_writer", "killed-run", "raw__portal_report")
        storage.claim_concurrency_slot("warehouse_writer", "alive-run", "raw__portal_report")

        assert free_slots_of_dead_runs(instance, "warehouse_writer") == ["killed-run"]

        info = storage.get_concurrency_info("warehouse_writer")
        assert {s.run_id for s in info.claimed_slots} == set()  # alive-run only queued
        assert {s.run_id for s in info.pending_steps} == {"alive-run"}
        assert instance.get_run_by_id("killed-run").status == DagsterRunStatus.FAILURE
        assert instance.get_run_by_id("alive-run").status == DagsterRunStatus.STARTED


def test_the_cli_names_the_same_pool_as_the_assets() -> None:
    from pipelines import cli
    from pipelines.defs.resources import WAREHOUSE_POOL

    assert cli.WAREHOUSE_POOL == WAREHOUSE_POOL


def test_the_manifest_is_rebuilt_only_when_a_dbt_file_is_newer(tmp_path: Path) -> None:
    from pipelines.lib.dbt_failures import manifest_is_stale

    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "m.sql"
    model.write_text("select 1")
    (tmp_path / "dbt_project.yml").write_text("name: x")
    manifest = tmp_path / "target" / "manifest.json"
    assert manifest_is_stale(tmp_path, manifest)
    manifest.parent.mkdir()
    manifest.write_text("{}")
    os.utime(model, (time.time() - 60, time.time() - 60))
    os.utime(tmp_path / "dbt_project.yml", (time.time() - 60, time.time() - 60))
    assert not manifest_is_stale(tmp_path, manifest)
    model.write_text("select 2")
    assert manifest_is_stale(tmp_path, manifest)


def test_the_dbt_resource_starts_without_a_dbt_version_subprocess(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    import dagster_dbt.core.resource

    from pipelines.defs.resources import build_resources

    def no_subprocess(*args, **kwargs):
        raise AssertionError(f"subprocess at resource set-up: {args}")

    monkeypatch.setattr(dagster_dbt.core.resource, "check_output", no_subprocess)
    dbt = build_resources()["dbt"]
    assert str(dbt._cli_version) == importlib.metadata.version("dbt-core")
    assert dbt._initialize_dbt_core_adapter(["build"]) is None


def test_the_pipelines_own_duckdb_is_bounded_and_spills_beyond_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ingestion holds a whole file's typed rows in temp tables: bounded, a large national file
    spills to warehouse.duckdb.tmp/ instead of taking the process to several GB."""
    from pipelines.defs.resources import build_resources

    assert build_resources(str(tmp_path))["warehouse"].memory_limit == "1GB"
    monkeypatch.setenv("CCHC_WAREHOUSE_MEMORY_LIMIT", "64MB")
    warehouse = build_resources(str(tmp_path))["warehouse"]
    with warehouse.connect() as con:
        (limit,) = con.execute("select current_setting('memory_limit')").fetchone()  # type: ignore[misc]
        assert limit == "61.0 MiB"
        # ≈ 3 M rows of 60-odd bytes: several times the limit, held only by spilling
        con.execute(
            "create temp table staged as "
            "select i, repeat('x', 50) || i::varchar as text from range(3000000) t(i)"
        )
        (rows, distinct) = con.execute(
            "select count(*), count(distinct text) from staged"
        ).fetchone()  # type: ignore[misc]
    assert rows == distinct == 3_000_000
