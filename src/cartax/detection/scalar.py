"""The scalar engine over a case batch: one exact calculation per case, the oracle of the vectorised one."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import polars as pl

from cartax.detection.cases import CaseBatch
from cartax.rules import Law, calculate
from cartax.rules.model import (
    CalcRequest,
    Category,
    EndEvent,
    Exemption,
    Holding,
    Payment,
    PaymentKind,
    StartEvent,
    Use,
    Vehicle,
)

REFUND_SCHEMA: dict[str, Any] = {
    "case": pl.Int64,
    "seq": pl.Int64,
    "payment_id": pl.String,
    "cause": pl.String,
    "liability_car_tax": pl.Int64,
    "liability_edu_tax": pl.Int64,
    "refund_car_tax": pl.Int64,
    "refund_edu_tax": pl.Int64,
    "arose_on": pl.Date,
    "interest_from": pl.Date,
    "interest": pl.Int64,
    "lapsed": pl.Boolean,
}


def compute_scalar(batch: CaseBatch, law: Law, decision_on: date) -> pl.DataFrame:
    """Refund lines of every case, one row per refunded payment (``REFUND_SCHEMA``)."""
    rows: list[tuple[Any, ...]] = []
    for case, request, seq_of in _requests(batch, decision_on):
        result = calculate(request, law, decision_on)
        for line in result.refunds:
            rows.append(
                (
                    case,
                    seq_of[line.payment_id],
                    line.payment_id,
                    line.cause.value,
                    line.liability_car_tax,
                    line.liability_edu_tax,
                    line.refund_car_tax,
                    line.refund_edu_tax,
                    line.arose_on,
                    line.interest_from,
                    line.interest,
                    line.lapsed,
                )
            )
    return pl.DataFrame(rows, schema=REFUND_SCHEMA, orient="row")


def request_of(
    case: dict[str, Any],
    payments: list[dict[str, Any]],
    exemptions: list[dict[str, Any]],
    tax_year: int,
    decision_on: date | None,
) -> CalcRequest:
    """The calculation request of one case, as the contract would state it."""
    vehicle = Vehicle(
        Category(case["category"]),
        Use(case["use"]),
        case["first_registered_on"],
        case["manufactured_year"],
        case["displacement_cc"],
        case["van_class"],
        case["special_class"],
        case["load_kg"],
    )
    if case["held_no_day"]:
        holding = Holding(held_no_day=True)
    else:
        holding = Holding(
            StartEvent(case["start_event"]),
            case["start_date"],
            EndEvent(case["end_event"]),
            case["end_date"],
            case["prepayment_passed_on"],
        )
    return CalcRequest(
        id=case["case_key"],
        tax_year=tax_year,
        district=case["district"],
        vehicle=vehicle,
        holding=holding,
        exemptions=tuple(Exemption(e["rate_pct"], e["effective_from"], e["decided_on"]) for e in exemptions),
        payments=tuple(
            Payment(
                p["payment_id"],
                PaymentKind(p["kind"]),
                p["paid_on"],
                p["car_tax"],
                p["edu_tax"],
                p["via_grievance"],
            )
            for p in payments
        ),
        decision_on=decision_on,
        as_of=decision_on,
    )


def _requests(batch: CaseBatch, decision_on: date) -> Iterator[tuple[int, CalcRequest, dict[str, int]]]:
    payments = _by_case(batch.payments)
    exemptions = _by_case(batch.exemptions)
    for case in batch.cases.iter_rows(named=True):
        index = case["case"]
        own = payments.get(index, [])
        request = request_of(case, own, exemptions.get(index, []), batch.tax_year, decision_on)
        yield index, request, {p["payment_id"]: p["seq"] for p in own}


def _by_case(frame: pl.DataFrame) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in frame.iter_rows(named=True):
        grouped.setdefault(row["case"], []).append(row)
    return grouped
