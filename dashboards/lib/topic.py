"""The three topic pages (digitization, online payment, online dossiers) share one layout:
trend, distribution across provinces, top and bottom agencies, and procedure fields."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib.filters import basis_filter, kpi_filter, period_filter
from dashboards.lib.i18n import fmt_number, fmt_pct, kpi_name, label, t
from dashboards.lib.layout import chart, formatted, page, table
from dashboards.lib.sample import min_denominator, say_left_out, split_ranking

AGENCIES_SHOWN = 10


def render_topic(title_key: str, kpi_codes: Sequence[str]) -> None:
    if not page(title_key):
        st.stop()
    columns = st.columns([1, 1, 2, 2])
    period = period_filter(columns[0], columns[1])
    if period is None:
        st.info(t("no_data"))
        st.stop()
    basis = basis_filter(columns[2])
    kpi = kpi_filter(kpi_codes, columns[3], default=kpi_codes[0])
    catalog = queries.kpi_catalog().set_index("kpi_code")
    codes = tuple(c for c in kpi_codes if c in catalog.index)
    names = {c: kpi_name(catalog.loc[c]) for c in codes}
    lower = catalog.loc[kpi, "direction"] == "lower_is_better"

    st.subheader(t("trend_nation"))
    trend = queries.topic_trend(codes, "VN", basis)
    trend["kpi"] = trend["kpi_code"].map(names)
    chart(
        charts.trend_lines(trend, "period_start", "value_pct", "kpi", t("trend_nation")),
        trend,
        f"{title_key}_trend",
    )

    st.subheader(f"{t('distribution')} — {names[kpi]} · {period.label}")
    all_provinces = queries.province_ranking(
        kpi, period.grain, period.iso, basis, min_denominator=min_denominator()
    )
    split = split_ranking(all_provinces)
    ranking = split.kept
    with_values = ranking[ranking["value_pct"].notna()]
    say_left_out(split, "provinces")
    if ranking.empty:
        st.info(t("no_data"))
    else:
        stats = st.columns(4)
        stats[0].metric(t("province"), len(ranking))
        stats[1].metric(t("lowest"), fmt_pct(with_values["value_pct"].min()))
        stats[2].metric(t("median"), fmt_pct(with_values["value_pct"].median()))
        stats[3].metric(t("highest"), fmt_pct(with_values["value_pct"].max()))
        left, right = st.columns(2)
        with left:
            chart(
                charts.distribution_box(with_values, "value_pct", "province_name", names[kpi]),
                with_values,
                f"{title_key}_distribution",
            )
        with right:
            table(
                formatted(
                    ranking,
                    {
                        "rank": (t("rank"), str),
                        "province_name": (t("province"), str),
                        "value_pct": (t("value_pct"), fmt_pct),
                        "numerator": (t("numerator"), fmt_number),
                        "denominator": (t("denominator"), fmt_number),
                    },
                ),
                all_provinces,
                f"{title_key}_provinces",
                height=300,
            )

    ranked_agencies = split_ranking(
        queries.agency_ranking(
            kpi, None, period.grain, period.iso, basis, "all", min_denominator=min_denominator()
        )
    )
    agencies = ranked_agencies.kept
    say_left_out(ranked_agencies, "agencies")
    agency_columns = {
        "agency_name": (t("agency"), str),
        "province_name": (t("province"), str),
        "level": (t("level"), lambda v: label("level", v)),
        "value_pct": (t("value_pct"), fmt_pct),
        "denominator": (t("denominator"), fmt_number),
    }
    left, right = st.columns(2)
    with left:
        st.subheader(t("top_agencies"))
        top = agencies.iloc[::-1].head(AGENCIES_SHOWN)
        table(formatted(top, agency_columns), top, f"{title_key}_top_agencies")
    with right:
        st.subheader(t("bottom_agencies"))
        bottom = agencies.head(AGENCIES_SHOWN)
        table(formatted(bottom, agency_columns), bottom, f"{title_key}_bottom_agencies")

    st.subheader(f"{t('fields')} — {names[kpi]}")
    fields = queries.field_breakdown(kpi, "VN", period.grain, period.iso, basis)
    if fields.empty:
        st.info(t("no_data"))
    else:
        left, right = st.columns([3, 2])
        with left:
            table(
                formatted(
                    fields,
                    {
                        "procedure_field": (t("procedure_field"), str),
                        "value_pct": (t("value_pct"), fmt_pct),
                        "numerator": (t("numerator"), fmt_number),
                        "denominator": (t("denominator"), fmt_number),
                    },
                ),
                fields,
                f"{title_key}_fields",
            )
        with right:
            chart(
                charts.ranking_bar(fields, "procedure_field", "value_pct", names[kpi], lower),
                fields,
                f"{title_key}_fields_chart",
            )
