-- Digitization per agency, field and month (from dossier records): input documents, result, both, electronic result, data reuse. Received-based counts are by received month, result-based counts by resolved month.
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
    activity.dossiers_digitized,
    activity.dossiers_and_results_digitized,
    activity.dossiers_reusing_data,
    activity.dossiers_resolved,
    activity.results_digitized,
    activity.e_results_issued
from {{ ref('int_activity_month') }} as activity
left join {{ ref('dim_province') }} as provinces
    on activity.province_code = provinces.province_code and activity.era = provinces.era
where
    activity.catalog_procedures = 0
    and (activity.dossier_events > 0)
