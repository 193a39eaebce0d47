"""A small serving.duckdb with the tables and columns of docs/marts.md and hand-known values.

The dashboard tests and the browser smoke test read this file instead of a pipeline build, so they
run in a second and their expected values are known by construction:

- legacy era (before 2025-07-01, `unit_basis` reported): Hà Nội 01, Hoà Bình 17, Phú Thọ 25,
  Vĩnh Phúc 26, Tây Ninh 72, Long An 80; current era: Hà Nội 01, Phú Thọ 25 (= Hoà Bình + Phú Thọ
  + Vĩnh Phúc), Tây Ninh 80 (= Tây Ninh 72 + Long An 80: the reused code trap).
- months April to September 2025, quarters Q2 and Q3 2025, built from agency-level counts the
  same way dbt rolls them up (counts added first, the ratio last; a zero denominator is null).
- `HAND_KNOWN` values the tests quote literally.

`python -m tests.fixtures_serving PATH` writes one for manual runs and the page benchmark.
"""

from __future__ import annotations

import csv
import random
import sys
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from pipelines.lib.publish import write_report_periods

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "dbt_project" / "seeds"

KPIS: list[tuple[str, str, str, str, str | None]] = [
    # code, name_vi, name_en, direction, index group
    (
        "online_dossier_rate",
        "Tỷ lệ hồ sơ trực tuyến",
        "Online dossier rate",
        "higher_is_better",
        "online_service",
    ),
    (
        "full_online_dossier_rate",
        "Tỷ lệ hồ sơ trực tuyến toàn trình",
        "Full online dossier rate",
        "higher_is_better",
        None,
    ),
    (
        "on_time_rate",
        "Tỷ lệ giải quyết đúng hạn",
        "On-time resolution rate",
        "higher_is_better",
        None,
    ),
    (
        "progress_on_time_rate",
        "Tiến độ giải quyết (QĐ 766)",
        "Resolution progress (Decision 766 basis)",
        "higher_is_better",
        "progress",
    ),
    (
        "overdue_open_rate",
        "Tỷ lệ hồ sơ đang giải quyết quá hạn",
        "Overdue open dossier rate",
        "lower_is_better",
        None,
    ),
    (
        "digitization_rate",
        "Tỷ lệ số hóa hồ sơ, kết quả",
        "Dossier and result digitization rate",
        "higher_is_better",
        "digitization",
    ),
    (
        "dossier_digitization_rate",
        "Tỷ lệ số hóa thành phần hồ sơ",
        "Dossier digitization rate",
        "higher_is_better",
        None,
    ),
    (
        "result_digitization_rate",
        "Tỷ lệ số hóa kết quả",
        "Result digitization rate",
        "higher_is_better",
        None,
    ),
    (
        "e_result_rate",
        "Tỷ lệ cấp kết quả điện tử",
        "Electronic result rate",
        "higher_is_better",
        "digitization",
    ),
    (
        "data_reuse_rate",
        "Tỷ lệ khai thác, tái sử dụng dữ liệu",
        "Data reuse rate",
        "higher_is_better",
        "digitization",
    ),
    (
        "online_payment_rate",
        "Tỷ lệ giao dịch thanh toán trực tuyến",
        "Online payment rate",
        "higher_is_better",
        None,
    ),
    (
        "online_payment_dossier_rate",
        "Tỷ lệ hồ sơ thanh toán trực tuyến (QĐ 766)",
        "Online payment dossier rate (Decision 766)",
        "higher_is_better",
        "online_payment",
    ),
    (
        "online_payment_procedure_rate",
        "Tỷ lệ TTHC có thanh toán trực tuyến",
        "Procedures with online payment",
        "higher_is_better",
        None,
    ),
    (
        "online_service_procedure_rate",
        "Tỷ lệ TTHC cung cấp DVC trực tuyến",
        "Procedures offered online",
        "higher_is_better",
        "online_service",
    ),
    (
        "national_portal_integration_rate",
        "Tỷ lệ TTHC tích hợp Cổng DVCQG",
        "Procedures on the national portal",
        "higher_is_better",
        None,
    ),
    (
        "satisfaction_rate",
        "Mức độ hài lòng",
        "Satisfaction rate",
        "higher_is_better",
        "satisfaction",
    ),
    (
        "satisfaction_rate_land_construction_investment",
        "Hài lòng lĩnh vực đất đai, xây dựng, đầu tư",
        "Satisfaction: land, construction, investment",
        "higher_is_better",
        None,
    ),
]
KPI_CODES = [k[0] for k in KPIS]

MONTHS = [date(2025, m, 1) for m in range(4, 10)]
MERGER = date(2025, 7, 1)
LEGACY = {
    "01": "Thành phố Hà Nội",
    "17": "Tỉnh Hoà Bình",
    "25": "Tỉnh Phú Thọ",
    "26": "Tỉnh Vĩnh Phúc",
    "72": "Tỉnh Tây Ninh",
    "80": "Tỉnh Long An",
}
CURRENT = {"01": "Thành phố Hà Nội", "25": "Tỉnh Phú Thọ", "80": "Tỉnh Tây Ninh"}
SUCCESSOR = {"01": "01", "17": "25", "25": "25", "26": "25", "72": "80", "80": "80"}
FIELDS = ["Đất đai", "Hộ tịch"]
TOPIC_KPIS = {
    "online_dossier_rate",
    "digitization_rate",
    "e_result_rate",
    "online_payment_dossier_rate",
    "online_payment_rate",
    "data_reuse_rate",
}
PUBLISHED_AT = datetime(2025, 10, 5, 7, 30)

# Values the tests quote literally (all hand-set below, then rolled up).
HAND_KNOWN = {
    # Hoà Bình, June 2025, online dossier rate: its two province-level agencies 30.000/31.000 and
    # 42.901/46.354 → 72.901 / 77.354 = 94,24 %, the agencies of its other levels add nothing.
    "hoa_binh_june_online": (72_901, 77_354),
    # Long An never reported payments: online_payment_rate has a zero denominator → no data.
    "long_an_no_payment_kpi": "online_payment_rate",
}


def _month_end(start: date) -> date:
    nxt = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
    return date.fromordinal(nxt.toordinal() - 1)


def _levels(era: str) -> list[str]:
    return ["province", "district", "commune"] if era == "legacy" else ["province", "commune"]


def _agency_rows() -> tuple[list[dict], list[dict]]:
    """Agency-level counts per KPI and month (procedure_field null) and field rows."""
    rng = random.Random(20251005)
    agencies: list[dict] = []
    rows: list[dict] = []
    for month in MONTHS:
        era = "legacy" if month < MERGER else "current"
        provinces = LEGACY if era == "legacy" else CURRENT
        for code, name in provinces.items():
            for level in _levels(era):
                for n in (1, 2):
                    agency = f"{era[0].upper()}{code}-{level[0].upper()}{n}"
                    if month in (MONTHS[0], MERGER):
                        agencies.append(
                            {
                                "agency_code": agency,
                                "agency_name": f"{AGENCY_KIND[level]} {n} – "
                                f"{name.removeprefix('Tỉnh ')}",
                                "province_code": code,
                                "era": era,
                                "level": level,
                            }
                        )
                    for kpi in KPI_CODES:
                        den = rng.randint(200, 2000)
                        rate = rng.uniform(0.55, 0.99)
                        if kpi == "overdue_open_rate":
                            rate = rng.uniform(0.0, 0.08)
                        if era == "legacy" and code == "80" and kpi == "online_payment_rate":
                            den = 0
                        if (
                            kpi == "online_dossier_rate"
                            and code == "17"
                            and month == date(2025, 6, 1)
                        ):
                            den, num = {
                                ("province", 1): (31_000, 30_000),
                                ("province", 2): (46_354, 42_901),
                            }.get((level, n), (0, 0))
                        else:
                            num = round(den * rate)
                        rows.append(
                            {
                                "kpi_code": kpi,
                                "period_start": month,
                                "era": era,
                                "province_code": code,
                                "level": level,
                                "agency_code": agency,
                                "procedure_field": None,
                                "numerator": num,
                                "denominator": den,
                            }
                        )
                        if kpi in TOPIC_KPIS and level == "province":
                            split = rng.uniform(0.3, 0.7)
                            for i, field in enumerate(FIELDS):
                                share = split if i == 0 else 1 - split
                                rows.append(
                                    {
                                        "kpi_code": kpi,
                                        "period_start": month,
                                        "era": era,
                                        "province_code": code,
                                        "level": level,
                                        "agency_code": agency,
                                        "procedure_field": field,
                                        "numerator": round(num * share),
                                        "denominator": round(den * share),
                                    }
                                )
        # A commune agency of Hà Nội with 4 dossiers a month, none of them on time, online…:
        # 0 % on 4, the case the minimum sample keeps out of rankings (dashboards/lib/sample.py).
        tiny = f"{era[0].upper()}01-C9"
        if month in (MONTHS[0], MERGER):
            agencies.append(
                {
                    "agency_code": tiny,
                    "agency_name": "UBND xã Nhỏ – Hà Nội",
                    "province_code": "01",
                    "era": era,
                    "level": "commune",
                }
            )
        for kpi in KPI_CODES:
            rows.append(
                {
                    "kpi_code": kpi,
                    "period_start": month,
                    "era": era,
                    "province_code": "01",
                    "level": "commune",
                    "agency_code": tiny,
                    "procedure_field": None,
                    "numerator": 0,
                    "denominator": TINY_AGENCY_DENOMINATOR,
                }
            )
    return rows, agencies


AGENCY_KIND = {"province": "Sở", "district": "UBND huyện", "commune": "UBND xã"}
TINY_AGENCY_DENOMINATOR = 4


ROLLUP_SQL = """
create temp table base as
select b.*, s.successor from base_rows b join successors s on s.legacy = b.province_code
    and b.era = 'legacy'
union all
select b.*, b.province_code from base_rows b where b.era = 'current';

-- month grain, both bases, province and level and agency grains, with and without fields
create temp table monthly as
with reported as (
    select 'reported' as unit_basis, kpi_code, period_start, province_code, level, agency_code,
           procedure_field, numerator, denominator
    from base
), current_basis as (
    select 'current', kpi_code, period_start, successor, level, agency_code, procedure_field,
           numerator, denominator
    from base
), agency_grain as (
    select * from reported union all select * from current_basis
), level_grain as (
    select unit_basis, kpi_code, period_start, province_code, level, null as agency_code,
           procedure_field, sum(numerator) as numerator, sum(denominator) as denominator
    from agency_grain group by all
), province_grain as (
    select unit_basis, kpi_code, period_start, province_code, 'all' as level, null,
           procedure_field, sum(numerator), sum(denominator)
    from agency_grain group by all
), nation_grain as (
    select unit_basis, kpi_code, period_start, 'VN' as province_code, level, null,
           procedure_field, sum(numerator), sum(denominator)
    from (select * from level_grain union all select * from province_grain) group by all
)
select * from agency_grain
union all select * from level_grain
union all select * from province_grain
union all select * from nation_grain;

create schema marts;
create table marts.fct_kpi as
with grains as (
    select 'month' as period_grain, period_start,
           (period_start + interval 1 month - interval 1 day)::date as period_end, *
           exclude (period_start)
    from monthly
    union all
    select 'quarter', date_trunc('quarter', period_start)::date,
           (date_trunc('quarter', period_start) + interval 3 month - interval 1 day)::date,
           unit_basis, kpi_code, province_code, level, agency_code, procedure_field,
           sum(numerator), sum(denominator)
    from monthly
    -- a quarter of the reported basis never mixes eras: Q2 is legacy, Q3 current
    group by all
)
select g.kpi_code, g.period_grain, g.period_start::date as period_start,
       g.period_end::date as period_end, g.unit_basis, g.province_code,
       coalesce(p.province_name, 'Toàn quốc') as province_name, g.level, g.agency_code,
       g.procedure_field, g.numerator::bigint as numerator, g.denominator::bigint as denominator,
       case when g.denominator > 0 then round(100.0 * g.numerator / g.denominator, 6) end
           as value_pct
from grains g
left join province_names p
  on p.province_code = g.province_code
 and p.era = case when g.unit_basis = 'current' or g.period_start >= date '2025-07-01'
                  then 'current' else 'legacy' end;
"""


def _dim_province() -> pd.DataFrame:
    crosswalk = list(csv.DictReader((SEEDS / "ref_province_crosswalk.csv").open(encoding="utf-8")))
    current = {r["current_code"]: r for r in crosswalk}
    rows = []
    for r in crosswalk:
        rows.append(
            {
                "province_key": f"legacy-{r['legacy_code']}",
                "province_code": r["legacy_code"],
                "province_name": r["legacy_name"],
                "short_name": r["legacy_name"].removeprefix("Tỉnh ").removeprefix("Thành phố "),
                "era": "legacy",
                "valid_from": date(1900, 1, 1),
                "valid_to": date(2025, 6, 30),
                "successor_code": r["current_code"],
                "successor_name": r["current_name"],
                "dvcqg_code": None,
                "region": None,
            }
        )
    for code, r in sorted(current.items()):
        rows.append(
            {
                "province_key": f"current-{code}",
                "province_code": code,
                "province_name": r["current_name"],
                "short_name": r["current_name"].removeprefix("Tỉnh ").removeprefix("Thành phố "),
                "era": "current",
                "valid_from": MERGER,
                "valid_to": None,
                "successor_code": None,
                "successor_name": None,
                "dvcqg_code": r["current_dvcqg_code"],
                "region": None,
            }
        )
    return pd.DataFrame(rows)


def _service_index(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    groups = [
        ("transparency", "Công khai, minh bạch", "Transparency", 18),
        ("progress", "Tiến độ giải quyết", "Progress", 20),
        ("online_service", "Dịch vụ công trực tuyến", "Online service", 12),
        ("digitization", "Số hóa hồ sơ", "Digitization", 22),
        ("satisfaction", "Mức độ hài lòng", "Satisfaction", 18),
        ("online_payment", "Thanh toán trực tuyến", "Online payment", 10),
    ]
    progress = con.execute(
        "select unit_basis, period_start, province_code, province_name, value_pct "
        "from marts.fct_kpi where kpi_code = 'progress_on_time_rate' and period_grain = 'month' "
        "and level = 'all' and agency_code is null and procedure_field is null"
    ).fetchall()
    rows = []
    for basis, start, code, name, pct in progress:
        total = 0.0
        for i, (group, vi, en, max_points) in enumerate(groups):
            computed = group not in ("transparency", "satisfaction")
            points = None
            if computed:
                points = round(
                    max_points
                    * (
                        pct / 100
                        if group == "progress"
                        else 0.6 + 0.05 * i + (0.1 if code == "01" else 0)
                    ),
                    2,
                )
                points = min(points, max_points)
                total += points
            rows.append(
                {
                    "period_start": start,
                    "unit_basis": basis,
                    "province_code": code,
                    "province_name": name,
                    "group_code": group,
                    "group_name_vi": vi,
                    "group_name_en": en,
                    "max_points": max_points,
                    "points": points,
                    "computed": computed,
                    # worded as marts/fct_service_index.sql words them
                    "not_computed_reason": None
                    if computed
                    else (
                        "no loaded source supports transparency"
                        if group == "transparency"
                        else "no data for satisfaction_rate"
                    ),
                    "band": None,
                    "method_version": "766-2022.1",
                }
            )
        score = round(100 * total / 64, 2)  # share of the 64 computable points
        band = (
            "excellent"
            if score >= 90
            else "good"
            if score >= 80
            else "fair"
            if score >= 70
            else "average"
            if score >= 50
            else "weak"
        )
        rows.append(
            {
                "period_start": start,
                "unit_basis": basis,
                "province_code": code,
                "province_name": name,
                "group_code": "total",
                "group_name_vi": "Tổng điểm",
                "group_name_en": "Total",
                "max_points": 100,
                "points": round(total, 2),
                # as in the mart: the total is computed only when every group is
                "computed": False,
                "not_computed_reason": "groups not computed: satisfaction, transparency",
                "band": band,
                "method_version": "766-2022.1",
            }
        )
    return pd.DataFrame(rows)


def build_serving_db(path: Path) -> Path:
    """Write a serving.duckdb with every docs/marts.md table; returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    rows, agencies = _agency_rows()
    base_rows = pd.DataFrame(rows)
    successors = pd.DataFrame({"legacy": list(SUCCESSOR), "successor": list(SUCCESSOR.values())})
    dim_province = _dim_province()
    province_names = dim_province[["province_code", "province_name", "era"]]
    with duckdb.connect(str(path)) as con:
        con.register("base_rows", base_rows)
        con.register("successors", successors)
        con.register("province_names", province_names)
        con.execute(ROLLUP_SQL)
        kpis = pd.DataFrame(
            KPIS, columns=["kpi_code", "name_vi", "name_en", "direction", "index_group"]
        )
        kpis["unit"] = "percent"
        kpis["definition"] = "Định nghĩa: " + kpis["name_vi"]
        kpis["numerator_expression"] = "numerator"
        kpis["denominator_expression"] = "denominator"
        kpis["source"] = "dossiers"
        con.register("kpis", kpis)
        con.execute(
            "create table marts.dim_kpi as select kpi_code, name_vi, name_en, unit, "
            "direction, definition, numerator_expression, denominator_expression, "
            "source, index_group from kpis"
        )
        con.register("dim_province", dim_province)
        con.execute("create table marts.dim_province as select * from dim_province")
        con.register("agencies", pd.DataFrame(agencies))
        con.execute("create table marts.dim_agency as select * from agencies")
        con.execute(
            "create table marts.fct_target_attainment as "
            "select * from (values "
            "('Phú Thọ', '25', 'Tỉnh Phú Thọ', 'current', 2025, 'online_dossier_rate', 'all',"
            " '>=', 80.0),"
            "('Phú Thọ', '25', 'Tỉnh Phú Thọ', 'current', 2025, 'digitization_rate', 'commune',"
            " '>=', 99.0),"
            "('Phú Thọ', '25', 'Tỉnh Phú Thọ', 'current', 2025, 'satisfaction_rate', 'all',"
            " '>=', 95.0),"
            "('Hoà Bình', '17', 'Tỉnh Hoà Bình', 'legacy', 2025, 'e_result_rate', 'all',"
            " '>=', 50.0)"
            ") t(plan_unit, province_code, province_name, era, plan_year, kpi_code,"
            " applies_to_level, comparator, target_pct)"
        )
        # actuals over the plan year (the fixture's months of that year and era)
        con.execute(
            """
            create or replace table marts.fct_target_attainment as
            select t.*, a.numerator, a.denominator, a.actual_pct,
                   case when t.kpi_code = 'satisfaction_rate' or a.actual_pct is null
                        then 'no_data'
                        when a.actual_pct >= t.target_pct then 'met' else 'not_met' end as status,
                   case when t.kpi_code = 'satisfaction_rate' then null
                        else round(a.actual_pct - t.target_pct, 2) end as gap_pp,
                   'seed_' || t.province_code || '.txt' as source_seed
            from marts.fct_target_attainment t
            left join (
                select province_code, kpi_code, level, year(period_start) as plan_year,
                       case when period_start >= date '2025-07-01' then 'current'
                            else 'legacy' end as era,
                       sum(numerator) as numerator, sum(denominator) as denominator,
                       round(100.0 * sum(numerator) / nullif(sum(denominator), 0), 6)
                           as actual_pct
                from marts.fct_kpi
                where unit_basis = 'reported' and period_grain = 'month'
                  and agency_code is null and procedure_field is null
                group by all
            ) a on a.province_code = t.province_code and a.kpi_code = t.kpi_code
               and a.level = t.applies_to_level and a.plan_year = t.plan_year and a.era = t.era
            """
        )
        con.register("service_index", _service_index(con))
        con.execute("create table marts.fct_service_index as select * from service_index")
        con.execute(
            """
            create table marts.fct_reconciliation as select * from (values
              (date '2025-06-01', date '2025-06-30', '17', 'Tỉnh Hoà Bình', 'L17-P1',
               'Sở 1 – Hoà Bình', 'received_online', 30000, 29950, 50, 'mismatch'),
              (date '2025-06-01', date '2025-06-30', '17', 'Tỉnh Hoà Bình', 'L17-P2',
               'Sở 2 – Hoà Bình', 'received_online', 42901, 42901, 0, 'match'),
              (date '2025-08-01', date '2025-08-31', '80', 'Tỉnh Tây Ninh', 'C80-C1',
               null, 'resolved_total', 812, null, null, 'report_only')
            ) t(period_start, period_end, province_code, province_name, agency_code,
                agency_name, bucket, report_value, dossier_value, difference, status)
            """
        )
        con.execute("create table marts.fct_dossier_flow as select 1 as placeholder")
        con.execute("create schema audit")
        con.execute(
            """
            create table audit.loads as select * from (values
              (1, 'run-a', 'portal_report', 'hb_2025_06.xlsx', 'h1', 10240, '1.0.0', 'loaded',
               40, 40, 0, '17', 'Tỉnh Hoà Bình', 'month', date '2025-06-01', date '2025-06-30',
               null, timestamp '2025-07-03 08:00:00'),
              (2, 'run-a', 'dossiers', 'pt_2025_08.csv', 'h2', 99000, '1.0.0',
               'loaded_with_quarantine', 1200, 1197, 3, '25', 'Tỉnh Phú Thọ', 'month',
               date '2025-08-01', date '2025-08-31', '3 rows broke row rules',
               timestamp '2025-09-02 09:15:00'),
              (3, 'run-b', 'portal_report', 'tn_broken.xlsx', 'h3', 2048, '1.0.0', 'rejected',
               0, 0, 0, null, null, null, null, null,
               'Không ánh xạ được tiêu đề cột: "Số hồ sơ ABC"', timestamp '2025-10-05 07:00:00'),
              (4, 'run-b', 'payments', 'hn_2025_09.parquet', 'h4', 5000, '1.0.0', 'loaded',
               300, 300, 0, '01', 'Thành phố Hà Nội', 'month', date '2025-09-01',
               date '2025-09-30', null, timestamp '2025-10-05 07:10:00')
            ) t(load_seq, load_id, source, file_name, file_hash, file_bytes, contract_version,
                outcome, rows_in, rows_loaded, rows_quarantined, province_code, province_name,
                period_grain, period_start, period_end, message, loaded_at)
            """
        )
        con.execute(
            """
            create table audit.quarantine as select * from (values
              ('run-a', 'dossiers', 'pt_2025_08.csv', 'h2', 17, 'resolved_before_received',
               'resolved_at is before received_at', '{"dossier_id": "PT-17"}',
               timestamp '2025-09-02 09:15:00'),
              ('run-a', 'dossiers', 'pt_2025_08.csv', 'h2', 18, 'resolved_before_received',
               'resolved_at is before received_at', '{"dossier_id": "PT-18"}',
               timestamp '2025-09-02 09:15:00'),
              ('run-a', 'dossiers', 'pt_2025_08.csv', 'h2', 230, 'unknown_channel',
               'channel must be online, direct or postal', '{"channel": "fax"}',
               timestamp '2025-09-02 09:15:00')
            ) t(load_id, source, file_name, file_hash, row_number, rule, message,
                original_values, loaded_at)
            """
        )
        con.execute("create schema meta")
        con.execute(
            "create table meta.publish as select ?::timestamp as published_at, 'fp-123' as "
            "fingerprint, 'run-b' as run_id, date '2025-09-30' as data_loaded_until, "
            "['run-a', 'run-b'] as load_ids, ['portal_report', 'dossiers', 'payments'] as sources",
            [PUBLISHED_AT],
        )
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_schema in ('marts', 'audit') order by 1"
        ).fetchall()
        con.execute(
            "create table meta.tables (table_name varchar, row_count bigint, description varchar)"
        )
        con.execute(
            "create table meta.columns (table_name varchar, column_name varchar, "
            "description varchar)"
        )
        for (name,) in tables:
            count = con.execute(f"select count(*) from {name}").fetchone()[0]
            con.execute(
                "insert into meta.tables values (?, ?, ?)", [name, count, f"Mô tả bảng {name}"]
            )
        con.execute(
            "insert into meta.columns select table_schema || '.' || table_name, column_name, "
            "'Cột ' || column_name from information_schema.columns "
            "where table_schema in ('marts', 'audit')"
        )
        write_report_periods(con)  # as publish writes it
    return path


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "data/warehouse/serving.duckdb")
    print(build_serving_db(out))
