"""dbt on small hand-made fixtures: every number asserted here is computed by hand in the comments.

One `dbt build` for the module (all dbt tests must pass on it too), then queries:
- each KPI formula on a hand-computed case (province 25, July 2025, from dossier records);
- the quarter vs month rule (Hòa Bình Q1/2024: months win over the quarterly report; Q2/2024: the
  quarterly report wins over an incomplete set of months; Vĩnh Phúc Q1/2024: report only);
- stocks in a composed period (in progress = last month's, carried over = first month's);
- roll-ups re-aggregate counts (agency -> level -> province -> nation);
- the legacy -> current roll-up counts once (current basis = sum of predecessors; nation equal
  on both bases), across the 2025 restructuring too;
- target attainment: judged only on a complete year (Bình Định's June 2024 and Triệu Sơn's
  January-June 2025 are incomplete), Bình Định judged as legacy Bình Định;
- roll-ups name who reported (units_reporting / units_expected) and the sources they mix;
- the 766 index on a hand-computed month.
"""

from __future__ import annotations

import shutil
from datetime import date, datetime

import duckdb
import pytest

from tests.test_dbt_sample import create_raw_tables, dbt_build, insert_rows

COUNT_COLUMNS = (
    "carried_over",
    "received_online",
    "received_direct_postal",
    "resolved_early",
    "resolved_on_time",
    "resolved_late",
    "in_progress_within_due",
    "in_progress_overdue",
    "returned_withdrawn",
)
NAMES = {
    "17": "Tỉnh Hoà Bình",
    "26": "Tỉnh Vĩnh Phúc",
    "25": "Tỉnh Phú Thọ",
    "52": "Tỉnh Bình Định",
    "64": "Tỉnh Gia Lai",
    "45": "Tỉnh Quảng Trị",
}


def report_row(province, grain, start, end, level, agency, counts):
    carried, online, direct, early, on_time, late, within, overdue, _returned = counts
    return {
        "province_code": province,
        "province_name": NAMES[province],
        "period_grain": grain,
        "period_start": start,
        "period_end": end,
        "level": level,
        "section": None,
        "agency_name": agency,
        "received_total": carried + online + direct,
        **dict(zip(COUNT_COLUMNS, counts, strict=True)),
        "resolved_total": early + on_time + late,
        "in_progress_total": within + overdue,
    }


S, D = "Sở Tư pháp", "UBND huyện Lạc Sơn"
# fmt: off
#                  carried online direct early on_time late within overdue returned
REPORTS = [
    # Hòa Bình (legacy 17): three monthly reports of Q1/2024 ...
    ("17", "month", "2024-01-01", "2024-01-31", "province", S, (10, 80, 20, 70, 15, 5, 18, 2, 0)),
    ("17", "month", "2024-01-01", "2024-01-31", "district", D, (5, 40, 60, 50, 30, 10, 14, 1, 0)),
    ("17", "month", "2024-02-01", "2024-02-29", "province", S, (20, 90, 10, 80, 20, 0, 19, 1, 0)),
    ("17", "month", "2024-02-01", "2024-02-29", "district", D, (15, 50, 50, 60, 30, 5, 18, 2, 0)),
    ("17", "month", "2024-03-01", "2024-03-31", "province", S, (20, 100, 0, 90, 10, 0, 17, 3, 0)),
    ("17", "month", "2024-03-01", "2024-03-31", "district", D, (20, 60, 40, 70, 20, 10, 19, 0, 1)),
    # ... and a quarterly report of the same quarter, which must not be added to them
    ("17", "quarter", "2024-01-01", "2024-03-31", "province", S, (10, 999, 1, 990, 0, 0, 20, 0, 0)),
    # Q2/2024: only April as a month, and a quarterly report: the report wins
    ("17", "month", "2024-04-01", "2024-04-30", "province", S, (20, 50, 50, 80, 10, 0, 30, 0, 0)),
    ("17", "quarter", "2024-04-01", "2024-06-30", "province", S,
     (20, 200, 100, 250, 40, 10, 20, 0, 0)),
    # June 2025, the legacy unit's last month
    ("17", "month", "2025-06-01", "2025-06-30", "province", S, (8, 40, 10, 45, 5, 0, 8, 0, 0)),
    # Vĩnh Phúc (legacy 26, also -> current 25): a quarterly report only
    ("26", "quarter", "2024-01-01", "2024-03-31", "province", S, (0, 30, 70, 60, 20, 10, 10, 0, 0)),
    # Bình Định (legacy 52 -> current Gia Lai 52) and legacy Gia Lai (64 -> 52), June 2024
    ("52", "month", "2024-06-01", "2024-06-30", "province", S, (0, 60, 40, 90, 0, 0, 10, 0, 0)),
    ("64", "month", "2024-06-01", "2024-06-30", "province", S, (0, 10, 90, 100, 0, 0, 0, 0, 0)),
    # Triệu Sơn (a commune of legacy Quảng Trị 45), January-June 2025: its 2025 plan's year ends
    # with the legacy era after six months, all on time and half online
    *[
        ("45", "month", f"2025-0{m}-01", f"2025-0{m}-{days}", "commune", "UBND xã Triệu Sơn",
         (0, 5, 5, 4, 6, 0, 0, 0, 0))
        for m, days in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30))
    ],
]
# fmt: on


def dossier(province, number, agency, level, received, due, resolved, **flags):
    defaults = {
        "channel": "online",
        "online_level": "partial",
        "status": "resolved" if resolved else "processing",
        "field": "Lý lịch tư pháp",
        "dd": False,
        "rd": False,
        "e": False,
        "reuse": False,
        "fee": False,
        "amount": 0,
        "paid": False,
    }
    f = {**defaults, **flags}
    return {
        "dossier_id": f"{province}.{number:04d}",
        "province_code": province,
        "province_name": NAMES[province],
        "agency_code": f"{province}.{agency[:3]}",
        "agency_name": agency,
        "agency_level": level,
        "commune_code": None,
        "procedure_code": "1.000001",
        "procedure_field": f["field"],
        "channel": f["channel"],
        "online_level": f["online_level"] if f["channel"] == "online" else "none",
        "received_at": datetime.fromisoformat(received),
        "due_at": datetime.fromisoformat(due),
        "resolved_at": datetime.fromisoformat(resolved) if resolved else None,
        "status": f["status"],
        "dossier_digitized": f["dd"],
        "result_digitized": f["rd"],
        "e_result_issued": f["e"],
        "data_reused": f["reuse"],
        "fee_required": f["fee"],
        "paid_online": f["paid"],
        "fee_amount_vnd": f["amount"],
    }


C = "UBND phường Việt Trì"
# fmt: off
DOSSIERS = [
    # current Phú Thọ (25), July-August 2025, no report: the flow comes from these records
    dossier("25", 1, S, "province", "2025-07-01 08:00", "2025-07-10 17:00", "2025-07-05 10:00",
            online_level="full", dd=True, rd=True, e=True, reuse=True, fee=True, amount=50_000,
            paid=True),
    dossier("25", 2, S, "province", "2025-07-02 08:00", "2025-07-10 17:00", "2025-07-10 09:00",
            dd=True, fee=True, amount=50_000),
    dossier("25", 3, S, "province", "2025-07-03 08:00", "2025-07-08 17:00", "2025-07-09 09:00",
            channel="direct", field="Chứng thực", rd=True, e=True, reuse=True),
    dossier("25", 4, S, "province", "2025-07-20 08:00", "2025-08-15 17:00", None,
            channel="postal", field="Đất đai", dd=True, fee=True, amount=100_000, paid=True),
    dossier("25", 5, C, "commune", "2025-07-05 08:00", "2025-07-25 17:00", "2025-08-03 09:00",
            online_level="full", field="Hộ tịch", dd=True, rd=True, e=True),
    dossier("25", 6, C, "commune", "2025-07-06 08:00", "2025-07-10 17:00", "2025-07-08 09:00",
            channel="direct", field="Hộ tịch", status="returned"),
    dossier("25", 7, C, "commune", "2025-08-02 08:00", "2025-08-20 17:00", "2025-08-19 09:00",
            field="Đất đai", dd=True, rd=True, e=True, reuse=True),
    # Bình Định (legacy 52), June 2024: one of two results electronic, no fees
    dossier("52", 1, S, "province", "2024-06-03 08:00", "2024-06-10 17:00", "2024-06-05 09:00",
            e=True),
    dossier("52", 2, S, "province", "2024-06-04 08:00", "2024-06-10 17:00", "2024-06-06 09:00"),
    # Gia Lai today (52), July 2025: a fee-bearing dossier paid online, no payment transactions
    # loaded: its online_payment_rate counts dossiers while Phú Thọ's counts transactions
    {
        **dossier("52", 3, S, "province", "2025-07-10 08:00", "2025-07-20 17:00",
                  "2025-07-15 09:00", fee=True, amount=20_000, paid=True),
        "province_name": "Tỉnh Gia Lai",
    },
]
# fmt: on
PAYMENTS = [
    ("t1", "25.0001", 50_000, "online", "success", "2025-07-01 09:00"),
    ("t2", "25.0002", 50_000, "online", "failed", "2025-07-02 09:00"),
    ("t3", "25.0002", 50_000, "offline", "success", "2025-07-02 10:00"),
    ("t4", "25.0004", 100_000, "online", "success", "2025-07-20 09:00"),
]
PROCEDURES = [  # snapshot of 1 July 2025: (code, capability, fee, online payment, integrated)
    ("1.000001", "full", True, True, True),
    ("1.000002", "partial", True, False, True),
    ("1.000003", "none", False, False, False),
    ("1.000004", "full", False, False, True),
]
SATISFACTION = [
    ("25.Sở", S, "Lý lịch tư pháp", 10, 9),
    ("25.UBN", C, "Đất đai", 10, 7),
]
# The one-row-per-response export (score 1-5; 4 and 5 are satisfied): July repeats the
# aggregated Sở Tư pháp row (which stays in force: counted once), October has no aggregated row.
SATISFACTION_RESPONSES = [
    ("R1", S, "Lý lịch tư pháp", datetime(2025, 7, 3, 9), 5),
    ("R2", S, "Lý lịch tư pháp", datetime(2025, 7, 4, 9), 1),
    ("R3", S, "Lý lịch tư pháp", datetime(2025, 10, 2, 9), 5),
    ("R4", S, "Lý lịch tư pháp", datetime(2025, 10, 3, 9), 4),
    ("R5", S, "Lý lịch tư pháp", datetime(2025, 10, 4, 9), 3),
    ("R6", C, "Đất đai", datetime(2025, 10, 31, 23, 59), 4),
]


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("dbt_kpis")
    database = root / "warehouse.duckdb"
    with duckdb.connect(str(database)) as con:
        create_raw_tables(con)
        rows = [
            report_row(p, g, date.fromisoformat(s), date.fromisoformat(e), lvl, a, c)
            for p, g, s, e, lvl, a, c in REPORTS
        ]
        files: dict[tuple, list[dict]] = {}  # one report file per province and period
        for row in rows:
            files.setdefault((row["province_code"], row["period_start"]), []).append(row)
        for seq, file_rows in enumerate(files.values(), start=1):
            insert_rows(con, "portal_report", file_rows, load_seq=seq)
        insert_rows(con, "dossiers", DOSSIERS, load_seq=100)
        insert_rows(
            con,
            "payments",
            [
                {
                    "transaction_id": t,
                    "dossier_id": d,
                    "province_code": "25",
                    "amount_vnd": amount,
                    "channel": channel,
                    "status": status,
                    "paid_at": datetime.fromisoformat(paid),
                }
                for t, d, amount, channel, status, paid in PAYMENTS
            ],
            load_seq=101,
        )
        insert_rows(
            con,
            "procedures",
            [
                {
                    "province_code": "25",
                    "procedure_code": code,
                    "procedure_name": code,
                    "procedure_field": "Lý lịch tư pháp",
                    "authority_level": "province",
                    "online_capability": capability,
                    "fee_required": fee,
                    "online_payment_enabled": pay,
                    "national_portal_integrated": integrated,
                }
                for code, capability, fee, pay, integrated in PROCEDURES
            ],
            load_seq=102,
            source_file="procedures_2025-07-01.csv",
        )
        insert_rows(
            con,
            "satisfaction",
            [
                {
                    "province_code": "25",
                    "agency_code": code,
                    "agency_name": name,
                    "procedure_field": field,
                    "period_start": date(2025, 7, 1),
                    "responses": responses,
                    "satisfied_responses": satisfied,
                }
                for code, name, field, responses, satisfied in SATISFACTION
            ],
            load_seq=103,
        )
        insert_rows(
            con,
            "satisfaction_responses",
            [
                {
                    "response_id": response_id,
                    "province_code": "25",
                    "dossier_id": None,
                    "agency_code": None,
                    "agency_name": name,
                    "procedure_field": field,
                    "rated_at": rated_at,
                    "score": score,
                }
                for response_id, name, field, rated_at, score in SATISFACTION_RESPONSES
            ],
            load_seq=104,
        )
    success, failures, _ = dbt_build(database, root / "target")
    yield success, failures, database
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def sql(warehouse):
    _, _, database = warehouse
    con = duckdb.connect(str(database), read_only=True)
    yield lambda query, params=None: con.execute(query, params or []).fetchall()
    con.close()


def kpis(sql, grain, start, province, basis="reported", level="all", agency=None):
    rows = sql(
        "select kpi_code, numerator, denominator, round(value_pct, 4) from marts.fct_kpi "
        "where period_grain = ? and period_start = ?::date and province_code = ? "
        "and unit_basis = ? and level = ? and agency_code is not distinct from ? "
        "and procedure_field is null",
        [grain, start, province, basis, level, agency],
    )
    return {code: (num, den, value) for code, num, den, value in rows}


def test_the_fixture_builds_and_every_dbt_test_passes(warehouse) -> None:
    success, failures, _ = warehouse
    assert failures == []
    assert success


def test_each_kpi_formula_on_a_hand_computed_month(sql) -> None:
    # Phú Thọ (25), July 2025, dossiers 1-6 received, 1-3 resolved (early, on time, late),
    # 6 returned, 4 open within due, 5 open and overdue (due 25 July).
    assert kpis(sql, "month", "2025-07-01", "25") == {
        "online_dossier_rate": (3, 6, 50.0),  # online 1, 2, 5 / new 1-6
        "full_online_dossier_rate": (2, 6, 33.3333),  # full online 1, 5
        "on_time_rate": (2, 3, 66.6667),  # early 1 + on time 2 / resolved 1, 2, 3
        "progress_on_time_rate": (3, 5, 60.0),  # 1, 2 + open within due 4 / 3 resolved + 2 open
        "overdue_open_rate": (1, 2, 50.0),  # 5 / open 4, 5
        "digitization_rate": (2, 6, 33.3333),  # documents and result: 1, 5
        "dossier_digitization_rate": (4, 6, 66.6667),  # 1, 2, 4, 5
        "result_digitization_rate": (2, 3, 66.6667),  # resolved in July with result digitized: 1, 3
        "e_result_rate": (2, 3, 66.6667),  # 1, 3
        "data_reuse_rate": (2, 6, 33.3333),  # 1, 3
        "online_payment_rate": (2, 3, 66.6667),  # successful online t1, t4 / successful t1, t3, t4
        "online_payment_dossier_rate": (2, 3, 66.6667),  # fee-bearing 1, 2, 4; paid online 1, 4
        "online_payment_procedure_rate": (1, 2, 50.0),  # fee-bearing 1.000001, 1.000002
        "online_service_procedure_rate": (3, 4, 75.0),  # full, partial, full of four
        "national_portal_integration_rate": (3, 4, 75.0),
        "satisfaction_rate": (16, 20, 80.0),  # 9 + 7 of 10 + 10
        "satisfaction_rate_land_construction_investment": (7, 10, 70.0),  # Đất đai only
    }
    # August: carried over 4, 5; received 7; resolved 5 (late), 7 (early); 4 open, now overdue
    august = kpis(sql, "month", "2025-08-01", "25")
    assert august["online_dossier_rate"] == (1, 1, 100.0)
    assert august["on_time_rate"] == (1, 2, 50.0)
    assert august["overdue_open_rate"] == (1, 1, 100.0)
    (flow,) = sql(
        "select received_total, carried_over, resolved_total, in_progress_total, "
        "returned_withdrawn, count_source from marts.fct_dossier_flow where count_source = "
        "'dossiers' and province_code = '25' and period_start = '2025-08-01' "
        "and agency_code = 'current/25/ubnd-phuong-viet-tri'"
    )
    assert flow == (2, 1, 2, 0, 0, "dossiers")  # 5 carried + 7 new; both resolved


def test_satisfaction_counts_a_per_response_export_once(sql) -> None:
    # July: the aggregated rows are in force (the two July responses are not added to them)
    assert kpis(sql, "month", "2025-07-01", "25")["satisfaction_rate"] == (16, 20, 80.0)
    # October, responses only: scores 5, 4, 3 and 4 -> 3 satisfied of 4; Đất đai: 1 of 1
    october = kpis(sql, "month", "2025-10-01", "25")
    assert october["satisfaction_rate"] == (3, 4, 75.0)
    assert october["satisfaction_rate_land_construction_investment"] == (1, 1, 100.0)


def test_a_composed_quarter_takes_stocks_from_its_first_and_last_month(sql) -> None:
    # Q3/2025 from July + August (September missing: incomplete): flows add, carried over is
    # July's (0), in progress August's (4, overdue) — not the sum of both months' stocks.
    q3 = kpis(sql, "quarter", "2025-07-01", "25")
    assert q3["online_dossier_rate"] == (4, 7, 57.1429)
    assert q3["on_time_rate"] == (3, 5, 60.0)
    assert q3["progress_on_time_rate"] == (3, 6, 50.0)
    assert q3["overdue_open_rate"] == (1, 1, 100.0)
    ((months, complete),) = sql(
        "select distinct months_covered, is_complete from marts.fct_kpi where "
        "period_grain = 'quarter' and period_start = '2025-07-01' and province_code = '25' "
        "and kpi_code = 'on_time_rate'"
    )
    assert (months, complete) == (2, False)


def test_a_quarter_is_built_from_its_months_when_all_exist_never_with_the_quarterly_report(
    sql,
) -> None:
    # Hòa Bình Q1/2024 = January + February + March (the quarterly report's 999 is ignored)
    q1 = kpis(sql, "quarter", "2024-01-01", "17")
    assert q1["online_dossier_rate"] == (420, 600, 70.0)
    assert q1["on_time_rate"] == (545, 575, 94.7826)  # (420 + 125) / (420 + 125 + 30)
    assert q1["overdue_open_rate"] == (3, 39, 7.6923)  # March's 3 of 17 + 19 + 3 + 0
    assert q1["progress_on_time_rate"] == (581, 614, 94.6254)  # 420 + 125 + 36 / 575 + 39
    # Q2/2024: April alone does not make the quarter; the quarterly report does
    assert kpis(sql, "quarter", "2024-04-01", "17")["online_dossier_rate"] == (200, 300, 66.6667)
    # Vĩnh Phúc Q1/2024 has only a quarterly report
    assert kpis(sql, "quarter", "2024-01-01", "26")["online_dossier_rate"] == (30, 100, 30.0)
    # the year so far: Q1 from months + Q2 from the report
    assert kpis(sql, "year", "2024-01-01", "17")["online_dossier_rate"] == (620, 900, 68.8889)
    (used,) = sql(
        "select count(*) filter (where used_in_kpi) from marts.fct_dossier_flow "
        "where province_code = '17' and period_grain = 'quarter'"
    )
    assert used == (1,)  # the Q2 report only


def test_roll_ups_re_aggregate_counts(sql) -> None:
    # every agency -> level -> province -> nation roll-up equals the sum of the rows below it
    keys = "kpi_code, period_grain, period_start, unit_basis"
    checks = {
        "levels add up to the province": f"""
            select {keys}, p.province_code, p.numerator, p.denominator
            from marts.fct_kpi p
            join marts.fct_kpi l using ({keys}, province_code)
            where p.level = 'all' and p.procedure_field is null and l.level <> 'all'
              and l.agency_code is null and p.kpi_code in ('online_dossier_rate',
              'on_time_rate', 'overdue_open_rate', 'e_result_rate', 'satisfaction_rate')
            group by {keys}, p.province_code, p.numerator, p.denominator
            having sum(l.numerator) <> p.numerator or sum(l.denominator) <> p.denominator
        """,
        "agencies add up to their level": f"""
            select {keys}, l.province_code, l.level, l.numerator, l.denominator
            from marts.fct_kpi l
            join marts.fct_kpi a using ({keys}, province_code, level)
            where l.agency_code is null and a.agency_code is not null
              and l.procedure_field is null and l.level <> 'all'
              and l.kpi_code in ('online_dossier_rate', 'on_time_rate', 'overdue_open_rate',
              'e_result_rate', 'satisfaction_rate', 'digitization_rate')
            group by {keys}, l.province_code, l.level, l.numerator, l.denominator
            having sum(a.numerator) <> l.numerator or sum(a.denominator) <> l.denominator
        """,
        "provinces add up to the nation": f"""
            select {keys}, n.numerator, n.denominator
            from marts.fct_kpi n
            join marts.fct_kpi p using ({keys}, level)
            where n.province_code = 'VN' and p.province_code <> 'VN' and n.level = 'all'
              and n.procedure_field is null and p.procedure_field is null
              and p.agency_code is null
            group by {keys}, n.numerator, n.denominator
            having sum(p.numerator) <> n.numerator or sum(p.denominator) <> n.denominator
        """,
    }
    for name, query in checks.items():
        assert sql(query) == [], name
    # and ratios are taken last: Q1/2024 Hòa Bình is not the mean of its months' rates
    # (months 165/180, 190/195, 190/200: mean 94.70 %; the quarter 545/575 = 94.78 %)
    months = [kpis(sql, "month", f"2024-0{m}-01", "17")["on_time_rate"][2] for m in (1, 2, 3)]
    assert round(sum(months) / 3, 2) == 94.70
    assert kpis(sql, "quarter", "2024-01-01", "17")["on_time_rate"][2] == 94.7826


def test_legacy_provinces_roll_up_to_their_successor_counting_each_dossier_once(sql) -> None:
    # current Phú Thọ Q1/2024 = Hòa Bình (months) + Vĩnh Phúc (quarterly report), once each
    assert kpis(sql, "quarter", "2024-01-01", "25", basis="current")["online_dossier_rate"] == (
        450,
        700,
        64.2857,
    )
    # the nation is the same on both bases for any month and quarter
    differing = sql(
        """
        select r.kpi_code, r.period_grain, r.period_start
        from marts.fct_kpi r
        join marts.fct_kpi c using (kpi_code, period_grain, period_start, level)
        where r.province_code = 'VN' and c.province_code = 'VN' and r.unit_basis = 'reported'
          and c.unit_basis = 'current' and r.period_grain in ('month', 'quarter')
          and r.level = 'all' and r.procedure_field is null and c.procedure_field is null
          and (r.numerator <> c.numerator or r.denominator <> c.denominator)
        """
    )
    assert differing == []
    # 2025 across the restructuring: Hòa Bình's June + Phú Thọ's July-August; in progress at
    # the year's end is Phú Thọ's August (1 overdue), not Hòa Bình's June stock added to it
    year = kpis(sql, "year", "2025-01-01", "25", basis="current")
    assert year["online_dossier_rate"] == (44, 57, 77.193)  # 40 + 4 / 50 + 7
    assert year["on_time_rate"] == (53, 55, 96.3636)
    assert year["overdue_open_rate"] == (1, 1, 100.0)
    # on the reported basis the legacy unit's 2025 ends on 30 June
    assert sql(
        "select distinct period_end from marts.fct_kpi where unit_basis = 'reported' "
        "and province_code = '17' and period_grain = 'year' and period_start = '2025-01-01'"
    ) == [(date(2025, 6, 30),)]
    # Gia Lai today (52) in 2024 = legacy Bình Định (52) + legacy Gia Lai (64)
    assert kpis(sql, "year", "2024-01-01", "52", basis="current")["online_dossier_rate"] == (
        70,
        200,
        35.0,
    )


def test_target_attainment_judges_only_a_complete_year(sql) -> None:
    # Data end in October 2025. No unit here has a complete year, so nothing is met or missed:
    # met / not met on complete years is the dbt unit test fct_target_attainment_judges_only_a_
    # complete_year (dbt_project/models/marts/_marts_unit_tests.yml).
    rows = sql(
        "select plan_unit, kpi_code, applies_to_level, province_code, era, actual_pct, status, "
        "round(gap_pp, 4), months_covered, no_data_reason is not null "
        "from marts.fct_target_attainment "
        "where plan_unit in ('Bình Định', 'Lâm Đồng') and applies_to_level = 'all' "
        "and kpi_code in ('online_dossier_rate', 'e_result_rate', 'online_payment_rate') "
        "order by plan_unit, kpi_code"
    )
    # fmt: off
    assert rows == [
        # legacy Bình Định 2024 (judged as Bình Định, not Gia Lai today at 35 %): June only,
        # 60 online of 100 new, 5 points above the target of 55: not a year's result
        ("Bình Định", "e_result_rate", "all", "52", "legacy", 50.0, "incomplete", -50.0, 1, False),
        ("Bình Định", "online_dossier_rate", "all", "52", "legacy", 60.0, "incomplete", 5.0, 1,
         False),
        # no payment transactions and no fee-bearing dossiers: no data
        ("Bình Định", "online_payment_rate", "all", "52", "legacy", None, "no_data", None, None,
         True),
        ("Lâm Đồng", "online_dossier_rate", "all", "68", "legacy", None, "no_data", None, None,
         True),
        ("Lâm Đồng", "online_payment_rate", "all", "68", "legacy", None, "no_data", None, None,
         True),
    ]
    # fmt: on
    # Triệu Sơn's 2025 targets: the commune's legacy 2025 ended on 30 June with six months, all
    # on time (60 of 60 >= 99 %) and half online (30 of 60 >= 50 %): incomplete, never met
    rows = sql(
        "select kpi_code, numerator, denominator, status, months_covered, covered_from, "
        "covered_to, data_loaded_until from marts.fct_target_attainment "
        "where plan_unit = 'Triệu Sơn' and plan_year = 2025 "
        "and kpi_code in ('on_time_rate', 'online_dossier_rate') order by kpi_code"
    )
    covered = (6, date(2025, 1, 1), date(2025, 6, 30), date(2025, 10, 31))
    assert rows == [
        ("on_time_rate", 60, 60, "incomplete", *covered),
        ("online_dossier_rate", 30, 60, "incomplete", *covered),
    ]
    assert sql(
        "select count(*) from marts.fct_target_attainment "
        "where status in ('met', 'not_met') and target_kind is null"
    ) == [(0,)]
    (count,) = sql("select count(*) from marts.fct_target_attainment where target_kind is null")
    assert count == (38,)  # every row of plan_targets.csv
    (count,) = sql("select count(*) from marts.fct_target_attainment where target_kind = 'rank'")
    assert count == (9,)  # every rank target of seeds/ref_plan_rank_targets.csv (seeds 001, 002)


def units(sql, grain, start, province, basis, kpi="on_time_rate", level="all"):
    return sql(
        "select units_reporting, units_expected, is_complete from marts.fct_kpi "
        "where kpi_code = ? and period_grain = ? and period_start = ?::date "
        "and province_code = ? and unit_basis = ? and level = ? and agency_code is null "
        "and procedure_field is null",
        [kpi, grain, start, province, basis, level],
    )


def test_a_roll_up_names_who_reported_and_is_complete_only_when_all_did(sql) -> None:
    # current Phú Thọ (25) = Hoà Bình 17 + Phú Thọ 25 + Vĩnh Phúc 26 (legacy)
    # Q2/2024: Hoà Bình's quarterly report only (legacy Phú Thọ and Vĩnh Phúc sent nothing):
    # a whole quarter of one predecessor of three is not a complete province
    assert sql(
        "select is_complete from marts.fct_kpi where kpi_code = 'on_time_rate' "
        "and period_grain = 'quarter' and period_start = '2024-04-01' and province_code = '25' "
        "and unit_basis = 'current' and level = 'all' and procedure_field is null"
    ) == [(False,)]
    assert units(sql, "quarter", "2024-04-01", "25", "current") == [(1, 3, False)]
    # Q1/2024: Hoà Bình's three months and Vĩnh Phúc's quarterly report; its level rows too
    assert units(sql, "quarter", "2024-01-01", "25", "current") == [(2, 3, False)]
    assert units(sql, "quarter", "2024-01-01", "25", "current", level="province") == [(2, 3, False)]
    # as reported, Hoà Bình's Q1 is whole
    assert units(sql, "quarter", "2024-01-01", "17", "reported") == [(1, 1, True)]
    # Gia Lai today (52) in June 2024 = legacy Bình Định 52 + legacy Gia Lai 64, both reported
    assert units(sql, "month", "2024-06-01", "52", "current", "online_dossier_rate") == [
        (2, 2, True)
    ]
    # the nation in June 2024: 2 of the 63 provinces of the time
    assert units(sql, "month", "2024-06-01", "VN", "reported", "online_dossier_rate") == [
        (2, 63, False)
    ]
    # 2025 on the current basis: three predecessors (January-June) and Phú Thọ itself
    # (July-October of twelve): none whole
    assert units(sql, "year", "2025-01-01", "25", "current") == [(0, 4, False)]
    # a KPI counts the units that have its source: satisfaction in July 2025 only in Phú Thọ
    assert units(sql, "month", "2025-07-01", "VN", "current", "satisfaction_rate") == [
        (1, 34, False)
    ]
    # agency rows keep their own months; units are for roll-ups
    assert sql(
        "select count(*) from marts.fct_kpi where agency_code is not null "
        "and (units_reporting is not null or units_expected is not null)"
    ) == [(0,)]


def test_online_payment_rate_names_both_sources_where_a_roll_up_mixes_them(sql) -> None:
    rows = sql(
        "select province_code, count_source, numerator, denominator from marts.fct_kpi "
        "where kpi_code = 'online_payment_rate' and period_grain = 'month' "
        "and period_start = '2025-07-01' and unit_basis = 'current' and level = 'all' "
        "and agency_code is null and procedure_field is null order by province_code"
    )
    assert rows == [
        ("25", "payments", 2, 3),  # transactions: successful online t1, t4 of t1, t3, t4
        ("52", "dossiers", 1, 1),  # no transactions: the fee-bearing dossier paid online
        ("VN", "payments+dossiers", 3, 4),  # the nation adds both kinds of count
    ]
    # Phú Thọ's quarter has transactions in July only: one source
    assert sql(
        "select distinct count_source from marts.fct_kpi where kpi_code = 'online_payment_rate' "
        "and province_code = '25' and period_grain = 'quarter'"
    ) == [("payments",)]


def test_the_766_index_on_a_hand_computed_month(sql) -> None:
    rows = sql(
        "select group_code, max_points, round(points, 3), computed from marts.fct_service_index "
        "where unit_basis = 'reported' and province_code = '25' and period_start = '2025-07-01' "
        "order by group_code"
    )
    assert rows == [
        # e-result 6 x 2/3 = 4; both digitized 4 x 1/3 = 1.333; reuse 2 x (33.3/80) = 0.833;
        # documents 5 x 2/3 = 3.333; results 5 x 2/3 = 3.333
        ("digitization", 22.0, 12.833, True),
        ("online_payment", 10.0, 6.0, True),  # dossiers 6 x 2/3 = 4; procedures 4 x 1/2 = 2
        ("online_service", 12.0, 11.625, True),  # 6 x min(50/50, 1) + 6 x 75/80
        ("progress", 20.0, 12.0, True),  # 20 x 60 %
        ("satisfaction", 18.0, 14.4, True),  # 18 x 80 %
        ("total", 100.0, 56.858, False),  # transparency cannot be computed
        ("transparency", 18.0, None, False),
    ]
    ((normalized, band, reason),) = sql(
        "select round(points_normalized, 2), band, not_computed_reason from "
        "marts.fct_service_index where unit_basis = 'reported' and province_code = '25' "
        "and period_start = '2025-07-01' and group_code = 'total'"
    )
    # 56.858 of the 82 points that could be computed: no band (normalized it would read 69.34,
    # "average"; a sum out of 82 is not a score out of 100)
    assert (normalized, band) == (69.34, None)
    assert "transparency" in reason
    ((computable, basis),) = sql(
        "select computed_max_points, band_basis from marts.fct_service_index "
        "where unit_basis = 'reported' and province_code = '25' "
        "and period_start = '2025-07-01' and group_code = 'total'"
    )
    assert computable == 82.0
    assert basis.startswith("no band")
    assert sql(
        "select count(*) from marts.fct_service_index where band is not null and not computed"
    ) == [(0,)]
    # August has no satisfaction survey: that group is not computed, never invented
    ((computed, points, why),) = sql(
        "select computed, points, not_computed_reason from marts.fct_service_index where "
        "unit_basis = 'reported' and province_code = '25' and period_start = '2025-08-01' "
        "and group_code = 'satisfaction'"
    )
    assert (computed, points) == (False, None)
    assert "satisfaction_rate" in why


def test_reconciliation_shows_which_source_differs(sql) -> None:
    rows = sql(
        "select bucket, report_value, dossier_value, difference, status "
        "from marts.fct_reconciliation where province_code = '52' and period_start = '2024-06-01' "
        "and bucket in ('received_online', 'resolved_early') order by bucket"
    )
    assert rows == [
        ("received_online", 60, 2, 58, "mismatch"),
        ("resolved_early", 90, 2, 88, "mismatch"),
    ]
