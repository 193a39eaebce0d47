"""Landing folders → raw DuckDB tables, one asset per source, validated by its data contract."""

import dagster as dg

from pipelines.defs.partitions import monthly_partitions, period_filter, run_window
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.lib.ingest import PARSERS, IngestSummary, ingest_source


def landing_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", source])


def raw_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source])


def summary_metadata(summary: IngestSummary) -> dict[str, dg.MetadataValue]:
    table = "\n".join(
        f"| {f.file_name} | {f.outcome} | {f.rows_in} | {f.rows_loaded} | {f.rows_quarantined} "
        f"| {(f.message or '').replace('|', '/')} |"
        for f in summary.files
    )
    return {
        "new_files": dg.MetadataValue.int(summary.new_files),
        "files_rejected": dg.MetadataValue.int(summary.count("rejected")),
        "rows_loaded": dg.MetadataValue.int(summary.rows_loaded),
        "rows_quarantined": dg.MetadataValue.int(summary.rows_quarantined),
        "files": dg.MetadataValue.md(
            "| file | outcome | rows in | loaded | quarantined | message |\n"
            "|---|---|---|---|---|---|\n" + table
            if summary.files
            else "no new files"
        ),
    }


def build_raw_asset(source: str) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_key(source),
        deps=[landing_key(source)],
        group_name="raw",
        kinds={"duckdb", "python"},
        pool=WAREHOUSE_POOL,
        # By the month a file's period starts in; a range of months loads in one run.
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=f"Files landed in landing/{source}/, parsed and checked against "
        f"data_contracts/{source}.yaml; rejected files and quarantined rows go to audit.",
        check_specs=[dg.AssetCheckSpec("contract", asset=raw_key(source), blocking=False)],
    )
    def _raw_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        landing = warehouse.paths.landing_for(source)
        window = run_window(context)
        with warehouse.connect() as con:
            summary = ingest_source(
                con, source, landing, load_id=context.run_id, period_filter=period_filter(window)
            )
            (total_rows,) = con.execute(f"select count(*) from raw.{source}").fetchone()  # type: ignore[misc]
        for outcome in summary.files:
            if outcome.outcome == "rejected":
                context.log.warning(f"rejected {source}/{outcome.file_name}: {outcome.message}")
            elif outcome.rows_quarantined:
                context.log.warning(f"{source}/{outcome.file_name}: {outcome.message}")
        refused = [f for f in summary.files if f.outcome == "rejected" or f.rows_quarantined]
        return dg.MaterializeResult(
            metadata={
                **summary_metadata(summary),
                "months": window.describe() if window else "every month",
                "dagster/row_count": total_rows,
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name="contract",
                    passed=not refused,
                    severity=dg.AssetCheckSeverity.WARN,
                    metadata={
                        "refused": dg.MetadataValue.md(
                            "\n".join(f"- {f.file_name}: {f.message}" for f in refused) or "none"
                        )
                    },
                )
            ],
        )

    return _raw_asset


landing_specs = [
    dg.AssetSpec(
        landing_key(source),
        group_name="landing",
        kinds={"file"},
        description=f"Files dropped into landing/{source}/ (never modified by the pipeline).",
    )
    for source in PARSERS
]
raw_assets = [build_raw_asset(source) for source in PARSERS]
