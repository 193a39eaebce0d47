"""Calendar and behaviour curves: months, working days, Tết, and how adoption grows over time."""

from __future__ import annotations

import calendar
import math
from datetime import date, datetime, timedelta

import numpy as np

RESTRUCTURING_MONTH = 2025 * 12 + 6  # July 2025 as a month index
EPOCH = datetime(1970, 1, 1)

# First day of the lunar new year (Tết Nguyên Đán); offices close for about a week around it.
TET = {
    2020: date(2020, 1, 25),
    2021: date(2021, 2, 12),
    2022: date(2022, 2, 1),
    2023: date(2023, 1, 22),
    2024: date(2024, 2, 10),
    2025: date(2025, 1, 29),
    2026: date(2026, 2, 17),
    2027: date(2027, 2, 6),
    2028: date(2028, 1, 26),
    2029: date(2029, 2, 13),
    2030: date(2030, 2, 3),
}
# Fixed public holidays (solar): New Year, Reunification and Labour days, National Day.
FIXED_HOLIDAYS = {(1, 1), (4, 30), (5, 1), (9, 1), (9, 2)}


def month_index(year: int, month: int) -> int:
    return year * 12 + month - 1


def month_of(index: int) -> tuple[int, int]:
    return index // 12, index % 12 + 1


def month_first_day(index: int) -> date:
    year, month = month_of(index)
    return date(year, month, 1)


def month_last_day(index: int) -> date:
    year, month = month_of(index)
    return date(year, month, calendar.monthrange(year, month)[1])


def month_start_seconds(index: int) -> int:
    """Seconds since 1970 of the month's first midnight (local time, naive)."""
    return int(
        (datetime.combine(month_first_day(index), datetime.min.time()) - EPOCH).total_seconds()
    )


def is_holiday(day: date) -> bool:
    if (day.month, day.day) in FIXED_HOLIDAYS:
        return True
    tet = TET.get(day.year)
    return tet is not None and tet - timedelta(days=2) <= day <= tet + timedelta(days=4)


def day_weights(index: int) -> np.ndarray:
    """Relative intake of each day of the month: weekdays full, Saturday mornings, holidays ~0."""
    first, last = month_first_day(index), month_last_day(index)
    weights = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if is_holiday(day):
            weight = 0.03
        elif day.weekday() == 5:
            weight = 0.25
        elif day.weekday() == 6:
            weight = 0.05
        else:
            weight = 1.0
        weights.append(weight)
    return np.array(weights)


def month_volume_factor(index: int) -> float:
    """Working capacity of the month, the rush before Tết and at year end, slow growth."""
    year, month = month_of(index)
    factor = float(day_weights(index).sum())
    tet = TET.get(year + 1 if month == 12 else year)
    if tet is not None and month_index(tet.year, tet.month) == index + 1:
        factor *= 1.12  # people finish their paperwork before the holiday
    if month == 12:
        factor *= 1.06
    years_since_2024 = (index - month_index(2024, 1)) / 12
    return factor * (1.0 + 0.06 * years_since_2024)


def progress(index: int) -> float:
    """0..1 adoption curve of digital government: ~0.15 in Jan 2024, ~0.9 by late 2026."""
    return 1.0 / (1.0 + math.exp(-(index - month_index(2025, 3)) / 7.0))


def ramp(index: int, low: float, high: float) -> float:
    return low + (high - low) * progress(index)


def restructuring_disruption(index: int) -> float:
    """Multiplier on lateness: the new communes took a few months to settle after July 2025."""
    months_after = index - RESTRUCTURING_MONTH
    return 1.0 + 1.6 * math.exp(-months_after / 1.5) if 0 <= months_after <= 6 else 1.0
