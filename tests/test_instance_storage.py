"""The project's Dagster instance storage (pipelines/instance_storage.py): Dagster's SQLite files,
written through kept engines. Real instances on real DAGSTER_HOME folders, real runs."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.ref import InstanceRef

from pipelines.instance_storage import (
    KEPT_RUN_ENGINES,
    PooledSqliteEventLogStorage,
    PooledSqliteRunStorage,
    PooledSqliteScheduleStorage,
)

PROJECT_DAGSTER_YAML = Path(__file__).parents[1] / "pipelines" / "dagster.yaml"


@dg.asset
def numbers() -> int:
    return 1


@dg.asset_check(asset=numbers)
def numbers_positive(numbers: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=numbers > 0)


def project_home(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(PROJECT_DAGSTER_YAML, folder / "dagster.yaml")
    return folder


def stock_home(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    """The same folder opened with Dagster's own SQLite storage (no custom class)."""
    config = yaml.safe_load((folder / "dagster.yaml").read_text())
    config.pop("instance_class")
    (folder / "dagster.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("DAGSTER_HOME", str(folder))
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(folder)))


def open_home(folder: Path, monkeypatch: pytest.MonkeyPatch) -> dg.DagsterInstance:
    # the folder alone says where the storage is: no DAGSTER_HOME needed to read it
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(folder)))


def materialize(instance: dg.DagsterInstance) -> str:
    result = dg.materialize([numbers, numbers_positive], instance=instance)
    assert result.success
    return result.run_id


def test_the_project_instance_writes_dagsters_files_through_kept_engines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = project_home(tmp_path / "home")
    with open_home(home, monkeypatch) as instance:
        assert isinstance(instance.event_log_storage, PooledSqliteEventLogStorage)
        assert isinstance(instance.run_storage, PooledSqliteRunStorage)
        assert isinstance(instance.schedule_storage, PooledSqliteScheduleStorage)
        run_ids = [materialize(instance) for _ in range(2)]
        assert instance.event_log_storage.supports_global_concurrency_limits
        # Dagster's layout: the run index, the event index, one file per run, the schedules
        assert (home / "history" / "runs.db").is_file()
        assert (home / "history" / "runs" / "index.db").is_file()
        assert {p.stem for p in (home / "history" / "runs").glob("*.db")} >= set(run_ids)
        assert (home / "schedules" / "schedules.db").is_file()
    # what the kept engines wrote reads with Dagster's stock storage, and the other way round
    with stock_home(home, monkeypatch) as stock:
        assert {r.run_id for r in stock.get_runs()} == set(run_ids)
        records = stock.fetch_materializations(dg.AssetKey("numbers"), limit=10).records
        assert {r.run_id for r in records} == set(run_ids)
        check = stock.event_log_storage.get_latest_asset_check_execution_by_key(
            [dg.AssetCheckKey(dg.AssetKey("numbers"), "numbers_positive")]
        )
        assert check[dg.AssetCheckKey(dg.AssetKey("numbers"), "numbers_positive")].run_id in run_ids
        stock_run = materialize(stock)
    shutil.copyfile(PROJECT_DAGSTER_YAML, home / "dagster.yaml")
    with open_home(home, monkeypatch) as instance:
        assert stock_run in {r.run_id for r in instance.get_runs()}
        events = instance.all_logs(stock_run)
        assert any(e.dagster_event and e.dagster_event.is_step_success for e in events)


def test_every_file_is_in_wal_mode_and_flushed_at_checkpoints_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """synchronous=NORMAL is safe only in WAL mode (in rollback-journal mode an OS crash could
    corrupt a file): every database the instance writes must be in WAL mode, and every kept
    engine's connections flush at checkpoints, not at each event's commit."""
    with open_home(project_home(tmp_path / "home"), monkeypatch) as instance:
        run_id = materialize(instance)
        event_log = instance.event_log_storage
        assert isinstance(event_log, PooledSqliteEventLogStorage)
        assert set(event_log._engines) == {"index", run_id}
        engines = [
            *event_log._engines.values(),
            instance.run_storage._kept_engine,  # type: ignore[attr-defined]
            instance.schedule_storage._kept_engine,  # type: ignore[attr-defined]
        ]
        for engine in engines:
            with engine.connect() as conn:
                mode = conn.exec_driver_sql("pragma journal_mode").scalar()
                synchronous = conn.exec_driver_sql("pragma synchronous").scalar()
            assert (mode, synchronous) == ("wal", 1), engine.url  # 1 = NORMAL (2 = FULL)


def test_open_run_files_are_bounded_and_a_wipe_closes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open_home(project_home(tmp_path / "home"), monkeypatch) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run_ids = [materialize(instance) for _ in range(KEPT_RUN_ENGINES + 3)]
        kept = [shard for shard in storage._engines if shard != "index"]
        assert len(kept) == KEPT_RUN_ENGINES
        assert kept == run_ids[-KEPT_RUN_ENGINES:]  # the most recently used stay
        # a shard pushed out opens again when read
        assert instance.all_logs(run_ids[0])
        storage.wipe()
        assert list(storage._engines) == ["index"]  # wiped and opened again; no run shard
        assert not list((tmp_path / "home" / "history" / "runs").glob(f"{run_ids[-1]}.db"))
        after = materialize(instance)
        assert instance.all_logs(after)


WRITER = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    @dg.asset
    def numbers() -> int:
        return 1

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(sys.argv[1])) as instance:
        for _ in range(int(sys.argv[2])):
            assert dg.materialize([numbers], instance=instance).success
    """
)


def test_two_processes_write_one_home_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`make pipeline` and `make dagster`'s daemon write the same DAGSTER_HOME: kept connections
    must not lock the other process out (SQLite's WAL mode and busy timeout, as in Dagster's)."""
    home = project_home(tmp_path / "home")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with open_home(home, monkeypatch) as instance:
        materialize(instance)  # the files exist before the other process opens them
        other = subprocess.Popen([sys.executable, "-c", WRITER, str(home), "6"])
        mine = [materialize(instance) for _ in range(6)]
        assert other.wait(timeout=300) == 0
        runs = instance.get_runs()
        assert len(runs) == 13 and all(r.is_success for r in runs)
        records = instance.fetch_materializations(dg.AssetKey("numbers"), limit=100).records
        assert len(records) == 13
        assert set(mine) <= {r.run_id for r in records}
