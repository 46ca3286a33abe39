"""The liability against each payment (rules.md §5, §6.2), as exact integer fractions.

With f_k = 100 − r_k and w_k the taxable half-days of half-year k, the gross liability over the
payment's span S is ℓ = A × Σ u_k / (400 E_k), where u_k = f_k × w_k and E_k = D_k on the half-year
basis (영 §126 단서), u_k = 200 × w_k and E_k = Yd on the annual basis. Over one or two half-years that
is ℓ = A × N / (400 × E₁E₂) with N = u₁E₂ + u₂E₁ < 2 × 73,600 × 366 < 2**26 — small enough that
A × N and paid × N stay far below 2**63 (checked per batch all the same).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cartax.rules.law import YearLaw
from cartax.rules.vectorised.columns import ColumnError, Flags, Int64
from cartax.rules.vectorised.holding import HeldColumns
from cartax.rules.vectorised.tables import Calendar

INT64_LIMIT = 2**63
Rows = npt.NDArray[np.intp]


@dataclass(frozen=True, slots=True)
class CaseFigures:
    """What the payment rows look up about their case, gathered once per call."""

    base: Int64  # A
    factor: tuple[Int64, Int64]  # 100 − r_k
    half_basis: tuple[Flags, Flags]  # prorated on the half-year (영 §126 단서)
    edu: Flags  # 지방교육세 applies
    held: HeldColumns


@dataclass(frozen=True, slots=True)
class Share:
    """Per payment: ℓ(S) = base × numerator / (400 × denominator) where prorated (numerator 0 under
    the 2,000원 minimum), Σq = base × reduced / 200, and whether S is whole (then ℓ = Σq)."""

    whole: Flags
    base: Int64
    reduced: Int64
    numerator: Int64
    denominator: Int64


def liabilities(
    law: YearLaw,
    days: Calendar,
    figures: CaseFigures,
    case: Rows,
    in_half: tuple[Flags, Flags],
    paid: tuple[Int64, Int64],
    discounted: Flags,
) -> tuple[Int64, Int64]:
    """liability_car/edu: from ℓ(S) itself (bills, or the ``gross`` basis), or as the amounts paid
    times ℓ(S)/Σq (discounted payments under the ``paid`` basis)."""
    share = _share(law, days, figures, case, in_half)
    n = len(case)
    car, edu = np.empty(n, np.int64), np.empty(n, np.int64)
    by_paid = discounted if law.prepaid_refund_basis == "paid" else np.zeros(n, np.bool_)
    gross = np.flatnonzero(~by_paid)
    if gross.size:
        car[gross], edu[gross] = _from_gross(law, figures, share, case, gross)
    prepaid = np.flatnonzero(by_paid)
    if prepaid.size:
        car[prepaid], edu[prepaid] = _from_paid(share, paid, prepaid)
    return car, edu


def _share(
    law: YearLaw, days: Calendar, figures: CaseFigures, case: Rows, in_half: tuple[Flags, Flags]
) -> Share:
    held = figures.held
    base = figures.base[case]
    whole = np.ones(len(case), np.bool_)
    reduced = np.zeros(len(case), np.int64)
    u: list[Int64] = []
    e: list[Int64] = []
    for half in (0, 1):
        inside = in_half[half]
        whole &= ~inside | ((held.held[half][case] == days.half_days[half]) & (held.exempt[half][case] == 0))
        factor = figures.factor[half][case]
        reduced += np.where(inside, factor, 0)
        on_half = figures.half_basis[half][case]
        u.append(np.where(inside, np.where(on_half, factor, 200) * held.weights[half][case], 0))
        e.append(np.where(inside, np.where(on_half, days.half_days[half], days.year_days), 1))
    numerator = u[0] * e[1] + u[1] * e[0]
    denominator = e[0] * e[1]
    fits("the annual base times the prorated share", base, numerator)
    numerator[~whole & (base * numerator < law.minimum_tax * 400 * denominator)] = 0  # 법 §130④
    return Share(whole, base, reduced, numerator, denominator)


def _from_gross(
    law: YearLaw, figures: CaseFigures, share: Share, case: Rows, rows: Rows
) -> tuple[Int64, Int64]:
    """floor10(ℓ(S)), and 지방교육세 on it where it applies."""
    whole, base = share.whole[rows], share.base[rows]
    prorated = base * share.numerator[rows] // (4000 * share.denominator[rows]) * 10
    car = np.where(whole, base * share.reduced[rows] // 2000 * 10, prorated)
    return car, np.where(figures.edu[case[rows]], car * law.edu_percent // 1000 * 10, 0)


def _from_paid(share: Share, paid: tuple[Int64, Int64], rows: Rows) -> tuple[Int64, Int64]:
    """floor10(paid × ℓ(S)/Σq) per tax item, with ℓ/Σq = N / (2 × R × E₁E₂): A cancels."""
    whole, numerator = share.whole[rows], share.numerator[rows]
    denominator = 20 * share.reduced[rows] * share.denominator[rows]
    car, edu = paid[0][rows], paid[1][rows]
    fits("a payment times the prorated share", np.maximum(car, edu), numerator)
    return (
        np.where(whole, car, car * numerator // denominator * 10),
        np.where(whole, edu, edu * numerator // denominator * 10),
    )


def fits(what: str, left: Int64, right: Int64) -> None:
    """Refuse a batch whose products could pass 2**63 rather than let them wrap."""
    if len(left) and int(left.max()) * int(right.max()) >= INT64_LIMIT:
        raise ColumnError(
            f"{what} exceeds 64-bit integers for this batch; compute these rows on the scalar path"
        )
