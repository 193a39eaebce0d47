{#-
    A raw source read column by column, robust to a raw table (or a column) the ingestion has not
    created yet: a missing table reads as zero rows, a missing column as typed nulls. The source()
    call stays in the SQL at parse time, so dbt (and Dagster) still see the dependency. `where`
    filters the raw rows (an incremental model passes loaded_after_this()).
-#}
{% macro source_or_empty(source_name, table_name, columns, where=none) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set lineage = {
        'load_seq': 'bigint', 'load_id': 'varchar', 'source_file': 'varchar',
        'file_hash': 'varchar', 'source_row_number': 'bigint', 'loaded_at': 'timestamp',
    } -%}
    {%- set wanted = dict(columns, **lineage) -%}
    {%- set existing = none -%}
    {%- if execute -%}
        {%- set existing = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
    {%- endif -%}
    {%- if existing is not none -%}
        {%- set present = adapter.get_columns_in_relation(existing) | map(attribute='name') | map('lower') | list -%}
    select
        {%- for name, kind in wanted.items() %}
        {% if name in present %}try_cast({{ adapter.quote(name) }} as {{ kind }}){% else %}null::{{ kind }}{% endif %} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if where %}
    where {{ where }}
    {%- endif %}
    {%- else %}
    -- {{ relation }} does not exist yet: no rows
    select
        {%- for name, kind in wanted.items() %}
        null::{{ kind }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    where false
    {%- endif %}
{%- endmacro %}

{#-
    For an incremental staging model: the raw rows loaded after the newest version it holds.
    load_seq grows with every file load (audit.loads), so these are exactly the rows its last
    build has not seen (or saw and dropped as unusable, which it drops again).
-#}
{% macro loaded_after_this() -%}
    {%- if is_incremental() -%}
        load_seq > (select coalesce(max(load_seq), 0) from {{ this }})
    {%- endif -%}
{%- endmacro %}

{#- The administrative era of a date: the 63 legacy provinces before 1 July 2025, the 34 after. -#}
{% macro era_of(date_expression) -%}
    (case when {{ date_expression }} >= date '2025-07-01' then 'current' else 'legacy' end)
{%- endmacro %}
