-- Everything besides the report's buckets, per agency, field and month: e-dossiers and
-- digitization (dossier records, by received or resolved month), fee-bearing dossiers, payment
-- transactions (by paid month), satisfaction, and the procedure catalog in force at the month's
-- end (level rows with no agency: the catalog is the province's, by authority level).
-- An event counts under the province that held the dossier on its date (macros/restructuring.sql):
-- a legacy dossier resolved from July 2025 on is its successor's; payments and survey rows carry
-- the code valid on their own date (their contracts check it), and stg_payments resolves it.
-- Incremental by province (macros/incremental_scope.sql): a run recomputes every month of each
-- province with a changed input row (dossiers, payments, survey, catalog, monthly report), and
-- of its successor, and replaces that province's rows.
{%- set columns = activity_columns() %}
{#- payment-rate columns are computed per transaction, not summed like the others -#}
{%- set payment_rate_columns = [
    'payment_rate_events', 'payment_rate_numerator', 'payment_rate_denominator',
    'payment_rate_transaction_rows', 'payment_rate_dossier_rows',
] %}
{%- set summed_columns = columns | reject('in', payment_rate_columns) | list %}
{#- what identifies a row of counts of each kind below (the union of the kinds matches by name) -#}
{%- set unit_month = [
    'province_code', 'era', 'month_start', 'agency_code', 'agency_name', 'level', 'procedure_field',
] %}
{%- set inputs = count_inputs() %}
{{ incremental_by_province(inputs) }}
{%- set touched = touched_provinces(inputs) %}

with

dossiers as (

    select
        province_code,
        era,
        successor_code,
        received_month,
        closed_month,
        agency_code,
        successor_agency_code,
        agency_name,
        level,
        procedure_field,
        channel,
        online_level,
        status,
        dossier_digitized,
        result_digitized,
        e_result_issued,
        data_reused,
        fee_required,
        fee_amount_vnd,
        paid_online
    from {{ ref('stg_dossiers') }}
    where
        {{ in_touched_provinces(touched, 'province_code', 'era') }}
        or {{ in_touched_provinces(touched, 'successor_code', "'current'") }}

),

received as (

    select
        province_code,
        era,
        received_month as month_start,
        agency_code,
        agency_name,
        level,
        procedure_field,
        count(*) as dossier_events,
        count(*) as dossiers_received,
        count(*) filter (where channel = 'online') as dossiers_received_online,
        count(*) filter (where channel = 'online' and online_level = 'full')
            as dossiers_received_full_online,
        count(*) filter (where channel = 'online' and online_level <> 'full')
            as dossiers_received_partial_online,
        count(*) filter (where channel = 'direct') as dossiers_received_direct,
        count(*) filter (where channel = 'postal') as dossiers_received_postal,
        count(*) filter (where dossier_digitized) as dossiers_digitized,
        count(*) filter (where dossier_digitized and result_digitized)
            as dossiers_and_results_digitized,
        count(*) filter (where data_reused) as dossiers_reusing_data,
        count(*) filter (where fee_required and fee_amount_vnd > 0) as fee_dossiers,
        count(*) filter (where fee_required and fee_amount_vnd > 0 and paid_online)
            as fee_dossiers_paid_online
    from dossiers
    group by all

),

resolved as (

    select
        {{ holder_of('province_code', 'successor_code', 'closed_month') }} as province_code,
        {{ holder_era('era', 'closed_month') }} as era,
        closed_month as month_start,
        {{ holder_of('agency_code', 'successor_agency_code', 'closed_month') }} as agency_code,
        agency_name,
        level,
        procedure_field,
        count(*) as dossier_events,
        count(*) as dossiers_resolved,
        count(*) filter (where result_digitized) as results_digitized,
        count(*) filter (where e_result_issued) as e_results_issued
    from dossiers
    where status = 'resolved' and closed_month is not null
    group by all

),

payments as (

    select
        province_code,
        era,
        paid_month as month_start,
        agency_code,
        null::string as agency_name,
        level,
        procedure_field,
        count(*) as payment_transactions,
        count(*) filter (where channel = 'online') as payment_transactions_online,
        count(*) filter (where status = 'success') as payments_successful,
        count(*) filter (where status = 'success' and channel = 'online')
            as payments_successful_online,
        count(*) filter (where status = 'failed') as payments_failed,
        count(*) filter (where status = 'refunded') as payments_refunded,
        coalesce(sum(amount_vnd) filter (where status = 'success'), 0) as payment_amount_vnd,
        coalesce(sum(amount_vnd) filter (where status = 'success' and channel = 'online'), 0)
            as payment_amount_online_vnd
    from {{ ref('stg_payments') }}
    where {{ in_touched_provinces(touched, 'province_code', 'era') }}
    group by all

),

satisfaction as (

    select
        satisfaction.province_code,
        satisfaction.era,
        satisfaction.period_month as month_start,
        satisfaction.agency_code,
        satisfaction.agency_name,
        {{ level_from_name('satisfaction.agency_name') }} as level,
        satisfaction.procedure_field,
        count(*) as satisfaction_rows,
        sum(satisfaction.responses) as responses,
        sum(satisfaction.satisfied_responses) as satisfied_responses,
        coalesce(sum(satisfaction.responses) filter (where field_groups.field_group is not null), 0)
            as responses_land_construction_investment,
        coalesce(
            sum(satisfaction.satisfied_responses)
            filter (where field_groups.field_group is not null),
            0
        ) as satisfied_land_construction_investment
    from {{ ref('int_satisfaction_month') }} as satisfaction
    left join {{ ref('ref_procedure_field_groups') }} as field_groups
        on
            satisfaction.procedure_field = field_groups.procedure_field
            and field_groups.field_group = 'land_construction_investment'
    group by all

),

activity_months as (

    select distinct
        province_code,
        era,
        month_start
    from received
    union
    select distinct
        province_code,
        era,
        month_start
    from resolved
    union
    select distinct
        province_code,
        era,
        month_start
    from payments
    union
    select distinct
        province_code,
        era,
        month_start
    from satisfaction
    union
    select distinct
        province_code,
        era,
        month_start
    from {{ ref('int_flow_month') }}

),

catalog_snapshots as (

    select
        province_code,
        era,
        snapshot_date,
        level,
        procedure_field,
        count(*) as catalog_procedures,
        count(*) filter (where online_capability in ('partial', 'full'))
            as catalog_procedures_online,
        count(*) filter (where online_capability = 'full') as catalog_procedures_full_online,
        count(*) filter (where fee_required) as catalog_procedures_fee,
        count(*) filter (where fee_required and online_payment_enabled)
            as catalog_procedures_fee_online_payment,
        count(*) filter (where national_portal_integrated) as catalog_procedures_integrated
    from {{ ref('stg_procedures') }}
    group by all

),

snapshot_dates as (

    select distinct
        province_code,
        era,
        snapshot_date
    from catalog_snapshots

),

snapshot_in_force as (

    -- the latest snapshot on or before each month's end, within the province's era
    select
        activity_months.province_code,
        activity_months.era,
        activity_months.month_start,
        max(snapshots.snapshot_date) as snapshot_date
    from activity_months
    inner join snapshot_dates as snapshots
        on
            activity_months.province_code = snapshots.province_code
            and activity_months.era = snapshots.era
            and snapshots.snapshot_date < activity_months.month_start + interval 1 month
    group by all

),

catalog as (

    select
        snapshot_in_force.province_code,
        snapshot_in_force.era,
        snapshot_in_force.month_start,
        null::string as agency_code,
        null::string as agency_name,
        catalog_snapshots.level,
        catalog_snapshots.procedure_field,
        catalog_snapshots.catalog_procedures,
        catalog_snapshots.catalog_procedures_online,
        catalog_snapshots.catalog_procedures_full_online,
        catalog_snapshots.catalog_procedures_fee,
        catalog_snapshots.catalog_procedures_fee_online_payment,
        catalog_snapshots.catalog_procedures_integrated
    from snapshot_in_force
    inner join catalog_snapshots
        on
            snapshot_in_force.province_code = catalog_snapshots.province_code
            and snapshot_in_force.era = catalog_snapshots.era
            and snapshot_in_force.snapshot_date = catalog_snapshots.snapshot_date

),

unioned as (

    {{ union_all_by_name(unit_month + summed_columns, [
        ('received', unit_month + [
            'dossier_events', 'dossiers_received', 'dossiers_received_online',
            'dossiers_received_full_online', 'dossiers_received_partial_online',
            'dossiers_received_direct', 'dossiers_received_postal', 'dossiers_digitized',
            'dossiers_and_results_digitized', 'dossiers_reusing_data', 'fee_dossiers',
            'fee_dossiers_paid_online',
        ]),
        ('resolved', unit_month + [
            'dossier_events', 'dossiers_resolved', 'results_digitized', 'e_results_issued',
        ]),
        ('payments', unit_month + [
            'payment_transactions', 'payment_transactions_online', 'payments_successful',
            'payments_successful_online', 'payments_failed', 'payments_refunded',
            'payment_amount_vnd', 'payment_amount_online_vnd',
        ]),
        ('satisfaction', unit_month + [
            'satisfaction_rows', 'responses', 'satisfied_responses',
            'responses_land_construction_investment', 'satisfied_land_construction_investment',
        ]),
        ('catalog', unit_month + [
            'catalog_procedures', 'catalog_procedures_online', 'catalog_procedures_full_online',
            'catalog_procedures_fee', 'catalog_procedures_fee_online_payment',
            'catalog_procedures_integrated',
        ]),
    ]) }}

),

summed as (

    select
        province_code,
        era,
        month_start,
        agency_code,
        max(agency_name) as agency_name,
        level,
        procedure_field,
    {% for name in columns if name not in payment_rate_columns %}
        coalesce(sum({{ name }}), 0)::bigint as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
    from unioned
    where {{ in_touched_provinces(touched, 'province_code', 'era') }}
    group by province_code, era, month_start, agency_code, level, procedure_field

),

payment_source as (

    -- online_payment_rate counts transactions where the province-month has any, else dossiers
    select
        province_code,
        era,
        month_start,
        sum(payment_transactions) > 0 as has_transactions
    from summed
    group by all

)

select
    summed.province_code,
    summed.era,
    summed.month_start,
    (summed.month_start + interval 1 month - interval 1 day)::date as month_end,
    summed.agency_code,
    summed.agency_name,
    summed.level,
    summed.procedure_field,
    {% for name in columns if name not in payment_rate_columns %}
        summed.{{ name }},
    {%- endfor %}
    case
        when payment_source.has_transactions then summed.payment_transactions
        else summed.fee_dossiers
    end as payment_rate_events,
    case
        when payment_source.has_transactions then summed.payments_successful_online
        else summed.fee_dossiers_paid_online
    end as payment_rate_numerator,
    case
        when payment_source.has_transactions then summed.payments_successful
        else summed.fee_dossiers
    end as payment_rate_denominator,
    -- which basis the row's payment-rate counts use (fct_kpi's count_source adds these up)
    (payment_source.has_transactions and summed.payment_transactions > 0)::int
        as payment_rate_transaction_rows,
    (not payment_source.has_transactions and summed.fee_dossiers > 0)::int
        as payment_rate_dossier_rows
from summed
inner join payment_source
    on
        summed.province_code = payment_source.province_code
        and summed.era = payment_source.era
        and summed.month_start = payment_source.month_start
