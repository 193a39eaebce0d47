{#-
    Aggregates whose DuckDB and Spark spellings differ, or whose result would depend on the order
    rows happen to arrive in: each gives the same answer on both engines and on every run.
-#}

{#-
    The most frequent non-null value of `expression`, ties going to the lowest value. (DuckDB's
    plain mode() takes the tied value seen first, which varies with the scan order; Spark's mode()
    takes any unless told to be deterministic.) A FILTER (WHERE ...) may follow the call.
-#}
{% macro most_frequent(expression) -%}
    {{ return(adapter.dispatch('most_frequent', 'cchc')(expression)) }}
{%- endmacro %}

{% macro default__most_frequent(expression) -%}
    mode({{ expression }} order by {{ expression }})
{%- endmacro %}

{% macro spark__most_frequent(expression) -%}
    mode({{ expression }}, true)
{%- endmacro %}

{#-
    The non-null values of `expression` joined by `separator` in the order of `order_by` (one
    ascending, non-null expression). distinct=true joins each value once (then `order_by` must
    be `expression`). dbt.listagg is not used: dbt-spark's version ignores its order.
-#}
{% macro ordered_string_agg(expression, separator, order_by, distinct=false) -%}
    {{ return(adapter.dispatch('ordered_string_agg', 'cchc')(expression, separator, order_by, distinct)) }}
{%- endmacro %}

{% macro default__ordered_string_agg(expression, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, {{ separator }} order by {{ order_by }})
{%- endmacro %}

{% macro spark__ordered_string_agg(expression, separator, order_by, distinct) -%}
    string_agg({{ 'distinct ' if distinct }}{{ expression }}, {{ separator }})
    within group (order by {{ order_by }})
{%- endmacro %}

{#-
    `expression` from the row that sorts first by `sort_keys` (a list of ascending expressions,
    none null; negate a number to sort it descending). The keys must single out one row.
-#}
{% macro first_by(expression, sort_keys) -%}
    {{ return(adapter.dispatch('first_by', 'cchc')(expression, sort_keys)) }}
{%- endmacro %}

{% macro default__first_by(expression, sort_keys) -%}
    first({{ expression }} order by {{ sort_keys | join(', ') }})
{%- endmacro %}

{% macro spark__first_by(expression, sort_keys) -%}
    min_by({{ expression }}, struct({{ sort_keys | join(', ') }}))
{%- endmacro %}

{#- count(distinct `expression`) over (partition by `partition_by`): Spark has no distinct
    window aggregate, so it counts the window's set of values. -#}
{% macro count_distinct_over(expression, partition_by) -%}
    {{ return(adapter.dispatch('count_distinct_over', 'cchc')(expression, partition_by)) }}
{%- endmacro %}

{% macro default__count_distinct_over(expression, partition_by) -%}
    count(distinct {{ expression }}) over (partition by {{ partition_by }})
{%- endmacro %}

{% macro spark__count_distinct_over(expression, partition_by) -%}
    cast(size(collect_set({{ expression }}) over (partition by {{ partition_by }})) as bigint)
{%- endmacro %}
