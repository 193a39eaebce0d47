{#-
    The raw lake as Spark sources (on-run-start; docs/scale_out.md). DuckDB reads each source
    through dbt-duckdb's external_location (read_parquet over <lake>/<source>/*/*.parquet,
    hive-partitioned, union_by_name). On Spark each source of models/staging/_sources.yml is
    a view raw.<source> over the same folder: `parquet.`<folder>`` discovers the data_month=
    partitions at every query (no MSCK REPAIR after a load), merges the parts' schemas by name
    (spark.sql.parquet.mergeSchema in the profile) and skips the dot-named parts still being
    written, as DuckDB's *.parquet glob does. Re-created at every invocation: the lake folder is
    the one of this run's environment, as DuckDB's file_search_path is.
-#}

{#- The lake folder: $CCHC_LAKE_DIR, else <data>/lake (the pipeline sets both). -#}
{% macro lake_root() -%}
    {{- env_var('CCHC_LAKE_DIR', env_var('CCHC_DATA_DIR', '../data') ~ '/lake') | replace('\\', '/') -}}
{%- endmacro %}

{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources', 'cchc')()) }}
{%- endmacro %}

{#- DuckDB: nothing to do, the sources read the lake themselves. -#}
{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() if source.source_name == 'raw' -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- do run_query(
                'create or replace view ' ~ source.schema ~ '.' ~ source.identifier
                ~ ' as select * from parquet.`' ~ lake_root() ~ '/' ~ source.identifier ~ '`'
            ) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#-
    Several statements separated by ';' (an on-run-start or post-hook): DuckDB runs them as one
    string; Spark's session runs one statement at a time, so each is run here and nothing is
    left to the hook. (No statement of this project has a ';' inside a literal.)
-#}
{% macro run_statements(sql) -%}
    {%- if target.type == 'spark' -%}
        {%- if execute -%}
            {%- for statement in sql.split(';') if statement | trim -%}
                {%- do run_query(statement) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- else -%}
        {{ sql }}
    {%- endif -%}
{%- endmacro %}
