"""Validation cost: rows per second through the data contract, SQL rules and GX separately.

    uv run python benchmarks/bench_contracts.py [--rows 1_000_000] [--format parquet|csv]
        [--gx-rows 200_000] [--keep DIR]

Writes one synthetic dossier file of ``--rows`` rows (valid values, a few faults sprinkled in),
then loads it through ``ingest_source`` into a fresh DuckDB file:
1. contract in DuckDB SQL only (GX off): parse in bounded batches, type, every row rule, key,
   province-for-the-period, load with lineage, quarantine — the pipeline's critical path;
2. GX alone: the GX suite generated from the same contract over ``--gx-rows`` rows, in pandas
   batches of 100k rows (what ``CCHC_GX_MAX_ROWS`` buys per source and run);
and prints rows/s for each, the batch size and the peak RSS.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import polars as pl
import psutil

from pipelines.lib.contracts import load_contract
from pipelines.lib.ingest import ingest_source
from pipelines.lib.parsers.tabular import DEFAULT_BATCH_ROWS
from pipelines.lib.validation.boundary import GX_BATCH_ROWS, BoundaryValidator
from pipelines.lib.validation.rules import FileChecker


def synthetic_dossiers(rows: int, seed: int = 7) -> pl.DataFrame:
    """Dossiers of Hòa Bình (legacy 17) in 2024 with the contract's values; one row in 100k
    breaks a rule so the quarantine path is exercised too."""
    rng = np.random.default_rng(seed)
    received = (
        np.datetime64("2024-01-01T08:00:00")
        + rng.integers(0, 300 * 86400, rows).astype("timedelta64[s]")
    ).astype("datetime64[us]")
    channel = rng.choice(["online", "direct", "postal"], rows, p=[0.7, 0.25, 0.05])
    online = np.where(channel == "online", rng.choice(["full", "partial"], rows), "none")
    status = rng.choice(
        ["resolved", "processing", "returned", "withdrawn"], rows, p=[0.8, 0.15, 0.03, 0.02]
    )
    level = rng.choice(["province", "district", "commune"], rows, p=[0.3, 0.3, 0.4])
    fee = rng.choice([0, 12_000, 50_000], rows)
    frame = pl.DataFrame(
        {
            "dossier_id": [f"17.24.{n:08d}" for n in range(rows)],
            "province_code": "17",
            "province_name": "Tỉnh Hoà Bình",
            "agency_code": np.where(level == "commune", "17.X04942", "17.S01"),
            "agency_name": np.where(level == "commune", "UBND xã Lâm Sơn", "Sở Tư pháp"),
            "agency_level": level,
            "commune_code": np.where(level == "commune", "04942", ""),
            "procedure_code": "1.001234",
            "procedure_field": "Hộ tịch",
            "channel": channel,
            "online_level": online,
            "received_at": received,
            "due_at": received + np.timedelta64(5 * 86400, "s"),
            "resolved_at": np.where(
                status == "resolved",
                received + np.timedelta64(2 * 86400, "s"),
                np.datetime64("NaT"),
            ).astype("datetime64[us]"),
            "status": status,
            "dossier_digitized": rng.random(rows) < 0.6,
            "result_digitized": rng.random(rows) < 0.5,
            "e_result_issued": rng.random(rows) < 0.4,
            "data_reused": rng.random(rows) < 0.3,
            "fee_required": fee > 0,
            "paid_online": (fee > 0) & (channel == "online"),
            "fee_amount_vnd": fee,
        }
    ).with_columns(
        pl.col("resolved_at").cast(pl.Datetime("us")),
        pl.col("commune_code").replace("", None),
    )
    faulty = pl.int_range(pl.len()) % 100_000 == 99_999
    return frame.with_columns(
        pl.when(faulty).then(pl.lit("finished")).otherwise(pl.col("status")).alias("status")
    )


def peak_rss_mb() -> float:
    info = psutil.Process().memory_info()
    return getattr(info, "peak_wset", info.rss) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=lambda s: int(s.replace("_", "")), default=1_000_000)
    parser.add_argument("--format", choices=["parquet", "csv"], default="parquet")
    parser.add_argument("--gx-rows", type=lambda s: int(s.replace("_", "")), default=200_000)
    parser.add_argument("--keep", type=Path, default=None, help="work folder to keep")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="bench-contracts-"))
    landing = work / "landing" / "dossiers"
    landing.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    frame = synthetic_dossiers(args.rows)
    path = landing / f"dossiers_bench.{args.format}"
    if args.format == "parquet":
        frame.write_parquet(path, row_group_size=200_000)
    else:
        frame.write_csv(path, datetime_format="%Y-%m-%d %H:%M:%S")
    del frame
    print(f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB {args.format}) "
          f"in {time.perf_counter() - began:.1f} s")  # fmt: skip

    db = work / "warehouse.duckdb"
    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    began = time.perf_counter()
    summary = ingest_source(con, "dossiers", landing, load_id="bench", gx_max_rows=0)
    sql_seconds = time.perf_counter() - began
    outcome = summary.files[0]
    print(
        f"contract in DuckDB SQL (parse + type + {len(load_contract('dossiers').all_rule_names)} "
        f"rules + key + province era + load): {outcome.rows_in:,} rows in {sql_seconds:.1f} s "
        f"= {outcome.rows_in / sql_seconds:,.0f} rows/s; loaded {outcome.rows_loaded:,}, "
        f"quarantined {outcome.rows_quarantined:,}; batch {DEFAULT_BATCH_ROWS:,} rows"
    )

    # GX alone over --gx-rows rows, fed from the same typed batches the SQL produces.
    contract = load_contract("dossiers")
    boundary = BoundaryValidator.for_contract(contract, args.gx_rows)
    checker = FileChecker(con, contract)
    con.execute(
        "create or replace temp table _failures_all (file_name varchar, row_number bigint, "
        "rule varchar)"
    )
    con.execute(
        "insert into _failures_all select file_name, row_number, rule from audit.quarantine"
    )
    from pipelines.lib.parsers.tabular import open_tabular

    began_import = time.perf_counter()
    import great_expectations  # noqa: F401  (imported once per process; reported apart)

    import_seconds = time.perf_counter() - began_import
    tabular = open_tabular(path, contract)
    for batch in tabular.batches():
        checker.start_file()  # _staged holds this batch alone: the pool takes each row once
        checker.add_batch(batch)
        boundary.add(con, path.name, checker)
        if boundary.rows_validated >= args.gx_rows:
            break
    boundary.flush(con)
    tabular.close()
    print(
        f"GX suite from the contract ({len(contract.columns)} columns): "
        f"{boundary.rows_validated:,} rows in {boundary.runs} run(s) of <= {GX_BATCH_ROWS:,}, "
        f"{boundary.seconds:.1f} s = {boundary.rows_validated / max(boundary.seconds, 1e-9):,.0f} "
        f"rows/s (+ {import_seconds:.1f} s to import great_expectations once)"
    )
    print(f"peak RSS {peak_rss_mb():,.0f} MB")
    con.close()
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
