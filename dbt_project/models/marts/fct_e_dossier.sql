-- Dossiers newly received per agency, field and month, by channel and online service level (from dossier records).
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
    activity.dossiers_received,
    activity.dossiers_received_online,
    activity.dossiers_received_full_online,
    activity.dossiers_received_partial_online,
    activity.dossiers_received_direct,
    activity.dossiers_received_postal
from {{ ref('int_activity_month') }} as activity
left join {{ ref('dim_province') }} as provinces
    on activity.province_code = provinces.province_code and activity.era = provinces.era
where
    activity.catalog_procedures = 0
    and (activity.dossiers_received > 0)
