"""Look-up tables built from a resolved :class:`YearLaw`: the law's figures laid out for indexing.

Nothing here holds a figure of its own: every amount, band and rate comes from the ``YearLaw``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from cartax.core.dates import HalfYear
from cartax.rules.law import Bands, YearLaw
from cartax.rules.model import Category, Use
from cartax.rules.vectorised import codes
from cartax.rules.vectorised.columns import Flags, Int64
from cartax.rules.vectorised.days import day_number

CLASS_SLOTS = 256
"""Class codes are uint8, so a table keyed by (category, use) has 256 class slots."""


@dataclass(frozen=True, slots=True)
class Banded:
    """Amounts by band for each use: ``amounts[use * (len(bounds) + 1) + band]`` where ``band`` is
    the number of (inclusive upper) ``bounds`` the value exceeds."""

    bounds: tuple[int, ...]
    amounts: Int64


@dataclass(frozen=True, slots=True)
class AssessmentTables:
    per_cc: Banded
    truck: Banded
    truck_top: Int64  # by use: the last bound of the truck table (10t)
    block_kg: int
    block_amount: Int64  # by use
    block_ceil: bool
    fixed: Int64  # [(category * uses + use) * CLASS_SLOTS + class]; 0 where computed, -1 where invalid
    reduced: Flags  # by category * uses + use: the age reduction applies
    edu: Flags  # by category * uses + use: 지방교육세 applies


def assessment_tables(law: YearLaw) -> AssessmentTables:
    truck_tops = []
    for use in codes.USES:
        top = law.truck[use.value][-1][0]
        if top is None:
            raise ValueError("the truck table must end with a bound (10,000kg)")
        truck_tops.append(top)
    pairs = [(category, use) for category in codes.CATEGORIES for use in codes.USES]
    return AssessmentTables(
        per_cc=_banded(law.passenger_rate_per_cc),
        truck=_banded(law.truck),
        truck_top=np.array(truck_tops, np.int64),
        block_kg=law.truck_block_kg,
        block_amount=np.array([law.truck_block_amount[use.value] for use in codes.USES], np.int64),
        block_ceil=law.truck_block_rounding == "ceil",
        fixed=np.concatenate([_fixed(law, category, use) for category, use in pairs]),
        reduced=np.array([c is Category.PASSENGER and u is Use.PRIVATE for c, u in pairs]),
        edu=np.array([c.value in law.edu_categories and u.value in law.edu_uses for c, u in pairs]),
    )


def _banded(by_use: dict[str, Bands]) -> Banded:
    bounds = sorted({bound for bands in by_use.values() for bound, _ in bands if bound is not None})
    # One representative value per band of the union: the band's upper bound, or past the last one.
    samples = [*bounds, bounds[-1] + 1]
    amounts = [_band_value(by_use[use.value], sample) for use in codes.USES for sample in samples]
    return Banded(tuple(bounds), np.array(amounts, np.int64))


def _band_value(bands: Bands, amount: int) -> int:
    """The amount of the band ``amount`` falls in (rules.md §1: the whole value, not slices)."""
    for bound, value in bands:
        if bound is None or amount <= bound:
            return value
    return bands[-1][1]


def _fixed(law: YearLaw, category: Category, use: Use) -> Int64:
    row = np.zeros(CLASS_SLOTS, np.int64)
    if category is Category.PASSENGER_OTHER:
        row[:] = law.passenger_other[use.value]
    elif category is Category.TRICYCLE:
        row[:] = law.tricycle[use.value]
    elif category in (Category.VAN, Category.SPECIAL):
        table, names = (
            (law.van, codes.VAN_CLASSES) if category is Category.VAN else (law.special, codes.SPECIAL_CLASSES)
        )
        row[:] = -1
        for code, name in enumerate(names):
            row[code] = table[use.value].get(name, -1)
    return row


@dataclass(frozen=True, slots=True)
class Calendar:
    """The tax year's day numbers: half-year boundaries and lengths."""

    first: int
    last: int
    half_start: tuple[int, int]
    half_end: tuple[int, int]
    half_days: tuple[int, int]
    year_days: int


def calendar(law: YearLaw) -> Calendar:
    year = law.tax_year
    halves = (HalfYear.FIRST, HalfYear.SECOND)
    starts = [day_number(year.half_start(half)) for half in halves]
    ends = [day_number(year.half_end(half)) for half in halves]
    return Calendar(
        first=day_number(year.first_day),
        last=day_number(year.last_day),
        half_start=(starts[0], starts[1]),
        half_end=(ends[0], ends[1]),
        half_days=(year.half_days(halves[0]), year.half_days(halves[1])),
        year_days=year.days,
    )


def interest_table(law: YearLaw) -> tuple[Int64, Int64, Int64]:
    """Rate segments as (start day, rate in bp, cumulative rate-days before the segment).

    Σ rate × days from the first segment's start to day ``d`` inclusive is then, with ``i`` the
    segment of ``d``, ``cumulative[i] + rate[i] * (d - start[i] + 1)``: one look-up a row.
    """
    starts = np.array([day_number(start) for start, _ in law.interest_rates], np.int64)
    rates = np.array([bp for _, bp in law.interest_rates], np.int64)
    cumulative = np.concatenate([[0], np.cumsum(rates[:-1] * np.diff(starts))]).astype(np.int64)
    return starts, rates, cumulative


def sunset_day(law: YearLaw) -> int:
    sunset: date = law.exemption_sunset
    return day_number(sunset)
