"""The cases context's consumer of detection's events: a new case per ``RefundDetected``, a
recomputation per ``RefundRecomputed``.

Idempotent twice over: the event id is the command's idempotency key (a redelivered event returns
the stored result and does nothing), and opening a case_key that exists is a no-op (the same
detection published twice, under two event ids, is still one case).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from cartax.bus import Delivery, Subscription
from cartax.cases.commands import OpenCase, RecomputeCase
from cartax.cases.inbound import (
    REFUND_DETECTED,
    REFUND_RECOMPUTED,
    parse_refund_detected,
    parse_refund_recomputed,
)
from cartax.cases.model import Actor
from cartax.cases.service import CaseService

CONSUMER = "cases"
DETECTION = Actor.system("detection")
TRANSFER_FAILED = "TransferFailed"
"""Payout's event when the bank refused a transfer: the dashboards count it (payload read tolerantly)."""

FailedTransfers = Callable[[str, Mapping[str, Any]], None]


def refund_events(service: CaseService, transfer_failed: FailedTransfers | None = None) -> Subscription:
    """The subscription the relay delivers detection's events (and payout's failed transfers) to."""

    def handle(delivery: Delivery) -> None:
        key = f"event:{delivery.event_id}"
        if delivery.type == REFUND_DETECTED:
            service.execute(OpenCase(parse_refund_detected(delivery.payload)), DETECTION, key)
        elif delivery.type == REFUND_RECOMPUTED:
            service.execute(RecomputeCase(parse_refund_recomputed(delivery.payload)), DETECTION, key)
        elif delivery.type == TRANSFER_FAILED and transfer_failed is not None:
            transfer_failed(key, delivery.payload)

    types = {REFUND_DETECTED, REFUND_RECOMPUTED} | ({TRANSFER_FAILED} if transfer_failed else set())
    return Subscription(CONSUMER, frozenset(types), handle)
