"""The session's dbt parse, seeded into a new folder, is one dbt accepts (tests/dbt_parse_cache.py).

If a dbt upgrade changed how it fingerprints the profile, every seed would be silently thrown away
and each new data folder would cost a full parse again: this says so instead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from pipelines.lib.lake import lake_dir_for_database
from pipelines.settings import DBT_PROJECT_DIR
from tests.dbt_parse_cache import profile_fingerprint, seed_partial_parse


def _parse_messages(target: Path, warehouse_db: Path) -> list[dict]:
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "dbt"),
            "--log-format",
            "json",
            "parse",
            "--profiles-dir",
            ".",
            "--target-path",
            str(target),
        ],
        cwd=DBT_PROJECT_DIR,
        # as the pipeline runs dbt: the data folder's warehouse and its lake
        env={
            **os.environ,
            "CCHC_WAREHOUSE_DB": str(warehouse_db),
            "CCHC_LAKE_DIR": str(lake_dir_for_database(warehouse_db)),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout[-2000:]
    return [json.loads(line) for line in completed.stdout.splitlines() if line.startswith("{")]


def test_the_fingerprint_follows_the_warehouse_path(tmp_path: Path) -> None:
    one, other = tmp_path / "a" / "warehouse.duckdb", tmp_path / "b" / "warehouse.duckdb"
    assert profile_fingerprint(one) == profile_fingerprint(one)
    assert profile_fingerprint(one) != profile_fingerprint(other)


def test_dbt_reuses_a_seeded_parse_for_a_new_warehouse_path(tmp_path: Path) -> None:
    warehouse_db = tmp_path / "data" / "warehouse" / "warehouse.duckdb"
    target = tmp_path / "target"
    assert seed_partial_parse(target, warehouse_db)

    messages = _parse_messages(target, warehouse_db)

    codes = [m["info"]["code"] for m in messages]
    assert "I010" in codes  # the parse ran to its end (its performance info written)
    # dbt's "Unable to do partial parsing because profile has changed" (what an unseeded folder,
    # or one seeded for another warehouse path, gives)
    refused = [m["data"] for m in messages if m["info"]["code"] == "I024"]
    assert refused == []
