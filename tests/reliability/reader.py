"""A dashboard-like reader of serving.duckdb, run as its own process during loads.

    python -m tests.reliability.reader SERVING_DB STOP_FILE RESULT_JSON [--workers N]

Each worker thread loops until STOP_FILE exists: open serving.duckdb read-only the way
dashboards/lib/db.py does (one short-lived connection per query, external access off), run the
queries a page runs, check the snapshot is consistent (meta.tables' row counts equal the tables'
counts in the same connection), close. Every exception is an error. The result: queries run,
errors (with messages), and the publish fingerprints seen.
"""

from __future__ import annotations

import argparse
import json
import threading
import time
from pathlib import Path

import duckdb

QUERIES = (
    "select published_at, fingerprint from meta.publish",
    "select kpi_code, name_vi, name_en, direction from marts.dim_kpi order by kpi_code",
    "select distinct period_grain, period_start, period_end from marts.fct_kpi "
    "order by period_start desc, period_grain",
    "select province_code, province_name, kpi_code, numerator, denominator, value_pct "
    "from marts.fct_kpi where level = 'all' order by province_code, kpi_code limit 500",
    "select source, outcome, count(*), sum(rows_loaded) from audit.loads group by all",
)


def read_once(path: Path) -> str:
    con = duckdb.connect(
        str(path),
        read_only=True,
        config={"enable_external_access": False, "lock_configuration": True},
    )
    try:
        for sql in QUERIES:
            con.execute(sql).fetchall()
        for table, declared in con.execute(
            "select table_name, row_count from meta.tables where table_name like 'marts.%'"
        ).fetchall():
            (actual,) = con.execute(f"select count(*) from {table}").fetchone()  # type: ignore[misc]
            if actual != declared:
                raise AssertionError(f"{table}: meta.tables says {declared}, table has {actual}")
        (fingerprint,) = con.execute("select fingerprint from meta.publish").fetchone()  # type: ignore[misc]
        return fingerprint
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("serving", type=Path)
    parser.add_argument("stop", type=Path)
    parser.add_argument("result", type=Path)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--pause", type=float, default=0.05, help="seconds between reads")
    args = parser.parse_args(argv)
    lock = threading.Lock()
    state: dict[str, object] = {"reads": 0, "errors": [], "fingerprints": []}

    def work() -> None:
        while not args.stop.exists():
            try:
                fingerprint = read_once(args.serving)
            except Exception as error:
                with lock:
                    state["errors"].append(f"{type(error).__name__}: {error}")  # type: ignore[attr-defined]
                time.sleep(0.01)
                continue
            with lock:
                state["reads"] += 1  # type: ignore[operator]
                seen = state["fingerprints"]
                if not seen or seen[-1] != fingerprint:  # type: ignore[index]
                    seen.append(fingerprint)  # type: ignore[attr-defined]
            time.sleep(args.pause)  # a dashboard is not a busy loop: leave the cores to the load

    threads = [threading.Thread(target=work) for _ in range(args.workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    args.result.write_text(json.dumps(state), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
