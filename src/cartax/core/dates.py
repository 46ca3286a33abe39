"""Calendar value objects: tax years and half-years (제1기분, 제2기분)."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from enum import IntEnum


def days_in_year(year: int) -> int:
    """Days in a calendar year.

    >>> days_in_year(2024), days_in_year(2026)
    (366, 365)
    """
    return 366 if calendar.isleap(year) else 365


def parse_date(text: str) -> date:
    """Parse an ISO ``YYYY-MM-DD`` date strictly (no times, no other formats).

    >>> parse_date("2026-07-01")
    datetime.date(2026, 7, 1)
    """
    if len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"{text!r} is not a date in the form YYYY-MM-DD")
    return date.fromisoformat(text)


def korean_date(day: date) -> str:
    """A date as people read it on screens and notices.

    >>> korean_date(date(2026, 7, 1))
    '2026년 7월 1일'
    """
    return f"{day.year}년 {day.month}월 {day.day}일"


class HalfYear(IntEnum):
    """The two billing periods of the tax year (지방세법 제128조)."""

    FIRST = 1  # 제1기분: 1 January – 30 June
    SECOND = 2  # 제2기분: 1 July – 31 December


@dataclass(frozen=True, slots=True, order=True)
class TaxYear:
    """A tax year (과세연도) with its half-year boundaries.

    >>> y = TaxYear(2024)
    >>> y.days, y.half_days(HalfYear.FIRST), y.half_days(HalfYear.SECOND)
    (366, 182, 184)
    >>> TaxYear(2026).half_of(date(2026, 7, 1))
    <HalfYear.SECOND: 2>
    """

    year: int

    @property
    def first_day(self) -> date:
        return date(self.year, 1, 1)

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)

    @property
    def days(self) -> int:
        return days_in_year(self.year)

    def half_start(self, half: HalfYear) -> date:
        return date(self.year, 1, 1) if half is HalfYear.FIRST else date(self.year, 7, 1)

    def half_end(self, half: HalfYear) -> date:
        return date(self.year, 6, 30) if half is HalfYear.FIRST else date(self.year, 12, 31)

    def half_days(self, half: HalfYear) -> int:
        return (self.half_end(half) - self.half_start(half)).days + 1

    def half_of(self, day: date) -> HalfYear:
        return HalfYear.FIRST if day.month <= 6 else HalfYear.SECOND

    def contains(self, day: date) -> bool:
        return day.year == self.year


def inclusive_days(first: date, last: date) -> int:
    """Days from ``first`` to ``last``, both included (0 when ``last`` is before ``first``).

    >>> inclusive_days(date(2026, 2, 1), date(2026, 12, 31))
    334
    """
    return max(0, (last - first).days + 1)


def add_years_clamped(day: date, years: int) -> date:
    """The same calendar day ``years`` later; 29 February becomes 28 February.

    >>> add_years_clamped(date(2024, 2, 29), 5)
    datetime.date(2029, 2, 28)
    """
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


ONE_DAY = timedelta(days=1)
