"""What the cases context tells the others, through the outbox. Ids, states and amounts only.

Each event has a ``TYPE`` (its name on the bus) and :meth:`payload` (JSON-ready). Free text (an
officer's or citizen's reason) never leaves the case's history.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class _Event:
    TYPE: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return {
            name: value.isoformat() if isinstance(value, datetime) else value
            for name, value in asdict(self).items()
        }


@dataclass(frozen=True, slots=True)
class CaseOpened(_Event):
    TYPE: ClassVar[str] = "CaseOpened"
    case_key: str
    owner_id: str
    vehicle_id: str
    tax_year: int
    district: str
    payable: int
    rules_version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseStateChanged(_Event):
    """Every transition: notify tells the citizen, dashboards count, audit records."""

    TYPE: ClassVar[str] = "CaseStateChanged"
    case_key: str
    owner_id: str
    district: str
    seq: int
    from_state: str | None
    to_state: str
    actor_kind: str
    reason: str
    payable: int
    computation: int
    rules_version: str
    at: datetime


@dataclass(frozen=True, slots=True)
class RefundApproved(_Event):
    """The payment is decided (지급결정): payout pays ``payable`` to the owner's verified account."""

    TYPE: ClassVar[str] = "RefundApproved"
    case_key: str
    owner_id: str
    district: str
    payable: int
    computation: int
    rules_version: str
    officers: int
    at: datetime


@dataclass(frozen=True, slots=True)
class SecondApprovalRequested(_Event):
    """A first officer signed a payment above the maker-checker threshold; another officer must."""

    TYPE: ClassVar[str] = "SecondApprovalRequested"
    case_key: str
    district: str
    payable: int
    first_officer_id: str
    at: datetime


CaseEvent = CaseOpened | CaseStateChanged | RefundApproved | SecondApprovalRequested
