"""Streamlit entry point: `streamlit run dashboards/app.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import streamlit as st

# `streamlit run` puts only this folder on sys.path; the shared helpers import from the root.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dashboards.lib.auth import account_box, require_viewer
from dashboards.lib.i18n import t
from dashboards.lib.layout import sidebar

st.set_page_config(page_title=t("app_title"), layout="wide")
sidebar()
# no page runs (and no data is read) before someone is signed in
viewer = require_viewer()
# (file stem, title key, icon) per section; a page the role may not open is left out of the
# navigation, so its URL lands on the overview
SECTIONS = {
    "section_leadership": [
        ("overview", "page_overview", ":material/dashboard:"),
        ("scorecard", "page_scorecard", ":material/fact_check:"),
        ("service_index", "page_index", ":material/leaderboard:"),
        ("official_rankings", "page_official", ":material/military_tech:"),
    ],
    "section_topics": [
        ("digitization", "page_digitization", ":material/scanner:"),
        ("online_payment", "page_payment", ":material/payments:"),
        ("online_dossiers", "page_online", ":material/public:"),
    ],
    "section_data": [
        ("data_status", "page_status", ":material/monitor_heart:"),
        ("sql", "page_sql", ":material/terminal:"),
    ],
}
if viewer is None:
    # The sign-in is drawn. Register every page, hidden and not run, so that the page a link
    # names (/scorecard?province=…) is still the one shown once the person has signed in.
    st.navigation(
        [st.Page(f"app_pages/{stem}.py", default=stem == "overview") for stem in
         (stem for entries in SECTIONS.values() for stem, _, _ in entries)],
        position="hidden",
    )  # fmt: skip
    st.stop()
account_box(viewer)
pages = {
    t(section): [
        st.Page(f"app_pages/{stem}.py", title=t(title), icon=icon, default=stem == "overview")
        for stem, title, icon in entries
        if viewer.may_open(stem)
    ]
    for section, entries in SECTIONS.items()
}
st.navigation({section: listed for section, listed in pages.items() if listed}).run()
