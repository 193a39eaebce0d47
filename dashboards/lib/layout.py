"""What every page shows and uses: language switch, "data as of", downloads, formatted tables."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from dashboards.lib.db import ServingDatabaseMissing, data_as_of
from dashboards.lib.export_safety import csv_bytes, xlsx_bytes
from dashboards.lib.i18n import LANGUAGES, fmt_date, language, t


def sidebar() -> None:
    # keep the language across pages: Streamlit drops the URL's parameters on a page change
    st.session_state["_lang"] = language()
    if language() != "vi" and st.query_params.get("lang") != language():
        st.query_params["lang"] = language()
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
            st.session_state["_lang"] = choice
            st.rerun()


def require_serving_db() -> bool:
    """Show "data as of"; tell the user what to do if nothing has been published yet."""
    try:
        published_at, loaded_until = data_as_of()
    except ServingDatabaseMissing:
        st.warning(t("no_serving_db"))
        return False
    if isinstance(loaded_until, pd.Timestamp):
        loaded_until = loaded_until.date()
    until = fmt_date(loaded_until) if loaded_until is not None else "—"
    st.caption(f"{t('data_as_of')}: {until} · {t('published_at')} {fmt_date(published_at)}")
    return True


def page(title_key: str) -> bool:
    """Title and "data as of"; False when there is no serving DB (the page then stops)."""
    st.title(t(title_key))
    return require_serving_db()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_") or "data"


def _xlsx(frame: pd.DataFrame) -> bytes:
    return xlsx_bytes(frame)


def _csv(frame: pd.DataFrame) -> bytes:
    return csv_bytes(frame)


def downloads(frame: pd.DataFrame, name: str, xlsx: bool = True) -> None:
    """CSV (and XLSX) download buttons for the raw values behind a table or chart."""
    slug = _slug(name)
    # Side by side, each as wide as its label: fixed column shares cut "Tải CSV" to "T." on a
    # narrow column.
    row = st.container(horizontal=True, gap="small")
    row.download_button(
        t("download_csv"),
        data=lambda: _csv(frame),
        file_name=f"{slug}.csv",
        mime="text/csv",
        key=f"dl_{slug}_csv",
        on_click="ignore",
        icon=":material/download:",
    )
    if xlsx:
        row.download_button(
            t("download_xlsx"),
            data=lambda: _xlsx(frame),
            file_name=f"{slug}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key=f"dl_{slug}_xlsx",
            on_click="ignore",
            icon=":material/table:",
        )


def rows_height(rows: int, most: int) -> int:
    """The height that shows ``rows`` rows and the header without an empty row below (Streamlit
    draws 35 px a row and a 3 px border), at most ``most`` pixels (then it scrolls)."""
    return min(35 * (rows + 1) + 3, most)


def table(
    shown: pd.DataFrame,
    raw: pd.DataFrame,
    name: str,
    height: int | str = "auto",
) -> None:
    """A formatted table (strings in the chosen language) with downloads of the raw values."""
    st.dataframe(shown, hide_index=True, width="stretch", height=height, key=f"tbl_{_slug(name)}")
    downloads(raw, name)


def chart(figure: go.Figure, raw: pd.DataFrame, name: str) -> None:
    """A plotly chart with a CSV download of the data it draws (the chart's own menu saves PNG)."""
    figure.update_layout(
        margin={"l": 10, "r": 10, "t": 40, "b": 10}, separators=",." if language() == "vi" else ".,"
    )
    st.plotly_chart(
        figure, width="stretch", key=f"chart_{_slug(name)}", config={"displaylogo": False}
    )
    downloads(raw, name, xlsx=False)


def formatted(
    frame: pd.DataFrame, columns: dict[str, tuple[str, Callable[[object], str]]]
) -> pd.DataFrame:
    """Pick, format and title columns: {column: (title, formatter)}."""
    return pd.DataFrame({title: frame[column].map(fn) for column, (title, fn) in columns.items()})
