"""The reliability suite: real pipeline runs in subprocesses, as `make pipeline` runs them.

Everything under tests/reliability/ is marked ``reliability`` (the default ``make test`` leaves it
out). ``RELIABILITY_QUICK=1`` (``make test-reliability-quick``, run by ``.ci/run``) keeps it under
four minutes on two cores: fewer kill points and fewer property examples.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, settings

from pipelines.settings import DataPaths
from tests.dbt_parse_cache import seed_data_folder

ROOT = Path(__file__).resolve().parents[2]
QUICK = os.environ.get("RELIABILITY_QUICK") == "1"

settings.register_profile(
    "reliability-quick",
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "reliability-full",
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = "reliability-quick" if QUICK else "reliability-full"
# Property tests apply it explicitly (@PROPERTY_SETTINGS), so other suites keep their own.
PROPERTY_SETTINGS = settings.get_profile(PROFILE)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


def cli_env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        CCHC_DATA_DIR=str(root),
        DAGSTER_HOME=str(root / "dagster_home"),
        CCHC_WAREHOUSE_DB=str(root / "warehouse" / "warehouse.duckdb"),
        DAGSTER_DISABLE_TELEMETRY="true",
    )
    return env


def pipeline_command() -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "pipeline"]


def run_pipeline_cli(root: Path, timeout: float = 900) -> subprocess.CompletedProcess[str]:
    """`make pipeline` on the data folder ``root``, to completion."""
    seed_data_folder(DataPaths(root.resolve()))  # the session parse: tests/dbt_parse_cache.py
    return subprocess.run(
        pipeline_command(),
        cwd=ROOT,
        env=cli_env(root),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def generate(
    landing: Path,
    *,
    provinces: str = "1",
    start: str = "2026-01",
    end: str = "2026-01",
    dossiers: int = 3000,
    dirty: bool = False,
) -> None:
    command = [
        sys.executable, "-m", "pipelines.sample_data", "--out", str(landing),
        "--provinces", provinces, "--start", start, "--end", end,
        "--dossiers", str(dossiers), "--quiet",
    ]  # fmt: skip
    if dirty:
        command.append("--dirty")
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)


def file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def landing_digests(landing: Path) -> dict[str, str]:
    return {
        str(p.relative_to(landing)): file_digest(p)
        for p in sorted(landing.rglob("*"))
        if p.is_file()
    }


def serving_state(serving: Path) -> dict[str, object] | None:
    """What a reader of serving.duckdb sees: the publish row and every table's content hash."""
    if not serving.exists():
        return None
    with duckdb.connect(str(serving), read_only=True) as con:
        publish = con.execute("select fingerprint, run_id from meta.publish").fetchone()
        tables = con.execute(
            "select schema_name || '.' || table_name from duckdb_tables() order by 1"
        ).fetchall()
        contents = {}
        for (name,) in tables:
            count, digest = con.execute(
                f"select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from {name} t"
            ).fetchone()  # type: ignore[misc]
            contents[name] = (count, digest)
        declared = dict(con.execute("select table_name, row_count from meta.tables").fetchall())
    return {"publish": publish, "tables": contents, "declared_rows": declared}


def query_db(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


@dataclass
class CorpusRun:
    """One `make pipeline` run over a small clean month, the generator's faults and the corpus:
    the dirty-corpus tests read its audit, the kill test starts from its publish."""

    root: Path
    returncode: int
    output: str
    seconds: float
    landed_before: dict[str, str]
    manifest: dict
    loads: dict[tuple[str, str], dict] = field(default_factory=dict)
    quarantine: list[dict] = field(default_factory=list)

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "warehouse.duckdb"

    @property
    def serving(self) -> Path:
        return self.root / "warehouse" / "serving.duckdb"

    def audit_db(self) -> Path:
        return self.serving if self.serving.exists() else self.warehouse


@pytest.fixture(scope="session")
def corpus_run(tmp_path_factory: pytest.TempPathFactory) -> CorpusRun:
    from tests.reliability.dirty_corpus import CORPUS, land_corpus

    root = tmp_path_factory.mktemp("dirty") / "data"
    landing = root / "landing"
    generate(landing, provinces="1", start="2026-01", end="2026-01", dossiers=3000, dirty=True)
    land_corpus(landing, CORPUS)
    before = landing_digests(landing)
    began = time.perf_counter()
    result = run_pipeline_cli(root)
    run = CorpusRun(
        root, result.returncode, result.stdout + result.stderr, time.perf_counter() - began,
        before, json.loads((landing / "_manifest.json").read_text(encoding="utf-8")),
    )  # fmt: skip
    db = run.audit_db()
    if db.exists():
        columns = [
            "source", "file_name", "outcome", "rows_in", "rows_loaded", "rows_quarantined",
            "message",
        ]  # fmt: skip
        for row in query_db(db, f"select {', '.join(columns)} from audit.loads"):
            record = dict(zip(columns, row, strict=True))
            run.loads[(record["source"], record["file_name"])] = record
        q_columns = ["source", "file_name", "row_number", "rule", "message", "original_values"]
        run.quarantine = [
            dict(zip(q_columns, row, strict=True))
            for row in query_db(db, f"select {', '.join(q_columns)} from audit.quarantine")
        ]
    return run
