-- The report's buckets (received / resolved / in progress) per agency and period, from BOTH
-- sources, each row saying which (count_source): every report row in force (any grain), and the
-- same buckets counted from dossier records per month. used_in_kpi marks the rows fct_kpi's
-- flow KPIs are built from (monthly report where one exists, dossiers otherwise; a quarterly or
-- yearly report only where its months are incomplete). Never add the two sources together.
with

reported as (

    select
        count_source,
        period_grain,
        period_start,
        period_end,
        province_code,
        era,
        level,
        agency_code,
        agency_name,
        carried_over,
        received_online,
        received_direct_postal,
        resolved_early,
        resolved_on_time,
        resolved_late,
        in_progress_within_due,
        in_progress_overdue,
        returned_withdrawn
    from {{ ref('int_flow_reported') }}

),

from_dossiers as (

    select
        count_source,
        'month' as period_grain,
        month_start as period_start,
        month_end as period_end,
        province_code,
        era,
        level,
        agency_code,
        max(agency_name) as agency_name,
        sum(carried_over) as carried_over,
        sum(received_online) as received_online,
        sum(received_direct_postal) as received_direct_postal,
        sum(resolved_early) as resolved_early,
        sum(resolved_on_time) as resolved_on_time,
        sum(resolved_late) as resolved_late,
        sum(in_progress_within_due) as in_progress_within_due,
        sum(in_progress_overdue) as in_progress_overdue,
        sum(returned_withdrawn) as returned_withdrawn
    from {{ ref('int_flow_from_dossiers') }}
    group by count_source, month_start, month_end, province_code, era, level, agency_code

),

used_months as (

    select distinct
        count_source,
        province_code,
        era,
        month_start
    from {{ ref('int_flow_month') }}

),

used_reports as (

    select distinct
        period_grain,
        period_start,
        province_code,
        era
    from {{ ref('int_flow_periods') }}
    where built_from = 'report'

),

flows as (

    select * from reported
    union all
    select * from from_dossiers

)

select
    flows.count_source,
    flows.period_grain,
    flows.period_start,
    flows.period_end,
    flows.province_code,
    provinces.province_name,
    flows.era,
    flows.level,
    flows.agency_code,
    flows.agency_name,
    flows.carried_over + flows.received_online + flows.received_direct_postal as received_total,
    flows.carried_over,
    flows.received_online,
    flows.received_direct_postal,
    flows.resolved_early + flows.resolved_on_time + flows.resolved_late as resolved_total,
    flows.resolved_early,
    flows.resolved_on_time,
    flows.resolved_late,
    flows.in_progress_within_due + flows.in_progress_overdue as in_progress_total,
    flows.in_progress_within_due,
    flows.in_progress_overdue,
    flows.returned_withdrawn,
    (used_months.month_start is not null or used_reports.period_start is not null) as used_in_kpi
from flows
left join {{ ref('dim_province') }} as provinces
    on flows.province_code = provinces.province_code and flows.era = provinces.era
left join used_months
    on
        flows.period_grain = 'month'
        and flows.count_source = used_months.count_source
        and flows.province_code = used_months.province_code
        and flows.era = used_months.era
        and flows.period_start = used_months.month_start
left join used_reports
    on
        flows.period_grain <> 'month'
        and flows.count_source = 'portal_report'
        and flows.period_grain = used_reports.period_grain
        and flows.province_code = used_reports.province_code
        and flows.era = used_reports.era
        and flows.period_start = used_reports.period_start
