"""The documents the office issues about a refund case, and what is recorded of each.

Three kinds (DESIGN.md, rules.md §6): the refund notice (환급금 통지서) tells the person what they are owed
and why; the payment decision (지급결정 통지서) says the refund was decided for payment; the offset notice
(충당 통지) tells them that arrears were set off first (지방세기본법 제60조제2항). Standard library only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum
from types import MappingProxyType
from typing import Any

KST = timezone(timedelta(hours=9), "KST")
"""Korea Standard Time (no daylight saving): the days printed on documents are Korean days."""


class DocumentKind(StrEnum):
    """A kind of document; its value names the template file and appears in records and URLs."""

    REFUND_NOTICE = "refund_notice"  # 환급금 통지서
    PAYMENT_DECISION = "payment_decision"  # 지급결정 통지서
    OFFSET_NOTICE = "offset_notice"  # 충당 통지


ELIGIBLE_STATES: Mapping[DocumentKind, frozenset[str]] = MappingProxyType(
    {
        # Told of the refund while it can still be claimed (or claimed and waiting for the decision).
        DocumentKind.REFUND_NOTICE: frozenset(
            {"detected", "notified", "recomputed", "accepted", "auto_consented", "objected"}
        ),
        # The payment was decided (지급결정), whether or not the money has arrived yet.
        DocumentKind.PAYMENT_DECISION: frozenset({"approved", "paid", "reconciled"}),
        # Any case whose current computation sets something off against arrears, closed or not.
        DocumentKind.OFFSET_NOTICE: frozenset(
            {"detected", "notified", "recomputed", "accepted", "auto_consented", "objected"}
            | {"approved", "paid", "reconciled", "offset"}
        ),
    }
)
"""kind → the case states (``cartax.cases.CaseState`` values) in which that document can be issued."""


@dataclass(frozen=True, slots=True)
class RefundedPayment:
    """One refunded payment of the case's current computation (the contract's ``refunds[]``)."""

    payment_id: str
    cause: str
    refund_car_tax: int
    refund_edu_tax: int
    interest: int
    arose_on: date
    interest_from: date | None
    lapsed: bool

    @property
    def refund(self) -> int:
        return self.refund_car_tax + self.refund_edu_tax


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    """Everything a document says about one case, gathered from the cases and registry contexts.

    ``recipient`` is already masked (홍*동): documents and records never carry a full name, a resident
    number, an address or an account number.
    """

    case_key: str
    district: str
    district_name: str
    """The issuing office as people read it: 서울특별시 강남구."""
    tax_year: int
    state: str
    plate: str
    recipient: str
    rules_version: str
    computation: int
    payments: tuple[RefundedPayment, ...]
    refund: int
    interest: int
    offset: int
    payable: int
    decided_on: date | None = None
    """The payment decision day (지급결정일), once the case was approved."""
    lapses_after: date | None = None
    """The last day the refund can be claimed (지방세기본법 제64조)."""


@dataclass(frozen=True, slots=True)
class IssuedDocument:
    """The record of one document as issued: what the verification page shows and checks."""

    document_id: str
    kind: DocumentKind
    case_key: str
    district: str
    template_version: str
    content_digest: str
    code: str
    issued_at: datetime
    summary: Mapping[str, Any] = field(default_factory=dict)
    """What was issued, masked (kind, plate, recipient, amounts, dates): shown on the verification page."""


@dataclass(frozen=True, slots=True)
class RenderedDocument:
    """One document as a PDF, with its record (the code printed in its QR code)."""

    record: IssuedDocument
    pdf: bytes

    @property
    def filename(self) -> str:
        return f"{self.record.kind}-{self.record.case_key}.pdf"


class VerificationOutcome(StrEnum):
    GENUINE = "genuine"  # issued by this office, and the record is intact
    ALTERED = "altered"  # a record exists but its seal does not match: do not trust the paper
    UNKNOWN = "unknown"  # no document was issued under this code


@dataclass(frozen=True, slots=True)
class Verification:
    """The answer to "is this paper genuine?" for a code read from a QR code or typed in."""

    code: str
    outcome: VerificationOutcome
    record: IssuedDocument | None

    @property
    def genuine(self) -> bool:
        return self.outcome is VerificationOutcome.GENUINE


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a bulk print wrote: how many documents and pages, into which file, skipped cases."""

    kind: DocumentKind
    district: str
    documents: int
    pages: int
    skipped: int
    """Cases of the district in an eligible state that the document does not apply to (e.g. no offset)."""
    path: str
    seconds: float
