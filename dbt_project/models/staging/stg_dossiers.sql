-- Dossier records in force: the latest loaded version of each dossier (province + dossier id).
-- The era and the agency code follow the month the dossier was received in; the agency code is
-- built from the name exactly as for report rows, so both sources name the same agency alike.
-- Incremental (dbt_project.yml): a build reads only the raw rows loaded since the last one (a
-- higher load_seq) and replaces the versions of the dossiers they carry, so its cost follows the
-- new data, not the history. Every column depends on the dossier's own row only, which is what
-- makes that exact. The folding runs once per distinct (era, province, agency name).
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
    }, where=loaded_after_this()) }}

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
        source_file,
        {{ era_of('received_at') }} as era
    from source_rows
    where dossier_id is not null and received_at is not null
    qualify row_number() over (
        partition by province_code, dossier_id order by load_seq desc, source_row_number desc
    ) = 1

),

agencies as (

    select
        era,
        province_code,
        agency_name,
        {{ agency_code_in_era('era', 'province_code', 'agency_name') }} as agency_code
    from (
        select distinct
            era,
            province_code,
            agency_name
        from latest
    ) as agency_names

)

select
    latest.dossier_id,
    latest.province_code,
    latest.province_name,
    latest.era,
    agencies.agency_code,
    latest.agency_code as source_agency_code,
    latest.agency_name,
    latest.agency_level as level,
    latest.commune_code,
    latest.procedure_code,
    latest.procedure_field,
    latest.channel,
    coalesce(latest.online_level, 'none') as online_level,
    latest.received_at,
    latest.due_at,
    latest.resolved_at,
    latest.status,
    date_trunc('month', latest.received_at)::date as received_month,
    case
        when latest.status <> 'processing' then date_trunc('month', latest.resolved_at)::date
    end as closed_month,
    case
        when latest.status = 'resolved' and latest.resolved_at::date < latest.due_at::date
            then 'early'
        when latest.status = 'resolved' and latest.resolved_at::date = latest.due_at::date
            then 'on_time'
        when latest.status = 'resolved' then 'late'
    end as resolution_class,
    coalesce(latest.dossier_digitized, false) as dossier_digitized,
    coalesce(latest.result_digitized, false) as result_digitized,
    coalesce(latest.e_result_issued, false) as e_result_issued,
    coalesce(latest.data_reused, false) as data_reused,
    coalesce(latest.fee_required, false) as fee_required,
    coalesce(latest.paid_online, false) as paid_online,
    coalesce(latest.fee_amount_vnd, 0) as fee_amount_vnd,
    latest.load_seq,
    latest.source_file
from latest
left join agencies
    on
        latest.era = agencies.era
        and latest.province_code = agencies.province_code
        and latest.agency_name = agencies.agency_name
