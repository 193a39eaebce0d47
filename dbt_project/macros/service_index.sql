{#-
    The Decision-766-style composite index per province (and the nation) and month, on both unit
    bases, from the one versioned method file seeds/ref_index_method.csv (groups, weights,
    sub-indicators, thresholds, formulas, each cited) and seeds/ref_index_bands.csv.
    A sub-indicator's points: linear = max_points x rate / 100; capped = max_points x
    min(rate / full_at_pct, 1). A group is computed only when every sub-indicator has data for the
    province and month; otherwise points are null and not_computed_reason says what is missing.
    The total sums the computed groups; computed only when all groups are. computed_max_points is
    what the computed groups could give: a total with a group not computed reads "x of the y points
    that could be computed" and has NO band (it is not a score out of 100; ranking provinces on it
    compares different sums). Only a computed total gets a band (on its points out of 100).
    period_grain: fct_kpi's grain the index is computed on (month, quarter or year).
-#}
{% macro service_index(period_grain) %}
{%- set missing_sub_indicator -%}
    case
        when formula = 'not_available' then 'no loaded source supports ' || sub_indicator
        when points is null then 'no data for ' || kpi_code
    end
{%- endset %}
with

method as (

    select
        method_version,
        group_code,
        group_name_vi,
        group_name_en,
        group_max_points,
        sub_indicator,
        kpi_code,
        max_points,
        formula,
        full_at_pct
    from {{ ref('ref_index_method') }}

),

monthly as (

    select
        unit_basis,
        period_start,
        period_end,
        province_code,
        province_name,
        era,
        kpi_code,
        value_pct
    from {{ ref('fct_kpi') }}
    where
        period_grain = '{{ period_grain }}'
        and level = 'all'
        and agency_code is null
        and procedure_field is null

),

units as (

    select distinct
        unit_basis,
        period_start,
        period_end,
        province_code,
        province_name,
        era
    from monthly

),

sub_indicators as (

    select
        units.unit_basis,
        units.period_start,
        units.period_end,
        units.province_code,
        units.province_name,
        units.era,
        method.method_version,
        method.group_code,
        method.group_name_vi,
        method.group_name_en,
        method.group_max_points,
        method.sub_indicator,
        method.kpi_code,
        method.max_points,
        method.formula,
        monthly.value_pct,
        -- (least() skips nulls in DuckDB: a missing rate must stay null, not become full points)
        case
            when monthly.value_pct is null then null
            when method.formula = 'linear'
                then method.max_points * least(monthly.value_pct, 100) / 100
            when method.formula = 'capped'
                then method.max_points * least(monthly.value_pct / method.full_at_pct, 1)
        end as points
    from units
    cross join method
    left join monthly
        on
            units.unit_basis = monthly.unit_basis
            and units.period_start = monthly.period_start
            and units.province_code = monthly.province_code
            and method.kpi_code = monthly.kpi_code

),

groups as (

    select
        unit_basis,
        period_start,
        period_end,
        province_code,
        province_name,
        era,
        method_version,
        group_code,
        group_name_vi,
        group_name_en,
        max(group_max_points) as max_points,
        bool_and(points is not null) as computed,
        case when bool_and(points is not null) then round(sum(points), 4) end as points,
        {{ ordered_string_agg(missing_sub_indicator, "'; '", 'sub_indicator') }}
            as not_computed_reason
    from sub_indicators
    group by all

),

totals as (

    select
        unit_basis,
        period_start,
        period_end,
        province_code,
        province_name,
        era,
        method_version,
        'total' as group_code,
        'Tổng điểm' as group_name_vi,
        'Total' as group_name_en,
        sum(max_points) as max_points,
        bool_and(computed) as computed,
        round(sum(points), 4) as points,
        case
            when not bool_and(computed)
                then
                    'groups not computed: '
                    || {{ ordered_string_agg(
                        'case when not computed then group_code end', "', '", 'group_code'
                    ) }}
        end as not_computed_reason,
        sum(case when computed then max_points end) as computed_max_points
    from groups
    group by all

),

normalized as (

    select
        *,
        case
            when computed_max_points > 0 then round(100 * points / computed_max_points, 4)
        end as points_normalized
    from totals

),

banded as (

    -- the highest band the points reach (a join, not a correlated subquery with a limit:
    -- Spark runs no such subquery); one row per total
    select
        normalized.*,
        bands.band
    from normalized
    left join {{ ref('ref_index_bands') }} as bands
        on
            normalized.computed
            and bands.method_version = normalized.method_version
            and normalized.points >= bands.min_points
    qualify row_number() over (
        partition by
            normalized.unit_basis, normalized.period_start, normalized.period_end,
            normalized.province_code, normalized.era, normalized.method_version
        order by bands.min_points desc nulls last
    ) = 1

)

select
    period_start,
    period_end,
    unit_basis,
    province_code,
    province_name,
    era,
    group_code,
    group_name_vi,
    group_name_en,
    max_points,
    points,
    computed,
    not_computed_reason,
    case when computed then max_points end as computed_max_points,
    null::string as band,
    null::double as points_normalized,
    null::string as band_basis,
    method_version
from groups

union all

select
    period_start,
    period_end,
    unit_basis,
    province_code,
    province_name,
    era,
    group_code,
    group_name_vi,
    group_name_en,
    max_points,
    points,
    computed,
    not_computed_reason,
    computed_max_points,
    band,
    points_normalized,
    case
        when computed then 'points out of 100'
        else
            'no band: groups not computed (points of the '
            || coalesce(computed_max_points, 0)
            || ' that could be computed)'
    end as band_basis,
    method_version
from banded
{% endmacro %}
