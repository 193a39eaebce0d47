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
pages = [st.Page("app_pages/kpis_by_province.py", title=t("page_kpis"), default=True)]
st.navigation(pages).run()
