-- One row per day from 2020 to 2030, with the month, quarter and year it belongs to and the
-- administrative era (legacy units until 30 June 2025, current ones from 1 July 2025).
with

days as (

    select
        {{ date_series("date '2020-01-01'", "date '2030-12-31'", 'interval 1 day') }} as date_day

)

select
    date_day,
    year(date_day) as year,
    quarter(date_day) as quarter,
    month(date_day) as month,
    date_trunc('month', date_day)::date as month_start,
    last_day(date_day) as month_end,
    date_trunc('quarter', date_day)::date as quarter_start,
    (date_trunc('quarter', date_day) + interval 3 month - interval 1 day)::date as quarter_end,
    date_trunc('year', date_day)::date as year_start,
    'Tháng ' || month(date_day) || '/' || year(date_day) as month_label_vi,
    'Quý '
    || case quarter(date_day) when 1 then 'I' when 2 then 'II' when 3 then 'III' else 'IV' end
    || '/' || year(date_day) as quarter_label_vi,
    year(date_day) || '-' || lpad(month(date_day)::string, 2, '0') as month_label,
    {{ era_of('date_day') }} as era,
    {{ iso_day_of_week('date_day') }} >= 6 as is_weekend
from days
