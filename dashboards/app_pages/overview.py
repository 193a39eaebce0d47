"""Overview: national KPIs with the change from the previous period, a province ranking on any
KPI or the 766 index, and a map of the provinces coloured by the chosen KPI."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib import charts, index_display, queries
from dashboards.lib.filters import basis_filter, kpi_filter, period_filter
from dashboards.lib.i18n import fmt_number, fmt_pct, fmt_period, fmt_pp, kpi_name, t
from dashboards.lib.layout import chart, formatted, page, rows_height, table
from dashboards.lib.sample import Ranked, min_denominator, say_left_out, split_ranking, tile_note

INDEX = "index_766"

if not page("page_overview"):
    st.stop()

columns = st.columns([1, 1, 2])
period = period_filter(columns[0], columns[1])
if period is None:
    st.info(t("no_data"))
    st.stop()
basis = basis_filter(columns[2])

catalog = queries.kpi_catalog().set_index("kpi_code")
previous = period.previous_start()
national = queries.national_kpis(period.grain, (period.iso, previous.isoformat()), basis)
national["period_start"] = pd.to_datetime(national["period_start"]).dt.date
now = national[national["period_start"] == period.start].set_index("kpi_code")
before = national[national["period_start"] == previous].set_index("kpi_code")

st.subheader(f"{t('national_kpis')} — {period.label}")
summary = pd.DataFrame({"kpi_code": catalog.index})
summary["name"] = [kpi_name(catalog.loc[c]) for c in summary["kpi_code"]]
summary["numerator"] = summary["kpi_code"].map(now["numerator"])
summary["denominator"] = summary["kpi_code"].map(now["denominator"])
summary["value_pct"] = summary["kpi_code"].map(now["value_pct"])
summary["previous_pct"] = summary["kpi_code"].map(before["value_pct"])
summary["change_pp"] = summary["value_pct"] - summary["previous_pct"]
with_data = summary[summary["value_pct"].notna()]
grid = st.columns(4)
for i, row in enumerate(with_data.itertuples()):
    lower = catalog.loc[row.kpi_code, "direction"] == "lower_is_better"
    change = fmt_pp(row.change_pp).replace("−", "-")
    grid[i % 4].metric(
        row.name + tile_note(row.denominator),
        fmt_pct(row.value_pct),
        # Streamlit reads the sign from an ASCII "-" to pick the arrow and colour
        delta=None if pd.isna(row.change_pp) else f"{change} {t('pp_unit')}",
        delta_color="inverse" if lower else "normal",
        help=f"{t('previous')} ({fmt_period(period.grain, previous)}): {fmt_pct(row.previous_pct)}",
    )
shown = formatted(
    summary,
    {
        "name": (t("kpi"), str),
        "value_pct": (t("value_pct"), fmt_pct),
        "previous_pct": (f"{t('previous')} (%)", fmt_pct),
        "change_pp": (t("change_pp"), fmt_pp),
        "numerator": (t("numerator"), fmt_number),
        "denominator": (t("denominator"), fmt_number),
    },
)
with st.expander(t("all_kpis"), expanded=False):
    table(shown, summary, "national_kpis")

st.subheader(t("ranking"))
rank_on = kpi_filter(extra={INDEX: t("index_total")}, default="online_dossier_rate")
era = "legacy" if basis == "reported" and period.legacy else "current"
if rank_on == INDEX:
    months = queries.index_months(basis)
    in_period = [
        m for m in pd.to_datetime(months["period_start"]).dt.date if period.start <= m <= period.end
    ]
    if not in_period:
        st.info(t("no_data"))
        st.stop()
    month = max(in_period)
    ranking = index_display.ranking_columns(queries.index_ranking(month.isoformat(), basis))
    ranking["value_pct"] = ranking["points"]
    title = f"{t('index_total')} — {fmt_period('month', month)}"
    lower_is_better = False
    scale = charts.POINTS
    shown = formatted(
        ranking,
        {
            "rank": (t("rank"), str),
            "province_name": (t("province"), str),
            "points_text": (t("points"), str),
            "band_text": (t("band"), str),
        },
    )
    if not ranking["computed"].fillna(False).all():
        st.caption(t("index_partial_note"))
    split = Ranked(ranking, 0, min_denominator())  # points, not a rate: no minimum
else:
    ranking = queries.province_ranking(
        rank_on, period.grain, period.iso, basis, min_denominator=min_denominator()
    )
    split = split_ranking(ranking)
    title = f"{kpi_name(catalog.loc[rank_on])} — {period.label}"
    lower_is_better = catalog.loc[rank_on, "direction"] == "lower_is_better"
    scale = charts.PERCENT
    shown = formatted(
        split.kept,
        {
            "rank": (t("rank"), str),
            "province_name": (t("province"), str),
            "value_pct": (t("value_pct"), fmt_pct),
            "numerator": (t("numerator"), fmt_number),
            "denominator": (t("denominator"), fmt_number),
        },
    )
ranked = split.kept
# a province whose figures for the period carry anomaly flags gets a marker in the table
flagged = queries.flagged_provinces(period.start.isoformat(), period.end.isoformat(), basis, era)
if flagged:
    shown["⚠"] = ["⚠" if code in flagged else "" for code in ranked["province_code"]]
    st.caption(t("anomaly_marker_note"))
st.caption(f"{len(ranked)} {t('provinces_count')} · {t('basis_' + basis)}")
say_left_out(split, "provinces")
left, right = st.columns([3, 2])
with left:
    table(shown, ranking, "ranking", height=rows_height(len(ranked), 720))
with right:
    chart(
        charts.ranking_bar(
            ranked, "province_name", "value_pct", title, lower_is_better, scale=scale
        ),
        ranked,
        "ranking_chart",
    )

st.subheader(t("map"))
chart(charts.province_map(ranking, era, title, lower_is_better, scale=scale), ranking, "map")
st.caption(t("map_note"))
