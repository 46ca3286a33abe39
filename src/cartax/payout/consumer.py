"""The payout context's consumer: decisions become instructions, notices become zero-click
announcements, recomputations cancel what is not yet under way, and payout's own ``RefundPaid`` and
``PaymentReconciled`` are recorded on the case. Idempotent: every step is keyed (a UNIQUE row or an
idempotency key), so a redelivered event changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from cartax.bus import Delivery, Subscription
from cartax.payout.model import Decided
from cartax.payout.ports import CaseGateway

CONSUMER = "payout"
REFUND_APPROVED = "RefundApproved"
CASE_STATE_CHANGED = "CaseStateChanged"
REFUND_PAID = "RefundPaid"
PAYMENT_RECONCILED = "PaymentReconciled"


class Decisions(Protocol):
    def decide(self, decided: Decided, at: datetime) -> str: ...

    def announce(
        self, case_key: str, owner_id: str, district: str, amount: int, notified_at: datetime
    ) -> bool: ...

    def cancel(self, case_key: str, superseded_by: int) -> int: ...


def payout_events(payout: Decisions, cases: CaseGateway) -> Subscription:
    """The subscription the relay delivers the cases context's and payout's own events to."""

    def handle(delivery: Delivery) -> None:
        payload: dict[str, Any] = delivery.payload
        if delivery.type == REFUND_APPROVED:
            decided = cases.decided(payload["case_key"], int(payload["computation"]))
            if decided is not None and decided.payable == int(payload["payable"]):
                payout.decide(decided, datetime.fromisoformat(payload["at"]))
        elif delivery.type == CASE_STATE_CHANGED:
            _state_changed(payout, payload)
        elif delivery.type == REFUND_PAID:
            cases.record_payment(payload["case_key"], payload["transfer_id"])
        elif delivery.type == PAYMENT_RECONCILED:
            cases.record_reconciliation(payload["case_key"], payload["bank_ref"])

    types = frozenset({REFUND_APPROVED, CASE_STATE_CHANGED, REFUND_PAID, PAYMENT_RECONCILED})
    return Subscription(CONSUMER, types, handle)


def _state_changed(payout: Decisions, payload: dict[str, Any]) -> None:
    if payload["to_state"] == "notified":
        payout.announce(
            payload["case_key"], payload["owner_id"], payload["district"], int(payload["payable"]),
            datetime.fromisoformat(payload["at"]),
        )  # fmt: skip
    elif payload["to_state"] == "recomputed" and payload["from_state"] in ("approved",):
        payout.cancel(payload["case_key"], int(payload["computation"]))
