"""A district for the console's tests: two owners and their vehicles in the registry, and refund cases
their owners have claimed, awaiting officers (e2e over TestClient and in the browser alike)."""

from __future__ import annotations

from pathlib import Path

from cartax.bootstrap import pii_cipher
from cartax.cases import AcceptRefund, Actor, MarkNotified, OpenCase, parse_refund_detected
from cartax.infra import session_factory
from cartax.registry.adapters.uow import RegistryUnitOfWork
from cartax.registry.feeds import read_feeds
from cartax.registry.ingest import ingest_feeds
from registry_factories import make_feeds, make_owner, make_payment, make_registration, make_vehicle
from web_factories import World, refund_payload

DISTRICT, ELSEWHERE = "11110", "11680"
SMALL, LARGE, HUGE = 600_000, 900_000, 3_000_000
"""Above the straight-through limit (500,000원): one officer for the first two, two above 2,000,000원."""
SECOND_RRN = "800202-2000002"


def add_registry(world: World, folder: Path) -> None:
    """O1 (홍길동) with V1 (12가3456) and a payment P1; O2 (김철수) with V2 (34나5678)."""
    feeds = make_feeds(
        folder,
        vehicles=[
            make_vehicle(vehicle_id="V1", plate="12가3456"),
            make_vehicle(vehicle_id="V2", plate="34나5678"),
        ],
        owners=[
            make_owner(owner_id="O1", name="홍길동"),
            make_owner(owner_id="O2", name="김철수", rrn=SECOND_RRN),
        ],
        registrations=[
            make_registration(event_id="E1", vehicle_id="V1", owner_id="O1"),
            make_registration(event_id="E2", vehicle_id="V2", owner_id="O2"),
        ],
        payments=[make_payment(payment_id="P1", vehicle_id="V1", owner_id="O1")],
    )
    uow = RegistryUnitOfWork(session_factory(world.services.engine), world.platform.clock)
    ingest_feeds(read_feeds(feeds), uow, pii_cipher(world.platform.settings))


def claimed_case(
    world: World,
    case_key: str,
    *,
    owner: str,
    vehicle: str,
    payable: int,
    district: str = DISTRICT,
    cause: str = "R1",
) -> str:
    """A case its owner was told of and has claimed (awaiting an officer unless the policy approved it)."""
    payload = refund_payload(
        case_key=case_key, owner_id=owner, district=district, payable=payable, cause=cause
    )
    payload["vehicle_id"] = vehicle
    service = world.services.cases.service
    service.execute(OpenCase(parse_refund_detected(payload)), Actor.system("detection"))
    service.execute(MarkNotified(case_key, f"msg-{case_key}"), Actor.system("notify"))
    service.execute(AcceptRefund(case_key), Actor.citizen(owner))
    return case_key


def seed_district(world: World, folder: Path) -> World:
    """The registry, three cases of the district awaiting review (small, large, huge) and one elsewhere."""
    add_registry(world, folder)
    claimed_case(world, "c-small", owner="O1", vehicle="V1", payable=SMALL)
    claimed_case(world, "c-large", owner="O2", vehicle="V2", payable=LARGE)
    claimed_case(world, "c-huge", owner="O1", vehicle="V1", payable=HUGE)
    claimed_case(world, "c-away", owner="O1", vehicle="V1", payable=SMALL, district=ELSEWHERE)
    return world
