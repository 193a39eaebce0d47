-- The KPI catalogue, generated from the same definitions fct_kpi computes.
{%- set kpis = kpi_definitions() %}

{% for kpi in kpis %}
    select
        '{{ kpi.code }}' as kpi_code,
        '{{ kpi.name_vi }}' as name_vi,
        '{{ kpi.name_en }}' as name_en,
        'percent' as unit,
        '{{ kpi.direction }}' as direction,
        '{{ kpi.definition | replace("'", "''") }}' as definition,
        '{{ kpi.numerator }}' as numerator_expression,
        '{{ kpi.denominator }}' as denominator_expression,
        '{{ kpi.source }}' as source,
        {{ "'" ~ kpi.index_group ~ "'" if kpi.index_group else "null" }}::string as index_group,
        'shared/domain/KPIS.md' as reference
    {{ "union all" if not loop.last }}
{% endfor %}
