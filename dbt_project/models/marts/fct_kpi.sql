-- Every KPI as numerator, denominator and percent, at agency, level and province grain.
-- Roll-ups add the counts first and take the ratio last: percentages are never averaged.
{%- set kpis = kpi_definitions() %}
{%- set count_columns = [
    'received_total', 'carried_over', 'received_online', 'received_direct_postal',
    'resolved_total', 'resolved_early', 'resolved_on_time', 'resolved_late',
    'in_progress_total', 'in_progress_within_due', 'in_progress_overdue', 'returned_withdrawn',
] %}

with

flow as (

    select
        period_grain,
        period_start,
        period_end,
        province_code,
        province_name,
        level,
        agency_code,
        {% for column in count_columns %}{{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ ref('int_dossier_flow') }}

),

level_grain as (

    select
        period_grain,
        period_start,
        period_end,
        province_code,
        province_name,
        level,
        null::varchar as agency_code,
        {% for column in count_columns %}sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from flow
    group by all

),

province_grain as (

    select
        period_grain,
        period_start,
        period_end,
        province_code,
        province_name,
        'all' as level,
        null::varchar as agency_code,
        {% for column in count_columns %}sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from flow
    group by all

),

all_grains as (

    {% for grain in ['flow', 'level_grain', 'province_grain'] %}
    select
        period_grain,
        period_start,
        period_end,
        province_code,
        province_name,
        level,
        agency_code,
        {% for column in count_columns %}{{ column }}{{ "," if not loop.last }}
        {% endfor %}
    from {{ grain }}
    {{ "union all" if not loop.last }}
    {% endfor %}

),

kpis as (

    {% for kpi in kpis %}
    select
        '{{ kpi.code }}' as kpi_code,
        period_grain,
        period_start,
        period_end,
        province_code,
        province_name,
        level,
        agency_code,
        ({{ kpi.numerator }})::bigint as numerator,
        ({{ kpi.denominator }})::bigint as denominator
    from all_grains
    {{ "union all" if not loop.last }}
    {% endfor %}

)

select
    kpi_code,
    period_grain,
    period_start,
    period_end,
    province_code,
    province_name,
    level,
    agency_code,
    numerator,
    denominator,
    {{ pct('numerator', 'denominator') }} as value_pct
from kpis
