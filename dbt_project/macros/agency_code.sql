{#-
    A stable code for an agency named in a report: era / province / name folded to ASCII.
    The era is part of it because province codes were reused after the July 2025 merger.
-#}
{% macro agency_code(province_code, period_start, agency_name) -%}
    (
        case when {{ period_start }} >= date '2025-07-01' then 'current' else 'legacy' end
        || '/' || {{ province_code }} || '/'
        || trim(
            regexp_replace(
                lower(strip_accents(replace(replace({{ agency_name }}, 'đ', 'd'), 'Đ', 'D'))),
                '[^a-z0-9]+', '-', 'g'
            ),
            '-'
        )
    )
{%- endmacro %}
