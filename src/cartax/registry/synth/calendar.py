"""Dates as whole days since 1970-01-01 (int32), drawn in bulk with NumPy."""

from __future__ import annotations

from datetime import date

import numpy as np
import numpy.typing as npt

I32 = npt.NDArray[np.int32]
NEVER = np.int32(2**31 - 1)
"""The day of an event that does not happen: later than any real date."""

# Transfers and deregistrations by month (more in spring and December), shares of a year.
EVENT_MONTHS = np.array([0.075, 0.07, 0.092, 0.092, 0.09, 0.088, 0.082, 0.078, 0.078, 0.08, 0.08, 0.095])
# New registrations by month (a busier March and December).
NEW_MONTHS = np.array([0.07, 0.075, 0.09, 0.085, 0.085, 0.085, 0.08, 0.08, 0.08, 0.085, 0.08, 0.105])


def days(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01.

    >>> days(1970, 1, 2), days(2026, 1, 1)
    (1, 20454)
    """
    return date(year, month, day).toordinal() - date(1970, 1, 1).toordinal()


def year_starts(first: int, last: int) -> I32:
    """Day of 1 January for every year from ``first`` to ``last + 1``."""
    return np.array([days(y, 1, 1) for y in range(first, last + 2)], dtype=np.int32)


def uniform_in(rng: np.random.Generator, lo: I32 | int, hi: I32 | int, size: int) -> I32:
    """A day drawn uniformly from ``lo`` to ``hi`` inclusive (per row)."""
    span = np.asarray(hi, dtype=np.int64) - np.asarray(lo, dtype=np.int64) + 1
    return (np.asarray(lo, dtype=np.int64) + (rng.random(size) * span).astype(np.int64)).astype(np.int32)


def in_months(rng: np.random.Generator, year: int, weights: npt.NDArray[np.float64], size: int) -> I32:
    """Days of ``year`` drawn with the given weight per month, uniform within a month."""
    starts = np.array([days(year, m, 1) for m in range(1, 13)] + [days(year + 1, 1, 1)], dtype=np.int32)
    month = rng.choice(12, size=size, p=weights / weights.sum())
    return uniform_in(rng, starts[month], starts[month + 1] - 1, size)


def window(rng: np.random.Generator, first: int, last: int, size: int) -> I32:
    """Pay days in a window, more of them near its deadline, as people pay."""
    offsets = (np.sqrt(rng.random(size)) * (last - first + 1)).astype(np.int32)
    return (first + np.minimum(offsets, last - first)).astype(np.int32)
