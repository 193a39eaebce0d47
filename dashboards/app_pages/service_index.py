"""The 766-style composite index: total and band per province, the six groups, and which groups
could not be computed from the loaded data and why (never invented)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib.filters import basis_filter, province_filter, url_select
from dashboards.lib.i18n import fmt_number, fmt_period, index_reason, kpi_name, label, language, t
from dashboards.lib.layout import chart, formatted, page, rows_height, table

if not page("page_index"):
    st.stop()
st.caption(t("index_intro"))

columns = st.columns([1, 2, 2])
basis = basis_filter(columns[1], default="current")
months = [
    d.isoformat() for d in pd.to_datetime(queries.index_months(basis)["period_start"]).dt.date
]
if not months:
    st.info(t("no_data"))
    st.stop()
month = url_select(
    "month",
    months,
    lambda m: fmt_period("month", pd.Timestamp(m).date()),
    container=columns[0],
)

name_column = "group_name_vi" if language() == "vi" else "group_name_en"
# The reasons name groups and KPIs by code: shown by their names in the chosen language.
reason_names = {
    **{code: kpi_name(row) for code, row in queries.kpi_catalog().set_index("kpi_code").iterrows()},
    **dict(
        zip(
            queries.index_group_names()["group_code"],
            queries.index_group_names()[name_column],
            strict=True,
        )
    ),
}


def reason(text: object) -> str:
    return index_reason(text, reason_names)


ranking = queries.index_ranking(month, basis)
st.subheader(f"{t('ranking')} — {fmt_period('month', pd.Timestamp(month).date())}")
if ranking.empty:
    st.info(t("no_data"))
else:
    bands = ranking["band"].map(lambda b: label("band", b)).value_counts()
    band_columns = st.columns(5)
    for i, band in enumerate(("excellent", "good", "fair", "average", "weak")):
        band_columns[i].metric(label("band", band), int(bands.get(label("band", band), 0)))
    left, right = st.columns([3, 2])
    with left:
        table(
            formatted(
                ranking,
                {
                    "rank": (t("rank"), str),
                    "province_name": (t("province"), str),
                    "points": (t("points"), lambda v: fmt_number(v, 2)),
                    "band": (t("band"), lambda v: label("band", v)),
                    "method_version": (t("method_version"), str),
                },
            ),
            ranking,
            "index_ranking",
            height=rows_height(len(ranking), 600),
        )
    with right:
        chart(
            charts.ranking_bar(
                ranking.assign(value_pct=ranking["points"]),
                "province_name",
                "value_pct",
                t("index_total"),
            ),
            ranking,
            "index_ranking_chart",
        )

st.subheader(t("not_computed"))
missing = queries.index_not_computed(month, basis)
if missing.empty:
    st.success(t("all_computed"))
else:
    table(
        formatted(
            missing,
            {
                name_column: (t("group"), str),
                "not_computed_reason": (t("reason"), reason),
                "provinces": (t("province"), fmt_number),
            },
        ),
        missing,
        "index_not_computed",
    )

st.subheader(t("groups"))
province = province_filter(columns[2], include_legacy=basis == "reported", default="current-01")
groups = queries.index_groups(str(province["province_code"]), month, basis)
if groups.empty:
    st.info(t("no_data"))
else:
    total = groups[groups["group_code"] == "total"]
    if not total.empty:
        row = total.iloc[0]
        st.metric(
            f"{province['short_name']} — {t('index_total')}",
            f"{fmt_number(row['points'], 2)} / {fmt_number(row['max_points'])}",
            help=label("band", row["band"]),
        )
        st.caption(f"{t('band')}: **{label('band', row['band'])}**")
    parts = groups[groups["group_code"] != "total"]
    table(
        formatted(
            parts,
            {
                name_column: (t("group"), str),
                "points": (t("points"), lambda v: fmt_number(v, 2)),
                "max_points": (t("max_points"), fmt_number),
                "not_computed_reason": (t("reason"), reason),
            },
        ),
        parts,
        "index_groups",
    )
    trend = queries.index_trend(str(province["province_code"]), basis)
    chart(
        charts.trend_lines(
            trend, "period_start", "points", None, t("index_total"), y_title=t("points")
        ),
        trend,
        "index_trend",
    )
