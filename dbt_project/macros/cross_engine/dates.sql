{#- Dates: series of days or months, and the calendar arithmetic the two engines spell apart. -#}

{#-
    One row per date from `start` to `stop` (dates, both included) by `step` (an interval such
    as `interval 1 month`): a set-returning select expression (DuckDB unnest, Spark explode),
    alone in its select item (Spark allows no expression around a generator).
-#}
{% macro date_series(start, stop, step) -%}
    {{ return(adapter.dispatch('date_series', 'cchc')(start, stop, step)) }}
{%- endmacro %}

{% macro default__date_series(start, stop, step) -%}
    unnest(generate_series({{ start }}, {{ stop }}, {{ step }}))::date
{%- endmacro %}

{% macro spark__date_series(start, stop, step) -%}
    explode(sequence({{ start }}, {{ stop }}, {{ step }}))
{%- endmacro %}

{#-
    Month boundaries crossed from `start` to `stop` (dates): 2025-01-31 -> 2025-02-01 is 1, as
    DuckDB's datediff('month', ...) counts. Written out because dbt.datediff on Spark goes through
    months_between, which counts two month-ends (31 January -> 28 February) as a whole month
    and then adds one for the day of month.
-#}
{% macro months_between_dates(start, stop) -%}
    ((year({{ stop }}) - year({{ start }})) * 12 + month({{ stop }}) - month({{ start }}))
{%- endmacro %}

{#- ISO day of the week: 1 = Monday ... 7 = Sunday -#}
{% macro iso_day_of_week(date_expression) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'cchc')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expression) -%}
    isodow({{ date_expression }})
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expression) -%}
    extract(dayofweek_iso from {{ date_expression }})
{%- endmacro %}
