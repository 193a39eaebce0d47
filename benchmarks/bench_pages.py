"""Benchmark the dashboard pages' queries against a serving DB: p50 / p95 per page and per query.

    .venv/bin/python benchmarks/bench_pages.py             # reads data/warehouse/serving.duckdb
    .venv/bin/python benchmarks/bench_pages.py --db path/to/serving.duckdb --runs 50 --json out.json
    .venv/bin/python benchmarks/bench_pages.py --fixture               # the small test fixture

Each page's query functions (dashboards/lib/queries.py, the exact SQL the pages run) are called
with Streamlit's caches bypassed (the TTL cache and the per-file cache of the catalogues), so
every call runs its query on a cursor of the app's shared read-only reader (dashboards/lib/db.py)
as a cache miss does in the app; the reader opens the file once, as the app does. A page's time
is the sum of its queries (the page runs them one after another). The parameters are taken from
the DB: the latest month, the province with the most agency rows, its legacy era month for the
legacy views. Target: each page's queries under 100 ms at the 95th percentile.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from dashboards.lib import db, queries  # noqa: E402

TARGET_P95_MS = 100.0
Query = tuple[str, Callable[[], object]]


def _parameters(path: Path) -> dict[str, str]:
    with duckdb.connect(str(path), read_only=True, config=dict(db.LOCKED_CONFIG)) as con:
        month = con.execute(
            "select max(period_start)::varchar from marts.fct_kpi where period_grain = 'month'"
        ).fetchone()[0]
        legacy_month = con.execute(
            "select max(period_start)::varchar from marts.fct_kpi "
            "where period_grain = 'month' and period_start < date '2025-07-01'"
        ).fetchone()[0]
        province = con.execute(
            "select province_code from marts.fct_kpi where agency_code is not null "
            "and province_code <> 'VN' and unit_basis = 'current' "
            "group by 1 order by count(*) desc limit 1"
        ).fetchone()[0]
        index_month = con.execute(
            "select max(period_start)::varchar from marts.fct_service_index"
        ).fetchone()[0]
    return {
        "month": month,
        "legacy_month": legacy_month or month,
        "province": province,
        "index_month": index_month or month,
    }


def _data_as_of_uncached() -> object:
    db._query_for_file.clear()  # data_as_of reads through the per-file cache: time the query
    return db.data_as_of()


def page_queries(p: dict[str, str]) -> dict[str, list[Query]]:
    """What each page runs on a first visit with its default filters."""
    month, province = p["month"], p["province"]
    previous = (
        month[:5] + f"{int(month[5:7]) - 1:02d}" + month[7:]
        if month[5:7] != "01"
        else (f"{int(month[:4]) - 1}-12-01")
    )
    common: list[Query] = [
        ("data_as_of", _data_as_of_uncached),
        ("report_periods", queries.report_periods),
        ("kpi_catalog", queries.kpi_catalog),
    ]
    topic = [
        *common,
        ("topic_trend", lambda: queries.topic_trend(
            ("digitization_rate", "dossier_digitization_rate", "result_digitization_rate",
             "e_result_rate", "data_reuse_rate"), "VN", "reported")),
        ("province_ranking", lambda: queries.province_ranking(
            "digitization_rate", "month", month, "reported")),
        ("agency_ranking_nation", lambda: queries.agency_ranking(
            "digitization_rate", None, "month", month, "reported", "all")),
        ("field_breakdown", lambda: queries.field_breakdown(
            "digitization_rate", "VN", "month", month, "reported")),
    ]  # fmt: skip
    return {
        "overview": [
            *common,
            ("national_kpis", lambda: queries.national_kpis(
                "month", (month, previous), "reported")),
            ("province_ranking", lambda: queries.province_ranking(
                "online_dossier_rate", "month", month, "reported")),
            ("index_ranking", lambda: queries.index_ranking(p["index_month"], "current")),
        ],
        "scorecard": [
            *common,
            ("provinces", queries.provinces),
            ("province_kpis", lambda: queries.province_kpis(
                province, "month", month, "current", "all")),
            ("target_attainment", lambda: queries.target_attainment(
                (province,), ("current",))),
            ("kpi_trend", lambda: queries.kpi_trend(
                "online_dossier_rate", province, "current", "all")),
            ("kpi_trend_nation", lambda: queries.kpi_trend(
                "online_dossier_rate", "VN", "current", "all")),
            ("level_breakdown", lambda: queries.level_breakdown(
                province, "month", month, "current")),
            ("agency_ranking", lambda: queries.agency_ranking(
                "online_dossier_rate", province, "month", month, "current", "all")),
        ],
        "scorecard_legacy": [
            ("province_kpis", lambda: queries.province_kpis(
                province, "month", p["legacy_month"], "current", "district")),
            ("level_breakdown", lambda: queries.level_breakdown(
                province, "month", p["legacy_month"], "current")),
            ("agency_ranking", lambda: queries.agency_ranking(
                "online_dossier_rate", province, "month", p["legacy_month"], "current",
                "all")),
        ],
        "topic (digitization, payment, online)": topic,
        "service_index": [
            ("data_as_of", _data_as_of_uncached),
            ("index_months", lambda: queries.index_months("current")),
            ("index_ranking", lambda: queries.index_ranking(p["index_month"], "current")),
            ("index_not_computed", lambda: queries.index_not_computed(
                p["index_month"], "current")),
            ("provinces", queries.provinces),
            ("index_groups", lambda: queries.index_groups(
                province, p["index_month"], "current")),
            ("index_trend", lambda: queries.index_trend(province, "current")),
        ],
        "data_status": [
            ("data_as_of", _data_as_of_uncached),
            ("publish_info", queries.publish_info),
            ("last_loads", queries.last_loads),
            ("rejected_loads", queries.rejected_loads),
            ("quarantine_summary", queries.quarantine_summary),
            ("quarantine_rows", queries.quarantine_rows),
            ("reconciliation_summary", queries.reconciliation_summary),
            ("reconciliation_findings", queries.reconciliation_findings),
        ],
        "sql (schema browser)": [
            ("data_as_of", _data_as_of_uncached),
            ("schema_tables", queries.schema_tables),
            ("schema_columns(fct_kpi)", lambda: queries.schema_columns("marts.fct_kpi")),
        ],
    }  # fmt: skip


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def run(path: Path, runs: int, warmup: int) -> dict:
    db.serving_path = lambda: path  # type: ignore[assignment]
    queries.use_uncached(True)
    params = _parameters(path)
    pages = page_queries(params)
    report: dict = {
        "db": str(path),
        "db_bytes": path.stat().st_size,
        "runs": runs,
        "parameters": params,
        "target_p95_ms": TARGET_P95_MS,
        "pages": {},
    }
    with duckdb.connect(str(path), read_only=True, config=dict(db.LOCKED_CONFIG)) as con:
        report["fct_kpi_rows"] = con.execute("select count(*) from marts.fct_kpi").fetchone()[0]
        report["report_periods_table"] = bool(
            con.execute(
                "select count(*) from duckdb_tables() "
                "where schema_name = 'meta' and table_name = 'report_periods'"
            ).fetchone()[0]
        )
    for page, calls in pages.items():
        per_query: dict[str, list[float]] = {name: [] for name, _ in calls}
        totals: list[float] = []
        for i in range(warmup + runs):
            total = 0.0
            for name, call in calls:
                started = time.perf_counter()
                call()
                elapsed = (time.perf_counter() - started) * 1000
                total += elapsed
                if i >= warmup:
                    per_query[name].append(elapsed)
            if i >= warmup:
                totals.append(total)
        report["pages"][page] = {
            "p50_ms": round(statistics.median(totals), 1),
            "p95_ms": round(percentile(totals, 0.95), 1),
            "max_ms": round(max(totals), 1),
            "queries": {
                name: {"p50_ms": round(statistics.median(v), 1),
                       "p95_ms": round(percentile(v, 0.95), 1)}
                for name, v in per_query.items()
            },
        }  # fmt: skip
    return report


def print_table(report: dict) -> None:
    print(
        f"serving DB: {report['db']} ({report['db_bytes'] / 1e6:.1f} MB, "
        f"{report['fct_kpi_rows']:,} fct_kpi rows), {report['runs']} runs"
    )
    print(f"{'page / query':<44}{'p50 ms':>10}{'p95 ms':>10}")
    for page, stats in report["pages"].items():
        flag = "" if stats["p95_ms"] <= TARGET_P95_MS else "   > target"
        print(f"{page:<44}{stats['p50_ms']:>10.1f}{stats['p95_ms']:>10.1f}{flag}")
        for name, q in stats["queries"].items():
            print(f"  {name:<42}{q['p50_ms']:>10.1f}{q['p95_ms']:>10.1f}")
    slowest_query = max(
        (q["p95_ms"], f"{page}/{name}")
        for page, stats in report["pages"].items()
        for name, q in stats["queries"].items()
    )
    print(f"slowest single query p95: {slowest_query[0]:.1f} ms ({slowest_query[1]})")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, default=None, help="serving.duckdb to read")
    parser.add_argument("--fixture", action="store_true", help="use the small test fixture")
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--json", type=Path, default=None, help="also write the report here")
    args = parser.parse_args()
    if args.fixture:
        from tests.fixtures_serving import build_serving_db

        path = build_serving_db(Path(tempfile.mkdtemp()) / "serving.duckdb")
    else:
        from pipelines.settings import data_paths

        path = (args.db or data_paths().serving_db).resolve()
    if not path.exists():
        print(f"no serving DB at {path}", file=sys.stderr)
        return 2
    report = run(path, args.runs, args.warmup)
    print_table(report)
    text = json.dumps(report, indent=2, default=str)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
