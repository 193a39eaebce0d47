-- The portal's published Decision-766 scores, one row per province, snapshot and group (the six
-- groups and the total): points, maximum, the portal's own rank (total only), the rank
-- recomputed among the snapshot's provinces, and the national mean (plain mean over the
-- snapshot's provinces, as the portal computes its national figure).
with

published as (

    select * from {{ ref('stg_published_index') }}

),

groups as (

    select
        mapping.portal_group_code,
        mapping.group_code,
        method.group_name_vi,
        method.group_name_en,
        max(method.group_max_points) as max_points
    from {{ ref('ref_published_index_groups') }} as mapping
    inner join {{ ref('ref_index_method') }} as method
        on mapping.group_code = method.group_code
    where method.method_version = '766-v1'
    group by all

),

long_rows as (

    select *
    from published
    unpivot (points for portal_column in (ckmb, tdgq, clgq, mdsh, mdhl, tttt, total))

),

scored as (

    select
        long_rows.snapshot_at,
        long_rows.period_grain,
        long_rows.period_start,
        long_rows.period_end,
        long_rows.era,
        long_rows.province_code,
        long_rows.source_province_name,
        upper(long_rows.portal_column) as portal_group_code,
        coalesce(groups.group_code, 'total') as group_code,
        coalesce(groups.group_name_vi, 'Tổng điểm') as group_name_vi,
        coalesce(groups.group_name_en, 'Total') as group_name_en,
        coalesce(groups.max_points, 100) as max_points,
        long_rows.points,
        case when long_rows.portal_column = 'total' then long_rows.published_rank end
            as published_rank,
        long_rows.source_file
    from long_rows
    left join groups on upper(long_rows.portal_column) = groups.portal_group_code

)

select
    scored.snapshot_at,
    scored.period_grain,
    scored.period_start,
    scored.period_end,
    scored.era,
    scored.province_code,
    provinces.province_name,
    provinces.short_name,
    provinces.region_code,
    scored.source_province_name,
    scored.portal_group_code,
    scored.group_code,
    scored.group_name_vi,
    scored.group_name_en,
    scored.max_points,
    scored.points,
    scored.published_rank,
    rank() over (
        partition by scored.snapshot_at, scored.period_start, scored.period_end, scored.group_code
        order by scored.points desc
    ) as computed_rank,
    round(avg(scored.points) over all_provinces, 4) as national_mean,
    count(*) over all_provinces as provinces_in_snapshot,
    scored.source_file
from scored
left join {{ ref('dim_province') }} as provinces
    on scored.province_code = provinces.province_code and scored.era = provinces.era
window
    all_provinces as (
        partition by scored.snapshot_at, scored.period_start, scored.period_end, scored.group_code
    )
