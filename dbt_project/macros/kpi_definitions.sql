{#-
    The one definition of every KPI (shared/domain/KPIS.md): a ratio of two counts over the
    columns of int_kpi_counts (macros/counts.sql lists them and how each adds up over time).
    fct_kpi computes them, dim_kpi documents them; nothing else restates a formula. Counts roll up
    (agency -> level -> province -> nation, month -> quarter -> year) before the ratio is taken,
    so percentages are never averaged.
    `present` is the count that says the KPI's source has data for a unit and period: without
    it the KPI has no row (no data); with it and a zero denominator, value_pct is null.
    `index_group` is the Decision 766 group the KPI feeds (seeds/ref_index_method.csv).
-#}
{% macro kpi_definitions() %}
    {{ return([
        {
            "code": "online_dossier_rate",
            "name_vi": "Tỷ lệ hồ sơ trực tuyến",
            "name_en": "Online dossier rate",
            "numerator": "received_online",
            "denominator": "received_online + received_direct_postal",
            "present": "flow_rows",
            "direction": "higher_is_better",
            "definition": "Dossiers newly received online (partial + full) / all dossiers newly received (online + direct + postal; carried-over excluded).",
            "source": "portal_report, dossiers",
            "index_group": "online_service",
        },
        {
            "code": "full_online_dossier_rate",
            "name_vi": "Tỷ lệ hồ sơ trực tuyến toàn trình",
            "name_en": "Full online dossier rate",
            "numerator": "dossiers_received_full_online",
            "denominator": "dossiers_received",
            "present": "dossier_events",
            "direction": "higher_is_better",
            "definition": "Dossiers newly received through a full online service / all dossiers newly received.",
            "source": "dossiers",
            "index_group": none,
        },
        {
            "code": "on_time_rate",
            "name_vi": "Tỷ lệ giải quyết đúng hạn",
            "name_en": "On-time resolution rate",
            "numerator": "resolved_early + resolved_on_time",
            "denominator": "resolved_early + resolved_on_time + resolved_late",
            "present": "flow_rows",
            "direction": "higher_is_better",
            "definition": "Resolved early + resolved on time / all resolved.",
            "source": "portal_report, dossiers",
            "index_group": none,
        },
        {
            "code": "progress_on_time_rate",
            "name_vi": "Tiến độ giải quyết (QĐ 766)",
            "name_en": "Resolution progress (Decision 766 basis)",
            "numerator": "resolved_early + resolved_on_time + in_progress_within_due",
            "denominator": "resolved_early + resolved_on_time + resolved_late + in_progress_within_due + in_progress_overdue",
            "present": "flow_rows",
            "direction": "higher_is_better",
            "definition": "Resolved early + on time + in progress within due / all resolved + all in progress.",
            "source": "portal_report, dossiers",
            "index_group": "progress",
        },
        {
            "code": "overdue_open_rate",
            "name_vi": "Tỷ lệ hồ sơ đang giải quyết quá hạn",
            "name_en": "Overdue open dossier rate",
            "numerator": "in_progress_overdue",
            "denominator": "in_progress_within_due + in_progress_overdue",
            "present": "flow_rows",
            "direction": "lower_is_better",
            "definition": "In progress and past due / all in progress at period end.",
            "source": "portal_report, dossiers",
            "index_group": none,
        },
        {
            "code": "digitization_rate",
            "name_vi": "Tỷ lệ số hóa hồ sơ, kết quả",
            "name_en": "Dossier and result digitization rate",
            "numerator": "dossiers_and_results_digitized",
            "denominator": "dossiers_received",
            "present": "dossier_events",
            "direction": "higher_is_better",
            "definition": "Dossiers whose input documents AND result were digitized / dossiers newly received.",
            "source": "dossiers",
            "index_group": "digitization",
        },
        {
            "code": "dossier_digitization_rate",
            "name_vi": "Tỷ lệ số hóa thành phần hồ sơ",
            "name_en": "Dossier digitization rate",
            "numerator": "dossiers_digitized",
            "denominator": "dossiers_received",
            "present": "dossier_events",
            "direction": "higher_is_better",
            "definition": "Dossiers whose input documents were digitized / dossiers newly received.",
            "source": "dossiers",
            "index_group": none,
        },
        {
            "code": "result_digitization_rate",
            "name_vi": "Tỷ lệ số hóa kết quả",
            "name_en": "Result digitization rate",
            "numerator": "results_digitized",
            "denominator": "dossiers_resolved",
            "present": "dossier_events",
            "direction": "higher_is_better",
            "definition": "Results digitized / dossiers resolved.",
            "source": "dossiers",
            "index_group": none,
        },
        {
            "code": "e_result_rate",
            "name_vi": "Tỷ lệ cấp kết quả điện tử",
            "name_en": "Electronic result rate",
            "numerator": "e_results_issued",
            "denominator": "dossiers_resolved",
            "present": "dossier_events",
            "direction": "higher_is_better",
            "definition": "Resolved with an electronic result / all resolved.",
            "source": "dossiers",
            "index_group": "digitization",
        },
        {
            "code": "data_reuse_rate",
            "name_vi": "Tỷ lệ khai thác, tái sử dụng dữ liệu",
            "name_en": "Data reuse rate",
            "numerator": "dossiers_reusing_data",
            "denominator": "dossiers_received",
            "present": "dossier_events",
            "direction": "higher_is_better",
            "definition": "Dossiers that reused data the state holds / dossiers newly received.",
            "source": "dossiers",
            "index_group": "digitization",
        },
        {
            "code": "online_payment_rate",
            "name_vi": "Tỷ lệ giao dịch thanh toán trực tuyến",
            "name_en": "Online payment transaction rate",
            "numerator": "payment_rate_numerator",
            "denominator": "payment_rate_denominator",
            "present": "payment_rate_events",
            "direction": "higher_is_better",
            "definition": "Successful online payment transactions / all successful payment transactions; where a province-month has no transactions loaded, fee-bearing dossiers paid online / fee-bearing dossiers.",
            "source": "payments (dossiers when absent)",
            "index_group": none,
        },
        {
            "code": "online_payment_dossier_rate",
            "name_vi": "Tỷ lệ hồ sơ thanh toán trực tuyến (QĐ 766)",
            "name_en": "Online payment dossier rate (Decision 766 basis)",
            "numerator": "fee_dossiers_paid_online",
            "denominator": "fee_dossiers",
            "present": "dossier_events",
            "direction": "higher_is_better",
            "definition": "Dossiers of fee-bearing procedures paid online / dossiers of fee-bearing procedures with a non-zero fee (by received month).",
            "source": "dossiers",
            "index_group": "online_payment",
        },
        {
            "code": "online_payment_procedure_rate",
            "name_vi": "Tỷ lệ TTHC có thanh toán trực tuyến",
            "name_en": "Procedures with online payment",
            "numerator": "catalog_procedures_fee_online_payment",
            "denominator": "catalog_procedures_fee",
            "present": "catalog_procedures",
            "direction": "higher_is_better",
            "definition": "Fee-bearing procedures with online payment enabled / fee-bearing procedures (catalog in force at the period end; province x procedure pairs).",
            "source": "procedures",
            "index_group": none,
        },
        {
            "code": "online_service_procedure_rate",
            "name_vi": "Tỷ lệ TTHC cung cấp DVC trực tuyến",
            "name_en": "Procedures offered online",
            "numerator": "catalog_procedures_online",
            "denominator": "catalog_procedures",
            "present": "catalog_procedures",
            "direction": "higher_is_better",
            "definition": "Procedures offered online (partial or full) / all procedures (catalog in force at the period end).",
            "source": "procedures",
            "index_group": "online_service",
        },
        {
            "code": "national_portal_integration_rate",
            "name_vi": "Tỷ lệ TTHC tích hợp Cổng DVCQG",
            "name_en": "Procedures integrated on the National Public Service Portal",
            "numerator": "catalog_procedures_integrated",
            "denominator": "catalog_procedures",
            "present": "catalog_procedures",
            "direction": "higher_is_better",
            "definition": "Procedures integrated on the national portal / all procedures (catalog in force at the period end).",
            "source": "procedures",
            "index_group": none,
        },
        {
            "code": "satisfaction_rate",
            "name_vi": "Mức độ hài lòng",
            "name_en": "Satisfaction rate",
            "numerator": "satisfied_responses",
            "denominator": "responses",
            "present": "satisfaction_rows",
            "direction": "higher_is_better",
            "definition": "Satisfied responses / all responses.",
            "source": "satisfaction",
            "index_group": "satisfaction",
        },
        {
            "code": "satisfaction_rate_land_construction_investment",
            "name_vi": "Mức độ hài lòng lĩnh vực đất đai, xây dựng, đầu tư",
            "name_en": "Satisfaction in land, construction and investment",
            "numerator": "satisfied_land_construction_investment",
            "denominator": "responses_land_construction_investment",
            "present": "satisfaction_rows",
            "direction": "higher_is_better",
            "definition": "Satisfied responses / all responses, restricted to the land, construction and investment fields (seeds/ref_procedure_field_groups.csv).",
            "source": "satisfaction",
            "index_group": none,
        },
    ]) }}
{% endmacro %}

{#-
    KPIs whose counts come from one of two sources, per unit and month: the KPI's `present`
    column -> (source, row counter) pairs. fct_kpi's count_source names the source, or both
    joined by '+' where a roll-up (a quarter, a nation) mixes them.
-#}
{% macro count_source_rows() %}
    {{ return({
        'flow_rows': [('portal_report', 'flow_report_rows'), ('dossiers', 'flow_dossier_rows')],
        'payment_rate_events': [
            ('payments', 'payment_rate_transaction_rows'), ('dossiers', 'payment_rate_dossier_rows'),
        ],
    }) }}
{% endmacro %}

{#- A ratio in percent; a zero denominator is "no data" (null), never 0 or 100. A double on both
    engines (Spark would keep 100.0 * n / d a decimal). -#}
{% macro pct(numerator, denominator) -%}
    case
        when ({{ denominator }}) > 0
            then cast(round(100.0 * ({{ numerator }}) / ({{ denominator }}), 6) as double)
    end
{%- endmacro %}
