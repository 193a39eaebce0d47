{#-
    `name as {{ inlined() }} (...)`: a CTE each reader computes again instead of one held whole.
    DuckDB materializes a CTE (every row and column of it, until the query ends); for the
    dossier-grain CTEs of stg_dossiers and int_flow_from_dossiers that meant gigabytes spilled to
    disk at 10 M dossiers and most of their time (measured at 10 M rows, each model alone:
    stg_dossiers 45.2 -> 26.9 s and 5.2 -> 1.7 GiB spilled, int_flow_from_dossiers 15.3 -> 3.5 s
    and 2.9 -> 0 GiB; the same rows). Reading such a CTE again costs less: its readers take a
    few columns of it, or it is one scan. Spark always inlines a CTE and has no such keyword.
-#}
{% macro inlined() -%}
    {{ return(adapter.dispatch('inlined', 'cchc')()) }}
{%- endmacro %}

{% macro default__inlined() -%}
    not materialized
{%- endmacro %}

{% macro spark__inlined() -%}
{%- endmacro %}
