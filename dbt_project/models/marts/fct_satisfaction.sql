-- Satisfaction survey responses per agency, field and month.
select
    activity.month_start as period_start,
    activity.month_end as period_end,
    activity.province_code,
    provinces.province_name,
    activity.era,
    activity.level,
    activity.agency_code,
    activity.agency_name,
    activity.procedure_field,
    activity.responses,
    activity.satisfied_responses,
    activity.responses_land_construction_investment,
    activity.satisfied_land_construction_investment
from {{ ref('int_activity_month') }} as activity
left join {{ ref('dim_province') }} as provinces
    on activity.province_code = provinces.province_code and activity.era = provinces.era
where
    activity.catalog_procedures = 0
    and (activity.satisfaction_rows > 0)
