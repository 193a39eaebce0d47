-- Annual governance index results in force: the latest loaded version per index, result year
-- and province. Results up to 2024 rank the 63 legacy provinces, from 2025 the 34 current ones
-- (the era of the 1 January after the result year, as the contract checks it).
with

source_rows as (

    select * from {{ source('raw', 'governance_indices') }}

)

select
    index_code,
    year::integer as result_year,
    {{ era_of('make_date(year::integer + 1, 1, 1)') }} as era,
    province_code,
    province_name as source_province_name,
    score,
    published_rank,
    change,
    group_label,
    source_file,
    load_seq
from source_rows
where province_code is not null and index_code is not null and year is not null
qualify row_number() over (
    partition by index_code, year, province_code
    order by load_seq desc, source_row_number desc
) = 1
