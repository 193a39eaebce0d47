"""The dashboard's reader: read-only, a cursor per query, follows a new published file at once,
lets go of the file when idle, and never blocks the publisher."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dashboards.lib import db
from tests.fixtures_serving import build_serving_db


@pytest.fixture
def serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CCHC_DATA_DIR", str(tmp_path))
    path = build_serving_db(tmp_path / "warehouse" / "serving.duckdb")
    db.READER.close()
    yield path
    db.READER.close()


def test_reader_is_read_only_and_locked(serving: Path) -> None:
    with pytest.raises(duckdb.Error, match="read-only"):
        db.query_uncached("create table marts.x as select 1")
    with pytest.raises(duckdb.Error, match="disabled by configuration"):
        db.query_uncached("select * from read_csv('/etc/passwd')")
    with pytest.raises(duckdb.Error, match="locked"):
        db.query_uncached("set enable_external_access = true")


def test_a_new_published_file_is_read_at_once_and_the_publisher_never_waits(
    serving: Path,
) -> None:
    assert db.query_uncached("select run_id from meta.publish").iloc[0, 0] == "run-b"
    assert db.READER.is_open
    # publish as the pipeline does: a new file renamed over the old one, while the reader is open
    staging = serving.with_name(".serving-new.duckdb.tmp")
    shutil.copy(serving, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("update meta.publish set run_id = 'run-c'")
    os.replace(staging, serving)
    assert db.query_uncached("select run_id from meta.publish").iloc[0, 0] == "run-c"


def test_the_file_is_let_go_when_idle(serving: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db, "IDLE_SECONDS", 0.3)
    db.query_uncached("select 1")
    assert db.READER.is_open
    time.sleep(1.0)
    assert not db.READER.is_open
    # and a writer can open the file again (nothing holds it)
    with duckdb.connect(str(serving)) as con:
        con.execute("select 1")


def test_missing_serving_db_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCHC_DATA_DIR", str(tmp_path / "nothing"))
    db.READER.close()
    with pytest.raises(db.ServingDatabaseMissing):
        db.query_uncached("select 1")


def test_report_periods_come_from_the_published_list_or_else_from_fct_kpi(serving: Path) -> None:
    """Publish writes meta.report_periods; a file published before it existed still works."""
    from dashboards.lib import queries

    listed = queries.report_periods()  # through the cache, as the pages call it
    scanned = db.query_uncached(
        "select distinct period_grain, period_start, period_end from marts.fct_kpi "
        "order by period_start desc, period_grain, period_end"
    )
    assert len(scanned) > 1
    pd.testing.assert_frame_equal(listed, scanned)

    older = serving.with_name(".serving-older.duckdb.tmp")
    shutil.copy(serving, older)
    with duckdb.connect(str(older)) as con:
        con.execute("drop table meta.report_periods")
    os.replace(older, serving)
    time.sleep(0.01)
    os.utime(serving)  # a new version for the cache key whatever the clock's resolution
    pd.testing.assert_frame_equal(queries.report_periods(), scanned)


def test_the_per_file_cache_follows_a_new_published_file(serving: Path) -> None:
    """Catalogues are cached for the life of the file, not a TTL: a publish is a new key."""
    sql = "select run_id from meta.publish"
    assert db.query_for_file(sql).iloc[0, 0] == "run-b"
    staging = serving.with_name(".serving-new.duckdb.tmp")
    shutil.copy(serving, staging)
    with duckdb.connect(str(staging)) as con:
        con.execute("update meta.publish set run_id = 'run-c'")
    os.replace(staging, serving)
    assert db.query_for_file(sql).iloc[0, 0] == "run-c"
