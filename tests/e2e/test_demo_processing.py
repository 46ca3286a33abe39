"""The embedded demo's processing: its administrator publishes the demo district's policy version 1,
the ordinary claims are approved straight through under it (and record it), the larger ones wait for
officers, and the dashboard shows the share handled without a person."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartax.bootstrap import bootstrap, relay_pending
from cartax.cases import AcceptRefund, Actor, CaseState, MarkNotified
from cartax.cases.worklists import WorkFilter
from cartax.demo import DEMO_DISTRICT, prepare_demo
from cartax.identity import Role
from web_factories import NOW, make_settings, make_world

DEMO_SIZE = 3_000


def test_the_demo_decides_claims_under_its_published_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cartax.demo.DEMO_VEHICLES", DEMO_SIZE)
    url = f"sqlite:///{tmp_path / 'cartax.db'}"
    platform = bootstrap(make_settings(url, tmp_path), clock=lambda: NOW)
    said: list[str] = []
    prepare_demo(platform, say=said.append)
    assert any("/console/policy" in line for line in said)
    prepare_demo(platform, say=lambda _: None)  # a second start publishes nothing more
    relay_pending(platform)
    world = make_world(url, tmp_path)
    try:
        processing = world.services.cases.processing
        assert [version.version for version in processing.history(DEMO_DISTRICT)] == [1, 0]
        lines = world.services.case_lists.worklist(
            DEMO_DISTRICT, WorkFilter(states=frozenset({CaseState.DETECTED})), None, 10_000
        )
        ordinary = [line for line in lines if line.payable <= 500_000][:6]
        large = [line for line in lines if line.payable > 500_000][:2]
        service = world.services.cases.service
        for line in ordinary + large:
            service.execute(MarkNotified(line.case_key, f"m-{line.case_key}"), Actor.system("notify"))
            service.execute(AcceptRefund(line.case_key), Actor.citizen(line.owner_id))
        routes = {
            line.case_key: world.services.cases.decisions(line.case_key)[0] for line in ordinary + large
        }
        assert {decision.policy_version for decision in routes.values()} == {1}
        assert {routes[line.case_key].route for line in large} == {"one_officer"}
        straight = sum(routes[line.case_key].route == "straight_through" for line in ordinary)
        assert straight >= 1
        page = world.officer((DEMO_DISTRICT, Role.VIEWER)).get("/console/dashboard").text
        assert '<dd id="straight-share">100.0%' in page  # every approval so far was the policy's
    finally:
        world.services.close()
