"""Events the detection context raises, through the outbox. Payloads hold ids, dates and amounts only."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class RefundDetected:
    """A new refund case: the case file's record (contracts.md §2) and the run that found it."""

    TYPE: ClassVar[str] = "RefundDetected"
    record: dict[str, Any]
    run_id: int

    def payload(self) -> dict[str, Any]:
        return {**self.record, "run_id": self.run_id}


@dataclass(frozen=True)
class RefundRecomputed:
    """A known case whose amounts changed (a registry correction): the new record and the old totals.

    A case that no longer has any refund is recomputed to an empty record with zero totals, never
    dropped silently.
    """

    TYPE: ClassVar[str] = "RefundRecomputed"
    record: dict[str, Any]
    run_id: int
    previous_totals: dict[str, int] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        return {**self.record, "run_id": self.run_id, "previous_totals": self.previous_totals}
