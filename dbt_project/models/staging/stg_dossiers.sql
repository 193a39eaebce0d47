-- Dossier records in force: the latest loaded version of each dossier (province + dossier id).
-- The era and the agency code follow the month the dossier was received in; the agency code is
-- built from the name exactly as for report rows, so both sources name the same agency alike.
with

source_rows as (

    {{ source_or_empty('raw', 'dossiers', {
        'dossier_id': 'varchar', 'province_code': 'varchar', 'province_name': 'varchar',
        'agency_code': 'varchar', 'agency_name': 'varchar', 'agency_level': 'varchar',
        'commune_code': 'varchar', 'procedure_code': 'varchar', 'procedure_field': 'varchar',
        'channel': 'varchar', 'online_level': 'varchar', 'received_at': 'timestamp',
        'due_at': 'timestamp', 'resolved_at': 'timestamp', 'status': 'varchar',
        'dossier_digitized': 'boolean', 'result_digitized': 'boolean',
        'e_result_issued': 'boolean', 'data_reused': 'boolean', 'fee_required': 'boolean',
        'paid_online': 'boolean', 'fee_amount_vnd': 'bigint',
    }) }}

),

latest as (

    select
        dossier_id,
        province_code,
        province_name,
        agency_code,
        agency_name,
        agency_level,
        commune_code,
        procedure_code,
        procedure_field,
        channel,
        online_level,
        received_at,
        due_at,
        resolved_at,
        status,
        dossier_digitized,
        result_digitized,
        e_result_issued,
        data_reused,
        fee_required,
        paid_online,
        fee_amount_vnd,
        load_seq,
        source_file
    from source_rows
    where dossier_id is not null and received_at is not null
    qualify row_number() over (
        partition by province_code, dossier_id order by load_seq desc, source_row_number desc
    ) = 1

)

select
    dossier_id,
    province_code,
    province_name,
    {{ era_of('received_at') }} as era,
    {{ agency_code('province_code', 'received_at', 'agency_name') }} as agency_code,
    agency_code as source_agency_code,
    agency_name,
    agency_level as level,
    commune_code,
    procedure_code,
    procedure_field,
    channel,
    coalesce(online_level, 'none') as online_level,
    received_at,
    due_at,
    resolved_at,
    status,
    date_trunc('month', received_at)::date as received_month,
    case when status <> 'processing' then date_trunc('month', resolved_at)::date end as closed_month,
    case
        when status = 'resolved' and resolved_at::date < due_at::date then 'early'
        when status = 'resolved' and resolved_at::date = due_at::date then 'on_time'
        when status = 'resolved' then 'late'
    end as resolution_class,
    coalesce(dossier_digitized, false) as dossier_digitized,
    coalesce(result_digitized, false) as result_digitized,
    coalesce(e_result_issued, false) as e_result_issued,
    coalesce(data_reused, false) as data_reused,
    coalesce(fee_required, false) as fee_required,
    coalesce(paid_online, false) as paid_online,
    coalesce(fee_amount_vnd, 0) as fee_amount_vnd,
    load_seq,
    source_file
from latest
