"""Dossiers across 1 July 2025, reused province codes and returned/withdrawn dossiers, through the
real ingestion (hand-written CSV files in a landing folder) and one real `dbt build`.

Hand-computed (SOURCES.md §6, issue 12): legacy Tây Ninh (72 -> current Tây Ninh 80) holds 20
dossiers of its Sở Tư pháp in progress at the end of June 2025. Its last export (June) shows them
open; the successor's export (August) re-exports them with code 80 and the same ids: 17 resolved in
July (12 early, 5 late), 3 still open past their due date (8 July). The successor received 20
dossiers of its own in July, all resolved early. So current Tây Ninh's July 2025 is:
  carried over 20; resolved early + on time = 20 + 12 = 32 of 37 resolved; in progress 3, all 3
  overdue; progress on time (32 + 0) / (37 + 3) = 32 / 40.
A 21st dossier open on 30 June (due 9 July) is withdrawn on 3 July: carried into the successor's
July and counted there as withdrawn, in neither KPI's base (the generator, whose successor forms
may lack a returned column, must not write that case for such a successor: test_sample_data).
Legacy Tây Ninh's June 2025 ends with the 21 in progress, within due (due in July), and closes a
withdrawn dossier on its status date; one dossier returned on 12 May 2025 (no resolution date)
closes in May and is never in progress after it.
Code 80 was Long An before the restructuring and is Tây Ninh after: Long An's dossier '80.0001'
(May 2024) and current Tây Ninh's '80.0001' (August 2025), and their payments 'TT-0001', are four
different records, none lost.
"""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest

from pipelines.lib.ingest import ingest_source
from tests.source_files import DOSSIER_HEADER, write_source_csv
from tests.test_dbt_sample import create_raw_tables, dbt_build

PAYMENT_HEADER = [
    "transaction_id", "dossier_id", "province_code", "amount_vnd", "channel", "status", "paid_at",
]  # fmt: skip


def dossier_row(dossier_id: str, province: str, received: str, due: str, **values: str) -> dict:
    row = dict.fromkeys(DOSSIER_HEADER, "")
    row.update(
        dossier_id=dossier_id,
        province_code=province,
        agency_code=f"{province}.STP",
        agency_name="Sở Tư pháp",
        agency_level="province",
        procedure_code="1.001234",
        procedure_field="Lý lịch tư pháp",
        channel="online",
        online_level="full",
        received_at=received,
        due_at=due,
        status="processing",
        dossier_digitized="true",
        result_digitized="false",
        e_result_issued="false",
        data_reused="false",
        fee_required="true",
        paid_online="true",
        fee_amount_vnd="200000",
    )
    row.update(values)
    return row


def straddling(n: int) -> tuple[str, str, str]:
    """Legacy Tây Ninh's n-th June dossier: id, received, due (1-17 due 10 July, 18-20 8 July)."""
    due = "2025-07-10 17:00:00" if n <= 17 else "2025-07-08 17:00:00"
    return f"72.2506.{n:06d}", f"2025-06-{10 + n:02d} 09:00:00", due


def legacy_tay_ninh_export() -> list[dict]:
    rows = [
        dossier_row(i, "72", r, d, province_name="Tỉnh Tây Ninh")
        for i, r, d in (straddling(n) for n in range(1, 21))
    ]
    rows += [
        dossier_row(
            "72.2505.000001", "72", "2025-05-05 09:00:00", "2025-05-20 17:00:00",
            status="returned", status_at="2025-05-12 10:00:00",
        ),
        dossier_row(
            "72.2506.000100", "72", "2025-06-02 09:00:00", "2025-06-30 17:00:00",
            status="withdrawn", status_at="2025-06-05 10:00:00",
        ),
        # open on 30 June, withdrawn on 3 July at the successor: its July, never resolved
        dossier_row(
            "72.2506.000101", "72", "2025-06-25 09:00:00", "2025-07-09 17:00:00",
            status="withdrawn", status_at="2025-07-03 10:00:00",
        ),
    ]  # fmt: skip
    return rows


def successor_export() -> list[dict]:
    rows = []
    for n in range(1, 21):  # the predecessor's dossiers, re-exported with the successor's code
        dossier_id, received, due = straddling(n)
        if n <= 12:
            outcome = {"status": "resolved", "resolved_at": "2025-07-09 10:00:00"}  # early
        elif n <= 17:
            outcome = {"status": "resolved", "resolved_at": "2025-07-15 10:00:00"}  # late
        else:
            outcome = {}  # still open, due 8 July: overdue at the end of July
        rows.append(dossier_row(dossier_id, "80", received, due, **outcome))
    for n in range(1, 21):  # its own July dossiers, all resolved before their due date
        rows.append(
            dossier_row(
                f"80.2507.{n:06d}", "80",
                f"2025-07-{n:02d} 09:00:00", f"2025-07-{n + 5:02d} 17:00:00",
                province_name="Tỉnh Tây Ninh", status="resolved",
                resolved_at=f"2025-07-{n + 2:02d} 10:00:00",
            )
        )  # fmt: skip
    rows.append(  # the reused code: the same id as Long An's dossier of May 2024
        dossier_row(
            "80.0001", "80", "2025-08-04 09:00:00", "2025-08-06 17:00:00",
            province_name="Tỉnh Tây Ninh", status="resolved", resolved_at="2025-08-05 10:00:00",
        )
    )  # fmt: skip
    return rows


def long_an_export() -> list[dict]:
    return [
        dossier_row(
            "80.0001", "80", "2024-05-06 09:00:00", "2024-05-10 17:00:00",
            province_name="Tỉnh Long An", status="resolved", resolved_at="2024-05-08 10:00:00",
        )
    ]  # fmt: skip


def payment(transaction: str, dossier: str, province: str, paid_at: str) -> dict:
    return {
        "transaction_id": transaction,
        "dossier_id": dossier,
        "province_code": province,
        "amount_vnd": "200000",
        "channel": "online",
        "status": "success",
        "paid_at": paid_at,
    }


PAYMENTS = [
    payment("TT-0001", "80.0001", "80", "2024-05-06 09:30:00"),  # Long An
    payment("TT-0001", "80.0001", "80", "2025-08-04 09:30:00"),  # current Tây Ninh
    # a legacy Tây Ninh dossier paid in July, at the successor (code valid on the paid date)
    payment("TT-72.2506.000001", "72.2506.000001", "80", "2025-07-09 11:00:00"),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("restructuring")
    landing = root / "landing"
    # file names sort in export order: the successor's re-export is loaded last
    write_source_csv(landing / "dossiers" / "1_80_long_an_2024-05.csv", long_an_export())
    write_source_csv(landing / "dossiers" / "2_72_tay_ninh_2025-06.csv", legacy_tay_ninh_export())
    write_source_csv(landing / "dossiers" / "3_80_tay_ninh_2025-08.csv", successor_export())
    # a contract key is per file: each province's payments come in its own export
    write_source_csv(landing / "payments" / "80_long_an_2024.csv", PAYMENTS[:1], PAYMENT_HEADER)
    write_source_csv(landing / "payments" / "80_tay_ninh_2025.csv", PAYMENTS[1:], PAYMENT_HEADER)
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        create_raw_tables(con)
        for source in ("dossiers", "payments"):
            ingest_source(con, source, landing / source, load_id="fixture")
        quarantined = con.execute("select message from audit.quarantine").fetchall()
    success, failures, _ = dbt_build(database, root / "target")
    yield database, success, failures, quarantined
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def sql(warehouse):
    database = warehouse[0]

    def run(query: str, params: list | None = None) -> list[tuple]:
        with duckdb.connect(str(database), read_only=True) as con:
            return con.execute(query, params or []).fetchall()

    return run


def kpi(sql, kpi_code: str, basis: str, province: str, era: str, month: str) -> tuple:
    return sql(
        "select numerator, denominator from marts.fct_kpi where kpi_code = ? and unit_basis = ? "
        "and province_code = ? and era = ? and period_grain = 'month' and period_start = ? "
        "and level = 'all' and agency_code is null and procedure_field is null",
        [kpi_code, basis, province, era, month],
    )


def flow(sql, province: str, era: str, month: str) -> tuple:
    ((row),) = sql(
        "select sum(carried_over), sum(resolved_early + resolved_on_time), sum(resolved_late), "
        "sum(in_progress_within_due), sum(in_progress_overdue), sum(returned_withdrawn) "
        "from intermediate.int_flow_month where province_code = ? and era = ? and month_start = ?",
        [province, era, month],
    )
    return tuple(int(v or 0) for v in row)


def test_the_fixture_loads_clean_and_every_dbt_test_passes(warehouse) -> None:
    _, success, failures, quarantined = warehouse
    assert quarantined == []
    assert success, failures


@pytest.mark.parametrize("basis", ["current", "reported"])
def test_dossiers_open_on_30_june_are_resolved_or_overdue_under_the_successor_in_july(
    sql, basis: str
) -> None:
    july = "2025-07-01"
    assert kpi(sql, "on_time_rate", basis, "80", "current", july) == [(32, 37)]
    assert kpi(sql, "overdue_open_rate", basis, "80", "current", july) == [(3, 3)]
    assert kpi(sql, "progress_on_time_rate", basis, "80", "current", july) == [(32, 40)]
    # carried 20 + the one withdrawn on 3 July; in time 32, late 5; in progress 0 within due,
    # 3 overdue; that one withdrawn (so in neither KPI's base)
    assert flow(sql, "80", "current", july) == (21, 32, 5, 0, 3, 1)


def test_the_predecessor_ends_june_with_them_in_progress_and_never_sees_july(sql) -> None:
    # June: nothing carried in (May's returned dossier closed in May), none resolved, the 20 in
    # progress within due (due 8 or 10 July) and the one withdrawn on 3 July (due 9 July), the
    # withdrawn one closed on 5 June
    assert flow(sql, "72", "legacy", "2025-06-01") == (0, 0, 0, 21, 0, 1)
    assert sql(
        "select count(*) from intermediate.int_flow_month where era = 'legacy' "
        "and month_start >= '2025-07-01'"
    ) == [(0,)]


def test_a_successor_re_export_replaces_the_predecessors_version(sql) -> None:
    rows = sql(
        "select era, province_code, exported_code, count(*) from staging.stg_dossiers "
        "where dossier_id like '72.2506.%' group by all order by all"
    )
    # 20 straddling dossiers re-exported by 80 + the two withdrawn ones exported by 72 only
    assert rows == [("legacy", "72", "72", 2), ("legacy", "72", "80", 20)]


def test_returned_and_withdrawn_dossiers_close_on_their_status_date(sql) -> None:
    # returned on 12 May 2025: closed in May, not in progress at the end of May or later
    assert flow(sql, "72", "legacy", "2025-05-01") == (0, 0, 0, 0, 0, 1)
    assert sql(
        "select status, closed_month from staging.stg_dossiers "
        "where dossier_id in ('72.2505.000001', '72.2506.000100') order by dossier_id"
    ) == [("returned", _date("2025-05-01")), ("withdrawn", _date("2025-06-01"))]


def test_a_reused_code_with_colliding_ids_keeps_both_provinces_records(sql) -> None:
    assert sql(
        "select era, province_code, received_month from staging.stg_dossiers "
        "where dossier_id = '80.0001' order by era"
    ) == [("current", "80", _date("2025-08-01")), ("legacy", "80", _date("2024-05-01"))]
    assert sql(
        "select era, paid_month, dossier_known from staging.stg_payments "
        "where transaction_id = 'TT-0001' order by era"
    ) == [("current", _date("2025-08-01"), True), ("legacy", _date("2024-05-01"), True)]
    for era, month in (("legacy", "2024-05-01"), ("current", "2025-08-01")):
        assert kpi(sql, "on_time_rate", "reported", "80", era, month) == [(1, 1)]


def test_a_payment_after_1_july_of_a_predecessors_dossier_is_the_successors(sql) -> None:
    assert sql(
        "select era, province_code, agency_code, dossier_known from staging.stg_payments "
        "where transaction_id = 'TT-72.2506.000001'"
    ) == [("current", "80", "current/80/so-tu-phap", True)]


def _date(text: str) -> date:
    return date.fromisoformat(text)
