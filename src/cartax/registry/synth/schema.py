"""The six feeds of contracts.md §2: their columns, in order, with the types they are written with.

CSV renders these types exactly as the contract asks: ISO dates, plain-digit integers, ``true``/``false``,
an empty cell for null; rates as ``1.0`` or ``0.5``.
"""

from __future__ import annotations

import polars as pl

FEEDS: dict[str, dict[str, type[pl.DataType] | pl.DataType]] = {
    "vehicles": {
        "vehicle_id": pl.String,
        "plate": pl.String,
        "category": pl.String,
        "use": pl.String,
        "displacement_cc": pl.Int32,
        "van_class": pl.String,
        "special_class": pl.String,
        "load_kg": pl.Int32,
        "first_registered_on": pl.Date,
        "manufactured_year": pl.Int32,
    },
    "registrations": {
        "event_id": pl.String,
        "vehicle_id": pl.String,
        "event": pl.String,
        "date": pl.Date,
        "owner_id": pl.String,
        "prepayment_passed_on": pl.Boolean,
        "reason": pl.String,
    },
    "owners": {
        "owner_id": pl.String,
        "kind": pl.String,
        "name": pl.String,
        "rrn": pl.String,
        "phone": pl.String,
        "email": pl.String,
        "address": pl.String,
        "district": pl.String,
        "refund_bank": pl.String,
        "refund_account": pl.String,
        "refund_account_holder": pl.String,
    },
    "payments": {
        "payment_id": pl.String,
        "vehicle_id": pl.String,
        "owner_id": pl.String,
        "tax_year": pl.Int32,
        "kind": pl.String,
        "paid_on": pl.Date,
        "car_tax": pl.Int64,
        "edu_tax": pl.Int64,
        "district": pl.String,
        "via_grievance": pl.Boolean,
    },
    "arrears": {"owner_id": pl.String, "district": pl.String, "amount": pl.Int64},
    "exemptions": {
        "owner_id": pl.String,
        "vehicle_id": pl.String,
        "rate": pl.Float64,
        "effective_from": pl.Date,
        "decided_on": pl.Date,
    },
}


def empty(feed: str) -> pl.DataFrame:
    return pl.DataFrame(schema=FEEDS[feed])
