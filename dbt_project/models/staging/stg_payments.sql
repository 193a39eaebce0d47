-- Payment transactions in force (latest version of each transaction), with the dossier's agency,
-- level and field where the dossier is loaded.
-- Incremental (dbt_project.yml): a build reads the payment rows loaded since the last one, and
-- restates the payments it already holds whose dossier got a new version since (a dossier that
-- arrives after its payment, or a corrected one), so the enrichment never goes stale.
{%- set raw_columns = {
    'transaction_id': 'varchar', 'dossier_id': 'varchar', 'province_code': 'varchar',
    'amount_vnd': 'bigint', 'channel': 'varchar', 'status': 'varchar', 'paid_at': 'timestamp',
} %}
{%- set payment_columns = raw_columns.keys() | list + ['load_seq'] %}

with

source_rows as (

    {{ source_or_empty('raw', 'payments', raw_columns, where=loaded_after_this()) }}

),

new_versions as (

    select
        {{ payment_columns | join(', ') }}
    from source_rows
    where transaction_id is not null and paid_at is not null
    qualify row_number() over (
        partition by province_code, transaction_id order by load_seq desc, source_row_number desc
    ) = 1

),

{% if is_incremental() %}
    dossiers_seen as (

        -- the newest dossier version the held payments were joined with: every dossier
        -- version loaded since has a higher load_seq
        select coalesce(max(dossier_load_seq), 0) as load_seq from {{ this }}

    ),

    restated as (

        select
            held.{{ payment_columns | join(', held.') }}
        from {{ this }} as held
        inner join {{ ref('stg_dossiers') }} as dossiers
            on held.province_code = dossiers.province_code and held.dossier_id = dossiers.dossier_id
        where
            dossiers.load_seq > (select dossiers_seen.load_seq from dossiers_seen)
            and not exists (
                select 1
                from new_versions
                where
                    new_versions.province_code = held.province_code
                    and new_versions.transaction_id = held.transaction_id
            )

    ),
{% endif %}

latest as (

    select
        {{ payment_columns | join(', ') }}
    from new_versions
    {%- if is_incremental() %}
        union all
        select
            {{ payment_columns | join(', ') }}
        from restated
    {%- endif %}

)

select
    latest.transaction_id,
    latest.dossier_id,
    latest.province_code,
    {{ era_of('coalesce(dossiers.received_at, latest.paid_at)') }} as era,
    dossiers.agency_code,
    dossiers.level,
    dossiers.procedure_field,
    latest.amount_vnd,
    latest.channel,
    latest.status,
    latest.paid_at,
    date_trunc('month', latest.paid_at)::date as paid_month,
    dossiers.dossier_id is not null as dossier_known,
    latest.load_seq,
    dossiers.load_seq as dossier_load_seq
from latest
left join {{ ref('stg_dossiers') }} as dossiers
    on latest.province_code = dossiers.province_code and latest.dossier_id = dossiers.dossier_id
