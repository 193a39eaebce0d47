-- The portal's published Decision-766 scores in force: the latest loaded version of each
-- province's row per snapshot (read time) and period; every snapshot is kept.
with

source_rows as (

    select * from {{ source('raw', 'published_index') }}

)

select
    snapshot_at,
    period_grain,
    period_start,
    period_end,
    {{ era_of('period_start') }} as era,
    province_code,
    province_name as source_province_name,
    published_rank,
    total,
    ckmb,
    tdgq,
    clgq,
    mdsh,
    mdhl,
    tttt,
    source_file,
    load_seq
from source_rows
where province_code is not null
qualify row_number() over (
    partition by snapshot_at, period_start, period_end, province_code
    order by load_seq desc, source_row_number desc
) = 1
