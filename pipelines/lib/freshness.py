"""Has every province's data for the last closed month arrived? (read from ``audit.loads``)

A month's data is due by a day of the next month (``due_day``, e.g. the 10th). The month checked is
the latest one whose due date has passed. The provinces expected are those that delivered monthly
data for this source in the twelve months before it, within the same administrative era (the
63 legacy provinces until June 2025, the 34 current ones from July 2025), so a province that only
ever reports quarterly is not expected monthly, and the merger does not flag the old provinces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import duckdb

RESTRUCTURING = date(2025, 7, 1)
LOOKBACK_MONTHS = 12


def add_months(month: date, count: int) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_due_checked(today: date, due_day: int) -> date:
    """First day of the latest month whose data was due by ``today``."""
    this_month = date(today.year, today.month, 1)
    last_closed = add_months(this_month, -1)
    return last_closed if today.day >= due_day else add_months(last_closed, -1)


@dataclass
class Freshness:
    source: str
    month: date
    due: date
    expected: list[str] = field(default_factory=list)
    arrived: list[str] = field(default_factory=list)
    missing: list[tuple[str, str]] = field(default_factory=list)  # (code, name)
    evaluable: bool = True
    note: str = ""

    @property
    def passed(self) -> bool:
        return not self.missing

    def summary(self) -> str:
        label = self.month.strftime("%Y-%m")
        if not self.evaluable:
            return f"{self.source} {label}: {self.note}"
        if not self.missing:
            return (
                f"{self.source} {label}: all {len(self.expected)} expected province(s) arrived "
                f"(due {self.due.isoformat()})"
            )
        names = ", ".join(f"{name or code} ({code})" for code, name in self.missing)
        return (
            f"{self.source} {label}: {len(self.missing)} of {len(self.expected)} province(s) "
            f"missing after the due date {self.due.isoformat()}: {names}"
        )


def check_freshness(
    con: duckdb.DuckDBPyConnection, source: str, today: date, due_day: int
) -> Freshness:
    month = month_due_checked(today, due_day)
    due = date(add_months(month, 1).year, add_months(month, 1).month, min(due_day, 28))
    result = Freshness(source, month, due)
    has_loads = con.execute(
        "select 1 from duckdb_tables() where schema_name = 'audit' and table_name = 'loads'"
    ).fetchone()
    if not has_loads:
        result.evaluable, result.note = False, "nothing loaded yet"
        return result
    era_start = RESTRUCTURING if month >= RESTRUCTURING else date(1900, 1, 1)
    era_end = date(9999, 12, 31) if month >= RESTRUCTURING else RESTRUCTURING
    lookback_start = max(add_months(month, -LOOKBACK_MONTHS), era_start)
    next_month = add_months(month, 1)
    loaded = "outcome in ('loaded', 'loaded_with_quarantine') and province_code is not null"
    expected = con.execute(
        f"""
        select province_code, any_value(province_name order by loaded_at desc)
        from audit.loads
        where source = ? and {loaded} and period_grain = 'month'
          and period_start >= ? and period_start < ? and period_start < ?
        group by 1 order by 1
        """,
        [source, lookback_start, month, era_end],
    ).fetchall()
    if not expected:
        result.evaluable = False
        result.note = "no province delivered monthly data in the twelve months before"
        return result
    arrived = {
        row[0]
        for row in con.execute(
            f"""
            select distinct province_code from audit.loads
            where source = ? and {loaded} and period_start < ? and period_end >= ?
            """,
            [source, next_month, month],
        ).fetchall()
    }
    result.expected = [code for code, _ in expected]
    result.arrived = sorted(arrived & set(result.expected))
    result.missing = [(code, name) for code, name in expected if code not in arrived]
    return result
