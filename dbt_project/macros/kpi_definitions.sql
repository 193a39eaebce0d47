{#-
    The one definition of every KPI (shared/domain/KPIS.md): a ratio of two counts over the
    columns of a counts model. fct_kpi computes them, dim_kpi documents them; nothing else
    restates a formula. Counts roll up (agency -> level -> province -> nation, month -> quarter ->
    year) before the ratio is taken, so percentages are never averaged.
-#}
{% macro kpi_definitions() %}
    {{ return([
        {
            "code": "online_dossier_rate",
            "name_vi": "Tỷ lệ hồ sơ trực tuyến",
            "name_en": "Online dossier rate",
            "counts_model": "int_dossier_flow",
            "numerator": "received_online",
            "denominator": "received_online + received_direct_postal",
            "direction": "higher_is_better",
            "definition": "Dossiers newly received online (partial + full) / all dossiers newly received (online + direct + postal; carried-over excluded).",
            "source": "portal_report, dossiers",
        },
        {
            "code": "on_time_rate",
            "name_vi": "Tỷ lệ giải quyết đúng hạn",
            "name_en": "On-time resolution rate",
            "counts_model": "int_dossier_flow",
            "numerator": "resolved_early + resolved_on_time",
            "denominator": "resolved_total",
            "direction": "higher_is_better",
            "definition": "Resolved early + resolved on time / all resolved.",
            "source": "portal_report, dossiers",
        },
        {
            "code": "progress_on_time_rate",
            "name_vi": "Tiến độ giải quyết (QĐ 766)",
            "name_en": "Resolution progress (Decision 766 basis)",
            "counts_model": "int_dossier_flow",
            "numerator": "resolved_early + resolved_on_time + in_progress_within_due",
            "denominator": "resolved_total + in_progress_total",
            "direction": "higher_is_better",
            "definition": "Resolved early + on time + in progress within due / all resolved + all in progress.",
            "source": "portal_report, dossiers",
        },
        {
            "code": "overdue_open_rate",
            "name_vi": "Tỷ lệ hồ sơ đang giải quyết quá hạn",
            "name_en": "Overdue open dossier rate",
            "counts_model": "int_dossier_flow",
            "numerator": "in_progress_overdue",
            "denominator": "in_progress_total",
            "direction": "lower_is_better",
            "definition": "In progress and past due / all in progress at period end.",
            "source": "portal_report, dossiers",
        },
    ]) }}
{% endmacro %}

{#- A ratio in percent; a zero denominator is "no data" (null), never 0 or 100. -#}
{% macro pct(numerator, denominator) -%}
    case when ({{ denominator }}) > 0 then round(100.0 * ({{ numerator }}) / ({{ denominator }}), 6) end
{%- endmacro %}
