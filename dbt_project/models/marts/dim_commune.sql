-- Communes before (10,051; with their district) and after (3,321) the 2025 restructuring, keyed by
-- era and code (codes are reused between the lists). A legacy commune names its successor(s):
-- successor_code is the one it went to (the first, by code, when it was split between several).
with

conversion as (

    select
        legacy_commune_code,
        min(current_commune_code) as successor_code,
        count(*) as successor_count,
        bool_or(is_partly_merged) as is_partly_merged
    from {{ ref('ref_commune_conversion_2025') }}
    group by legacy_commune_code

),

legacy as (

    select
        'legacy-' || communes.code as commune_key,
        communes.code as commune_code,
        communes.name as commune_name,
        communes.type as commune_type,
        'legacy' as era,
        communes.province_code,
        communes.district_code,
        districts.name as district_name,
        null::date as valid_from,
        date '2025-06-30' as valid_to,
        conversion.successor_code,
        coalesce(conversion.successor_count, 0) as successor_count,
        coalesce(conversion.is_partly_merged, false) as is_split
    from {{ ref('ref_legacy_communes') }} as communes
    left join {{ ref('ref_legacy_districts') }} as districts
        on communes.district_code = districts.code
    left join conversion
        on communes.code = conversion.legacy_commune_code

),

current_communes as (

    select
        'current-' || code as commune_key,
        code as commune_code,
        name as commune_name,
        type as commune_type,
        'current' as era,
        province_code,
        null::string as district_code,
        null::string as district_name,
        date '2025-07-01' as valid_from,
        null::date as valid_to,
        null::string as successor_code,
        0 as successor_count,
        false as is_split
    from {{ ref('ref_current_communes') }}

)

select * from legacy
union all
select * from current_communes
