-- Satisfaction per agency, procedure field and month from both survey exports (SOURCES.md §5):
-- the aggregated rows, and the one-row-per-response export counted the same way (satisfied =
-- score 4 or 5). Where a province sent both for the same agency, field and month, the aggregated
-- figures are the ones in force, so no response is counted twice.
with

aggregated as (

    select
        province_code,
        era,
        period_month,
        agency_code,
        source_agency_code,
        agency_name,
        procedure_field,
        responses,
        satisfied_responses,
        'aggregated' as survey_form
    from {{ ref('stg_satisfaction') }}

),

counted_responses as (

    select
        province_code,
        era,
        period_month,
        agency_code,
        max(source_agency_code) as source_agency_code,
        {{ most_frequent('agency_name') }} as agency_name,
        procedure_field,
        count(*) as responses,
        count(*) filter (where is_satisfied) as satisfied_responses,
        'responses' as survey_form
    from {{ ref('stg_satisfaction_responses') }}
    group by province_code, era, period_month, agency_code, procedure_field

)

-- (both CTEs list the same columns in the same order)
select * from aggregated
union all
select counted_responses.*
from counted_responses
anti join aggregated
    on
        counted_responses.province_code = aggregated.province_code
        and counted_responses.era = aggregated.era
        and counted_responses.period_month = aggregated.period_month
        and counted_responses.agency_code = aggregated.agency_code
        and counted_responses.procedure_field = aggregated.procedure_field
