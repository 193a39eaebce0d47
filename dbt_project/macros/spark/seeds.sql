{#-
    Seeds on Spark (dbt-spark's session method). dbt-spark binds each cell as a Python value
    substituted into the SQL text: an apostrophe breaks the insert and an empty cell becomes the
    string 'None'. Here every cell is written as a literal: NULL for an empty cell, otherwise a
    Spark string literal (backslash escapes: Spark reads '' inside a literal as the end of one
    literal and the start of the next) cast to the column's type.
    Column types: the seed's column_types (dbt_project.yml, written once in DuckDB's names) are
    mapped to Spark's by spark_type() (types.sql); the other columns take the type dbt-spark infers.
-#}

{#- The Spark type of a seed column: its configured type (mapped), else the inferred one. -#}
{% macro spark_seed_column_type(model, agate_table, column_index) -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set column_name = agate_table.column_names[column_index] -%}
    {%- if column_name in column_override -%}
        {{- spark_type(column_override[column_name]) -}}
    {%- else -%}
        {{- adapter.convert_type(agate_table, column_index) -}}
    {%- endif -%}
{%- endmacro %}

{#- A cell as a Spark SQL literal of the column's type: NULL when empty. -#}
{% macro spark_seed_literal(value, column_type) -%}
    {%- if value is none or (value is string and value == '') -%}
        cast(null as {{ column_type }})
    {%- elif value is sameas true or value is sameas false -%}
        cast({{ 'true' if value else 'false' }} as {{ column_type }})
    {%- else -%}
        {%- set text = value | string -%}
        cast('{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}' as {{ column_type }})
    {%- endif -%}
{%- endmacro %}

{% macro spark__create_csv_table(model, agate_table) %}
    {%- set quote_seed_column = model['config'].get('quote_columns', None) -%}
    {% set sql %}
        create table {{ this.render() }} (
            {%- for col_name in agate_table.column_names %}
            {{ adapter.quote_seed_column(col_name | string, quote_seed_column) }}
            {{ spark_seed_column_type(model, agate_table, loop.index0) }}
            {{- "," if not loop.last }}
            {%- endfor %}
        )
        {{ file_format_clause() }}
        {{ partition_cols(label="partitioned by") }}
        {{ clustered_cols(label="clustered by") }}
        {{ location_clause() }}
        {{ comment_clause() }}
    {% endset %}
    {% call statement('_') -%}
        {{ sql }}
    {%- endcall %}
    {{ return(sql) }}
{% endmacro %}

{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_types = [] -%}
    {%- for col_name in agate_table.column_names -%}
        {%- do column_types.append(spark_seed_column_type(model, agate_table, loop.index0)) -%}
    {%- endfor -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {% set sql %}
            insert into {{ this.render() }} values
            {%- for row in chunk %}
            (
                {%- for value in row -%}
                    {{ spark_seed_literal(value, column_types[loop.index0]) }}
                    {{- ", " if not loop.last }}
                {%- endfor -%}
            ){{ "," if not loop.last }}
            {%- endfor %}
        {% endset %}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.first %}{% do statements.append(sql) %}{% endif -%}
    {%- endfor -%}
    {{ return(statements[0] if statements else '') }}
{% endmacro %}
