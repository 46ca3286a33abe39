"""The embedded demo end to end: the generated district is detected, its RefundDetected events are relayed
to the cases context, and an officer of the district sees the cases through the API (issue 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cartax.bootstrap import bootstrap, relay_pending
from cartax.demo import DEMO_DISTRICT, prepare_demo
from cartax.identity import Role
from web_factories import NOW, make_settings, make_world

DEMO_SIZE = 3_000
"""Vehicles generated: the demo's own code path, on a district small enough for the test suite."""


def test_the_demo_districts_refunds_are_cases_its_officers_see(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cartax.demo.DEMO_VEHICLES", DEMO_SIZE)
    url = f"sqlite:///{tmp_path / 'cartax.db'}"
    platform = bootstrap(make_settings(url, tmp_path), clock=lambda: NOW)
    prepare_demo(platform, say=lambda _: None)
    assert relay_pending(platform) > 0
    assert relay_pending(platform) == 0  # everything was delivered once
    world = make_world(url, tmp_path)
    try:
        officer = world.officer((DEMO_DISTRICT, Role.VIEWER))
        runs = officer.get("/api/v1/detection/runs").json()
        assert len(runs) == 1
        cases, after = [], None
        while True:
            params = {"limit": 500, **({"after": after} if after else {})}
            page = officer.get(f"/api/v1/districts/{DEMO_DISTRICT}/cases", params=params).json()
            cases += page["items"]
            after = page["next_after"]
            if after is None:
                break
        assert len(cases) == runs[0]["cases_with_refunds"] > 0
        assert {case["district"] for case in cases} == {DEMO_DISTRICT}
        assert "detected" in {case["state"] for case in cases}
        detail = officer.get(f"/api/v1/cases/{cases[0]['case_key']}").json()
        assert detail["history"][0]["reason"] == "refund_detected"
        stranger = world.officer(("11110", Role.APPROVER))
        assert stranger.get(f"/api/v1/districts/{DEMO_DISTRICT}/cases").status_code == 404
        assert stranger.get(f"/api/v1/cases/{cases[0]['case_key']}").status_code == 404
    finally:
        world.services.close()
