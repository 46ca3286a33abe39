"""The vectorised path computes exactly the scalar path's figures, for every field of every row.

Random batches of requests (all categories and uses, ages, holdings, exemptions, payment kinds,
duplicates, grievances, decisions across interest-rate changes, lapse, tax years 2020–2027), under
the shipped law and under laws with every ⚙ reading switched, go through ``calculate`` one by one
and through the vectorised path one batch per tax year and district; the worked cases too.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cartax.rules import Law, Parameter, calculate, default_law, parse_request
from cartax.rules.assessment import assess
from cartax.rules.model import (
    CalcRequest,
    Category,
    Cause,
    EndEvent,
    Exemption,
    Holding,
    Payment,
    PaymentKind,
    StartEvent,
    Use,
    Vehicle,
)
from cartax.rules.vectorised import (
    ColumnError,
    PaymentColumns,
    assess_columns,
    case_totals,
    codes,
    half_year_bills_at,
    prepay_options_at,
    refund_columns,
    refund_lines_by_case,
    request_columns,
)
from cartax.rules.vectorised import assessment as vectorised_assessment
from cartax.rules.vectorised import refunds as vectorised_refunds

TODAY = date(2026, 11, 25)
VECTORS = Path(__file__).resolve().parents[3].parent / "shared" / "domain" / "vectors.jsonl"
SHIPPED = default_law()


def law_switched(**values: Any) -> Law:
    """The shipped rule set with some parameters given one value from 2020 on."""
    rules = SHIPPED.rule_set
    parameters = dict(rules.parameters)
    for name, value in values.items():
        old = parameters[name]
        parameters[name] = Parameter(
            name, old.description, old.unit, old.reference, ((date(2019, 1, 1), value),)
        )
    return Law(replace(rules, parameters=parameters))


SWITCHED = law_switched(
    truck_block_rounding="floor",
    transfer_day_owner="seller",
    deregistration_day_taxed=False,
    prepaid_refund_basis="gross",
    interest_rounding="floor",
    exemption_retroactive=False,
    prepay_june_formula="second_half_bill",
    local_rate_percent={"default": 150, "districts": {"26110": 50}},
)
HALF_RATE = law_switched(local_rate_percent={"default": 100, "districts": {"26110": 50, "41110": 120}})
LAWS = (SHIPPED, SHIPPED, SWITCHED, HALF_RATE)
DISTRICTS = ("11110", "26110", "41110")

CC_EDGES = (1, 999, 1000, 1001, 1600, 1601, 2000, 2001, 2500, 2501, 10_000)
LOAD_EDGES = (1, 1000, 1001, 10_000, 10_001, 19_999, 20_000, 20_001, 99_999)
MONEY = st.one_of(st.integers(0, 10**8), st.sampled_from((0, 1, 9, 10, 1999, 2000, 10**8 - 1, 10**8)))


def days_between(first: date, last: date) -> st.SearchStrategy[date]:
    """Any day of [first, last], with the half-year boundaries of its years drawn more often."""
    last = max(first, last)
    edges = [
        date(year, month, day)
        for year in range(first.year, last.year + 1)
        for month, day in ((1, 1), (1, 2), (6, 30), (7, 1), (7, 2), (12, 31))
    ]
    edges = [day for day in edges if first <= day <= last]
    uniform = st.dates(min_value=first, max_value=last)
    return st.one_of(uniform, st.sampled_from(edges)) if edges else uniform


@st.composite
def vehicles(draw: st.DrawFn, law: Law, year: int) -> Vehicle:
    category = draw(st.sampled_from(list(Category)))
    use = draw(st.sampled_from(list(Use)))
    year_law = law.year(year, "11110")
    made = draw(st.integers(year - 25, year))
    first = draw(days_between(date(made, 1, 1), date(min(made + 2, year), 12, 31)))
    return Vehicle(
        category=category,
        use=use,
        first_registered_on=first,
        manufactured_year=made,
        displacement_cc=draw(st.one_of(st.sampled_from(CC_EDGES), st.integers(1, 10_000))),
        van_class=draw(st.sampled_from(sorted(year_law.van[use.value]))),
        special_class=draw(st.sampled_from(sorted(year_law.special[use.value]))),
        load_kg=draw(st.one_of(st.sampled_from(LOAD_EDGES), st.integers(1, 99_999))),
    )


@st.composite
def holdings(draw: st.DrawFn, vehicle: Vehicle, year: int) -> Holding:
    earliest = max(vehicle.first_registered_on, date(year, 1, 1))
    starts = [StartEvent.NEW_REGISTRATION, StartEvent.TRANSFER]
    if vehicle.first_registered_on.year < year:
        starts.append(StartEvent.HELD)
    start_event = draw(st.sampled_from(starts))
    start_date = None if start_event is StartEvent.HELD else draw(days_between(earliest, date(year, 12, 31)))
    end_event = draw(st.sampled_from(list(EndEvent)))
    end_from = start_date or date(year, 1, 1)
    # Ending on the start day makes an empty holding (rules.md §9) often enough to be tested.
    end_date = None
    if end_event is not EndEvent.HELD:
        end_date = draw(st.one_of(st.just(end_from), days_between(end_from, date(year, 12, 31))))
    passed = end_event is EndEvent.TRANSFER and draw(st.booleans())
    # Detection marks a payer who held no day of the year (rules/model.py Holding.held_no_day).
    no_day = draw(st.sampled_from((False,) * 7 + (True,)))
    return Holding(start_event, start_date, end_event, end_date, passed, held_no_day=no_day)


@st.composite
def exemptions(draw: st.DrawFn, year: int) -> tuple[Exemption, ...]:
    count = draw(st.sampled_from((0, 0, 0, 1, 2, 3)))
    items = []
    for _ in range(count):
        effective = draw(days_between(date(year - 1, 6, 1), date(year + 1, 3, 1)))
        decided = draw(days_between(effective - timedelta(days=30), date(year + 1, 12, 31)))
        applied = draw(st.none() | days_between(effective, decided))
        items.append(Exemption(draw(st.sampled_from((100, 50))), effective, decided, applied))
    return tuple(items)


@st.composite
def payments(draw: st.DrawFn, vehicle: Vehicle, law: Law, year: int) -> tuple[Payment, ...]:
    assessment = assess(vehicle, law.year(year, "11110"))
    due = {
        PaymentKind.BILL_H1: (assessment.bills[0], assessment.edu_bills[0]),
        PaymentKind.BILL_H2: (assessment.bills[1], assessment.edu_bills[1]),
        PaymentKind.JUNE_LUMP: (assessment.annual_car_tax, assessment.annual_edu_tax),
    }
    for option in assessment.prepay_options:
        due[PaymentKind(f"prepay_{option.window}")] = (option.due_car_tax, option.due_edu_tax)
    # A few shared dates make ties in paid_on (kept in request order).
    dates = st.one_of(
        days_between(date(year, 1, 1), date(year + 1, 6, 30)),
        st.sampled_from((date(year, 1, 20), date(year, 6, 30))),
    )
    items = []
    for index in range(draw(st.integers(0, 5))):
        kind = draw(st.sampled_from(list(PaymentKind)))
        car, edu = draw(st.one_of(st.just(due[kind]), st.tuples(MONEY, MONEY)))
        items.append(Payment(f"p{index}", kind, draw(dates), car, edu, draw(st.booleans())))
    return tuple(items)


@st.composite
def requests(draw: st.DrawFn, law: Law) -> CalcRequest:
    year = draw(st.integers(2020, 2027))
    vehicle = draw(vehicles(law, year))
    holding = draw(holdings(vehicle, year))
    decision = draw(st.none() | days_between(date(year, 1, 1), date(year + 7, 12, 31)))
    as_of = draw(st.none() | days_between(date(year, 1, 1), date(year + 8, 12, 31)))
    return CalcRequest(
        id=f"r{draw(st.integers(0, 10**6))}",
        tax_year=year,
        district=draw(st.sampled_from(DISTRICTS)),
        vehicle=vehicle,
        holding=holding,
        exemptions=draw(exemptions(year)),
        payments=draw(payments(vehicle, law, year)),
        decision_on=decision,
        as_of=as_of,
    )


@st.composite
def batches(draw: st.DrawFn) -> tuple[Law, list[CalcRequest]]:
    law = draw(st.sampled_from(LAWS))
    return law, draw(st.lists(requests(law), min_size=1, max_size=8))


def assert_equal_by_batch(law: Law, batch: Sequence[CalcRequest]) -> None:
    """Scalar one by one, vectorised one batch per (tax year, district): every figure equal."""
    groups: dict[tuple[int, str], list[CalcRequest]] = defaultdict(list)
    for request in batch:
        groups[(request.tax_year, request.district)].append(request)
    for (year, district), group in groups.items():
        year_law = law.year(year, district)
        columns = request_columns(group, TODAY)
        assessment = assess_columns(year_law, columns.vehicles)
        options = assessment.prepay_options()
        refunds = refund_columns(year_law, assessment, columns.cases, columns.payments, columns.exemptions)
        lines = refund_lines_by_case(refunds, columns.payments, columns.payment_ids, len(group))
        refund, interest = case_totals(refunds, columns.payments, len(group))
        for row, request in enumerate(group):
            expected = calculate(request, law, TODAY)
            assert int(assessment.base[row]) == expected.base
            assert int(assessment.annual_car_tax[row]) == expected.annual_car_tax
            assert int(assessment.annual_edu_tax[row]) == expected.annual_edu_tax
            assert half_year_bills_at(assessment, row) == expected.half_years
            assert prepay_options_at(options, row) == expected.prepay_options
            assert lines[row] == expected.refunds
            assert (int(refund[row]), int(interest[row])) == (
                expected.totals.refund,
                expected.totals.interest,
            )


SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(batches())
def test_random_batches_match_the_scalar_path(batch: tuple[Law, list[CalcRequest]]) -> None:
    assert_equal_by_batch(*batch)


@st.composite
def extreme_requests(draw: st.DrawFn) -> CalcRequest:
    """The largest figures the law produces: 10,000cc cars, 99,999kg trucks, 10^8원 payments, leap years."""
    year = draw(st.sampled_from((2020, 2024, 2027)))
    kind = draw(st.sampled_from(((Category.PASSENGER, 10_000, None), (Category.TRUCK, None, 99_999))))
    vehicle = Vehicle(
        kind[0], draw(st.sampled_from(list(Use))), date(year - 15, 2, 1), year - 15, kind[1], load_kg=kind[2]
    )
    end = draw(days_between(date(year, 1, 2), date(year, 12, 31)))
    holding = Holding(
        end_event=draw(st.sampled_from((EndEvent.TRANSFER, EndEvent.DEREGISTRATION))), end_date=end
    )
    amounts = st.sampled_from((10**8, 10**8 - 1, 99_999_990))
    paid = [
        Payment(
            f"p{i}", draw(st.sampled_from(list(PaymentKind))), date(year, 1, 20), draw(amounts), draw(amounts)
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    return CalcRequest(
        "x", year, "26110", vehicle, holding, draw(exemptions(year)), tuple(paid), date(year + 5, 12, 31), 0
    )


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(LAWS), st.lists(extreme_requests(), min_size=1, max_size=4))
def test_extreme_figures_stay_exact(law: Law, batch: list[CalcRequest]) -> None:
    assert_equal_by_batch(law, batch)


@pytest.mark.parametrize("held_days", [1, 2, 3])
def test_the_2000_won_minimum_at_its_boundary(held_days: int) -> None:
    """1,825cc private car aged 1 (annual basis, A = 365,000): ℓ = 1,000원 a held day of 2026."""
    request = CalcRequest(
        "x",
        2026,
        "11110",
        Vehicle(Category.PASSENGER, Use.PRIVATE, date(2025, 3, 1), 2025, 1825),
        Holding(end_event=EndEvent.TRANSFER, end_date=date(2026, 1, 1) + timedelta(days=held_days)),
        (),
        (Payment("h1", PaymentKind.BILL_H1, date(2026, 1, 1), 182_500, 54_750),),
    )
    assert_equal_by_batch(SHIPPED, [request])
    liability = calculate(request, SHIPPED, TODAY).refunds[0].liability_car_tax
    assert liability == (0 if held_days == 1 else 1000 * held_days)


def test_amounts_beyond_64_bits_are_refused_not_wrapped() -> None:
    request = CalcRequest(
        "x",
        2026,
        "11110",
        Vehicle(Category.PASSENGER, Use.PRIVATE, date(2020, 1, 1), 2020, 1999),
        Holding(end_event=EndEvent.TRANSFER, end_date=date(2026, 7, 1)),
        (),
        (Payment("p", PaymentKind.PREPAY_JAN, date(2026, 1, 20), 10**15, 0),),
    )
    year_law = SHIPPED.year(2026, "11110")
    columns = request_columns([request], TODAY)
    assessment = assess_columns(year_law, columns.vehicles)
    with pytest.raises(ColumnError, match="64-bit"):
        refund_columns(year_law, assessment, columns.cases, columns.payments)


def test_payment_rows_in_any_order_give_the_same_lines() -> None:
    request = CalcRequest(
        "x",
        2026,
        "11110",
        Vehicle(Category.PASSENGER, Use.PRIVATE, date(2020, 1, 1), 2020, 1999),
        Holding(end_event=EndEvent.TRANSFER, end_date=date(2026, 7, 1)),
        (),
        (
            Payment("late", PaymentKind.BILL_H2, date(2026, 12, 20), 150_000, 45_000),
            Payment("jan", PaymentKind.PREPAY_JAN, date(2026, 1, 20), 300_000, 90_000),
            Payment("again", PaymentKind.PREPAY_JAN, date(2026, 1, 20), 300_000, 90_000),
        ),
        decision_on=date(2026, 8, 1),
    )
    year_law = SHIPPED.year(2026, "11110")
    columns = request_columns([request], TODAY)
    assessment = assess_columns(year_law, columns.vehicles)
    given_order = refund_columns(year_law, assessment, columns.cases, columns.payments, columns.exemptions)
    order = np.array([1, 2, 0])
    p = columns.payments
    sorted_payments = PaymentColumns(
        p.case[order],
        p.kind[order],
        p.paid_on[order],
        p.car_tax[order],
        p.edu_tax[order],
        p.via_grievance[order],
    )
    in_order = refund_columns(year_law, assessment, columns.cases, sorted_payments, columns.exemptions)
    assert in_order.cause.tolist() == given_order.cause[order].tolist()
    assert in_order.refund_car_tax.tolist() == given_order.refund_car_tax[order].tolist()
    causes = [codes.CAUSES[code] for code in given_order.cause]
    assert causes == [
        Cause.DUPLICATE,
        Cause.PREPAID_THEN_ENDED,
        Cause.DUPLICATE,
    ]  # the H2 bill and the 2nd jan


def load_vectors() -> list[dict[str, Any]]:
    if not VECTORS.is_file():
        pytest.skip(
            f"the worked cases (shared/domain/vectors.jsonl) are not beside the repository at {VECTORS}"
        )
    return [json.loads(line) for line in VECTORS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("chunk_rows", [None, 4])
def test_every_worked_case_through_the_vectorised_path(
    chunk_rows: int | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    if chunk_rows is not None:  # many small chunks on two threads: the same figures
        monkeypatch.setattr(vectorised_assessment, "CHUNK_ROWS", chunk_rows)
        monkeypatch.setattr(vectorised_refunds, "CHUNK_ROWS", chunk_rows)
    cases = load_vectors()
    groups: dict[tuple[int, str], list[tuple[dict[str, Any], CalcRequest]]] = defaultdict(list)
    for case in cases:
        request = parse_request(case["request"], SHIPPED.rule_set.first_year, SHIPPED.rule_set.last_year)
        groups[(request.tax_year, request.district)].append((case["expected"], request))
    checked = 0
    for (year, district), group in groups.items():
        year_law = SHIPPED.year(year, district)
        columns = request_columns([request for _, request in group], TODAY)
        assessment = assess_columns(year_law, columns.vehicles, workers=2)
        options = assessment.prepay_options()
        refunds = refund_columns(
            year_law, assessment, columns.cases, columns.payments, columns.exemptions, workers=2
        )
        lines = refund_lines_by_case(refunds, columns.payments, columns.payment_ids, len(group))
        refund, interest = case_totals(refunds, columns.payments, len(group))
        for row, (expected, _) in enumerate(group):
            assert vectorised_json(assessment, options, lines[row], row) == {
                key: expected[key] for key in ("annual", "half_years", "prepay_options", "refunds")
            }, expected["id"]
            assert int(refund[row]) == expected["totals"]["refund"]
            assert int(interest[row]) == expected["totals"]["interest"]
            checked += 1
    assert checked == len(cases) == 68


def vectorised_json(assessment: Any, options: Any, lines: Any, row: int) -> dict[str, Any]:
    return {
        "annual": {
            "base": int(assessment.base[row]),
            "car_tax": int(assessment.annual_car_tax[row]),
            "edu_tax": int(assessment.annual_edu_tax[row]),
        },
        "half_years": [
            {
                "half": h.half,
                "age": h.age,
                "reduction_pct": h.reduction_pct,
                "car_tax": h.car_tax,
                "edu_tax": h.edu_tax,
            }
            for h in half_year_bills_at(assessment, row)
        ],
        "prepay_options": [
            {
                "window": o.window,
                "deduction_car_tax": o.deduction_car_tax,
                "deduction_edu_tax": o.deduction_edu_tax,
                "due_car_tax": o.due_car_tax,
                "due_edu_tax": o.due_edu_tax,
            }
            for o in prepay_options_at(options, row)
        ],
        "refunds": [
            {
                "payment_id": line.payment_id,
                "cause": line.cause.value,
                "liability_car_tax": line.liability_car_tax,
                "liability_edu_tax": line.liability_edu_tax,
                "refund_car_tax": line.refund_car_tax,
                "refund_edu_tax": line.refund_edu_tax,
                "arose_on": line.arose_on.isoformat(),
                "interest_from": line.interest_from.isoformat() if line.interest_from else None,
                "interest": line.interest,
                "lapsed": line.lapsed,
            }
            for line in lines
        ],
    }
