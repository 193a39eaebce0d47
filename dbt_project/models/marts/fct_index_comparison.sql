-- The index the warehouse computes beside the one the portal publishes, per province, period
-- and group (and the total), only where both cover the same province and period: a published
-- year-to-date snapshot is compared with the computed year to date of its year, which runs to
-- the last loaded month (computed_period_end; months_covered says how many). Reported unit basis.
with

published as (

    select * from {{ ref('fct_published_index') }}
    where period_grain in ('year', 'year_to_date')

),

kpi_year as (

    select
        province_code,
        era,
        period_start,
        max(period_end) as period_end,
        max(months_covered) as months_covered
    from {{ ref('fct_kpi') }}
    where
        period_grain = 'year' and level = 'all' and agency_code is null
        and procedure_field is null and unit_basis = 'reported'
    group by all

),

computed as (

    select
        index_rows.province_code,
        index_rows.era,
        index_rows.period_start,
        index_rows.group_code,
        index_rows.points,
        index_rows.computed,
        index_rows.not_computed_reason,
        kpi_year.period_end as computed_period_end,
        kpi_year.months_covered
    from {{ ref('int_service_index_year') }} as index_rows
    left join kpi_year
        on
            index_rows.province_code = kpi_year.province_code
            and index_rows.era = kpi_year.era
            and index_rows.period_start = kpi_year.period_start
    where index_rows.unit_basis = 'reported'

)

select
    published.snapshot_at,
    published.period_grain,
    published.period_start,
    published.period_end as published_period_end,
    computed.computed_period_end,
    computed.months_covered,
    published.province_code,
    published.province_name,
    published.era,
    published.group_code,
    published.portal_group_code,
    published.group_name_vi,
    published.group_name_en,
    published.max_points,
    published.points as published_points,
    published.published_rank,
    published.computed_rank as published_points_rank,
    -- a total without every group (transparency has no source) is no total: not compared
    case when computed.computed then computed.points end as computed_points,
    case
        when computed.computed
            then rank() over (
                partition by published.snapshot_at, published.group_code, computed.points is null
                order by computed.points desc
            )
    end as computed_points_rank,
    case when computed.computed then round(computed.points - published.points, 4) end
        as difference,
    computed.computed,
    computed.not_computed_reason
from published
inner join computed
    on
        published.province_code = computed.province_code
        and published.era = computed.era
        and published.period_start = computed.period_start
        and published.group_code = computed.group_code
