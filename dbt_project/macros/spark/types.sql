{#-
    The project writes types once, in DuckDB's names (data contracts, seeds' column_types in
    dbt_project.yml); on Spark they are read through this mapping. Spark's `timestamp` is
    timestamp_ntz here (spark.sql.timestampType in the profile), as DuckDB's TIMESTAMP, and
    that is how Spark reports a DuckDB TIMESTAMP column of the lake.
-#}

{#- A DuckDB type name as Spark spells it (varchar -> string, ...); others unchanged. -#}
{% macro spark_type(type_name) -%}
    {%- set spark_names = {
        'varchar': 'string',
        'text': 'string',
        'integer': 'int',
        'int4': 'int',
        'int8': 'bigint',
        'hugeint': 'decimal(38,0)',
        'real': 'float',
        'float8': 'double',
        'bool': 'boolean',
        'timestamp': 'timestamp_ntz',
        'datetime': 'timestamp_ntz',
    } -%}
    {{- spark_names.get(type_name | lower | trim, type_name) -}}
{%- endmacro %}
