"""Filters kept in the URL (st.query_params), so that a view can be shared by its link.

Each filter is a selectbox whose options are the URL values themselves (strings); the URL gives
the initial choice, and every choice is written back to the URL. Widget keys are `f_<name>`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
import streamlit as st

from dashboards.lib import queries
from dashboards.lib.access import current_viewer
from dashboards.lib.i18n import fmt_period, kpi_name, label, t

LEVELS = ("all", "province", "district", "commune")
GRAINS = ("month", "quarter", "year")
BASES = ("reported", "current")
MERGER = date(2025, 7, 1)


def url_select(
    name: str,
    options: Sequence[str],
    format_func: Callable[[str], str] = str,
    label_text: str | None = None,
    default: str | None = None,
    container: object = st,
) -> str:
    """A selectbox bound to the URL parameter `name`; returns the chosen option.

    The first choice comes from the widget itself, else the URL, else the same filter on the
    page seen before (Streamlit clears the URL's parameters when the page changes), else
    `default`. Every choice is written back to the URL.
    """
    options = list(options)
    if not options:
        raise ValueError(f"no options for {name}")
    sticky: dict[str, str] = st.session_state.setdefault("_filters", {})
    key = f"f_{name}"
    current = st.session_state.get(key)
    if key in st.session_state and current not in options:
        del st.session_state[key]  # options changed under the widget (e.g. another grain)
    for candidate in (current, st.query_params.get(name), sticky.get(name), default):
        if candidate in options:
            initial = candidate
            break
    else:
        initial = options[0]
    choice = container.selectbox(
        label_text or t(name),
        options,
        index=options.index(initial),
        format_func=format_func,
        key=key,
    )
    sticky[name] = choice
    if st.query_params.get(name) != choice:
        st.query_params[name] = choice
    return choice


@dataclass(frozen=True)
class Period:
    grain: str
    start: date
    end: date

    @property
    def iso(self) -> str:
        return self.start.isoformat()

    @property
    def label(self) -> str:
        return fmt_period(self.grain, self.start, self.end)

    @property
    def legacy(self) -> bool:
        return self.start < MERGER

    def previous_start(self) -> date:
        months = {"month": 1, "quarter": 3, "year": 12}[self.grain]
        index = self.start.year * 12 + self.start.month - 1 - months
        return date(index // 12, index % 12 + 1, 1)


def _as_date(value: object) -> date:
    return value.date() if isinstance(value, pd.Timestamp) else value  # type: ignore[return-value]


def period_filter(
    container: object = st,
    period_container: object | None = None,
    grains: Sequence[str] = GRAINS,
) -> Period | None:
    """Grain then period, newest first; None when the marts hold no period yet."""
    periods = queries.report_periods()
    if periods.empty:
        return None
    available = [g for g in grains if g in set(periods["period_grain"])]
    if not available:
        return None
    grain = url_select("grain", available, lambda g: label("grain", g), container=container)
    of_grain = periods[periods["period_grain"] == grain]
    ends = {
        _as_date(r.period_start).isoformat(): _as_date(r.period_end) for r in of_grain.itertuples()
    }
    starts = list(ends)
    chosen = url_select(
        "period",
        starts,
        lambda s: fmt_period(grain, date.fromisoformat(s), ends[s]),
        container=period_container or container,
    )
    return Period(grain, date.fromisoformat(chosen), ends[chosen])


def basis_filter(container: object = st, default: str = "reported") -> str:
    return url_select(
        "basis", BASES, lambda b: t(f"basis_{b}"), default=default, container=container
    )


def level_filter(period: Period | None = None, container: object = st) -> str:
    levels = [lv for lv in LEVELS if not (lv == "district" and period and not period.legacy)]
    return url_select("level", levels, lambda lv: label("level", lv), container=container)


def kpi_filter(
    codes: Sequence[str] | None = None,
    container: object = st,
    name: str = "kpi",
    default: str | None = None,
    extra: dict[str, str] | None = None,
) -> str:
    """A KPI picker over dim_kpi (optionally restricted), with extra non-KPI options."""
    catalog = queries.kpi_catalog().set_index("kpi_code")
    wanted = [c for c in (codes or catalog.index) if c in catalog.index]
    names = {code: kpi_name(catalog.loc[code]) for code in wanted}
    names.update(extra or {})
    options = list(names)
    return url_select(
        name, options, names.__getitem__, label_text=t("kpi"), default=default, container=container
    )


def province_filter(
    container: object = st, include_legacy: bool = True, default: str | None = None
) -> pd.Series:
    """A province picker by province_key (`current-25`, `legacy-17`); returns its dim row.

    A viewer limited to some provinces starts on their own (any other stays selectable: its
    province figures are public to them, its agency rows are not in their data)."""
    viewer = current_viewer()
    if viewer is not None and viewer.provinces:
        default = f"current-{min(viewer.provinces)}"
    frame = queries.provinces()
    if not include_legacy:
        frame = frame[frame["era"] == "current"]
    frame = frame.set_index("province_key")
    legacy_suffix = t("legacy_suffix")
    names = {
        key: row.short_name + (legacy_suffix if row.era == "legacy" else "")
        for key, row in frame.iterrows()
    }
    key = url_select(
        "province", list(names), names.__getitem__, default=default, container=container
    )
    return frame.loc[key]
