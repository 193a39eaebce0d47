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
    {%- set batch = staging_batch_filter(relation) -%}
    {%- if batch -%}{%- do conditions.append(batch) -%}{%- endif -%}
    {%- if conditions -%}
        {%- do return("(select * from " ~ relation ~ " as tested where " ~ conditions | join(" and ") ~ ") dbt_subquery") -%}
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
    The node behind a relation whose tests a build may limit: a model of this project built on
    DuckDB with the given incremental strategy; else none (its tests read every row).
-#}
{% macro limited_model_node(relation, strategy) -%}
    {%- if target.type != 'duckdb' or not execute -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- set node = model_node_of(relation) -%}
    {%- if node is none or node.config.get('incremental_strategy') != strategy -%}
        {%- do return(none) -%}
    {%- endif -%}
    {%- do return(node) -%}
{%- endmacro %}

{#-
    Whether the pipeline asked this build to limit the tests: read when the test compiles (dbt
    compiles a node as it runs it, after on-run-start created the table), so a build that tests
    every row gets a test without the filter. Written into the test's SQL as
    `not limited or exists (...)`, DuckDB evaluated the `exists` over every row whatever the
    flag: a full build's accepted_values test of stg_payments took 4.4 s instead of 0.01 s.
-#}
{% macro tests_limited() -%}
    {%- if not execute -%}
        {%- do return(false) -%}
    {%- endif -%}
    {#- absent where no build ran its on-run-start hook yet (`dbt compile`, `dbt docs`) -#}
    {%- set exists = run_query(
        "select count(*) from information_schema.tables"
        ~ " where table_schema = 'meta' and table_name = 'dbt_tests_scope'"
    ) -%}
    {%- if exists.columns[0].values()[0] == 0 -%}
        {%- do return(false) -%}
    {%- endif -%}
    {%- set scope = run_query(
        "select coalesce(bool_or(rebuilt_units_only), false) from " ~ tests_scope_table()
    ) -%}
    {%- do return(scope.columns[0].values()[0]) -%}
{%- endmacro %}

{#-
    '' (every row) unless the relation is a province-incremental model; then the rows of the
    (province, era) units its last build rebuilt, or every row after its full build or when the
    pipeline did not ask for the limit.
-#}
{% macro rebuilt_units_filter(relation) -%}
    {%- set node = limited_model_node(relation, 'replace_provinces') -%}
    {%- if node is none or not tests_limited() -%}
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
    )
    {%- endset -%}
    {%- do return(filter) -%}
{%- endmacro %}

{% macro tests_scope_table() -%}
    meta.dbt_tests_scope
{%- endmacro %}

{#-
    The same for the incremental staging models (stg_dossiers, stg_payments, stg_portal_report:
    delete+insert on their key). A build deletes the held versions of the keys it writes and
    inserts the new ones; every other row is as the last build, which passed, left it. Every test of these
    models checks one row, or the rows of one key (unique), so on a limited build a key test
    reads the rows whose key is among the keys this build wrote: its batch (staging_batch_rows),
    told by what the model held before the build (record_batch_marks, a pre-hook). Keys compare
    with `is not distinct from`, so a batch row with an empty key column is still tested. A test
    of one row at a time reads the batch rows themselves, a filter on the row's own columns
    (DuckDB skips the row groups below the mark) rather than a join of the whole model with the
    batch by key (≈ 0.3–0.7 s a test at 10 M rows).
-#}
{% macro staging_batch_filter(relation) -%}
    {%- set node = limited_model_node(relation, 'delete+insert') -%}
    {%- if node is none or not tests_limited() -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- set test_name = (model.get('test_metadata') or {}).get('name') -%}
    {%- set key_test = test_name in ['unique', 'unique_combination_of_columns'] -%}
    {#- a test of one row at a time: the rows the build wrote, told by their own columns -#}
    {%- set rows = staging_batch_rows(node.alias, relation, 'batch' if key_test else 'tested') -%}
    {%- if not rows -%}
        {%- do return('') -%}
    {%- endif -%}
    {%- if not key_test -%}
        {%- do return('(' ~ rows ~ ')') -%}
    {%- endif -%}
    {%- set filter -%}
    exists (
        select 1
        from {{ relation }} as batch
        where
            ({{ rows }})
            {%- for key in node.config.get('unique_key') %}
            and batch.{{ key }} is not distinct from tested.{{ key }}
            {%- endfor %}
    )
    {%- endset -%}
    {%- do return(filter) -%}
{%- endmacro %}

{#-
    The rows a build of an incremental staging model wrote (a condition on `batch`), as the
    model defines what it reads: stg_dossiers and stg_portal_report the raw rows loaded since
    their last build (loaded_after_this); stg_payments those too, and the payments it restates,
    whose dossier has a version newer than any it joined before (dossier_load_seq): a superset,
    every payment of such a dossier id.
-#}
{% macro staging_batch_rows(model_name, relation, alias) -%}
    {%- if model_name in ['stg_dossiers', 'stg_portal_report'] -%}
        {{ alias }}.load_seq > {{ batch_mark(model_name, 'load_seq') }}
    {%- elif model_name == 'stg_payments' -%}
        {%- set dossiers = relation.incorporate(path={'identifier': 'stg_dossiers'}) -%}
        {{ alias }}.load_seq > {{ batch_mark('stg_payments', 'load_seq') }}
        or {{ alias }}.dossier_id in (
            select dossiers.dossier_id
            from {{ dossiers }} as dossiers
            where dossiers.load_seq > {{ batch_mark('stg_payments', 'dossier_load_seq') }}
        )
    {%- endif -%}
{%- endmacro %}

{% macro batch_marks_table() -%}
    meta.dbt_batch_marks
{%- endmacro %}

{#- what the model held before this build (0 before a full build: every row is its batch) -#}
{% macro batch_mark(model_name, column) -%}
    coalesce((
        select marks.mark
        from {{ batch_marks_table() }} as marks
        where marks.model_name = '{{ model_name }}' and marks.column_name = '{{ column }}'
    ), 0)
{%- endmacro %}

{#-
    pre-hook of an incremental staging model, in its build's transaction: the highest value of
    each column the model's batch is told by, before the build writes (0 on a full build).
-#}
{% macro record_batch_marks(columns) -%}
    {%- if target.type == 'duckdb' -%}
    delete from {{ batch_marks_table() }} where model_name = '{{ this.identifier }}';
    {%- for column in columns %}
    insert into {{ batch_marks_table() }} (model_name, column_name, mark)
    {%- if is_incremental() %}
    select '{{ this.identifier }}', '{{ column }}', coalesce(max({{ column }}), 0) from {{ this }};
    {%- else %}
    values ('{{ this.identifier }}', '{{ column }}', 0);
    {%- endif %}
    {%- endfor %}
    {%- endif -%}
{%- endmacro %}
