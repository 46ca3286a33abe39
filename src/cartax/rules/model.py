"""What the engine computes on and what it returns: frozen value objects, standard library only."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, NamedTuple


class Category(StrEnum):
    PASSENGER = "passenger"  # 승용 (cc 기준)
    PASSENGER_OTHER = "passenger_other"  # 그 밖의 승용 (전기·수소 등)
    VAN = "van"  # 승합
    TRUCK = "truck"  # 화물
    SPECIAL = "special"  # 특수
    TRICYCLE = "tricycle"  # 3륜 이하


class Use(StrEnum):
    PRIVATE = "private"  # 비영업용
    BUSINESS = "business"  # 영업용


class StartEvent(StrEnum):
    HELD = "held"
    NEW_REGISTRATION = "new_registration"
    TRANSFER = "transfer"


class EndEvent(StrEnum):
    HELD = "held"
    TRANSFER = "transfer"
    DEREGISTRATION = "deregistration"


class PaymentKind(StrEnum):
    BILL_H1 = "bill_h1"
    BILL_H2 = "bill_h2"
    PREPAY_JAN = "prepay_jan"
    PREPAY_MAR = "prepay_mar"
    PREPAY_JUN = "prepay_jun"
    PREPAY_SEP = "prepay_sep"
    JUNE_LUMP = "june_lump"

    @property
    def is_prepayment(self) -> bool:
        """연납 (R1 applies); the June lump sum is a bill (rules.md §9)."""
        return self in _PREPAYMENTS

    @property
    def is_discounted(self) -> bool:
        return self not in _BILLS

    @property
    def span(self) -> int:
        """Half-years the payment covers as a bit mask: 1 = 제1기분, 2 = 제2기분."""
        return _SPANS[self]


_PREPAYMENTS = frozenset(
    (PaymentKind.PREPAY_JAN, PaymentKind.PREPAY_MAR, PaymentKind.PREPAY_JUN, PaymentKind.PREPAY_SEP)
)
_BILLS = frozenset((PaymentKind.BILL_H1, PaymentKind.BILL_H2))
_SPANS = {
    PaymentKind.BILL_H1: 1,
    PaymentKind.BILL_H2: 2,
    PaymentKind.PREPAY_SEP: 2,
    PaymentKind.PREPAY_JAN: 3,
    PaymentKind.PREPAY_MAR: 3,
    PaymentKind.PREPAY_JUN: 3,
    PaymentKind.JUNE_LUMP: 3,
}


class Cause(StrEnum):
    """Why a payment is refunded (rules.md §6.3)."""

    PREPAID_THEN_ENDED = "R1"  # 연납 후 이전·말소
    BILL_THEN_ENDED = "R2"  # 정기분 납부 후 기간 중 이전·말소
    DUPLICATE = "R3"  # 이중납부
    HELD_NO_DAY = "R4"  # 소유하지 않은 기간의 납부
    OVER_ASSESSED = "R5"  # 과오납(과다부과)
    EXEMPTION = "R6"  # 감면


@dataclass(frozen=True, slots=True)
class Vehicle:
    category: Category
    use: Use
    first_registered_on: date
    manufactured_year: int
    displacement_cc: int | None = None
    van_class: str | None = None
    special_class: str | None = None
    load_kg: int | None = None


@dataclass(frozen=True, slots=True)
class Holding:
    """How the owner came to hold the vehicle in the tax year and how the holding ended."""

    start_event: StartEvent = StartEvent.HELD
    start_date: date | None = None
    end_event: EndEvent = EndEvent.HELD
    end_date: date | None = None
    prepayment_passed_on: bool = False
    held_no_day: bool = False
    """The payer held the vehicle on no day of the year and no event of theirs is in it (detection only)."""


@dataclass(frozen=True, slots=True)
class Exemption:
    """A 감면: ``rate_pct`` 100 (full) or 50, in force from ``effective_from``."""

    rate_pct: int
    effective_from: date
    decided_on: date
    applied_on: date | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    id: str
    kind: PaymentKind
    paid_on: date
    car_tax: int
    edu_tax: int
    via_grievance: bool = False


@dataclass(frozen=True, slots=True)
class CalcRequest:
    """One owner × vehicle × tax year (contracts.md §1)."""

    id: str
    tax_year: int
    district: str
    vehicle: Vehicle
    holding: Holding
    exemptions: tuple[Exemption, ...]
    payments: tuple[Payment, ...]
    decision_on: date | None = None
    arrears: int = 0
    as_of: date | None = None


@dataclass(frozen=True, slots=True)
class HalfYearBill:
    half: int
    age: int
    reduction_pct: int
    car_tax: int
    edu_tax: int


@dataclass(frozen=True, slots=True)
class PrepayOption:
    window: str
    deduction_car_tax: int
    deduction_edu_tax: int
    due_car_tax: int
    due_edu_tax: int


@dataclass(frozen=True, slots=True)
class RefundLine:
    payment_id: str
    cause: Cause
    liability_car_tax: int
    liability_edu_tax: int
    refund_car_tax: int
    refund_edu_tax: int
    arose_on: date
    interest_from: date | None
    interest: int
    lapsed: bool

    @property
    def refund(self) -> int:
        return self.refund_car_tax + self.refund_edu_tax


@dataclass(frozen=True, slots=True)
class Totals:
    refund: int
    interest: int
    offset: int
    payable: int


_NONE: Mapping[str, Any] = {}


class TraceStep(NamedTuple):
    """One step of the computation: what was computed, its value, the law and the parameters used.

    A named tuple rather than a frozen dataclass: a calculation builds several, and a tuple is built
    several times faster. ``params`` and ``facts`` are read-only by type.
    """

    step: str
    value: Any
    refs: tuple[str, ...]
    params: Mapping[str, Any] = _NONE
    facts: Mapping[str, Any] = _NONE


@dataclass(frozen=True, slots=True)
class CalcResult:
    id: str
    rules_version: str
    base: int
    annual_car_tax: int
    annual_edu_tax: int
    half_years: tuple[HalfYearBill, HalfYearBill]
    prepay_options: tuple[PrepayOption, ...]
    refunds: tuple[RefundLine, ...]
    totals: Totals
    trace: tuple[TraceStep, ...]
