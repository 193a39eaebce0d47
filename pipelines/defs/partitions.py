"""Monthly partitions: a landed file belongs to the month its period starts in.

The raw assets are partitioned by month (``2024-01``), in Vietnam's time zone, and take a range of
months in one run (``BackfillPolicy.single_run``). A run over some months loads only the landed
files whose period starts in those months; a run over *every* month (what ``make pipeline``, the
landing sensor and the daily schedule start) also loads the files no month holds: periods before
the first partition, and files refused before their period could be read. The dbt models and the
publish are not partitioned: they rebuild from all of raw, which DuckDB does in seconds.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import dagster as dg

# BackfillPolicy is marked beta; it is what lets a range of months load in one run.
warnings.filterwarnings("ignore", message=".*backfill_policy.*", category=dg.BetaWarning)

TIMEZONE = "Asia/Ho_Chi_Minh"
# The sample window starts 2024-01; the earliest real report the tests load is Q1/2023.
FIRST_MONTH = "2023-01"

monthly_partitions = dg.MonthlyPartitionsDefinition(
    start_date=FIRST_MONTH,
    fmt="%Y-%m",
    timezone=TIMEZONE,
    # The current month is a partition too: the portals refresh daily, so it fills as it goes.
    end_offset=1,
)


def month_start(key: str) -> date:
    year, month = key.split("-")
    return date(int(year), int(month), 1)


@dataclass(frozen=True)
class MonthWindow:
    """The months a run covers: ``first`` to ``last`` inclusive (first days of month)."""

    first: date
    last: date
    covers_all: bool

    def contains(self, period_start: date | None) -> bool:
        if period_start is None:
            return self.covers_all
        month = date(period_start.year, period_start.month, 1)
        if month < month_start(FIRST_MONTH):
            return self.covers_all
        return self.first <= month <= self.last

    def describe(self) -> str:
        if self.covers_all:
            return "every month"
        first, last = self.first.strftime("%Y-%m"), self.last.strftime("%Y-%m")
        return first if first == last else f"{first}...{last}"


def all_months() -> tuple[str, str]:
    keys = monthly_partitions.get_partition_keys()
    return keys[0], keys[-1]


def window_for_keys(first: str, last: str) -> MonthWindow:
    everything = all_months()
    return MonthWindow(
        month_start(first),
        month_start(last),
        covers_all=first <= everything[0] and last >= everything[1],
    )


def run_window(context: dg.AssetExecutionContext) -> MonthWindow | None:
    """The months this run covers; None when the run has no partitions (load everything)."""
    if not (context.has_partition_key or context.has_partition_key_range):
        return None
    keys = context.partition_key_range
    return window_for_keys(keys.start, keys.end)


def full_range_tags() -> dict[str, str]:
    """Run tags for one run over every month: what `make pipeline` and the sensor launch."""
    first, last = all_months()
    return range_tags(first, last)


def range_tags(first: str, last: str) -> dict[str, str]:
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


def period_filter(window: MonthWindow | None) -> Callable[[date | None], bool] | None:
    """The ingest hook: keep a file when its period starts inside the run's months.

    None (no filter) when the run covers every month or has no partitions.
    """
    if window is None or window.covers_all:
        return None
    return window.contains
