"""Liability against each payment, refunds with their cause, interest, lapse and offset (rules.md §5–§6)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cartax.core.dates import ONE_DAY, add_years_clamped
from cartax.core.money import floor10
from cartax.rules.assessment import Q_DEN, Assessment, education_tax
from cartax.rules.holding import HeldDays
from cartax.rules.law import YearLaw
from cartax.rules.model import Cause, Holding, Payment, RefundLine, TraceStep

REF_PRORATION = ("지방세법 제129조", "지방세법 제130조", "지방세법 시행령 제126조")
REF_MINIMUM = ("지방세법 제130조제4항",)
REF_REFUND = ("지방세기본법 제60조", "지방세기본법 시행령 제37조")
REF_PASSED_ON = ("지방세법 제130조제3항",)
REF_INTEREST = ("지방세기본법 제62조", "지방세기본법 시행령 제43조")
REF_PRESCRIPTION = ("지방세기본법 제64조",)
REF_OFFSET = ("지방세기본법 제60조제2항", "지방세기본법 시행령 제37조")


@dataclass(frozen=True, slots=True)
class Liability:
    """The gross liability ℓ(S) against one payment's span and how it was reached."""

    gross_num: int  # ℓ(S) = gross_num / gross_den, exact
    gross_den: int
    prorated: bool
    below_minimum: bool
    span_q_num: int  # Σ q_k over the span, over Q_DEN


def refund_lines(
    payments: tuple[Payment, ...],
    assessment: Assessment,
    held: HeldDays,
    holding: Holding,
    law: YearLaw,
    decision_on: date | None,
    as_of: date,
) -> tuple[tuple[RefundLine, ...], tuple[TraceStep, ...]]:
    """One refund line per payment with a positive refund, in payment order, and the steps that led to it."""
    ordered = sorted(payments, key=lambda payment: payment.paid_on)  # stable: ties keep request order
    covered = 0
    lines: list[RefundLine] = []
    steps: list[TraceStep] = []
    for payment in ordered:
        span = payment.kind.span
        if span & ~covered == 0:
            line = _line(payment, Cause.DUPLICATE, 0, 0, payment.paid_on, law, decision_on, as_of)
            lines.append(line)
            steps.append(_refund_step(payment, line, held, law, below_minimum=False))
            continue
        covered |= span
        if holding.prepayment_passed_on and payment.kind.is_discounted:
            steps.append(TraceStep("prepayment_passed_on", payment.id, REF_PASSED_ON, {}, {"refund": 0}))
            continue
        liability = gross_liability(span, assessment, held, law)
        car, edu = _liabilities(payment, liability, assessment, law)
        if payment.car_tax - car <= 0 and payment.edu_tax - edu <= 0:
            steps.append(_liability_step(payment, liability, car, edu, law))
            continue
        cause, arose = _cause(payment, span, held, law)
        line = _line(payment, cause, car, edu, arose, law, decision_on, as_of)
        lines.append(line)
        steps.append(_liability_step(payment, liability, car, edu, law))
        steps.append(_refund_step(payment, line, held, law, below_minimum=liability.below_minimum))
    return tuple(lines), tuple(steps)


def gross_liability(span: int, assessment: Assessment, held: HeldDays, law: YearLaw) -> Liability:
    """ℓ(S): unprorated when every day of S is held and none exempt; otherwise by days (영 §126).

    Kept as an exact integer fraction: half-year basis q_k × w_k / D_k, annual basis A × w_k / Yd, with
    w_k in half-days (so the denominators carry a factor 2).
    """
    year = law.tax_year
    halves = [index for index in (0, 1) if span >> index & 1]
    span_q = sum(assessment.q_num[index] for index in halves)
    whole = all(held.held[index] == law.halves[index][2] and held.exempt_held[index] == 0 for index in halves)
    if whole:
        return Liability(span_q, Q_DEN, False, False, span_q)
    num, den = 0, 1
    for index in halves:
        if assessment.half_year_basis[index]:
            term_num = assessment.q_num[index] * held.weights[index]
            term_den = Q_DEN * 2 * law.halves[index][2]
        else:
            term_num = assessment.base * held.weights[index]
            term_den = 2 * year.days
        num, den = num * term_den + term_num * den, den * term_den
    below_minimum = 0 < num < law.minimum_tax * den
    if num < law.minimum_tax * den:
        num = 0
    return Liability(num, den, True, below_minimum, span_q)


def _liabilities(
    payment: Payment, liability: Liability, assessment: Assessment, law: YearLaw
) -> tuple[int, int]:
    if payment.kind.is_discounted and law.prepaid_refund_basis == "paid":
        if not liability.prorated:
            return payment.car_tax, payment.edu_tax
        # paid_x × ℓ(S) / Σq: Σq = span_q_num / Q_DEN
        num = liability.gross_num * Q_DEN
        den = liability.gross_den * liability.span_q_num
        if den == 0:
            return 0, 0
        return floor10(payment.car_tax * num, den), floor10(payment.edu_tax * num, den)
    car = floor10(liability.gross_num, liability.gross_den)
    return car, education_tax(car, law, assessment.edu_applies)


def _cause(payment: Payment, span: int, held: HeldDays, law: YearLaw) -> tuple[Cause, date]:
    halves = [index for index in (0, 1) if span >> index & 1]
    span_start = law.halves[halves[0]][0]
    span_end = law.halves[halves[-1]][1]
    if any(held.exempt_held[index] for index in halves):
        decided = max(day for index in halves for day in held.exemption_decisions[index])
        return Cause.EXEMPTION, decided
    if held.ended_on is not None and payment.kind.is_prepayment:
        return Cause.PREPAID_THEN_ENDED, max(held.ended_on, payment.paid_on)
    if held.ended_on is not None and held.last_held_in(span_start, span_end):
        return Cause.BILL_THEN_ENDED, payment.paid_on
    if all(held.held[index] == 0 for index in halves):
        return Cause.HELD_NO_DAY, payment.paid_on
    return Cause.OVER_ASSESSED, payment.paid_on


def _line(
    payment: Payment,
    cause: Cause,
    liability_car: int,
    liability_edu: int,
    arose: date,
    law: YearLaw,
    decision_on: date | None,
    as_of: date,
) -> RefundLine:
    refund_car = max(0, payment.car_tax - liability_car)
    refund_edu = max(0, payment.edu_tax - liability_edu)
    interest_from: date | None = None
    interest = 0
    if decision_on is not None and not payment.via_grievance:
        interest_from = arose + ONE_DAY
        interest = refund_interest(refund_car + refund_edu, interest_from, decision_on, law)
    lapsed = as_of > add_years_clamped(arose, law.prescription_years)
    return RefundLine(
        payment.id,
        cause,
        liability_car,
        liability_edu,
        refund_car,
        refund_edu,
        arose,
        interest_from,
        interest,
        lapsed,
    )


def refund_interest(refund: int, first: date, last: date, law: YearLaw) -> int:
    """환급가산금: refund × Σ(rate × days in each rate segment) / 365 from ``first`` to ``last`` inclusive."""
    if last < first or refund <= 0:
        return 0
    rate_days = _rate_days_table(law).between(first, last)
    numerator = refund * rate_days
    denominator = 10_000 * law.interest_day_count
    if law.interest_rounding == "floor10":
        return floor10(numerator, denominator)
    return numerator // denominator


@dataclass(frozen=True, slots=True)
class _RateDays:
    """Σ rate × days from the first rate's start to each day of a window, so any span is one subtraction."""

    start: int  # ordinal of the first day in the table
    cumulative: tuple[int, ...]  # cumulative[i]: Σ bp over days start .. start + i
    rates: tuple[tuple[date, int], ...]

    def between(self, first: date, last: date) -> int:
        lo, hi = first.toordinal() - self.start, last.toordinal() - self.start
        if lo < 1 or hi >= len(self.cumulative):
            return interest_rate_days(first, last, self.rates)
        return self.cumulative[hi] - self.cumulative[lo - 1]


def _rate_days_table(law: YearLaw) -> _RateDays:
    """The table for interest decided up to ten years after the tax year, built once per year law."""
    table = law.memo.get("interest_rate_days")
    if table is None:
        first = law.interest_rates[0][0]
        last = date(law.tax_year.year + 10, 12, 31)
        running, cumulative = 0, []
        index, rates = 0, law.interest_rates
        day = first
        while day <= last:
            while index + 1 < len(rates) and rates[index + 1][0] <= day:
                index += 1
            running += rates[index][1]
            cumulative.append(running)
            day += ONE_DAY
        table = law.memo["interest_rate_days"] = _RateDays(first.toordinal(), tuple(cumulative), rates)
    return table


def interest_rate_days(first: date, last: date, rates: tuple[tuple[date, int], ...]) -> int:
    """Σ rate(bp) × days over the rate segments that [first, last] crosses."""
    total = 0
    for index, (start, bp) in enumerate(rates):
        end = rates[index + 1][0] - ONE_DAY if index + 1 < len(rates) else last
        lo, hi = max(first, start), min(last, end)
        if lo <= hi:
            total += bp * ((hi - lo).days + 1)
    return total


def _liability_step(payment: Payment, liability: Liability, car: int, edu: int, law: YearLaw) -> TraceStep:
    refs = REF_PRORATION + (REF_MINIMUM if liability.below_minimum else ())
    params: dict[str, object] = {"minimum_tax": law.minimum_tax}
    if payment.kind.is_discounted:
        params["prepaid_refund_basis"] = law.prepaid_refund_basis
    return TraceStep(
        "liability",
        {"car_tax": car, "edu_tax": edu},
        refs,
        params,
        {
            "payment_id": payment.id,
            "kind": payment.kind.value,
            "gross": f"{liability.gross_num}/{liability.gross_den}",
            "prorated": liability.prorated,
            "below_minimum": liability.below_minimum,
        },
    )


def _refund_step(
    payment: Payment, line: RefundLine, held: HeldDays, law: YearLaw, *, below_minimum: bool
) -> TraceStep:
    halves = [index for index in (0, 1) if payment.kind.span >> index & 1]
    span_days = sum(law.halves[index][2] for index in halves)
    held_in_span = sum(held.held[index] for index in halves)
    refs = REF_REFUND + (REF_INTEREST if line.interest_from else ()) + REF_PRESCRIPTION
    return TraceStep(
        "refund",
        line.refund,
        refs,
        {"prescription_years": law.prescription_years, "interest_rounding": law.interest_rounding},
        {
            "payment_id": payment.id,
            "kind": payment.kind.value,
            "cause": line.cause.value,
            "arose_on": line.arose_on.isoformat(),
            "interest_from": line.interest_from.isoformat() if line.interest_from else None,
            "interest": line.interest,
            "lapsed": line.lapsed,
            "via_grievance": payment.via_grievance,
            "paid_on": payment.paid_on.isoformat(),
            "span_days": span_days,
            "held_days": held_in_span,
            "below_minimum": below_minimum,
        },
    )
