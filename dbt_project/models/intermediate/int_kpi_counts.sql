-- Every count a KPI needs, per agency (and field) for every month, quarter and year, on both
-- unit bases:
--   reported: provinces as they were in the period (int_flow_periods + int_activity_month);
--   current: every legacy province's rows under its 2025 successor. Each legacy province goes
--   whole into one successor, so each dossier is counted once; stocks follow the period rule
--   (a current province's 2025 carried over is its predecessors' on 1 January, its in progress
--   its own on 31 December).
-- Incremental by province (macros/incremental_scope.sql): a run rebuilds the provinces whose
-- staging rows changed, their successors, and for a successor all its predecessors' rows.
{%- set flows = flow_columns() %}
{%- set activity = activity_columns() %}
{%- set all_columns = all_count_columns() %}
{%- set output_columns = unit_period_keys()
    + ['flow_built_from', 'months_covered', 'is_complete'] + all_columns | list %}
{%- set inputs = count_inputs() %}
{{ incremental_by_province(inputs) }}
{%- set touched = touched_provinces(inputs) %}

with

activity_months as (

    select
        province_code,
        era,
        month_start,
        month_end,
        date_trunc('quarter', month_start)::date as quarter_start,
        date_trunc('year', month_start)::date as year_start,
        agency_code,
        agency_name,
        level,
        procedure_field,
        {{ activity | join(', ') }}
    from {{ ref('int_activity_month') }}
    where {{ in_touched_provinces_or_successor(touched, 'province_code', 'era') }}

),

activity_marked as (

    select
        *,
        month_start = min(month_start) over (partition by province_code, era, quarter_start)
            as first_in_quarter,
        month_start = max(month_start) over (partition by province_code, era, quarter_start)
            as last_in_quarter,
        month_start = min(month_start) over (partition by province_code, era, year_start)
            as first_in_year,
        month_start = max(month_start) over (partition by province_code, era, year_start)
            as last_in_year,
        {{ count_distinct_over('month_start', 'province_code, era, quarter_start') }}
            as months_in_quarter,
        {{ count_distinct_over('month_start', 'province_code, era, year_start') }}
            as months_in_year
    from activity_months

),

activity_periods as (

    select
        'month' as period_grain,
        month_start as period_start,
        month_end as period_end,
        province_code,
        era,
        agency_code,
        agency_name,
        level,
        procedure_field,
        1 as months_covered,
        true as is_complete,
        {{ activity | join(', ') }}
    from activity_months

    union all

    select
        'quarter',
        quarter_start,
        (quarter_start + interval 3 month - interval 1 day)::date,
        province_code,
        era,
        agency_code,
        agency_name,
        level,
        procedure_field,
        max(months_in_quarter),
        max(months_in_quarter) = 3,
        {{ compose_counts(activity)
            | replace('is_first', 'first_in_quarter') | replace('is_last', 'last_in_quarter') }}
    from activity_marked
    group by all

    union all

    select
        'year',
        greatest(year_start, case when era = 'current' then date '2025-07-01' else year_start end),
        least(
            (year_start + interval 1 year - interval 1 day)::date,
            case when era = 'legacy' then date '2025-06-30' else date '2999-12-31' end
        ),
        province_code,
        era,
        agency_code,
        agency_name,
        level,
        procedure_field,
        max(months_in_year),
        max(months_in_year) = max(case when year(year_start) = 2025 then 6 else 12 end),
        {{ compose_counts(activity)
            | replace('is_first', 'first_in_year') | replace('is_last', 'last_in_year') }}
    from activity_marked
    group by all

),

flow_periods as (

    select
        {{ unit_period_keys() | join(', ') }},
        built_from,
        months_covered,
        is_complete,
        {{ flows | join(', ') }}
    from {{ ref('int_flow_periods') }}
    where {{ in_touched_provinces_or_successor(touched, 'province_code', 'era') }}

),

reported as (

    select
        period_grain,
        period_start,
        period_end,
        province_code,
        era,
        agency_code,
        max(agency_name) as agency_name,
        level,
        procedure_field,
        max(built_from) as flow_built_from,
        max(months_covered) as months_covered,
        coalesce(bool_and(is_complete), true) as is_complete,
    {% for column in all_columns %}
        coalesce(sum({{ column }}), 0)::bigint as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from (
        {%- set period_columns = unit_period_keys() + ['months_covered', 'is_complete'] %}
        {{ union_all_by_name(period_columns + ['built_from'] + all_columns | list, [
            ('flow_periods', period_columns + ['built_from'] + flows | list),
            ('activity_periods', period_columns + activity | list),
        ]) }}
    ) as unioned
    group by
        period_grain, period_start, period_end, province_code, era, agency_code, level,
        procedure_field

),

mapped as (

    select
        reported.*,
        coalesce(crosswalk.current_code, reported.province_code) as current_code,
        case
            when reported.period_grain = 'year' then date_trunc('year', reported.period_start)::date
            else reported.period_start
        end as nominal_start,
        case
            when reported.period_grain = 'year'
                then
                    (date_trunc('year', reported.period_start) + interval 1 year - interval 1 day)
                    ::date
            else reported.period_end
        end as nominal_end
    from reported
    left join {{ ref('ref_province_crosswalk') }} as crosswalk
        on reported.era = 'legacy' and reported.province_code = crosswalk.legacy_code

),

current_marked as (

    select
        *,
        period_start = min(period_start) over successor_period as is_first,
        period_end = max(period_end) over successor_period as is_last
    from mapped
    window successor_period as (partition by current_code, period_grain, nominal_start)

),

coverage as (

    -- months covered by a successor's period: its predecessors' part plus its own part
    select
        current_code,
        period_grain,
        nominal_start,
        sum(months_covered) as months_covered
    from (
        select
            current_code,
            period_grain,
            nominal_start,
            period_start,
            max(months_covered) as months_covered
        from mapped
        group by all
    ) as parts
    group by all

),

current_basis as (

    select
        'current' as unit_basis,
        current_marked.period_grain,
        current_marked.nominal_start as period_start,
        current_marked.nominal_end as period_end,
        current_marked.current_code as province_code,
        'current' as era,
        current_marked.agency_code,
        max(current_marked.agency_name) as agency_name,
        current_marked.level,
        current_marked.procedure_field,
        max(current_marked.flow_built_from) as flow_built_from,
        max(coverage.months_covered) as months_covered,
        bool_and(current_marked.is_complete) as is_complete,
        {{ compose_counts(all_columns) }}
    from current_marked
    inner join coverage
        on
            current_marked.current_code = coverage.current_code
            and current_marked.period_grain = coverage.period_grain
            and current_marked.nominal_start = coverage.nominal_start
    group by all

)

select
    'reported' as unit_basis,
    {{ output_columns | join(', ') }}
from reported
where {{ in_touched_provinces(touched, 'province_code', 'era') }}

union all

select
    unit_basis,
    {{ output_columns | join(', ') }}
from current_basis
where {{ in_touched_provinces(touched, 'province_code', 'era') }}
