"""Plotly figures shared by the pages. Nothing here queries: pages pass the frames in."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboards.lib.i18n import fmt_number, fmt_pct, language, t

ASSETS = Path(__file__).resolve().parent.parent / "assets"
COLORSCALE = "RdYlGn"


@dataclass(frozen=True)
class ValueScale:
    """What a chart's values are: how to print one, and the axis title and unit (translation keys
    resolved at draw time, so the language is the page's)."""

    text: Callable[[float | None], str]
    title_key: str
    unit_key: str | None = None

    def title(self) -> str:
        return t(self.title_key)

    def unit(self) -> str:
        return t(self.unit_key) if self.unit_key else "%"


PERCENT = ValueScale(fmt_pct, "value_pct")
# the 766 index: points, never a percent (a total may be out of fewer than 100 points)
POINTS = ValueScale(lambda v: fmt_number(v, 2), "points", "points")


def ranking_bar(
    frame: pd.DataFrame,
    name_column: str,
    value_column: str,
    title: str,
    lower_is_better: bool = False,
    scale: ValueScale | None = None,
) -> go.Figure:
    """Horizontal bars, best on top; no data shown as an empty bar with '—'."""
    scale = scale or PERCENT
    ordered = frame.iloc[::-1]
    figure = go.Figure(
        go.Bar(
            x=ordered[value_column],
            y=ordered[name_column],
            orientation="h",
            text=[scale.text(v) for v in ordered[value_column]],
            textposition="auto",
            marker={
                "color": ordered[value_column],
                "colorscale": COLORSCALE,
                "reversescale": lower_is_better,
            },
        )
    )
    figure.update_layout(
        title=title,
        height=max(300, 22 * len(frame) + 80),
        xaxis_title=scale.title(),
        yaxis_title=None,
    )
    return figure


def trend_lines(
    frame: pd.DataFrame, x: str, y: str, series: str | None, title: str, y_title: str | None = None
) -> go.Figure:
    figure = go.Figure()
    groups = frame.groupby(series, sort=False) if series else [(None, frame)]
    for name, part in groups:
        figure.add_trace(
            go.Scatter(
                x=part[x],
                y=part[y],
                mode="lines+markers",
                name=str(name) if name is not None else title,
            )
        )
    figure.update_layout(
        title=title,
        yaxis_title=y_title or t("value_pct"),
        xaxis_title=None,
        # Plotly names months in English; Vietnamese readers get "01/2025"
        xaxis={"tickformat": "%m/%Y" if language() == "vi" else "%b %Y"},
        height=360,
        legend={"orientation": "h", "y": -0.2},
    )
    return figure


def distribution_box(
    frame: pd.DataFrame, value_column: str, name_column: str, title: str
) -> go.Figure:
    figure = go.Figure(
        go.Box(
            x=frame[value_column],
            text=frame[name_column],
            boxpoints="all",
            jitter=0.4,
            name="",
            hovertemplate="%{text}: %{x:.2f} %<extra></extra>",
            orientation="h",
        )
    )
    figure.update_layout(title=title, xaxis_title=t("value_pct"), height=260)
    return figure


@cache
def boundaries(era: str) -> dict:
    """The province polygons of an era (legacy: 63, current: 34), keyed by properties.code."""
    return json.loads((ASSETS / f"vn_provinces_{era}.geojson").read_text(encoding="utf-8"))


def _rings(geometry: dict) -> tuple[list[float | None], list[float | None], float]:
    xs: list[float | None] = []
    ys: list[float | None] = []
    area = 0.0
    polygons = (
        geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    )
    for polygon in polygons:
        exterior = polygon[0]
        for x, y in exterior:
            xs.append(x)
            ys.append(y)
        xs.append(None)
        ys.append(None)
        area += (
            abs(sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in itertools.pairwise(exterior))) / 2
        )
    return xs, ys, area


def province_map(
    frame: pd.DataFrame,
    era: str,
    title: str,
    lower_is_better: bool = False,
    scale: ValueScale | None = None,
) -> go.Figure:
    """A choropleth drawn as filled polygons on plain axes: no tiles, no network.

    `frame` has province_code, province_name, value_pct; provinces without a value are grey.
    """
    scale = scale or PERCENT
    values = dict(zip(frame["province_code"], frame["value_pct"], strict=True))
    names = dict(zip(frame["province_code"], frame["province_name"], strict=True))
    known = [v for v in values.values() if v is not None and v == v]
    low, high = (min(known), max(known)) if known else (0.0, 100.0)
    span = (high - low) or 1.0
    features = sorted(
        ((f, *_rings(f["geometry"])) for f in boundaries(era)["features"]),
        key=lambda item: -item[3],
    )
    figure = go.Figure()
    for feature, xs, ys, _ in features:
        code = feature["properties"]["code"]
        value = values.get(code)
        has_value = value is not None and value == value
        share = (value - low) / span if has_value else 0.0
        colour = (
            sample_colorscale(COLORSCALE, [1 - share if lower_is_better else share])[0]
            if has_value
            else "rgb(220,220,220)"
        )
        name = names.get(code, feature["properties"]["name"])
        figure.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                fill="toself",
                fillcolor=colour,
                mode="lines",
                line={"color": "white", "width": 0.6},
                hoveron="fills",
                text=f"{name}: {scale.text(value) if has_value else t('no_data')}",
                hoverinfo="text",
                showlegend=False,
            )
        )
    figure.add_trace(
        go.Scatter(
            x=[None],
            y=[None],
            mode="markers",
            hoverinfo="skip",
            showlegend=False,
            marker={
                "colorscale": COLORSCALE,
                "reversescale": lower_is_better,
                "cmin": low,
                "cmax": high,
                "color": [low],
                "showscale": True,
                "colorbar": {"title": {"text": scale.unit()}, "thickness": 12},
            },
        )
    )
    figure.update_xaxes(visible=False)
    figure.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.0)
    figure.update_layout(title=title, height=620, plot_bgcolor="rgba(0,0,0,0)")
    return figure
