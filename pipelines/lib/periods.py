"""Report periods as Vietnamese reports name them: a month, a quarter, a year, or a date range."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from pipelines.lib.vn_text import fold_words, parse_vn_date, roman_to_int


class PeriodFormatError(ValueError):
    pass


@dataclass(frozen=True)
class Period:
    grain: str  # month | quarter | half_year | year | range
    start: date
    end: date

    @property
    def label(self) -> str:
        return f"{self.grain} {self.start:%Y-%m-%d}..{self.end:%Y-%m-%d}"


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


_RANGE = re.compile(r"tu ngay (\d{1,2}/\d{1,2}/\d{4}) den ngay (\d{1,2}/\d{1,2}/\d{4})")
_MONTH = re.compile(r"\bthang (\d{1,2})\s*(?:/|nam)\s*(\d{4})\b")
_QUARTER = re.compile(r"\bquy (i{1,3}|iv|[1-4])\s*(?:/|nam)\s*(\d{4})\b")
_HALF = re.compile(r"\b6 thang (dau|cuoi) nam\s*(\d{4})\b")
_YEAR = re.compile(r"\bnam (\d{4})\b")


def classify_range(start: date, end: date) -> Period:
    """A date range that is exactly a month, quarter or year gets that grain."""
    if start.day == 1 and end == month_end(end.year, end.month) and start.year == end.year:
        months = end.month - start.month + 1
        if months == 1:
            return Period("month", start, end)
        if months == 3 and start.month % 3 == 1:
            return Period("quarter", start, end)
        if months == 12:
            return Period("year", start, end)
    return Period("range", start, end)


def parse_period(text: str) -> Period | None:
    """The period a title line names, or None if it names none."""
    key = fold_words(text).replace(" / ", "/")
    key = re.sub(r"\s*/\s*", "/", key)
    if match := _RANGE.search(key):
        try:
            start, end = parse_vn_date(match.group(1)), parse_vn_date(match.group(2))
        except ValueError as error:  # a date that does not exist, such as 30/02
            raise PeriodFormatError(
                f"period {text!r} names a date that does not exist: {error}"
            ) from error
        if end < start:
            raise PeriodFormatError(f"period {text!r} ends before it starts")
        return classify_range(start, end)
    if match := _MONTH.search(key):
        month, year = int(match.group(1)), int(match.group(2))
        if not 1 <= month <= 12:
            raise PeriodFormatError(f"month {month} in {text!r} does not exist")
        return Period("month", date(year, month, 1), month_end(year, month))
    if match := _QUARTER.search(key):
        quarter, year = roman_to_int(match.group(1)), int(match.group(2))
        first = 3 * (quarter - 1) + 1
        return Period("quarter", date(year, first, 1), month_end(year, first + 2))
    if match := _HALF.search(key):
        year = int(match.group(2))
        first = 1 if match.group(1) == "dau" else 7
        return Period("half_year", date(year, first, 1), month_end(year, first + 5))
    if match := _YEAR.search(key):
        year = int(match.group(1))
        return Period("year", date(year, 1, 1), date(year, 12, 31))
    return None


def find_period(title_lines: list[str]) -> Period:
    for line in title_lines:
        period = parse_period(line)
        if period is not None:
            return period
    raise PeriodFormatError(
        "no period found (expected e.g. 'Tháng 3/2024', 'Quý I/2023', 'Năm 2024' or "
        "'Từ ngày 01/01/2023 đến ngày 31/03/2023')"
    )
