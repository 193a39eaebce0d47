"""Province scorecard: every KPI against its plan target, the monthly trend, levels, and the
agencies at the bottom. A current province shows its legacy provinces' history rolled up under it
(unit_basis current); a legacy province shows its own reports and names its successor."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib import charts, queries
from dashboards.lib.filters import kpi_filter, level_filter, period_filter, province_filter
from dashboards.lib.forecast import forecast_section
from dashboards.lib.i18n import fmt_number, fmt_pct, fmt_pp, kpi_name, label, t
from dashboards.lib.layout import chart, formatted, page, table
from dashboards.lib.sample import min_denominator, say_left_out, split_ranking

if not page("page_scorecard"):
    st.stop()

columns = st.columns([2, 1, 1, 2])
province = province_filter(columns[0], default="current-01")
period = period_filter(columns[1], columns[2])
if period is None:
    st.info(t("no_data"))
    st.stop()
level = level_filter(period, columns[3])

code = str(province["province_code"])
legacy = province["era"] == "legacy"
basis = "reported" if legacy else "current"
st.header(str(province["province_name"]))
all_provinces = queries.provinces()
if legacy:
    st.info(f"{t('successor_note')} **{province['successor_name']}**.")
else:
    merged = all_provinces[
        (all_provinces["era"] == "legacy") & (all_provinces["successor_code"] == code)
    ]
    if len(merged) > 1 or (len(merged) == 1 and merged.iloc[0]["province_code"] != code):
        st.caption(f"{t('predecessors')}: {', '.join(merged['short_name'])}. {t('history_note')}")

catalog = queries.kpi_catalog().set_index("kpi_code")
values = queries.province_kpis(code, period.grain, period.iso, basis, level).set_index("kpi_code")

# plan targets of this province and of the legacy provinces merged into it
if legacy:
    units = ((code,), ("legacy",))
else:
    predecessors = all_provinces[
        (all_provinces["era"] == "legacy") & (all_provinces["successor_code"] == code)
    ]
    units = ((code, *predecessors["province_code"]), ("current", *["legacy"] * len(predecessors)))
targets = queries.target_attainment(*units)
# Where each target stands (fct_target_forecast): met / not met only once its year is over,
# else on track / at risk / off track from the year-end forecast.
standing = queries.target_forecast(*units)
targets = targets.drop(columns=["status", "actual_pct"]).merge(
    standing.drop(columns=["province_code", "era", "comparator", "target_pct"]),
    on=["plan_unit", "plan_year", "kpi_code", "applies_to_level"],
    how="left",
)
targets["status"] = targets["status"].fillna("no_data")
targets.loc[targets["judgement"] != "year_over", "gap_pp"] = None
this_year = targets[
    (targets["plan_year"] == period.start.year) & (targets["applies_to_level"] == level)
]
# the province's own plan first, then its predecessors'
this_year = this_year.assign(
    own=this_year["province_code"].eq(code) & this_year["era"].eq(province["era"])
)
this_year = this_year.sort_values("own", ascending=False).drop_duplicates("kpi_code")
this_year = this_year.set_index("kpi_code")

card = pd.DataFrame({"kpi_code": catalog.index})
card["name"] = [kpi_name(catalog.loc[c]) for c in card["kpi_code"]]
for column in ("numerator", "denominator", "value_pct"):
    card[column] = card["kpi_code"].map(values[column])
for column in (
    "target_pct", "actual_pct", "status", "gap_pp", "plan_unit", "months_covered",
    "forecast_pct", "interval_low_pct", "interval_high_pct",
):  # fmt: skip
    card[column] = card["kpi_code"].map(this_year[column])
card["status"] = card["status"].where(card["status"].notna(), "no_target")

flagged = code in queries.flagged_provinces(
    period.start.isoformat(), period.end.isoformat(), basis, str(province["era"])
)
marker = " ⚠" if flagged else ""
st.subheader(f"{t('page_scorecard')} — {period.label} · {label('level', level)}{marker}")
if flagged:
    st.warning(t("anomaly_flagged_here", unit=province["short_name"]))
# met / not met only on a complete year (fct_target_attainment); a year over with months or
# units missing is incomplete; a running year is on track / at risk / off track (forecast)
shown_statuses = ("met", "not_met", "incomplete", "on_track", "at_risk", "off_track", "no_data")
stats = st.columns(len(shown_statuses))
for column, status in zip(stats, shown_statuses, strict=True):
    column.metric(label("status", status), int((card["status"] == status).sum()))
status_mark = {
    "met": "✅ ", "not_met": "❌ ", "no_data": "⚪ ", "no_target": "",
    "on_track": "🟢 ", "at_risk": "🟠 ", "off_track": "🔴 ",
    "in_progress": "🕒 ", "incomplete": "◔ ",
}  # fmt: skip


def months_text(months: float | None) -> str:
    return "—" if months is None or pd.isna(months) else t("months_of_year", months=int(months))


shown = formatted(
    card,
    {
        "name": (t("kpi"), str),
        "value_pct": (t("value_pct"), fmt_pct),
        "numerator": (t("numerator"), fmt_number),
        "denominator": (t("denominator"), fmt_number),
        "target_pct": (t("target"), fmt_pct),
        "forecast_pct": (t("forecast_pct"), fmt_pct),
        "actual_pct": (t("year_actual"), fmt_pct),
        "status": (t("status"), lambda s: status_mark.get(s, "") + label("status", s)),
        "months_covered": (t("months_covered"), months_text),
        "gap_pp": (t("gap_pp"), fmt_pp),
    },
)
table(shown, card, "scorecard")
if card["status"].isin(("in_progress", "incomplete")).any():
    st.caption(t("status_note"))
running = standing[standing["judgement"] == "year_running"]
if not running.empty:
    st.caption(t("running_year_note", year=int(running["plan_year"].iloc[0])))
if this_year.empty:
    # Most provinces' plans are not in the warehouse yet: say where targets exist instead of
    # leaving an unexplained empty column.
    plans = queries.plans_with_targets()
    st.info(
        t(
            "no_targets_here",
            unit=province["short_name"],
            year=period.start.year,
            level=label("level", level),
            plans=", ".join(f"{p.plan_unit} ({p.plan_year})" for p in plans.itertuples()) or "—",
        )
    )

if not targets.empty:
    with st.expander(f"{t('target')} — {t('plan_year')}", expanded=False):
        shown_targets = formatted(
            targets,
            {
                "plan_year": (t("plan_year"), str),
                "plan_unit": (t("province"), str),
                "kpi_code": (
                    t("kpi"),
                    lambda c: kpi_name(catalog.loc[c]) if c in catalog.index else str(c),
                ),
                "applies_to_level": (t("level"), lambda v: label("level", v)),
                "target_pct": (t("target"), lambda v: fmt_pct(v, 0)),
                "judgement": (t("judgement"), lambda v: label("judgement", v)),
                "forecast_pct": (t("forecast_pct"), fmt_pct),
                "benchmark_pct": (t("benchmark"), fmt_pct),
                "actual_pct": (t("year_actual"), fmt_pct),
                "status": (t("status"), lambda s: status_mark.get(s, "") + label("status", s)),
                "months_covered": (t("months_covered"), months_text),
                "gap_pp": (t("gap_pp"), fmt_pp),
            },
        )
        table(shown_targets, targets, "plan_targets")

forecast_section(code, basis, standing, catalog)

st.subheader(t("trend"))
kpi = kpi_filter(default="online_dossier_rate")
lower = catalog.loc[kpi, "direction"] == "lower_is_better"
trend = queries.kpi_trend(kpi, code, basis, level)
nation = queries.kpi_trend(kpi, "VN", basis, "all")
trend_frame = pd.concat(
    [
        trend.assign(series=str(province["short_name"])),
        nation.assign(series=t("nation")),
    ]
)
chart(
    charts.trend_lines(
        trend_frame, "period_start", "value_pct", "series", kpi_name(catalog.loc[kpi])
    ),
    trend_frame,
    "trend",
)

st.subheader(t("by_level"))
levels = queries.level_breakdown(code, period.grain, period.iso, basis)
if levels.empty:
    st.info(t("no_data"))
else:
    pivot = levels.pivot_table(
        index="kpi_code", columns="level", values="value_pct", aggfunc="first"
    )
    order = [lv for lv in ("all", "province", "district", "commune") if lv in pivot.columns]
    pivot = pivot[order].reset_index()
    shown_levels = pd.DataFrame({t("kpi"): [kpi_name(catalog.loc[c]) for c in pivot["kpi_code"]]})
    for lv in order:
        shown_levels[label("level", lv)] = pivot[lv].map(fmt_pct)
    table(shown_levels, levels, "by_level")

st.subheader(f"{t('bottom_agencies')} — {kpi_name(catalog.loc[kpi])}")
ranked_agencies = split_ranking(
    queries.agency_ranking(
        kpi, code, period.grain, period.iso, basis, level, min_denominator=min_denominator()
    )
)
agencies = ranked_agencies.kept.head(10)
say_left_out(ranked_agencies, "agencies")
if agencies.empty:
    st.info(t("no_data"))
else:
    shown_agencies = formatted(
        agencies,
        {
            "agency_name": (t("agency"), str),
            "level": (t("level"), lambda v: label("level", v)),
            "value_pct": (t("value_pct"), fmt_pct),
            "numerator": (t("numerator"), fmt_number),
            "denominator": (t("denominator"), fmt_number),
        },
    )
    flagged_here = queries.flagged_agencies(period.start.isoformat(), period.end.isoformat())
    if flagged_here & set(agencies["agency_code"]):
        shown_agencies["⚠"] = ["⚠" if c in flagged_here else "" for c in agencies["agency_code"]]
        st.caption(t("anomaly_marker_note"))
    table(shown_agencies, agencies, "bottom_agencies")
    del lower
