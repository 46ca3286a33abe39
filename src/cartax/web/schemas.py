"""Pydantic models that *document* the HTTP API in the OpenAPI document.

The calculation endpoint does not validate with these models: the rules engine validates its own
contract (contracts.md §1) so that the error codes and fields are exactly the contract's. These models
mirror that contract for readers and client generators; tests keep the two in step.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from cartax.rules.contract import EXAMPLE_REQUEST

Category = Literal["passenger", "passenger_other", "van", "truck", "special", "tricycle"]
PaymentKind = Literal[
    "bill_h1", "bill_h2", "prepay_jan", "prepay_mar", "prepay_jun", "prepay_sep", "june_lump"
]
ErrorCode = Literal[
    "invalid_json", "invalid_type", "invalid_value", "missing_field", "unknown_field", "inconsistent"
]
Money = int


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Vehicle(_Strict):
    category: Category
    use: Literal["private", "business"]
    displacement_cc: int | None = Field(
        None, ge=1, description="Engine displacement in cc; `passenger` only."
    )
    van_class: Literal["express", "large_charter", "small_charter", "large", "small"] | None = Field(
        None, description="`van` only; the charter and express classes are business vans."
    )
    special_class: Literal["large", "small"] | None = Field(None, description="`special` only.")
    load_kg: int | None = Field(None, ge=1, description="Load capacity in kg; `truck` only.")
    first_registered_on: dt.date
    manufactured_year: int | None = Field(None, description="Defaults to the year of `first_registered_on`.")


class HoldingStart(_Strict):
    event: Literal["held", "new_registration", "transfer"] = Field(
        description="`held`: held before the tax year (no date); otherwise the registration that gave it."
    )
    date: dt.date | None = None


class HoldingEnd(_Strict):
    event: Literal["held", "transfer", "deregistration"] = Field(
        description="`held`: still held on 31 December (no date); otherwise the registration that ended it."
    )
    date: dt.date | None = None
    prepayment_passed_on: bool | None = Field(
        None, description="Transfer only: the seller consented that the buyer takes over the prepayment."
    )


class Holding(_Strict):
    start: HoldingStart
    end: HoldingEnd
    held_no_day: bool | None = Field(
        None,
        description="The payer held the vehicle on no day of the tax year (start and end given as `held`).",
    )


class Exemption(_Strict):
    rate: float = Field(
        description="1.0: full exemption; 0.5: 50% reduction.", json_schema_extra={"enum": [1.0, 0.5]}
    )
    effective_from: dt.date
    decided_on: dt.date = Field(
        description="The exemption decision; a refund it causes earns interest from the day after."
    )
    applied_on: dt.date | None = Field(
        None, description="The application day (used when exemptions are not retroactive)."
    )


class Payment(_Strict):
    id: str = Field(min_length=1)
    kind: PaymentKind
    paid_on: dt.date
    car_tax: Money = Field(ge=0, description="자동차세 actually paid, in 원.")
    edu_tax: Money = Field(ge=0, description="지방교육세 actually paid, in 원.")
    via_grievance: bool | None = Field(None, description="Refunded through a 고충민원: no interest.")


class CalcRequest(_Strict):
    """One owner × vehicle × tax year."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [copy.deepcopy(dict(EXAMPLE_REQUEST))]},
    )

    id: str | int
    tax_year: int = Field(ge=2020, description="From 2020 to the last year the rule set covers.")
    district: str = Field(pattern=r"^[0-9]{5}$", description='The 5-digit 시군구 code, e.g. "11110".')
    vehicle: Vehicle
    holding: Holding
    exemptions: list[Exemption]
    payments: list[Payment]
    decision_on: dt.date | None = Field(None, description="The payment decision day that ends interest.")
    arrears: Money | None = Field(None, ge=0, description="Arrears in the same district, offset first.")
    as_of: dt.date | None = Field(
        None, description="The day prescription is judged on (default decision_on, else today)."
    )


class Annual(BaseModel):
    base: Money = Field(description="A: the annual base before the age reduction.")
    car_tax: Money
    edu_tax: Money


class HalfYearBill(BaseModel):
    half: Literal[1, 2]
    age: int
    reduction_pct: int
    car_tax: Money
    edu_tax: Money


class PrepayOption(BaseModel):
    window: Literal["jan", "mar", "jun", "sep"]
    deduction_car_tax: Money
    deduction_edu_tax: Money
    due_car_tax: Money
    due_edu_tax: Money


class Refund(BaseModel):
    payment_id: str
    cause: Literal["R1", "R2", "R3", "R4", "R5", "R6"]
    liability_car_tax: Money
    liability_edu_tax: Money
    refund_car_tax: Money
    refund_edu_tax: Money
    arose_on: dt.date
    interest_from: dt.date | None
    interest: Money
    lapsed: bool


class Totals(BaseModel):
    refund: Money
    interest: Money
    offset: Money
    payable: Money = Field(description="refund + interest − offset")


class TraceStep(BaseModel):
    step: str
    value: Any
    refs: list[str] = Field(description="The articles of law the step applies.")
    params: dict[str, Any] = Field(description="The parameters it read.")
    facts: dict[str, Any] | None = None


class CalcResponse(BaseModel):
    id: str | int
    rules_version: str
    annual: Annual
    half_years: list[HalfYearBill]
    prepay_options: list[PrepayOption]
    refunds: list[Refund]
    totals: Totals
    trace: list[TraceStep]


class ContractError(BaseModel):
    code: ErrorCode
    message: str = Field(description="What is wrong and what is accepted, in plain words.")
    field: str | None = Field(description="Dotted path such as `payments[0].paid_on`; null for invalid JSON.")


class CalcError(BaseModel):
    id: str | int | None
    error: ContractError


class Problem(BaseModel):
    """RFC 9457 problem details; branch on ``code``."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str


class Health(BaseModel):
    status: Literal["ok"]
    version: str


class Check(BaseModel):
    ok: bool
    detail: str


class Readiness(BaseModel):
    status: Literal["ready", "not_ready"]
    checks: dict[str, Check]
