-- Dossier flow counts per agency and report period: the buckets of the aggregate report.
-- Every flow KPI (kpi_definitions) is a ratio over these columns.
with

reported as (

    select
        'portal_report' as count_source,
        province_code,
        province_name,
        era,
        period_grain,
        period_start,
        period_end,
        level,
        agency_code,
        agency_name,
        received_total,
        carried_over,
        received_online,
        received_direct_postal,
        resolved_total,
        resolved_early,
        resolved_on_time,
        resolved_late,
        in_progress_total,
        in_progress_within_due,
        in_progress_overdue,
        returned_withdrawn
    from {{ ref('stg_portal_report') }}

)

select * from reported
