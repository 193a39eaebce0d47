"""KPIs by province and period, straight from marts.fct_kpi."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import queries
from dashboards.lib.i18n import fmt_number, fmt_pct, fmt_period, language, t
from dashboards.lib.layout import require_serving_db

st.title(t("page_kpis"))
if require_serving_db():
    periods = queries.report_periods()
    if periods.empty:
        st.info(t("no_data"))
        st.stop()
    options = [
        (row.period_grain, row.period_start.date(), row.period_end.date())
        for row in periods.itertuples()
    ]
    labels = [fmt_period(*option) for option in options]
    chosen = st.selectbox(
        t("period"), range(len(options)), format_func=labels.__getitem__, key="period"
    )
    grain, start, _ = options[chosen]
    kpis = queries.province_kpis(grain, start.isoformat())
    catalog = queries.kpi_catalog().set_index("kpi_code")
    name_column = "name_vi" if language() == "vi" else "name_en"
    for code, frame in kpis.groupby("kpi_code", sort=True):
        st.subheader(catalog.loc[code, name_column])
        shown = frame.assign(
            value=frame["value_pct"].map(fmt_pct),
            numerator=frame["numerator"].map(fmt_number),
            denominator=frame["denominator"].map(fmt_number),
        )[["province_name", "numerator", "denominator", "value"]]
        shown.columns = [t("province"), t("numerator"), t("denominator"), t("value_pct")]
        st.dataframe(shown, hide_index=True, width="stretch")
