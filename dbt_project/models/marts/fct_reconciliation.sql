-- Where dossier records and an aggregate report cover the same province and period, each
-- agency's buckets from both sources and their difference, so a data engineer sees which source
-- to question. The dossier side of a quarterly or yearly report is composed from dossier months
-- with the period rule (flows add; carried over from the first month, in progress from the last)
-- and only when the dossier records cover every month of the report's period.
-- status: match (equal; a bucket absent on one side counts as 0), mismatch, report_only (a
-- non-zero bucket of an agency the dossiers lack), dossiers_only (the report lacks the agency).
-- Incremental by province (macros/incremental_scope.sql): both sides are compared within one
-- (province, era), so a run rebuilds the units whose dossiers or reports changed (with the
-- successor of a touched legacy province, which carries its open dossiers) and replaces them
-- whole. Rebuilt whole it was the largest table of a province-month's build (≈ 1.6 s).
{%- set inputs = ['stg_dossiers', 'stg_portal_report'] %}
{{ incremental_by_province(inputs) }}
{%- set touched = touched_provinces(inputs) %}
{%- set buckets = [
    'received_total', 'carried_over', 'received_online', 'received_direct_postal',
    'resolved_total', 'resolved_early', 'resolved_on_time', 'resolved_late',
    'in_progress_total', 'in_progress_within_due', 'in_progress_overdue', 'returned_withdrawn',
] %}

with

reports as (

    select
        period_grain,
        period_start,
        period_end,
        province_code,
        era,
        agency_code,
        agency_name,
        {{ report_buckets() | join(', ') }}
    from {{ ref('int_flow_reported') }}
    where {{ in_touched_provinces(touched, 'province_code', 'era') }}

),

dossier_months as (

    select
        province_code,
        era,
        month_start,
        agency_code,
        max(agency_name) as agency_name,
    {%- for bucket in report_buckets() %}
        sum({{ bucket }}) as {{ bucket }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ ref('int_flow_from_dossiers') }}
    where {{ in_touched_provinces(touched, 'province_code', 'era') }}
    group by province_code, era, month_start, agency_code

),

report_periods as (

    select distinct
        period_grain,
        period_start,
        period_end,
        province_code,
        era
    from reports

),

dossier_province_months as (

    select distinct
        province_code,
        era,
        month_start
    from dossier_months

),

covered_periods as (

    -- report periods whose every month has dossier records
    select
        report_periods.period_grain,
        report_periods.period_start,
        report_periods.period_end,
        report_periods.province_code,
        report_periods.era
    from report_periods
    inner join dossier_province_months as months
        on
            report_periods.province_code = months.province_code
            and report_periods.era = months.era
            and months.month_start between report_periods.period_start and report_periods.period_end
    group by all
    having
        count(*) = {{ months_between_dates(
            'report_periods.period_start', 'date_add(report_periods.period_end, 1)'
        ) }}

),

dossier_periods as (

    select
        covered_periods.period_grain,
        covered_periods.period_start,
        covered_periods.period_end,
        covered_periods.province_code,
        covered_periods.era,
        dossier_months.agency_code,
        max(dossier_months.agency_name) as agency_name,
        sum(
            case
                when dossier_months.month_start = covered_periods.period_start
                    then dossier_months.carried_over
                else 0
            end
        ) as carried_over,
        sum(dossier_months.received_online) as received_online,
        sum(dossier_months.received_direct_postal) as received_direct_postal,
        sum(dossier_months.resolved_early) as resolved_early,
        sum(dossier_months.resolved_on_time) as resolved_on_time,
        sum(dossier_months.resolved_late) as resolved_late,
        sum(
            case
                when dossier_months.month_start = date_trunc('month', covered_periods.period_end)
                    then dossier_months.in_progress_within_due
                else 0
            end
        ) as in_progress_within_due,
        sum(
            case
                when dossier_months.month_start = date_trunc('month', covered_periods.period_end)
                    then dossier_months.in_progress_overdue
                else 0
            end
        ) as in_progress_overdue,
        sum(dossier_months.returned_withdrawn) as returned_withdrawn
    from covered_periods
    inner join dossier_months
        on
            covered_periods.province_code = dossier_months.province_code
            and covered_periods.era = dossier_months.era
            and dossier_months.month_start
            between covered_periods.period_start and covered_periods.period_end
    group by all

),

{%- for side in ['reports', 'dossier_periods'] %}

    {{ side }}_buckets as (

        select
            period_grain,
            period_start,
            period_end,
            province_code,
            era,
            agency_code,
            agency_name,
            carried_over + received_online + received_direct_postal as received_total,
            carried_over,
            received_online,
            received_direct_postal,
            resolved_early + resolved_on_time + resolved_late as resolved_total,
            resolved_early,
            resolved_on_time,
            resolved_late,
            in_progress_within_due + in_progress_overdue as in_progress_total,
            in_progress_within_due,
            in_progress_overdue,
            returned_withdrawn
        from {{ side }}

    ),

    {{ side }}_long as (

        select *
        from {{ side }}_buckets
        unpivot (bucket_value for bucket in ({{ buckets | join(', ') }}))

    ),
{%- endfor %}

reports_in_covered_periods as (

    select reports_long.*
    from reports_long
    inner join covered_periods
        on
            reports_long.period_grain = covered_periods.period_grain
            and reports_long.period_start = covered_periods.period_start
            and reports_long.period_end = covered_periods.period_end
            and reports_long.province_code = covered_periods.province_code
            and reports_long.era = covered_periods.era

),

compared as (

    select
        coalesce(reported.period_grain, dossiers.period_grain) as period_grain,
        coalesce(reported.period_start, dossiers.period_start) as period_start,
        coalesce(reported.period_end, dossiers.period_end) as period_end,
        coalesce(reported.province_code, dossiers.province_code) as province_code,
        coalesce(reported.era, dossiers.era) as era,
        coalesce(reported.agency_code, dossiers.agency_code) as agency_code,
        coalesce(reported.agency_name, dossiers.agency_name) as agency_name,
        coalesce(reported.bucket, dossiers.bucket) as bucket,
        reported.bucket_value as report_value,
        dossiers.bucket_value as dossier_value
    from reports_in_covered_periods as reported
    full outer join dossier_periods_long as dossiers
        on
            reported.period_grain = dossiers.period_grain
            and reported.period_start = dossiers.period_start
            and reported.period_end = dossiers.period_end
            and reported.province_code = dossiers.province_code
            and reported.era = dossiers.era
            and reported.agency_code = dossiers.agency_code
            and reported.bucket = dossiers.bucket

)

select
    compared.period_grain,
    compared.period_start,
    compared.period_end,
    compared.province_code,
    provinces.province_name,
    compared.era,
    compared.agency_code,
    compared.agency_name,
    compared.bucket,
    compared.report_value,
    compared.dossier_value,
    coalesce(compared.report_value, 0) - coalesce(compared.dossier_value, 0) as difference,
    case
        when coalesce(compared.report_value, 0) = coalesce(compared.dossier_value, 0) then 'match'
        when compared.dossier_value is null then 'report_only'
        when compared.report_value is null then 'dossiers_only'
        else 'mismatch'
    end as status
from compared
left join {{ ref('dim_province') }} as provinces
    on compared.province_code = provinces.province_code and compared.era = provinces.era
