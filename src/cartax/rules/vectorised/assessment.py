"""What a whole-year holder owes, for millions of vehicles at once (rules.md §1–§4).

The same figures as :func:`cartax.rules.assessment.assess`, row by row: annual base ``A``, ages,
age reductions, half-year bills, 지방교육세 and — on demand — the four prepayment options.
Rows are processed in chunks that stay in the CPU cache, on as many threads as there are cores
(NumPy releases the GIL inside its loops); every figure is integer arithmetic, floored exactly
where the scalar path floors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt

from cartax.core.dates import HalfYear
from cartax.rules.law import YearLaw
from cartax.rules.vectorised import codes
from cartax.rules.vectorised.columns import Flags, Int16, Int64, Money, VehicleColumns
from cartax.rules.vectorised.kernel import Kernel
from cartax.rules.vectorised.parallel import run_chunks
from cartax.rules.vectorised.tables import assessment_tables

CHUNK_ROWS = 1 << 16
"""Rows per chunk: 64K rows keep a chunk's temporaries in the CPU's own cache."""


@dataclass(frozen=True, slots=True)
class PrepayColumns:
    """One 연납 window for every vehicle: deductions and amounts due, per tax item."""

    deduction_car_tax: Money
    deduction_edu_tax: Money
    due_car_tax: Money
    due_edu_tax: Money


@dataclass(frozen=True, slots=True)
class AssessmentColumns:
    """The figures of a whole-year holder, one row per vehicle (contracts.md §1 ``annual``,
    ``half_years``, ``prepay_options``). Money is int32 when every figure fits, else int64."""

    law: YearLaw
    vehicles: VehicleColumns
    base: Money  # A, before the age reduction
    age_h1: Int16
    age_h2: Int16
    reduction_pct_h1: npt.NDArray[np.int8]
    reduction_pct_h2: npt.NDArray[np.int8]
    bill_h1: Money
    bill_h2: Money
    edu_h1: Money
    edu_h2: Money

    def __len__(self) -> int:
        return len(self.base)

    @property
    def annual_car_tax(self) -> Money:
        return self.bill_h1 + self.bill_h2

    @property
    def annual_edu_tax(self) -> Money:
        return self.edu_h1 + self.edu_h2

    def group(self) -> npt.NDArray[np.intp]:
        """Row of each vehicle in the (category, use) tables."""
        return self.vehicles.category.astype(np.intp) * len(codes.USES) + self.vehicles.use

    def edu_applies(self) -> Flags:
        return assessment_tables(self.law).edu[self.group()]

    def half_year_basis(self) -> tuple[Flags, Flags]:
        """Per half-year: proration on the half-year (영 §126 단서), for reduced cars aged 3 or more."""
        reduced = assessment_tables(self.law).reduced[self.group()]
        threshold = self.law.age_free_until + 1
        return reduced & (self.age_h1 >= threshold), reduced & (self.age_h2 >= threshold)

    def prepay(self, window: str) -> PrepayColumns:
        """The 연납 window ``window`` (jan, mar, jun or sep) for every vehicle (rules.md §4)."""
        return prepay_option(self.law, window, (self.bill_h1, self.bill_h2), (self.edu_h1, self.edu_h2))

    def prepay_options(self) -> dict[str, PrepayColumns]:
        return {window: self.prepay(window) for window in codes.PREPAY_WINDOWS}


def prepay_option(
    law: YearLaw, window: str, bills: tuple[Money, Money], edu: tuple[Money, Money]
) -> PrepayColumns:
    """As :func:`cartax.rules.assessment.prepay_options`, for one window and every row."""
    if window not in codes.PREPAY_WINDOWS:
        raise ValueError(
            f"window {window!r} is not a prepayment window; accepted: {', '.join(codes.PREPAY_WINDOWS)}"
        )
    year = law.tax_year
    rate, days = law.prepay_rate_pct, year.days
    annual = (bills[0].astype(np.int64) + bills[1], edu[0].astype(np.int64) + edu[1])
    second = (bills[1].astype(np.int64), edu[1].astype(np.int64))
    second_half_days = year.half_days(HalfYear.SECOND)
    if window in law.prepay_counted_from:
        counted = (year.last_day - law.prepay_counted_from[window]).days + 1
        covered, numerator, denominator = annual, counted * rate, days * 100
    elif window == "jun" and law.prepay_june_formula == "second_half_bill":
        covered, numerator, denominator = annual, rate, 100
        deductions = tuple(_floor10(x * numerator, denominator) for x in second)
        return _option(deductions, covered, bills[0].dtype)
    elif window == "jun":
        covered, numerator, denominator = annual, second_half_days * rate, days * 100
    else:  # sep: the second half only, for the days from 1 October
        counted = (year.last_day - date(year.year, 10, 1)).days + 1
        covered, numerator, denominator = second, counted * rate, second_half_days * 100
    deductions = tuple(_floor10(x * numerator, denominator) for x in covered)
    return _option(deductions, covered, bills[0].dtype)


def _floor10(numerator: Int64, denominator: int) -> Int64:
    result: Int64 = numerator // (10 * denominator) * 10
    return result


def _option(
    deductions: tuple[Int64, ...], covered: tuple[Int64, Int64], dtype: np.dtype[Any]
) -> PrepayColumns:
    car, edu = deductions
    return PrepayColumns(
        car.astype(dtype),
        edu.astype(dtype),
        (covered[0] - car).astype(dtype),
        (covered[1] - edu).astype(dtype),
    )


def assess_columns(
    law: YearLaw, vehicles: VehicleColumns, *, workers: int | None = None
) -> AssessmentColumns:
    """Assess every vehicle for the tax year and district of ``law``.

    ``workers`` threads share the chunks (default: one per core). Raises :class:`ColumnError`
    naming the first row that the scalar path would reject (a class that does not exist for the
    use, a missing displacement or load, a manufacturing year after the first registration, a
    first registration after the tax year).
    """
    n = len(vehicles)
    kernel = Kernel.build(law, vehicles)
    out: dict[str, npt.NDArray[Any]] = {
        name: np.empty(n, kernel.money) for name in ("base", "bill_h1", "bill_h2", "edu_h1", "edu_h2")
    }
    out |= {name: np.empty(n, np.int16) for name in ("age_h1", "age_h2")}
    out |= {name: np.empty(n, np.int8) for name in ("reduction_pct_h1", "reduction_pct_h2")}
    run_chunks(lambda rows: kernel.assess(rows, out), n, CHUNK_ROWS, workers)
    return AssessmentColumns(law, vehicles, **out)
