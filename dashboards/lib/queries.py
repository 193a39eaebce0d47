"""Every query the pages run, in one place: pages call these functions, never write SQL.

All of them read the docs/marts.md interface of serving.duckdb through `db.query` (a short-lived
read-only connection per call, cached with a TTL). Dates travel as ISO strings so that the cache
keys stay simple. `PAGE_QUERIES` lists what each page calls, for the page benchmark.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb
import pandas as pd

from dashboards.lib import db

# rows of fct_kpi that are roll-ups over agencies and over procedure fields
ROLLUP = "agency_code is null and procedure_field is null"

_run: Callable[[str, tuple], pd.DataFrame] = db.query
_run_for_file: Callable[[str, tuple], pd.DataFrame] = db.query_for_file


def use_uncached(enabled: bool = True) -> None:
    """Bypass Streamlit's cache (the benchmark measures the database, not the cache)."""
    global _run, _run_for_file
    _run = db.query_uncached if enabled else db.query
    _run_for_file = db.query_uncached if enabled else db.query_for_file


def _q(sql: str, params: tuple = ()) -> pd.DataFrame:
    return _run(sql, params)


def _q_for_file(sql: str, params: tuple = ()) -> pd.DataFrame:
    """Small catalogues every page reads: cached until a new serving file is published."""
    return _run_for_file(sql, params)


# ----------------------------------------------------------------------------- catalogues


def kpi_catalog() -> pd.DataFrame:
    return _q_for_file(
        "select kpi_code, name_vi, name_en, direction, definition, index_group "
        "from marts.dim_kpi order by kpi_code"
    )


def report_periods() -> pd.DataFrame:
    """Every (grain, start, end) that fct_kpi holds, newest first.

    Every page runs this, so publish writes the list to meta.report_periods (a few dozen rows)
    and it is read from there. A serving file published before that table existed is read from
    the nation's rows of fct_kpi: every period of any province rolls up to one.
    """
    try:
        return _q_for_file(
            """
            select period_grain, period_start, period_end
            from meta.report_periods
            order by period_start desc, period_grain, period_end
            """
        )
    except duckdb.CatalogException:
        return _q_for_file(
            """
            select distinct period_grain, period_start, period_end
            from marts.fct_kpi
            where province_code = 'VN' and level = 'all' and agency_code is null
            order by period_start desc, period_grain, period_end
            """
        )


def provinces() -> pd.DataFrame:
    """Both eras of dim_province: current ones first, then legacy, by name."""
    return _q_for_file(
        """
        select province_key, province_code, province_name, short_name, era, valid_from,
               valid_to, successor_code, successor_name
        from marts.dim_province
        order by era = 'legacy', short_name
        """
    )


# ----------------------------------------------------------------------------- overview


def national_kpis(grain: str, starts: tuple[str, ...], basis: str) -> pd.DataFrame:
    """The nation's KPIs (province 'VN', whole level) for the chosen and the previous period."""
    placeholders = ", ".join("?::date" for _ in starts)
    return _q(
        f"""
        select kpi_code, period_start, numerator, denominator, value_pct
        from marts.fct_kpi
        where province_code = 'VN' and level = 'all' and {ROLLUP}
          and period_grain = ? and unit_basis = ? and period_start in ({placeholders})
        order by kpi_code, period_start
        """,
        (grain, basis, *starts),
    )


def province_ranking(
    kpi_code: str,
    grain: str,
    start: str,
    basis: str,
    level: str = "all",
    min_denominator: int = 0,
) -> pd.DataFrame:
    """Every province's value of one KPI in one period, ranked (best first, by direction).

    Provinces whose denominator is below ``min_denominator`` (``small_sample``) come last and
    take no rank among the others (dashboards/lib/sample.py)."""
    return _q(
        f"""
        with values as (
            select k.province_code, k.province_name, k.numerator, k.denominator, k.value_pct,
                   coalesce(k.denominator, 0) < ? as small_sample,
                   case when d.direction = 'lower_is_better'
                        then k.value_pct else -k.value_pct end as badness
            from marts.fct_kpi k
            join marts.dim_kpi d using (kpi_code)
            where k.kpi_code = ? and k.period_grain = ? and k.period_start = ?::date
              and k.unit_basis = ? and k.level = ? and k.province_code <> 'VN' and {ROLLUP}
        )
        select province_code, province_name, numerator, denominator, value_pct, small_sample,
               rank() over (partition by small_sample order by badness nulls last) as rank
        from values
        order by small_sample, rank, province_name
        """,
        (min_denominator, kpi_code, grain, start, basis, level),
    )


def index_months(basis: str) -> pd.DataFrame:
    return _q(
        "select distinct period_start from marts.fct_service_index where unit_basis = ? "
        "order by period_start desc",
        (basis,),
    )


def index_ranking(month: str, basis: str) -> pd.DataFrame:
    """The composite index's total per province for one month, ranked, with its band.

    A total with a group not computed is a sum out of fewer points (computed_max_points) and has
    no band: totals out of more computable points rank first, so that 60 of 64 computable points
    never outranks 70 of 82 as if both were out of 100."""
    return _q(
        """
        select province_code, province_name, points, max_points, computed, computed_max_points,
               band, method_version,
               rank() over (order by computed_max_points desc nulls last, points desc nulls last)
                   as rank
        from marts.fct_service_index
        where group_code = 'total' and period_start = ?::date and unit_basis = ?
          and province_code <> 'VN'
        order by rank, province_name
        """,
        (month, basis),
    )


# ----------------------------------------------------------------------------- scorecard


def province_kpis(
    province_code: str, grain: str, start: str, basis: str, level: str
) -> pd.DataFrame:
    """One province's every KPI for one period and level."""
    return _q(
        f"""
        select kpi_code, numerator, denominator, value_pct
        from marts.fct_kpi
        where province_code = ? and period_grain = ? and period_start = ?::date
          and unit_basis = ? and level = ? and {ROLLUP}
        order by kpi_code
        """,
        (province_code, grain, start, basis, level),
    )


def target_attainment(province_codes: tuple[str, ...], eras: tuple[str, ...]) -> pd.DataFrame:
    """Plan targets of the province (and of the legacy provinces merged into it)."""
    pairs = " or ".join("(province_code = ? and era = ?)" for _ in province_codes)
    params: tuple = tuple(v for pair in zip(province_codes, eras, strict=True) for v in pair)
    return _q(
        f"""
        select plan_unit, province_code, province_name, era, plan_year, kpi_code,
               applies_to_level, comparator, target_pct, numerator, denominator, actual_pct,
               status, gap_pp, months_covered, covered_from, covered_to, source_seed
        from marts.fct_target_attainment
        -- KPI targets; the plans' rank targets (target_kind 'rank') are on Official rankings
        where ({pairs}) and target_kind is null
        order by plan_year desc, kpi_code, applies_to_level
        """,
        params,
    )


def plans_with_targets() -> pd.DataFrame:
    """Every plan unit and year that has targets, newest first (a handful of rows)."""
    return _q_for_file(
        """
        select plan_unit, plan_year, count(*) as targets
        from marts.fct_target_attainment
        where target_kind is null
        group by plan_unit, plan_year
        order by plan_year desc, plan_unit
        """
    )


def kpi_trend(
    kpi_code: str, province_code: str, basis: str, level: str, grain: str = "month"
) -> pd.DataFrame:
    """One KPI of one province (or 'VN') over every period of a grain."""
    return _q(
        f"""
        select period_start, period_end, province_name, numerator, denominator, value_pct
        from marts.fct_kpi
        where kpi_code = ? and province_code = ? and unit_basis = ? and level = ?
          and period_grain = ? and {ROLLUP}
        order by period_start
        """,
        (kpi_code, province_code, basis, level, grain),
    )


def level_breakdown(province_code: str, grain: str, start: str, basis: str) -> pd.DataFrame:
    """Every KPI of one province for one period at each level."""
    return _q(
        f"""
        select kpi_code, level, numerator, denominator, value_pct
        from marts.fct_kpi
        where province_code = ? and period_grain = ? and period_start = ?::date
          and unit_basis = ? and {ROLLUP}
        order by kpi_code, level
        """,
        (province_code, grain, start, basis),
    )


def agency_ranking(
    kpi_code: str,
    province_code: str | None,
    grain: str,
    start: str,
    basis: str,
    level: str,
    min_denominator: int = 0,
) -> pd.DataFrame:
    """Agencies of one province (or the whole country) for one KPI, worst first;
    ``small_sample`` marks a denominator below ``min_denominator`` (dashboards/lib/sample.py)."""
    return _q(
        """
        select k.agency_code, coalesce(a.agency_name, k.agency_code) as agency_name,
               k.province_name, k.level, k.numerator, k.denominator, k.value_pct,
               k.denominator < ? as small_sample
        from marts.fct_kpi k
        join marts.dim_kpi d using (kpi_code)
        left join marts.dim_agency a using (agency_code)
        where k.kpi_code = ? and (? is null or k.province_code = ?)
          and k.province_code <> 'VN' and k.period_grain = ? and k.period_start = ?::date
          and k.unit_basis = ? and (? = 'all' or k.level = ?)
          and k.agency_code is not null and k.procedure_field is null
          and k.value_pct is not null
        order by case when d.direction = 'lower_is_better' then -k.value_pct
                      else k.value_pct end, k.denominator desc, k.agency_code
        """,
        (
            min_denominator,
            kpi_code,
            province_code,
            province_code,
            grain,
            start,
            basis,
            level,
            level,
        ),
    )


# ----------------------------------------------------------------------------- topic pages


def field_breakdown(
    kpi_code: str, province_code: str, grain: str, start: str, basis: str
) -> pd.DataFrame:
    """One KPI by procedure field for a province (or 'VN'), whole level, best first."""
    return _q(
        """
        select procedure_field, sum(numerator)::bigint as numerator,
               sum(denominator)::bigint as denominator,
               case when sum(denominator) > 0
                    then 100.0 * sum(numerator) / sum(denominator) end as value_pct
        from marts.fct_kpi
        where kpi_code = ? and province_code = ? and period_grain = ? and period_start = ?::date
          and unit_basis = ? and level = 'all' and agency_code is null
          and procedure_field is not null
        group by procedure_field
        order by value_pct desc nulls last, procedure_field
        """,
        (kpi_code, province_code, grain, start, basis),
    )


def topic_trend(kpi_codes: tuple[str, ...], province_code: str, basis: str) -> pd.DataFrame:
    """Several KPIs of one province (or 'VN') month by month."""
    placeholders = ", ".join("?" for _ in kpi_codes)
    return _q(
        f"""
        select kpi_code, period_start, numerator, denominator, value_pct
        from marts.fct_kpi
        where kpi_code in ({placeholders}) and province_code = ? and unit_basis = ?
          and level = 'all' and period_grain = 'month' and {ROLLUP}
        order by kpi_code, period_start
        """,
        (*kpi_codes, province_code, basis),
    )


# ----------------------------------------------------------------------------- service index


def index_groups(province_code: str, month: str, basis: str) -> pd.DataFrame:
    """The six groups and the total for one province and month."""
    return _q(
        """
        select group_code, group_name_vi, group_name_en, max_points, points, computed,
               computed_max_points, not_computed_reason, band, method_version
        from marts.fct_service_index
        where province_code = ? and period_start = ?::date and unit_basis = ?
        order by group_code = 'total', max_points desc, group_code
        """,
        (province_code, month, basis),
    )


def index_not_computed(month: str, basis: str) -> pd.DataFrame:
    """Groups that could not be computed in a month, with the reason and how many provinces."""
    return _q(
        """
        select group_code, group_name_vi, group_name_en, not_computed_reason,
               count(*) as provinces
        from marts.fct_service_index
        where period_start = ?::date and unit_basis = ? and not computed
          and province_code <> 'VN' and group_code <> 'total'
        group by all
        order by group_code, not_computed_reason
        """,
        (month, basis),
    )


def index_group_names() -> pd.DataFrame:
    """The index's group codes with their names (the reasons name groups by code)."""
    return _q_for_file(
        "select distinct group_code, group_name_vi, group_name_en "
        "from marts.fct_service_index order by group_code"
    )


def index_trend(province_code: str, basis: str) -> pd.DataFrame:
    return _q(
        """
        select period_start, points, computed, computed_max_points, band
        from marts.fct_service_index
        where province_code = ? and unit_basis = ? and group_code = 'total'
        order by period_start
        """,
        (province_code, basis),
    )


# ----------------------------------------------------------------------------- data status


def publish_info() -> pd.DataFrame:
    return _q(
        "select published_at, fingerprint, run_id, data_loaded_until, load_ids, sources "
        "from meta.publish"
    )


def last_loads() -> pd.DataFrame:
    """The latest load per source and province, and how old its newest period is.

    A code names two provinces across the 2025 restructuring (80 was Long An, is Tây Ninh), so a
    province is its code and era; a legacy province has no "days behind": its data ends 30/6/2025.
    """
    return _q(
        """
        with loads as (
            select *,
                case when period_start < date '2025-07-01' then 'legacy' else 'current' end
                    as era
            from audit.loads
            where outcome <> 'rejected'
        ),
        ranked as (
            select *, row_number() over (
                partition by source, coalesce(province_code, ''), era
                order by loaded_at desc, load_seq desc) as recency,
                max(period_end) over (partition by source, coalesce(province_code, ''), era)
                    as latest_period_end
            from loads
        )
        select source, province_code, province_name, era, file_name, outcome, loaded_at,
               latest_period_end,
               case when era = 'current' then date_diff('day', latest_period_end,
                         (select data_loaded_until from meta.publish)) end as days_behind
        from ranked
        where recency = 1
        order by source, era = 'legacy', province_name
        """
    )


def rejected_loads() -> pd.DataFrame:
    return _q(
        """
        select loaded_at, source, file_name, contract_version, message
        from audit.loads
        where outcome = 'rejected'
        order by loaded_at desc, load_seq desc
        """
    )


def quarantine_summary() -> pd.DataFrame:
    return _q(
        """
        select source, file_name, rule, any_value(message) as message, count(*) as rows,
               min(row_number) as first_row, max(loaded_at) as loaded_at
        from audit.quarantine
        group by source, file_name, rule
        order by rows desc, source, file_name, rule
        """
    )


def quarantine_rows(limit: int = 200) -> pd.DataFrame:
    return _q(
        """
        select source, file_name, row_number, rule, message, original_values
        from audit.quarantine
        order by loaded_at desc, file_name, row_number
        limit ?
        """,
        (limit,),
    )


def reconciliation_findings() -> pd.DataFrame:
    return _q(
        """
        select r.period_start, r.period_end, r.province_name, r.agency_code,
               coalesce(r.agency_name, a.agency_name, r.agency_code) as agency_name, r.bucket,
               r.report_value, r.dossier_value, r.difference, r.status
        from marts.fct_reconciliation r
        left join marts.dim_agency a using (agency_code)
        where r.status <> 'match'
        order by r.period_start desc, r.province_name, agency_name, r.bucket
        """
    )


def reconciliation_summary() -> pd.DataFrame:
    return _q(
        "select status, count(*) as rows from marts.fct_reconciliation group by status "
        "order by status"
    )


# ----------------------------------------------------------------------------- SQL page


def schema_tables() -> pd.DataFrame:
    """Tables of the serving DB with their documentation (meta.tables) and row counts."""
    return _q(
        """
        select t.table_schema || '.' || t.table_name as table_name,
               m.row_count, m.description
        from information_schema.tables t
        left join meta.tables m on m.table_name = t.table_schema || '.' || t.table_name
        where t.table_schema in ('marts', 'audit', 'meta')
        order by t.table_schema = 'meta', t.table_schema, t.table_name
        """
    )


def schema_columns(table_name: str) -> pd.DataFrame:
    schema, _, table = table_name.partition(".")
    return _q(
        """
        select c.column_name, c.data_type, m.description
        from information_schema.columns c
        left join meta.columns m
          on m.table_name = c.table_schema || '.' || c.table_name
         and m.column_name = c.column_name
        where c.table_schema = ? and c.table_name = ?
        order by c.ordinal_position
        """,
        (schema, table),
    )


# ----------------------------------------------------------------------------- early warning
# (issue 14: year-end forecasts, target status through the year, anomaly flags)


def target_forecast(province_codes: tuple[str, ...], eras: tuple[str, ...]) -> pd.DataFrame:
    """Where each plan target of the province (and its legacy predecessors) stands: met / not
    met only for a year that is over, else on track / at risk / off track from the forecast."""
    pairs = " or ".join("(province_code = ? and era = ?)" for _ in province_codes)
    params: tuple = tuple(v for pair in zip(province_codes, eras, strict=True) for v in pair)
    return _q(
        f"""
        select plan_unit, province_code, era, plan_year, kpi_code, applies_to_level, comparator,
               target_pct, judgement, forecast_year, months_observed, method_case,
               method_version, forecast_pct, interval_low_pct, interval_high_pct,
               benchmark_pct, path_start_year, actual_pct, status
        from marts.fct_target_forecast
        where {pairs}
        order by plan_year desc, kpi_code, applies_to_level
        """,
        params,
    )


def kpi_forecasts(province_code: str, basis: str, level: str) -> pd.DataFrame:
    """The running year's year-end forecast of every KPI of one province."""
    return _q(
        """
        select kpi_code, forecast_year, observed_through, months_observed, months_to_come,
               method_case, method_version, value_so_far_pct, numerator_forecast,
               denominator_forecast, forecast_pct, interval_low_pct, interval_high_pct
        from marts.fct_kpi_forecast
        where province_code = ? and unit_basis = ? and level = ? and agency_code is null
        order by kpi_code
        """,
        (province_code, basis, level),
    )


def forecast_method() -> pd.DataFrame:
    """The forecast method in force: each case's two-sentence explanation (both languages)."""
    return _q_for_file(
        "select method_version, method_case, explanation_vi, explanation_en "
        "from marts.dim_forecast_method where is_current order by method_case"
    )


def backtest_summary() -> pd.DataFrame:
    """The method's error on past years, by the month the forecast was made (provinces)."""
    return _q_for_file(
        """
        select cutoff_month, count(*) as forecasts,
               avg(abs_error_pp) as mae_pp,
               quantile_cont(abs_error_pp, 0.9) as p90_pp,
               avg(within_interval::int) filter (where within_interval is not null) as coverage
        from marts.fct_forecast_backtest
        where unit_basis = 'current'
        group by cutoff_month
        order by cutoff_month
        """
    )


def anomalies(limit: int = 500) -> pd.DataFrame:
    """Anomaly flags, most severe and most recent first."""
    return _q(
        """
        select month_start, province_name, province_code, era, agency_name, rule, kpi_code,
               observed, expected, score, severity, detail
        from marts.fct_anomalies
        order by case severity when 'high' then 0 when 'medium' then 1 else 2 end,
                 month_start desc, province_code, rule
        limit ?
        """,
        (limit,),
    )


def flagged_provinces(start: str, end: str, basis: str, era: str) -> set[str]:
    """Provinces (codes as the page shows them) with a medium or high flag in [start, end]; on
    the current basis a legacy province's flag marks its successor."""
    frame = _q(
        """
        select distinct
            case when ? = 'current' and a.era = 'legacy' then p.successor_code
                 else a.province_code end as province_code
        from marts.fct_anomalies a
        left join marts.dim_province p on a.province_code = p.province_code and a.era = p.era
        where a.month_start between ?::date and ?::date
          and a.severity in ('high', 'medium')
          and (? = 'current' or a.era = ?)
        """,
        (basis, start, end, basis, era),
    )
    return set(frame["province_code"].dropna())


def flagged_agencies(start: str, end: str) -> set[str]:
    """Agencies with a medium or high flag in [start, end] (agency codes carry their era)."""
    frame = _q(
        """
        select distinct agency_code from marts.fct_anomalies
        where agency_code is not null and month_start between ?::date and ?::date
          and severity in ('high', 'medium')
        """,
        (start, end),
    )
    return set(frame["agency_code"])


# ----------------------------------------------------------------------------- official figures
# (issue 18: the portal's published Decision-766 scores and the annual governance indices)


def official_snapshots() -> pd.DataFrame:
    """Every published snapshot, newest read first."""
    return _q(
        """
        select distinct snapshot_at, period_grain, period_start, period_end, source_file
        from marts.fct_published_index
        order by snapshot_at desc, period_start desc
        """
    )


def official_vs_computed(snapshot_at: str, period_start: str, province_code: str) -> pd.DataFrame:
    """One province's published groups and total beside the computed ones where comparable."""
    return _q(
        """
        select p.group_code, p.group_name_vi, p.group_name_en, p.max_points,
               p.points as published_points, p.published_rank, p.computed_rank,
               p.national_mean, c.computed_points, c.computed_points_rank, c.difference,
               c.months_covered, c.not_computed_reason
        from marts.fct_published_index p
        left join marts.fct_index_comparison c
            on c.snapshot_at = p.snapshot_at and c.period_start = p.period_start
            and c.province_code = p.province_code and c.group_code = p.group_code
        where p.snapshot_at = ?::timestamp and p.period_start = ?::date and p.province_code = ?
          and p.era = 'current'
        order by p.group_code = 'total', p.max_points desc, p.group_code
        """,
        (snapshot_at, period_start, province_code),
    )


def official_ranking(snapshot_at: str, period_start: str) -> pd.DataFrame:
    """The portal's national table of one snapshot: rank, province, total and the six groups."""
    groups = ("TOTAL", "CKMB", "TDGQ", "CLGQ", "MDSH", "MDHL", "TTTT")
    columns = ", ".join(
        f"max(points) filter (where portal_group_code = '{g}') as {g}" for g in groups
    )
    return _q(
        f"""
        select max(published_rank) as published_rank, province_name, {columns}
        from marts.fct_published_index
        where snapshot_at = ?::timestamp and period_start = ?::date
        group by province_code, province_name
        order by published_rank nulls last, province_name
        """,
        (snapshot_at, period_start),
    )


def official_group_names() -> dict[str, tuple[str, str]]:
    """The portal's group codes (CKMB, TDGQ, ...) and their names (vi, en), for headers."""
    frame = _q(
        "select distinct portal_group_code, group_name_vi, group_name_en "
        "from marts.fct_published_index"
    )
    return {
        row.portal_group_code: (row.group_name_vi, row.group_name_en) for row in frame.itertuples()
    }


def governance_history(province_code: str) -> pd.DataFrame:
    """Every index result of a current province and of the legacy provinces it succeeds, each
    on the province the results ranked (no merged score)."""
    return _q(
        """
        select index_code, index_name_vi, index_name_en, scale_note, result_year, era,
               province_code, short_name, score, published_rank, computed_rank, national_rank,
               provinces_ranked, provinces_in_era, is_partial_table, region_name_vi,
               region_name_en, region_rank, national_mean, regional_mean, source_file
        from marts.fct_governance_index
        where successor_code = ?
        order by index_code, result_year desc, short_name
        """,
        (province_code,),
    )


def governance_years() -> pd.DataFrame:
    return _q(
        "select distinct index_code, result_year from marts.fct_governance_index "
        "order by index_code, result_year desc"
    )


def governance_table(index_code: str, result_year: int) -> pd.DataFrame:
    """The national table of one index and year."""
    return _q(
        """
        select national_rank, published_rank, computed_rank, short_name, score, region_name_vi,
               region_name_en, region_rank, provinces_ranked, provinces_in_era, is_partial_table,
               national_mean, regional_mean, source_file
        from marts.fct_governance_index
        where index_code = ? and result_year = ?
        order by national_rank, short_name
        """,
        (index_code, result_year),
    )


def rank_targets(province_code: str) -> pd.DataFrame:
    """The plans' rank targets of a current province or of the legacy units it succeeds."""
    return _q(
        """
        select t.plan_unit, t.plan_year, t.index_code, t.result_year, t.rank_scope,
               t.region_code, t.comparator, t.target_rank, t.actual_rank, t.provinces_ranked,
               t.actual_score, t.national_mean, t.status, t.gap_ranks, t.gap_points,
               t.no_data_reason, t.source_seed
        from marts.fct_target_attainment t
        join marts.dim_province p on p.province_code = t.province_code and p.era = t.era
        where t.target_kind = 'rank' and coalesce(p.successor_code, p.province_code) = ?
        order by t.plan_year, t.plan_unit, t.index_code, t.rank_scope
        """,
        (province_code,),
    )
