"""Asset checks beyond dbt's tests.

- ``report_rows_counted_once`` (blocking): every report row in force is counted exactly once by
  staging and by the dossier flow. A failure stops the run before the publish.
- ``freshness`` on each raw source (warning only): the provinces whose data for the last closed
  month has not arrived by the due day.

The contract check on each raw asset (rejected files, quarantined rows: expected, handled,
warning only) is emitted by the ingestion assets themselves; dbt's tests are checks through
dagster-dbt (``enable_asset_checks``).
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import dagster as dg

from pipelines.defs.dbt import cchc_dbt_assets
from pipelines.defs.ingestion import raw_key
from pipelines.defs.partitions import TIMEZONE
from pipelines.defs.resources import WAREHOUSE_POOL, FreshnessSettings, WarehouseResource
from pipelines.lib.freshness import check_freshness
from pipelines.lib.ingest import PARSERS
from pipelines.lib.mart_checks import report_rows_counted_once


def _flow_key() -> dg.AssetKey | None:
    keys = cchc_dbt_assets.keys
    for candidate in (["marts", "fct_dossier_flow"], ["intermediate", "int_dossier_flow"]):
        if dg.AssetKey(candidate) in keys:
            return dg.AssetKey(candidate)
    return None


FLOW_KEY = _flow_key()
STAGING_KEY = dg.AssetKey(["staging", "stg_portal_report"])
COUNTED_ONCE_ASSET = FLOW_KEY or STAGING_KEY


@dg.asset_check(
    asset=COUNTED_ONCE_ASSET,
    name="report_rows_counted_once",
    blocking=True,
    pool=WAREHOUSE_POOL,
    description="Every report row in force (the latest file of each province and period, each "
    "row once) is in staging exactly once and counted once in the dossier flow. Blocking: a "
    "failure stops the publish and serving.duckdb keeps its last good content.",
)
def report_rows_counted_once_check(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    flow = tuple(FLOW_KEY.path) if FLOW_KEY else None
    with warehouse.connect() as con:
        outcome = report_rows_counted_once(con, flow)  # type: ignore[arg-type]
    return dg.AssetCheckResult(
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR if outcome.evaluable else dg.AssetCheckSeverity.WARN,
        description=outcome.summary,
        metadata={
            "summary": outcome.summary,
            "rule": outcome.rule,
            "files": dg.MetadataValue.json(outcome.files),
            "differences": dg.MetadataValue.json(outcome.details),
            **{name: dg.MetadataValue.int(value) for name, value in outcome.numbers.items()},
        },
    )


def today_in_vietnam(settings: FreshnessSettings) -> date:
    if settings.today:
        return date.fromisoformat(settings.today)
    return datetime.now(ZoneInfo(TIMEZONE)).date()


def build_freshness_check(source: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_key(source),
        name="freshness",
        blocking=False,
        pool=WAREHOUSE_POOL,
        description=f"Warns when a province's {source} data for the last closed month has not "
        "arrived by the due day of the next month (CCHC_FRESHNESS_DUE_DAY, default 10).",
    )
    def _freshness(
        warehouse: WarehouseResource, freshness: FreshnessSettings
    ) -> dg.AssetCheckResult:
        with warehouse.connect() as con:
            result = check_freshness(con, source, today_in_vietnam(freshness), freshness.due_day)
        return dg.AssetCheckResult(
            passed=result.passed,
            severity=dg.AssetCheckSeverity.WARN,
            description=result.summary(),
            metadata={
                "summary": result.summary(),
                "month": result.month.strftime("%Y-%m"),
                "due": result.due.isoformat(),
                "expected": len(result.expected),
                "arrived": len(result.arrived),
                "missing": dg.MetadataValue.json(
                    [{"province_code": c, "province_name": n} for c, n in result.missing]
                ),
            },
        )

    return _freshness


freshness_checks = [build_freshness_check(source) for source in PARSERS]
mart_checks = [report_rows_counted_once_check]
blocking_check_assets = [COUNTED_ONCE_ASSET]
