"""The demo's citizens claim some refunds so the console has work: the large ones wait for officers, the
ordinary ones go straight through, the quotas hold across rounds and starts, and only told people claim."""

from __future__ import annotations

import threading
import time

from cartax.cases import CaseState
from cartax.cases.worklists import WorkFilter
from cartax.demo.claims import Quotas, claim_round, start_claims
from web_factories import World

DISTRICT = "11680"


def _states(world: World) -> dict[str, CaseState]:
    lines = world.services.case_lists.worklist(DISTRICT, WorkFilter(), None, 100)
    return {line.case_key: line.state for line in lines}


def test_claims_fill_the_review_queue_and_go_straight_through_within_their_quotas(world: World) -> None:
    for n, payable in enumerate((900_000, 800_000, 700_000, 300_000, 200_000, 100_000)):
        world.open_case(case_key=f"d{n}", owner_id=f"P{n}", district=DISTRICT, payable=payable)
    world.open_case(case_key="d-untold", owner_id="P9", district=DISTRICT, payable=950_000, notified=False)
    quotas = Quotas(review=2, ordinary=2)
    assert claim_round(world.services, DISTRICT, quotas) == 4
    states = _states(world)
    assert [states[key] for key in ("d0", "d1", "d2")] == [
        CaseState.ACCEPTED,
        CaseState.ACCEPTED,
        CaseState.NOTIFIED,
    ]
    assert [states[key] for key in ("d3", "d4", "d5")] == [
        CaseState.APPROVED,
        CaseState.APPROVED,
        CaseState.NOTIFIED,
    ]
    assert states["d-untold"] is CaseState.DETECTED  # nobody claims a refund they were not told of
    assert quotas.met
    assert claim_round(world.services, DISTRICT, quotas) == 0
    later = Quotas(review=2, ordinary=2)  # a second start counts the earlier claims
    assert claim_round(world.services, DISTRICT, later) == 0


def test_the_claims_run_beside_the_server_until_stopped(world: World) -> None:
    world.open_case(case_key="d0", owner_id="P0", district=DISTRICT, payable=900_000)
    said: list[str] = []
    stop = threading.Event()
    thread = start_claims(world.platform, DISTRICT, said.append, stop)
    deadline = time.monotonic() + 30
    while _states(world)["d0"] is not CaseState.ACCEPTED:
        assert time.monotonic() < deadline, "the background claims did not claim"
        time.sleep(0.1)
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert said == ["시연 시민 1명이 환급을 신청했습니다 (demo citizens claimed 1 refunds)"]
