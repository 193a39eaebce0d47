-- Procedure catalog snapshots. A snapshot's date is its `snapshot_date` column when
-- the file carries one, else the date in the file name (procedures_2025-07-01.csv), else the
-- load date; the era follows that date, because province codes were reused after the merger.
-- Within a province, era and snapshot, the latest loaded version of a procedure wins.
with

source_rows as (

    select * from {{ source('raw', 'procedures') }}

),

dated as (

    select
        province_code,
        procedure_code,
        procedure_name,
        procedure_field,
        authority_level,
        online_capability,
        fee_required,
        online_payment_enabled,
        national_portal_integrated,
        coalesce(
            snapshot_date,
            -- [0-9], not \d: Spark reads '\d' in a string literal as 'd'
            try_cast(regexp_extract(source_file, '([0-9]{4}-[0-9]{2}-[0-9]{2})', 1) as date),
            loaded_at::date
        ) as snapshot_date,
        load_seq,
        source_row_number
    from source_rows
    where procedure_code is not null

)

select
    province_code,
    {{ era_of('snapshot_date') }} as era,
    snapshot_date,
    procedure_code,
    procedure_name,
    procedure_field,
    authority_level as level,
    coalesce(online_capability, 'none') as online_capability,
    coalesce(fee_required, false) as fee_required,
    coalesce(online_payment_enabled, false) as online_payment_enabled,
    coalesce(national_portal_integrated, false) as national_portal_integrated,
    load_seq
from dated
qualify row_number() over (
    partition by province_code, snapshot_date, procedure_code
    order by load_seq desc, source_row_number desc
) = 1
