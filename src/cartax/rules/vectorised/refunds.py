"""Refunds of millions of payments at once (rules.md §5–§6), as :func:`cartax.rules.refunds.refund_lines`.

One row per payment, computed in the order (case, paid_on, input order). Exactness: every prorated
amount is an integer fraction whose numerator stays far below 2**63 (see ``_liabilities``), and
each is floored to 10원 where the scalar path floors it. Offsets against arrears are the caller's:
they span the cases of one owner and district.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from cartax.rules.law import YearLaw
from cartax.rules.model import Cause
from cartax.rules.vectorised import codes
from cartax.rules.vectorised.assessment import AssessmentColumns
from cartax.rules.vectorised.columns import (
    CaseColumns,
    Codes,
    ColumnError,
    Days,
    ExemptionColumns,
    Flags,
    Int64,
    PaymentColumns,
    check_case_index,
)
from cartax.rules.vectorised.days import NAT, add_years_clamped, dates, numbers
from cartax.rules.vectorised.holding import HeldColumns, held_columns
from cartax.rules.vectorised.tables import calendar, interest_table

SPAN = np.array([kind.span for kind in codes.PAYMENT_KINDS], np.uint8)
DISCOUNTED = np.array([kind.is_discounted for kind in codes.PAYMENT_KINDS])
PREPAYMENT = np.array([kind.is_prepayment for kind in codes.PAYMENT_KINDS])
INT64_LIMIT = 2**63
BASIS_POINTS = 10_000  # interest rates are in bp (0.01%), as the scalar path reads them


@dataclass(frozen=True, slots=True)
class RefundColumns:
    """One row per payment, in the order of the payment columns given.

    ``has_refund`` marks the payments that have a refund line in the scalar path (a duplicate has
    one even for 0원); the other fields describe that line and are 0, NaT or false elsewhere,
    except the liabilities, which hold the computed liability of every assessed payment.
    ``cause`` is a code of :data:`codes.CAUSES` (0 = none, 1–6 = R1–R6).
    """

    has_refund: Flags
    cause: Codes
    liability_car_tax: Int64
    liability_edu_tax: Int64
    refund_car_tax: Int64
    refund_edu_tax: Int64
    arose_on: Days
    interest_from: Days
    interest: Int64
    lapsed: Flags

    def __len__(self) -> int:
        return len(self.has_refund)


@dataclass(frozen=True, slots=True)
class _Rows:
    """The per-case figures gathered onto the payment rows, in processing order."""

    case: npt.NDArray[np.intp]
    in_half: tuple[Flags, Flags]
    paid_on: Int64
    car: Int64
    edu: Int64


def refund_columns(
    law: YearLaw,
    assessment: AssessmentColumns,
    cases: CaseColumns,
    payments: PaymentColumns,
    exemptions: ExemptionColumns | None = None,
) -> RefundColumns:
    """Refund lines of every payment; ``assessment`` and ``cases`` have one row per case."""
    if len(assessment) != len(cases):
        raise ColumnError(
            f"assessment has {len(assessment)} rows but cases {len(cases)}; give one row per case"
        )
    exemptions = exemptions if exemptions is not None else ExemptionColumns.empty()
    check_case_index("payments", payments.case, len(cases))
    check_case_index("exemptions", exemptions.case, len(cases))
    order = _processing_order(payments)
    if order is not None:
        payments = PaymentColumns(*(getattr(payments, name)[order] for name in PaymentColumns.__slots__))
    held = held_columns(law, cases, exemptions)
    result = _refunds(law, assessment, cases, payments, held)
    if order is None:
        return result
    inverse = np.empty_like(order)
    inverse[order] = np.arange(len(order))
    return RefundColumns(*(getattr(result, name)[inverse] for name in RefundColumns.__slots__))


def _processing_order(payments: PaymentColumns) -> npt.NDArray[np.intp] | None:
    """The stable order by (case, paid_on), or None when the rows are in it already."""
    case, paid = payments.case, numbers(payments.paid_on)
    step_case, step_paid = np.diff(case), np.diff(paid)
    if bool(np.all((step_case > 0) | ((step_case == 0) & (step_paid >= 0)))):
        return None
    order: npt.NDArray[np.intp] = np.lexsort((paid, case))  # lexsort is stable: ties keep input order
    return order


def _refunds(
    law: YearLaw,
    assessment: AssessmentColumns,
    cases: CaseColumns,
    payments: PaymentColumns,
    held: HeldColumns,
) -> RefundColumns:
    span = SPAN[payments.kind]
    rows = _Rows(
        case=payments.case.astype(np.intp),
        in_half=((span & 1) > 0, (span & 2) > 0),
        paid_on=numbers(payments.paid_on),
        car=payments.car_tax,
        edu=payments.edu_tax,
    )
    duplicate = _duplicates(rows.case, span)
    passed_on = cases.prepayment_passed_on[rows.case] & DISCOUNTED[payments.kind] & ~duplicate
    liability_car, liability_edu = _liabilities(law, assessment, held, rows, DISCOUNTED[payments.kind])
    liability_car[duplicate] = 0
    liability_edu[duplicate] = 0
    liability_car[passed_on] = rows.car[passed_on]
    liability_edu[passed_on] = rows.edu[passed_on]
    refund_car = np.maximum(rows.car - liability_car, 0)
    refund_edu = np.maximum(rows.edu - liability_edu, 0)
    has_refund = duplicate | (refund_car > 0) | (refund_edu > 0)
    cause, arose = _causes(law, held, rows, duplicate, PREPAYMENT[payments.kind])
    cause[~has_refund] = 0
    interest_from, interest = _interest(
        law, cases, rows, arose, refund_car + refund_edu, has_refund, payments
    )
    lapsed = np.zeros(len(rows.case), np.bool_)
    if has_refund.any():
        lapse_day = add_years_clamped(arose[has_refund], law.prescription_years)
        lapsed[has_refund] = numbers(cases.as_of)[rows.case[has_refund]] > lapse_day
    return RefundColumns(
        has_refund=has_refund,
        cause=cause,
        liability_car_tax=liability_car,
        liability_edu_tax=liability_edu,
        refund_car_tax=np.where(has_refund, refund_car, 0),
        refund_edu_tax=np.where(has_refund, refund_edu, 0),
        arose_on=dates(arose, has_refund),
        interest_from=dates(interest_from, has_refund & (interest_from != NAT)),
        interest=interest,
        lapsed=lapsed,
    )


def _duplicates(case: npt.NDArray[np.intp], span: Codes) -> Flags:
    """R3: the span is covered by earlier payments of the case (rules.md §9).

    Covered by earlier *non-duplicate* payments equals covered by all earlier payments, since a
    duplicate adds no half-year; so a half-year is covered when an earlier row of the case has it,
    an exclusive running count per case.
    """
    n = len(case)
    if not n:
        return np.zeros(0, np.bool_)
    first_of_case = np.ones(n, np.bool_)
    first_of_case[1:] = case[1:] != case[:-1]
    case_start = np.maximum.accumulate(np.where(first_of_case, np.arange(n), 0))
    covered = np.zeros(n, np.uint8)
    for bit in (1, 2):
        has = (span & bit) > 0
        before = np.cumsum(has, dtype=np.int64) - has
        covered |= np.where(before - before[case_start] > 0, bit, 0).astype(np.uint8)
    duplicate: Flags = (span & ~covered) == 0
    return duplicate


@dataclass(frozen=True, slots=True)
class _Share:
    """Per payment: ℓ(S) = base × numerator / (400 × denominator) where prorated (numerator 0 under
    the 2,000원 minimum), Σq = base × reduced / 200, and whether S is whole (ℓ = Σq)."""

    whole: Flags
    base: Int64
    reduced: Int64
    numerator: Int64
    denominator: Int64


def _liabilities(
    law: YearLaw, assessment: AssessmentColumns, held: HeldColumns, rows: _Rows, discounted: Flags
) -> tuple[Int64, Int64]:
    """liability_car/edu of each payment (rules.md §6.2), exactly: from ℓ(S) itself (bills, or the
    ``gross`` basis), or as the paid amounts times ℓ(S)/Σq (discounted payments, ``paid`` basis)."""
    share = _share(law, assessment, held, rows)
    n = len(rows.case)
    car, edu = np.empty(n, np.int64), np.empty(n, np.int64)
    by_paid = discounted if law.prepaid_refund_basis == "paid" else np.zeros(n, np.bool_)
    for subset, compute in ((np.flatnonzero(~by_paid), _from_gross), (np.flatnonzero(by_paid), _from_paid)):
        if subset.size:
            car[subset], edu[subset] = compute(law, assessment, share, rows, subset)
    return car, edu


def _share(law: YearLaw, assessment: AssessmentColumns, held: HeldColumns, rows: _Rows) -> _Share:
    """ℓ(S) exactly. With f_k = 100 − r_k: ℓ = A × Σ u_k / (400 E_k), where u_k = f_k × w_k and E_k = D_k
    on the half-year basis, u_k = 200 × w_k and E_k = Yd on the annual basis (w_k in half-days). Over
    one or two half-years ℓ = A × N / (400 × E₁E₂) with N = u₁E₂ + u₂E₁ < 2 × 73,600 × 366 < 2**26."""
    days = calendar(law)
    case = rows.case
    base = assessment.base.astype(np.int64)[case]
    basis = assessment.half_year_basis()
    reductions = (assessment.reduction_pct_h1, assessment.reduction_pct_h2)
    whole = np.ones(len(case), np.bool_)
    reduced = np.zeros(len(case), np.int64)
    u: list[Int64] = []
    e: list[Int64] = []
    for half in (0, 1):
        inside = rows.in_half[half]
        held_days, exempt = held.held[half][case], held.exempt[half][case]
        whole &= ~inside | ((held_days == days.half_days[half]) & (exempt == 0))
        factor = 100 - reductions[half][case].astype(np.int64)
        reduced += np.where(inside, factor, 0)
        on_half = basis[half][case]
        u.append(np.where(inside, np.where(on_half, factor, 200) * held.weights[half][case], 0))
        e.append(np.where(inside, np.where(on_half, days.half_days[half], days.year_days), 1))
    numerator = u[0] * e[1] + u[1] * e[0]
    denominator = e[0] * e[1]
    _fits("the annual base times the prorated share", base, numerator)
    numerator[~whole & (base * numerator < law.minimum_tax * 400 * denominator)] = 0  # 법 §130④
    return _Share(whole, base, reduced, numerator, denominator)


def _from_gross(
    law: YearLaw, assessment: AssessmentColumns, share: _Share, rows: _Rows, subset: npt.NDArray[np.intp]
) -> tuple[Int64, Int64]:
    """floor10(ℓ(S)) and 지방교육세 on it, where it applies."""
    whole, base = share.whole[subset], share.base[subset]
    whole_amount = base * share.reduced[subset] // 2000 * 10
    car = np.where(
        whole, whole_amount, base * share.numerator[subset] // (4000 * share.denominator[subset]) * 10
    )
    applies = assessment.edu_applies()[rows.case[subset]]
    return car, np.where(applies, car * law.edu_percent // 1000 * 10, 0)


def _from_paid(
    law: YearLaw, assessment: AssessmentColumns, share: _Share, rows: _Rows, subset: npt.NDArray[np.intp]
) -> tuple[Int64, Int64]:
    """floor10(paid × ℓ(S)/Σq) per tax item; ℓ/Σq = N / (2 × R × E₁E₂), so A cancels and paid × N
    stays below 2**63 for any payment up to 10**11 원 (checked all the same)."""
    del law, assessment  # the share is all this basis needs
    whole, numerator = share.whole[subset], share.numerator[subset]
    denominator = 20 * share.reduced[subset] * share.denominator[subset]
    car, edu = rows.car[subset], rows.edu[subset]
    _fits("a payment times the prorated share", np.maximum(car, edu), numerator)
    return (
        np.where(whole, car, car * numerator // denominator * 10),
        np.where(whole, edu, edu * numerator // denominator * 10),
    )


def _fits(what: str, left: Int64, right: Int64) -> None:
    if len(left) and int(left.max()) * int(right.max()) >= INT64_LIMIT:
        raise ColumnError(
            f"{what} exceeds 64-bit integers for this batch; compute these rows on the scalar path"
        )


def _causes(
    law: YearLaw, held: HeldColumns, rows: _Rows, duplicate: Flags, prepayment: Flags
) -> tuple[Codes, Int64]:
    """The cause of each refund, first match, and the day it arose (rules.md §6.3, §6.6, §9)."""
    days = calendar(law)
    case, (in_h1, in_h2) = rows.case, rows.in_half
    exempt_h1 = in_h1 & (held.exempt[0][case] > 0)
    exempt_h2 = in_h2 & (held.exempt[1][case] > 0)
    ended = held.ended_on[case] != NAT
    last = held.last[case]
    span_start = np.where(in_h1, days.half_start[0], days.half_start[1])
    span_end = np.where(in_h2, days.half_end[1], days.half_end[0])
    ended_inside = ended & ~held.empty[case] & (span_start <= last) & (last <= span_end)
    held_none = (~in_h1 | (held.held[0][case] == 0)) & (~in_h2 | (held.held[1][case] == 0))
    r6, r1, r2, r4, r5 = (codes.CAUSES.index(Cause(name)) for name in ("R6", "R1", "R2", "R4", "R5"))
    conditions = [duplicate, exempt_h1 | exempt_h2, ended & prepayment, ended_inside, held_none]
    cause = np.select(conditions, [codes.CAUSE_DUPLICATE, r6, r1, r2, r4], r5).astype(np.uint8)
    decided = np.maximum(
        np.where(exempt_h1, held.decision[0][case], NAT), np.where(exempt_h2, held.decision[1][case], NAT)
    )
    arose = np.where(cause == r1, np.maximum(held.ended_on[case], rows.paid_on), rows.paid_on)
    arose = np.where(cause == r6, decided, arose)
    return cause, arose


def _interest(
    law: YearLaw,
    cases: CaseColumns,
    rows: _Rows,
    arose: Int64,
    refund: Int64,
    has_refund: Flags,
    payments: PaymentColumns,
) -> tuple[Int64, Int64]:
    """환급가산금 from the day after the refund arose to the decision day (rules.md §6.4);
    the first day (NAT where none) and the amount."""
    decision = numbers(cases.decision_on)[rows.case]
    eligible = has_refund & (decision != NAT) & ~payments.via_grievance
    start = np.where(eligible, arose + 1, NAT)
    interest = np.zeros(len(start), np.int64)
    counted = np.flatnonzero(eligible & (decision >= start) & (refund > 0))
    if not counted.size:
        return start, interest
    first, last, amount = start[counted], decision[counted], refund[counted]
    rate_days = _rate_days_to(law, last) - _rate_days_to(law, first - 1)
    _fits("a refund times its rate-days", amount, rate_days)
    denominator = BASIS_POINTS * law.interest_day_count
    if law.interest_rounding == "floor10":
        interest[counted] = amount * rate_days // (10 * denominator) * 10
    else:
        interest[counted] = amount * rate_days // denominator
    return start, interest


def _rate_days_to(law: YearLaw, day: Int64) -> Int64:
    """Σ rate (bp) × days from the first rate's start to ``day`` inclusive, one look-up a row."""
    starts, rates, cumulative = interest_table(law)
    segment = np.searchsorted(starts, day, side="right") - 1
    index = np.maximum(segment, 0)
    total: Int64 = np.where(segment >= 0, cumulative[index] + rates[index] * (day - starts[index] + 1), 0)
    return total


def case_totals(refunds: RefundColumns, payments: PaymentColumns, n_cases: int) -> tuple[Int64, Int64]:
    """Per case: the refunds and the interest of the lines that have not lapsed (contracts.md ``totals``)."""
    live = refunds.has_refund & ~refunds.lapsed
    case = payments.case[live]
    refund = np.zeros(n_cases, np.int64)
    interest = np.zeros(n_cases, np.int64)
    np.add.at(refund, case, refunds.refund_car_tax[live] + refunds.refund_edu_tax[live])
    np.add.at(interest, case, refunds.interest[live])
    return refund, interest
