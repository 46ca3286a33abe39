"""What the payout context tells the others, through the outbox. Ids, amounts, dates, reason codes and
at most an account's last four digits: never an account number or a name.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class _Event:
    TYPE: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return {
            name: value.isoformat() if isinstance(value, datetime | date) else value
            for name, value in asdict(self).items()
        }


@dataclass(frozen=True, slots=True)
class AccountChanged(_Event):
    """A refund account was added or replaced: notify tells the person on the previous and the new
    contact. ``held_until``: payouts to the new account wait until then (cooling-off), or None."""

    TYPE: ClassVar[str] = "AccountChanged"
    owner_id: str
    bank_code: str
    last4: str
    previous_last4: str | None
    source: str
    verified: bool
    held_until: datetime | None
    at: datetime


@dataclass(frozen=True, slots=True)
class ZeroClickAnnounced(_Event):
    """ "Paid to ****1234 on <pay_on> unless you object": notify tells the person."""

    TYPE: ClassVar[str] = "ZeroClickAnnounced"
    case_key: str
    owner_id: str
    district: str
    amount: int
    bank_code: str
    last4: str
    pay_on: date
    at: datetime


@dataclass(frozen=True, slots=True)
class TransferFailed(_Event):
    """The bank refused a transfer (or an officer asks for another account): notify asks the person
    for another account. ``reason``: a :class:`cartax.payout.model.FailReason` or ``account_requested``."""

    TYPE: ClassVar[str] = "TransferFailed"
    case_key: str
    owner_id: str
    district: str
    transfer_id: str | None
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RefundPaid(_Event):
    """The bank confirmed the transfer of ``amount`` 원 on ``paid_on``."""

    TYPE: ClassVar[str] = "RefundPaid"
    case_key: str
    owner_id: str
    district: str
    transfer_id: str
    amount: int
    paid_on: date
    last4: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OffsetPosted(_Event):
    """``amount`` 원 of the refund was set off against the person's arrears (충당)."""

    TYPE: ClassVar[str] = "OffsetPosted"
    case_key: str
    owner_id: str
    district: str
    amount: int
    at: datetime


@dataclass(frozen=True, slots=True)
class PaymentReconciled(_Event):
    """The day's reconciliation matched the transfer with the bank's result."""

    TYPE: ClassVar[str] = "PaymentReconciled"
    case_key: str
    transfer_id: str
    bank_ref: str
    day: date
    at: datetime


PayoutEvent = (
    AccountChanged | ZeroClickAnnounced | TransferFailed | RefundPaid | OffsetPosted | PaymentReconciled
)
