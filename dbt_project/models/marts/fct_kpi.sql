-- Every KPI of shared/domain/KPIS.md as numerator, denominator and percent, at every grain:
-- agency, level, province (level 'all') and nation ('VN'); month, quarter and year; on the
-- reported and the current unit basis; for all fields (procedure_field null) and, at province
-- and nation level 'all', per procedure field where the source has fields.
-- Counts are rolled up first (int_kpi_counts did time and basis) and the ratio is taken last.
-- Flow KPIs (received / resolved / in progress) come from the monthly report where the province
-- has one for the month, else from dossier records (count_source says which).
-- Roll-ups say who reported (int_kpi_units): units_reporting of units_expected provinces, and
-- is_complete only when all of them reported the KPI's source in every month of the period.
-- Incremental by province (macros/incremental_scope.sql), like int_kpi_counts it reads: a run
-- rebuilds the rows of the provinces int_kpi_counts rebuilt, and the nation's (a sum over every
-- province), which any touched province changes.
{%- set kpis = kpi_definitions() %}
{%- set columns = all_count_columns() %}
{%- set present_columns = kpis | map(attribute='present') | unique | list %}
{%- set inputs = count_inputs() %}
{{ incremental_by_province(inputs, nation=true) }}
{%- set touched = touched_provinces(inputs) %}

with

all_counts as (

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
    {%- if touched is not none and touched | length == 0 %}
        where false  -- nothing touched since the last build: no province, and no nation either
    {%- endif %}

),

counts as (

    -- the provinces' own grains: the touched provinces (every province on a full build)
    select *
    from all_counts
    where {{ in_touched_provinces(touched, 'province_code', 'era') }}

),

{%- set grains = {
    'agency_grain': {'province': 'province_code', 'level': 'level', 'agency': 'agency_code', 'field': 'null::string', 'where': 'agency_code is not null and level is not null'},
    'level_grain': {'province': 'province_code', 'level': 'level', 'agency': 'null::string', 'field': 'null::string', 'where': 'level is not null'},
    'province_grain': {'province': 'province_code', 'level': "'all'", 'agency': 'null::string', 'field': 'null::string', 'where': 'true'},
    'province_field_grain': {'province': 'province_code', 'level': "'all'", 'agency': 'null::string', 'field': 'procedure_field', 'where': 'procedure_field is not null'},
    'nation_level_grain': {'province': "'VN'", 'level': 'level', 'agency': 'null::string', 'field': 'null::string', 'where': 'level is not null', 'from': 'all_counts'},
    'nation_grain': {'province': "'VN'", 'level': "'all'", 'agency': 'null::string', 'field': 'null::string', 'where': 'true', 'from': 'all_counts'},
    'nation_field_grain': {'province': "'VN'", 'level': "'all'", 'agency': 'null::string', 'field': 'procedure_field', 'where': 'procedure_field is not null', 'from': 'all_counts'},
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
        from {{ spec.get('from', 'counts') }}
        where {{ spec.where }}
        group by all

    ),
{% endfor %}

unioned as (

    {% for grain in grains %}
        select * from {{ grain }}
        {{ "union all" if not loop.last }}
    {% endfor %}

),

rolled as (

    -- roll-ups (no agency) say who reported: int_kpi_units, per source
    select
        unioned.*,
        units.units_expected,
    {% for column in present_columns %}
        units.units_reporting_{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from unioned
    left join {{ ref('int_kpi_units') }} as units
        on
            unioned.agency_code is null
            and unioned.unit_basis = units.unit_basis
            and unioned.period_grain = units.period_grain
            and unioned.period_start = units.period_start
            and unioned.period_end = units.period_end
            and unioned.province_code = units.province_code
            and unioned.era = units.era

),

{#- what each KPI reads of a row of counts (kpis below picks by kpi_code) -#}
{%- set per_kpi = {'present': {}, 'count_source': {}, 'units_reporting': {}, 'numerator': {}, 'denominator': {}} %}
{%- for kpi in kpis %}
    {%- set split = count_source_rows().get(kpi.present) %}
    {%- if split %}
        {%- set first, first_rows = split[0] %}
        {%- set second, second_rows = split[1] %}
        {%- set count_source -%}
            case
                when {{ first_rows }} > 0 and {{ second_rows }} > 0 then '{{ first }}+{{ second }}'
                when {{ first_rows }} > 0 then '{{ first }}'
                else '{{ second }}'
            end
        {%- endset %}
    {%- else %}
        {%- set count_source = "'" ~ kpi.source ~ "'" %}
    {%- endif %}
    {%- do per_kpi.present.update({kpi.code: kpi.present ~ ' > 0'}) %}
    {%- do per_kpi.count_source.update({kpi.code: count_source}) %}
    {%- do per_kpi.units_reporting.update({kpi.code: 'units_reporting_' ~ kpi.present}) %}
    {%- do per_kpi.numerator.update({kpi.code: '(' ~ kpi.numerator ~ ')::bigint'}) %}
    {%- do per_kpi.denominator.update({kpi.code: '(' ~ kpi.denominator ~ ')::bigint'}) %}
{%- endfor %}

kpi_rows as (

    -- each row of counts once per KPI: one pass over the rows (a union of one select per KPI
    -- would recompute `rolled` for each on Spark, which inlines CTEs)
    select
        kpi_list.kpi_code,
        rolled.*
    from rolled
    cross join (
        values
        {%- for kpi in kpis %}
            ('{{ kpi.code }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as kpi_list (kpi_code)

),

kpis as (

    -- every KPI on every row of counts where its source has data (noqa LT02 below: the
    -- expressions of kpi_definitions() keep their own layout)
    select
        kpi_code,
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
        units_expected,
    {%- for field in ['count_source', 'units_reporting', 'numerator', 'denominator'] %}
        case kpi_code  -- noqa: LT02
        {%- for code, expression in per_kpi[field].items() %}
            when '{{ code }}' then {{ expression }}  -- noqa: LT02
        {%- endfor %}
        end as {{ field }}{{ "," if not loop.last }}
    {%- endfor %}
    from kpi_rows
    where
        case kpi_code  -- noqa: LT02
        {%- for code, expression in per_kpi.present.items() %}
            when '{{ code }}' then {{ expression }}  -- noqa: LT02
        {%- endfor %}
        end

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
    kpis.units_reporting,
    kpis.units_expected,
    -- an agency is complete on its own months; a roll-up also needs every unit it is made of
    case
        when kpis.agency_code is not null then kpis.is_complete
        else
            kpis.is_complete
            and coalesce(kpis.units_expected > 0, false)
            and kpis.units_reporting = kpis.units_expected
    end as is_complete
from kpis
left join provinces
    on kpis.province_code = provinces.province_code and kpis.era = provinces.era
