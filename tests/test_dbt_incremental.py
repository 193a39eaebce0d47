"""Incremental builds give the warehouse a clean load of the same files gives.

Four real pipeline runs land a generated export (three provinces, May to August 2025, across
the 1 July restructuring) in pieces, in the hard orders: history; one new province-month; a late
correction of legacy months whose open dossiers a successor carries; late dossiers whose
payments came first, with a corrected re-export (dossiers moved to another agency, payment
amounts fixed). The later runs build the staging models from what they loaded and the
province-incremental models for the provinces they touched; one clean run of all the files must
give the same staging, intermediate and marts rows. (One sequence rather than two tests of three
runs each: every run is a real dbt build, and make test's time is mostly those.)
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.defs.dbt import DBT_SOURCES_TAG, cchc_dbt_assets, models_downstream_of
from pipelines.defs.ingestion import raw_key
from pipelines.defs.jobs import PIPELINE_JOB, loading_only
from pipelines.lib.dbt_state import (
    STATE_TABLE,
    last_build_passed,
    needs_full_refresh,
    project_digest,
    record_build,
    record_built_loads,
    record_outcome,
    sources_behind,
    sources_to_build,
)
from pipelines.sample_data.generate import GeneratorConfig, generate
from pipelines.settings import DataPaths
from tests.conftest import run_pipeline_job, run_planned_pipeline_job

# Every column but load_seq / dossier_load_seq / load_id: the sequence numbers depend on how many
# files each run loaded, the load id is the run's, not the data.
STAGING_COLUMNS = {
    "staging.stg_dossiers": "* exclude (load_seq)",
    "staging.stg_portal_report": "* exclude (load_seq, load_id)",
    "staging.stg_payments": "* exclude (load_seq, dossier_load_seq)",
    "intermediate.int_flow_reported": "* exclude (load_seq)",
}
# dbt models that rebuild only the provinces a run touched (macros/incremental_scope.sql)
PROVINCE_INCREMENTAL_MODELS = ("int_flow_from_dossiers", "int_activity_month", "int_kpi_counts")
# ... and, with them, the nation's rows (a sum over every province: one more unit)
NATION_INCREMENTAL_MODELS = {"fct_kpi": "marts"}
# ... and marts rebuilt by province, each with the intermediate model whose provinces it must
# rebuild in these runs: the agencies (every run's files name dossiers or reports of the
# provinces int_kpi_counts rebuilds), and the comparison of reports with dossiers (every run's
# report is of a province whose dossiers it also lands)
MART_UNIT_MODELS = {"dim_agency": "int_kpi_counts", "fct_reconciliation": "int_flow_from_dossiers"}
NATION = ("VN", "all")
# the corrected re-export of the fourth run: paid dossiers moved from one agency to another
MOVED_DOSSIERS = 15
CORRECTION_FILE = "80_tay_ninh_2025-07_fixed.parquet"


def _land(paths: DataPaths, files: dict[str, pl.DataFrame | Path]) -> None:
    for relative, content in files.items():
        target = paths.landing / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif target.suffix == ".parquet":
            content.write_parquet(target)
        else:
            content.write_csv(target)


def _content(paths: DataPaths) -> dict[str, tuple[int, str]]:
    """Row count and a digest of the sorted rows of every staging and marts table."""
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as con:
        tables = [
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where schema_name in ('staging', 'intermediate', 'marts') order by all"
            ).fetchall()
        ]
        content = {}
        for table in tables:
            rows = con.execute(
                f"select {STAGING_COLUMNS.get(table, '*')} from {table} order by all"
            ).fetchall()
            content[table] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest())
        return content


def _builds(paths: DataPaths) -> list[bool]:
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as con:
        return [r[0] for r in con.execute(f"select full_refresh from {STATE_TABLE}").fetchall()]


def _assert_equals_a_clean_load(
    incremental: DataPaths,
    runs: list[dict[str, pl.DataFrame | Path]],
    clean_root: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """One run over all the files of ``runs`` gives every staging, intermediate and marts table
    that the runs one after another gave in ``incremental``."""
    clean = DataPaths(clean_root).ensure()
    monkeypatch.setenv("CCHC_DATA_DIR", str(clean.root))
    for files in runs:
        _land(clean, files)
    assert run_pipeline_job().success

    after_increments, clean_load = _content(incremental), _content(clean)
    assert after_increments.keys() == clean_load.keys()
    differing = [t for t in clean_load if after_increments[t] != clean_load[t]]
    assert not differing, f"incremental runs and a clean load differ in {differing}"


def _generated_sample(
    tmp_path: Path, *, start: tuple[int, int], end: tuple[int, int], provinces: str
) -> Path:
    """3,000 generated dossiers of the given months and provinces, in tmp_path/generated."""
    generated = tmp_path / "generated"
    config = GeneratorConfig(
        out=generated, start=start, end=end, dossiers=3000, provinces=provinces
    )
    generate(config, report_workers=0)
    return generated


def _incremental_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DataPaths:
    """The data folder the runs land in one by one, made the pipeline's for this test."""
    incremental = DataPaths(tmp_path / "incremental").ensure()
    monkeypatch.setenv("CCHC_DATA_DIR", str(incremental.root))
    monkeypatch.delenv("CCHC_WAREHOUSE_DB", raising=False)
    return incremental


def test_a_changed_dbt_project_asks_for_a_full_refresh(tmp_path: Path) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert needs_full_refresh(con, "project-a")  # never built
        record_build(con, "project-a", full_refresh=True)
        assert not needs_full_refresh(con, "project-a")
        assert needs_full_refresh(con, "project-b")
        record_build(con, "project-b", full_refresh=True)
        assert not needs_full_refresh(con, "project-b")


def test_only_a_passed_build_of_the_whole_project_lets_the_next_limit_its_tests(
    tmp_path: Path,
) -> None:
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert not last_build_passed(con)  # none recorded: test every row
        record_outcome(con, passed=True)
        assert last_build_passed(con)
        record_outcome(con, passed=False)
        assert not last_build_passed(con)
        record_outcome(con, passed=True)
        assert last_build_passed(con)


def test_a_run_builds_the_models_of_the_sources_it_loads_and_of_those_behind(
    tmp_path: Path,
) -> None:
    """Which sources' models a run must build, from the warehouse's records alone: the loads
    of audit.loads (hand-written rows) against what the passing builds took in."""
    warehouse = tmp_path / "w.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema audit")
        con.execute("create table audit.loads (source varchar, load_seq bigint)")
        con.execute(
            "insert into audit.loads values ('dossiers', 1), ('payments', 2), ('dossiers', 3)"
        )
        # no build recorded what it took (a warehouse of an earlier version): every model
        assert sources_behind(con, "project-a") is None
        record_build(con, "project-a", full_refresh=True)
        record_outcome(con, passed=True)
        record_built_loads(con, {"dossiers": 3, "payments": 2})
        assert sources_behind(con, "project-a") == set()
        assert sources_behind(con, "project-b") is None  # another project: every model
        # a run that loaded satisfaction and a dossiers file, then stopped before dbt
        con.execute("insert into audit.loads values ('satisfaction', 4), ('dossiers', 5)")
        assert sources_behind(con, "project-a") == {"dossiers", "satisfaction"}
        record_built_loads(con, {"dossiers": 5})  # a build of the dossiers' models only
        assert sources_behind(con, "project-a") == {"satisfaction"}
        record_outcome(con, passed=False)
        assert sources_behind(con, "project-a") is None  # after a failed build: every model
        record_outcome(con, passed=True)
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"nodes": {}}', encoding="utf-8")
    with duckdb.connect(str(warehouse)) as con:
        record_build(con, project_digest(manifest), full_refresh=False)
    assert sources_to_build(warehouse, manifest, {"payments"}) == {"payments", "satisfaction"}
    assert sources_to_build(tmp_path / "none.duckdb", manifest, {"payments"}) is None
    with duckdb.connect(str(warehouse)):  # held by a run: the warehouse cannot say
        assert sources_to_build(warehouse, manifest, {"payments"}) is None


def _province_month_runs(generated: Path) -> list[dict[str, pl.DataFrame | Path]]:
    """History; then one new province-month (current Tây Ninh, August 2025: dossiers, payments,
    report); then a late correction of legacy Hòa Bình's May and June, whose open dossiers its
    successor (current Phú Thọ) carries from July 2025."""
    tay_ninh = generated / "dossiers" / "80_tay_ninh_2025-07_2025-08.parquet"
    tay_ninh_payments = generated / "payments" / "80_tay_ninh_2025-07_2025-08.csv"
    august_report = generated / "portal_report" / "80_tay_ninh_2025-08.xlsx"
    dossiers = pl.read_parquet(tay_ninh)
    payments = pl.read_csv(tay_ninh_payments, infer_schema=False)
    in_august = pl.col("received_at").dt.month() == 8
    paid_in_august = pl.col("paid_at").str.starts_with("2025-08")
    history: dict[str, pl.DataFrame | Path] = {
        f"{p.parent.name}/{p.name}": p
        for p in generated.rglob("*")
        if p.is_file()
        and p.name[0] != "_"
        and p not in {tay_ninh, tay_ninh_payments, august_report}
    }
    history[f"dossiers/{tay_ninh.name}"] = dossiers.filter(~in_august)
    history[f"payments/{tay_ninh_payments.name}"] = payments.filter(~paid_in_august)

    hoa_binh = pl.read_parquet(generated / "dossiers" / "17_hoa_binh_2025-05_2025-06.parquet")
    # the dossiers open at 30 June are resolved in June after all: June's in progress and
    # Phú Thọ's July carried over shrink
    closed_in_june = hoa_binh.filter(pl.col("status") == "processing").with_columns(
        status=pl.lit("resolved"), resolved_at=pl.col("received_at") + pl.duration(hours=2)
    )
    # a May resolution was in fact on 3 June: May's in progress and June's resolved change
    resolved_late = (
        hoa_binh.filter(
            (pl.col("status") == "resolved")
            & (pl.col("received_at").dt.day() > 20)
            & (pl.col("resolved_at").dt.month() == 5)
        )
        .head(3)
        .with_columns(resolved_at=pl.datetime(2025, 6, 3, 10))
    )
    assert closed_in_june.height >= 1 and resolved_late.height == 3, "the sample changed"
    return [
        history,
        {
            "dossiers/80_tay_ninh_2025-08_2025-08.parquet": dossiers.filter(in_august),
            "payments/80_tay_ninh_2025-08_2025-08.csv": payments.filter(paid_in_august),
            f"portal_report/{august_report.name}": august_report,
        },
        {
            "dossiers/17_hoa_binh_2025-05_2025-06_fixed.parquet": pl.concat(
                [closed_in_june, resolved_late]
            )
        },
    ]


def _late_dossiers_and_agency_correction(
    generated: Path, runs: list[dict[str, pl.DataFrame | Path]]
) -> list[dict[str, pl.DataFrame | Path]]:
    """``runs`` and a fourth run, in the hard orders: current Cao Bằng's August dossiers, held
    back from the history whose payments file already brought their payments (payments before
    their dossiers); a corrected re-export of current Tây Ninh's July: paid dossiers moved
    to another agency, their payments' amounts fixed; and a corrected re-export of Cao Bằng's
    August report, which replaces every row of the report it corrects."""
    cao_bang = generated / "dossiers" / "04_cao_bang_2025-07_2025-08.parquet"
    cao_bang_dossiers = pl.read_parquet(cao_bang)
    in_august = pl.col("received_at").dt.month() == 8
    history, *later = runs
    history = {**history, f"dossiers/{cao_bang.name}": cao_bang_dossiers.filter(~in_august)}

    tay_ninh = pl.read_parquet(generated / "dossiers" / "80_tay_ninh_2025-07_2025-08.parquet")
    payments = pl.read_csv(
        generated / "payments" / "80_tay_ninh_2025-07_2025-08.csv", infer_schema=False
    )
    paid_in_july = tay_ninh.filter(
        pl.col("received_at").dt.month() == 7,
        pl.col("dossier_id").is_in(payments["dossier_id"].implode()),
    )
    moving = paid_in_july.filter(pl.col("agency_name") == "Sở Tài chính").head(MOVED_DOSSIERS)
    target = tay_ninh.filter(pl.col("agency_name") == "Sở Xây dựng").row(0, named=True)
    assert moving.height == MOVED_DOSSIERS, "the sample lost the dossiers this test corrects"
    moved = moving.with_columns(
        agency_name=pl.lit(target["agency_name"]), agency_code=pl.lit(target["agency_code"])
    )
    fixed_payments = payments.filter(
        pl.col("dossier_id").is_in(moving["dossier_id"].implode())
    ).with_columns(amount_vnd=(pl.col("amount_vnd").cast(pl.Int64) + 5_000).cast(pl.String))
    return [
        history,
        *later,
        {
            "dossiers/04_cao_bang_2025-08_2025-08.parquet": cao_bang_dossiers.filter(in_august),
            f"dossiers/{CORRECTION_FILE}": moved,
            "payments/80_tay_ninh_2025-07_fixed.csv": fixed_payments,
            # its last month: a correction of an earlier one, loaded after the report of a
            # later month, is a late report (fct_anomalies) where a clean load has none
            "portal_report/04_cao_bang_2025-08_fixed.csv": _corrected_report(
                generated / "portal_report" / "04_cao_bang_2025-08.csv"
            ),
        },
    ]


def _corrected_report(report: Path) -> Path:
    """The report re-exported with one dossier of its first agency resolved early rather than
    on time: the agency's row, the level's subtotal and the total each change by one."""
    lines = report.read_bytes().decode("utf-8-sig").split("\r\n")
    first = next(i for i, line in enumerate(lines) if line.startswith("1,"))
    subtotal = next(i for i in range(first, len(lines)) if lines[i].startswith(",Cộng"))
    total = next(i for i, line in enumerate(lines) if line.startswith(",Tổng cộng"))
    for index in (first, subtotal, total):
        cells = lines[index].split(",")
        # the agency's name holds no comma in the rows corrected: early and on time are the
        # 8th and 9th cells (STT, unit, received ×4, resolved total, early, on time, ...)
        assert len(cells) == 14 and int(cells[8]) > 0, f"the sample changed: {lines[index]}"
        cells[7], cells[8] = str(int(cells[7]) + 1), str(int(cells[8]) - 1)
        lines[index] = ",".join(cells)
    corrected = report.with_name(report.stem + "_fixed.csv")
    corrected.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(lines).encode("utf-8"))
    return corrected


def _satisfaction_held_back(
    generated: Path, runs: list[dict[str, pl.DataFrame | Path]]
) -> dict[str, pl.DataFrame | Path]:
    """History without its August satisfaction rows, which come later as a file of their own
    (returned): a drop of a small source alone."""
    name = "satisfaction/satisfaction_2025.csv"
    rows = pl.read_csv(generated / name, infer_schema=False)
    in_august = pl.col("period_start") == "2025-08-01"
    assert rows.filter(in_august).height > 0, "the sample has no August satisfaction rows"
    runs[0][name] = rows.filter(~in_august)
    return {"satisfaction/satisfaction_2025-08.csv": rows.filter(in_august)}


def _dbt_models_built(result: dg.ExecuteInProcessResult) -> set[dg.AssetKey]:
    """The dbt assets (models, seeds) a run materialized."""
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    return materialized & set(cchc_dbt_assets.keys)


def _failures(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(
        str(event.step_failure_data.error.message if event.step_failure_data.error else "")
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.STEP_FAILURE
    )


def _rebuilt(paths: DataPaths, model: str) -> set[tuple[str, str]]:
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as con:
        rows = con.execute(
            "select province_code, era from meta.dbt_rebuilt_provinces where model_name = ?",
            [model],
        ).fetchall()
    return set(rows)


def _last_invocation(paths: DataPaths) -> Path:
    """The target folder of the last dbt invocation (each has its own, pipelines/defs/dbt.py)."""
    return max((paths.root / "dbt_target").iterdir(), key=lambda p: p.stat().st_mtime)


def _emitted(paths: DataPaths, model: str, folder: str = "intermediate") -> set[tuple[str, str]]:
    """The (province, era) of the rows the model's last build emitted: its compiled SQL (as dbt
    ran it, the touched provinces written in) run again over the warehouse. An incremental build
    must emit only the provinces it rebuilds: the rows it emits replace theirs, so emitting every
    province is correct but rebuilds everything (a filter that compared a column with itself
    once made every incremental run a full rebuild, unseen by the equality checks)."""
    latest = _last_invocation(paths)
    compiled = latest / "compiled" / "cchc" / "models" / folder / f"{model}.sql"
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as con:
        con.execute(f"set file_search_path = '{paths.lake}'")  # staging views read the lake
        rows = con.execute(
            f"select distinct province_code, era from ({compiled.read_text(encoding='utf-8')})"
        ).fetchall()
    return set(rows)


def _full_refresh(paths: DataPaths) -> bool:
    """Whether the last dbt invocation ran with --full-refresh."""
    latest = _last_invocation(paths)
    results = json.loads((latest / "run_results.json").read_text(encoding="utf-8"))
    return bool(results["args"].get("full_refresh"))


def _unit_tests_run(paths: DataPaths) -> int:
    """How many dbt unit tests the last dbt invocation ran."""
    latest = _last_invocation(paths)
    results = json.loads((latest / "run_results.json").read_text(encoding="utf-8"))["results"]
    return sum(result["unique_id"].startswith("unit_test.") for result in results)


def _debug_events_logged(paths: DataPaths) -> int:
    """How many debug-level events the last dbt invocation wrote to its dbt.log (the pipeline
    asks for info: at debug every node also logs its SQL, transactions and connections)."""
    latest = _last_invocation(paths)
    lines = (latest / "dbt.log").read_text(encoding="utf-8").splitlines()
    assert len(lines) > 100, "dbt.log lost its info events"
    return sum(json.loads(line)["info"]["level"] == "debug" for line in lines)


def test_incremental_runs_equal_a_clean_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Four runs: history; one new province-month; a late correction across 1 July 2025; late
    dossiers whose payments came first, with a corrected re-export moving paid dossiers to
    another agency. The province-incremental models rebuild only the provinces a run touched,
    the staging models read only what the run loaded, and every staging, intermediate and marts
    table equals a clean load of all the files."""
    generated = _generated_sample(tmp_path, start=(2025, 5), end=(2025, 8), provinces="3")
    runs = _late_dossiers_and_agency_correction(generated, _province_month_runs(generated))
    late_satisfaction = _satisfaction_held_back(generated, runs)
    incremental = _incremental_data_folder(tmp_path, monkeypatch)
    rebuilt, emitted, unit_tests = [], [], []
    nation_rebuilt, nation_emitted = [], []
    marts_rebuilt, marts_emitted = [], []
    planned, built, full_refresh = [], [], []
    for files in runs:
        _land(incremental, files)
        result = run_planned_pipeline_job()  # as `make pipeline` plans it
        assert result.success
        planned.append(result.dagster_run.tags.get(DBT_SOURCES_TAG, "all"))
        built.append(_dbt_models_built(result))
        rebuilt.append({m: _rebuilt(incremental, m) for m in PROVINCE_INCREMENTAL_MODELS})
        emitted.append({m: _emitted(incremental, m) for m in PROVINCE_INCREMENTAL_MODELS})
        nation_rebuilt.append({m: _rebuilt(incremental, m) for m in NATION_INCREMENTAL_MODELS})
        nation_emitted.append(
            {m: _emitted(incremental, m, f) for m, f in NATION_INCREMENTAL_MODELS.items()}
        )
        marts_rebuilt.append({m: _rebuilt(incremental, m) for m in MART_UNIT_MODELS})
        marts_emitted.append({m: _emitted(incremental, m, "marts") for m in MART_UNIT_MODELS})
        unit_tests.append(_unit_tests_run(incremental))
        full_refresh.append(_full_refresh(incremental))
        assert _debug_events_logged(incremental) == 0
    # The first build starts from raw; the next ones read only what their run loaded.
    assert full_refresh == [True, False, False, False]
    # only a build of every model records the project it built (the later ones build some)
    assert _builds(incremental) == [True]
    # unit tests check code, not data: run with the first build of this project only
    assert unit_tests[0] > 10 and unit_tests[1:] == [0, 0, 0]
    # the new month touches Tây Ninh alone; the correction legacy Hòa Bình and its successor;
    # the last run Cao Bằng and Tây Ninh
    assert [runs_rebuilt[model] for runs_rebuilt in rebuilt[1:] for model in rebuilt[0]] == [
        *[{("80", "current")}] * len(PROVINCE_INCREMENTAL_MODELS),
        *[{("17", "legacy"), ("25", "current")}] * len(PROVINCE_INCREMENTAL_MODELS),
        *[{("04", "current"), ("80", "current")}] * len(PROVINCE_INCREMENTAL_MODELS),
    ]
    # and each incremental build emitted the rows of those provinces, no others
    assert emitted[1:] == rebuilt[1:]
    assert len(emitted[0]["int_kpi_counts"]) > 6  # the first build: every province
    # fct_kpi: the provinces int_kpi_counts rebuilt and the nation, and only their rows
    for run in range(1, len(runs)):
        for model in NATION_INCREMENTAL_MODELS:
            assert nation_rebuilt[run][model] == rebuilt[run]["int_kpi_counts"] | {NATION}
            assert nation_emitted[run][model] == nation_rebuilt[run][model]
    assert nation_emitted[0]["fct_kpi"] == emitted[0]["int_kpi_counts"] | {NATION}
    # the marts rebuilt by province: their intermediate model's provinces, and only their rows
    for mart, model in MART_UNIT_MODELS.items():
        assert [run[mart] for run in marts_rebuilt[1:]] == [run[model] for run in rebuilt[1:]]
        assert [run[mart] for run in marts_emitted[1:]] == [run[mart] for run in marts_rebuilt[1:]]
    assert marts_emitted[0]["dim_agency"] == emitted[0]["int_kpi_counts"]

    # The first run builds every model; each later one only those downstream of what it loaded
    # (the satisfaction, catalog and index models not among them).
    loaded_three = "dossiers,payments,portal_report"
    assert planned == ["all", loaded_three, "dossiers", loaded_three]
    assert built[0] == set(cchc_dbt_assets.keys)
    for sources, models in zip(planned[1:], built[1:], strict=True):
        assert models == models_downstream_of(sources.split(","))
        assert dg.AssetKey(["staging", "stg_satisfaction"]) not in models

    # A run that stopped after its loads (the raw asset materialized alone) leaves its source
    # behind; a run planned without that source refuses to build (the models it leaves out
    # would be published untested); the next planned run builds both sources' models.
    stopped = {
        "procedures/procedures_2025-09-01.csv": generated
        / "procedures"
        / "procedures_2025-07-01.csv"
    }
    _land(incremental, stopped)
    only_raw = dg.RunRequest(asset_selection=[raw_key("procedures")], asset_check_keys=[])
    assert run_pipeline_job(request=only_raw).success
    _land(incremental, late_satisfaction)
    published = incremental.serving_db.read_bytes()
    from pipelines.definitions import defs

    assets, checks = loading_only(
        defs.resolve_job_def(PIPELINE_JOB), ["satisfaction"], ["satisfaction"]
    )
    refused = run_pipeline_job(
        request=dg.RunRequest(
            asset_selection=sorted(assets, key=str),
            asset_check_keys=sorted(checks, key=str),
            tags={DBT_SOURCES_TAG: "satisfaction"},
        )
    )
    assert not refused.success
    assert "procedures also wait" in _failures(refused)
    assert incremental.serving_db.read_bytes() == published
    result = run_planned_pipeline_job()
    assert result.success
    assert result.dagster_run.tags[DBT_SOURCES_TAG] == "procedures,satisfaction"
    assert _dbt_models_built(result) == models_downstream_of(["procedures", "satisfaction"])
    assert dg.AssetKey(["staging", "stg_dossiers"]) not in _dbt_models_built(result)

    _assert_equals_a_clean_load(
        incremental, [*runs, stopped, late_satisfaction], tmp_path / "clean", monkeypatch
    )
    moved = runs[-1][f"dossiers/{CORRECTION_FILE}"]
    with duckdb.connect(str(incremental.warehouse_db), read_only=True) as con:
        (followed,) = con.execute(
            "select count(distinct d.dossier_id) from staging.stg_payments p "
            "join staging.stg_dossiers d using (province_code, dossier_id) "
            "where d.source_file = ? and p.agency_code = d.agency_code and d.agency_name = ?",
            [CORRECTION_FILE, moved["agency_name"][0]],
        ).fetchone()  # type: ignore[misc]
    # the corrected dossiers' payments follow them to their new agency
    assert followed == MOVED_DOSSIERS
