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
