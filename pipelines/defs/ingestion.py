"""Landing folders → the raw lake (Parquet), one asset per source, validated by its data contract.

One multi-asset step loads the sources a run selects, two at a time (a source's files load one
after the other, each mostly on one core); each source stays its own asset, with its own
materialization, metadata and check.

Each raw asset carries an asset check named ``contract`` (non-blocking, WARN): it fails when a
file of the run was rejected or had rows quarantined, and its metadata names each failing rule
with its file and row numbers (or the header), as audit.quarantine and audit.loads hold them.
"""

import dagster as dg
import duckdb

from pipelines.defs.partitions import monthly_partitions, period_filter, run_window
from pipelines.defs.resources import WAREHOUSE_POOL, WarehouseResource
from pipelines.lib.contracts import load_contract
from pipelines.lib.ingest import PARSERS, IngestSummary, ingest_sources
from pipelines.lib.lake import LakeTable

ROWS_SHOWN = 10  # row numbers listed per file and rule in the check metadata
# The check each raw asset reports with its materialization: the run's files met the contract.
CONTRACT_CHECK = "contract"
# A raw asset's materialization metadata: the seconds its source's load took (sources load at
# once, so the step's time is not one source's).
LOAD_SECONDS = "load_seconds"


def landing_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", source])


def raw_key(source: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", source])


def _cell(text: object) -> str:
    return str(text or "").replace("|", "/").replace("\n", " ")


def summary_metadata(summary: IngestSummary) -> dict[str, dg.MetadataValue]:
    table = "\n".join(
        f"| {f.file_name} | {f.outcome} | {f.rows_in} | {f.rows_loaded} | {f.rows_quarantined} "
        f"| {_cell(f.message)} |"
        for f in summary.files
    )
    metadata = {
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
    boundary = summary.boundary
    if boundary is not None:
        metadata["gx_rows_validated"] = dg.MetadataValue.int(boundary.rows_validated)
        metadata["gx_seconds"] = dg.MetadataValue.float(round(boundary.seconds, 3))
    return metadata


def quarantine_by_rule(
    con: duckdb.DuckDBPyConnection, source: str, load_id: str
) -> list[tuple[str, str, int, list[int], str]]:
    """(file, rule, rows, first row numbers, first message) of this load's quarantined rows."""
    return con.execute(
        f"""
        select file_name, rule, count(*) as rows,
            list(row_number order by row_number)[1:{ROWS_SHOWN}] as row_numbers,
            min_by(message, row_number) as example
        from audit.quarantine where source = ? and load_id = ?
        group by file_name, rule order by file_name, rule
        """,
        [source, load_id],
    ).fetchall()


def contract_check_result(
    summary: IngestSummary, quarantined: list[tuple[str, str, int, list[int], str]]
) -> dg.AssetCheckResult:
    rejected = [f for f in summary.files if f.outcome == "rejected"]
    failing_rules = sorted(
        {rule for _, rule, *_ in quarantined}
        | {(f.message or "").split("]")[0].lstrip("[") for f in rejected}
    )
    lines = [f"- **rejected** {f.file_name}: {f.message}" for f in rejected]
    lines += [
        f"- {file_name}: rule **{rule}** — {count} row(s): rows "
        f"{', '.join(map(str, rows))}{' …' if count > len(rows) else ''} (e.g. {example})"
        for file_name, rule, count, rows, example in quarantined
    ]
    gx_lines = [
        f"- {f.file_name}: GX {r['expectation']} on {r['column']} ({r['rule']}): "
        f"{r['unexpected']} unexpected, rows {', '.join(map(str, r['rows']))}"
        for f in summary.files
        for r in f.boundary_results
    ]
    metadata: dict[str, dg.MetadataValue] = {
        "failing_rules": dg.MetadataValue.json(failing_rules),
        "failures": dg.MetadataValue.md("\n".join(lines) or "none"),
        "files_rejected": dg.MetadataValue.int(len(rejected)),
        "rows_quarantined": dg.MetadataValue.int(sum(q[2] for q in quarantined)),
        "great_expectations": dg.MetadataValue.md("\n".join(gx_lines) or "every expectation met"),
    }
    if summary.boundary is not None and summary.boundary.note:
        metadata["gx_budget"] = dg.MetadataValue.text(summary.boundary.note)
    return dg.AssetCheckResult(
        asset_key=raw_key(summary.source),
        check_name=CONTRACT_CHECK,
        passed=not rejected and not quarantined,
        severity=dg.AssetCheckSeverity.WARN,
        metadata=metadata,
    )


class SourceLoadFailed(RuntimeError):
    """A source's load stopped with an error (the other sources of the run still loaded)."""


def raw_spec(source: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        raw_key(source),
        deps=[landing_key(source)],
        group_name="raw",
        kinds={"parquet", "python"},
        # By the month a file's period starts in; a range of months loads in one run.
        partitions_def=monthly_partitions,
        description=f"Files landed in landing/{source}/, parsed and checked against "
        f"data_contracts/{source}.yaml; rejected files and quarantined rows go to audit.",
    )


def contract_check_spec(source: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        CONTRACT_CHECK,
        asset=raw_key(source),
        blocking=False,
        description=f"Every file of the run met data_contracts/{source}.yaml: none "
        "rejected, no row quarantined (WARN: good rows still load).",
    )


@dg.multi_asset(
    name="raw_sources",
    specs=[raw_spec(source) for source in PARSERS],
    check_specs=[contract_check_spec(source) for source in PARSERS],
    # a run loads the sources it selects (the sensor and `make pipeline`: those with new files)
    can_subset=True,
    pool=WAREHOUSE_POOL,
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    description="Every selected source's landing folder into the raw lake, two sources at a "
    "time (pipelines.lib.ingest.ingest_sources); one asset and one contract check per source.",
)
def raw_sources(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    sources = [source for source in PARSERS if raw_key(source) in context.selected_asset_keys]
    window = run_window(context)
    with warehouse.connect() as con:
        loads = ingest_sources(
            con,
            {source: warehouse.paths.landing_for(source) for source in sources},
            load_id=context.run_id,
            period_filter=period_filter(window),
            lake_dir=warehouse.paths.lake,
        )
        outcomes = []
        for source in sources:
            summary = loads.summaries.get(source)
            if summary is None:
                continue
            total_rows = LakeTable(warehouse.paths.lake, load_contract(source)).row_count(con)
            outcomes.append((summary, total_rows, quarantine_by_rule(con, source, context.run_id)))
    for summary, total_rows, quarantined in outcomes:
        source = summary.source
        for outcome in summary.files:
            if outcome.outcome == "rejected":
                context.log.warning(f"rejected {source}/{outcome.file_name}: {outcome.message}")
            elif outcome.rows_quarantined:
                context.log.warning(f"{source}/{outcome.file_name}: {outcome.message}")
        for file_name, rule, count, rows, example in quarantined:
            context.log.warning(
                f"{source}/{file_name}: rule {rule} quarantined {count} row(s), rows "
                f"{', '.join(map(str, rows))}: {example}"
            )
        metadata = {
            **summary_metadata(summary),
            "months": window.describe() if window else "every month",
            "dagster/row_count": total_rows,
            LOAD_SECONDS: dg.MetadataValue.float(round(loads.seconds[source], 1)),
        }
        check = contract_check_result(summary, quarantined)
        selected = dg.AssetCheckKey(raw_key(source), CONTRACT_CHECK)
        yield dg.MaterializeResult(
            asset_key=raw_key(source),
            metadata=metadata,
            check_results=[check] if selected in context.selected_asset_check_keys else [],
        )
    for source, error in loads.failures.items():
        context.log.error(f"load {source} failed: {error!r}")
    if loads.failures:
        source, error = next(iter(loads.failures.items()))
        raise SourceLoadFailed(
            f"load of {', '.join(loads.failures)} failed (the other sources loaded): "
            f"{source}: {error}"
        ) from error


landing_specs = [
    dg.AssetSpec(
        landing_key(source),
        group_name="landing",
        kinds={"file"},
        description=f"Files dropped into landing/{source}/ (never modified by the pipeline).",
    )
    for source in PARSERS
]
raw_assets = [raw_sources]
