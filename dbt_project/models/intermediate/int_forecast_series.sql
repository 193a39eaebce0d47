-- The monthly series a year-end forecast is made from: one row per unit, KPI and month, from
-- fct_kpi's month rows (all fields). Units: every province on the current basis (today's 34
-- provinces, whole history), and every plan unit with targets on the reported basis (the unit as
-- it was, seeds/ref_plan_units.csv): the province's levels, or the commune agency that set them.
-- year_first_month / year_last_month bound the unit's year (a legacy province's 2025 ends in
-- June, a current one's reported 2025 starts in July).
with

compositions as (

    {{ kpi_year_compositions() }}

),

plan_units as (

    select distinct
        province_code,
        era,
        agency_code,
        case when agency_code is null then applies_to_level end as level
    from {{ ref('fct_target_attainment') }}
    where province_code is not null

),

months as (

    select
        kpi_code,
        unit_basis,
        province_code,
        era,
        level,
        agency_code,
        period_start as month_start,
        numerator,
        denominator
    from {{ ref('fct_kpi') }}
    where period_grain = 'month' and procedure_field is null

),

province_months as (

    select *
    from months
    where
        unit_basis = 'current'
        and province_code != 'VN'
        and level = 'all'
        and agency_code is null

),

plan_unit_months as (

    select months.*
    from months
    inner join plan_units
        on
            months.province_code = plan_units.province_code
            and months.era = plan_units.era
            and {{ is_plan_unit_row('plan_units', 'months', 'plan_units.level') }}
    where months.unit_basis = 'reported'

),

series as (

    select * from province_months
    union all
    select * from plan_unit_months

)

select
    series.unit_basis,
    series.province_code,
    series.era,
    series.level,
    series.agency_code,
    series.kpi_code,
    compositions.composition,
    compositions.direction,
    series.month_start,
    year(series.month_start) as forecast_year,
    month(series.month_start) as month_no,
    case
        when
            series.unit_basis = 'reported' and series.era = 'current'
            and year(series.month_start) = 2025 then 7
        else 1
    end as year_first_month,
    case
        when
            series.unit_basis = 'reported' and series.era = 'legacy'
            and year(series.month_start) = 2025 then 6
        else 12
    end as year_last_month,
    series.numerator,
    series.denominator
from series
inner join compositions
    on series.kpi_code = compositions.kpi_code
