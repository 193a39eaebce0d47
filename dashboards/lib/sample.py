"""The minimum sample: a rate over a handful of dossiers says little (3 dossiers, none on time:
0 %), so rankings and highest/lowest lists leave out units whose denominator is below a minimum,
and say how many they left out; a tile over a small denominator says so.

The minimum is ``CCHC_MIN_DENOMINATOR`` (default 30, docs/dashboards.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboards.lib.i18n import fmt_number, t

DEFAULT_MIN_DENOMINATOR = 30
ENV_VAR = "CCHC_MIN_DENOMINATOR"


def min_denominator() -> int:
    """The setting in force; a value that is not a whole number ≥ 0 is an error, never ignored."""
    raw = os.environ.get(ENV_VAR, "").strip()
    if not raw:
        return DEFAULT_MIN_DENOMINATOR
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{ENV_VAR}={raw!r} is not a whole number") from None
    if value < 0:
        raise ValueError(f"{ENV_VAR}={raw!r} is negative")
    return value


def is_small(denominator: object, minimum: int | None = None) -> bool:
    """True for a denominator below the minimum (no data, 0, counts as small)."""
    minimum = min_denominator() if minimum is None else minimum
    if denominator is None or pd.isna(denominator):  # type: ignore[arg-type]
        return minimum > 0
    return float(denominator) < minimum  # type: ignore[arg-type]


@dataclass(frozen=True)
class Ranked:
    """The units a ranking lists and how many it left out for their small denominator."""

    kept: pd.DataFrame
    left_out: int
    minimum: int


def split_ranking(frame: pd.DataFrame) -> Ranked:
    """A ranking query's rows (queries.province_ranking / agency_ranking, run with
    ``min_denominator()``) split on their ``small_sample`` flag."""
    small = frame["small_sample"].fillna(True).astype(bool)
    return Ranked(frame[~small].reset_index(drop=True), int(small.sum()), min_denominator())


def say_left_out(ranked: Ranked, units: str) -> None:
    """Under a ranking of ``units`` (provinces / agencies): how many it left out, if any."""
    if ranked.left_out:
        st.caption(
            t(
                f"small_sample_{units}",
                n=fmt_number(ranked.left_out),
                minimum=fmt_number(ranked.minimum),
            )
        )


def tile_note(denominator: object) -> str:
    """' (small sample: denominator 12 < 30)' for a tile's label, '' otherwise."""
    if not is_small(denominator):
        return ""
    n = fmt_number(denominator)  # type: ignore[arg-type]
    return f" ({t('small_sample_tile', n=n, minimum=fmt_number(min_denominator()))})"
