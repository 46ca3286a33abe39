"""Calculation requests for tests: the contract's worked example (TV12), with any field replaced."""

from __future__ import annotations

import copy
from typing import Any

TV12: dict[str, Any] = {
    "id": "TV12",
    "tax_year": 2026,
    "district": "11110",
    "vehicle": {
        "category": "passenger",
        "use": "private",
        "displacement_cc": 1999,
        "van_class": None,
        "special_class": None,
        "load_kg": None,
        "first_registered_on": "2025-03-10",
        "manufactured_year": 2025,
    },
    "holding": {
        "start": {"event": "held"},
        "end": {"event": "transfer", "date": "2026-07-01", "prepayment_passed_on": False},
    },
    "exemptions": [],
    "payments": [
        {"id": "p1", "kind": "prepay_jan", "paid_on": "2026-01-25", "car_tax": 381510, "edu_tax": 114460}
    ],
    "decision_on": "2026-08-14",
    "arrears": 0,
    "as_of": "2026-08-14",
}
"""A private 1,999cc car prepaid in January and sold on 1 July 2026: 250,040원 back plus 930원 interest."""


def make_request(**overrides: Any) -> dict[str, Any]:
    """A fresh copy of :data:`TV12` with top-level fields replaced."""
    request = copy.deepcopy(TV12)
    request.update(overrides)
    return request
