-- The year-end forecast method (seeds/ref_forecast_method.csv) for the serving DB: each case's
-- rule and its two-sentence explanation in Vietnamese and English, as the scorecard shows them.
select
    method_version,
    method_case,
    applies_when,
    trend_rule,
    interval_z,
    explanation_vi,
    explanation_en,
    method_version = {{ forecast_method_version() }} as is_current
from {{ ref('ref_forecast_method') }}
