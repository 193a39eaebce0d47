"""The mart check that every report row in force is counted once, on hand-written tables.

The rows are written here, not by the pipeline: two loads of one province's March report (the
later one in force), a row a faulty load inserted twice, a row without a period (the contract
quarantines such rows; the check leaves them out), and another province's report.
"""

from __future__ import annotations

import duckdb
import pytest

from pipelines.lib.mart_checks import report_rows_counted_once

FLOW = ("marts", "fct_dossier_flow")

# (load_seq, source_row_number, province_code, period_start, period_end, source_file, received)
RAW_ROWS = [
    # the first load of Hà Nội's March: replaced by the second
    (1, 2, "01", "2025-03-01", "2025-03-31", "hn_2025_03.xlsx", 100),
    (1, 3, "01", "2025-03-01", "2025-03-31", "hn_2025_03.xlsx", 50),
    # the second load: two rows, the first landed twice by a faulty load (one row of one file)
    (4, 2, "01", "2025-03-01", "2025-03-31", "hn_2025_03_fixed.xlsx", 120),
    (4, 2, "01", "2025-03-01", "2025-03-31", "hn_2025_03_fixed.xlsx", 120),
    (4, 3, "01", "2025-03-01", "2025-03-31", "hn_2025_03_fixed.xlsx", 30),
    # a row with no period: never in force
    (4, 4, "01", None, None, "hn_2025_03_fixed.xlsx", 999),
    # Cao Bằng's March, one load
    (2, 2, "04", "2025-03-01", "2025-03-31", "cb_2025_03.xlsx", 7),
]
# What staging holds in force, as hand-counted from the rows above: Hà Nội 2 rows (120 + 30),
# Cao Bằng 1 row (7).
STAGING_ROWS = [
    ("01", "2025-03-01", "2025-03-31", "hn_2025_03_fixed.xlsx", 120),
    ("01", "2025-03-01", "2025-03-31", "hn_2025_03_fixed.xlsx", 30),
    ("04", "2025-03-01", "2025-03-31", "cb_2025_03.xlsx", 7),
]


def _warehouse(
    staging_rows: list[tuple], flow_received: dict[str, int]
) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema raw; create schema staging; create schema marts")
    con.execute(
        "create table raw.portal_report (load_seq bigint, source_row_number bigint, "
        "province_code varchar, period_start date, period_end date, source_file varchar, "
        "received_total bigint)"
    )
    con.executemany("insert into raw.portal_report values (?, ?, ?, ?, ?, ?, ?)", RAW_ROWS)
    con.execute(
        "create table staging.stg_portal_report (province_code varchar, period_start date, "
        "period_end date, source_file varchar, received_total bigint)"
    )
    con.executemany("insert into staging.stg_portal_report values (?, ?, ?, ?, ?)", staging_rows)
    con.execute(
        "create table marts.fct_dossier_flow (province_code varchar, period_start date, "
        "period_end date, count_source varchar, received_total bigint)"
    )
    con.executemany(
        "insert into marts.fct_dossier_flow values (?, '2025-03-01', '2025-03-31', "
        "'portal_report', ?)",
        list(flow_received.items()),
    )
    return con


def test_the_rows_in_force_counted_once_pass_with_hand_counted_totals() -> None:
    con = _warehouse(STAGING_ROWS, {"01": 150, "04": 7})
    outcome = report_rows_counted_once(con, FLOW)
    assert outcome.passed, outcome.details
    assert outcome.numbers == {
        "raw_rows": 3,
        "staging_rows": 3,
        "raw_received": 157,
        "staging_received": 157,
        "flow_received": 157,
    }


@pytest.mark.parametrize(
    ("staging_rows", "flow_received", "province"),
    [
        # staging kept the replaced first load's row too
        (
            [*STAGING_ROWS, ("01", "2025-03-01", "2025-03-31", "hn_2025_03.xlsx", 50)],
            {"01": 200, "04": 7},
            "01",
        ),
        # staging is right, the flow counted Cao Bằng's report twice
        (STAGING_ROWS, {"01": 150, "04": 14}, "04"),
    ],
)
def test_a_row_counted_twice_or_a_replaced_load_kept_fails_and_names_the_province(
    staging_rows: list[tuple], flow_received: dict[str, int], province: str
) -> None:
    outcome = report_rows_counted_once(_warehouse(staging_rows, flow_received), FLOW)
    assert not outcome.passed
    assert [detail["province_code"] for detail in outcome.details] == [province]
