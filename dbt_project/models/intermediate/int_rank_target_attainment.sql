-- The plans' rank targets (seeds/ref_plan_rank_targets.csv) judged on the governance indices
-- (fct_governance_index), in fct_target_attainment's columns (unioned in there by name).
-- The plan unit is resolved as for the KPI targets (seeds/ref_plan_units.csv): Bình Định's 2024
-- targets on legacy Bình Định's 2024 results. comparator rank_at_most: met when the rank (the
-- publisher's, else recomputed; within the plan region for rank_scope = region) <= target_rank,
-- gap_ranks = target_rank - rank (>= 0 is met). at_least_national_mean: met when the score >=
-- the national mean, gap_points = score - mean. No loaded result for the index, year and
-- province: no_data.
with

targets as (

    select
        (select count(*) from {{ ref('ref_plan_targets') }})
        + row_number() over (
            order by source_seed, plan_unit, plan_year, index_code, rank_scope nulls last
        ) as target_id,
        *
    from {{ ref('ref_plan_rank_targets') }}

),

units as (

    select
        plan_unit,
        province_at_publication,
        plan_year,
        era,
        province_code
    from {{ ref('ref_plan_units') }}

),

plan_region_ranks as (

    select
        results.index_code,
        results.result_year,
        results.era,
        results.province_code,
        regions.region_code,
        rank() over (
            partition by results.index_code, results.result_year, regions.region_code
            order by results.national_rank nulls last
        ) as plan_region_rank
    from {{ ref('fct_governance_index') }} as results
    inner join {{ ref('ref_plan_regions') }} as regions
        on results.era = regions.era and results.province_code = regions.province_code

),

matched as (

    select
        targets.*,
        units.era,
        units.province_code,
        results.province_name,
        results.score as actual_score,
        results.national_mean,
        results.provinces_ranked,
        case
            when targets.rank_scope = 'region' then region_ranks.plan_region_rank
            else results.national_rank
        end as actual_rank,
        results.index_code is not null as has_result
    from targets
    left join units
        on
            targets.plan_unit = units.plan_unit
            and targets.province_at_publication = units.province_at_publication
            and targets.plan_year = units.plan_year
    left join {{ ref('fct_governance_index') }} as results
        on
            targets.index_code = results.index_code
            and targets.result_year = results.result_year
            and units.era = results.era
            and units.province_code = results.province_code
    left join plan_region_ranks as region_ranks
        on
            targets.index_code = region_ranks.index_code
            and targets.result_year = region_ranks.result_year
            and units.era = region_ranks.era
            and units.province_code = region_ranks.province_code
            and targets.region_code = region_ranks.region_code

)

select
    target_id,
    plan_unit,
    'province' as plan_unit_level,
    province_at_publication,
    province_code,
    province_name,
    era,
    plan_year,
    lower(index_code) || '_' || rank_scope || '_rank' as kpi_code,
    'all' as applies_to_level,
    comparator,
    'rank' as target_kind,
    index_code,
    result_year,
    rank_scope,
    region_code,
    target_rank,
    actual_rank,
    provinces_ranked,
    actual_score,
    national_mean,
    case
        when comparator = 'rank_at_most' and actual_rank is not null
            then
                case when actual_rank <= target_rank then 'met' else 'not_met' end
        when
            comparator = 'at_least_national_mean' and actual_score is not null
            and national_mean is not null
            then
                case when actual_score >= national_mean then 'met' else 'not_met' end
        else 'no_data'
    end as status,
    case when comparator = 'rank_at_most' then target_rank - actual_rank end as gap_ranks,
    case
        when comparator = 'at_least_national_mean' then round(actual_score - national_mean, 4)
    end as gap_points,
    case
        when province_code is null then 'plan unit not resolved (seeds/ref_plan_units.csv)'
        when not has_result
            then 'no ' || index_code || ' ' || result_year || ' result loaded for the province'
        when comparator = 'rank_at_most' and actual_rank is null then 'no rank published'
        when comparator = 'at_least_national_mean' and actual_score is null
            then 'no score published'
        when comparator = 'at_least_national_mean' and national_mean is null
            then 'no national mean (scores incomplete)'
    end as no_data_reason,
    source_seed,
    target_meaning as kpi_meaning
from matched
