-- Survey responses in force, one row per response (latest loaded version of each era, province
-- and response id wins: province codes were reused in 2025). The code is the one valid on the
-- rating date (the contract checks it), so a July 2025 rating of a legacy dossier is its successor's.
with

source_rows as (

    select * from {{ source('raw', 'satisfaction_responses') }}

)

select
    response_id,
    province_code,
    {{ era_of('rated_at') }} as era,
    date_trunc('month', rated_at)::date as period_month,
    {{ agency_code('province_code', 'rated_at', 'agency_name') }} as agency_code,
    agency_code as source_agency_code,
    agency_name,
    procedure_field,
    dossier_id,
    rated_at,
    score,
    score >= 4 as is_satisfied,
    load_seq
from source_rows
where rated_at is not null and agency_name is not null
qualify row_number() over (
    partition by {{ era_of('rated_at') }}, province_code, response_id
    order by load_seq desc, source_row_number desc
) = 1
