{#-
    Two CTEs, `<name>_repeated_keys` and `<name>`: the rows of `relation` that are the latest
    version of their key, the row ranked first by `order_by` among the rows sharing
    `key_columns`. The same rows as
        select * from relation
        qualify row_number() over (partition by key_columns order by order_by) = 1
    but only the rows whose key repeats go through the window; the others pass by an anti join.
    A window carries every column of its rows through a sort: over the 10 M dossier rows of the
    reference scale it was 11 s of stg_dossiers' 17 s of query (measured alone, same rows out),
    while 29,168 keys had more than one version. `relation` is read three times (counting the
    keys, then each branch): an inlined CTE (macros/cross_engine/ctes.sql) or a table. `<name>`
    is inlined too: held whole, its readers' several reads cost a copy of every row it keeps.
    The key columns must not be null (the callers filter them or the contract requires them):
    a null never equals its repeat, so such rows would pass twice.
-#}
{% macro latest_version(name, relation, key_columns, order_by) -%}
{{ name }}_repeated_keys as (

    select {{ key_columns | join(', ') }}
    from {{ relation }}
    group by {{ key_columns | join(', ') }}
    having count(*) > 1

),

{{ name }} as {{ inlined() }} (

    select *
    from {{ relation }} as candidate
    where not exists (
        select 1
        from {{ name }}_repeated_keys as repeated
        where {{ _same_key('repeated', 'candidate', key_columns) }}
    )
    union all
    select *
    from (
        select *
        from {{ relation }} as candidate
        where exists (
            select 1
            from {{ name }}_repeated_keys as repeated
            where {{ _same_key('repeated', 'candidate', key_columns) }}
        )
    ) as versions
    qualify row_number() over (
        partition by {{ key_columns | join(', ') }}
        order by {{ order_by }}
    ) = 1

)
{%- endmacro %}

{% macro _same_key(left, right, key_columns) -%}
    {%- for column in key_columns -%}
        {{ left }}.{{ column }} = {{ right }}.{{ column }}{{ " and " if not loop.last }}
    {%- endfor -%}
{%- endmacro %}
