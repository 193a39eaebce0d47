"""Streamlit entry point: `streamlit run dashboards/app.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts only this folder on sys.path; the shared helpers import from the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboards.lib.i18n import t
from dashboards.lib.layout import sidebar

st.set_page_config(page_title=t("app_title"), layout="wide")
sidebar()
pages = {
    t("section_leadership"): [
        st.Page(
            "app_pages/overview.py",
            title=t("page_overview"),
            icon=":material/dashboard:",
            default=True,
        ),
        st.Page("app_pages/scorecard.py", title=t("page_scorecard"), icon=":material/fact_check:"),
        st.Page("app_pages/service_index.py", title=t("page_index"), icon=":material/leaderboard:"),
        st.Page(
            "app_pages/official_rankings.py",
            title=t("page_official"),
            icon=":material/military_tech:",
        ),
    ],
    t("section_topics"): [
        st.Page(
            "app_pages/digitization.py", title=t("page_digitization"), icon=":material/scanner:"
        ),
        st.Page("app_pages/online_payment.py", title=t("page_payment"), icon=":material/payments:"),
        st.Page("app_pages/online_dossiers.py", title=t("page_online"), icon=":material/public:"),
    ],
    t("section_data"): [
        st.Page(
            "app_pages/data_status.py", title=t("page_status"), icon=":material/monitor_heart:"
        ),
        st.Page("app_pages/sql.py", title=t("page_sql"), icon=":material/terminal:"),
    ],
}
st.navigation(pages).run()
