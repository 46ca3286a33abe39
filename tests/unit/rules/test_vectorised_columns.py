"""The vectorised path's columns: checked on the way in; messages name the row and what is accepted."""

from __future__ import annotations

import doctest
import importlib
from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from cartax.rules import calculate, default_law
from cartax.rules.model import CalcRequest, Category, EndEvent, Holding, Payment, PaymentKind, Use, Vehicle
from cartax.rules.vectorised import (
    ColumnError,
    ExemptionColumns,
    PaymentColumns,
    VehicleColumns,
    assess_columns,
    codes,
    half_year_bills_at,
    refund_columns,
    request_columns,
    vehicle_at,
    vehicle_columns,
)

LAW = default_law()
YEAR_LAW = LAW.year(2026, "11110")
TODAY = date(2026, 11, 25)
CAR = Vehicle(Category.PASSENGER, Use.PRIVATE, date(2019, 5, 1), 2019, 1998)


@pytest.mark.parametrize("name", ["cartax.rules.vectorised.codes", "cartax.rules.vectorised.days"])
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0


def columns_with(vehicle: Vehicle, **changes: object) -> VehicleColumns:
    columns = vehicle_columns([vehicle])
    return replace(columns, **changes)


@pytest.mark.parametrize(
    ("vehicle", "message"),
    [
        (Vehicle(Category.VAN, Use.PRIVATE, date(2020, 1, 1), 2020, van_class="express"), "express"),
        (Vehicle(Category.VAN, Use.PRIVATE, date(2020, 1, 1), 2020), "van_class is required"),
        (Vehicle(Category.SPECIAL, Use.BUSINESS, date(2020, 1, 1), 2020), "special_class is required"),
        (Vehicle(Category.TRUCK, Use.PRIVATE, date(2020, 1, 1), 2020, load_kg=0), "load_kg"),
        (Vehicle(Category.PASSENGER, Use.PRIVATE, date(2020, 1, 1), 2020, 0), "displacement_cc"),
        (Vehicle(Category.PASSENGER, Use.PRIVATE, date(2027, 1, 1), 2026, 1000), "after tax year 2026"),
        (
            Vehicle(Category.PASSENGER, Use.PRIVATE, date(2019, 1, 1), 2020, 1000),
            "after the first registration",
        ),
    ],
)
def test_a_row_the_scalar_path_rejects_is_named_with_its_problem(vehicle: Vehicle, message: str) -> None:
    rows = vehicle_columns([CAR, CAR, vehicle])
    with pytest.raises(ColumnError, match=f"vehicles row 2: .*{message}"):
        assess_columns(YEAR_LAW, rows)


def test_codes_outside_their_vocabulary_are_refused_with_the_accepted_codes() -> None:
    with pytest.raises(ColumnError, match=r"vehicles.category row 0 has code 9; accepted: 0 = passenger"):
        columns_with(CAR, category=np.array([9]))
    with pytest.raises(ColumnError, match="different lengths"):
        columns_with(CAR, use=np.array([0, 0]))
    with pytest.raises(ColumnError, match="whole numbers"):
        columns_with(CAR, displacement_cc=np.array([1998.0]))
    with pytest.raises(ColumnError, match="beyond int16"):
        columns_with(CAR, manufactured_year=np.array([70_000]))
    with pytest.raises(ColumnError, match="datetime64"):
        columns_with(CAR, first_registered_on=np.array(["2019-05-01"]))


def test_payments_and_exemptions_are_checked() -> None:
    day = np.array(["2026-01-20"], "datetime64[D]")
    no_day = np.array(["NaT"], "datetime64[D]")
    with pytest.raises(ColumnError, match=r"payments\.car_tax row 0 is negative"):
        PaymentColumns(np.array([0]), np.array([0]), day, np.array([-1]), np.array([0]), np.array([False]))
    with pytest.raises(ColumnError, match=r"payments\.paid_on row 0 has no date"):
        PaymentColumns(np.array([0]), np.array([0]), no_day, np.array([1]), np.array([0]), np.array([False]))
    with pytest.raises(ColumnError, match="rate_pct row 0 is 70; accepted: 100 or 50"):
        ExemptionColumns(np.array([0]), np.array([70]), day, day, no_day)
    request = CalcRequest("x", 2026, "11110", CAR, Holding(), (), ())
    columns = request_columns([request], TODAY)
    stray = PaymentColumns(np.array([3]), np.array([0]), day, np.array([1]), np.array([0]), np.array([False]))
    assessment = assess_columns(YEAR_LAW, columns.vehicles)
    with pytest.raises(ColumnError, match=r"payments.case must index the 1 cases \(0..0\)"):
        refund_columns(YEAR_LAW, assessment, columns.cases, stray)


def test_a_row_comes_back_as_the_scalar_paths_vehicle() -> None:
    truck = Vehicle(Category.TRUCK, Use.BUSINESS, date(2021, 8, 1), 2021, load_kg=25_500)
    van = Vehicle(Category.VAN, Use.BUSINESS, date(2021, 8, 1), 2020, van_class="large_charter")
    columns = vehicle_columns([CAR, truck, van])
    assert [vehicle_at(columns, row) for row in range(3)] == [CAR, truck, van]


def test_money_is_int64_when_a_figure_needs_it_and_still_exact() -> None:
    huge = Vehicle(Category.PASSENGER, Use.PRIVATE, date(2010, 1, 1), 2010, 20_000_000)
    columns = vehicle_columns([huge, CAR])
    assessment = assess_columns(YEAR_LAW, columns)
    assert assessment.base.dtype == np.int64
    for row, vehicle in enumerate((huge, CAR)):
        request = CalcRequest("x", 2026, "11110", vehicle, Holding(), (), ())
        assert half_year_bills_at(assessment, row) == calculate(request, LAW, TODAY).half_years
    assert assess_columns(YEAR_LAW, vehicle_columns([CAR])).base.dtype == np.int32


def test_threads_and_chunks_do_not_change_a_figure() -> None:
    fleet = [
        CAR,
        Vehicle(Category.PASSENGER, Use.PRIVATE, date(2026, 8, 1), 2026, 2999),
        Vehicle(Category.TRUCK, Use.PRIVATE, date(2012, 3, 1), 2011, load_kg=45_000),
        Vehicle(Category.SPECIAL, Use.PRIVATE, date(2012, 3, 1), 2011, special_class="small"),
        Vehicle(Category.PASSENGER_OTHER, Use.BUSINESS, date(2023, 3, 1), 2023),
    ]
    small = vehicle_columns(fleet)
    many = VehicleColumns(*(np.tile(getattr(small, name), 40_000) for name in VehicleColumns.__slots__))
    one, two = assess_columns(YEAR_LAW, many, workers=1), assess_columns(YEAR_LAW, many, workers=2)
    for name in ("base", "age_h1", "age_h2", "bill_h1", "bill_h2", "edu_h1", "edu_h2", "reduction_pct_h1"):
        assert np.array_equal(getattr(one, name), getattr(two, name))
    for row in (0, 1, 2, 3, 4, 199_999):
        vehicle = fleet[row % len(fleet)]
        request = CalcRequest("x", 2026, "11110", vehicle, Holding(), (), ())
        assert half_year_bills_at(two, row) == calculate(request, LAW, TODAY).half_years


def test_an_empty_batch_gives_empty_columns() -> None:
    columns = request_columns([], TODAY)
    assessment = assess_columns(YEAR_LAW, columns.vehicles)
    refunds = refund_columns(YEAR_LAW, assessment, columns.cases, columns.payments, columns.exemptions)
    assert len(assessment) == len(refunds) == 0


def test_a_payment_decision_without_a_refund_leaves_the_row_blank() -> None:
    bill = Payment("h1", PaymentKind.BILL_H1, date(2026, 6, 30), 100, 30)
    request = CalcRequest(
        "x", 2026, "11110", CAR, Holding(end_event=EndEvent.HELD), (), (bill,), decision_on=date(2026, 8, 1)
    )
    columns = request_columns([request], TODAY)
    assessment = assess_columns(YEAR_LAW, columns.vehicles)
    refunds = refund_columns(YEAR_LAW, assessment, columns.cases, columns.payments)
    assert not refunds.has_refund[0]
    assert refunds.cause[0] == 0
    assert np.isnat(refunds.arose_on[0])
    assert np.isnat(refunds.interest_from[0])
    assert codes.CAUSES[0] is None
