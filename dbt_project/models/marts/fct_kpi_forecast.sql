-- The year-end forecast of every KPI for the running year, per province (current basis, today's
-- provinces) and per plan unit with targets (reported basis): the int_forecast_runs row made at
-- the unit's latest observed month of the year. The running year is the year of the latest
-- month in fct_kpi; a unit whose year is already complete (a legacy province's 2025) has none.
with

as_of as (

    select max(period_start) as as_of_month
    from {{ ref('fct_kpi') }}
    where period_grain = 'month'

),

runs as (

    select *
    from {{ ref('int_forecast_runs') }}
    where forecast_year = (select year(as_of.as_of_month) from as_of)
    qualify cutoff_month = max(cutoff_month) over (
        partition by {{ forecast_unit_columns() | join(', ') }}, forecast_year
    )

)

select
    runs.kpi_code,
    runs.unit_basis,
    runs.province_code,
    provinces.province_name,
    runs.era,
    runs.level,
    runs.agency_code,
    runs.forecast_year,
    make_date(runs.forecast_year, runs.cutoff_month, 1) as observed_through,
    runs.months_observed,
    runs.year_last_month - runs.cutoff_month as months_to_come,
    runs.method_case,
    runs.method_version,
    runs.numerator_so_far,
    runs.denominator_so_far,
    {{ pct('runs.numerator_so_far', 'runs.denominator_so_far') }} as value_so_far_pct,
    runs.numerator_forecast,
    runs.denominator_forecast,
    runs.forecast_pct,
    runs.interval_low_pct,
    runs.interval_high_pct
from runs
left join {{ ref('dim_province') }} as provinces
    on runs.province_code = provinces.province_code and runs.era = provinces.era
