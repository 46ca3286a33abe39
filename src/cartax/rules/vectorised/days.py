"""Calendar arithmetic on day numbers (days since 1970-01-01, as ``datetime64[D]`` stores them).

``NaT`` is the smallest int64, so it is also the neutral element of a maximum over day numbers.
"""

from __future__ import annotations

from datetime import date

import numpy as np

from cartax.rules.vectorised.columns import DAY, Days, Int64

EPOCH = date(1970, 1, 1).toordinal()
NAT = int(np.iinfo(np.int64).min)


def day_number(day: date) -> int:
    """Days since 1970-01-01.

    >>> day_number(date(1970, 1, 2))
    1
    """
    return day.toordinal() - EPOCH


def numbers(days: Days) -> Int64:
    """The day numbers of a ``datetime64[D]`` column, without a copy (NaT stays the smallest int64)."""
    return days.view(np.int64)


def dates(numbers_: Int64, present: np.ndarray | None = None) -> Days:
    """Day numbers back to ``datetime64[D]``; rows where ``present`` is false become NaT."""
    out = numbers_.astype(np.int64, copy=True)
    if present is not None:
        out[~present] = NAT
    return out.view(DAY)


def first_day_table(month: int, first_year: int, last_year: int) -> Int64:
    """Day number of the 1st of ``month`` for every year from ``first_year`` to ``last_year``."""
    return np.array([day_number(date(year, month, 1)) for year in range(first_year, last_year + 1)], np.int64)


def add_years_clamped(days: Int64, years: int) -> Int64:
    """The same calendar day ``years`` later, 29 February becoming 28 February (as
    :func:`cartax.core.dates.add_years_clamped`).

    The days of a batch span a few years at most, so each distinct day is converted once and the
    rows look their answer up.

    >>> d = np.array(["2024-02-29", "2024-03-01"], "datetime64[D]")
    >>> dates(add_years_clamped(numbers(d), 5)).astype(str).tolist()
    ['2029-02-28', '2029-03-01']
    """
    if not len(days):
        return days.copy()
    low, high = int(days.min()), int(days.max())
    if high - low > LOOK_UP_SPAN:
        return _add_years(days, years)
    table = _add_years(np.arange(low, high + 1, dtype=np.int64), years)
    result: Int64 = table[days - low]
    return result


LOOK_UP_SPAN = 1 << 16


def _add_years(days: Int64, years: int) -> Int64:
    day = days.view(DAY)
    month = day.astype("datetime64[M]")
    offset = (day - month.astype(DAY)).astype(np.int64)
    target = month + np.timedelta64(12 * years, "M")
    length = ((target + np.timedelta64(1, "M")).astype(DAY) - target.astype(DAY)).astype(np.int64)
    return numbers(target.astype(DAY)) + np.minimum(offset, length - 1)
