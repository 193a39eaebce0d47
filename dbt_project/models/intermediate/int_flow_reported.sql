-- The aggregate report's buckets per agency and report period, as reported (any grain).
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
    carried_over,
    received_online,
    received_direct_postal,
    resolved_early,
    resolved_on_time,
    resolved_late,
    in_progress_within_due,
    in_progress_overdue,
    returned_withdrawn,
    source_file,
    load_seq
from {{ ref('stg_portal_report') }}
