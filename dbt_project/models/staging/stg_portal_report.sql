-- The report rows in force: for each province and period, only the most recently loaded file
-- counts, so a corrected re-export replaces the earlier one (which stays in raw for history).
-- Incremental (dbt_project.yml): a build reads only the report rows loaded since the last one
-- and replaces, for each province and period they carry, every row held before: a later load
-- (a higher load_seq) is the one in force, and every column depends on the row's own file.
with

reports as (

    select * from {{ source('raw', 'portal_report') }}
    {%- if is_incremental() %}
        where {{ loaded_after_this() }}
    {%- endif %}

),

current_reports as (

    select *
    from reports
    qualify dense_rank() over (
        partition by province_code, period_start, period_end
        order by load_seq desc
    ) = 1

)

select
    province_code,
    province_name,
    case when period_start >= date '2025-07-01' then 'current' else 'legacy' end as era,
    period_grain,
    period_start,
    period_end,
    level,
    section,
    agency_name,
    {{ agency_code('province_code', 'period_start', 'agency_name') }} as agency_code,
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
    returned_withdrawn,
    source_file,
    file_hash,
    source_row_number,
    load_id,
    load_seq
from current_reports
