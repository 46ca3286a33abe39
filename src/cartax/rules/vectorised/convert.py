"""Between the model's objects and the columns: for tests, for small batches, and for explaining
one row of a large batch with the scalar path's own objects."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from cartax.rules.model import CalcRequest, Cause, HalfYearBill, PrepayOption, RefundLine, Vehicle
from cartax.rules.vectorised import codes
from cartax.rules.vectorised.assessment import AssessmentColumns, PrepayColumns
from cartax.rules.vectorised.columns import (
    DAY,
    CaseColumns,
    Days,
    ExemptionColumns,
    PaymentColumns,
    VehicleColumns,
)
from cartax.rules.vectorised.refunds import RefundColumns


def _days(values: Sequence[date | None]) -> Days:
    return np.array([None if day is None else day.isoformat() for day in values], DAY)


def vehicle_columns(vehicles: Sequence[Vehicle]) -> VehicleColumns:
    return VehicleColumns(
        category=np.array([codes.code_of(codes.CATEGORIES, v.category) for v in vehicles], np.uint8),
        use=np.array([codes.code_of(codes.USES, v.use) for v in vehicles], np.uint8),
        displacement_cc=np.array([v.displacement_cc or 0 for v in vehicles], np.int32),
        load_kg=np.array([v.load_kg or 0 for v in vehicles], np.int32),
        van_class=np.array([_class_code(codes.VAN_CLASSES, v.van_class) for v in vehicles], np.uint8),
        special_class=np.array(
            [_class_code(codes.SPECIAL_CLASSES, v.special_class) for v in vehicles], np.uint8
        ),
        first_registered_on=_days([v.first_registered_on for v in vehicles]),
        manufactured_year=np.array([v.manufactured_year for v in vehicles], np.int16),
    )


def _class_code(vocabulary: tuple[str, ...], value: str | None) -> int:
    """An unknown class keeps no code: the assessment then rejects the row with the scalar message."""
    return codes.code_of(vocabulary, value) if value in vocabulary else codes.NO_CLASS


def vehicle_at(columns: VehicleColumns, row: int) -> Vehicle:
    """Row ``row`` as the scalar path's :class:`Vehicle` (to explain or to recompute it)."""
    category = codes.CATEGORIES[int(columns.category[row])]
    van, special = int(columns.van_class[row]), int(columns.special_class[row])
    return Vehicle(
        category=category,
        use=codes.USES[int(columns.use[row])],
        first_registered_on=columns.first_registered_on[row].item(),
        manufactured_year=int(columns.manufactured_year[row]),
        displacement_cc=int(columns.displacement_cc[row]) if category == "passenger" else None,
        van_class=codes.VAN_CLASSES[van] if category == "van" and van < len(codes.VAN_CLASSES) else None,
        special_class=(
            codes.SPECIAL_CLASSES[special]
            if category == "special" and special < len(codes.SPECIAL_CLASSES)
            else None
        ),
        load_kg=int(columns.load_kg[row]) if category == "truck" else None,
    )


@dataclass(frozen=True, slots=True)
class RequestColumns:
    """Requests of one tax year and district as columns: one case a request, payments in request order."""

    vehicles: VehicleColumns
    cases: CaseColumns
    payments: PaymentColumns
    exemptions: ExemptionColumns
    payment_ids: tuple[str, ...]


def request_columns(requests: Sequence[CalcRequest], today: date) -> RequestColumns:
    """``today`` resolves ``as_of`` where a request names neither it nor ``decision_on``, as ``calculate``."""
    payments = [(case, p) for case, request in enumerate(requests) for p in request.payments]
    exemptions = [(case, e) for case, request in enumerate(requests) for e in request.exemptions]
    holdings = [request.holding for request in requests]
    return RequestColumns(
        vehicles=vehicle_columns([request.vehicle for request in requests]),
        cases=CaseColumns(
            start_event=np.array([codes.START_EVENTS.index(h.start_event) for h in holdings], np.uint8),
            start_date=_days([h.start_date for h in holdings]),
            end_event=np.array([codes.END_EVENTS.index(h.end_event) for h in holdings], np.uint8),
            end_date=_days([h.end_date for h in holdings]),
            prepayment_passed_on=np.array([h.prepayment_passed_on for h in holdings], np.bool_),
            decision_on=_days([request.decision_on for request in requests]),
            as_of=_days([request.as_of or request.decision_on or today for request in requests]),
            held_no_day=np.array([h.held_no_day for h in holdings], np.bool_),
        ),
        payments=PaymentColumns(
            case=np.array([case for case, _ in payments], np.int32),
            kind=np.array([codes.PAYMENT_KINDS.index(p.kind) for _, p in payments], np.uint8),
            paid_on=_days([p.paid_on for _, p in payments]),
            car_tax=np.array([p.car_tax for _, p in payments], np.int64),
            edu_tax=np.array([p.edu_tax for _, p in payments], np.int64),
            via_grievance=np.array([p.via_grievance for _, p in payments], np.bool_),
        ),
        exemptions=ExemptionColumns(
            case=np.array([case for case, _ in exemptions], np.int32),
            rate_pct=np.array([e.rate_pct for _, e in exemptions], np.uint8),
            effective_from=_days([e.effective_from for _, e in exemptions]),
            decided_on=_days([e.decided_on for _, e in exemptions]),
            applied_on=_days([e.applied_on for _, e in exemptions]),
        ),
        payment_ids=tuple(p.id for _, p in payments),
    )


def half_year_bills_at(assessment: AssessmentColumns, row: int) -> tuple[HalfYearBill, HalfYearBill]:
    a = assessment
    return (
        HalfYearBill(
            1, int(a.age_h1[row]), int(a.reduction_pct_h1[row]), int(a.bill_h1[row]), int(a.edu_h1[row])
        ),
        HalfYearBill(
            2, int(a.age_h2[row]), int(a.reduction_pct_h2[row]), int(a.bill_h2[row]), int(a.edu_h2[row])
        ),
    )


def prepay_options_at(options: dict[str, PrepayColumns], row: int) -> tuple[PrepayOption, ...]:
    return tuple(
        PrepayOption(
            window,
            int(o.deduction_car_tax[row]),
            int(o.deduction_edu_tax[row]),
            int(o.due_car_tax[row]),
            int(o.due_edu_tax[row]),
        )
        for window, o in options.items()
    )


def refund_lines_by_case(
    refunds: RefundColumns, payments: PaymentColumns, payment_ids: Sequence[str], n_cases: int
) -> list[tuple[RefundLine, ...]]:
    """Each case's refund lines in payment order (paid_on, then input order), as ``calculate`` lists them."""
    by_case: list[list[RefundLine]] = [[] for _ in range(n_cases)]
    order = np.lexsort((payments.paid_on.view(np.int64), payments.case))
    for row in order[refunds.has_refund[order]]:
        by_case[int(payments.case[row])].append(_line(refunds, int(row), payment_ids[row]))
    return [tuple(lines) for lines in by_case]


def _line(refunds: RefundColumns, row: int, payment_id: str) -> RefundLine:
    r = refunds
    cause = codes.CAUSES[int(r.cause[row])]
    if not isinstance(cause, Cause):
        raise ValueError(f"row {row} has a refund line but no cause")
    interest_from = r.interest_from[row]
    return RefundLine(
        payment_id=payment_id,
        cause=cause,
        liability_car_tax=int(r.liability_car_tax[row]),
        liability_edu_tax=int(r.liability_edu_tax[row]),
        refund_car_tax=int(r.refund_car_tax[row]),
        refund_edu_tax=int(r.refund_edu_tax[row]),
        arose_on=r.arose_on[row].item(),
        interest_from=None if np.isnat(interest_from) else interest_from.item(),
        interest=int(r.interest[row]),
        lapsed=bool(r.lapsed[row]),
    )
