{#-
    A stable code for an agency named in a report: era / province / name folded to ASCII.
    The era is part of it because province codes were reused after the July 2025 merger.
-#}
{% macro agency_code(province_code, period_start, agency_name) -%}
    {{ agency_code_in_era(era_of(period_start), province_code, agency_name) }}
{%- endmacro %}

{#-
    The same code from an era already computed ('legacy' / 'current'). A model with many rows per
    agency builds it once per distinct (era, province, name) and joins (see stg_dossiers).
-#}
{% macro agency_code_in_era(era, province_code, agency_name) -%}
    {%- set without_d -%}
        replace(replace({{ agency_name }}, 'đ', 'd'), 'Đ', 'D')
    {%- endset -%}
    {%- set folded -%}
        lower({{ without_accents(without_d) }})
    {%- endset -%}
    (
        {{ era }}
        || '/' || {{ province_code }} || '/'
        || trim(both '-' from {{ regexp_replace_all(folded, "'[^a-z0-9]+'", "'-'") }})
    )
{%- endmacro %}
