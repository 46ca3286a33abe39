"""The cases context's consumer of detection's events: a new case per ``RefundDetected``, a
recomputation per ``RefundRecomputed``.

Idempotent twice over: the event id is the command's idempotency key (a redelivered event returns
the stored result and does nothing), and opening a case_key that exists is a no-op (the same
detection published twice, under two event ids, is still one case).
"""

from __future__ import annotations

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


def refund_events(service: CaseService) -> Subscription:
    """The subscription the relay delivers detection's events to."""

    def handle(delivery: Delivery) -> None:
        key = f"event:{delivery.event_id}"
        if delivery.type == REFUND_DETECTED:
            service.execute(OpenCase(parse_refund_detected(delivery.payload)), DETECTION, key)
        elif delivery.type == REFUND_RECOMPUTED:
            service.execute(RecomputeCase(parse_refund_recomputed(delivery.payload)), DETECTION, key)

    return Subscription(CONSUMER, frozenset({REFUND_DETECTED, REFUND_RECOMPUTED}), handle)
