-- The report's buckets counted from dossier records, per agency, field and month, with the
-- national form's rules (the generator's reconciliation rules) for a month [start, next start):
--   carried over: received before the month and not closed before it;
--   online / direct+postal: received in the month, by channel;
--   early / on time / late: resolved in the month; resolution date before / on / after due date;
--   returned / withdrawn: closed that way in the month (at their status date);
--   within due / overdue: still open at the month's end; overdue when due_at < next month start.
-- Each event counts under the province that held the dossier then (SOURCES.md §6): a dossier
-- received by a legacy province is held by it until 30 June 2025 and by its successor (and the
-- successor's agency of the same name) from 1 July, so a dossier open on 30 June is carried into
-- July, resolved or overdue there, under the successor; never dropped, never counted twice.
-- A province's months run from its first held month to its last month with any event, within
-- its era (legacy units end in June 2025).
-- Incremental by province (macros/incremental_scope.sql): a run recomputes every month of each
-- province whose dossiers changed, and of its successor, and replaces that province's rows.
-- Every CTE is inlined, not held whole by DuckDB (macros/cross_engine/ctes.sql).
{#- what a holding carries of its dossier, whoever holds it -#}
{%- set dossier_columns = [
    'agency_name', 'level', 'procedure_field', 'status', 'resolution_class', 'due_at',
    'received_month', 'closed_month',
] %}
{#- what identifies a count of events: the holder's province and agency, and the month -#}
{%- set event_keys = [
    'province_code', 'era', 'month_start', 'agency_code', 'agency_name', 'level', 'procedure_field',
] %}
{%- set inputs = ['stg_dossiers'] %}
{{ incremental_by_province(inputs) }}
{%- set touched = touched_provinces(inputs) %}

with

dossiers as {{ inlined() }} (

    select
        province_code,
        era,
        successor_code,
        agency_code,
        successor_agency_code,
        channel,
        {{ dossier_columns | join(', ') }}
    from {{ ref('stg_dossiers') }}
    where
        {{ in_touched_provinces(touched, 'province_code', 'era') }}
        or {{ in_touched_provinces(touched, 'successor_code', "'current'") }}

),

holdings as {{ inlined() }} (

    -- who holds each dossier over which months: the province of receipt (a legacy one until
    -- June 2025), then for a legacy dossier not closed before July 2025 its successor
    select
        province_code,
        era,
        agency_code,
        {{ dossier_columns | join(', ') }},
        received_month as held_from,
        case when era = 'legacy' then date '2025-06-01' else date '2999-12-01' end as held_until
    from dossiers
    union all
    select
        successor_code,
        'current',
        successor_agency_code,
        {{ dossier_columns | join(', ') }},
        {{ restructuring_date() }},
        date '2999-12-01'
    from dossiers
    where
        era = 'legacy'
        and coalesce(closed_month, date '2999-12-01') >= {{ restructuring_date() }}

),

bounds as {{ inlined() }} (

    select
        province_code,
        era,
        min(held_from) as first_month,
        max(
            least(greatest(held_from, coalesce(closed_month, received_month)), held_until)
        ) as last_month
    from holdings
    group by province_code, era

),

months as {{ inlined() }} (

    select
        province_code,
        era,
        {{ date_series('first_month', 'last_month', 'interval 1 month') }} as month_start
    from bounds

),

received as {{ inlined() }} (

    select
        province_code,
        era,
        received_month as month_start,
        agency_code,
        agency_name,
        level,
        procedure_field,
        count(*) filter (where channel = 'online') as received_online,
        count(*) filter (where channel <> 'online') as received_direct_postal
    from dossiers
    group by all

),

closed as {{ inlined() }} (

    select
        province_code,
        era,
        closed_month as month_start,
        agency_code,
        agency_name,
        level,
        procedure_field,
        count(*) filter (where resolution_class = 'early') as resolved_early,
        count(*) filter (where resolution_class = 'on_time') as resolved_on_time,
        count(*) filter (where resolution_class = 'late') as resolved_late,
        count(*) filter (where status in ('returned', 'withdrawn')) as returned_withdrawn
    from holdings
    where closed_month between held_from and held_until
    group by all

),

open_at_end as {{ inlined() }} (

    select
        months.province_code,
        months.era,
        months.month_start,
        dossiers.agency_code,
        dossiers.agency_name,
        dossiers.level,
        dossiers.procedure_field,
        count(*) filter (
            where dossiers.due_at >= months.month_start + interval 1 month
        ) as in_progress_within_due,
        count(*) filter (
            where dossiers.due_at < months.month_start + interval 1 month
        ) as in_progress_overdue
    from months
    inner join holdings as dossiers
        on
            months.province_code = dossiers.province_code
            and months.era = dossiers.era
            and months.month_start between dossiers.held_from and dossiers.held_until
            and months.month_start >= dossiers.received_month
            and coalesce(dossiers.closed_month, date '2999-12-01') > months.month_start
    group by all

),

carried as {{ inlined() }} (

    select
        months.province_code,
        months.era,
        months.month_start,
        dossiers.agency_code,
        dossiers.agency_name,
        dossiers.level,
        dossiers.procedure_field,
        count(*) as carried_over
    from months
    inner join holdings as dossiers
        on
            months.province_code = dossiers.province_code
            and months.era = dossiers.era
            and months.month_start between dossiers.held_from and dossiers.held_until
            and months.month_start > dossiers.received_month
            and coalesce(dossiers.closed_month, date '2999-12-01') >= months.month_start
    group by all

),

-- each CTE carries its own buckets; a bucket it lacks is null here and 0 below
events as {{ inlined() }} (

    {{ union_all_by_name(event_keys + report_buckets(), [
        ('received', event_keys + ['received_online', 'received_direct_postal']),
        ('closed', event_keys + [
            'resolved_early', 'resolved_on_time', 'resolved_late', 'returned_withdrawn',
        ]),
        ('open_at_end', event_keys + ['in_progress_within_due', 'in_progress_overdue']),
        ('carried', event_keys + ['carried_over']),
    ]) }}

)

select
    'dossiers' as count_source,
    events.province_code,
    events.era,
    events.month_start,
    (events.month_start + interval 1 month - interval 1 day)::date as month_end,
    events.agency_code,
    events.agency_name,
    events.level,
    events.procedure_field,
{%- for bucket in report_buckets() %}
    coalesce(sum(events.{{ bucket }}), 0)::bigint as {{ bucket }}{{ "," if not loop.last }}
{%- endfor %}
from events
inner join bounds
    on
        events.province_code = bounds.province_code
        and events.era = bounds.era
        and events.month_start between bounds.first_month and bounds.last_month
where {{ in_touched_provinces(touched, 'events.province_code', 'events.era') }}
group by all
