"""Checks that guard the marts, as plain SQL over the warehouse: every loaded row counted once.

Each check returns a :class:`CheckOutcome`; ``evaluable`` is False when the tables it reads are
not there (a model renamed, a source not loaded yet), which is reported but never blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb


@dataclass
class CheckOutcome:
    passed: bool
    rule: str
    summary: str
    evaluable: bool = True
    details: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    numbers: dict[str, int] = field(default_factory=dict)


def relation_columns(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> set[str]:
    return {
        row[0]
        for row in con.execute(
            "select column_name from duckdb_columns() where schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchall()
    }


# Report rows in force, straight from raw: the latest load of each province and period, each
# landed row once (a row inserted twice by a faulty load is still one row of one file). One read
# of the report parts (a window picks the latest load), not two: the lake holds a part per report
# file, and opening them is most of the check (1,815 parts at reference scale: 1.5-1.8 s with a
# second read for the latest loads, 1.0 s with one; the same rows).
RAW_IN_FORCE = """
with rows_read as (
    select distinct load_seq, source_row_number, province_code, period_start, period_end,
        source_file, received_total
    from raw.portal_report
    where province_code is not null and period_start is not null and period_end is not null
        and load_seq is not null
),
rows_in_force as (
    select * from rows_read
    qualify load_seq = max(load_seq) over (partition by province_code, period_start, period_end)
)
select province_code, period_start, period_end, count(*) as n, sum(received_total) as received
from rows_in_force group by all
"""


def report_rows_counted_once(
    con: duckdb.DuckDBPyConnection, flow: tuple[str, str] | None = None
) -> CheckOutcome:
    """Every report row in force is in staging exactly once, and the flow counts it once.

    Compares, per province and period: rows and ``received_total`` computed from raw, the same in
    ``staging.stg_portal_report``, and ``received_total`` summed in the flow table (the rows with
    ``count_source = 'portal_report'`` when it has that column).
    """
    rule = "report_rows_counted_once"
    needed = {"province_code", "period_start", "period_end", "received_total"}
    raw_cols = relation_columns(con, "raw", "portal_report")
    stg_cols = relation_columns(con, "staging", "stg_portal_report")
    if not (needed | {"load_seq", "source_row_number"}) <= raw_cols or not needed <= stg_cols:
        return CheckOutcome(True, rule, "raw.portal_report or its staging model missing", False)
    flow_sql = (
        "select null::varchar as province_code, null::date as period_start, "
        "null::date as period_end, null::hugeint as received where false"
    )
    if flow is not None:
        flow_cols = relation_columns(con, *flow)
        if needed <= flow_cols:
            where = "where count_source = 'portal_report'" if "count_source" in flow_cols else ""
            flow_sql = (
                "select province_code, period_start, period_end, sum(received_total) as received "
                f'from "{flow[0]}"."{flow[1]}" {where} group by all'
            )
        else:
            flow = None
    files_sql = (
        "list(distinct source_file order by source_file)"
        if "source_file" in stg_cols
        else "[]::varchar[]"
    )
    rows = con.execute(
        f"""
        with raw_side as ({RAW_IN_FORCE}),
        stg_side as (
            select province_code, period_start, period_end, count(*) as n,
                sum(received_total) as received, {files_sql} as files
            from staging.stg_portal_report group by all
        ),
        flow_side as ({flow_sql})
        select province_code, period_start, period_end,
            coalesce(r.n, 0), coalesce(s.n, 0), coalesce(r.received, 0), coalesce(s.received, 0),
            f.received, coalesce(s.files, [])
        from raw_side r
        full join stg_side s using (province_code, period_start, period_end)
        left join flow_side f using (province_code, period_start, period_end)
        order by 1, 2, 3
        """
    ).fetchall()
    details = []
    totals = {"raw_rows": 0, "staging_rows": 0, "raw_received": 0, "staging_received": 0}
    flow_total = 0
    for (
        province,
        start,
        end,
        raw_n,
        stg_n,
        raw_received,
        stg_received,
        flow_received,
        group_files,
    ) in rows:
        totals["raw_rows"] += raw_n
        totals["staging_rows"] += stg_n
        totals["raw_received"] += int(raw_received)
        totals["staging_received"] += int(stg_received)
        flow_received = int(flow_received or 0)
        flow_total += flow_received
        flow_differs = flow is not None and flow_received != int(stg_received)
        if raw_n != stg_n or raw_received != stg_received or flow_differs:
            details.append(
                {
                    "province_code": province,
                    "period": f"{start}..{end}",
                    "raw_rows": raw_n,
                    "staging_rows": stg_n,
                    "raw_received": int(raw_received),
                    "staging_received": int(stg_received),
                    "flow_received": flow_received if flow is not None else None,
                    "files": group_files,
                }
            )
    if flow is not None:
        totals["flow_received"] = flow_total
    files = sorted({f for d in details for f in d.pop("files")})[:10]
    summary = (
        f"{totals['raw_rows']} report rows in force, each counted once"
        if not details
        else f"{len(details)} province-period(s) where staging or the flow does not count every "
        f"report row in force exactly once"
    )
    return CheckOutcome(not details, rule, summary, True, details[:20], files, totals)
