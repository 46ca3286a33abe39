"""The calculation contract (contracts.md §1): JSON objects in, JSON objects out, precise errors.

``parse_request`` turns one decoded JSON value into a :class:`CalcRequest` or raises a
:class:`RequestError` naming the field at fault; ``result_to_json`` gives the response body.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from types import MappingProxyType
from typing import Any

from cartax.core.dates import parse_date
from cartax.rules.errors import RequestError
from cartax.rules.model import (
    CalcRequest,
    CalcResult,
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

TOP = {
    "id",
    "tax_year",
    "district",
    "vehicle",
    "holding",
    "exemptions",
    "payments",
    "decision_on",
    "arrears",
    "as_of",
}
VEHICLE = {
    "category",
    "use",
    "displacement_cc",
    "van_class",
    "special_class",
    "load_kg",
    "first_registered_on",
    "manufactured_year",
}
CLASS_FIELD = {
    Category.PASSENGER: "displacement_cc",
    Category.VAN: "van_class",
    Category.SPECIAL: "special_class",
    Category.TRUCK: "load_kg",
}
START = {"event", "date"}
END = {"event", "date", "prepayment_passed_on"}
EXEMPTION = {"rate", "effective_from", "decided_on", "applied_on"}
PAYMENT = {"id", "kind", "paid_on", "car_tax", "edu_tax", "via_grievance"}
RATES = {1: 100, 0.5: 50}

EXAMPLE_REQUEST: Mapping[str, Any] = MappingProxyType(
    {
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
)
"""The contract's worked example (contracts.md §1, TV12): a private 1,999cc car prepaid in January and
sold on 1 July 2026 — 250,040원 back plus 930원 interest. Read-only: deep-copy it to change it."""


def parse_request(raw: object, first_year: int, last_year: int) -> CalcRequest:
    """Validate one request against the contract; the first problem found is raised."""
    obj = _object(raw, None)
    _known(obj, TOP, "")
    request_id = _required(obj, "id", "")
    if not isinstance(request_id, str | int) or isinstance(request_id, bool):
        raise RequestError("invalid_type", "id", "id must be a string (or a whole number) naming the request")
    tax_year = _int(_required(obj, "tax_year", ""), "tax_year")
    if not first_year <= tax_year <= last_year:
        raise RequestError(
            "invalid_value",
            "tax_year",
            f"tax_year {tax_year} is not covered; accepted: {first_year} to {last_year}",
        )
    district = _required(obj, "district", "")
    if not isinstance(district, str):
        raise RequestError(
            "invalid_type", "district", 'district must be a string: the 5-digit 시군구 code, e.g. "11110"'
        )
    if len(district) != 5 or not district.isascii() or not district.isdigit():
        raise RequestError(
            "invalid_value", "district", f'district {district!r} is not a 5-digit 시군구 code such as "11110"'
        )
    vehicle = _vehicle(_object(_required(obj, "vehicle", ""), "vehicle"))
    holding = _holding(_object(_required(obj, "holding", ""), "holding"))
    exemptions = tuple(
        _exemption(_object(item, f"exemptions[{i}]"), f"exemptions[{i}]")
        for i, item in enumerate(_list(_required(obj, "exemptions", ""), "exemptions"))
    )
    payments = _payments(_list(_required(obj, "payments", ""), "payments"))
    decision_on = _optional_date(obj, "decision_on", "decision_on")
    as_of = _optional_date(obj, "as_of", "as_of")
    arrears = obj.get("arrears")
    arrears = 0 if arrears is None else _money(arrears, "arrears")
    _consistent(tax_year, vehicle, holding)
    return CalcRequest(
        str(request_id),
        tax_year,
        district,
        vehicle,
        holding,
        exemptions,
        payments,
        decision_on,
        arrears,
        as_of,
    )


def request_id_of(raw: object) -> object:
    """The ``id`` to echo in an error response (null when the line has none)."""
    if isinstance(raw, Mapping):
        value = raw.get("id")
        if isinstance(value, str | int) and not isinstance(value, bool):
            return value
    return None


def _vehicle(obj: Mapping[str, Any]) -> Vehicle:
    _known(obj, VEHICLE, "vehicle.")
    category = _enum(Category, _required(obj, "category", "vehicle."), "vehicle.category")
    use = _enum(Use, _required(obj, "use", "vehicle."), "vehicle.use")
    first = _date(_required(obj, "first_registered_on", "vehicle."), "vehicle.first_registered_on")
    made = obj.get("manufactured_year")
    made_year = first.year if made is None else _int(made, "vehicle.manufactured_year")
    if made_year > first.year:
        raise RequestError(
            "invalid_value",
            "vehicle.manufactured_year",
            f"manufactured_year {made_year} is after the first registration ({first.isoformat()}); "
            "accepted: the year of first registration or earlier",
        )
    details: dict[str, Any] = {}
    field = CLASS_FIELD.get(category)
    if field is not None:
        value = obj.get(field)
        if value is None:
            raise RequestError("missing_field", f"vehicle.{field}", _class_help(category, field))
        if field in ("displacement_cc", "load_kg"):
            value = _int(value, f"vehicle.{field}")
            if value <= 0:
                raise RequestError(
                    "invalid_value", f"vehicle.{field}", f"vehicle.{field} must be a positive whole number"
                )
        elif not isinstance(value, str):
            raise RequestError("invalid_type", f"vehicle.{field}", _class_help(category, field))
        details[field] = value
    return Vehicle(category, use, first, made_year, **details)


def _class_help(category: Category, field: str) -> str:
    accepted = {
        "displacement_cc": "the engine displacement in cc, a positive whole number",
        "load_kg": "the load capacity in kg, a positive whole number",
        "van_class": "one of express, large_charter, small_charter (business only), large, small",
        "special_class": "large or small",
    }[field]
    return f"a {category.value} vehicle needs vehicle.{field}: {accepted}"


def _holding(obj: Mapping[str, Any]) -> Holding:
    _known(obj, {"start", "end", "held_no_day"}, "holding.")
    start = _object(_required(obj, "start", "holding."), "holding.start")
    end = _object(_required(obj, "end", "holding."), "holding.end")
    _known(start, START, "holding.start.")
    _known(end, END, "holding.end.")
    start_event = _enum(StartEvent, _required(start, "event", "holding.start."), "holding.start.event")
    end_event = _enum(EndEvent, _required(end, "event", "holding.end."), "holding.end.event")
    start_date = _event_date(start, start_event.value == "held", "holding.start")
    end_date = _event_date(end, end_event.value == "held", "holding.end")
    passed = end.get("prepayment_passed_on")
    if passed is not None:
        if end_event is not EndEvent.TRANSFER:
            raise RequestError(
                "invalid_value",
                "holding.end.prepayment_passed_on",
                "prepayment_passed_on applies only to a holding that ends with a transfer; remove it or "
                "set holding.end.event to transfer",
            )
        if not isinstance(passed, bool):
            raise RequestError("invalid_type", "holding.end.prepayment_passed_on", "must be true or false")
    if _held_no_day(obj, start_event is StartEvent.HELD and end_event is EndEvent.HELD):
        return Holding(held_no_day=True)
    return Holding(start_event, start_date, end_event, end_date, bool(passed))


def _held_no_day(obj: Mapping[str, Any], both_held: bool) -> bool:
    """Optional ``holding.held_no_day``: the payer held the vehicle on no day of the year."""
    value = obj.get("held_no_day")
    if value is None or value is False:
        return False
    if value is not True:
        raise RequestError("invalid_type", "holding.held_no_day", "holding.held_no_day must be true or false")
    if not both_held:
        raise RequestError(
            "invalid_value",
            "holding.held_no_day",
            "holding.held_no_day describes a payer with no holding in the year: give start and end as held",
        )
    return True


def _event_date(obj: Mapping[str, Any], held: bool, path: str) -> date | None:
    value = obj.get("date")
    if held:
        if value is not None:
            raise RequestError(
                "invalid_value", f"{path}.date", f"{path}.event held takes no date; remove {path}.date"
            )
        return None
    if value is None:
        raise RequestError(
            "missing_field", f"{path}.date", f"{path}.event {obj['event']} needs a date (YYYY-MM-DD)"
        )
    return _date(value, f"{path}.date")


def _exemption(obj: Mapping[str, Any], path: str) -> Exemption:
    _known(obj, EXEMPTION, f"{path}.")
    rate = _required(obj, "rate", f"{path}.")
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        raise RequestError("invalid_type", f"{path}.rate", "rate must be a number: 1.0 (full) or 0.5 (50%)")
    if rate not in RATES:
        raise RequestError(
            "invalid_value", f"{path}.rate", f"rate {rate} is not accepted; accepted: 1.0 or 0.5"
        )
    return Exemption(
        RATES[rate],
        _date(_required(obj, "effective_from", f"{path}."), f"{path}.effective_from"),
        _date(_required(obj, "decided_on", f"{path}."), f"{path}.decided_on"),
        _optional_date(obj, "applied_on", f"{path}.applied_on"),
    )


def _payments(items: list[Any]) -> tuple[Payment, ...]:
    payments: list[Payment] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        path = f"payments[{index}]"
        obj = _object(item, path)
        _known(obj, PAYMENT, f"{path}.")
        payment_id = _required(obj, "id", f"{path}.")
        if not isinstance(payment_id, str) or not payment_id:
            raise RequestError("invalid_type", f"{path}.id", "a payment id must be a non-empty string")
        if payment_id in seen:
            raise RequestError(
                "invalid_value",
                f"{path}.id",
                f"payment id {payment_id!r} is used twice; every payment needs its own id",
            )
        seen.add(payment_id)
        grievance = obj.get("via_grievance")
        if grievance is not None and not isinstance(grievance, bool):
            raise RequestError("invalid_type", f"{path}.via_grievance", "via_grievance must be true or false")
        payments.append(
            Payment(
                payment_id,
                _enum(PaymentKind, _required(obj, "kind", f"{path}."), f"{path}.kind"),
                _date(_required(obj, "paid_on", f"{path}."), f"{path}.paid_on"),
                _money(_required(obj, "car_tax", f"{path}."), f"{path}.car_tax"),
                _money(_required(obj, "edu_tax", f"{path}."), f"{path}.edu_tax"),
                bool(grievance),
            )
        )
    return tuple(payments)


def _consistent(tax_year: int, vehicle: Vehicle, holding: Holding) -> None:
    first = vehicle.first_registered_on
    if first.year > tax_year:
        raise RequestError(
            "inconsistent",
            "vehicle.first_registered_on",
            f"the vehicle was first registered on {first.isoformat()}, after tax year {tax_year}; "
            "a vehicle owes no tax for a year before its registration",
        )
    if holding.start_event is StartEvent.HELD and first.year >= tax_year:
        raise RequestError(
            "inconsistent",
            "holding.start.event",
            f"start event held means the vehicle was held before {tax_year}, but it was first registered on "
            f"{first.isoformat()}; use new_registration or transfer with a date",
        )
    for path, day in (("holding.start.date", holding.start_date), ("holding.end.date", holding.end_date)):
        if day is not None and day.year != tax_year:
            raise RequestError(
                "inconsistent",
                path,
                f"{path} {day.isoformat()} is outside tax year {tax_year}; give a date in {tax_year}",
            )
    if holding.start_date is not None and holding.start_date < first:
        raise RequestError(
            "inconsistent",
            "holding.start.date",
            f"the holding starts on {holding.start_date.isoformat()}, before the first registration "
            f"({first.isoformat()})",
        )
    if (
        holding.start_date is not None
        and holding.end_date is not None
        and holding.end_date < holding.start_date
    ):
        raise RequestError(
            "inconsistent",
            "holding.end.date",
            f"the holding ends on {holding.end_date.isoformat()}, before it starts "
            f"({holding.start_date.isoformat()})",
        )


def _object(value: object, path: str | None) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        where = path or "the request"
        raise RequestError("invalid_type", path, f"{where} must be a JSON object")
    return value


def _list(value: object, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise RequestError("invalid_type", path, f"{path} must be a JSON list (possibly empty)")
    return value


def _known(obj: Mapping[str, Any], allowed: set[str], prefix: str) -> None:
    for key in obj:
        if key not in allowed:
            raise RequestError(
                "unknown_field",
                f"{prefix}{key}",
                f"{prefix}{key} is not a field of the request; accepted here: {', '.join(sorted(allowed))}",
            )


def _required(obj: Mapping[str, Any], key: str, prefix: str) -> Any:
    value = obj.get(key)
    if value is None:
        raise RequestError(
            "missing_field",
            f"{prefix}{key}",
            f"{prefix}{key} is missing; it is required, add it to the request",
        )
    return value


def _int(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError("invalid_type", path, f"{path} must be a whole number, e.g. 2026 or 1999")
    return value


def _money(value: object, path: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestError(
            "invalid_type", path, f"{path} must be a whole number of 원 (no decimals, no separators)"
        )
    if value < 0:
        raise RequestError("invalid_value", path, f"{path} is {value}; amounts of 원 cannot be negative")
    return value


def _date(value: object, path: str) -> date:
    if not isinstance(value, str):
        raise RequestError("invalid_type", path, f"{path} must be a date string in the form YYYY-MM-DD")
    try:
        return parse_date(value)
    except ValueError:
        raise RequestError(
            "invalid_value", path, f"{path} {value!r} is not a real calendar date; accepted: YYYY-MM-DD"
        ) from None


def _optional_date(obj: Mapping[str, Any], key: str, path: str) -> date | None:
    value = obj.get(key)
    return None if value is None else _date(value, path)


def _enum(kind: Any, value: object, path: str) -> Any:
    if not isinstance(value, str):
        raise RequestError("invalid_type", path, f"{path} must be a string; accepted: {_choices(kind)}")
    try:
        return kind(value)
    except ValueError:
        raise RequestError(
            "invalid_value", path, f"{path} {value!r} is not accepted; accepted: {_choices(kind)}"
        ) from None


def _choices(kind: Any) -> str:
    return ", ".join(member.value for member in kind)


def result_to_json(result: CalcResult) -> dict[str, Any]:
    """The response body of the contract."""
    return {
        "id": result.id,
        "rules_version": result.rules_version,
        "annual": {"base": result.base, "car_tax": result.annual_car_tax, "edu_tax": result.annual_edu_tax},
        "half_years": [
            {
                "half": h.half,
                "age": h.age,
                "reduction_pct": h.reduction_pct,
                "car_tax": h.car_tax,
                "edu_tax": h.edu_tax,
            }
            for h in result.half_years
        ],
        "prepay_options": [
            {
                "window": o.window,
                "deduction_car_tax": o.deduction_car_tax,
                "deduction_edu_tax": o.deduction_edu_tax,
                "due_car_tax": o.due_car_tax,
                "due_edu_tax": o.due_edu_tax,
            }
            for o in result.prepay_options
        ],
        "refunds": [
            {
                "payment_id": r.payment_id,
                "cause": r.cause.value,
                "liability_car_tax": r.liability_car_tax,
                "liability_edu_tax": r.liability_edu_tax,
                "refund_car_tax": r.refund_car_tax,
                "refund_edu_tax": r.refund_edu_tax,
                "arose_on": r.arose_on.isoformat(),
                "interest_from": r.interest_from.isoformat() if r.interest_from else None,
                "interest": r.interest,
                "lapsed": r.lapsed,
            }
            for r in result.refunds
        ],
        "totals": {
            "refund": result.totals.refund,
            "interest": result.totals.interest,
            "offset": result.totals.offset,
            "payable": result.totals.payable,
        },
        "trace": [
            {
                "step": s.step,
                "value": s.value,
                "refs": list(s.refs),
                "params": s.params,
                **({"facts": s.facts} if s.facts else {}),
            }
            for s in result.trace
        ],
    }


def error_to_json(request_id: object, error: RequestError) -> dict[str, Any]:
    return {"id": request_id, "error": error.as_dict()}
