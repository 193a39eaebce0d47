"""What every page shows: the language switch and "data as of" from the serving DB."""

from __future__ import annotations

import streamlit as st

from dashboards.lib.db import ServingDatabaseMissing, data_as_of
from dashboards.lib.i18n import LANGUAGES, fmt_date, language, t


def sidebar() -> None:
    with st.sidebar:
        choice = st.radio(
            t("language"),
            list(LANGUAGES),
            index=list(LANGUAGES).index(language()),
            format_func=LANGUAGES.__getitem__,
            horizontal=True,
            key="language_choice",
        )
        if choice != language():
            st.query_params["lang"] = choice
            st.rerun()


def require_serving_db() -> bool:
    """Show "data as of"; tell the user what to do if nothing has been published yet."""
    try:
        as_of = data_as_of()
    except ServingDatabaseMissing:
        st.warning(t("no_serving_db"))
        return False
    st.caption(f"{t('data_as_of')}: {fmt_date(as_of)}")
    return True
