{#-
    Data tests of a province-incremental model (macros/incremental_scope.sql) limited to what its
    build rewrote, when the pipeline says that is safe: pipelines/defs/dbt.py sets
    meta.dbt_tests_scope.rebuilt_units_only for the length of one dbt build, only for an
    incremental build of an unchanged project whose previous build passed every test. (A table,
    not a dbt var: a var that changed between runs would make dbt parse the whole project again.)

    Safe then: such a build replaces whole (province, era) units and leaves every other unit's
    rows exactly as they were when the last build tested them and passed; every test of these
    models checks rows one unit at a time (not null, accepted values, relationships, keys that
    contain province_code and era). A model's first build, or a build that found no watermark
    (full_build in meta.dbt_watermarks), tests every row.

    dbt wraps the relation a generic test reads in get_where_subquery (its `where` config); this
    override of dbt's global macro adds the unit filter to it, for those models only.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}{%- do conditions.append(where) -%}{%- endif -%}
    {%- set rebuilt = rebuilt_units_filter(relation) -%}
    {%- if rebuilt -%}{%- do conditions.append(rebuilt) -%}{%- endif -%}
    {%- if conditions -%}
        {%- do return("(select * from " ~ relation ~ " where " ~ conditions | join(" and ") ~ ") dbt_subquery") -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The model node behind a relation, when it is a model of this project -#}
{% macro model_node_of(relation) -%}
    {%- for node in graph.nodes.values() -%}
        {%- if node.resource_type == 'model' and node.alias == relation.identifier
            and node.schema == relation.schema -%}
            {%- do return(node) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- do return(none) -%}
{%- endmacro %}

{#-
    '' (every row) unless the relation is a province-incremental model; then the rows of the
    (province, era) units its last build rebuilt, or every row after its full build or when the
    pipeline did not ask for the limit.
-#}
{% macro rebuilt_units_filter(relation) -%}
    {%- if target.type != 'duckdb' or not execute -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set node = model_node_of(relation) -%}
    {%- if node is none or node.config.get('incremental_strategy') != 'replace_provinces' -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set filter -%}
    (
        -- a row of no unit is every build's to test (not_null on the unit's columns)
        province_code is null
        or era is null
        or (province_code || '|' || era) in (
            select rebuilt.province_code || '|' || rebuilt.era
            from {{ rebuilt_table() }} as rebuilt
            where rebuilt.model_name = '{{ node.alias }}'
        )
        or coalesce((
            select watermark.full_build
            from {{ watermark_table() }} as watermark
            where watermark.model_name = '{{ node.alias }}'
            order by watermark.built_at desc, watermark.load_seq desc
            limit 1
        ), true)
        or not coalesce((select scope.rebuilt_units_only from {{ tests_scope_table() }} as scope), false)
    )
    {%- endset -%}
    {%- do return(filter) -%}
{%- endmacro %}

{% macro tests_scope_table() -%}
    meta.dbt_tests_scope
{%- endmacro %}
