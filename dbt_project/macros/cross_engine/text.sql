{#-
    Text functions whose DuckDB and Spark spellings differ (models call these, never the engine's
    own name). Spark SQL reads a backslash in a string literal as an escape ('\s' is 's'): the
    patterns here use character classes instead.
-#}

{#- `text` without diacritics (Vietnamese: 'Sở Tư pháp' -> 'So Tu phap'); đ/Đ are letters, not
    accented, so callers replace them first. -#}
{% macro without_accents(text) -%}
    {{ return(adapter.dispatch('without_accents', 'cchc')(text)) }}
{%- endmacro %}

{% macro default__without_accents(text) -%}
    strip_accents({{ text }})
{%- endmacro %}

{#- Spark has no Unicode normalization in SQL: every precomposed Vietnamese vowel is mapped to its
    base letter, and combining marks (text stored decomposed) are dropped. -#}
{% macro spark__without_accents(text) -%}
    {%- set vowels = {
        'a': 'àáạảãâầấậẩẫăằắặẳẵ',
        'e': 'èéẹẻẽêềếệểễ',
        'i': 'ìíịỉĩ',
        'o': 'òóọỏõôồốộổỗơờớợởỡ',
        'u': 'ùúụủũưừứựửữ',
        'y': 'ỳýỵỷỹ',
    } -%}
    {%- set accented = [] -%}
    {%- set plain = [] -%}
    {%- for base, variants in vowels.items() -%}
        {%- do accented.append(variants ~ variants | upper) -%}
        {%- do plain.append(base * (variants | length) ~ (base | upper) * (variants | length)) -%}
    {%- endfor -%}
    regexp_replace(
        translate({{ text }}, '{{ accented | join }}', '{{ plain | join }}'),
        '\\p{M}', ''
    )
{%- endmacro %}

{#- true when `pattern` (a regular expression) matches somewhere in `text` -#}
{% macro regexp_contains(text, pattern) -%}
    {{ return(adapter.dispatch('regexp_contains', 'cchc')(text, pattern)) }}
{%- endmacro %}

{% macro default__regexp_contains(text, pattern) -%}
    regexp_matches({{ text }}, {{ pattern }})
{%- endmacro %}

{% macro spark__regexp_contains(text, pattern) -%}
    ({{ text }} rlike {{ pattern }})
{%- endmacro %}

{#- every match of `pattern` in `text` replaced (DuckDB replaces the first one unless told 'g';
    Spark replaces all, and reads a fourth argument as a position) -#}
{% macro regexp_replace_all(text, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all', 'cchc')(text, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
{%- endmacro %}

{% macro spark__regexp_replace_all(text, pattern, replacement) -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
{%- endmacro %}
