"""Report files parsed in worker processes load exactly as when parsed one by one."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.lib import parse_pool
from pipelines.lib.ingest import ingest_source

# 29 report files (XLSX and CSV, clean and faulty: a title without a province, a period that
# does not exist, an unmappable header...) of the mart equality fixture.
REPORTS = Path(__file__).parent / "fixtures" / "mart_equality" / "landing" / "portal_report"


def load_reports(root: Path, workers: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list, list]:
    monkeypatch.setenv("CCHC_PARSE_WORKERS", workers)
    (root / "warehouse").mkdir(parents=True)
    with duckdb.connect(str(root / "warehouse" / "warehouse.duckdb")) as con:
        ingest_source(con, "portal_report", REPORTS, load_id="run", gx_max_rows=0)
        loads = con.execute(
            "select file_name, outcome, rows_in, rows_loaded, rows_quarantined, province_code, "
            "period_start, message from audit.loads order by load_seq"
        ).fetchall()
        rows = con.execute(
            "select * exclude (load_id, loaded_at) from raw.portal_report order by all"
        ).fetchall()
    return loads, rows


def test_a_pool_of_workers_loads_the_reports_as_one_process_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sorted(REPORTS.iterdir())
    assert len(files) >= parse_pool.MIN_FILES_FOR_POOL
    taken: list[Path] = []
    original = parse_pool.ParsePool.take

    def counting_take(self, path, parse):
        if path in self._futures:
            taken.append(path)
        return original(self, path, parse)

    monkeypatch.setattr(parse_pool.ParsePool, "take", counting_take)
    pooled = load_reports(tmp_path / "pooled", "2", monkeypatch)
    assert len(taken) == len(files)  # every file came from a worker
    taken.clear()
    alone = load_reports(tmp_path / "alone", "0", monkeypatch)
    assert taken == []
    assert pooled == alone
    outcomes = {outcome for _, outcome, *_ in pooled[0]}
    assert "rejected" in outcomes and "loaded" in outcomes
