-- The 63 legacy provinces (valid until 30 June 2025) and the 34 current ones (from 1 July 2025),
-- keyed by era and code because codes were reused (80 was Long An, is Tây Ninh now).
with

crosswalk as (

    select
        legacy_code,
        legacy_name,
        legacy_type,
        current_code,
        current_name,
        current_type,
        current_dvcqg_code
    from {{ ref('ref_province_crosswalk') }}

),

legacy as (

    select
        'legacy-' || legacy_code as province_key,
        legacy_code as province_code,
        legacy_name as province_name,
        legacy_type as province_type,
        'legacy' as era,
        null::date as valid_from,
        date '2025-06-30' as valid_to,
        current_code as successor_code,
        current_name as successor_name,
        null::string as dvcqg_code
    from crosswalk

),

current_provinces as (

    select
        'current-' || current_code as province_key,
        current_code as province_code,
        max(current_name) as province_name,
        max(current_type) as province_type,
        'current' as era,
        date '2025-07-01' as valid_from,
        null::date as valid_to,
        null::string as successor_code,
        null::string as successor_name,
        max(current_dvcqg_code) as dvcqg_code
    from crosswalk
    group by current_code

),

provinces as (

    select * from legacy
    union all
    select * from current_provinces

)

select
    provinces.province_key,
    provinces.province_code,
    provinces.province_name,
    -- ' +', not '\s+': Spark reads '\s' in a string literal as 's'
    trim(regexp_replace(provinces.province_name, '^(Tỉnh|Thành phố) +', '')) as short_name,
    provinces.province_type,
    provinces.era,
    provinces.valid_from,
    provinces.valid_to,
    provinces.successor_code,
    provinces.successor_name,
    provinces.dvcqg_code,
    regions.region_code,
    regions.region_name_vi as region,
    regions.region_name_en
from provinces
left join {{ ref('ref_province_regions') }} as regions
    on provinces.era = regions.era and provinces.province_code = regions.province_code
