{#-
    Models that rebuild only the provinces a run touched (docs/dbt.md, "Incremental marts").

    A model configured with incremental_strategy='replace_provinces' and
    unique_key=['province_code', 'era'] recomputes, on an incremental run, every row of each
    (province, era) whose input rows changed since its own last build, over all of its months, and
    replaces that unit's rows whole. All months of a touched province rebuild, not only the months
    of the new rows: a late correction then restates every later month (carried over, in progress)
    and a corrected dossier that moved to another month leaves nothing stale behind.

    Touched = the (province, era) of every staging row with a load_seq above the model's watermark
    (audit.load_seq is one sequence over every file load, so these are exactly the rows loaded since
    the model's last build), plus the successor of each touched legacy province, which holds the
    legacy dossiers still open on 1 July 2025 (macros/restructuring.sql). The watermark is the
    highest load_seq among the model's inputs when it last built, kept in meta.dbt_watermarks by a
    post-hook in the same transaction as the build; a model without one (never built, or a
    failed build) treats every province as touched.
-#}

{#-
    The config of a model rebuilt by province, with the staging models whose new rows touch a
    province (also what its post-hook records the watermark of). nation=true for a model that
    also has the nation's rows (province_code 'VN', era 'all'), which every touched province
    changes: they are one more unit, rebuilt whenever any province is.
-#}
{#-
    On Spark (plain Parquet: no delete, no merge) the same unit is a table partition: the table
    is partitioned by (era, province_code) and an incremental run overwrites exactly the
    partitions its rows carry (insert_overwrite, dynamic partition overwrite): the same
    replacement as replace_provinces, since the model emits every row of each unit it touches.
-#}
{% macro incremental_by_province(inputs, nation=false) -%}
    {%- if target.type == 'spark' %}
    {{ config(
        materialized='incremental',
        incremental_strategy='insert_overwrite',
        file_format='parquet',
        partition_by=['era', 'province_code'],
        post_hook="{{ record_watermark(" ~ (inputs | tojson) ~ ", " ~ (nation | tojson) ~ ") }}",
    ) }}
    {%- else %}
    {{ config(
        materialized='incremental',
        incremental_strategy='replace_provinces',
        unique_key=['province_code', 'era'],
        post_hook="{{ record_watermark(" ~ (inputs | tojson) ~ ", " ~ (nation | tojson) ~ ") }}",
    ) }}
    {%- endif %}
{%- endmacro %}

{#- the staging models behind the monthly counts (int_activity_month, int_kpi_counts) -#}
{% macro count_inputs() -%}
    {{ return([
        'stg_dossiers', 'stg_payments', 'stg_satisfaction', 'stg_satisfaction_responses',
        'stg_procedures', 'stg_portal_report',
    ]) }}
{%- endmacro %}

{% macro watermark_table() -%}
    meta.dbt_watermarks
{%- endmacro %}

{% macro rebuilt_table() -%}
    meta.dbt_rebuilt_provinces
{%- endmacro %}

{#-
    on-run-start: the tables exist before any model reads them. On Spark they are Parquet
    tables, and the rebuilt list is partitioned by model (plain Parquet has no delete: a model's
    list is replaced by dropping its partition).
-#}
{% macro create_watermark_table() -%}
    {%- set spark = target.type == 'spark' -%}
    {%- set statements -%}
    create schema if not exists meta;
    create table if not exists {{ watermark_table() }} (
        model_name {{ dbt.type_string() }},
        load_seq {{ dbt.type_bigint() }},
        full_build boolean,
        built_at {{ dbt.type_timestamp() }}
    ){{ " using parquet" if spark }};
    create table if not exists {{ rebuilt_table() }} (
        {%- if spark %}
        province_code {{ dbt.type_string() }},
        era {{ dbt.type_string() }},
        model_name {{ dbt.type_string() }}
    ) using parquet partitioned by (model_name)
        {%- else %}
        model_name {{ dbt.type_string() }},
        province_code {{ dbt.type_string() }},
        era {{ dbt.type_string() }}
    );
    {#- macros/tests_scope.sql: written by the pipeline around its builds -#}
    create table if not exists {{ tests_scope_table() }} (rebuilt_units_only boolean);
    {#- macros/tests_scope.sql: what the incremental staging models held before a build -#}
    create table if not exists {{ batch_marks_table() }} (
        model_name {{ dbt.type_string() }},
        column_name {{ dbt.type_string() }},
        mark {{ dbt.type_bigint() }}
    )
        {%- endif %}
    {%- endset -%}
    {{ run_statements(statements) }}
{%- endmacro %}

{#- the highest load_seq the model has already read (0 when it has no watermark yet) -#}
{% macro model_watermark() -%}
    (
        select coalesce(max(load_seq), 0)
        from {{ watermark_table() }}
        where model_name = '{{ this.identifier }}'
    )
{%- endmacro %}

{#-
    The (province_code, era) an incremental run rebuilds, from the model's inputs (names of
    models with province_code, era, load_seq): a select statement.
-#}
{% macro touched_provinces_sql(relations, crosswalk, nation=false) -%}
    with touched_inputs as (
        {%- for input in relations %}
        select distinct
            province_code,
            era
        from {{ input }}
        where load_seq > {{ model_watermark() }}
        {{- "\n        union" if not loop.last }}
        {%- endfor %}
    )

    select
        province_code,
        era
    from touched_inputs
    union
    select
        crosswalk.current_code as province_code,
        'current' as era
    from touched_inputs
    inner join {{ crosswalk }} as crosswalk
        on touched_inputs.province_code = crosswalk.legacy_code
    where touched_inputs.era = 'legacy'
    {%- if nation %}
    union
    -- one row when any province was touched, none otherwise
    select distinct
        'VN' as province_code,
        'all' as era
    from touched_inputs
    {%- endif %}
{%- endmacro %}

{#-
    The (province_code, era) pairs an incremental run rebuilds, derived once per model build (one
    query when dbt compiles the model, i.e. after its inputs were built in this run) and written
    into the model's SQL as constants: the filters below then need no subquery per reference (an
    `exists` against a CTE defeated DuckDB's filter pushdown into the 10 M-row staging scan, and
    Spark re-evaluates a CTE at each reference). None on a full build (every province), else a
    mapping era -> [province_code, ...], empty when nothing changed since the model's last build.
-#}
{% macro touched_provinces(inputs) -%}
    {#- ref() outside the branch, so the dependencies are known when dbt parses the model -#}
    {%- set relations = [] -%}
    {%- for name in inputs -%}{%- do relations.append(ref(name)) -%}{%- endfor -%}
    {%- set crosswalk = ref('ref_province_crosswalk') -%}
    {%- if not (is_incremental() and execute) -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set found = run_query(
        touched_provinces_sql(relations, crosswalk) ~ "\n    order by province_code, era"
    ) -%}
    {%- set touched = {} -%}
    {%- for row in found.rows -%}
        {%- do touched.setdefault(row[1], []).append(row[0]) -%}
    {%- endfor -%}
    {{ return(touched) }}
{%- endmacro %}

{#- a list of SQL string literals -#}
{% macro sql_string_list(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{{ ", " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#-
    Whether a (province, era) is to be rebuilt: always on a full build, never when nothing was
    touched, else constant lists per era (`province in (...)`, which both engines push down to the
    scan).
-#}
{% macro in_touched_provinces(touched, province_column, era_column) -%}
    {%- if touched is none -%}
        true
    {%- elif touched | length == 0 -%}
        false
    {%- else -%}
        (
        {%- for era, codes in touched | dictsort %}
            ({{ era_column }} = '{{ era }}' and {{ province_column }} in ({{ sql_string_list(codes) }}))
            {{- " or" if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}

{#-
    For a model whose current-basis rows put each legacy province under its successor: also the
    rows of a legacy province whose successor is to be rebuilt (always true on a full build).
-#}
{% macro in_touched_provinces_or_successor(touched, province_column, era_column) -%}
    {%- if touched is none or touched | length == 0 -%}
        {{ in_touched_provinces(touched, province_column, era_column) }}
    {%- else -%}
        {%- set successors = touched.get('current', []) -%}
        (
            {{ in_touched_provinces(touched, province_column, era_column) }}
            {%- if successors %}
            or (
                {{ era_column }} = 'legacy'
                and {{ province_column }} in (
                    select crosswalk.legacy_code
                    from {{ ref('ref_province_crosswalk') }} as crosswalk
                    where crosswalk.current_code in ({{ sql_string_list(successors) }})
                )
            )
            {%- endif %}
        )
    {%- endif -%}
{%- endmacro %}

{#-
    post-hook, in the build's transaction: what this build rebuilt (meta.dbt_rebuilt_provinces:
    the touched provinces of an incremental build; none after a full one, which full_build
    marks), then a new watermark row: the highest load_seq of the inputs it read.
    Watermarks only grow (load_seq does), so rows are appended and the highest one counts.
    (A hook is rendered after the build, when the relation exists: the first build of a model
    is told apart by having no watermark yet.)
-#}
{% macro record_watermark(inputs, nation=false) -%}
    {%- set relations = [] -%}
    {%- for name in inputs -%}{%- do relations.append(ref(name)) -%}{%- endfor -%}
    {%- set statements -%}
    {%- if target.type == 'spark' %}
    alter table {{ rebuilt_table() }} drop if exists partition (model_name = '{{ this.identifier }}');
    {%- if is_incremental() %}
    insert into {{ rebuilt_table() }} partition (model_name = '{{ this.identifier }}')
    select
        province_code,
        era
    from ({{ touched_provinces_sql(relations, ref('ref_province_crosswalk'), nation) }}) as touched;
    {%- endif %}
    {%- else %}
    delete from {{ rebuilt_table() }} where model_name = '{{ this.identifier }}';
    {%- if is_incremental() %}
    insert into {{ rebuilt_table() }} (model_name, province_code, era)
    select
        '{{ this.identifier }}',
        province_code,
        era
    from ({{ touched_provinces_sql(relations, ref('ref_province_crosswalk'), nation) }}) as touched;
    {%- endif %}
    {%- endif %}
    insert into {{ watermark_table() }} (model_name, load_seq, full_build, built_at)
    select
        '{{ this.identifier }}',
        coalesce(max(load_seq), 0),
        {%- if is_incremental() %}
        {{ model_watermark() }} = 0,
        {%- else %}
        true,
        {%- endif %}
        current_timestamp
    from (
        {%- for input in relations %}
        select max(load_seq) as load_seq from {{ input }}
        {{- " union all" if not loop.last }}
        {%- endfor %}
    ) as input_sequences
    {%- endset -%}
    {{ run_statements(statements) }}
{%- endmacro %}

{#-
    Incremental strategy 'replace_provinces': delete every target row of a (province, era) the new
    rows carry, then insert the new rows. unique_key names the unit columns; they are not unique.
    (delete+insert with a list key deletes through a join of target and new rows, which pairs every
    row of a province with every new row of it.)
-#}
{% macro get_incremental_replace_provinces_sql(arg_dict) -%}
    {%- set target = arg_dict['target_relation'] -%}
    {%- set source = arg_dict['temp_relation'] -%}
    {%- set keys = arg_dict['unique_key'] -%}
    {%- set columns = get_quoted_csv(arg_dict['dest_columns'] | map(attribute='name')) -%}
    delete from {{ target }} as replaced_target
    where exists (
        select 1
        from (select distinct {{ keys | join(', ') }} from {{ source }}) as replaced
        where
            {%- for key in keys %}
            replaced.{{ key }} = replaced_target.{{ key }}{{ " and" if not loop.last }}
            {%- endfor %}
    );
    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
{%- endmacro %}
