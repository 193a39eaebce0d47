-- Payment transactions in force (latest version of each transaction), with the dossier's agency,
-- level and field where the dossier is loaded.
with

source_rows as (

    {{ source_or_empty('raw', 'payments', {
        'transaction_id': 'varchar', 'dossier_id': 'varchar', 'province_code': 'varchar',
        'amount_vnd': 'bigint', 'channel': 'varchar', 'status': 'varchar', 'paid_at': 'timestamp',
    }) }}

),

latest as (

    select
        transaction_id,
        dossier_id,
        province_code,
        amount_vnd,
        channel,
        status,
        paid_at,
        load_seq
    from source_rows
    where transaction_id is not null and paid_at is not null
    qualify row_number() over (
        partition by province_code, transaction_id order by load_seq desc, source_row_number desc
    ) = 1

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
    latest.load_seq
from latest
left join {{ ref('stg_dossiers') }} as dossiers
    on latest.province_code = dossiers.province_code and latest.dossier_id = dossiers.dossier_id
