-- The flow buckets fct_kpi uses for each province and month: the monthly report where the
-- province has one for that month, the dossier records otherwise. Never both: a province-month
-- is wholly from one source (count_source says which), so the two are never added together.
with

reported as (

    select
        count_source,
        province_code,
        era,
        period_start as month_start,
        period_end as month_end,
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
        returned_withdrawn
    from {{ ref('int_flow_reported') }}
    where period_grain = 'month'

),

reported_months as (

    select distinct
        province_code,
        era,
        month_start
    from reported

),

from_dossiers as (

    select
        dossiers.count_source,
        dossiers.province_code,
        dossiers.era,
        dossiers.month_start,
        dossiers.month_end,
        dossiers.agency_code,
        dossiers.agency_name,
        dossiers.level,
        dossiers.procedure_field,
        dossiers.carried_over,
        dossiers.received_online,
        dossiers.received_direct_postal,
        dossiers.resolved_early,
        dossiers.resolved_on_time,
        dossiers.resolved_late,
        dossiers.in_progress_within_due,
        dossiers.in_progress_overdue,
        dossiers.returned_withdrawn
    from {{ ref('int_flow_from_dossiers') }} as dossiers
    anti join reported_months
        on
            dossiers.province_code = reported_months.province_code
            and dossiers.era = reported_months.era
            and dossiers.month_start = reported_months.month_start

)

select * from reported
union all
select * from from_dossiers
