-- Annual governance indices per province, index and result year: the published score and rank,
-- a rank recomputed from the loaded scores, the rank within the province's socio-economic
-- region, and the national and regional means. Rows stay on the province the results ranked
-- (63 legacy provinces up to 2024, 34 current ones after); successor_code names the current
-- province a legacy one is part of, so a current province's page lists its predecessors' own
-- results, never a merged score.
with

results as (

    select * from {{ ref('stg_governance_indices') }}

),

era_sizes as (

    select
        era,
        count(*) as provinces_in_era
    from {{ ref('dim_province') }}
    group by era

),

placed as (

    select
        results.*,
        provinces.province_name,
        provinces.short_name,
        coalesce(provinces.successor_code, provinces.province_code) as successor_code,
        coalesce(provinces.successor_name, provinces.province_name) as successor_name,
        provinces.region_code,
        provinces.region as region_name_vi,
        provinces.region_name_en,
        case when results.score is not null then rank() over scored_rows end as computed_rank
    from results
    left join {{ ref('dim_province') }} as provinces
        on results.province_code = provinces.province_code and results.era = provinces.era
    window scored_rows as (
        partition by results.index_code, results.result_year, results.score is null
        order by results.score desc
    )

),

ranked as (

    select
        *,
        -- the publisher's order where it ranked the province, else the order of the scores
        coalesce(published_rank, computed_rank) as national_rank
    from placed

),

measured as (

    select
        ranked.*,
        rank() over (
            partition by ranked.index_code, ranked.result_year, ranked.region_code
            order by ranked.national_rank nulls last
        ) as region_rank,
        count(*) over index_year as provinces_ranked,
        count(ranked.score) over index_year as scores_published,
        avg(ranked.score) over index_year as score_mean_of_published,
        count(ranked.score) over index_region as region_scores_published,
        count(*) over index_region as region_provinces_ranked,
        avg(ranked.score) over index_region as region_score_mean
    from ranked
    window
        index_year as (partition by index_code, result_year),
        index_region as (partition by index_code, result_year, region_code)

)

select
    measured.index_code,
    indices.index_name_vi,
    indices.index_name_en,
    indices.publisher,
    indices.scale_note,
    measured.result_year,
    measured.era,
    measured.province_code,
    measured.province_name,
    measured.short_name,
    measured.source_province_name,
    measured.successor_code,
    measured.successor_name,
    measured.region_code,
    measured.region_name_vi,
    measured.region_name_en,
    measured.score,
    measured.change,
    measured.group_label,
    measured.published_rank,
    measured.computed_rank,
    measured.national_rank,
    measured.region_rank,
    measured.provinces_ranked,
    era_sizes.provinces_in_era,
    measured.provinces_ranked < era_sizes.provinces_in_era as is_partial_table,
    measured.scores_published,
    -- a mean only over a complete set of scores (DTI 2022 published 6 of 63: no mean)
    case
        when
            measured.scores_published = era_sizes.provinces_in_era
            or measured.scores_published = measured.provinces_ranked
            then round(measured.score_mean_of_published, 4)
    end as national_mean,
    case
        when measured.region_scores_published = measured.region_provinces_ranked
            then round(measured.region_score_mean, 4)
    end as regional_mean,
    measured.source_file
from measured
left join era_sizes on measured.era = era_sizes.era
left join {{ ref('ref_governance_indices') }} as indices
    on measured.index_code = indices.index_code
