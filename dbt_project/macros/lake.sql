{#-
    A raw source must read with exactly the columns and types its data contract gives
    (models/staging/_sources.yml is generated from the contracts by pipelines/lib/dbt_sources.py):
    a lake part written under another contract, a column missing, extra or retyped, fails the
    build here instead of turning into silent nulls downstream. One row per column that differs.
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
                ('{{ column.name }}', upper('{{ column.data_type }}')){{ "," if not loop.last }}
            {%- endfor %}
        ) as expected (column_name, data_type)

    ),

    actual as (

        select
            column_name,
            column_type as data_type
        from (describe select * from {{ model }})

    )

    select
        coalesce(expected.column_name, actual.column_name) as column_name,
        expected.data_type as contract_type,
        actual.data_type as lake_type
    from expected
    full outer join actual on expected.column_name = actual.column_name
    where expected.data_type is distinct from actual.data_type
{% endtest %}
