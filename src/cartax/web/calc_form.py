"""The calculation page's form: what people type, turned into one request of the calculation contract.

The form checks only what belongs to a form (a number is digits, a date is a date, a payment row names
its kind) and reports every such problem at once; everything else is the rules engine's validation, whose
error is mapped back to the field it names.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cartax.rules import RequestError

MAX_PAYMENT_ROWS = 12
DEFAULT_PAYMENT_ROWS = 3
MAX_VALUE_LENGTH = 40
CLASS_FIELD = {
    "passenger": "displacement_cc",
    "van": "van_class",
    "special": "special_class",
    "truck": "load_kg",
}
NUMBER_FIELDS = frozenset({"displacement_cc", "load_kg", "manufactured_year", "arrears"})
DATE_FIELDS = frozenset(
    {"first_registered_on", "start_date", "end_date", "exemption_effective_from", "exemption_decided_on"}
    | {"decision_on", "as_of"}
)
PAYMENT_FIELDS = ("kind", "paid_on", "car_tax", "edu_tax", "via_grievance")
SCALAR_FIELDS = (
    *("tax_year", "district", "category", "use", "displacement_cc", "van_class", "special_class", "load_kg"),
    *("first_registered_on", "manufactured_year", "start_event", "start_date", "end_event", "end_date"),
    *("prepayment_passed_on", "exemption_rate", "exemption_effective_from", "exemption_decided_on"),
    *("decision_on", "arrears", "as_of"),
)
# The contract's field paths that map one-to-one onto a form field.
FIELD_OF_PATH = {
    "tax_year": "tax_year",
    "district": "district",
    "decision_on": "decision_on",
    "arrears": "arrears",
    "as_of": "as_of",
    "vehicle.category": "category",
    "vehicle.use": "use",
    "vehicle.displacement_cc": "displacement_cc",
    "vehicle.van_class": "van_class",
    "vehicle.special_class": "special_class",
    "vehicle.load_kg": "load_kg",
    "vehicle.first_registered_on": "first_registered_on",
    "vehicle.manufactured_year": "manufactured_year",
    "holding.start.event": "start_event",
    "holding.start.date": "start_date",
    "holding.end.event": "end_event",
    "holding.end.date": "end_date",
    "holding.end.prepayment_passed_on": "prepayment_passed_on",
    "exemptions[0].rate": "exemption_rate",
    "exemptions[0].effective_from": "exemption_effective_from",
    "exemptions[0].decided_on": "exemption_decided_on",
}
_PAYMENT_PATH = re.compile(r"^payments\[(\d+)\]\.(\w+)$")
_DATE = re.compile(r"^(\d{4})\s*[-./년]\s*(\d{1,2})\s*[-./월]\s*(\d{1,2})\s*[.일]?$")
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_UNITS = re.compile(r"(원|cc|kg|년)$", re.IGNORECASE)

# The contract's worked example (contracts.md §1), offered as "fill with an example" on the page.
EXAMPLE = {
    "tax_year": "2026",
    "district": "11110",
    "category": "passenger",
    "use": "private",
    "displacement_cc": "1999",
    "first_registered_on": "2025-03-10",
    "start_event": "held",
    "end_event": "transfer",
    "end_date": "2026-07-01",
    "decision_on": "2026-08-14",
    "payment-0-kind": "prepay_jan",
    "payment-0-paid_on": "2026-01-25",
    "payment-0-car_tax": "381510",
    "payment-0-edu_tax": "114460",
}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """A problem with one form field: ``field`` is its HTML id (None: the form as a whole)."""

    field: str | None
    key: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CalcForm:
    """The form as typed (strings), ready to render back."""

    values: dict[str, str]
    payment_rows: int = DEFAULT_PAYMENT_ROWS

    @classmethod
    def blank(cls, tax_year: int) -> CalcForm:
        defaults = {"tax_year": str(tax_year), "district": "11110", "category": "passenger", "use": "private"}
        return cls({**defaults, "start_event": "held", "end_event": "held"})

    @classmethod
    def example(cls) -> CalcForm:
        return cls(dict(EXAMPLE))

    @classmethod
    def read(cls, submitted: Mapping[str, str], add_row: bool = False) -> CalcForm:
        rows = _bounded_int(submitted.get("payment_rows"), DEFAULT_PAYMENT_ROWS, 1, MAX_PAYMENT_ROWS)
        names = list(SCALAR_FIELDS) + [f"payment-{i}-{name}" for i in range(rows) for name in PAYMENT_FIELDS]
        values = {name: str(submitted.get(name, "")).strip()[:MAX_VALUE_LENGTH] for name in names}
        return cls(
            {name: value for name, value in values.items() if value}, min(rows + add_row, MAX_PAYMENT_ROWS)
        )

    def get(self, name: str) -> str:
        return self.values.get(name, "")


@dataclass(frozen=True, slots=True)
class Conversion:
    """A contract request, or the problems that stopped one; ``rows[k]`` is the form row of payment k."""

    request: dict[str, Any] | None
    problems: tuple[FieldProblem, ...]
    rows: tuple[int, ...] = ()


def to_request(form: CalcForm, request_id: str = "calc") -> Conversion:
    """Build the contract request from the form, or say what to fix in the form."""
    problems: list[FieldProblem] = []
    values = _normalised(form, problems)
    payments, rows = _payments(form, problems)
    if problems:
        return Conversion(None, tuple(problems))
    category = values.get("category")
    vehicle = {
        "category": category,
        "use": values.get("use"),
        "first_registered_on": values.get("first_registered_on"),
    }
    class_field = CLASS_FIELD.get(str(category))
    if class_field:
        vehicle[class_field] = values.get(class_field)
    vehicle["manufactured_year"] = values.get("manufactured_year")
    end: dict[str, Any] = {"event": values.get("end_event"), "date": values.get("end_date")}
    if values.get("prepayment_passed_on"):
        end["prepayment_passed_on"] = True
    request = {
        "id": request_id,
        "tax_year": values.get("tax_year"),
        "district": values.get("district"),
        "vehicle": vehicle,
        "holding": {
            "start": {"event": values.get("start_event"), "date": values.get("start_date")},
            "end": end,
        },
        "exemptions": _exemptions(values),
        "payments": payments,
        "decision_on": values.get("decision_on"),
        "arrears": values.get("arrears"),
        "as_of": values.get("as_of"),
    }
    return Conversion(request, (), tuple(rows))


def problem_of(error: RequestError, rows: tuple[int, ...]) -> FieldProblem:
    """The engine's error about a contract field, as a problem of the form field it came from."""
    path = error.field or ""
    generic = f"error.{error.code}"
    found = _PAYMENT_PATH.match(path)
    if found and int(found.group(1)) < len(rows):
        row, name = rows[int(found.group(1))], found.group(2)
        return FieldProblem(f"payment-{row}-{name}", f"{generic}.payment_{name}")
    form_field = FIELD_OF_PATH.get(path)
    return FieldProblem(form_field, f"{generic}.{form_field}" if form_field else generic)


def parse_date_text(text: str) -> str | None:
    """A date as people type it, in ISO form; None when it is not a real date.

    >>> parse_date_text("2026-07-01"), parse_date_text("2026. 7. 1."), parse_date_text("2026년 7월 1일")
    ('2026-07-01', '2026-07-01', '2026-07-01')
    >>> parse_date_text("20260701"), parse_date_text("2026-02-30"), parse_date_text("7/1")
    ('2026-07-01', None, None)
    """
    found = _DATE.match(text) or _COMPACT_DATE.match(text)
    if not found:
        return None
    year, month, day = (int(part) for part in found.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def parse_whole_number(text: str) -> int | None:
    """A whole number as people type it: separators, spaces and a unit are allowed.

    >>> parse_whole_number("250,040원"), parse_whole_number("1 999 cc"), parse_whole_number("1.5")
    (250040, 1999, None)
    """
    digits = _UNITS.sub("", text.replace(",", "").replace(" ", ""))
    return int(digits) if digits.isascii() and digits.isdigit() else None


def _normalised(form: CalcForm, problems: list[FieldProblem]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    class_field = CLASS_FIELD.get(form.get("category"))
    for name in SCALAR_FIELDS:
        text = form.get(name)
        if not text:
            continue
        if name in CLASS_FIELD.values() and name != class_field:
            continue  # a field of another category is ignored, as the contract says
        values[name] = _converted(name, text, problems)
    if "tax_year" in values:
        values["tax_year"] = parse_whole_number(values["tax_year"]) or values["tax_year"]
    return values


def _converted(name: str, text: str, problems: list[FieldProblem], problem_field: str | None = None) -> Any:
    where = problem_field or name
    if name in NUMBER_FIELDS or name in ("car_tax", "edu_tax"):
        number = parse_whole_number(text)
        if number is None:
            problems.append(FieldProblem(where, "form.number"))
        return number
    if name in DATE_FIELDS or name == "paid_on":
        iso = parse_date_text(text)
        if iso is None:
            problems.append(FieldProblem(where, "form.date"))
        return iso
    return text


def _payments(form: CalcForm, problems: list[FieldProblem]) -> tuple[list[dict[str, Any]], list[int]]:
    payments: list[dict[str, Any]] = []
    rows: list[int] = []
    for row in range(form.payment_rows):
        given = {name: form.get(f"payment-{row}-{name}") for name in PAYMENT_FIELDS}
        if not any(given.values()):
            continue
        if not given["kind"]:
            problems.append(FieldProblem(f"payment-{row}-kind", "form.payment_kind", {"payment": row + 1}))
            continue
        payment: dict[str, Any] = {"id": f"p{row + 1}", "kind": given["kind"]}
        for name in ("paid_on", "car_tax", "edu_tax"):
            if given[name]:
                payment[name] = _converted(name, given[name], problems, f"payment-{row}-{name}")
        if given["via_grievance"]:
            payment["via_grievance"] = True
        payments.append(payment)
        rows.append(row)
    return payments, rows


def _exemptions(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    rate = values.get("exemption_rate")
    if not rate:
        return []
    return [
        {
            "rate": 1.0 if rate == "full" else 0.5,
            "effective_from": values.get("exemption_effective_from"),
            "decided_on": values.get("exemption_decided_on"),
        }
    ]


def _bounded_int(text: str | None, default: int, low: int, high: int) -> int:
    number = parse_whole_number(text or "")
    return default if number is None else max(low, min(high, number))
