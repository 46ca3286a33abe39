"""The use cases through the service on in-memory adapters: the journey, its side exits, its checks."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from cases_factories import World, make_line, make_payable, make_payload

from cartax.cases import (
    AcceptRefund,
    Actor,
    ApproveRefund,
    AutoConsent,
    CaseConflictError,
    CaseForbiddenError,
    CaseNotFoundError,
    CaseState,
    InvalidEventError,
    LapseCase,
    MarkNotified,
    ObjectToRefund,
    OpenCase,
    RecomputeCase,
    RecordPayment,
    RecordReconciliation,
    RejectRefund,
    StraightThroughPolicy,
    TransitionNotAllowedError,
    case_status,
    parse_refund_detected,
    parse_refund_recomputed,
)
from cartax.cases.adapters.fake import FakeCaseReader

KEY = "c0ffee00c0ffee00c0ff"
SYSTEM = Actor.system("test")
CITIZEN = Actor.citizen("o1")
KIM, LEE = Actor.officer("kim01"), Actor.officer("lee02")


def opened(world: World, amount: int | None = None, **payload: object) -> None:
    detected = make_payable(amount) if amount is not None else parse_refund_detected(make_payload(**payload))
    world.service.execute(OpenCase(detected), SYSTEM)


def notified(world: World, amount: int | None = None) -> None:
    opened(world, amount)
    world.service.execute(MarkNotified(KEY, "msg-1"), Actor.system("notify"))


def states(world: World) -> list[CaseState]:
    return [item.to_state for item in case_status(FakeCaseReader(world.db), KEY).history]


def test_straight_through_journey_to_reconciled() -> None:
    world = World()
    notified(world)  # 250,970원: ordinary, below the straight-through ceiling
    result = world.service.execute(AcceptRefund(KEY), CITIZEN, "k-1")
    assert (result.state, result.outcome) == (CaseState.APPROVED, "approved")
    world.service.execute(RecordPayment(KEY, "T-20260814-1"), Actor.system("payout"))
    world.service.execute(RecordReconciliation(KEY, "B-1"), Actor.system("payout"))
    assert states(world) == ["detected", "notified", "accepted", "approved", "paid", "reconciled"]
    history = world.db.cases[KEY].history
    assert history[3].actor == Actor.system("straight-through")
    assert {row.rules_version for row in history} == {"2026.1"}
    [approved] = world.events("RefundApproved")
    assert (approved["payable"], approved["officers"], approved["owner_id"]) == (250_970, 0, "o1")
    assert [e["to_state"] for e in world.events("CaseStateChanged")] == states(world)


def test_events_carry_no_free_text() -> None:
    world = World(policy=StraightThroughPolicy(enabled=False))
    notified(world)
    world.service.execute(ObjectToRefund(KEY, "계좌가 바뀌었습니다 010-1234-5678"), CITIZEN)
    assert world.db.cases[KEY].history[-1].note == "계좌가 바뀌었습니다 010-1234-5678"
    assert "010-1234-5678" not in repr([event.payload() for event in world.db.outbox])


def test_officer_approves_what_policy_does_not() -> None:
    world = World()
    notified(world, 1_500_000)
    assert world.service.execute(AcceptRefund(KEY), CITIZEN).outcome == "awaiting_officer"
    result = world.service.execute(ApproveRefund(KEY), KIM)
    assert (result.state, result.outcome) == (CaseState.APPROVED, "approved")
    assert world.events("RefundApproved")[0]["officers"] == 1


def test_maker_checker_needs_a_second_different_officer() -> None:
    world = World()
    notified(world, 2_000_001)
    assert world.service.execute(AcceptRefund(KEY), CITIZEN).outcome == "awaiting_two_officers"
    first = world.service.execute(ApproveRefund(KEY), KIM)
    assert (first.state, first.outcome) == (CaseState.ACCEPTED, "awaiting_second_officer")
    with pytest.raises(CaseForbiddenError) as caught:
        world.service.execute(ApproveRefund(KEY), KIM)
    assert caught.value.code == "same_officer"
    assert "2,000,000원" in caught.value.render("ko")
    second = world.service.execute(ApproveRefund(KEY), LEE)
    assert second.state is CaseState.APPROVED
    signatures = world.db.cases[KEY].approvals
    assert [(a.step, a.officer_id, a.maker_id) for a in signatures] == [
        (1, "kim01", None),
        (2, "lee02", "kim01"),
    ]
    assert world.events("SecondApprovalRequested")[0]["first_officer_id"] == "kim01"
    assert world.events("RefundApproved")[0]["officers"] == 2


def test_at_the_threshold_one_officer_is_enough() -> None:
    world = World()
    notified(world, 2_000_000)
    world.service.execute(AcceptRefund(KEY), CITIZEN)
    assert world.service.execute(ApproveRefund(KEY), KIM).state is CaseState.APPROVED


def test_only_officers_approve_and_reject() -> None:
    world = World(policy=StraightThroughPolicy(enabled=False))
    notified(world)
    world.service.execute(AcceptRefund(KEY), CITIZEN)
    for command in (ApproveRefund(KEY), RejectRefund(KEY, "이중 등록")):
        with pytest.raises(CaseForbiddenError, match="Only an officer"):
            world.service.execute(command, CITIZEN)
    result = world.service.execute(RejectRefund(KEY, "등록 원부 오류"), KIM)
    assert result.state is CaseState.REJECTED
    assert world.db.cases[KEY].history[-1].note == "등록 원부 오류"


def test_approval_outside_awaiting_states_is_a_conflict() -> None:
    world = World()
    notified(world)
    with pytest.raises(TransitionNotAllowedError):
        world.service.execute(ApproveRefund(KEY), KIM)


def test_only_the_owner_accepts_or_objects_but_an_officer_may_at_the_counter() -> None:
    world = World()
    notified(world)
    for command in (AcceptRefund(KEY), ObjectToRefund(KEY, "no")):
        with pytest.raises(CaseForbiddenError) as caught:
            world.service.execute(command, Actor.citizen("someone-else"))
        assert caught.value.code == "not_case_owner"
    world.service.execute(AcceptRefund(KEY), KIM)
    assert world.db.cases[KEY].history[2].reason == "accepted_at_counter"


def test_auto_consent_waits_for_the_objection_window() -> None:
    world = World()
    notified(world)
    consent = AutoConsent(KEY, account_verified=True, consent_given=True)
    world.clock.advance(days=14, seconds=-1)
    with pytest.raises(CaseConflictError) as caught:
        world.service.execute(consent, Actor.system("payout"))
    assert caught.value.code == "objection_window_open"
    assert "2026년 8월 28일" in caught.value.render("ko")
    world.clock.advance(seconds=1)  # the window has ended exactly now
    result = world.service.execute(consent, Actor.system("payout"))
    assert [str(s) for s in states(world)][-2:] == ["auto_consented", "approved"]
    assert result.outcome == "approved"


@pytest.mark.parametrize(("verified", "consented"), [(False, True), (True, False), (False, False)])
def test_auto_consent_needs_a_verified_account_and_consent(verified: bool, consented: bool) -> None:
    world = World()
    notified(world)
    world.clock.advance(days=30)
    with pytest.raises(CaseConflictError, match="verified"):
        world.service.execute(AutoConsent(KEY, verified, consented), Actor.system("payout"))


def test_objection_stops_auto_consent_and_the_citizen_may_still_accept() -> None:
    world = World()
    notified(world)
    world.service.execute(ObjectToRefund(KEY, "금액이 다릅니다"), CITIZEN)
    world.clock.advance(days=30)
    with pytest.raises(TransitionNotAllowedError):
        world.service.execute(AutoConsent(KEY, True, True), Actor.system("payout"))
    result = world.service.execute(AcceptRefund(KEY), CITIZEN)
    assert result.outcome == "awaiting_officer"  # an objected case is reviewed by an officer


def test_fully_offset_case_closes_at_once() -> None:
    world = World()
    opened(world, offset=10_000_000)
    assert states(world) == ["detected", "offset"]
    assert world.db.cases[KEY].computation.totals.payable == 0


def test_case_with_every_refund_lapsed_closes_as_lapsed() -> None:
    world = World()
    opened(world, lines=[make_line(lapsed=True, arose_on="2020-07-01")])
    assert states(world) == ["detected", "lapsed"]


def test_lapse_only_after_the_last_day_in_korean_time() -> None:
    world = World()
    opened(world, lines=[make_line(arose_on="2021-08-13"), make_line(payment_id="p2", arose_on="2021-08-14")])
    # Now is 2026-08-14 10:00 KST: p2 can still be paid today.
    with pytest.raises(CaseConflictError) as caught:
        world.service.execute(LapseCase(KEY), SYSTEM)
    assert caught.value.params["until"] == date(2026, 8, 14)
    world.clock.advance(hours=14)  # 2026-08-15 00:00 KST
    assert world.service.execute(LapseCase(KEY), SYSTEM).state is CaseState.LAPSED


def test_a_claimed_case_does_not_lapse() -> None:
    world = World(policy=StraightThroughPolicy(enabled=False))
    notified(world)
    world.service.execute(AcceptRefund(KEY), CITIZEN)
    world.clock.advance(days=365 * 6)
    with pytest.raises(TransitionNotAllowedError):
        world.service.execute(LapseCase(KEY), SYSTEM)


def test_opening_the_same_detection_twice_is_one_case() -> None:
    world = World()
    opened(world)
    detected = parse_refund_detected(make_payload(rules_version="2026.2"))
    result = world.service.execute(OpenCase(detected), SYSTEM)
    assert (result.outcome, result.seq) == ("duplicate", 1)
    assert len(world.db.cases) == 1
    assert world.db.cases[KEY].computation.rules_version == "2026.1"  # recomputation is explicit
    assert len(world.events("CaseOpened")) == 1


def recomputation(
    previous_payable: int, new_lines: list[dict[str, object]], **payload: object
) -> RecomputeCase:
    new = make_payload(lines=new_lines, **payload)
    new["previous_totals"] = make_payload()["totals"] | {"payable": previous_payable}
    return RecomputeCase(parse_refund_recomputed(new))


def test_recomputation_keeps_history_and_starts_over() -> None:
    world = World()
    notified(world)
    command = recomputation(250_970, [make_line(refund_car_tax=100_000)], rules_version="2026.2")
    result = world.service.execute(command, Actor.system("detection"))
    assert (result.state, result.outcome) == (CaseState.RECOMPUTED, "recomputed")
    case = world.db.cases[KEY]
    assert [c.version for c in case.computations] == [1, 2]
    assert (case.history[-1].computation, case.history[-1].rules_version) == (2, "2026.2")
    assert case.history[1].rules_version == "2026.1"  # the past rows keep what they were decided under
    assert world.service.execute(command, Actor.system("detection")).outcome == "duplicate"
    world.service.execute(MarkNotified(KEY, "msg-2"), Actor.system("notify"))
    assert world.service.execute(AcceptRefund(KEY), CITIZEN).outcome == "awaiting_officer"


def test_recomputation_voids_a_pending_first_signature() -> None:
    world = World()
    notified(world, 3_000_000)
    world.service.execute(AcceptRefund(KEY), CITIZEN)
    world.service.execute(ApproveRefund(KEY), KIM)
    line = make_line(refund_car_tax=2_500_000, refund_edu_tax=0, interest=0)
    new = make_payload(lines=[line])
    new["previous_totals"] = {"refund": 3_000_000, "interest": 0, "offset": 0, "payable": 3_000_000}
    world.service.execute(RecomputeCase(parse_refund_recomputed(new)), Actor.system("detection"))
    world.service.execute(MarkNotified(KEY, "msg-2"), Actor.system("notify"))
    world.service.execute(AcceptRefund(KEY), CITIZEN)
    assert world.service.execute(ApproveRefund(KEY), KIM).outcome == "awaiting_second_officer"


def test_recomputation_from_stale_amounts_is_refused() -> None:
    world = World()
    notified(world)
    with pytest.raises(InvalidEventError, match="previous_totals"):
        world.service.execute(recomputation(1, [make_line(refund_car_tax=1)]), Actor.system("detection"))


def test_recomputation_to_nothing_rejects_and_to_full_offset_offsets() -> None:
    world = World()
    notified(world)
    assert world.service.execute(recomputation(250_970, []), SYSTEM).outcome == "rejected"
    assert states(world)[-2:] == ["recomputed", "rejected"]
    other = World()
    opened(other)
    assert (
        other.service.execute(recomputation(250_970, [make_line()], offset=300_000), SYSTEM).outcome
        == "offset"
    )


def test_recomputation_after_payment_is_not_allowed() -> None:
    world = World()
    notified(world)
    world.service.execute(AcceptRefund(KEY), CITIZEN)
    world.service.execute(RecordPayment(KEY, "T-1"), Actor.system("payout"))
    with pytest.raises(TransitionNotAllowedError):
        world.service.execute(recomputation(250_970, [make_line(refund_car_tax=1)]), SYSTEM)


def test_unknown_case() -> None:
    with pytest.raises(CaseNotFoundError) as caught:
        World().service.execute(AcceptRefund("nope"), CITIZEN)
    assert caught.value.render("ko") == "환급 건 nope를 찾을 수 없습니다. 안내문에 적힌 번호를 확인해 주세요."


def test_timestamps_come_from_the_clock() -> None:
    world = World()
    opened(world)
    world.clock.advance(minutes=5)
    world.service.execute(MarkNotified(KEY, "m"), SYSTEM)
    at = [row.at for row in world.db.cases[KEY].history]
    assert at[1] - at[0] == timedelta(minutes=5)
