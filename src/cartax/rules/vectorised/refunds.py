"""Refunds of millions of payments at once (rules.md §5–§6), as :func:`cartax.rules.refunds.refund_lines`.

One row per payment, computed in the order (case, paid_on, input order), in cache-sized chunks on
every core. Exactness: every prorated amount is an integer fraction far below 2**63 (see
:mod:`.liability`), floored to 10원 where the scalar path floors it. Offsets against arrears are the
caller's: they span the cases of one owner and district.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from cartax.rules.law import YearLaw
from cartax.rules.vectorised import codes
from cartax.rules.vectorised.assessment import AssessmentColumns
from cartax.rules.vectorised.columns import (
    DAY,
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
from cartax.rules.vectorised.days import NAT, add_years_clamped, numbers
from cartax.rules.vectorised.holding import HeldColumns, held_columns
from cartax.rules.vectorised.liability import CaseFigures, Rows, fits, liabilities
from cartax.rules.vectorised.parallel import run_chunks
from cartax.rules.vectorised.tables import Calendar, calendar, interest_table

SPAN = np.array([kind.span for kind in codes.PAYMENT_KINDS], np.uint8)
DISCOUNTED = np.array([kind.is_discounted for kind in codes.PAYMENT_KINDS])
PREPAYMENT = np.array([kind.is_prepayment for kind in codes.PAYMENT_KINDS])
CAUSE = {cause.value: code for code, cause in enumerate(codes.CAUSES) if cause is not None}
BASIS_POINTS = 10_000  # interest rates are in bp (0.01%), as the scalar path reads them
CHUNK_ROWS = 1 << 16


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
class _Context:
    """Everything a chunk of payment rows reads, resolved once per call."""

    law: YearLaw
    days: Calendar
    figures: CaseFigures
    passed_on: Flags  # by case
    decision: Int64  # by case, NAT where none
    as_of: Int64  # by case
    rates: tuple[Int64, Int64, Int64]  # interest rate segments (tables.interest_table)
    payments: PaymentColumns  # in processing order
    duplicate: Flags  # by payment


def refund_columns(
    law: YearLaw,
    assessment: AssessmentColumns,
    cases: CaseColumns,
    payments: PaymentColumns,
    exemptions: ExemptionColumns | None = None,
    *,
    workers: int | None = None,
) -> RefundColumns:
    """Refund lines of every payment; ``assessment`` and ``cases`` have one row per case.

    Payments may come in any order; they are processed by (case, paid_on, input order) as the scalar
    path does, and the result is in the order given. ``workers`` threads share the chunks of rows.
    """
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
    context = _context(law, assessment, cases, payments, held_columns(law, cases, exemptions))
    result = _refunds(context, workers)
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


def _context(
    law: YearLaw,
    assessment: AssessmentColumns,
    cases: CaseColumns,
    payments: PaymentColumns,
    held: HeldColumns,
) -> _Context:
    reductions = (assessment.reduction_pct_h1, assessment.reduction_pct_h2)
    figures = CaseFigures(
        base=assessment.base.astype(np.int64),
        factor=(100 - reductions[0].astype(np.int64), 100 - reductions[1].astype(np.int64)),
        half_basis=assessment.half_year_basis(),
        edu=assessment.edu_applies(),
        held=held,
    )
    return _Context(
        law=law,
        days=calendar(law),
        figures=figures,
        passed_on=cases.prepayment_passed_on,
        decision=numbers(cases.decision_on),
        as_of=numbers(cases.as_of),
        rates=interest_table(law),
        payments=payments,
        duplicate=_duplicates(payments.case.astype(np.intp), SPAN[payments.kind]),
    )


def _refunds(context: _Context, workers: int | None) -> RefundColumns:
    n = len(context.payments)
    out: dict[str, npt.NDArray[Any]] = {name: np.empty(n, np.bool_) for name in ("has_refund", "lapsed")}
    out["cause"] = np.empty(n, np.uint8)
    for name in ("liability_car_tax", "liability_edu_tax", "refund_car_tax", "refund_edu_tax", "interest"):
        out[name] = np.empty(n, np.int64)
    out["arose_on"] = np.empty(n, DAY)
    out["interest_from"] = np.empty(n, DAY)
    run_chunks(lambda rows: _refund_chunk(context, rows, out), n, CHUNK_ROWS, workers)
    return RefundColumns(**out)


def _refund_chunk(context: _Context, rows: slice, out: dict[str, npt.NDArray[Any]]) -> None:
    """Rows ``rows`` of the payments, in processing order, into ``out`` (as rules/refunds.py)."""
    payments, law = context.payments, context.law
    kind = payments.kind[rows]
    span = SPAN[kind]
    case = payments.case[rows].astype(np.intp)
    in_half = ((span & 1) > 0, (span & 2) > 0)
    car, edu = payments.car_tax[rows], payments.edu_tax[rows]
    duplicate, discounted = context.duplicate[rows], DISCOUNTED[kind]
    liability = liabilities(law, context.days, context.figures, case, in_half, (car, edu), discounted)
    # The seller's discounted payments passed on to the buyer are the buyer's (법 §130③ 후단).
    passed_on = context.passed_on[case] & discounted & ~duplicate
    liability_car = np.where(duplicate, 0, np.where(passed_on, car, liability[0]))
    liability_edu = np.where(duplicate, 0, np.where(passed_on, edu, liability[1]))
    refund_car, refund_edu = np.maximum(car - liability_car, 0), np.maximum(edu - liability_edu, 0)
    has_refund = duplicate | (refund_car > 0) | (refund_edu > 0)
    paid_on = numbers(payments.paid_on[rows])
    cause, arose = _causes(context, case, in_half, paid_on, duplicate, PREPAYMENT[kind])
    start, interest = _interest(
        context, case, arose, refund_car + refund_edu, has_refund, payments.via_grievance[rows]
    )
    lapsed = np.zeros(len(case), np.bool_)
    if has_refund.any():
        lapse_day = add_years_clamped(arose[has_refund], law.prescription_years)
        lapsed[has_refund] = context.as_of[case[has_refund]] > lapse_day
    out["has_refund"][rows] = has_refund
    out["cause"][rows] = np.where(has_refund, cause, 0)
    out["liability_car_tax"][rows] = liability_car
    out["liability_edu_tax"][rows] = liability_edu
    out["refund_car_tax"][rows] = np.where(has_refund, refund_car, 0)
    out["refund_edu_tax"][rows] = np.where(has_refund, refund_edu, 0)
    out["arose_on"][rows] = np.where(has_refund, arose, NAT).view(DAY)
    out["interest_from"][rows] = np.where(has_refund, start, NAT).view(DAY)
    out["interest"][rows] = interest
    out["lapsed"][rows] = lapsed


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


def _causes(
    context: _Context,
    case: Rows,
    in_half: tuple[Flags, Flags],
    paid_on: Int64,
    duplicate: Flags,
    prepayment: Flags,
) -> tuple[Codes, Int64]:
    """The cause of each refund, first match, and the day it arose (rules.md §6.3, §6.6, §9)."""
    days, held = context.days, context.figures.held
    in_h1, in_h2 = in_half
    exempt_h1 = in_h1 & (held.exempt[0][case] > 0)
    exempt_h2 = in_h2 & (held.exempt[1][case] > 0)
    ended = held.ended_on[case] != NAT
    last = held.last[case]
    span_start = np.where(in_h1, days.half_start[0], days.half_start[1])
    span_end = np.where(in_h2, days.half_end[1], days.half_end[0])
    ended_inside = ended & ~held.empty[case] & (span_start <= last) & (last <= span_end)
    held_none = (~in_h1 | (held.held[0][case] == 0)) & (~in_h2 | (held.held[1][case] == 0))
    conditions = [duplicate, exempt_h1 | exempt_h2, ended & prepayment, ended_inside, held_none]
    cause = np.select(
        conditions, [CAUSE["R3"], CAUSE["R6"], CAUSE["R1"], CAUSE["R2"], CAUSE["R4"]], CAUSE["R5"]
    )
    decided = np.maximum(
        np.where(exempt_h1, held.decision[0][case], NAT), np.where(exempt_h2, held.decision[1][case], NAT)
    )
    arose = np.where(cause == CAUSE["R1"], np.maximum(held.ended_on[case], paid_on), paid_on)
    arose = np.where(cause == CAUSE["R6"], decided, arose)
    return cause.astype(np.uint8), arose


def _interest(
    context: _Context, case: Rows, arose: Int64, refund: Int64, has_refund: Flags, via_grievance: Flags
) -> tuple[Int64, Int64]:
    """환급가산금 from the day after the refund arose to the decision day (rules.md §6.4): the first
    day (NAT where none) and the amount; none through a 고충민원 (기본법 §62③)."""
    law = context.law
    decision = context.decision[case]
    eligible = has_refund & (decision != NAT) & ~via_grievance
    start = np.where(eligible, arose + 1, NAT)
    interest = np.zeros(len(start), np.int64)
    counted = np.flatnonzero(eligible & (decision >= start) & (refund > 0))
    if not counted.size:
        return start, interest
    amount = refund[counted]
    rate_days = _rate_days_to(context, decision[counted]) - _rate_days_to(context, start[counted] - 1)
    fits("a refund times its rate-days", amount, rate_days)
    denominator = BASIS_POINTS * law.interest_day_count
    if law.interest_rounding == "floor10":
        interest[counted] = amount * rate_days // (10 * denominator) * 10
    else:
        interest[counted] = amount * rate_days // denominator
    return start, interest


def _rate_days_to(context: _Context, day: Int64) -> Int64:
    """Σ rate (bp) × days from the first rate's start to ``day`` inclusive, one look-up a row."""
    starts, rates, cumulative = context.rates
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
