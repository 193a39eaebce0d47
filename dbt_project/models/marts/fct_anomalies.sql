-- Flags on submissions, per province (and agency) and month, for a data engineer to look at
-- before leadership reads the numbers. One row per flag: rule, KPI (when the rule is about one),
-- the observed and the expected value, a score and a severity. Rules (thresholds below):
--   volume_outlier: the month's dossiers received, as a share of the nation's that month (so the
--     calendar's seasonality, Tết and growth cancel out), far from the unit's own median share:
--     robust z = log-share distance / (1.4826 x MAD, at least 5 %) >= 4;
--   rate_outlier: online / on-time rate far from the median of the unit's 6 months either side
--     (at least 2 on each side): z = distance / max(1.4826 x MAD, binomial sd, 0.5 pp) >= 5;
--   restructuring_jump / system_change: the same rates and volume share jumping between a month
--     and the one before, at 1 July 2025 (current basis: successor vs its predecessors) or where
--     the province's counts switch source (portal report <-> dossier records): z >= 4;
--   report_not_reconciled: fct_reconciliation finds the report and its dossiers differ (once
--     where an agency's differences repeat exactly, month after month);
--   missing_report: a month inside the province's span without its monthly report (its KPIs then
--     come from dossier records); late_report: a month's report loaded after a later month's;
--   extreme_share: a rate exactly 0 or 100 % over at least 30 that the unit's own rate makes
--     implausible on both sides (probability < 1 in 10,000 at that count): its rate the month
--     before and the month after, each as (numerator + 0.5) / (denominator + 1), the side that
--     makes it likelier counting (one side only at the ends of the data).
-- severity: high / medium / low by score (see each rule). Reported basis (provinces as they were).
{%- set rate_kpis = ['online_dossier_rate', 'on_time_rate'] %}
{%- set large_count = 30 %}
{#- reconciliation rows, the largest difference first, then by bucket name -#}
{%- set largest_first = ['-abs(difference)', 'bucket'] %}
{%- set share_kpis = ['online_dossier_rate', 'on_time_rate', 'digitization_rate',
    'online_payment_dossier_rate', 'e_result_rate'] %}

with

province_months as (

    select
        kpi_code,
        unit_basis,
        province_code,
        era,
        period_start as month_start,
        numerator,
        denominator,
        case when denominator > 0 then numerator / denominator end as rate,
        count_source
    from {{ ref('fct_kpi') }}
    where
        period_grain = 'month'
        and level = 'all'
        and agency_code is null
        and procedure_field is null
        and kpi_code in ({{ quoted_list(rate_kpis) }})

),

nation as (

    select
        unit_basis,
        month_start,
        denominator as nation_volume
    from province_months
    where province_code = 'VN' and kpi_code = 'online_dossier_rate'

),

volume as (

    select
        province_months.unit_basis,
        province_months.province_code,
        province_months.era,
        province_months.month_start,
        province_months.count_source,
        province_months.denominator as volume,
        nation.nation_volume,
        ln(province_months.denominator / nation.nation_volume) as log_share
    from province_months
    inner join nation
        on
            province_months.unit_basis = nation.unit_basis
            and province_months.month_start = nation.month_start
    where
        province_months.kpi_code = 'online_dossier_rate'
        and province_months.province_code != 'VN'
        and province_months.denominator > 0

),

volume_median as (

    select
        *,
        median(log_share) over (partition by province_code, era) as median_log_share
    from volume
    where unit_basis = 'reported'

),

volume_scored as (

    select
        *,
        (log_share - median_log_share) / greatest(
            1.4826 * median(abs(log_share - median_log_share)) over (
                partition by province_code, era
            ),
            0.05
        ) as score
    from volume_median

),

volume_flags as (

    -- every *_flags CTE lists the same columns in the same order
    select
        province_code,
        era,
        null::string as agency_code,
        month_start,
        'volume_outlier' as rule,
        null::string as kpi_code,
        volume::double as observed,
        round(exp(median_log_share) * nation_volume, 1) as expected,
        abs(score) as score,
        'dossiers received vs the unit''s usual share of the nation''s that month' as detail
    from volume_scored
    where abs(score) >= 4

),

-- rates against the unit's 6 months either side (the rate trends, so no whole-history median)
rate_neighbours as (

    select
        this.kpi_code,
        this.province_code,
        this.era,
        this.month_start,
        this.rate,
        this.denominator,
        median(other.rate) as reference_rate
    from province_months as this
    inner join province_months as other
        on
            this.kpi_code = other.kpi_code
            and this.unit_basis = other.unit_basis
            and this.province_code = other.province_code
            and this.era = other.era
            and this.month_start != other.month_start
            and abs({{ months_between_dates('this.month_start', 'other.month_start') }}) <= 6
    where
        this.unit_basis = 'reported'
        and this.province_code != 'VN'
        and this.rate is not null
        and other.rate is not null
    group by all
    -- at least 2 months on each side: a one-sided median lags a rising rate (the first months
    -- of the window, the months just after 1 July 2025) and made it look far off
    having
        count(*) filter (where other.month_start < this.month_start) >= 2
        and count(*) filter (where other.month_start > this.month_start) >= 2

),

rate_spread as (

    select
        rate_neighbours.kpi_code,
        rate_neighbours.province_code,
        rate_neighbours.era,
        rate_neighbours.month_start,
        median(abs(other.rate - rate_neighbours.reference_rate)) as mad
    from rate_neighbours
    inner join province_months as other
        on
            rate_neighbours.kpi_code = other.kpi_code
            and other.unit_basis = 'reported'
            and rate_neighbours.province_code = other.province_code
            and rate_neighbours.era = other.era
            and rate_neighbours.month_start != other.month_start
            and abs({{
                months_between_dates('rate_neighbours.month_start', 'other.month_start')
            }}) <= 6
    where other.rate is not null
    group by all

),

rate_flags as (

    -- every *_flags CTE lists the same columns in the same order
    select
        rate_neighbours.province_code,
        rate_neighbours.era,
        null::string as agency_code,
        rate_neighbours.month_start,
        'rate_outlier' as rule,
        rate_neighbours.kpi_code,
        round(100 * rate_neighbours.rate, 6) as observed,
        round(100 * rate_neighbours.reference_rate, 6) as expected,
        abs(rate_neighbours.rate - rate_neighbours.reference_rate) / greatest(
            1.4826 * rate_spread.mad,
            -- binomial sd at that count, the rate kept within 2-98 % (a month at 100 % must
            -- not make the next 96 % look impossible)
            sqrt(
                least(greatest(rate_neighbours.reference_rate, 0.02), 0.98)
                * (1 - least(greatest(rate_neighbours.reference_rate, 0.02), 0.98))
                / rate_neighbours.denominator
            ),
            0.005
        ) as score,
        'rate vs the median of the unit''s 6 months either side' as detail
    from rate_neighbours
    inner join rate_spread
        on
            rate_neighbours.kpi_code = rate_spread.kpi_code
            and rate_neighbours.province_code = rate_spread.province_code
            and rate_neighbours.era = rate_spread.era
            and rate_neighbours.month_start = rate_spread.month_start

),

-- month-on-month steps: at 1 July 2025 on the current basis, at a switch of count source
steps as (

    select
        kpi_code,
        unit_basis,
        province_code,
        era,
        month_start,
        count_source,
        rate,
        denominator,
        lag(rate) over unit_months as previous_rate,
        lag(count_source) over unit_months as previous_source,
        lag(month_start) over unit_months as previous_month
    from province_months
    where province_code != 'VN' and rate is not null
    window unit_months as (
        partition by kpi_code, unit_basis, province_code, era order by month_start
    )

),

jump_flags as (

    -- every *_flags CTE lists the same columns in the same order
    select
        province_code,
        era,
        null::string as agency_code,
        month_start,
        case
            when unit_basis = 'current' then 'restructuring_jump' else 'system_change'
        end as rule,
        kpi_code,
        round(100 * rate, 6) as observed,
        round(100 * previous_rate, 6) as expected,
        abs(rate - previous_rate) / greatest(
            sqrt(previous_rate * (1 - previous_rate) / denominator), 0.01
        ) as score,
        case
            when unit_basis = 'current'
                then 'first month after 1 July 2025 vs the predecessors'' last month'
            else 'counts switched from ' || previous_source || ' to ' || count_source
        end as detail
    from steps
    where
        previous_month = month_start - interval 1 month
        and (
            (unit_basis = 'current' and month_start = date '2025-07-01')
            or (unit_basis = 'reported' and count_source != previous_source)
        )

),

-- one row per agency-month that does not reconcile, with its differences as one text, so that a
-- month repeating the month before's differences exactly can be recognised
reconciliation_months as (

    select
        province_code,
        era,
        agency_code,
        period_start as month_start,
        -- the largest difference, ties broken by the bucket's name: arg_max would pick any of
        -- the tied rows, so two builds of the same data could name different buckets
        {{ first_by('report_value', largest_first) }}::double as observed,
        {{ first_by('dossier_value', largest_first) }}::double as expected,
        max(abs(difference))::double as score,
        {{ first_by('bucket', largest_first) }} as largest_bucket,
        {{ ordered_string_agg("bucket || '=' || difference", "','", 'bucket') }} as differences
    from {{ ref('fct_reconciliation') }}
    where period_grain = 'month' and status != 'match'
    group by province_code, era, agency_code, period_start

),

reconciliation_flags as (

    -- every *_flags CTE lists the same columns in the same order
    select
        province_code,
        era,
        agency_code,
        month_start,
        'report_not_reconciled' as rule,
        null::string as kpi_code,
        observed,
        expected,
        score,
        'report vs dossier records, largest difference in ' || largest_bucket as detail
    from reconciliation_months
    window agency_months as (partition by province_code, era, agency_code order by month_start)
    -- the same differences as the agency's month before are the same finding (dossiers still
    -- open carry one old difference into every later month's stocks): flagged at its first month
    qualify
        not coalesce(
            lag(month_start) over agency_months = month_start - interval 1 month
            and lag(differences) over agency_months = differences,
            false
        )

),

report_months as (

    select
        province_code,
        era,
        period_start as month_start,
        max(load_seq) as load_seq
    from {{ ref('stg_portal_report') }}
    where period_grain = 'month'
    group by all

),

data_months as (

    select distinct
        province_code,
        era,
        month_start
    from province_months
    where unit_basis = 'reported' and province_code != 'VN'

),

report_span as (

    select
        province_code,
        era,
        min(month_start) as first_report,
        max(month_start) as last_report
    from report_months
    group by all

),

missing_flags as (

    -- every *_flags CTE lists the same columns in the same order
    select
        data_months.province_code,
        data_months.era,
        null::string as agency_code,
        data_months.month_start,
        'missing_report' as rule,
        null::string as kpi_code,
        0.0 as observed,
        1.0 as expected,
        1.0 as score,
        'no monthly report inside the province''s reporting span (KPIs from dossier records)'
            as detail
    from data_months
    inner join report_span
        on
            data_months.province_code = report_span.province_code
            and data_months.era = report_span.era
            and data_months.month_start between report_span.first_report and report_span.last_report
    left join report_months
        on
            data_months.province_code = report_months.province_code
            and data_months.era = report_months.era
            and data_months.month_start = report_months.month_start
    where report_months.month_start is null

),

late_flags as (

    -- every *_flags CTE lists the same columns in the same order
    select
        province_code,
        era,
        null::string as agency_code,
        month_start,
        'late_report' as rule,
        null::string as kpi_code,
        load_seq::double as observed,
        later_load_seq::double as expected,
        1.0 as score,
        'loaded after the report of a later month' as detail
    from (
        select
            *,
            min(load_seq) over (
                partition by province_code, era order by month_start
                rows between 1 following and unbounded following
            ) as later_load_seq
        from report_months
    ) as ordered
    where load_seq > later_load_seq

),

unit_shares as (

    select
        kpi_code,
        province_code,
        era,
        agency_code,
        period_start as month_start,
        numerator,
        denominator
    from {{ ref('fct_kpi') }}
    where
        unit_basis = 'reported'
        and period_grain = 'month'
        and procedure_field is null
        and province_code != 'VN'
        and (agency_code is not null or level = 'all')
        and denominator > 0
        and kpi_code in ({{ quoted_list(share_kpis) }})

),

-- the unit's rate in the month before and in the month after, with half a success and half a
-- failure added (a neighbour at 0 % or 100 % gives a rate just inside, as close to the edge as
-- its count allows, never a fixed floor). The nearest months, not 6: a service that opens
-- mid-window makes a run of 0 % months before it, and a wider side would mix both runs.
share_sides as (

    select
        *,
        (sum(numerator) over before_month + 0.5) / (sum(denominator) over before_month + 1)
            as before_rate,
        (sum(numerator) over after_month + 0.5) / (sum(denominator) over after_month + 1)
            as after_rate
    from unit_shares
    window
        before_month as (
            partition by kpi_code, province_code, era, agency_code
            order by month_start
            range between interval 1 month preceding and interval 1 month preceding
        ),
        after_month as (
            partition by kpi_code, province_code, era, agency_code
            order by month_start
            range between interval 1 month following and interval 1 month following
        )

),

share_odds as (

    select
        *,
        -- the chance of one dossier landing as observed (none or all in the share), at the side
        -- that makes it likelier: a switch from 0 % to 40 % when a service opens has 0 % on one
        -- side, a month the portal was down has the usual rate on both
        greatest(
            case when numerator = 0 then 1 - before_rate else before_rate end,
            case when numerator = 0 then 1 - after_rate else after_rate end
        ) as all_or_nothing_rate
    from share_sides
    where
        numerator in (0, denominator)
        and denominator >= {{ large_count }}
        and coalesce(before_rate, after_rate) is not null

),

share_flags as (

    -- every *_flags CTE lists the same columns in the same order
    select
        province_code,
        era,
        agency_code,
        month_start,
        'extreme_share' as rule,
        kpi_code,
        round(100.0 * numerator / denominator, 6) as observed,
        round(100 * usual_rate, 6) as expected,
        -- -log10 of the chance of an all-or-nothing month at the unit's usual rate
        -denominator * log10(all_or_nothing_rate) as score,
        concat(
            case when numerator = 0 then 'exactly 0 %' else 'exactly 100 %' end,
            ' of ', denominator, ' where the unit is usually at ',
            round(100 * usual_rate, 1), ' %'
        ) as detail
    from (
        select
            *,
            case
                when numerator = 0 then 1 - all_or_nothing_rate else all_or_nothing_rate
            end as usual_rate
        from share_odds
    ) as odds

),

flags as (

    -- every *_flags CTE lists the same columns in the same order
    select
        *,
        {{ severity_by_score(8, 6) }} as severity
    from volume_flags
    union all
    select
        *,
        {{ severity_by_score(10, 7) }} as severity
    from rate_flags
    where score >= 5
    union all
    select
        *,
        {{ severity_by_score(10, 6) }} as severity
    from jump_flags
    where score >= 4
    union all
    select
        *,
        case
            when abs(observed - expected) >= greatest(10, 0.05 * expected) then 'high'
            else 'medium'
        end as severity
    from reconciliation_flags
    union all
    select
        *,
        'medium' as severity
    from missing_flags
    union all
    select
        *,
        'low' as severity
    from late_flags
    union all
    select
        *,
        {{ severity_by_score(8, 6) }} as severity
    from share_flags
    where score >= 4

)

select
    flags.province_code,
    provinces.province_name,
    flags.era,
    flags.agency_code,
    agencies.agency_name,
    flags.month_start,
    flags.rule,
    flags.kpi_code,
    flags.observed,
    flags.expected,
    round(flags.score, 3) as score,
    flags.severity,
    flags.detail
from flags
left join {{ ref('dim_province') }} as provinces
    on flags.province_code = provinces.province_code and flags.era = provinces.era
left join {{ ref('dim_agency') }} as agencies
    on flags.agency_code = agencies.agency_code
