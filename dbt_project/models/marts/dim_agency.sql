-- Every agency named by a report, a dossier record or a satisfaction row. agency_code is built
-- from era, province and the folded name (macros/agency_code.sql) the same way for every
-- source, so a report row and the dossiers of the same agency share it; source_agency_code is
-- the one-stop system's own code where dossiers carry it. A legacy dossier still open on
-- 1 July 2025 is held from then by the successor's agency of the same name (stg_dossiers
-- .successor_agency_code), which is listed too.
-- Incremental by province (macros/incremental_scope.sql): an agency's code carries its era and
-- province, so each agency is one (province, era) unit's; a run rebuilds the units whose rows
-- changed (and the successors of touched legacy provinces, which list the agencies holding
-- their open dossiers), reading only the rows that name those units, and replaces each unit's
-- agencies whole: an agency no longer named by any row goes. Read whole it was ≈ 2.5 s of every
-- run (two scans of stg_dossiers).
{%- set inputs = [
    'stg_portal_report', 'stg_dossiers', 'stg_satisfaction', 'stg_satisfaction_responses',
] %}
{{ incremental_by_province(inputs) }}
{%- set touched = touched_provinces(inputs) %}
{#- a level stated by a report or a dossier wins over one read from the name -#}
{%- set stated_level -%}
    coalesce(
        {{ most_frequent('level') }} filter (where seen_in <> 'satisfaction'),
        {{ most_frequent('level') }}
    )
{%- endset %}

with

named as (

    select
        agency_code,
        agency_name,
        province_code,
        era,
        level,
        null::string as source_agency_code,
        null::string as commune_code,
        'portal_report' as seen_in
    from {{ ref('stg_portal_report') }}
    union all
    select
        agency_code,
        agency_name,
        province_code,
        era,
        level,
        source_agency_code,
        commune_code,
        'dossiers'
    from {{ ref('stg_dossiers') }}
    union all
    select
        successor_agency_code,
        agency_name,
        successor_code,
        'current',
        level,
        null,
        null,
        'dossiers'
    from {{ ref('stg_dossiers') }}
    where
        era = 'legacy'
        and coalesce(closed_month, date '2999-12-01') >= {{ restructuring_date() }}
    union all
    select
        agency_code,
        agency_name,
        province_code,
        era,
        {{ level_from_name('agency_name') }},
        source_agency_code,
        null,
        'satisfaction'
    from {{ ref('int_satisfaction_month') }}

)

select
    agency_code,
    {{ most_frequent('agency_name') }} as agency_name,
    max(province_code) as province_code,
    max(era) as era,
    -- a level stated by a report or a dossier wins over one read from the name
    {{ stated_level }} as level,
    case {{ stated_level }}
        when 'province' then 'Sở, ban, ngành cấp tỉnh'
        when 'district' then 'UBND cấp huyện'
        when 'commune' then 'UBND cấp xã'
    end as level_name_vi,
    max(source_agency_code) as source_agency_code,
    max(commune_code) as commune_code,
    {{ ordered_string_agg('seen_in', "','", 'seen_in', distinct=true) }} as seen_in
from named
-- on the unit each row names (a successor's for the branch above): both engines push the filter
-- into every branch's scan
where {{ in_touched_provinces(touched, 'province_code', 'era') }}
group by agency_code
