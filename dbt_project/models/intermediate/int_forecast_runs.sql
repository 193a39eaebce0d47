-- Year-end forecasts of every series of int_forecast_series, made at the end of each observed
-- month of each year (the cutoff): the running year's latest one is fct_kpi_forecast, the
-- earlier ones are judged against the actual year in fct_forecast_backtest. One method, written
-- once here (seeds/ref_forecast_method.csv explains it; version forecast_method_version()):
--   flow KPIs: remaining months' denominator = this year's level so far x the unit's seasonal
--   index of that month (mean over complete earlier years; 1 in a first year); remaining months'
--   rate = the last 3 observed months' rate + slope x months ahead, where slope = (that rate -
--   the same 3 months' rate a year earlier) / 12 (0 in a first year); the year adds its months.
--   80 % interval: +- z x (sd of the last 12 months' rate around that line) x the forecast share
--   of the year's denominator still to come.
--   stock KPIs: the year ends where the latest month stands; +- z x sd(month-to-month change) x
--   sqrt(months to come).
{%- set unit = forecast_unit_columns() %}

with

calendar_months as (

    select months.month_no
    from (
        values
        {%- for month_no in range(1, 13) %}
            ({{ month_no }}){{ "," if not loop.last }}
        {%- endfor %}
    ) as months (month_no)

),

series as (

    select
        *,
        forecast_year * 12 + month_no - 1 as month_index,
        case when denominator > 0 then numerator / denominator end as rate
    from {{ ref('int_forecast_series') }}

),

method as (

    select
        method_case,
        interval_z
    from {{ ref('ref_forecast_method') }}
    where method_version = {{ forecast_method_version() }}

),

cutoffs as (

    select
        {{ unit | join(', ') }},
        composition,
        direction,
        forecast_year,
        month_no as cutoff_month,
        month_index as cutoff_index,
        year_first_month,
        year_last_month
    from series
    where month_no < year_last_month

),

-- seasonal index of each month in each complete year: the month's share of the year's volume x 12
complete_years as (

    select
        {{ unit | join(', ') }},
        forecast_year,
        sum(denominator) / count(*) as mean_month_denominator
    from series
    group by all
    having count(*) = max(year_last_month - year_first_month + 1) and sum(denominator) > 0

),

year_season as (

    select
        series.*,
        series.denominator / complete_years.mean_month_denominator as season_index
    from series
    inner join complete_years
        on
            {{ same_forecast_unit('series', 'complete_years') }}
            and series.forecast_year = complete_years.forecast_year

),

-- per cutoff: mean seasonal index of each month over the complete years before the cutoff's year
season as (

    select
        {{ forecast_unit_of('cutoffs') }},
        cutoffs.forecast_year,
        cutoffs.cutoff_month,
        year_season.month_no,
        avg(year_season.season_index) as season_index
    from cutoffs
    inner join year_season
        on
            {{ same_forecast_unit('cutoffs', 'year_season') }}
            and cutoffs.forecast_year > year_season.forecast_year
    group by all

),

-- what the cutoff knows: this year's months up to it, and the 12 months before it
known as (

    select
        {{ forecast_unit_of('cutoffs') }},
        cutoffs.forecast_year,
        cutoffs.cutoff_month,
        cutoffs.cutoff_index,
        series.forecast_year as month_year,
        series.month_no,
        series.month_index,
        series.numerator,
        series.denominator,
        series.rate,
        coalesce(season.season_index, 1.0) as season_index
    from cutoffs
    inner join series
        on
            {{ same_forecast_unit('cutoffs', 'series') }}
            and series.month_index between cutoffs.cutoff_index - 23 and cutoffs.cutoff_index
    left join season
        on
            {{ same_forecast_unit('cutoffs', 'season') }}
            and cutoffs.forecast_year = season.forecast_year
            and cutoffs.cutoff_month = season.cutoff_month
            and series.month_no = season.month_no

),

observed as (

    select
        {{ unit | join(', ') }},
        forecast_year,
        cutoff_month,
        count(*) filter (where month_year = forecast_year) as months_observed,
        sum(numerator) filter (where month_year = forecast_year) as numerator_so_far,
        sum(denominator) filter (where month_year = forecast_year) as denominator_so_far,
        sum(season_index) filter (where month_year = forecast_year) as season_so_far,
        sum(numerator) filter (
            where month_year = forecast_year and month_index > cutoff_index - 3
        ) as recent_numerator,
        sum(denominator) filter (
            where month_year = forecast_year and month_index > cutoff_index - 3
        ) as recent_denominator,
        sum(numerator) filter (
            where month_index between cutoff_index - 14 and cutoff_index - 12
        ) as year_ago_numerator,
        sum(denominator) filter (
            where month_index between cutoff_index - 14 and cutoff_index - 12
        ) as year_ago_denominator,
        max(numerator) filter (where month_index = cutoff_index) as latest_numerator,
        max(denominator) filter (where month_index = cutoff_index) as latest_denominator
    from known
    group by all

),

has_history as (

    select distinct
        {{ unit | join(', ') }},
        forecast_year,
        cutoff_month
    from season

),

lines as (

    select
        cutoffs.*,
        observed.months_observed,
        observed.numerator_so_far,
        observed.denominator_so_far,
        observed.latest_numerator,
        observed.latest_denominator,
        case
            when cutoffs.composition = 'stock' then 'stock'
            when has_history.cutoff_month is not null then 'seasonal_trend'
            else 'first_year'
        end as method_case,
        observed.denominator_so_far / nullif(observed.season_so_far, 0) as volume_level,
        observed.recent_numerator / nullif(observed.recent_denominator, 0) as recent_rate,
        case
            when has_history.cutoff_month is not null and observed.year_ago_denominator > 0
                then (
                    observed.recent_numerator / nullif(observed.recent_denominator, 0)
                    - observed.year_ago_numerator / observed.year_ago_denominator
                ) / 12.0
            else 0.0
        end as rate_slope
    from cutoffs
    inner join observed
        on
            {{ same_forecast_unit('cutoffs', 'observed') }}
            and cutoffs.forecast_year = observed.forecast_year
            and cutoffs.cutoff_month = observed.cutoff_month
    left join has_history
        on
            {{ same_forecast_unit('cutoffs', 'has_history') }}
            and cutoffs.forecast_year = has_history.forecast_year
            and cutoffs.cutoff_month = has_history.cutoff_month

),

-- the months still to come of the year, each with its expected denominator and rate
remaining as (

    select
        {{ forecast_unit_of('lines') }},
        lines.forecast_year,
        lines.cutoff_month,
        sum(
            lines.volume_level * coalesce(season.season_index, 1.0)
        ) as denominator_to_come,
        sum(
            lines.volume_level * coalesce(season.season_index, 1.0)
            * greatest(0.0, least(
                1.0,
                lines.recent_rate + lines.rate_slope * (future.month_no - lines.cutoff_month + 1)
            ))
        ) as numerator_to_come
    from lines
    inner join calendar_months as future
        on lines.cutoff_month < future.month_no and lines.year_last_month >= future.month_no
    left join season
        on
            {{ same_forecast_unit('lines', 'season') }}
            and lines.forecast_year = season.forecast_year
            and lines.cutoff_month = season.cutoff_month
            and future.month_no = season.month_no
    where lines.method_case != 'stock'
    group by all

),

-- how far the monthly rate wandered in the 12 months up to the cutoff
spread as (

    select
        {{ forecast_unit_of('known') }},
        known.forecast_year,
        known.cutoff_month,
        stddev_samp(
            known.rate - (
                lines.recent_rate
                + lines.rate_slope * (known.month_index - known.cutoff_index + 1)
            )
        ) as residual_sd,
        stddev_samp(known.rate - known.previous_rate) as change_sd
    from (
        select
            *,
            lag(rate) over (
                partition by {{ unit | join(', ') }}, forecast_year, cutoff_month
                order by month_index
            ) as previous_rate
        from known
    ) as known
    inner join lines
        on
            {{ same_forecast_unit('known', 'lines') }}
            and known.forecast_year = lines.forecast_year
            and known.cutoff_month = lines.cutoff_month
    where known.month_index > known.cutoff_index - 12
    group by all

),

forecasts as (

    select
        lines.*,
        case
            when lines.method_case = 'stock' then lines.latest_numerator
            else lines.numerator_so_far + coalesce(remaining.numerator_to_come, 0)
        end as numerator_forecast,
        case
            when lines.method_case = 'stock' then lines.latest_denominator
            else lines.denominator_so_far + coalesce(remaining.denominator_to_come, 0)
        end as denominator_forecast,
        case
            when lines.method_case = 'stock'
                then
                    method.interval_z * spread.change_sd
                    * sqrt(lines.year_last_month - lines.cutoff_month)
            else
                method.interval_z * spread.residual_sd
                * remaining.denominator_to_come
                / nullif(lines.denominator_so_far + remaining.denominator_to_come, 0)
        end as interval_half_width
    from lines
    inner join method
        on lines.method_case = method.method_case
    left join remaining
        on
            {{ same_forecast_unit('lines', 'remaining') }}
            and lines.forecast_year = remaining.forecast_year
            and lines.cutoff_month = remaining.cutoff_month
    left join spread
        on
            {{ same_forecast_unit('lines', 'spread') }}
            and lines.forecast_year = spread.forecast_year
            and lines.cutoff_month = spread.cutoff_month

)

select
    {{ unit | join(', ') }},
    composition,
    direction,
    forecast_year,
    cutoff_month,
    year_first_month,
    year_last_month,
    months_observed,
    method_case,
    {{ forecast_method_version() }} as method_version,
    numerator_so_far,
    denominator_so_far,
    round(numerator_forecast, 3) as numerator_forecast,
    round(denominator_forecast, 3) as denominator_forecast,
    {{ pct('numerator_forecast', 'denominator_forecast') }} as forecast_pct,
    -- greatest / least skip nulls in DuckDB: no spread to measure must stay no interval
    case
        when denominator_forecast > 0 and interval_half_width is not null
            then
                round(greatest(0.0, 100.0 * (
                    numerator_forecast / denominator_forecast - interval_half_width
                )), 6)
    end as interval_low_pct,
    case
        when denominator_forecast > 0 and interval_half_width is not null
            then
                round(least(100.0, 100.0 * (
                    numerator_forecast / denominator_forecast + interval_half_width
                )), 6)
    end as interval_high_pct
from forecasts
