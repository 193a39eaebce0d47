"""What failed in a dbt build, in words a data steward can act on: the rule, the model, the files.

dbt's ``run_results.json`` names each failed test or model; a failed test's compiled query returns
the offending rows, and where those rows carry lineage (``source_file``) the files are named too.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

MAX_FILES = 5


@dataclass
class DbtFailure:
    unique_id: str
    status: str  # fail (a test found rows) | error (a model or test could not run)
    rule: str
    message: str
    failing_rows: int | None = None
    files: list[str] = field(default_factory=list)

    def line(self) -> str:
        text = f"{self.status}: {self.rule} — {self.message}"
        if self.files:
            text += f" (files: {', '.join(self.files)})"
        return text

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def describe_failures(
    run_results: dict[str, Any], con: duckdb.DuckDBPyConnection | None = None
) -> list[DbtFailure]:
    failures = []
    for result in run_results.get("results", []):
        status = result.get("status")
        if status not in {"fail", "error", "runtime error"}:
            continue
        unique_id = result.get("unique_id", "")
        failure = DbtFailure(
            unique_id=unique_id,
            status="fail" if status == "fail" else "error",
            rule=unique_id.split(".")[2] if unique_id.count(".") >= 2 else unique_id,
            message=(result.get("message") or "").strip().splitlines()[0][:300]
            if result.get("message")
            else status,
            failing_rows=result.get("failures"),
        )
        code = result.get("compiled_code")
        if con is not None and status == "fail" and code:
            failure.files = offending_files(con, code)
        failures.append(failure)
    return failures


def offending_files(con: duckdb.DuckDBPyConnection, compiled_sql: str) -> list[str]:
    """The landed files behind a failed test's rows, when the rows carry ``source_file``."""
    query = compiled_sql.strip().rstrip(";")
    try:
        rows = con.execute(
            f"select distinct source_file from ({query}) as failing "
            f"where source_file is not null order by 1 limit {MAX_FILES}"
        ).fetchall()
    except duckdb.Error:
        return []
    return [str(row[0]) for row in rows]


def prune_target_dirs(root: Path, keep: int) -> None:
    """Keep the ``keep`` most recent dbt target folders under ``root``."""
    if not root.exists():
        return
    folders = sorted(
        (p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime, reverse=True
    )
    for old in folders[keep:]:
        shutil.rmtree(old, ignore_errors=True)


PARTIAL_PARSE = "partial_parse.msgpack"


def reuse_partial_parse(root: Path, target_path: Path) -> None:
    """Start a dbt invocation from the partial parse of the previous one in this data folder.

    dbt re-parses the whole project when the profile differs from the one its saved parse was
    made with, and the profile holds the warehouse path: the project's own target folder was
    parsed for the default data folder. A previous invocation for this data folder had the same
    profile, so its parse is the one to reuse (dbt still re-parses whatever files changed).
    """
    if not root.exists() or (target_path / PARTIAL_PARSE).exists():
        return
    previous = sorted(
        root.glob(f"*/{PARTIAL_PARSE}"), key=lambda p: p.stat().st_mtime, reverse=True
    )
    if previous:
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copy2(previous[0], target_path / PARTIAL_PARSE)


MANIFEST_INPUTS = ("models", "macros", "seeds", "tests", "snapshots", "analyses")


def manifest_is_stale(project_dir: Path, manifest_path: Path) -> bool:
    """True when the manifest is missing or older than a file dbt parses."""
    if not manifest_path.exists():
        return True
    built = manifest_path.stat().st_mtime
    inputs = [project_dir / "dbt_project.yml", project_dir / "profiles.yml"]
    for folder in MANIFEST_INPUTS:
        if (project_dir / folder).is_dir():
            inputs += [p for p in (project_dir / folder).rglob("*") if p.is_file()]
    return any(p.exists() and p.stat().st_mtime > built for p in inputs)
