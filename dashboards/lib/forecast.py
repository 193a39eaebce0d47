"""The scorecard's year-end forecast section: every KPI's forecast for the running year with its
80 % interval and the status of the targets it decides, the method in two sentences, and the
method's error on past years (marts.fct_kpi_forecast, fct_target_forecast, dim_forecast_method,
fct_forecast_backtest)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards.lib import queries
from dashboards.lib.i18n import fmt_number, fmt_pct, kpi_name, label, language, t
from dashboards.lib.layout import formatted, table

STATUS_MARK = {"on_track": "🟢 ", "at_risk": "🟠 ", "off_track": "🔴 ", "no_data": "⚪ "}


def _interval(low: float | None, high: float | None) -> str:
    if pd.isna(low) or pd.isna(high):
        return "—"
    return f"{fmt_pct(low)} – {fmt_pct(high)}"


def forecast_table(
    forecasts: pd.DataFrame, standing: pd.DataFrame, catalog: pd.DataFrame
) -> pd.DataFrame:
    """One row per KPI: so far, forecast, interval, and the status of a target of the running
    year or of a later year (judged on the straight path) when the plan sets one."""
    ahead = standing[standing["judgement"] != "year_over"].drop_duplicates("kpi_code")
    ahead = ahead.set_index("kpi_code")
    frame = forecasts.copy()
    frame["name"] = [
        kpi_name(catalog.loc[c]) if c in catalog.index else c for c in frame["kpi_code"]
    ]
    frame["interval"] = [
        _interval(low, high)
        for low, high in zip(frame["interval_low_pct"], frame["interval_high_pct"], strict=True)
    ]
    for column in ("target_pct", "benchmark_pct", "status", "plan_year"):
        frame[column] = frame["kpi_code"].map(ahead[column]) if not ahead.empty else None
    return frame


def forecast_section(
    province_code: str, basis: str, standing: pd.DataFrame, catalog: pd.DataFrame
) -> None:
    forecasts = queries.kpi_forecasts(province_code, basis, "all")
    if forecasts.empty:
        st.subheader(t("forecast_method"))
        st.info(t("forecast_none"))
    else:
        year = int(forecasts["forecast_year"].iloc[0])
        st.subheader(t("forecast_section", year=year))
        frame = forecast_table(forecasts, standing, catalog)
        shown = formatted(
            frame,
            {
                "name": (t("kpi"), str),
                "value_so_far_pct": (t("so_far_pct"), fmt_pct),
                "forecast_pct": (t("forecast_pct"), fmt_pct),
                "interval": (t("forecast_interval"), str),
                "months_observed": (t("months_observed"), fmt_number),
                "method_case": (t("forecast_method"), lambda v: label("method_case", v)),
                "target_pct": (t("target"), fmt_pct),
                "benchmark_pct": (t("benchmark"), fmt_pct),
                "status": (
                    t("status"),
                    lambda s: "" if pd.isna(s) else STATUS_MARK.get(s, "") + label("status", s),
                ),
            },
        )
        table(shown, frame, "year_end_forecast")
    method_explanation()
    backtest_summary()


def method_explanation() -> None:
    method = queries.forecast_method()
    if method.empty:
        return
    column = "explanation_vi" if language() == "vi" else "explanation_en"
    version = str(method["method_version"].iloc[0])
    lines = [f"**{label('method_case', row.method_case)}** — {getattr(row, column)}"
             for row in method.itertuples()]  # fmt: skip
    st.markdown(f"**{t('forecast_method')}** ({t('method_version')}: {version})")
    st.markdown("\n\n".join(lines))


def backtest_summary() -> None:
    """The method's error shown as measured: by the month the forecast was made."""
    st.markdown(f"**{t('backtest_title')}**")
    errors = queries.backtest_summary()
    if errors.empty:
        st.info(t("backtest_none"))
        return
    weights = errors["forecasts"]
    mae = float((errors["mae_pp"] * weights).sum() / weights.sum())
    coverage = float((errors["coverage"].fillna(0) * weights).sum() / weights.sum())
    st.caption(
        t(
            "backtest_caption",
            forecasts=fmt_number(int(weights.sum())),
            mae=fmt_number(mae, 2),
            p90=fmt_number(float(errors["p90_pp"].max()), 2),
            coverage=fmt_pct(100 * coverage, 0),
        )
    )
    shown = formatted(
        errors,
        {
            "cutoff_month": (t("cutoff_month"), lambda v: str(int(v))),
            "forecasts": (t("forecasts"), fmt_number),
            "mae_pp": (t("mae_pp"), lambda v: fmt_number(v, 2)),
            "p90_pp": (t("p90_pp"), lambda v: fmt_number(v, 2)),
            "coverage": (t("coverage"), lambda v: fmt_pct(100 * v, 0)),
        },
    )
    table(shown, errors, "forecast_backtest")
