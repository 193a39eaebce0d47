-- The forecast method judged on history it did not see: every forecast int_forecast_runs made
-- at the end of a month from June on, for a year that is now complete, against that year's
-- actual value (the fct_kpi year row of the same unit). error_pp = forecast - actual;
-- within_interval says whether the 80 % interval held the actual.
with

runs as (

    select *
    from {{ ref('int_forecast_runs') }}
    where cutoff_month >= 6

),

actuals as (

    select
        kpi_code,
        unit_basis,
        province_code,
        era,
        level,
        agency_code,
        year(period_start) as forecast_year,
        value_pct as actual_pct
    from {{ ref('fct_kpi') }}
    where period_grain = 'year' and procedure_field is null and is_complete

)

select
    runs.kpi_code,
    runs.unit_basis,
    runs.province_code,
    runs.era,
    runs.level,
    runs.agency_code,
    runs.forecast_year,
    runs.cutoff_month,
    runs.months_observed,
    runs.method_case,
    runs.method_version,
    runs.forecast_pct,
    runs.interval_low_pct,
    runs.interval_high_pct,
    actuals.actual_pct,
    round(runs.forecast_pct - actuals.actual_pct, 6) as error_pp,
    round(abs(runs.forecast_pct - actuals.actual_pct), 6) as abs_error_pp,
    actuals.actual_pct between runs.interval_low_pct and runs.interval_high_pct
        as within_interval
from runs
inner join actuals
    on
        {{ same_forecast_unit('runs', 'actuals') }}
        and runs.forecast_year = actuals.forecast_year
where runs.forecast_pct is not null and actuals.actual_pct is not null
