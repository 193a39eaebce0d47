{#-
    The count columns every KPI is computed from, and how each adds up over time:
    - flow: events in the period (received, resolved, paid, answered) add across sub-periods;
    - stock_start: a state at the period's start (carried over) is the FIRST sub-period's;
    - stock_end: a state at the period's end (in progress, the procedure catalog) is the LAST's.
    Across units (agencies -> level -> province -> nation) every column adds.
-#}
{% macro flow_columns() %}
    {{ return({
        'carried_over': 'stock_start',
        'received_online': 'flow',
        'received_direct_postal': 'flow',
        'resolved_early': 'flow',
        'resolved_on_time': 'flow',
        'resolved_late': 'flow',
        'in_progress_within_due': 'stock_end',
        'in_progress_overdue': 'stock_end',
        'returned_withdrawn': 'flow',
        'flow_rows': 'flow',
        'flow_report_rows': 'flow',
        'flow_dossier_rows': 'flow',
    }) }}
{% endmacro %}

{#- The report's buckets (the national form's columns): the flow columns but the row counters. -#}
{% macro report_buckets() %}
    {{ return(flow_columns().keys()
        | reject('in', ['flow_rows', 'flow_report_rows', 'flow_dossier_rows']) | list) }}
{% endmacro %}

{#- What identifies a row of counts: the period and the unit (agency, level, field). -#}
{% macro unit_period_keys() %}
    {{ return([
        'period_grain', 'period_start', 'period_end', 'province_code', 'era', 'agency_code',
        'agency_name', 'level', 'procedure_field',
    ]) }}
{% endmacro %}

{% macro activity_columns() %}
    {{ return({
        'dossier_events': 'flow',
        'dossiers_received': 'flow',
        'dossiers_received_online': 'flow',
        'dossiers_received_full_online': 'flow',
        'dossiers_received_partial_online': 'flow',
        'dossiers_received_direct': 'flow',
        'dossiers_received_postal': 'flow',
        'dossiers_digitized': 'flow',
        'dossiers_and_results_digitized': 'flow',
        'dossiers_reusing_data': 'flow',
        'dossiers_resolved': 'flow',
        'results_digitized': 'flow',
        'e_results_issued': 'flow',
        'fee_dossiers': 'flow',
        'fee_dossiers_paid_online': 'flow',
        'payment_transactions': 'flow',
        'payment_transactions_online': 'flow',
        'payments_successful': 'flow',
        'payments_successful_online': 'flow',
        'payments_failed': 'flow',
        'payments_refunded': 'flow',
        'payment_amount_vnd': 'flow',
        'payment_amount_online_vnd': 'flow',
        'payment_rate_events': 'flow',
        'payment_rate_numerator': 'flow',
        'payment_rate_denominator': 'flow',
        'payment_rate_transaction_rows': 'flow',
        'payment_rate_dossier_rows': 'flow',
        'satisfaction_rows': 'flow',
        'responses': 'flow',
        'satisfied_responses': 'flow',
        'responses_land_construction_investment': 'flow',
        'satisfied_land_construction_investment': 'flow',
        'catalog_procedures': 'stock_end',
        'catalog_procedures_online': 'stock_end',
        'catalog_procedures_full_online': 'stock_end',
        'catalog_procedures_fee': 'stock_end',
        'catalog_procedures_fee_online_payment': 'stock_end',
        'catalog_procedures_integrated': 'stock_end',
    }) }}
{% endmacro %}

{% macro all_count_columns() %}
    {{ return(dict(flow_columns(), **activity_columns())) }}
{% endmacro %}

{#-
    Aggregates of `columns` over sub-period rows, with the stock rule. The rows must carry
    `is_first` / `is_last` (true on rows of the first / last sub-period of their group).
-#}
{% macro compose_counts(columns) -%}
    {%- for name, kind in columns.items() %}
    {%- if kind == 'flow' %}
    sum({{ name }}) as {{ name }}
    {%- elif kind == 'stock_start' %}
    sum(case when is_first then {{ name }} else 0 end) as {{ name }}
    {%- else %}
    sum(case when is_last then {{ name }} else 0 end) as {{ name }}
    {%- endif %}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro sum_counts(columns) -%}
    {%- for name in columns %}
    sum({{ name }}) as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{% macro zero_counts(columns) -%}
    {%- for name in columns %}
    0::bigint as {{ name }}{{ "," if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- An agency's level from its name where no source states it (satisfaction rows). -#}
{% macro level_from_name(agency_name) -%}
    {%- set name = 'lower(' ~ agency_name ~ ')' -%}
    {%- set council = '^(ubnd|ủy ban nhân dân|uỷ ban nhân dân) ' -%}
    (
        case
            when {{ regexp_contains(name, "'" ~ council ~ "(xã|phường|thị trấn|đặc khu)'") }}
                then 'commune'
            when {{ regexp_contains(name, "'" ~ council ~ "(huyện|quận|thị xã|thành phố)'") }}
                then 'district'
            else 'province'
        end
    )
{%- endmacro %}
