{#- Plan targets: one definition of what meeting a target means, for fct_target_attainment's
    verdict and fct_target_forecast's interval test. -#}

{#- True when `value` satisfies a plan target's comparator (>=, >, <=, <, =) against `target`. -#}
{% macro satisfies(comparator, value, target) -%}
    case {{ comparator }}
        when '>=' then {{ value }} >= {{ target }}
        when '>' then {{ value }} > {{ target }}
        when '<=' then {{ value }} <= {{ target }}
        when '<' then {{ value }} < {{ target }}
        when '=' then {{ value }} = {{ target }}
    end
{%- endmacro %}
