"""The calculation form becomes a contract request, and the engine's errors come back to the right field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cartax.core.i18n import LANGUAGES
from cartax.rules import RequestError
from cartax.web.calc_form import EXAMPLE, CalcForm, problem_of, to_request

MESSAGES = Path(__file__).resolve().parents[3] / "src" / "cartax" / "web" / "messages"


def test_the_example_becomes_the_contract_example() -> None:
    conversion = to_request(CalcForm.example())
    assert conversion.problems == ()
    assert conversion.request == {
        "id": "calc",
        "tax_year": 2026,
        "district": "11110",
        "vehicle": {
            "category": "passenger",
            "use": "private",
            "first_registered_on": "2025-03-10",
            "displacement_cc": 1999,
            "manufactured_year": None,
        },
        "holding": {
            "start": {"event": "held", "date": None},
            "end": {"event": "transfer", "date": "2026-07-01"},
        },
        "exemptions": [],
        "payments": [
            {"id": "p1", "kind": "prepay_jan", "paid_on": "2026-01-25", "car_tax": 381510, "edu_tax": 114460}
        ],
        "decision_on": "2026-08-14",
        "arrears": None,
        "as_of": None,
    }
    assert conversion.rows == (0,)


def test_only_the_class_field_of_the_category_is_sent() -> None:
    form = CalcForm({**EXAMPLE, "category": "truck", "load_kg": "2,500kg", "displacement_cc": "not a number"})
    conversion = to_request(form)
    assert conversion.problems == ()
    assert conversion.request is not None
    vehicle = conversion.request["vehicle"]
    assert vehicle["load_kg"] == 2500
    assert "displacement_cc" not in vehicle


def test_empty_payment_rows_are_left_out_and_rows_are_remembered() -> None:
    form = CalcForm(
        {
            **{key: value for key, value in EXAMPLE.items() if not key.startswith("payment-")},
            "payment-2-kind": "bill_h2",
            "payment-2-paid_on": "2026-12-20",
            "payment-2-car_tax": "199900",
            "payment-2-edu_tax": "59970",
            "payment-2-via_grievance": "on",
        }
    )
    conversion = to_request(form)
    assert conversion.request is not None
    assert conversion.request["payments"] == [
        {
            "id": "p3",
            "kind": "bill_h2",
            "paid_on": "2026-12-20",
            "car_tax": 199900,
            "edu_tax": 59970,
            "via_grievance": True,
        }
    ]
    assert conversion.rows == (2,)


def test_every_form_problem_is_reported_at_once() -> None:
    form = CalcForm(
        {
            **EXAMPLE,
            "first_registered_on": "2025-13-01",
            "decision_on": "soon",
            "payment-0-car_tax": "3.5",
            "payment-1-paid_on": "2026-02-01",
        }
    )
    conversion = to_request(form)
    assert conversion.request is None
    assert {(p.field, p.key) for p in conversion.problems} == {
        ("first_registered_on", "form.date"),
        ("decision_on", "form.date"),
        ("payment-0-car_tax", "form.number"),
        ("payment-1-kind", "form.payment_kind"),
    }


def test_exemption_rates_become_the_contracts_numbers() -> None:
    form = CalcForm({**EXAMPLE, "exemption_rate": "half", "exemption_effective_from": "2026-03-01"})
    conversion = to_request(form)
    assert conversion.request is not None
    assert conversion.request["exemptions"] == [
        {"rate": 0.5, "effective_from": "2026-03-01", "decided_on": None}
    ]


def test_reading_a_submission_keeps_known_fields_only_and_bounds_rows() -> None:
    submitted = {"district": " 11110 ", "payment_rows": "999", "evil": "x", "payment-11-kind": "bill_h1"}
    form = CalcForm.read(submitted)
    assert form.payment_rows == 12
    assert form.values == {"district": "11110", "payment-11-kind": "bill_h1"}
    assert CalcForm.read({"payment_rows": "3"}, add_row=True).payment_rows == 4
    assert CalcForm.read({"payment_rows": "abc"}).payment_rows == 3
    assert len(CalcForm.read({"district": "1" * 1000}).get("district")) == 40


@pytest.mark.parametrize(
    ("path", "rows", "field", "key"),
    [
        ("vehicle.displacement_cc", (), "displacement_cc", "error.missing_field.displacement_cc"),
        ("holding.end.date", (), "end_date", "error.missing_field.end_date"),
        ("payments[1].paid_on", (0, 2), "payment-2-paid_on", "error.missing_field.payment_paid_on"),
        ("exemptions[0].decided_on", (), "exemption_decided_on", "error.missing_field.exemption_decided_on"),
        ("id", (), None, "error.missing_field"),
    ],
)
def test_engine_errors_map_to_form_fields(
    path: str, rows: tuple[int, ...], field: str | None, key: str
) -> None:
    problem = problem_of(RequestError("missing_field", path, "needed"), rows)
    assert (problem.field, problem.key) == (field, key)


def test_the_catalogues_have_the_same_keys_and_placeholders() -> None:
    catalogues = {
        lang: json.loads((MESSAGES / f"{lang}.json").read_text(encoding="utf-8")) for lang in LANGUAGES
    }
    korean = catalogues["ko"]
    for lang, messages in catalogues.items():
        assert set(messages) == set(korean), lang
        for key, text in messages.items():
            assert _placeholders(text) == _placeholders(korean[key]), (lang, key)


def _placeholders(text: str) -> set[str]:
    return {part.split("}")[0].split(":")[0] for part in text.split("{")[1:]}
