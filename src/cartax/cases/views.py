"""Read models: what screens and APIs show of a case, without loading the aggregate for writing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cartax.cases.computation import Totals
from cartax.cases.model import Case, CaseState


@dataclass(frozen=True, slots=True)
class HistoryItem:
    seq: int
    from_state: CaseState | None
    to_state: CaseState
    actor_kind: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class CaseStatus:
    """A case as its owner or an officer follows it. No free-text notes, no officer ids."""

    case_key: str
    owner_id: str
    vehicle_id: str
    tax_year: int
    district: str
    state: CaseState
    since: datetime
    totals: Totals
    rules_version: str
    computation: int
    history: tuple[HistoryItem, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "case_key": self.case_key,
            "owner_id": self.owner_id,
            "vehicle_id": self.vehicle_id,
            "tax_year": self.tax_year,
            "district": self.district,
            "state": str(self.state),
            "since": self.since.isoformat(),
            "totals": {
                "refund": self.totals.refund,
                "interest": self.totals.interest,
                "offset": self.totals.offset,
                "payable": self.totals.payable,
            },
            "rules_version": self.rules_version,
            "computation": self.computation,
            "history": [
                {
                    "seq": item.seq,
                    "from_state": item.from_state and str(item.from_state),
                    "to_state": str(item.to_state),
                    "actor_kind": item.actor_kind,
                    "reason": item.reason,
                    "at": item.at.isoformat(),
                }
                for item in self.history
            ],
        }


@dataclass(frozen=True, slots=True)
class QueueItem:
    """A case in an officer's queue: accepted or auto-consented, awaiting a payment decision."""

    case_key: str
    district: str
    state: CaseState
    since: datetime
    payable: int
    computation: int
    signatures: int


def status_of(case: Case) -> CaseStatus:
    """The read model of an aggregate (used by the in-memory reader)."""
    computation = case.computation
    return CaseStatus(
        case.case_key,
        case.identity.owner_id,
        case.identity.vehicle_id,
        case.identity.tax_year,
        case.identity.district,
        case.state,
        case.history[-1].at,
        computation.totals,
        computation.rules_version,
        computation.version,
        tuple(
            HistoryItem(row.seq, row.from_state, row.to_state, str(row.actor.kind), row.reason, row.at)
            for row in case.history
        ),
    )
