"""The refund-case API over HTTP, on SQLite and PostgreSQL: citizens see and answer their own cases,
officers their districts'; commands are idempotent; decisions and staff reads leave access records."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient

from cartax.audit import AccessAction
from cartax.identity import Role
from web_factories import World, audit_rows

OWNER, OTHER = "P11110-0000001", "P11110-0000002"
TWO_OFFICERS = 3_000_000  # above the default second-officer threshold of 2,000,000원


def _history(client: TestClient, case_key: str) -> list[str]:
    response = client.get(f"/api/v1/cases/{case_key}")
    assert response.status_code == 200, response.text
    return [row["to_state"] for row in response.json()["history"]]


def test_a_citizen_sees_only_their_own_cases(world: World) -> None:
    mine = world.open_case(case_key="a1", owner_id=OWNER)
    world.open_case(case_key="b1", owner_id=OTHER)
    citizen = world.citizen(OWNER)
    listed = citizen.get("/api/v1/me/cases")
    assert listed.status_code == 200
    assert [item["case_key"] for item in listed.json()["items"]] == [mine]
    detail = citizen.get(f"/api/v1/cases/{mine}").json()
    assert (detail["state"], detail["totals"]["payable"]) == ("notified", 250_040)
    assert [row["to_state"] for row in detail["history"]] == ["detected", "notified"]
    refused = citizen.get("/api/v1/cases/b1")
    missing = citizen.get("/api/v1/cases/no-such-case")
    assert refused.status_code == missing.status_code == 404
    assert refused.json()["code"] == missing.json()["code"] == "case_not_found"


def test_nobody_signed_in_gets_401_as_a_problem(world: World) -> None:
    response = world.client().get("/api/v1/me/cases")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthorized"


def test_accepting_is_idempotent_on_its_key(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    citizen = world.citizen(OWNER)
    key = {"Idempotency-Key": "accept-3f1c"}
    first = citizen.post(f"/api/v1/cases/{case_key}/accept", headers=key)
    again = citizen.post(f"/api/v1/cases/{case_key}/accept", headers=key)
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json()
    assert first.json()["outcome"] == "approved"  # ordinary and small: straight through
    assert (first.headers["Idempotent-Replayed"], again.headers["Idempotent-Replayed"]) == ("false", "true")
    assert _history(citizen, case_key) == ["detected", "notified", "accepted", "approved"]


def test_concurrent_duplicates_have_one_effect_and_one_answer(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    citizen = world.citizen(OWNER)

    def accept(_: int) -> tuple[int, str]:
        response = citizen.post(f"/api/v1/cases/{case_key}/accept", headers={"Idempotency-Key": "same-key"})
        return response.status_code, response.text

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = set(pool.map(accept, range(12)))
    assert len(answers) == 1
    status, _ = answers.pop()
    assert status == 200
    assert _history(citizen, case_key).count("accepted") == 1


def test_the_same_key_with_another_body_is_a_conflict_and_changes_nothing(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    citizen = world.citizen(OWNER)
    key = {"Idempotency-Key": "object-1"}
    first = citizen.post(f"/api/v1/cases/{case_key}/object", json={"reason": "금액이 다릅니다"}, headers=key)
    other = citizen.post(f"/api/v1/cases/{case_key}/object", json={"reason": "다른 이유"}, headers=key)
    elsewhere = citizen.post(f"/api/v1/cases/{case_key}/accept", headers=key)
    assert first.status_code == 200
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert (elsewhere.status_code, elsewhere.json()["code"]) == (409, "idempotency_key_reused")
    assert _history(citizen, case_key) == ["detected", "notified", "objected"]


def test_a_command_needs_a_well_formed_key(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    citizen = world.citizen(OWNER)
    missing = citizen.post(f"/api/v1/cases/{case_key}/accept")
    malformed = citizen.post(f"/api/v1/cases/{case_key}/accept", headers={"Idempotency-Key": "no spaces"})
    assert (missing.status_code, missing.json()["code"]) == (400, "idempotency_key_required")
    assert (malformed.status_code, malformed.json()["code"]) == (422, "invalid_key")
    assert _history(citizen, case_key) == ["detected", "notified"]


def test_a_state_that_does_not_allow_the_command_is_a_conflict_in_korean(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER, notified=False)
    response = world.citizen(OWNER).post(
        f"/api/v1/cases/{case_key}/accept", headers={"Idempotency-Key": "k1"}
    )
    assert (response.status_code, response.json()["code"]) == (409, "transition_not_allowed")
    assert "탐지" in response.json()["detail"] or "안내" in response.json()["detail"]


def test_two_officers_approve_a_large_refund_and_each_decision_is_audited(world: World) -> None:
    case_key = world.open_case(case_key="big1", owner_id=OWNER, payable=TWO_OFFICERS)
    claimed = world.citizen(OWNER).post(f"/api/v1/cases/{case_key}/accept", headers={"Idempotency-Key": "a"})
    assert claimed.json()["outcome"] == "awaiting_two_officers"
    maker = world.officer(("11110", Role.APPROVER))
    checker = world.officer(("11110", Role.APPROVER))
    first = maker.post(f"/api/v1/cases/{case_key}/approve", headers={"Idempotency-Key": "m1"})
    twice = maker.post(f"/api/v1/cases/{case_key}/approve", headers={"Idempotency-Key": "m2"})
    second = checker.post(f"/api/v1/cases/{case_key}/approve", headers={"Idempotency-Key": "c1"})
    assert first.json()["outcome"] == "awaiting_second_officer"
    assert (twice.status_code, twice.json()["code"]) == (403, "same_officer")
    assert (second.status_code, second.json()["outcome"]) == (200, "approved")
    decisions = [row for row in audit_rows(world) if row[0] == AccessAction.DECISION]
    assert len(decisions) == 3  # each request is recorded before it runs, the refused one too
    assert {row[2] for row in decisions} == {f"case:{case_key}"}
    assert {row[3] for row in decisions} == {OWNER}


def test_an_officer_reads_a_case_of_their_district_and_the_read_is_audited(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    viewer = world.officer(("11110", Role.VIEWER))
    assert viewer.get(f"/api/v1/cases/{case_key}").json()["owner_id"] == OWNER
    listed = viewer.get("/api/v1/districts/11110/cases", params={"state": "notified"})
    assert [item["case_key"] for item in listed.json()["items"]] == [case_key]
    assert viewer.get("/api/v1/districts/11110/cases", params={"state": "approved"}).json()["items"] == []
    reads = [row for row in audit_rows(world) if row[0] == AccessAction.READ_PERSONAL_DATA]
    assert (f"case:{case_key}", OWNER) in {(row[2], row[3]) for row in reads}
    assert ("district:11110:cases", "*") in {(row[2], row[3]) for row in reads}


def test_a_viewer_may_not_decide_and_a_refusal_needs_a_reason(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    viewer = world.officer(("11110", Role.VIEWER))
    approver = world.officer(("11110", Role.APPROVER))
    refused = viewer.post(f"/api/v1/cases/{case_key}/approve", headers={"Idempotency-Key": "v1"})
    blank = approver.post(
        f"/api/v1/cases/{case_key}/reject", json={"reason": "   "}, headers={"Idempotency-Key": "r0"}
    )
    done = approver.post(
        f"/api/v1/cases/{case_key}/reject", json={"reason": "이중 신청"}, headers={"Idempotency-Key": "r1"}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert (blank.status_code, blank.json()["code"]) == (422, "reason_required")
    assert (done.status_code, done.json()["state"]) == (200, "rejected")


def test_a_machine_token_approves_without_a_csrf_token(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER, payable=TWO_OFFICERS)
    world.citizen(OWNER).post(f"/api/v1/cases/{case_key}/accept", headers={"Idempotency-Key": "a"})
    client = world.client()
    bearer = {"Authorization": f"Bearer {world.token('11110', Role.APPROVER)}", "Idempotency-Key": "t1"}
    response = client.post(f"/api/v1/cases/{case_key}/approve", headers=bearer)
    assert (response.status_code, response.json()["outcome"]) == (200, "awaiting_second_officer")


def test_the_session_cookie_alone_cannot_change_anything(world: World) -> None:
    case_key = world.open_case(case_key="a1", owner_id=OWNER)
    citizen = world.citizen(OWNER)
    del citizen.headers["X-CSRF-Token"]
    forged = citizen.post(f"/api/v1/cases/{case_key}/accept", headers={"Idempotency-Key": "k"})
    wrong = citizen.post(
        f"/api/v1/cases/{case_key}/accept", headers={"Idempotency-Key": "k", "X-CSRF-Token": "guess"}
    )
    assert (forged.status_code, forged.json()["code"]) == (403, "csrf_failed")
    assert wrong.status_code == 403
    assert _history(citizen, case_key) == ["detected", "notified"]


def test_detection_runs_are_for_officers(world: World) -> None:
    assert world.citizen(OWNER).get("/api/v1/detection/runs").status_code == 403
    officer = world.officer(("11110", Role.VIEWER))
    response = officer.get("/api/v1/detection/runs")
    assert (response.status_code, response.json()) == (200, [])


def test_readiness_includes_the_database(world: World) -> None:
    body = world.client().get("/api/v1/ready").json()
    assert body["status"] == "ready"
    assert body["checks"]["database"]["ok"] is True
