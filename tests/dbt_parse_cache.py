"""One full dbt parse per test session, reused by every dbt invocation the tests start.

Why: dbt throws its saved parse away when the profile differs from the one the parse was made
with, and the profile holds the warehouse path (dbt_project/profiles.yml). Every test builds in a
data folder of its own, so every first `dbt build` of a test re-parsed the whole project (about
12 s on an idle 2-core machine, 30 s under load) although nothing in the project had changed.

How: the session parses once (`dbt parse` into a folder of its own), and before a dbt invocation
in a new data folder the tests put a copy of that parse where the pipeline looks for the previous
one (`<data>/dbt_target/*/partial_parse.msgpack`, pipelines.lib.dbt_failures.reuse_partial_parse)
or into the `--target-path` of a direct `dbt build`, with the profile's fingerprint computed for
that folder's warehouse path, the way dbt computes it. Everything else dbt checks (project files,
vars, env vars, dbt version) is left to dbt: a mismatch there makes it re-parse as before, so a
wrong seed costs time, never a wrong build.

Tests that start dbt themselves call `seed_partial_parse(target_dir, warehouse_db)`; tests that
run the pipeline through tests.conftest.run_pipeline_job get it done for them, and a test that
runs the CLI (`pipelines.cli.main`) calls `seed_data_folder(paths)` first.
"""

from __future__ import annotations

import os
import pprint
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path

from pipelines.lib.dbt_failures import PARTIAL_PARSE
from pipelines.lib.lake import lake_dir_for_database
from pipelines.settings import DBT_PROJECT_DIR, DataPaths

PROFILE_NAME = "cchc"
# A folder name under <data>/dbt_target that sorts before the run folders' own (older mtime too).
SEED_FOLDER = "session-parse"

_session_root: list[Path] = []


def set_session_root(root: Path) -> None:
    """Where the session's parse goes (tests/conftest.py gives a session temporary folder)."""
    _session_root[:] = [root]


def _dbt_env(warehouse_db: Path) -> dict[str, str]:
    """The environment dbt renders its profile with for a warehouse: its path and its raw lake
    (the profile's file_search_path, which the pipeline sets from the data folder)."""
    return {
        **os.environ,
        "CCHC_WAREHOUSE_DB": str(warehouse_db),
        "CCHC_LAKE_DIR": str(lake_dir_for_database(warehouse_db)),
    }


def profile_fingerprint(warehouse_db: Path) -> str:
    """dbt's `profile_hash` for a warehouse path: the checksum of the sorted connection info of
    the rendered profile (dbt.parser.manifest.ManifestLoader.build_manifest_state_check)."""
    from dbt.config.profile import Profile, read_profile
    from dbt.config.renderer import ProfileRenderer
    from dbt.contracts.files import FileHash
    from dbt_common.context import set_invocation_context

    set_invocation_context(_dbt_env(warehouse_db))
    raw = read_profile(str(DBT_PROJECT_DIR))
    target, rendered = Profile.render_profile(
        raw[PROFILE_NAME], PROFILE_NAME, None, ProfileRenderer({})
    )
    credentials = Profile._credentials_from_profile(rendered, PROFILE_NAME, target)
    return FileHash.from_contents(pprint.pformat(sorted(credentials.connection_info()))).checksum


@cache
def _session_parse() -> tuple[bytes, str] | None:
    """The session's parse and the fingerprint it was made with; None when it cannot be reused
    (no session folder, dbt failed, or the fingerprint is not found in it)."""
    if not _session_root:
        return None
    folder = _session_root[0] / "dbt_parse"
    reference_db = _session_root[0] / "reference" / "warehouse.duckdb"
    dbt = Path(sys.executable).parent / "dbt"
    completed = subprocess.run(
        [str(dbt), "parse", "--quiet", "--profiles-dir", ".", "--target-path", str(folder)],
        cwd=DBT_PROJECT_DIR,
        env=_dbt_env(reference_db),
        capture_output=True,
        text=True,
        check=False,
    )
    parse_file = folder / PARTIAL_PARSE
    if completed.returncode or not parse_file.exists():
        return None
    content = parse_file.read_bytes()
    fingerprint = profile_fingerprint(reference_db)
    if content.count(fingerprint.encode()) != 1:
        return None
    return content, fingerprint


def seed_partial_parse(target_dir: Path, warehouse_db: Path) -> bool:
    """Put the session's parse into `target_dir`, made for `warehouse_db`; False if there is none
    to reuse (dbt then parses as it always did)."""
    session = _session_parse()
    if session is None:
        return False
    content, fingerprint = session
    target_dir.mkdir(parents=True, exist_ok=True)
    seeded = content.replace(fingerprint.encode(), profile_fingerprint(warehouse_db).encode())
    (target_dir / PARTIAL_PARSE).write_bytes(seeded)
    return True


def seed_data_folder(paths: DataPaths, *, copied: bool = False) -> bool:
    """Seed a data folder whose pipeline has not run dbt yet (its runs reuse their own after),
    or one `copied` from another folder (its parses are for the other warehouse path: the seed,
    written last, is the newest and the one the pipeline takes)."""
    target_root = paths.root / "dbt_target"
    if not copied and target_root.exists() and any(target_root.glob(f"*/{PARTIAL_PARSE}")):
        return False
    seeded = seed_partial_parse(target_root / SEED_FOLDER, paths.warehouse_db)
    if not seeded:
        shutil.rmtree(target_root / SEED_FOLDER, ignore_errors=True)
    return seeded
