"""Read models for screens, APIs and reports. Account numbers appear only masked (``****1234``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cartax.payout.banks import bank_name, mask


@dataclass(frozen=True, slots=True)
class AccountView:
    """A person's current refund account as shown to them or to an officer."""

    owner_id: str
    bank_code: str
    last4: str
    check: str  # HolderCheck value
    source: str
    registered_at: datetime
    cooling_off_until: datetime | None
    zero_click_consent: bool

    @property
    def bank(self) -> str:
        return bank_name(self.bank_code)

    @property
    def masked(self) -> str:
        return mask(self.last4)

    @property
    def verified(self) -> bool:
        return self.check == "verified"

    def payable_at(self, now: datetime) -> bool:
        """Whether money may be sent to this account now (verified, cooling-off over)."""
        return self.verified and (self.cooling_off_until is None or self.cooling_off_until <= now)

    def to_json(self) -> dict[str, Any]:
        return {
            "bank_code": self.bank_code,
            "bank": self.bank,
            "account": self.masked,
            "verified": self.verified,
            "check": self.check,
            "source": self.source,
            "registered_at": self.registered_at.isoformat(),
            "cooling_off_until": self.cooling_off_until and self.cooling_off_until.isoformat(),
            "zero_click_consent": self.zero_click_consent,
        }


@dataclass(frozen=True, slots=True)
class TransferView:
    transfer_id: str
    rail: str
    state: str
    amount: int
    bank_code: str
    last4: str
    reason: str | None
    bank_ref: str | None
    created_at: datetime
    resolved_at: datetime | None

    @property
    def masked(self) -> str:
        return mask(self.last4)


@dataclass(frozen=True, slots=True)
class LedgerLineView:
    entry_key: str
    kind: str
    day: date
    account: str
    amount: int


@dataclass(frozen=True, slots=True)
class PaymentView:
    """Everything payout knows of one case: its instruction(s), transfers and ledger lines."""

    case_key: str
    owner_id: str
    district: str
    computation: int
    amount: int
    state: str  # InstructionState value
    hold: str | None  # HoldReason value, when an open instruction cannot be sent now
    hold_until: datetime | None
    pay_on: date | None  # zero-click: the announced payment day
    created_at: datetime
    transfers: tuple[TransferView, ...] = ()
    ledger: tuple[LedgerLineView, ...] = ()

    @property
    def paid(self) -> TransferView | None:
        return next((t for t in self.transfers if t.state == "succeeded"), None)


@dataclass(frozen=True, slots=True)
class FailedTransferView:
    """A case whose transfer the bank refused (or held for an officer), for a district's officers."""

    case_key: str
    owner_id: str
    district: str
    amount: int
    state: str
    reason: str
    transfer_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class Balance:
    """Sum of ledger lines per account for one key (a case, a person, a district or a day)."""

    key: str
    by_account: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.by_account.values())


@dataclass(frozen=True, slots=True)
class ReconciliationLine:
    transfer_id: str
    status: str  # matched | missing_result | status_mismatch | amount_mismatch | unknown_to_us
    ours: str | None
    bank: str | None
    amount: int | None
    bank_amount: int | None


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    """The day's reconciliation: every transfer id is matched (counted) or flagged (listed, with why)."""

    day: date
    matched: int
    flagged: tuple[ReconciliationLine, ...]
    ledger_balanced: bool

    @property
    def clean(self) -> bool:
        return not self.flagged and self.ledger_balanced
