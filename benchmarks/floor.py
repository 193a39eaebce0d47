"""The floor: DuckDB alone reading the landing files and computing the pipeline's monthly counts.

No parsing in Python, no contract, no lineage, no dbt, no publish: one DuckDB connection reads
every clean dossier export (Parquet, CSV, CSV with Vietnamese headers and BOM), every payment and
satisfaction export, and computes the monthly counts the marts are built from (per province,
agency and month: the flow buckets of the aggregate report, the e-dossier / digitization /
payment numerators, satisfaction sums). The pipeline's wall time divided by this one is the
headline figure of `make bench`.

What the floor leaves out: the XLSX portal reports (DuckDB cannot read XLSX without its `excel`
extension, which is downloaded from the network), and every check. Those are the pipeline's
work above the floor; at reference scale they are 1-2 % of the rows.

    python -m benchmarks.floor LANDING_DIR [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

# the columns of the generator's dossier exports, the files the floor reads
from pipelines.sample_data.simulate import DOSSIER_COLUMNS

DOSSIER_TYPES = {
    "dossier_id": "VARCHAR",
    "province_code": "VARCHAR",
    "agency_code": "VARCHAR",
    "commune_code": "VARCHAR",
    "procedure_code": "VARCHAR",
    "received_at": "TIMESTAMP",
    "due_at": "TIMESTAMP",
    "resolved_at": "TIMESTAMP",
    "fee_amount_vnd": "BIGINT",
}

MONTHLY_DOSSIER_COUNTS = """
create table dossier_monthly as
select
    province_code,
    agency_code,
    agency_level,
    date_trunc('month', received_at)::date as month,
    count(*) as received,
    count(*) filter (channel = 'online') as received_online,
    count(*) filter (channel <> 'online') as received_direct_postal,
    count(*) filter (resolved_at is not null) as resolved,
    count(*) filter (resolved_at is not null and resolved_at::date < due_at::date) as early,
    count(*) filter (resolved_at is not null and resolved_at::date = due_at::date) as on_time,
    count(*) filter (resolved_at is not null and resolved_at > due_at) as late,
    count(*) filter (status in ('returned', 'withdrawn')) as returned_withdrawn,
    count(*) filter (online_level = 'full') as full_online,
    count(*) filter (dossier_digitized) as dossier_digitized,
    count(*) filter (result_digitized) as result_digitized,
    count(*) filter (e_result_issued) as e_result_issued,
    count(*) filter (data_reused) as data_reused,
    count(*) filter (fee_required) as fee_required,
    count(*) filter (fee_required and paid_online) as paid_online,
    sum(fee_amount_vnd) as fee_amount_vnd
from dossiers
group by all
"""
MONTHLY_PAYMENTS = """
create table payment_monthly as
select province_code, date_trunc('month', paid_at)::date as month, channel, status,
       count(*) as transactions, sum(amount_vnd) as amount_vnd
from read_csv({files}, header = true, types = {{'province_code': 'VARCHAR',
     'dossier_id': 'VARCHAR', 'paid_at': 'TIMESTAMP'}})
group by all
"""
MONTHLY_SATISFACTION = """
create table satisfaction_monthly as
select province_code, agency_code, period_start, sum(responses) as responses,
       sum(satisfied_responses) as satisfied
from read_csv({files}, header = true, types = {{'province_code': 'VARCHAR',
     'agency_code': 'VARCHAR', 'period_start': 'DATE'}})
group by all
"""


def clean_files(landing: Path, source: str) -> list[Path]:
    """The landed files of a source that the generator's manifest does not mark as faulty."""
    faulty: set[str] = set()
    manifest = landing / "_manifest.json"
    if manifest.exists():
        data = json.loads(manifest.read_text(encoding="utf-8"))
        faulty = {f["file"] for f in data.get("dirty_faults", [])}
    folder = landing / source
    if not folder.exists():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file()
        and not p.name.startswith((".", "_", "~$"))
        and f"{source}/{p.name}" not in faulty
    )


def _has_vietnamese_header(path: Path) -> bool:
    with path.open("rb") as handle:
        first = handle.readline().decode("utf-8-sig", errors="replace")
    return not first.startswith("dossier_id")


def _sql_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def _types(types: dict[str, str]) -> str:
    return "{" + ", ".join(f"'{k}': '{v}'" for k, v in types.items()) + "}"


def dossier_view_sql(files: list[Path]) -> str:
    parquet = [p for p in files if p.suffix == ".parquet"]
    csv = [p for p in files if p.suffix == ".csv"]
    vietnamese = [p for p in csv if _has_vietnamese_header(p)]
    canonical = [p for p in csv if p not in vietnamese]
    parts = []
    if parquet:
        parts.append(f"select * from read_parquet({_sql_list(parquet)}, union_by_name = true)")
    if canonical:
        parts.append(
            f"select * from read_csv({_sql_list(canonical)}, header = true, "
            f"types = {_types(DOSSIER_TYPES)})"
        )
    if vietnamese:
        names = "[" + ", ".join(f"'{c}'" for c in DOSSIER_COLUMNS) + "]"
        parts.append(
            f"select * from read_csv({_sql_list(vietnamese)}, header = true, names = {names}, "
            f"types = {_types(DOSSIER_TYPES)})"
        )
    if not parts:
        return (
            "create view dossiers as select "
            + ", ".join(f"null::{DOSSIER_TYPES.get(c, 'VARCHAR')} as {c}" for c in DOSSIER_COLUMNS)
            + " where false"
        )
    columns = ", ".join(DOSSIER_COLUMNS)
    return "create view dossiers as " + " union all ".join(
        f"select {columns} from ({part})" for part in parts
    )


def run_floor(landing: Path, threads: int | None = None) -> dict[str, object]:
    began = time.perf_counter()
    con = duckdb.connect()
    if threads:
        con.execute(f"set threads = {threads}")
    dossier_files = clean_files(landing, "dossiers")
    con.execute(dossier_view_sql(dossier_files))
    con.execute(MONTHLY_DOSSIER_COUNTS)
    payments = clean_files(landing, "payments")
    if payments:
        con.execute(MONTHLY_PAYMENTS.format(files=_sql_list(payments)))
    satisfaction = clean_files(landing, "satisfaction")
    if satisfaction:
        con.execute(MONTHLY_SATISFACTION.format(files=_sql_list(satisfaction)))
    (rows,) = con.execute("select sum(received) from dossier_monthly").fetchone()  # type: ignore[misc]
    (groups,) = con.execute("select count(*) from dossier_monthly").fetchone()  # type: ignore[misc]
    con.close()
    return {
        "seconds": time.perf_counter() - began,
        "dossier_rows": int(rows or 0),
        "monthly_groups": int(groups),
        "dossier_files": len(dossier_files),
        "payment_files": len(payments),
        "satisfaction_files": len(satisfaction),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.floor")
    parser.add_argument("landing", type=Path)
    parser.add_argument("--json", action="store_true", help="print one JSON line")
    args = parser.parse_args(argv)
    result = run_floor(args.landing)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"floor: {result['dossier_rows']:_} dossier rows -> {result['monthly_groups']:_} "
            f"monthly groups in {result['seconds']:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
