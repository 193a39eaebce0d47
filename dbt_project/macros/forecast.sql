{#-
    How a KPI's year-end value is composed from its months (forecast models): 'stock' when its
    numerator and denominator are states at the period end only (the procedure catalog, dossiers
    in progress): the year ends where the last month stands; 'flow' otherwise: the year adds its
    months. progress_on_time_rate mixes both (resolved flows + in progress at the end) and is
    forecast as a flow; the back-test measures what that costs.
    Read from kpi_definitions() and flow_columns()/activity_columns(): never restated.
-#}
{% macro kpi_year_compositions() %}
    {%- set kinds = all_count_columns() %}
    {%- set rows = [] %}
    {%- for kpi in kpi_definitions() %}
        {%- set terms = (kpi.numerator ~ ' + ' ~ kpi.denominator).split('+') %}
        {%- set ns = namespace(stock_only=true) %}
        {%- for term in terms %}
            {%- if kinds[term | trim] == 'flow' %}{% set ns.stock_only = false %}{% endif %}
        {%- endfor %}
        {%- do rows.append("('" ~ kpi.code ~ "', '" ~ ('stock' if ns.stock_only else 'flow')
            ~ "', '" ~ kpi.direction ~ "')") %}
    {%- endfor %}
    select * from (values {{ rows | join(', ') }}) as compositions (kpi_code, composition, direction)
{%- endmacro %}

{#- The method version the forecast models use (seeds/ref_forecast_method.csv). -#}
{% macro forecast_method_version() %}'forecast-v1'{% endmacro %}

{#- What identifies a forecast series: the unit (basis, province, era, level, agency) and KPI. -#}
{% macro forecast_unit_columns() %}
    {{ return(['unit_basis', 'province_code', 'era', 'level', 'agency_code', 'kpi_code']) }}
{% endmacro %}

{#- Join condition: `left` and `right` are the same forecast series (null agency = null agency). -#}
{% macro same_forecast_unit(left, right) -%}
    {%- for column in forecast_unit_columns() %}
    {{ left }}.{{ column }} is not distinct from {{ right }}.{{ column }}
    {%- if not loop.last %} and{% endif %}
    {%- endfor %}
{%- endmacro %}

{#- The forecast unit's columns qualified by `alias`, one per line (for select lists). -#}
{% macro forecast_unit_of(alias) -%}
    {%- for column in forecast_unit_columns() %}
        {{ alias }}.{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#-
    Join condition: `rows` (fct_kpi-like rows) are the plan unit `unit`'s: its commune agency's
    rows when the plan is a commune's own, else the province-wide rows of the target's level
    (`unit_level`, e.g. 'targets.applies_to_level'), as fct_target_attainment matches them.
-#}
{% macro is_plan_unit_row(unit, rows, unit_level) -%}
    (
        ({{ unit }}.agency_code is not null and {{ unit }}.agency_code = {{ rows }}.agency_code)
        or (
            {{ unit }}.agency_code is null
            and {{ rows }}.agency_code is null
            and {{ unit_level }} = {{ rows }}.level
        )
    )
{%- endmacro %}
