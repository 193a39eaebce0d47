"""Orchestration with real runs: the landing sensor, a two-month backfill, idempotent partitions,
a rejected file that still publishes, a blocking mart check that stops the publish, the failure
summary and the webhook alert.

Real Dagster runs cost 15-50 s each on two shared cores, so each scenario is one module-scoped
sequence of runs over one data folder, and the tests read what the sequence recorded.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import ClassVar

import dagster as dg
import duckdb
import pytest

from pipelines.settings import SOURCES, DataPaths
from tests.conftest import BuiltFolder, copy_built_folder, query_serving, run_pipeline_job
from tests.report_files import hoa_binh_q1_2023_rows, write_csv, write_xlsx


def monthly_report(month: int, year: int = 2024) -> list[list[str]]:
    rows = hoa_binh_q1_2023_rows()
    rows[2][0] = f"Tháng {month}/{year}"
    return rows


@dataclass
class Sequence:
    paths: DataPaths
    results: dict[str, dg.ExecuteInProcessResult] = field(default_factory=dict)
    snapshots: dict[str, object] = field(default_factory=dict)
    sensor: dict[str, object] = field(default_factory=dict)


def _loads(paths: DataPaths) -> list[tuple]:
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as con:
        return con.execute(
            "select file_name, outcome, period_start::varchar from audit.loads order by load_seq"
        ).fetchall()


@pytest.fixture(scope="module")
def landed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sequence]:
    """Three monthly reports and one unreadable file, then: sensor ticks, a backfill of
    2024-01...2024-02, the same backfill again, and the sensor's run over every month."""
    from pipelines.definitions import defs

    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("orchestration") / "data"
    monkeypatch.setenv("CCHC_DATA_DIR", str(root))
    monkeypatch.setenv("CCHC_LANDING_SETTLE_SECONDS", "0")
    monkeypatch.delenv("CCHC_WAREHOUSE_DB", raising=False)
    paths = DataPaths(root).ensure()
    seq = Sequence(paths)
    landing = paths.landing_for("portal_report")
    write_csv(landing / "hb-2024-01.csv", monthly_report(1))
    write_xlsx(landing / "hb-2024-02.xlsx", monthly_report(2))
    write_csv(landing / "hb-2024-03.csv", monthly_report(3))
    broken = monthly_report(2)
    broken[3][2] = "Cột không rõ"
    write_csv(landing / "broken.csv", broken)

    with dg.instance_for_test() as instance:
        sensor = defs.resolve_sensor_def("landing_sensor")
        tick = sensor.evaluate_tick(dg.build_sensor_context(instance=instance, definitions=defs))
        seq.sensor["requests"] = list(tick.run_requests or [])
        cursor = tick.cursor
        seq.sensor["again"] = sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor)
        )

        seq.results["backfill"] = run_pipeline_job(instance, months=("2024-01", "2024-02"))
        seq.snapshots["after_backfill"] = (_loads(paths), paths.serving_db.read_bytes())
        seq.results["backfill_again"] = run_pipeline_job(instance, months=("2024-01", "2024-02"))
        seq.snapshots["after_backfill_again"] = (_loads(paths), paths.serving_db.read_bytes())
        # What the daemon does with the sensor's request: a run of its job with its tags.
        request = seq.sensor["requests"][0]
        seq.results["sensor_run"] = run_pipeline_job(instance, request=request)
        seq.snapshots["after_sensor_run"] = _loads(paths)

        write_csv(landing / "hb-2024-04.csv", monthly_report(4))
        seq.sensor["after_new_file"] = sensor.evaluate_tick(
            dg.build_sensor_context(instance=instance, definitions=defs, cursor=cursor)
        )
        yield seq
    monkeypatch.undo()


def test_a_new_file_triggers_the_sensor_once(landed: Sequence) -> None:
    (request,) = landed.sensor["requests"]
    assert request.run_key and request.run_key.startswith("landing-")
    assert request.tags["cchc/trigger"] == "landing_sensor"
    assert request.tags["cchc/changed_files"] == "4"
    assert request.tags["dagster/asset_partition_range_start"] == "2023-01"
    # Only the source with changed files is loaded; every source's freshness is checked.
    loaded = {key.path[1] for key in request.asset_selection or () if key.path[0] == "raw"}
    assert loaded == {"portal_report"}
    checks = {(key.asset_key.path[1], key.name) for key in request.asset_check_keys or ()}
    assert ("portal_report", "contract") in checks and ("dossiers", "contract") not in checks
    assert {source for source, name in checks if name == "freshness"} == set(SOURCES)
    again = landed.sensor["again"]
    assert not again.run_requests and again.skip_message.startswith("no new or changed files")
    (new_request,) = landed.sensor["after_new_file"].run_requests
    assert new_request.tags["cchc/changed_files"] == "1"
    assert new_request.run_key != request.run_key
    # Before any build, every dbt model; once a build passed, the models the reports feed.
    assert request.tags["cchc/dbt_sources"] == "all"
    assert new_request.tags["cchc/dbt_sources"] == "portal_report"
    selected = set(new_request.asset_selection or ())
    assert dg.AssetKey(["marts", "fct_kpi"]) in selected
    assert dg.AssetKey(["staging", "stg_dossiers"]) not in selected
    assert dg.AssetKey(["serving", "serving_db"]) in selected


def test_a_backfill_over_two_months_loads_only_those(landed: Sequence) -> None:
    assert landed.results["backfill"].success
    loads, _ = landed.snapshots["after_backfill"]
    assert sorted(loads) == [
        ("hb-2024-01.csv", "loaded", "2024-01-01"),
        ("hb-2024-02.xlsx", "loaded", "2024-02-01"),
    ]


def test_re_materializing_an_unchanged_partition_changes_nothing(landed: Sequence) -> None:
    assert landed.results["backfill_again"].success
    assert landed.snapshots["after_backfill_again"] == landed.snapshots["after_backfill"]


def test_a_run_with_a_rejected_file_still_publishes_the_good_data(landed: Sequence) -> None:
    result = landed.results["sensor_run"]
    assert result.success
    loads = landed.snapshots["after_sensor_run"]
    assert {(name, outcome) for name, outcome, _ in loads} == {
        ("hb-2024-01.csv", "loaded"),
        ("hb-2024-02.xlsx", "loaded"),
        ("hb-2024-03.csv", "loaded"),
        ("broken.csv", "rejected"),
    }
    months = query_serving(
        landed.paths,
        "select distinct period_start::varchar from marts.fct_kpi where province_code = '17' "
        "and period_grain = 'month' order by 1",
    )
    assert months == [("2024-01-01",), ("2024-02-01",), ("2024-03-01",)]
    contract = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and e.asset_check_evaluation_data.check_name == "contract"
        # every source has a raw asset and a contract check; the reports are the ones landed
        and e.asset_check_evaluation_data.asset_key == dg.AssetKey(["raw", "portal_report"])
    ]
    assert contract and not contract[0].passed
    assert contract[0].severity == dg.AssetCheckSeverity.WARN
    sources = query_serving(
        landed.paths, "select source, files_loaded, files_rejected, rows_loaded from meta.sources"
    )
    assert sources == [("portal_report", 3, 1, 12)]
    counted = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
        and e.asset_check_evaluation_data.check_name == "report_rows_counted_once"
    ]
    assert counted and counted[0].passed


# --- a failing blocking check: publish stops, the summary and the alert say why -------------


class _Webhook(BaseHTTPRequestHandler):
    received: ClassVar[list[dict]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Webhook.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def webhook() -> Iterator[tuple[str, list[dict]]]:
    server = HTTPServer(("127.0.0.1", 0), _Webhook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Webhook.received = []
    yield f"http://127.0.0.1:{server.server_port}/hooks/secret", _Webhook.received
    server.shutdown()


@dataclass
class Blocked:
    paths: DataPaths
    good_bytes: bytes
    exit_code: int
    out: str
    err: str
    alerts: list[dict]


@pytest.fixture(scope="module")
def blocked(
    tmp_path_factory: pytest.TempPathFactory, webhook, hoa_binh_build: BuiltFolder
) -> Iterator[Blocked]:
    """A good run (a copy of the session's hb.csv build: a good run sends no alert), then a
    faulty load counts rows twice; `make pipeline` (the CLI) runs next."""
    from pipelines import cli

    url, received = webhook
    monkeypatch = pytest.MonkeyPatch()
    root = tmp_path_factory.mktemp("blocked") / "data"
    monkeypatch.setenv("CCHC_DATA_DIR", str(root))
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    monkeypatch.setenv("CCHC_ALERT_WEBHOOK_URL", url)
    monkeypatch.delenv("CCHC_WAREHOUSE_DB", raising=False)
    paths = copy_built_folder(hoa_binh_build, root)
    good = paths.serving_db.read_bytes()
    # A loader bug dbt's tests cannot see: hb.csv loaded again (a new load_seq, its lake part
    # rewritten, as a reload writes it) with row 9 written a second time, under a mangled agency
    # name (so no key repeats and every identity still holds). The reload's load_seq is what an
    # incremental build of stg_portal_report reads (rows above the ones it holds).
    with duckdb.connect(str(paths.warehouse_db)) as con:
        (part,) = (paths.lake / "portal_report" / "data_month=2023-01").glob("part-*.parquet")
        (load_seq,) = con.execute("select nextval('audit.load_seq')").fetchone()  # type: ignore[misc]
        rewritten = part.with_name(".rewritten")
        con.execute(
            f"copy (select * exclude (data_month) replace ({load_seq} as load_seq) "
            "from raw.portal_report union all "
            "select * exclude (data_month) replace (agency_name || ' (2)' as agency_name, "
            f"{load_seq} as load_seq) from raw.portal_report where source_row_number = 9) "
            f"to '{rewritten}' (format parquet)"
        )
        rewritten.replace(part)
    import contextlib
    import io

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(["pipeline"])
    yield Blocked(paths, good, code, out.getvalue(), err.getvalue(), list(received))
    monkeypatch.undo()


def test_a_failing_mart_check_blocks_the_publish(blocked: Blocked) -> None:
    assert blocked.exit_code == 1
    assert blocked.paths.serving_db.read_bytes() == blocked.good_bytes
    leftovers = [p.name for p in blocked.paths.warehouse_dir.iterdir() if ".tmp" in p.name]
    assert leftovers == []


def test_the_pipeline_summary_names_the_step_the_rule_and_the_file(blocked: Blocked) -> None:
    err = blocked.err
    assert "FAILED; serving.duckdb was not replaced" in err
    assert "report_rows_counted_once" in err
    assert "hb.csv" in err


def test_the_failure_hook_posts_the_rule_and_the_file_to_the_webhook(blocked: Blocked) -> None:
    assert blocked.alerts, "no alert reached the webhook"
    alert = blocked.alerts[0]
    assert alert["job"] == "cchc_pipeline"
    assert "report_rows_counted_once" in alert["rules"]
    assert "hb.csv" in alert["files"]
    assert "report_rows_counted_once" in alert["text"]


def test_dagster_home_gets_the_one_writer_pool(blocked: Blocked) -> None:
    """`make pipeline` and `make dagster` share DAGSTER_HOME, whose pools allow one writer."""
    from dagster._core.instance.ref import InstanceRef

    home = blocked.paths.root / "dagster_home"
    assert (home / "dagster.yaml").read_bytes() == (
        Path(__file__).parents[1] / "pipelines" / "dagster.yaml"
    ).read_bytes()
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        assert instance.event_log_storage.supports_global_concurrency_limits
        assert instance.event_log_storage.get_concurrency_info("warehouse_writer").slot_count == 1
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
