"""The 766-style composite index: total and band per province, the six groups, and which groups
could not be computed from the loaded data and why (never invented). A total with a group not
computed reads "x of the y points that could be computed" and has no band (lib/index_display)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib import charts, index_display, queries
from dashboards.lib.filters import basis_filter, province_filter, url_select
from dashboards.lib.i18n import (
    fmt_date,
    fmt_number,
    fmt_period,
    fmt_pp,
    index_reason,
    kpi_name,
    label,
    language,
    t,
)  # fmt: skip
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
group_names = queries.index_group_names()
reason_names = {
    **{code: kpi_name(row) for code, row in queries.kpi_catalog().set_index("kpi_code").iterrows()},
    **dict(zip(group_names["group_code"], group_names[name_column], strict=True)),
}


def reason(text: object) -> str:
    return index_reason(text, reason_names)


ranking = queries.index_ranking(month, basis)
st.subheader(f"{t('ranking')} — {fmt_period('month', pd.Timestamp(month).date())}")
if ranking.empty:
    st.info(t("no_data"))
else:
    ranking = index_display.ranking_columns(ranking)
    band_columns = st.columns(6)
    for i, band in enumerate(("excellent", "good", "fair", "average", "weak")):
        count = int((ranking["computed"].fillna(False) & (ranking["band"] == band)).sum())
        band_columns[i].metric(label("band", band), count)
    band_columns[5].metric(t("band_none"), int((~ranking["computed"].fillna(False)).sum()))
    if not ranking["computed"].fillna(False).all():
        st.caption(t("index_partial_note"))
    left, right = st.columns([3, 2])
    with left:
        table(
            formatted(
                ranking,
                {
                    "rank": (t("rank"), str),
                    "province_name": (t("province"), str),
                    "points_text": (t("points"), str),
                    "band_text": (t("band"), str),
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
                scale=charts.POINTS,
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
        band = index_display.total_band(row["band"], row["computed"])
        st.metric(
            f"{province['short_name']} — {t('index_total')}",
            index_display.total_points(row["points"], row["computed"], row["computed_max_points"]),
            help=band,
        )
        st.caption(f"{t('band')}: **{band}**")
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

# --- official figures beside the computed ones (issue 18) ------------------------------------
st.subheader(t("official_portal"))
snapshots = queries.official_snapshots()
if snapshots.empty:
    st.info(t("official_none"))
else:
    snapshot_labels = {
        str(r.snapshot_at): f"{fmt_date(r.snapshot_at)} — "
        f"{fmt_period(r.period_grain, r.period_start, r.period_end)}"
        for r in snapshots.itertuples()
    }
    reading = url_select(
        "snapshot",
        list(snapshot_labels),
        snapshot_labels.__getitem__,
        label_text=t("official_snapshot"),
    )
    chosen = snapshots[snapshots["snapshot_at"].astype(str) == reading].iloc[0]
    st.caption(t("official_source", source=chosen["source_file"]))
    official = queries.official_vs_computed(
        str(chosen["snapshot_at"]), str(chosen["period_start"]), str(province["province_code"])
    )
    if official.empty:
        st.info(t("official_no_province"))
    else:
        if official["computed_points"].isna().all():
            st.caption(t("official_not_compared"))
        name_column = "group_name_vi" if language() == "vi" else "group_name_en"
        st.markdown(f"**{t('official_vs_computed')}** — {province['short_name']}")
        table(
            formatted(
                official,
                {
                    name_column: (t("group"), str),
                    "max_points": (t("max_points"), fmt_number),
                    "published_points": (t("official_points"), lambda v: fmt_number(v, 2)),
                    "published_rank": (t("official_rank"), fmt_number),
                    "computed_rank": (t("official_group_rank"), fmt_number),
                    "computed_points": (t("computed_points"), lambda v: fmt_number(v, 2)),
                    "computed_points_rank": (t("computed_rank"), fmt_number),
                    "difference": (t("official_gap"), fmt_pp),
                    "national_mean": (t("national_mean"), lambda v: fmt_number(v, 2)),
                },
            ),
            official,
            "official_vs_computed",
        )
