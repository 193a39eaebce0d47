"""How every page shows a Decision-766 total: a score out of 100 with its band only when every
group was computed; otherwise "x of the y points that could be computed" and no band (a partial
sum is not a score out of 100; fct_service_index gives such a total no band)."""

from __future__ import annotations

import pandas as pd

from dashboards.lib.i18n import fmt_number, label, t


def _is_true(value: object) -> bool:
    return bool(value) if value is not None and not pd.isna(value) else False


def total_points(points: float | None, computed: object, computable: float | None) -> str:
    """'77,50 / 100'; '56,86 trên 82 điểm tính được'; 'Chưa tính được' when no group was."""
    if _is_true(computed):
        return f"{fmt_number(points, 2)} / 100"
    if points is None or pd.isna(points) or not computable or pd.isna(computable):
        return t("index_total_not_computed")
    return t("index_partial_points", points=fmt_number(points, 2), of=fmt_number(computable))


def total_band(band: str | None, computed: object) -> str:
    """The band of a computed total; 'no band' for one with a group not computed."""
    if not _is_true(computed) or band is None or pd.isna(band):
        return t("band_none")
    return label("band", band)


def ranking_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Adds the shown total and band (points_text, band_text) to an index ranking frame."""
    return frame.assign(
        points_text=[
            total_points(p, c, m)
            for p, c, m in zip(
                frame["points"], frame["computed"], frame["computed_max_points"], strict=True
            )
        ],
        band_text=[total_band(b, c) for b, c in zip(frame["band"], frame["computed"], strict=True)],
    )
