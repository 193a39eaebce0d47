{#-
    A union of relations with different columns, matched by name (DuckDB's `union all by name`,
    which Spark lacks): every branch selects each of `columns` in that order, null where the
    relation has no such column. `branches`: a list of (relation, the columns it has) pairs.
-#}
{% macro union_all_by_name(columns, branches) -%}
    {%- for relation, present in branches -%}
    select
        {%- for column in columns %}
        {{ column if column in present else 'null as ' ~ column }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {% endif -%}
    {%- endfor %}
{%- endmacro %}
