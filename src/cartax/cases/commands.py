"""What people and machines ask of a case: one small frozen dataclass per request.

Commands carry ids and facts only, never personal data. The free-text ``reason`` of an objection or a
refusal is kept in the case's history (never in events) and is limited in length.
"""

from __future__ import annotations

from dataclasses import dataclass

from cartax.cases.errors import InvalidCaseCommandError
from cartax.cases.inbound import DetectedRefund, RecomputedRefund

REASON_LIMIT = 500
REFERENCE_LIMIT = 64


def _check_reason(reason: str) -> None:
    if not reason.strip() or len(reason) > REASON_LIMIT:
        raise InvalidCaseCommandError("reason_required", limit=REASON_LIMIT)


def _check_reference(value: str, field: str) -> None:
    if not value.strip() or len(value) > REFERENCE_LIMIT or not value.isprintable():
        raise InvalidCaseCommandError("invalid_reference", field=field, limit=REFERENCE_LIMIT)


@dataclass(frozen=True, slots=True)
class OpenCase:
    """Open a case for a detected refund (from ``RefundDetected``); the same case_key twice is one case."""

    detected: DetectedRefund


@dataclass(frozen=True, slots=True)
class RecomputeCase:
    """Replace a case's amounts after a registry correction (from ``RefundRecomputed``)."""

    recomputed: RecomputedRefund


@dataclass(frozen=True, slots=True)
class MarkNotified:
    """The notify context told the citizen; ``notice_ref`` is its message id."""

    case_key: str
    notice_ref: str

    def __post_init__(self) -> None:
        _check_reference(self.notice_ref, "notice_ref")


@dataclass(frozen=True, slots=True)
class AcceptRefund:
    """The citizen asks for the refund (one click)."""

    case_key: str


@dataclass(frozen=True, slots=True)
class AutoConsent:
    """Zero-click: the owner has a verified refund account and a standing consent, and the objection
    window after the notice has passed. The caller (which knows the accounts) asserts both facts."""

    case_key: str
    account_verified: bool
    consent_given: bool


@dataclass(frozen=True, slots=True)
class ObjectToRefund:
    """The citizen objects to the automatic payment or to the amount."""

    case_key: str
    reason: str

    def __post_init__(self) -> None:
        _check_reason(self.reason)


@dataclass(frozen=True, slots=True)
class ApproveRefund:
    """An officer signs the payment decision (the first or, above the threshold, the second)."""

    case_key: str


@dataclass(frozen=True, slots=True)
class RejectRefund:
    """An officer refuses the refund, saying why."""

    case_key: str
    reason: str

    def __post_init__(self) -> None:
        _check_reason(self.reason)


@dataclass(frozen=True, slots=True)
class RecordPayment:
    """The payout context made the transfer ``transfer_id``."""

    case_key: str
    transfer_id: str

    def __post_init__(self) -> None:
        _check_reference(self.transfer_id, "transfer_id")


@dataclass(frozen=True, slots=True)
class RecordReconciliation:
    """The bank confirmed the transfer (``bank_ref``: the bank's reference of the result)."""

    case_key: str
    bank_ref: str

    def __post_init__(self) -> None:
        _check_reference(self.bank_ref, "bank_ref")


@dataclass(frozen=True, slots=True)
class LapseCase:
    """Close a case whose refunds' prescription has run out (checked against the clock)."""

    case_key: str


Command = (
    OpenCase
    | RecomputeCase
    | MarkNotified
    | AcceptRefund
    | AutoConsent
    | ObjectToRefund
    | ApproveRefund
    | RejectRefund
    | RecordPayment
    | RecordReconciliation
    | LapseCase
)
