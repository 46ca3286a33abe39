"""Bad requests get the contract's error object: code, field path and a message saying what is accepted."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

from cartax.rules import cli, default_law, evaluate
from cartax.rules.cli import run_lines
from rules_factories import make_request

TODAY = date(2026, 11, 25)


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(request: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = request
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()

CASES = [
    ("unknown category", _set("vehicle.category", "bus"), "invalid_value", "vehicle.category"),
    ("category not a string", _set("vehicle.category", 3), "invalid_type", "vehicle.category"),
    ("missing cc", _set("vehicle.displacement_cc", None), "missing_field", "vehicle.displacement_cc"),
    ("negative cc", _set("vehicle.displacement_cc", -5), "invalid_value", "vehicle.displacement_cc"),
    ("cc as text", _set("vehicle.displacement_cc", "1999"), "invalid_type", "vehicle.displacement_cc"),
    ("negative money", _set("payments.0.car_tax", -1), "invalid_value", "payments[0].car_tax"),
    ("money with decimals", _set("payments.0.edu_tax", 10.5), "invalid_type", "payments[0].edu_tax"),
    ("money as boolean", _set("payments.0.edu_tax", True), "invalid_type", "payments[0].edu_tax"),
    ("tax year too early", _set("tax_year", 2019), "invalid_value", "tax_year"),
    ("tax year too late", _set("tax_year", 2028), "invalid_value", "tax_year"),
    ("tax year as text", _set("tax_year", "2026"), "invalid_type", "tax_year"),
    ("impossible date", _set("payments.0.paid_on", "2026-02-30"), "invalid_value", "payments[0].paid_on"),
    (
        "date in another format",
        _set("payments.0.paid_on", "2026/01/25"),
        "invalid_value",
        "payments[0].paid_on",
    ),
    (
        "end before start",
        _set("holding.start", {"event": "transfer", "date": "2026-08-01"}),
        "inconsistent",
        "holding.end.date",
    ),
    (
        "same payment id twice",
        _set(
            "payments",
            [
                {"id": "p1", "kind": "bill_h1", "paid_on": "2026-06-20", "car_tax": 1, "edu_tax": 0},
                {"id": "p1", "kind": "bill_h2", "paid_on": "2026-12-20", "car_tax": 1, "edu_tax": 0},
            ],
        ),
        "invalid_value",
        "payments[1].id",
    ),
    ("unknown top field", _set("colour", "red"), "unknown_field", "colour"),
    ("unknown nested field", _set("vehicle.colour", "red"), "unknown_field", "vehicle.colour"),
    ("missing payments", _set("payments", _DELETE), "missing_field", "payments"),
    ("exemptions not a list", _set("exemptions", {}), "invalid_type", "exemptions"),
    ("district not five digits", _set("district", "1111"), "invalid_value", "district"),
    ("district as number", _set("district", 11110), "invalid_type", "district"),
    ("unknown payment kind", _set("payments.0.kind", "bill_h3"), "invalid_value", "payments[0].kind"),
    (
        "held start with a date",
        _set("holding.start", {"event": "held", "date": "2026-01-01"}),
        "invalid_value",
        "holding.start.date",
    ),
    (
        "transfer end without date",
        _set("holding.end", {"event": "transfer"}),
        "missing_field",
        "holding.end.date",
    ),
    (
        "passed on without transfer",
        _set("holding.end", {"event": "deregistration", "date": "2026-05-01", "prepayment_passed_on": True}),
        "invalid_value",
        "holding.end.prepayment_passed_on",
    ),
    (
        "held start but registered in the year",
        _set("vehicle.first_registered_on", "2026-02-01"),
        "inconsistent",
        "holding.start.event",
    ),
    (
        "first registration after the year",
        _set("vehicle.first_registered_on", "2027-02-01"),
        "inconsistent",
        "vehicle.first_registered_on",
    ),
    (
        "holding date outside the year",
        _set("holding.end.date", "2027-01-05"),
        "inconsistent",
        "holding.end.date",
    ),
    (
        "start before first registration",
        _set(
            "vehicle",
            {
                "category": "passenger_other",
                "use": "private",
                "first_registered_on": "2026-03-01",
                "manufactured_year": 2026,
            },
        ),
        "inconsistent",
        "holding.start.event",
    ),
    (
        "start date before first registration",
        _set("holding.start", {"event": "new_registration", "date": "2024-01-05"}),
        "inconsistent",
        "holding.start.date",
    ),
    (
        "manufactured after registration",
        _set("vehicle.manufactured_year", 2026),
        "invalid_value",
        "vehicle.manufactured_year",
    ),
    (
        "exemption rate",
        _set("exemptions", [{"rate": 0.3, "effective_from": "2026-02-01", "decided_on": "2026-03-01"}]),
        "invalid_value",
        "exemptions[0].rate",
    ),
    (
        "van without class",
        _set("vehicle", {"category": "van", "use": "private", "first_registered_on": "2020-01-01"}),
        "missing_field",
        "vehicle.van_class",
    ),
    (
        "business-only van class for a private van",
        _set(
            "vehicle",
            {
                "category": "van",
                "use": "private",
                "van_class": "express",
                "first_registered_on": "2020-01-01",
            },
        ),
        "invalid_value",
        "vehicle.van_class",
    ),
    (
        "held no day with an end event",
        _set("holding.held_no_day", True),
        "invalid_value",
        "holding.held_no_day",
    ),
    (
        "held no day not a boolean",
        _set("holding", {"start": {"event": "held"}, "end": {"event": "held"}, "held_no_day": "yes"}),
        "invalid_type",
        "holding.held_no_day",
    ),
    (
        "grievance flag not boolean",
        _set("payments.0.via_grievance", "yes"),
        "invalid_type",
        "payments[0].via_grievance",
    ),
]


@pytest.mark.parametrize(("mutate", "code", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gets_the_contract_error(
    mutate: Callable[[dict[str, Any]], None], code: str, field: str
) -> None:
    request = copy.deepcopy(make_request())
    mutate(request)
    response = evaluate(request, default_law(), TODAY)
    assert response["id"] == "TV12"
    assert response["error"]["code"] == code
    assert response["error"]["field"] == field
    assert len(response["error"]["message"]) > 20


def test_the_untouched_request_is_valid() -> None:
    response = evaluate(make_request(), default_law(), TODAY)
    assert response["totals"] == {"refund": 250040, "interest": 930, "offset": 0, "payable": 250970}


def test_fields_of_other_categories_are_ignored() -> None:
    vehicle = {
        "category": "passenger_other",
        "use": "private",
        "displacement_cc": "ignored",
        "load_kg": -3,
        "first_registered_on": "2024-02-20",
    }
    response = evaluate(make_request(vehicle=vehicle), default_law(), TODAY)
    assert response["annual"]["base"] == 100000


def test_optional_fields_may_be_null() -> None:
    response = evaluate(make_request(decision_on=None, arrears=None, as_of=None), default_law(), TODAY)
    assert response["refunds"][0]["interest_from"] is None
    assert response["totals"]["interest"] == 0


def test_one_bad_line_never_stops_the_others() -> None:
    lines = [
        json.dumps(make_request(id="a")),
        "not json",
        "",
        "[1, 2]",
        json.dumps(make_request(id="b", tax_year=1999)),
        json.dumps(make_request(id="c")),
    ]
    sink = io.BytesIO()
    rejected = run_lines(io.StringIO("\n".join(lines) + "\n"), sink, default_law(), TODAY)
    responses = [json.loads(line) for line in sink.getvalue().decode().splitlines()]
    assert rejected == 3
    assert [r.get("id") for r in responses] == ["a", None, None, "b", "c"]
    assert responses[1]["error"] == {
        "code": "invalid_json",
        "message": responses[1]["error"]["message"],
        "field": None,
    }
    assert responses[2]["error"]["code"] == "invalid_type"
    assert "totals" in responses[4]


def test_a_payer_who_held_no_day_gets_everything_back() -> None:
    holding = {"start": {"event": "held"}, "end": {"event": "held"}, "held_no_day": True}
    response = evaluate(make_request(holding=holding), default_law(), TODAY)
    (line,) = response["refunds"]
    assert (line["cause"], line["refund_car_tax"], line["refund_edu_tax"]) == ("R4", 381510, 114460)


def test_long_inputs_are_answered_by_several_processes_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "BATCH_LINES", 3)
    lines = [json.dumps(make_request(id=f"r{i}", tax_year=2019 if i % 4 == 0 else 2026)) for i in range(11)]
    source = "\n".join([*lines[:5], "", *lines[5:]]) + "\n"
    one, two = io.BytesIO(), io.BytesIO()
    rejected_one = run_lines(io.StringIO(source), one, default_law(), TODAY, workers=1)
    rejected_two = run_lines(io.StringIO(source), two, default_law(), TODAY, workers=2)
    assert one.getvalue() == two.getvalue()
    assert (rejected_one, rejected_two) == (3, 3)
    assert [json.loads(line)["id"] for line in two.getvalue().decode().splitlines()] == [
        f"r{i}" for i in range(11)
    ]
