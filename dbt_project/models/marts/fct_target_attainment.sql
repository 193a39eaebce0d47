-- Every row of shared/domain/plan_targets.csv (seed ref_plan_targets) judged against the KPI of
-- the plan's unit, level and year, on the reported basis: a plan is judged on the unit that made
-- it, as it was in the plan year (seed ref_plan_units: Bình Định's 2024 targets use legacy Bình
-- Định's 2024 data though Bình Định is part of Gia Lai today). The year row of fct_kpi is used
-- (cut at 30 June for a legacy unit in 2025); months_covered says how much of the year it holds.
-- status: a target is judged (met / not_met) only on a complete year: twelve months of data,
-- every unit reported, and the year over in the loaded data. Otherwise:
--   in_progress: the unit's year (its part of 2025 for a legacy unit) ends after the last month
--     loaded (data_loaded_until): the year is still running;
--   incomplete: the year is over but its data covers fewer than 12 months (months_covered,
--     covered_from..covered_to), e.g. a legacy unit's 2025 (January-June at most);
--   no_data: KPI not measured by the warehouse, or no data for the unit and year.
-- gap_pp = actual - target in percentage points, on the months covered (null without data).
{#- the columns of a KPI target's row; a rank target has some of them and those below -#}
{%- set kpi_target_columns = [
    'target_id', 'plan_unit', 'plan_unit_level', 'province_at_publication', 'province_code',
    'province_name', 'era', 'agency_code', 'plan_year', 'kpi_code', 'applies_to_level',
    'comparator', 'target_pct', 'actual_period_start', 'actual_period_end', 'months_covered',
    'covered_from', 'covered_to', 'data_loaded_until', 'numerator', 'denominator', 'actual_pct',
    'status', 'gap_pp', 'no_data_reason', 'count_source', 'source_seed', 'kpi_meaning',
    'unit_note',
] %}
{%- set rank_target_columns = [
    'target_kind', 'index_code', 'result_year', 'rank_scope', 'region_code', 'target_rank',
    'actual_rank', 'provinces_ranked', 'actual_score', 'national_mean', 'gap_ranks', 'gap_points',
] %}

with

targets as (

    select
        row_number() over (
            order by source_seed, plan_unit, plan_year, kpi_code, applies_to_level nulls last
        ) as target_id,
        plan_unit,
        plan_unit_level,
        province_at_publication,
        plan_year,
        kpi_code,
        applies_to_level,
        comparator,
        target_pct,
        source_seed,
        kpi_meaning
    from {{ ref('ref_plan_targets') }}

),

units as (

    select
        plan_unit,
        province_at_publication,
        plan_year,
        era,
        province_code,
        agency_name,
        note,
        case
            when agency_name is not null
                then {{ agency_code(
                    'province_code',
                    "case when era = 'current' then date '2025-07-01' else date '2025-06-30' end",
                    'agency_name',
                ) }}
        end as agency_code
    from {{ ref('ref_plan_units') }}

),

kpi_rows as (

    select
        kpi_code,
        period_grain,
        province_code,
        era,
        level,
        agency_code,
        year(period_start) as plan_year,
        period_start,
        period_end,
        numerator,
        denominator,
        value_pct,
        months_covered,
        is_complete,
        count_source
    from {{ ref('fct_kpi') }}
    where
        unit_basis = 'reported'
        and procedure_field is null

),

loaded as (

    select max(period_end) as data_loaded_until
    from kpi_rows
    where period_grain = 'month'

),

coverage as (

    -- the first and last day of the year the unit's data covers (months and quarterly reports)
    select
        kpi_code,
        province_code,
        era,
        level,
        agency_code,
        plan_year,
        min(period_start) as covered_from,
        max(period_end) as covered_to
    from kpi_rows
    where period_grain in ('month', 'quarter')
    group by all

),

actuals as (

    select
        kpi_rows.kpi_code,
        kpi_rows.province_code,
        kpi_rows.era,
        kpi_rows.level,
        kpi_rows.agency_code,
        kpi_rows.plan_year,
        kpi_rows.period_start,
        kpi_rows.period_end,
        kpi_rows.numerator,
        kpi_rows.denominator,
        kpi_rows.value_pct,
        kpi_rows.months_covered,
        kpi_rows.is_complete,
        kpi_rows.count_source,
        coverage.covered_from,
        coverage.covered_to
    from kpi_rows
    left join coverage
        on
            kpi_rows.kpi_code = coverage.kpi_code
            and kpi_rows.province_code = coverage.province_code
            and kpi_rows.era = coverage.era
            and kpi_rows.level = coverage.level
            and kpi_rows.agency_code is not distinct from coverage.agency_code
            and kpi_rows.plan_year = coverage.plan_year
    where kpi_rows.period_grain = 'year'

),

matched as (

    select
        targets.*,
        units.era,
        units.province_code,
        units.agency_code,
        units.note,
        actuals.period_start as actual_period_start,
        actuals.period_end as actual_period_end,
        actuals.numerator,
        actuals.denominator,
        actuals.value_pct as actual_pct,
        actuals.months_covered,
        actuals.is_complete,
        actuals.covered_from,
        actuals.covered_to,
        actuals.count_source
    from targets
    left join units
        on
            targets.plan_unit = units.plan_unit
            and targets.province_at_publication = units.province_at_publication
            and targets.plan_year = units.plan_year
    left join actuals
        on
            targets.kpi_code = actuals.kpi_code
            and units.province_code = actuals.province_code
            and units.era = actuals.era
            and targets.plan_year = actuals.plan_year
            and (
                -- a commune's own plan: that commune agency's KPI
                (units.agency_code is not null and units.agency_code = actuals.agency_code)
                -- a province's plan: the whole province, or one level of it
                or (
                    units.agency_code is null
                    and actuals.agency_code is null
                    and targets.applies_to_level = actuals.level
                )
            )

),

kpi_targets as (

    select
        matched.target_id,
        matched.plan_unit,
        matched.plan_unit_level,
        matched.province_at_publication,
        matched.province_code,
        provinces.province_name,
        matched.era,
        matched.agency_code,
        matched.plan_year,
        matched.kpi_code,
        matched.applies_to_level,
        matched.comparator,
        matched.target_pct,
        matched.actual_period_start,
        matched.actual_period_end,
        matched.months_covered,
        matched.covered_from,
        matched.covered_to,
        loaded.data_loaded_until,
        matched.numerator,
        matched.denominator,
        matched.actual_pct,
        case
            when matched.actual_pct is null then 'no_data'
            when matched.actual_period_end > loaded.data_loaded_until then 'in_progress'
            when matched.months_covered < 12 or not matched.is_complete then 'incomplete'
            when
                {{ satisfies('matched.comparator', 'matched.actual_pct', 'matched.target_pct') }}
                then 'met'
            else 'not_met'
        end as status,
        round(matched.actual_pct - matched.target_pct, 6) as gap_pp,
        case
            when kpis.kpi_code is null
                then 'KPI not measured by the warehouse (no source carries it)'
            when matched.province_code is null
                then 'plan unit not resolved (seeds/ref_plan_units.csv)'
            when matched.numerator is null then 'no data for the unit, level and year'
            when matched.actual_pct is null then 'zero denominator'
        end as no_data_reason,
        matched.count_source,
        matched.source_seed,
        matched.kpi_meaning,
        matched.note as unit_note
    from matched
    cross join loaded
    left join {{ ref('dim_kpi') }} as kpis
        on matched.kpi_code = kpis.kpi_code
    left join {{ ref('dim_province') }} as provinces
        on matched.province_code = provinces.province_code and matched.era = provinces.era

)

-- Rank targets of the plans (issue 18): judged in int_rank_target_attainment, same columns by
-- name plus their own (target_kind = 'rank', index_code, target_rank, actual_rank, gap_ranks,
-- gap_points); null target_kind = a KPI target.
{{ union_all_by_name(kpi_target_columns + rank_target_columns, [
    ('kpi_targets', kpi_target_columns),
    (ref('int_rank_target_attainment'), rank_target_columns + [
        'target_id', 'plan_unit', 'plan_unit_level', 'province_at_publication', 'province_code',
        'province_name', 'era', 'plan_year', 'kpi_code', 'applies_to_level', 'comparator',
        'status', 'no_data_reason', 'source_seed', 'kpi_meaning',
    ]),
]) }}
