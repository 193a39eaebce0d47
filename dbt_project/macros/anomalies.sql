{#- An anomaly flag's severity from its score: high at `high` and above, medium at `medium`. -#}
{% macro severity_by_score(high, medium) -%}
    case when score >= {{ high }} then 'high' when score >= {{ medium }} then 'medium' else 'low' end
{%- endmacro %}

{#- A list of strings as SQL literals, one per line: 'a',\n 'b' (for `in (...)`). -#}
{% macro quoted_list(values) -%}
    {%- for value in values %}
            '{{ value }}'{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}
