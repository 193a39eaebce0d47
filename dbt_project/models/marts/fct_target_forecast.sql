-- Every plan target (fct_target_attainment's rows: the target and the unit that set it) with
-- where it stands while its year runs. judgement:
--   year_over: the unit's year is past: fct_target_attainment's own verdict (met / not_met on a
--     complete year, incomplete when months or units are missing, no_data), never recomputed here;
--   year_running: the running year's forecast and its 80 % interval against the target:
--     on_track (the whole interval meets it), off_track (none of it does), else at_risk;
--   years_ahead: a target for a later year (Triệu Sơn 2030) is judged, the same way, against
--     the straight path from the unit's last complete year to the target (benchmark_pct).
-- A target whose year runs is never met / not_met.
with

as_of as (

    select max(period_start) as as_of_month
    from {{ ref('fct_kpi') }}
    where period_grain = 'month'

),

targets as (

    select
        target_id,
        plan_unit,
        plan_unit_level,
        province_code,
        province_name,
        era,
        agency_code,
        plan_year,
        kpi_code,
        applies_to_level,
        comparator,
        target_pct,
        actual_pct,
        status as attainment_status,
        months_covered,
        case when era = 'legacy' and plan_year = 2025 then 6 else 12 end as year_last_month
    from {{ ref('fct_target_attainment') }}
    -- KPI targets only: a rank target (target_kind 'rank') is judged on a published ranking,
    -- which has no monthly series to forecast
    where target_kind is null

),

forecasts as (

    select *
    from {{ ref('fct_kpi_forecast') }}
    where unit_basis = 'reported'

),

complete_years as (

    select
        kpi_code,
        province_code,
        era,
        level,
        agency_code,
        year(period_start) as actual_year,
        value_pct
    from {{ ref('fct_kpi') }}
    where
        unit_basis = 'reported'
        and period_grain = 'year'
        and procedure_field is null
        and is_complete
        and value_pct is not null

),

judged as (

    select
        targets.*,
        as_of.as_of_month,
        case
            when
                make_date(targets.plan_year, targets.year_last_month, 1) <= as_of.as_of_month
                or targets.attainment_status in ('met', 'not_met', 'incomplete')
                then 'year_over'
            when targets.plan_year = year(as_of.as_of_month) then 'year_running'
            else 'years_ahead'
        end as judgement
    from targets
    cross join as_of

),

path_starts as (

    -- the unit's last complete year before the running one: where the straight path starts
    select
        judged.target_id,
        complete_years.actual_year as path_start_year,
        complete_years.value_pct as path_start_pct
    from judged
    inner join complete_years
        on
            judged.kpi_code = complete_years.kpi_code
            and judged.province_code = complete_years.province_code
            and judged.era = complete_years.era
            and {{ is_plan_unit_row('judged', 'complete_years', 'judged.applies_to_level') }}
            and complete_years.actual_year < year(judged.as_of_month)
    where judged.judgement = 'years_ahead'
    qualify complete_years.actual_year = max(complete_years.actual_year) over (
        partition by judged.target_id
    )

),

with_forecast as (

    select
        judged.*,
        path_starts.path_start_year,
        path_starts.path_start_pct,
        forecasts.forecast_year,
        forecasts.observed_through,
        forecasts.months_observed,
        forecasts.method_case,
        forecasts.method_version,
        forecasts.numerator_forecast,
        forecasts.denominator_forecast,
        forecasts.forecast_pct,
        forecasts.interval_low_pct,
        forecasts.interval_high_pct,
        -- without an interval (too little spread to measure) the forecast itself is judged
        coalesce(forecasts.interval_low_pct, forecasts.forecast_pct) as judged_low_pct,
        coalesce(forecasts.interval_high_pct, forecasts.forecast_pct) as judged_high_pct,
        case
            when judged.judgement = 'year_running' then judged.target_pct
            when judged.judgement = 'years_ahead'
                then round(
                    path_starts.path_start_pct
                    + (judged.target_pct - path_starts.path_start_pct)
                    * (forecasts.forecast_year - path_starts.path_start_year)
                    / (judged.plan_year - path_starts.path_start_year),
                    6
                )
        end as benchmark_pct
    from judged
    left join path_starts
        on judged.target_id = path_starts.target_id
    left join forecasts
        on
            judged.judgement != 'year_over'
            and judged.kpi_code = forecasts.kpi_code
            and judged.province_code = forecasts.province_code
            and judged.era = forecasts.era
            and {{ is_plan_unit_row('judged', 'forecasts', 'judged.applies_to_level') }}

)

select
    target_id,
    plan_unit,
    plan_unit_level,
    province_code,
    province_name,
    era,
    agency_code,
    plan_year,
    kpi_code,
    applies_to_level,
    comparator,
    target_pct,
    judgement,
    as_of_month,
    forecast_year,
    observed_through,
    months_observed,
    method_case,
    method_version,
    numerator_forecast,
    denominator_forecast,
    forecast_pct,
    interval_low_pct,
    interval_high_pct,
    path_start_year,
    path_start_pct,
    benchmark_pct,
    case when judgement = 'year_over' then actual_pct end as actual_pct,
    months_covered,
    case
        -- one verdict on a past year, the attainment's (a year with months missing stays
        -- incomplete; the attainment's in_progress cannot meet a past year but is kept honest)
        when judgement = 'year_over' then attainment_status
        when forecast_pct is null or benchmark_pct is null then 'no_data'
        when
            {{ satisfies('comparator', 'judged_low_pct', 'benchmark_pct') }}
            and {{ satisfies('comparator', 'judged_high_pct', 'benchmark_pct') }}
            then 'on_track'
        when
            not {{ satisfies('comparator', 'judged_low_pct', 'benchmark_pct') }}
            and not {{ satisfies('comparator', 'judged_high_pct', 'benchmark_pct') }}
            then 'off_track'
        else 'at_risk'
    end as status
from with_forecast
