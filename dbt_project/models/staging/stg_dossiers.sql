-- Dossier records in force: the latest loaded version of each dossier, keyed by the era, the
-- province and the dossier id of its receipt (codes were reused in 2025: legacy 80 was Long An,
-- current 80 is Tây Ninh, and both may number a dossier alike).
-- The era and the agency code follow the month the dossier was received in; the agency code is
-- built from the name exactly as for report rows, so both sources name the same agency alike.
-- successor_code / successor_agency_code: who holds the dossier from 1 July 2025 (the crosswalk
-- successor and its agency of the same name; macros/restructuring.sql).
-- A successor's re-export: a record received before 1 July 2025 whose code C is a current
-- province's, with the dossier id of a record of a predecessor P <> C of C, is that predecessor's
-- dossier exported again by the successor; it keeps P as its province of receipt and replaces
-- P's version like any later load (docs/dbt.md, "Dossiers across 1 July 2025").
-- closed_at: the resolution date of a resolved dossier, the status date of a returned or
-- withdrawn one (status_at, else the date the export put in resolved_at).
-- Incremental (dbt_project.yml): a build reads only the raw rows loaded since the last one (a
-- higher load_seq) and replaces the versions of the dossiers they carry, so its cost follows the
-- new data, not the history. Every column depends on the dossier's own row only, which is what
-- makes that exact. The folding runs once per distinct (era, province, agency name).
-- A full build inlines the dossier-grain CTEs rather than have DuckDB hold them whole
-- (macros/cross_engine/ctes.sql).
{#- what `latest` keeps of a raw record besides its province (listed: Spark has no `* exclude`) -#}
{%- set record_columns = [
    'dossier_id', 'province_name', 'agency_code', 'agency_name', 'agency_level', 'commune_code',
    'procedure_code', 'procedure_field', 'channel', 'online_level', 'received_at', 'due_at',
    'resolved_at', 'status', 'dossier_digitized', 'result_digitized', 'e_result_issued',
    'data_reused', 'fee_required', 'paid_online', 'fee_amount_vnd', 'status_at', 'load_seq',
    'source_file', 'source_row_number', 'receipt_era',
] %}

{#- An incremental build's CTEs hold the few rows loaded since the last build, which costs
    nothing, while each inlined reader would list the lake's parts again (≈ 2 s more measured). -#}
{%- set whole_history = '' if is_incremental() else inlined() %}

with

source_rows as {{ whole_history }} (

    select * from {{ source('raw', 'dossiers') }}
    {%- if is_incremental() %}
        where {{ loaded_after_this() }}
    {%- endif %}

),

crosswalk as (

    select
        legacy_code,
        current_code
    from {{ ref('ref_province_crosswalk') }}

),

usable as {{ whole_history }} (

    select
        *,
        {{ era_of('received_at') }} as receipt_era
    from source_rows
    where dossier_id is not null and received_at is not null

),

predecessor_records as (

    -- legacy dossiers known so far (this load and, incrementally, the ones held), by successor;
    -- of those held, only the ids this load has (a re-export matches on its id): the union's
    -- distinct over every held legacy dossier (5.3 M at reference scale) was 1.3 of a
    -- province-month build's 1.6 s
    select
        usable.dossier_id,
        usable.province_code,
        crosswalk.current_code as successor_code
    from usable
    inner join crosswalk on usable.province_code = crosswalk.legacy_code
    where usable.receipt_era = 'legacy'
    {%- if is_incremental() %}
        union
        select
            held.dossier_id,
            held.province_code,
            held.successor_code
        from {{ this }} as held
        where
            held.era = 'legacy'
            and held.dossier_id in (
                select loaded.dossier_id
                from usable as loaded
                where loaded.receipt_era = 'legacy'
            )
    {%- endif %}

),

reexport_of as (

    -- the predecessor whose dossier a successor's record re-exports (lowest code if several)
    select
        usable.dossier_id,
        usable.province_code as exported_code,
        min(predecessor_records.province_code) as receipt_code
    from usable
    inner join predecessor_records
        on
            usable.dossier_id = predecessor_records.dossier_id
            and usable.province_code = predecessor_records.successor_code
            and usable.province_code <> predecessor_records.province_code
    where usable.receipt_era = 'legacy'
    group by all

),

identified as {{ whole_history }} (

    select
        usable.province_code as exported_code,
        coalesce(reexport_of.receipt_code, usable.province_code) as province_code,
    {% for column in record_columns %}
        usable.{{ column }}{{ "," if not loop.last }}
    {%- endfor %}
    from usable
    left join reexport_of
        on
            usable.receipt_era = 'legacy'
            and usable.dossier_id = reexport_of.dossier_id
            and usable.province_code = reexport_of.exported_code

),

{{ latest_version(
    'latest_identified', 'identified', ['receipt_era', 'province_code', 'dossier_id'],
    'load_seq desc, source_row_number desc'
) }},

latest as {{ whole_history }} (

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
        status_at,
        exported_code,
        load_seq,
        source_file,
        receipt_era as era
    from latest_identified

),

agency_names as (

    select distinct
        latest.era,
        latest.province_code,
        latest.agency_name,
        case
            when latest.era = 'legacy' then crosswalk.current_code else latest.province_code
        end as successor_code
    from latest
    left join crosswalk
        on latest.era = 'legacy' and latest.province_code = crosswalk.legacy_code

),

agencies as (

    select
        era,
        province_code,
        agency_name,
        successor_code,
        {{ agency_code_in_era('era', 'province_code', 'agency_name') }} as agency_code,
        {{ agency_code_in_era("'current'", 'successor_code', 'agency_name') }}
            as successor_agency_code
    from agency_names

),

closing as (

    select
        *,
        case
            when status = 'resolved' then resolved_at
            when status in ('returned', 'withdrawn') then coalesce(status_at, resolved_at)
        end as closed_at
    from latest

)

select
    latest.dossier_id,
    latest.province_code,
    latest.province_name,
    latest.era,
    latest.exported_code,
    agencies.successor_code,
    agencies.agency_code,
    agencies.successor_agency_code,
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
    latest.status_at,
    latest.closed_at,
    date_trunc('month', latest.received_at)::date as received_month,
    date_trunc('month', latest.closed_at)::date as closed_month,
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
from closing as latest
left join agencies
    on
        latest.era = agencies.era
        and latest.province_code = agencies.province_code
        and latest.agency_name = agencies.agency_name
