-- The flow buckets per agency for every month, quarter and year of each province as it was
-- (reported basis), built so that periods never double count:
--   a quarter is built from its months when all three exist (reports or dossier records, see
--   int_flow_month), else from a quarterly report of the province, else from the months there are
--   (is_complete = false); a year likewise from its quarters, else from a yearly report.
-- Built from sub-periods, flows add, carried over is the first sub-period's and in progress the
-- last one's. Years are cut at the 2025 restructuring: a legacy province's 2025 ends on 30 June,
-- a current one's starts on 1 July. Half-year and date-range reports pass through as reported.
{%- set flows = flow_columns() %}
{%- set columns = flows.keys() | list %}

with

months as (

    select
        province_code,
        era,
        month_start,
        month_end,
        date_trunc('quarter', month_start)::date as quarter_start,
        agency_code,
        agency_name,
        level,
        procedure_field,
        carried_over,
        received_online,
        received_direct_postal,
        resolved_early,
        resolved_on_time,
        resolved_late,
        in_progress_within_due,
        in_progress_overdue,
        returned_withdrawn,
        1 as flow_rows,
        (count_source = 'portal_report')::int as flow_report_rows,
        (count_source = 'dossiers')::int as flow_dossier_rows
    from {{ ref('int_flow_month') }}

),

reports as (

    select
        province_code,
        era,
        period_grain,
        period_start,
        period_end,
        agency_code,
        agency_name,
        level,
        null::string as procedure_field,
        carried_over,
        received_online,
        received_direct_postal,
        resolved_early,
        resolved_on_time,
        resolved_late,
        in_progress_within_due,
        in_progress_overdue,
        returned_withdrawn,
        1 as flow_rows,
        1 as flow_report_rows,
        0 as flow_dossier_rows
    from {{ ref('int_flow_reported') }}
    where period_grain <> 'month'

),

-- quarters ------------------------------------------------------------------------------------

quarter_keys as (

    select
        province_code,
        era,
        quarter_start,
        count(distinct month_start) as months_present
    from months
    group by all
    union all
    select
        province_code,
        era,
        period_start,
        0
    from reports
    where period_grain = 'quarter'

),

quarter_choice as (

    select
        quarter_keys.province_code,
        quarter_keys.era,
        quarter_keys.quarter_start,
        max(quarter_keys.months_present) as months_present,
        case
            when max(quarter_keys.months_present) = 3 then 'months'
            when bool_or(quarter_keys.months_present = 0) then 'report'
            else 'months'
        end as built_from
    from quarter_keys
    group by quarter_keys.province_code, quarter_keys.era, quarter_keys.quarter_start

),

quarter_months as (

    select
        months.*,
        months.month_start = min(months.month_start) over province_quarter as is_first,
        months.month_start = max(months.month_start) over province_quarter as is_last,
        quarter_choice.months_present
    from months
    inner join quarter_choice
        on
            months.province_code = quarter_choice.province_code
            and months.era = quarter_choice.era
            and months.quarter_start = quarter_choice.quarter_start
            and quarter_choice.built_from = 'months'
    window province_quarter as (partition by months.province_code, months.era, months.quarter_start)

),

quarters as (

    select
        'quarter' as period_grain,
        quarter_start as period_start,
        (quarter_start + interval 3 month - interval 1 day)::date as period_end,
        province_code,
        era,
        agency_code,
        agency_name,
        level,
        procedure_field,
        'months' as built_from,
        months_present as months_covered,
        months_present = 3 as is_complete,
        {{ compose_counts(flows) }}
    from quarter_months
    group by all

    union all

    select
        'quarter',
        reports.period_start,
        reports.period_end,
        reports.province_code,
        reports.era,
        reports.agency_code,
        reports.agency_name,
        reports.level,
        reports.procedure_field,
        'report',
        3,
        true,
        reports.{{ columns | join(', reports.') }}
    from reports
    inner join quarter_choice
        on
            reports.province_code = quarter_choice.province_code
            and reports.era = quarter_choice.era
            and reports.period_start = quarter_choice.quarter_start
            and quarter_choice.built_from = 'report'
    where reports.period_grain = 'quarter'

),

-- years -----------------------------------------------------------------------------------------

quarter_summary as (

    select
        province_code,
        era,
        period_start as quarter_start,
        date_trunc('year', period_start)::date as year_start,
        max(months_covered) as months_covered,
        bool_and(is_complete) as is_complete
    from quarters
    group by all

),

year_keys as (

    select
        province_code,
        era,
        year_start,
        count(*) filter (where is_complete) as complete_quarters,
        sum(months_covered) as months_covered,
        false as has_report
    from quarter_summary
    group by all
    union all
    select
        province_code,
        era,
        period_start,
        0,
        0,
        true
    from reports
    where period_grain = 'year'

),

year_choice as (

    select
        province_code,
        era,
        year_start,
        -- quarters of this year that lie in the province's era
        case when year(year_start) = 2025 then 2 else 4 end as expected_quarters,
        max(complete_quarters) as complete_quarters,
        max(months_covered) as months_covered,
        case
            when max(complete_quarters) = (case when year(year_start) = 2025 then 2 else 4 end)
                then 'quarters'
            when bool_or(has_report) then 'report'
            else 'quarters'
        end as built_from
    from year_keys
    group by province_code, era, year_start

),

year_quarters as (

    select
        quarters.*,
        date_trunc('year', quarters.period_start)::date as year_start,
        quarters.period_start = min(quarters.period_start) over province_year as is_first,
        quarters.period_start = max(quarters.period_start) over province_year as is_last,
        year_choice.months_covered as year_months_covered,
        year_choice.complete_quarters = year_choice.expected_quarters as year_complete
    from quarters
    inner join year_choice
        on
            quarters.province_code = year_choice.province_code
            and quarters.era = year_choice.era
            and date_trunc('year', quarters.period_start) = year_choice.year_start
            and year_choice.built_from = 'quarters'
    window province_year as (
        partition by quarters.province_code, quarters.era, date_trunc('year', quarters.period_start)
    )

),

years as (

    select
        'year' as period_grain,
        greatest(year_start, case when era = 'current' then date '2025-07-01' end) as period_start,
        least(
            (year_start + interval 1 year - interval 1 day)::date,
            case when era = 'legacy' then date '2025-06-30' end
        ) as period_end,
        province_code,
        era,
        agency_code,
        agency_name,
        level,
        procedure_field,
        'quarters' as built_from,
        year_months_covered as months_covered,
        year_complete as is_complete,
        {{ compose_counts(flows) }}
    from year_quarters
    group by all

    union all

    select
        'year',
        reports.period_start,
        reports.period_end,
        reports.province_code,
        reports.era,
        reports.agency_code,
        reports.agency_name,
        reports.level,
        reports.procedure_field,
        'report',
        12,
        true,
        reports.{{ columns | join(', reports.') }}
    from reports
    inner join year_choice
        on
            reports.province_code = year_choice.province_code
            and reports.era = year_choice.era
            and reports.period_start = year_choice.year_start
            and year_choice.built_from = 'report'
    where reports.period_grain = 'year'

),

month_rows as (

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
        'month' as built_from,
        1 as months_covered,
        true as is_complete,
        {{ columns | join(', ') }}
    from months

),

other_reports as (

    select
        {{ unit_period_keys() | join(', ') }},
        'report' as built_from,
        {{ months_between_dates('period_start', 'date_add(period_end, 1)') }} as months_covered,
        true as is_complete,
        {{ columns | join(', ') }}
    from reports
    where period_grain in ('half_year', 'range')

)

select * from month_rows
union all
select * from quarters
union all
select * from years
union all
select * from other_reports
