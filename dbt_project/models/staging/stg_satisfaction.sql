-- Satisfaction results in force per agency, field and month (latest loaded version wins).
with

source_rows as (

    select * from {{ source('raw', 'satisfaction') }}

)

select
    province_code,
    {{ era_of('period_start') }} as era,
    date_trunc('month', period_start)::date as period_month,
    {{ agency_code('province_code', 'period_start', 'agency_name') }} as agency_code,
    agency_code as source_agency_code,
    agency_name,
    procedure_field,
    coalesce(responses, 0) as responses,
    coalesce(satisfied_responses, 0) as satisfied_responses,
    load_seq
from source_rows
where period_start is not null and agency_name is not null
qualify row_number() over (
    partition by province_code, agency_code, procedure_field, period_start
    order by load_seq desc, source_row_number desc
) = 1
