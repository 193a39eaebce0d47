"""Every query the pages run, in one place: pages call these functions, never write SQL."""

from __future__ import annotations

import pandas as pd

from dashboards.lib.db import query


def kpi_catalog() -> pd.DataFrame:
    return query(
        "select kpi_code, name_vi, name_en, direction, definition "
        "from marts.dim_kpi order by kpi_code"
    )


def report_periods() -> pd.DataFrame:
    return query(
        """
        select distinct period_grain, period_start, period_end
        from marts.fct_kpi
        order by period_start desc, period_grain
        """
    )


def province_kpis(period_grain: str, period_start: str) -> pd.DataFrame:
    """Each province's KPIs for one period (whole province, level 'all')."""
    return query(
        """
        select province_code, province_name, kpi_code, numerator, denominator, value_pct
        from marts.fct_kpi
        where level = 'all' and period_grain = ? and period_start = ?::date
        order by province_code, kpi_code
        """,
        (period_grain, period_start),
    )
