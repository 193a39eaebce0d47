-- Who reported, per source, for every row fct_kpi rolls up above the agency: each province on
-- each unit basis and the nation. The units are the reporting provinces as they were in each
-- month (63 legacy before 1 July 2025, 34 current from then):
--   units_expected: the units that make up the row over its period (a current province before
--     July 2025 = its legacy predecessors; its 2025 = predecessors + itself; the nation = every
--     province of the period's era(s));
--   units_reporting_<present>: those of them whose own row of the period (reported basis, cut at
--     the restructuring) has the source a KPI's `present` count stands for (macros/
--     kpi_definitions.sql: flow_rows, dossier_events, ...) and is complete in months
--     (int_kpi_counts.is_complete: every month, or the quarterly / yearly report of the period).
-- fct_kpi reads the column of each KPI's `present` count, and marks a roll-up complete only when
-- units_reporting = units_expected.
{%- set kpis = kpi_definitions() %}
{%- set present_columns = kpis | map(attribute='present') | unique | list %}

with

counts as (

    select
        unit_basis,
        period_grain,
        period_start,
        period_end,
        province_code,
        era,
        is_complete,
        {{ present_columns | join(', ') }}
    from {{ ref('int_kpi_counts') }}

),

unit_periods as (

    -- each reporting unit's own periods, the whole province (all agencies, levels, fields)
    select
        period_grain,
        period_start,
        period_end,
        province_code,
        era,
        bool_and(is_complete) as is_complete,
    {% for column in present_columns %}
        sum({{ column }}) as {{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from counts
    where unit_basis = 'reported'
    group by all

),

rollup_rows as (

    select distinct
        unit_basis,
        period_grain,
        period_start,
        period_end,
        province_code,
        era
    from counts

    union

    select distinct
        unit_basis,
        period_grain,
        period_start,
        period_end,
        'VN',
        'all'
    from counts

),

units as (

    -- every reporting unit, the months it existed and the current province it went into
    select
        legacy_code as unit_code,
        'legacy' as unit_era,
        current_code as successor_code,
        date '1900-01-01' as valid_from,
        date '2025-06-30' as valid_to
    from {{ ref('ref_province_crosswalk') }}

    union

    select distinct
        current_code as unit_code,
        'current' as unit_era,
        current_code as successor_code,
        date '2025-07-01' as valid_from,
        date '9999-12-31' as valid_to
    from {{ ref('ref_province_crosswalk') }}

),

expected as (

    select
        rollup_rows.unit_basis,
        rollup_rows.period_grain,
        rollup_rows.period_start,
        rollup_rows.period_end,
        rollup_rows.province_code,
        rollup_rows.era,
        units.unit_code,
        units.unit_era
    from rollup_rows
    inner join units
        on
            rollup_rows.period_end >= units.valid_from
            and rollup_rows.period_start <= units.valid_to
            and (
                rollup_rows.province_code = 'VN'
                or (
                    rollup_rows.unit_basis = 'reported'
                    and rollup_rows.province_code = units.unit_code
                    and rollup_rows.era = units.unit_era
                )
                or (
                    rollup_rows.unit_basis = 'current'
                    and rollup_rows.province_code = units.successor_code
                )
            )

),

unit_reports as (

    -- the unit's own rows of the same grain inside the roll-up's period (for a current
    -- province's 2025: a predecessor's January-June, the province's own July-December)
    select
        expected.unit_basis,
        expected.period_grain,
        expected.period_start,
        expected.period_end,
        expected.province_code,
        expected.era,
        expected.unit_era,
        expected.unit_code,
    {% for column in present_columns %}
        coalesce(bool_or(unit_periods.is_complete and unit_periods.{{ column }} > 0), false)
            as reported_{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from expected
    left join unit_periods
        on
            expected.unit_code = unit_periods.province_code
            and expected.unit_era = unit_periods.era
            and expected.period_grain = unit_periods.period_grain
            and expected.period_start <= unit_periods.period_start
            and expected.period_end >= unit_periods.period_end
    group by all

)

select
    unit_basis,
    period_grain,
    period_start,
    period_end,
    province_code,
    era,
    count(*) as units_expected,
{% for column in present_columns %}
    count(*) filter (where reported_{{ column }})
        as units_reporting_{{ column }}{{ "," if not loop.last }}
{%- endfor %}
from unit_reports
group by all
