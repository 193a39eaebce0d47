-- Payment transactions in force (latest version of each transaction, keyed by era, province and
-- transaction id), with the dossier's agency, level and field where the dossier is loaded.
-- A payment carries the province code valid on its paid date (the contract checks it), so its
-- era is the paid date's; it belongs to the dossier with its id that this province held then:
-- the province of receipt before 1 July 2025, the successor from then (macros/restructuring.sql),
-- so a legacy dossier paid in July 2025 is its successor's payment, with the successor's agency.
-- Where ids collide (a reused code), the dossier received last before the payment wins.
-- Incremental (dbt_project.yml): a build reads the payment rows loaded since the last one, and
-- restates the payments it already holds whose dossier got a new version since (a dossier that
-- arrives after its payment, or a corrected one), so the enrichment never goes stale.
{%- set payment_columns = [
    'transaction_id', 'dossier_id', 'province_code', 'amount_vnd', 'channel', 'status', 'paid_at',
    'load_seq',
] %}
{#- what a payment takes of its dossier (two CTEs below join them: one per kind of payment) -#}
{%- set match_columns -%}
    payment.{{ payment_columns | join(', payment.') }},
    payment.era,
    dossiers.dossier_id as matched_dossier_id,
    case
        when dossiers.era = payment.era then dossiers.agency_code
        else dossiers.successor_agency_code
    end as agency_code,
    dossiers.level,
    dossiers.procedure_field,
    dossiers.load_seq as dossier_load_seq
{%- endset %}
{%- set whole_history = '' if is_incremental() else inlined() %}
{%- set candidate_dossiers = 'answering_dossiers' if is_incremental() else 'dossiers' %}

with

source_rows as (

    select * from {{ source('raw', 'payments') }}
    {%- if is_incremental() %}
        where {{ loaded_after_this() }}
    {%- endif %}

),

usable as {{ whole_history }} (

    select
        {{ payment_columns | join(', ') }},
        source_row_number,
        {{ era_of('paid_at') }} as era
    from source_rows
    where transaction_id is not null and paid_at is not null

),

{{ latest_version(
    'new_versions', 'usable', ['era', 'province_code', 'transaction_id'],
    'load_seq desc, source_row_number desc'
) }},

{% if is_incremental() %}
    dossiers_seen as (

        -- the newest dossier version the held payments were joined with: every dossier
        -- version loaded since has a higher load_seq
        select coalesce(max(dossier_load_seq), 0) as load_seq from {{ this }}

    ),

    restated as (

        select distinct
            held.{{ payment_columns | join(', held.') }},
            held.era
        from {{ this }} as held
        inner join {{ ref('stg_dossiers') }} as dossiers
            on {{ held_by_exporter('held', 'dossiers', 'held.paid_at') }}
        where
            dossiers.load_seq > (select dossiers_seen.load_seq from dossiers_seen)
            and not exists (
                select 1
                from new_versions
                where
                    new_versions.era = held.era
                    and new_versions.province_code = held.province_code
                    and new_versions.transaction_id = held.transaction_id
            )

    ),
{% endif %}

latest as {{ whole_history }} (

    select
        {{ payment_columns | join(', ') }},
        era
    from new_versions
    {%- if is_incremental() %}
        union all
        select
            {{ payment_columns | join(', ') }},
            era
        from restated
    {%- endif %}

),

dossiers as {{ inlined() }} (

    -- read by several readers: a projection of a table, not worth holding
    select
        dossier_id,
        province_code,
        successor_code,
        era,
        agency_code,
        successor_agency_code,
        level,
        procedure_field,
        received_at,
        load_seq
    from {{ ref('stg_dossiers') }}

),

{% if is_incremental() %}
    answering_dossiers as (

        -- the dossiers this build's few payments may belong to: held once, not read whole
        -- for each reader (an incremental build's payments are a few thousand)
        select *
        from dossiers
        where dossier_id in (select latest.dossier_id from latest)

    ),
{% endif %}

shared_holdings as (

    -- (payment era, exporting province, dossier id) that more than one dossier answers to: a
    -- code reused across eras, or predecessors merged into one successor with a dossier id in
    -- common. Only these payments rank their matches; every other one has at most one.
    select
        'legacy' as era,
        province_code as holder_code,
        dossier_id
    from {{ candidate_dossiers }}
    group by province_code, dossier_id
    having count(*) > 1
    union all
    select
        'current' as era,
        successor_code as holder_code,
        dossier_id
    from {{ candidate_dossiers }}
    group by successor_code, dossier_id
    having count(*) > 1

),

payments_to_match as {{ whole_history }} (

    select
        latest.*,
        exists(
            select 1
            from shared_holdings
            where
                shared_holdings.era = latest.era
                and shared_holdings.holder_code = latest.province_code
                and shared_holdings.dossier_id = latest.dossier_id
        ) as held_by_several
    from latest

),

single_matches as (

    select {{ match_columns }}
    from payments_to_match as payment
    left join {{ candidate_dossiers }} as dossiers
        on {{ held_by_exporter('payment', 'dossiers', 'payment.paid_at') }}
    where not payment.held_by_several

),

shared_matches as (

    -- the few payments several dossiers answer to: the one received last before the payment
    select {{ match_columns }}
    from payments_to_match as payment
    left join {{ candidate_dossiers }} as dossiers
        on {{ held_by_exporter('payment', 'dossiers', 'payment.paid_at') }}
    where payment.held_by_several
    qualify row_number() over (
        partition by payment.era, payment.province_code, payment.transaction_id
        order by
            dossiers.received_at <= payment.paid_at desc nulls last,
            dossiers.received_at desc nulls last
    ) = 1

),

matched as (

    select * from single_matches
    union all
    select * from shared_matches

)

select
    transaction_id,
    dossier_id,
    province_code,
    era,
    agency_code,
    level,
    procedure_field,
    amount_vnd,
    channel,
    status,
    paid_at,
    date_trunc('month', paid_at)::date as paid_month,
    matched_dossier_id is not null as dossier_known,
    load_seq,
    dossier_load_seq
from matched
