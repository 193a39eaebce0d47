"""Official rankings: what the nation publishes about a province (issue 18). For one current
province: each governance index over the years with its rank among the 63 or 34 provinces ranked
and its region (a former province under its successor, never merged), the plans' rank targets
and their status; then a national table per index and year, and the portal's own table."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib import queries
from dashboards.lib.filters import province_filter, url_select
from dashboards.lib.i18n import fmt_date, fmt_number, fmt_pp, label, language, t
from dashboards.lib.layout import formatted, page, table

if not page("page_official"):
    st.stop()
st.caption(t("official_intro"))

vi = language() == "vi"
province = province_filter(include_legacy=False, default="current-01")
code = str(province["province_code"])


def _rank_of(row: pd.Series) -> str:
    rank = row["national_rank"]
    return "—" if pd.isna(rank) else f"{int(rank)} / {int(row['provinces_in_era'])}"


def _score(row: pd.Series) -> str:
    return fmt_number(row["score"], 4 if row["index_code"] == "DTI" else 2)


def _target(row: pd.Series) -> str:
    if row["comparator"] == "at_least_national_mean":
        return t("target_national_mean")
    if row["rank_scope"] == "region":
        region = label("region", row["region_code"])
        return t("target_rank_region", rank=int(row["target_rank"]), region=region)
    return t("target_rank_national", rank=int(row["target_rank"]))


def _actual(row: pd.Series) -> str:
    if row["comparator"] == "at_least_national_mean":
        return f"{fmt_number(row['actual_score'], 2)} / {fmt_number(row['national_mean'], 2)}"
    if pd.isna(row["actual_rank"]):
        return "—"
    return str(int(row["actual_rank"]))


def _gap(row: pd.Series) -> str:
    if row["status"] == "no_data":
        return str(row["no_data_reason"])
    if row["comparator"] == "at_least_national_mean":
        return t("gap_points", gap=fmt_pp(row["gap_points"]))
    return t("gap_ranks", gap=fmt_pp(row["gap_ranks"], 0))


# --- each index over the years ---------------------------------------------------------------
st.subheader(f"{t('governance_history')} — {province['short_name']}")
history = queries.governance_history(code)
if history.empty:
    st.info(t("official_none"))
else:
    for index_code, rows in history.groupby("index_code", sort=True):
        first = rows.iloc[0]
        st.markdown(
            f"**{first['index_name_vi' if vi else 'index_name_en']}** ({first['scale_note']})"
        )
        table(
            formatted(
                rows.assign(
                    rank_of=rows.apply(_rank_of, axis=1), score_text=rows.apply(_score, axis=1)
                ),
                {
                    "result_year": (t("result_year"), str),
                    "short_name": (t("ranked_province"), str),
                    "score_text": (t("score"), str),
                    "rank_of": (t("rank_of"), str),
                    "region_name_vi" if vi else "region_name_en": (t("region"), str),
                    "region_rank": (t("region_rank"), fmt_number),
                    "national_mean": (t("national_mean"), lambda v: fmt_number(v, 2)),
                },
            ),
            rows,
            f"official_{index_code}_{code}",
        )

# --- rank targets ----------------------------------------------------------------------------
st.subheader(t("rank_targets"))
targets = queries.rank_targets(code)
if targets.empty:
    st.info(t("rank_targets_none"))
else:
    table(
        formatted(
            targets.assign(
                plan=targets["plan_unit"] + " " + targets["plan_year"].astype(str),
                target_text=targets.apply(_target, axis=1),
                actual_text=targets.apply(_actual, axis=1),
                gap_text=targets.apply(_gap, axis=1),
            ),
            {
                "plan": (t("plan"), str),
                "index_code": (t("governance_index"), str),
                "result_year": (t("result_year"), str),
                "target_text": (t("target_label"), str),
                "actual_text": (t("actual_label"), str),
                "status": (t("status"), lambda v: label("status", v)),
                "gap_text": (t("gap_label"), str),
                "source_seed": (t("source_seed"), str),
            },
        ),
        targets,
        f"rank_targets_{code}",
    )

# --- national table per index and year -------------------------------------------------------
st.subheader(t("governance_national_table"))
years = queries.governance_years()
if years.empty:
    st.info(t("official_none"))
else:
    options = [f"{r.index_code} {r.result_year}" for r in years.itertuples()]
    choice = url_select("index_year", options, str, label_text=t("governance_index"))
    index_code, year = choice.rsplit(" ", 1)
    national = queries.governance_table(index_code, int(year))
    if not national.empty:
        first = national.iloc[0]
        if bool(first["is_partial_table"]):
            st.caption(
                t(
                    "partial_table",
                    ranked=int(first["provinces_ranked"]),
                    total=int(first["provinces_in_era"]),
                )
            )
        mean = first["national_mean"]
        st.caption(
            f"{t('national_mean')}: {fmt_number(mean, 2) if pd.notna(mean) else t('no_mean')}"
        )
        table(
            formatted(
                national.assign(
                    score_text=national.assign(index_code=index_code).apply(_score, axis=1)
                ),
                {
                    "national_rank": (t("rank"), fmt_number),
                    "short_name": (t("province"), str),
                    "score_text": (t("score"), str),
                    "region_name_vi" if vi else "region_name_en": (t("region"), str),
                    "region_rank": (t("region_rank"), fmt_number),
                },
            ),
            national,
            f"official_{index_code}_{year}",
            height=min(38 * len(national) + 40, 600),
        )

# --- the portal's table ----------------------------------------------------------------------
st.subheader(t("official_portal_table"))
snapshots = queries.official_snapshots()
if snapshots.empty:
    st.info(t("official_none"))
else:
    snapshot = snapshots.iloc[0]
    st.caption(
        f"{t('official_snapshot')}: {fmt_date(snapshot['snapshot_at'])} — "
        + t("official_source", source=snapshot["source_file"])
    )
    portal = queries.official_ranking(str(snapshot["snapshot_at"]), str(snapshot["period_start"]))
    groups = ["CKMB", "TDGQ", "CLGQ", "MDSH", "MDHL", "TTTT"]
    # headers by the group's name in the page's language, not the portal's code
    group_names = queries.official_group_names()
    in_language = 0 if language() == "vi" else 1
    header = {g: group_names.get(g, (g, g))[in_language] for g in groups}
    table(
        formatted(
            portal,
            {
                "published_rank": (t("official_rank"), fmt_number),
                "province_name": (t("province"), str),
                "TOTAL": (t("official_points"), lambda v: fmt_number(v, 2)),
                **{g: (header[g], lambda v: fmt_number(v, 2)) for g in groups},
            },
        ),
        portal,
        "official_portal_table",
        height=min(38 * len(portal) + 40, 600),
    )
