"""Cases at every stage for the dashboard and policy tests (e2e over TestClient and in the browser)."""

from __future__ import annotations

from cartax.cases import (
    AcceptRefund,
    Actor,
    MarkNotified,
    OpenCase,
    RecordPayment,
    parse_refund_detected,
)
from web_factories import World, refund_payload

DISTRICT, NEIGHBOUR, ELSEWHERE = "11680", "11650", "26110"
"""Two districts of Seoul (강남구, 서초구) and one of Busan (중구)."""


def staged_case(world: World, case_key: str, *, district: str, payable: int, stage: str) -> str:
    """A case taken to ``stage``: detected, notified, approved (straight through under the default
    policy's 500,000원 limit, or waiting for an officer above it) or paid."""
    payload = refund_payload(case_key=case_key, owner_id=f"o-{case_key}", district=district, payable=payable)
    service = world.services.cases.service
    service.execute(OpenCase(parse_refund_detected(payload)), Actor.system("detection"))
    if stage == "detected":
        return case_key
    service.execute(MarkNotified(case_key, f"msg-{case_key}"), Actor.system("notify"))
    if stage == "notified":
        return case_key
    service.execute(AcceptRefund(case_key), Actor.citizen(f"o-{case_key}"))
    if stage == "paid":
        service.execute(RecordPayment(case_key, f"T-{case_key}"), Actor.system("payout"))
    return case_key


def seed_dashboard(world: World) -> World:
    """강남구: 2 detected, 1 notified, 3 claimed (2 approved straight through, 1 of 700,000원 waiting
    for an officer), 1 of them paid; 서초구: 1 paid; 부산 중구: 1 notified."""
    staged_case(world, "d1", district=DISTRICT, payable=100_000, stage="detected")
    staged_case(world, "d2", district=DISTRICT, payable=120_000, stage="notified")
    staged_case(world, "d3", district=DISTRICT, payable=200_000, stage="approved")
    staged_case(world, "d4", district=DISTRICT, payable=300_000, stage="paid")
    staged_case(world, "d5", district=DISTRICT, payable=700_000, stage="claimed")
    staged_case(world, "n1", district=NEIGHBOUR, payable=50_000, stage="paid")
    staged_case(world, "e1", district=ELSEWHERE, payable=80_000, stage="notified")
    return world
