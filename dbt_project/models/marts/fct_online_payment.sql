-- Payments per agency, field and month: transactions by channel and status (by paid month) and fee-bearing dossiers paid online (by received month). Transactions whose dossier is not loaded have no agency.
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
    activity.payment_transactions,
    activity.payment_transactions_online,
    activity.payments_successful,
    activity.payments_successful_online,
    activity.payments_failed,
    activity.payments_refunded,
    activity.payment_amount_vnd,
    activity.payment_amount_online_vnd,
    activity.fee_dossiers,
    activity.fee_dossiers_paid_online
from {{ ref('int_activity_month') }} as activity
left join {{ ref('dim_province') }} as provinces
    on activity.province_code = provinces.province_code and activity.era = provinces.era
where
    activity.catalog_procedures = 0
    and (activity.payment_transactions > 0 or activity.fee_dossiers > 0)
