-- Every KPI of shared/domain/KPIS.md as numerator, denominator and percent, at every grain:
-- agency, level, province (level 'all') and nation ('VN'); month, quarter and year; on the
-- reported and the current unit basis; for all fields (procedure_field null) and, at province
-- and nation level 'all', per procedure field where the source has fields.
-- Counts are rolled up first (int_kpi_counts did time and basis) and the ratio is taken last.
-- Flow KPIs (received / resolved / in progress) come from the monthly report where the province
-- has one for the month, else from dossier records (count_source says which).
{%- set kpis = kpi_definitions() %}
{%- set columns = all_count_columns() %}

with

counts as (

    select
        unit_basis,
        period_grain,
        period_start,
        period_end,
        province_code,
        era,
        agency_code,
        level,
        procedure_field,
        months_covered,
        is_complete,
        {{ columns | join(', ') }}
    from {{ ref('int_kpi_counts') }}

),

{%- set grains = {
    'agency_grain': {'province': 'province_code', 'level': 'level', 'agency': 'agency_code', 'field': 'null::varchar', 'where': 'agency_code is not null and level is not null'},
    'level_grain': {'province': 'province_code', 'level': 'level', 'agency': 'null::varchar', 'field': 'null::varchar', 'where': 'level is not null'},
    'province_grain': {'province': 'province_code', 'level': "'all'", 'agency': 'null::varchar', 'field': 'null::varchar', 'where': 'true'},
    'province_field_grain': {'province': 'province_code', 'level': "'all'", 'agency': 'null::varchar', 'field': 'procedure_field', 'where': 'procedure_field is not null'},
    'nation_level_grain': {'province': "'VN'", 'level': 'level', 'agency': 'null::varchar', 'field': 'null::varchar', 'where': 'level is not null'},
    'nation_grain': {'province': "'VN'", 'level': "'all'", 'agency': 'null::varchar', 'field': 'null::varchar', 'where': 'true'},
    'nation_field_grain': {'province': "'VN'", 'level': "'all'", 'agency': 'null::varchar', 'field': 'procedure_field', 'where': 'procedure_field is not null'},
} %}

{% for grain, spec in grains.items() %}
    {{ grain }} as (

        select
            unit_basis,
            period_grain,
            period_start,
            period_end,
            {{ spec.province }} as province_code,
            {{ "'all'" if spec.province == "'VN'" else "era" }} as era,
            {{ spec.level }} as level,
            {{ spec.agency }} as agency_code,
            {{ spec.field }} as procedure_field,
            max(months_covered) as months_covered,
            bool_and(is_complete) as is_complete,
            {{ sum_counts(columns.keys() | list) }}
        from counts
        where {{ spec.where }}
        group by all

    ),
{% endfor %}

rolled as (

    {% for grain in grains %}
        select * from {{ grain }}
        {{ "union all" if not loop.last }}
    {% endfor %}

),

kpis as (

    {% for kpi in kpis %}
        select
            '{{ kpi.code }}' as kpi_code,
            unit_basis,
            period_grain,
            period_start,
            period_end,
            province_code,
            era,
            level,
            agency_code,
            procedure_field,
            months_covered,
            is_complete,
            {%- if kpi.present == 'flow_rows' %}
                case
                    when flow_report_rows > 0 and flow_dossier_rows > 0
                        then 'portal_report+dossiers'
                    when flow_report_rows > 0 then 'portal_report'
                    else 'dossiers'
                end as count_source,
            {%- else %}
                '{{ kpi.source }}' as count_source,
            {%- endif %}
            ({{ kpi.numerator }})::bigint as numerator,
            ({{ kpi.denominator }})::bigint as denominator
        from rolled
        where {{ kpi.present }} > 0
        {{ "union all" if not loop.last }}
    {% endfor %}

),

provinces as (

    select
        province_code,
        era,
        province_name
    from {{ ref('dim_province') }}
    union all
    select
        'VN',
        'all',
        'Toàn quốc'

)

select
    kpis.kpi_code,
    kpis.period_grain,
    kpis.period_start,
    kpis.period_end,
    kpis.unit_basis,
    kpis.province_code,
    provinces.province_name,
    kpis.era,
    kpis.level,
    kpis.agency_code,
    kpis.procedure_field,
    kpis.numerator,
    kpis.denominator,
    {{ pct('kpis.numerator', 'kpis.denominator') }} as value_pct,
    kpis.count_source,
    kpis.months_covered,
    kpis.is_complete
from kpis
left join provinces
    on kpis.province_code = provinces.province_code and kpis.era = provinces.era
