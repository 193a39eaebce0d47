"""SIGKILL at several points of a load, with dashboards reading serving.duckdb all along.

The dirty-corpus run's publish is the last good one (its data folder is copied). New files land;
the pipeline is started again and its whole process group (Dagster and the dbt it spawned) is
SIGKILLed at points found by watching it from outside, never by hooks in product code:
- ``ingest``: the warehouse file starts changing (files are being loaded);
- ``dbt``: a ``dbt build`` child process is running (full form);
- ``publish``: the publisher's staging file (``.serving-*.duckdb.tmp``) has appeared;
- in the full form also at fixed fractions of a clean run's duration.
After each kill serving.duckdb must be exactly the last good publish (or, only when the kill
came after the rename, a complete new one). Then a run must complete, account for every file once
and, in the full form, publish marts equal to those of a clean run on the same files.
Meanwhile a reader process opens serving.duckdb in a loop, as the dashboards do: zero errors.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from pipelines.settings import DataPaths
from tests.dbt_parse_cache import seed_data_folder
from tests.reliability.conftest import (
    QUICK,
    ROOT,
    CorpusRun,
    cli_env,
    file_digest,
    generate,
    pipeline_command,
    query_db,
    run_pipeline_cli,
    serving_state,
)

pytestmark = pytest.mark.reliability

POLL = 0.005
RUN_TIMEOUT = 600
# A run whose step waits this long for the warehouse pool while a killed run holds its only slot
# is hung on that slot: the suite frees it as an operator would, and reports the bug.
STALE_GRACE = 8.0


@dataclass
class Kill:
    point: str
    reached: bool
    after_seconds: float
    serving_changed: bool
    leftovers: list[str]
    run_id: str | None = None
    freed_stale_slots: list[str] | None = None


def _sqlite_rows(path: Path, sql: str) -> list[tuple]:
    if not path.exists():
        return []
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()
    except sqlite3.Error:
        return []


def dagster_run_ids(root: Path) -> set[str]:
    rows = _sqlite_rows(root / "dagster_home" / "history" / "runs.db", "select run_id from runs")
    return {r for (r,) in rows}


def slot_holders(root: Path) -> set[str]:
    """Runs holding a concurrency slot (the warehouse_writer pool) in the Dagster instance."""
    index = root / "dagster_home" / "history" / "runs" / "index.db"
    rows = _sqlite_rows(
        index, "select run_id from concurrency_slots where deleted = 0 and run_id is not null"
    )
    return {r for (r,) in rows}


def free_slots_of_dead_runs(root: Path, run_ids: set[str]) -> None:
    """What an operator does for a run that died holding a pool slot: mark it failed, free it."""
    import dagster as dg
    from dagster._core.instance.ref import InstanceRef

    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(root / "dagster_home"))) as inst:
        for run_id in run_ids:
            inst.event_log_storage.free_concurrency_slots_for_run(run_id)
            run = inst.get_run_by_id(run_id)
            if run is not None and not run.is_finished:
                inst.report_run_failed(run)


def _warehouse_signature(warehouse_dir: Path) -> tuple:
    files = sorted(warehouse_dir.glob("warehouse.duckdb*"))
    return tuple((p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in files if p.exists())


def _dbt_running(proc: psutil.Process) -> bool:
    try:
        for child in proc.children(recursive=True):
            try:
                cmdline = " ".join(child.cmdline())
            except psutil.Error:
                continue
            if "dbt" in cmdline and "build" in cmdline:
                return True
    except psutil.Error:
        return False
    return False


def _staging_files(warehouse_dir: Path) -> list[Path]:
    return [p for p in warehouse_dir.glob(".serving*") if p.name.endswith((".tmp", ".wal"))]


def run_and_kill(
    root: Path, point: str, delay: float | None = None, dead_runs: set[str] | None = None
) -> Kill:
    """Start `make pipeline`, SIGKILL its process group at ``point`` (``never``: let it finish);
    free pool slots still held by ``dead_runs`` if the run hangs on them; report what happened."""
    dead_runs = set() if dead_runs is None else dead_runs
    runs_before = dagster_run_ids(root)
    freed: list[str] = []
    last_check = 0.0
    warehouse_dir = root / "warehouse"
    serving = warehouse_dir / "serving.duckdb"
    before_serving = file_digest(serving) if serving.exists() else None
    before_files = {p.name for p in _staging_files(warehouse_dir)}
    signature = _warehouse_signature(warehouse_dir)
    began = time.perf_counter()
    proc = subprocess.Popen(
        pipeline_command(),
        cwd=ROOT,
        env=cli_env(root),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    watched = psutil.Process(proc.pid)
    reached = False
    dbt_seen_at = None
    while proc.poll() is None:
        now = time.perf_counter() - began
        if now > RUN_TIMEOUT:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        if now - last_check > 1.0:
            last_check = now
            stale = slot_holders(root) & dead_runs
            if stale and now > STALE_GRACE:
                free_slots_of_dead_runs(root, stale)
                freed.extend(sorted(stale))
                dead_runs -= stale
        if point == "never":
            pass
        elif point == "timed":
            reached = now >= (delay or 0)
        elif point == "ingest":
            reached = _warehouse_signature(warehouse_dir) != signature
        elif point == "dbt":
            if dbt_seen_at is None and _dbt_running(watched):
                dbt_seen_at = now
            reached = dbt_seen_at is not None and now - dbt_seen_at >= (delay or 0)
        elif point == "publish":
            reached = any(p.name not in before_files for p in _staging_files(warehouse_dir))
        if reached:
            os.killpg(proc.pid, signal.SIGKILL)
            break
        time.sleep(POLL)
    proc.wait()
    # the group is gone: no orphan (dbt) may still hold the warehouse
    for _ in range(200):
        try:
            os.killpg(proc.pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.05)
    after = file_digest(serving) if serving.exists() else None
    leftovers = sorted(p.name for p in _staging_files(warehouse_dir) if p.name not in before_files)
    new_runs = dagster_run_ids(root) - runs_before
    run_id = next(iter(new_runs)) if len(new_runs) == 1 else None
    kill = Kill(
        point, reached, time.perf_counter() - began, after != before_serving, leftovers, run_id,
        freed,
    )  # fmt: skip
    kill.returncode = proc.returncode  # type: ignore[attr-defined]
    if reached and run_id:
        dead_runs.add(run_id)
    return kill


def land_batch(landing: Path, batch: Path, prefix: str) -> list[str]:
    """Copy a generated batch into the landing folder under new names (never overwriting)."""
    landed = []
    for path in sorted(batch.rglob("*")):
        if not path.is_file() or path.name.startswith("_"):
            continue
        target = landing / path.parent.name / f"{prefix}{path.name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
        landed.append(f"{path.parent.name}/{target.name}")
    return landed


def start_reader(serving: Path, workdir: Path) -> tuple[subprocess.Popen, Path, Path]:
    stop, result = workdir / "reader.stop", workdir / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.reader", str(serving), str(stop), str(result)],
        cwd=ROOT,
    )
    return reader, stop, result


def stop_reader(reader: subprocess.Popen, stop: Path, result: Path) -> dict:
    stop.touch()
    reader.wait(timeout=60)
    return json.loads(result.read_text(encoding="utf-8"))


def marts_content(serving: Path) -> dict[str, object]:
    """What must not depend on how the load got there: marts and per-file audit outcomes."""
    state = serving_state(serving)
    assert state is not None
    marts = {k: v for k, v in state["tables"].items() if k.startswith("marts.")}  # type: ignore[union-attr]
    loads = query_db(
        serving,
        "select source, file_name, file_hash, outcome, rows_in, rows_loaded, rows_quarantined "
        "from audit.loads order by source, file_name, outcome",
    )
    held = query_db(
        serving,
        "select source, file_name, row_number, rule from audit.quarantine order by all",
    )
    return {"marts": marts, "loads": loads, "quarantine": held}


def assert_every_file_once(root: Path, landed: dict[str, str]) -> None:
    serving = root / "warehouse" / "serving.duckdb"
    loads = query_db(
        serving,
        "select source, file_name, outcome, rows_in, rows_loaded, rows_quarantined "
        "from audit.loads where outcome <> 'duplicate'",
    )
    seen = [f"{s}/{f}" for s, f, *_ in loads]
    assert len(seen) == len(set(seen)), "a file was loaded twice after a kill"
    ingested = {s for s, *_ in loads}
    expected = {k for k in landed if k.split("/", 1)[0] in ingested}
    duplicates = {
        f"{s}/{f}" for s, f in query_db(serving, "select source, file_name from audit.loads")
    }
    assert expected <= duplicates, f"files never accounted for: {sorted(expected - duplicates)}"
    for _, _, outcome, rows_in, loaded, held in loads:
        if outcome != "rejected":
            assert loaded + held == rows_in
    warehouse = root / "warehouse" / "warehouse.duckdb"
    for source in ingested:
        ((raw_rows,),) = query_db(warehouse, f"select count(*) from raw.{source}")
        loaded = sum(r[4] for r in loads if r[0] == source)
        assert raw_rows == loaded, f"raw.{source}: {raw_rows} rows, audit says {loaded}"


def test_sigkill_at_several_points_keeps_the_last_good_publish_and_readers_see_no_error(
    tmp_path: Path, corpus_run: CorpusRun
) -> None:
    # The last good publish: the dirty-corpus run's (clean month, faults, corpus), copied.
    if corpus_run.returncode != 0 or not corpus_run.serving.exists():
        pytest.fail("the dirty-corpus run did not publish; see test_dirty_corpus")
    root = tmp_path / "data"
    # symlinks kept: data/warehouse/exports is the publish's link to its export folder; copied
    # as a folder, the next publish rightly refuses to swap it
    shutil.copytree(corpus_run.root, root, symlinks=True)
    seed_data_folder(DataPaths(root.resolve()), copied=True)  # tests/dbt_parse_cache.py
    landing = root / "landing"
    first_seconds = corpus_run.seconds
    serving = root / "warehouse" / "serving.duckdb"
    good_digest, good_state = file_digest(serving), serving_state(serving)

    generate(tmp_path / "b", provinces="1", start="2026-02", end="2026-03", dossiers=6000)
    land_batch(landing, tmp_path / "b", "b_")
    landed = {
        str(p.relative_to(landing)): file_digest(p)
        for p in landing.rglob("*")
        if p.is_file() and not p.name.startswith("_")
    }

    reader, stop, result = start_reader(serving, tmp_path)
    kills: list[Kill] = []
    dead_runs: set[str] = set()
    try:
        plan: list[tuple[str, float | None]] = [("ingest", None), ("publish", None)]
        if not QUICK:
            clean_seconds = first_seconds * 1.3  # the second load has more files
            plan[1:1] = [("dbt", 0.0), ("dbt", 1.0), ("dbt", 4.0)]
            plan += [("timed", f * clean_seconds) for f in (0.1, 0.3, 0.5, 0.7, 0.9)]
        for point, delay in plan:
            kill = run_and_kill(root, point, delay, dead_runs)
            kills.append(kill)
            if not kill.serving_changed:
                assert file_digest(serving) == good_digest
                continue
            # Only a kill after the rename may change the file, and then to a complete publish.
            assert point in {"publish", "timed"}, kill
            state = serving_state(serving)
            assert state is not None
            assert state["publish"] != good_state["publish"]  # type: ignore[index]
            for table, declared in state["declared_rows"].items():  # type: ignore[union-attr]
                assert state["tables"][table][0] == declared, (table, kill)  # type: ignore[index]
            good_digest, good_state = file_digest(serving), state
        final = run_and_kill(root, "never", None, dead_runs)
        kills.append(final)
        assert final.returncode == 0, final  # type: ignore[attr-defined]
    finally:
        reads = stop_reader(reader, stop, result)

    summary = [k.__dict__ for k in kills]
    print(json.dumps({"kills": summary, "reads": reads["reads"]}, indent=1))
    assert reads["errors"] == [], reads["errors"][:5]
    assert reads["reads"] > 0
    assert all(k.reached for k in kills if k.point in {"ingest", "dbt"}), summary
    assert_every_file_once(root, landed)
    # Staging files of killed publishes are inert (never read), but they take disk space.
    stale = [p.name for p in _staging_files(root / "warehouse")]
    if stale:
        print(f"stale publish staging files left by killed runs: {stale}")

    if not QUICK:
        clean = tmp_path / "clean"
        shutil.copytree(landing, clean / "landing")
        assert run_pipeline_cli(clean).returncode == 0
        after_kills = marts_content(serving)
        clean_load = marts_content(clean / "warehouse" / "serving.duckdb")
        differing = {
            part: sorted(set(map(repr, after_kills[part])) ^ set(map(repr, clean_load[part])))[:6]
            if isinstance(after_kills[part], list)
            else sorted(
                k
                for k in after_kills[part] | clean_load[part]  # type: ignore[operator]
                if after_kills[part].get(k) != clean_load[part].get(k)  # type: ignore[union-attr]
            )
            for part in after_kills
            if after_kills[part] != clean_load[part]
        }
        assert not differing, f"after the kills vs a clean load of the same files: {differing}"
    # `make pipeline` frees the pool slot a SIGKILLed run died holding (pipelines/lib/
    # stale_slots.py); the suite frees it only when a run still waits on one, and that fails.
    hung = [k for k in kills if k.freed_stale_slots]
    assert not hung, (
        "a SIGKILLed run's warehouse_writer slot was still held, and the next `make pipeline` "
        f"waited on it until the suite freed it ({len(hung)} time(s))"
    )
