{#-
    A raw source must read with exactly the columns and types its data contract gives
    (models/staging/_sources.yml is generated from the contracts by pipelines/lib/dbt_sources.py):
    a lake part written under another contract, a column missing, extra or retyped, fails the
    build here instead of turning into silent nulls downstream. One row per column that differs.
    Both engines: the contract's types (DuckDB's names) are compared as each engine names them
    (spark_type(), macros/spark/types.sql), with the columns the engine reads from the lake.
-#}
{% test matches_contract(model, table) %}
    {%- set wanted = [] %}
    {%- if execute %}
        {%- set wanted = graph.sources['source.cchc.raw.' ~ table].columns.values() | list %}
    {%- endif %}
    with

    expected as (

        select *
        from (
            values
            {%- for column in wanted %}
                ('{{ column.name }}', '{{ contract_type_on_target(column.data_type) }}')
                {{- "," if not loop.last }}
            {%- endfor %}
        ) as expected (column_name, data_type)

    ),

    actual as (

        {{ lake_columns_sql(model) }}

    )

    select
        coalesce(expected.column_name, actual.column_name) as column_name,
        expected.data_type as contract_type,
        actual.data_type as lake_type
    from expected
    full outer join actual on expected.column_name = actual.column_name
    where expected.data_type is distinct from actual.data_type
{% endtest %}

{#- A contract type (DuckDB's name) as the target names it. -#}
{% macro contract_type_on_target(data_type) -%}
    {{- return(adapter.dispatch('contract_type_on_target', 'cchc')(data_type)) -}}
{%- endmacro %}

{% macro default__contract_type_on_target(data_type) -%}
    {{- data_type | upper -}}
{%- endmacro %}

{% macro spark__contract_type_on_target(data_type) -%}
    {{- spark_type(data_type) -}}
{%- endmacro %}

{#- The columns a relation reads with, as a select of (column_name, data_type). -#}
{% macro lake_columns_sql(relation) -%}
    {{- return(adapter.dispatch('lake_columns_sql', 'cchc')(relation)) -}}
{%- endmacro %}

{% macro default__lake_columns_sql(relation) -%}
    select
        column_name,
        column_type as data_type
    from (describe select * from {{ relation }})
{%- endmacro %}

{#- Spark: the relation's columns from the catalog (the lake view, re-created this run). -#}
{% macro spark__lake_columns_sql(relation) -%}
    {%- set columns = adapter.get_columns_in_relation(relation) if execute else [] -%}
    select *
    from (
        values
        {%- for column in columns %}
            ('{{ column.name }}', '{{ column.dtype | lower }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as actual (column_name, data_type)
{%- endmacro %}
