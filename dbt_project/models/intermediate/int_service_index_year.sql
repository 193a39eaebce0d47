-- The composite index on fct_kpi's year rows (the year to date: a running year holds the months
-- loaded so far, months_covered in fct_kpi), from the one definition (macro service_index), for
-- comparing with the portal's year-to-date figures.
{{ service_index('year') }}
