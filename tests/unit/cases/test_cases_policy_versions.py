"""The straight-through policy's account and risk conditions, its versions, and the decisions it records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cases_factories import World, make_payable

from cartax.cases import AcceptRefund, Actor, CaseState, MarkNotified, OpenCase, Route, StraightThroughPolicy
from cartax.cases.adapters.fake import FakeAccounts, FakePolicyStore, FakeUnitOfWork, FakeVehicleTaxes
from cartax.cases.errors import CaseConflictError
from cartax.cases.handlers import _computation
from cartax.cases.model import Case
from cartax.cases.policy import InvalidPolicyError
from cartax.cases.processing import Processing
from cartax.cases.risk import AccountFacts, RiskAssessment, RiskCode, RiskFlag

AT = datetime(2026, 8, 14, tzinfo=UTC)
STRICT = StraightThroughPolicy(require_verified_account=True, account_unchanged_days=30)
OFFICER = Actor.officer("admin01")


def accepted(payable: int = 100_000) -> Case:
    detected = make_payable(payable)
    case = Case.open(detected.identity, _computation(detected, 1, AT), Actor.system("test"), AT)
    for state in (CaseState.NOTIFIED, CaseState.ACCEPTED):
        case.transition(state, Actor.citizen("o1"), AT, "test")
    return case


def verified(*flags: RiskCode) -> RiskAssessment:
    return RiskAssessment(AccountFacts(True, AT - timedelta(days=90)), tuple(RiskFlag(f) for f in flags))


def test_an_unverified_or_unknown_account_goes_to_an_officer_when_required() -> None:
    assert STRICT.decide(accepted()).reasons == ("account_not_verified",)
    unverified = RiskAssessment(AccountFacts(False, AT - timedelta(days=90)), ())
    assert STRICT.decide(accepted(), unverified).reasons == ("account_not_verified",)
    assert STRICT.decide(accepted(), verified()).route is Route.STRAIGHT_THROUGH


def test_a_risk_flag_sends_the_case_to_an_officer_unless_the_policy_says_otherwise() -> None:
    decision = STRICT.decide(accepted(), verified(RiskCode.ACCOUNT_SHARED))
    assert decision.reasons == ("risk_account_shared",)
    lenient = StraightThroughPolicy(block_on_risk=False)
    assert lenient.decide(accepted(), verified(RiskCode.ACCOUNT_SHARED)).route is Route.STRAIGHT_THROUGH


def test_the_ceiling_is_inclusive_with_every_other_condition_met() -> None:
    policy = StraightThroughPolicy(max_amount=300_000, require_verified_account=True)
    assert policy.decide(accepted(300_000), verified()).route is Route.STRAIGHT_THROUGH
    assert policy.decide(accepted(300_001), verified()).reasons == ("above_straight_through_limit",)


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        ({"max_amount": 2_000_001}, "max_amount", "2인 승인 기준 2,000,000원"),
        ({"max_amount": -5}, "max_amount", "0 이상"),
        ({"account_unchanged_days": 366}, "account_unchanged_days", "0부터 365까지"),
        ({"shared_account_limit": 1}, "shared_account_limit", "2부터 100까지"),
        ({"amount_factor_pct": 99}, "amount_factor_pct", "100부터 1,000까지"),
        ({"review_causes": frozenset({"R7"})}, "review_causes", "R1부터 R6까지"),
        ({"second_officer_above": 1}, "second_officer_above", "바꿀 수 없는"),
    ],
)
def test_a_bad_version_is_refused_saying_what_is_accepted(
    changes: dict[str, object], field: str, text: str
) -> None:
    processing = Processing(StraightThroughPolicy(), FakePolicyStore())
    with pytest.raises(InvalidPolicyError) as raised:
        processing.publish("11680", changes, "admin01", "민원 검토 결과 반영", 0, AT)
    assert [problem.field for problem in raised.value.problems] == [field]
    assert text in raised.value.render("ko")
    assert processing.policy_of("11680").version == 0


@pytest.mark.parametrize("reason", ["", "    ", "짧음", "x" * 501])
def test_a_version_needs_a_stated_reason(reason: str) -> None:
    processing = Processing(StraightThroughPolicy(), FakePolicyStore())
    with pytest.raises(InvalidPolicyError, match="5 to 500 characters"):
        processing.publish("11680", {"max_amount": 1}, "admin01", reason, 0, AT)


def test_versions_follow_each_other_and_keep_who_when_why() -> None:
    store = FakePolicyStore()
    processing = Processing(StraightThroughPolicy(), store)
    first = processing.publish("11680", {"max_amount": 300_000}, "admin01", "연말 집중 처리 기간", 0, AT)
    second = processing.publish(
        "11680", {"require_verified_account": True}, "admin02", "계좌 확인 강화", 1, AT
    )
    assert (first.version, second.version) == (1, 2)
    assert second.policy.max_amount == 300_000  # a version starts from the one it edits
    assert [v.version for v in processing.history("11680")] == [2, 1, 0]
    assert (second.author, second.reason) == ("admin02", "계좌 확인 강화")
    assert processing.policy_of("11110").version == 0  # other districts keep the settings


def test_an_edit_of_an_outdated_version_is_refused() -> None:
    processing = Processing(StraightThroughPolicy(), FakePolicyStore())
    processing.publish("11680", {"max_amount": 300_000}, "admin01", "연말 집중 처리 기간", 0, AT)
    with pytest.raises(CaseConflictError) as raised:
        processing.publish("11680", {"max_amount": 100_000}, "admin02", "다른 관리자의 수정", 0, AT)
    assert raised.value.code == "policy_changed_meanwhile"
    assert processing.policy_of("11680").policy.max_amount == 300_000


def run_claim(processing: Processing, owner_account: AccountFacts | None, payable: int = 100_000) -> World:
    world = World()
    processing.accounts = FakeAccounts({"o1": owner_account} if owner_account else {})
    service = world.service
    service.processing = processing
    detected = make_payable(payable)
    service.execute(OpenCase(detected), Actor.system("detection"))
    service.execute(MarkNotified(detected.identity.case_key, "N-2026-1"), Actor.system("notify"))
    service.execute(AcceptRefund(detected.identity.case_key), Actor.citizen("o1"))
    return world


def test_every_decision_records_the_policy_version_that_made_it() -> None:
    processing = Processing(StraightThroughPolicy(), FakePolicyStore())
    processing.publish("11110", {"require_verified_account": True}, "admin01", "계좌 확인 강화", 0, AT)
    world = run_claim(processing, AccountFacts(True, AT - timedelta(days=90)))
    [(case_key, decision)] = world.db.decisions
    assert (decision.policy_district, decision.policy_version, decision.route) == (
        "11110",
        1,
        "straight_through",
    )
    case = world.db.snapshot(case_key)
    assert case is not None
    assert case.state is CaseState.APPROVED
    assert case.history[-1].note == "policy 11110/v1"


def test_a_flagged_claim_waits_for_an_officer_with_its_flags_recorded() -> None:
    processing = Processing(
        StraightThroughPolicy(account_unchanged_days=30), FakePolicyStore(), vehicle_taxes=FakeVehicleTaxes()
    )
    world = run_claim(processing, AccountFacts(True, datetime(2026, 8, 1, tzinfo=UTC)))
    [(case_key, decision)] = world.db.decisions
    assert decision.route == "one_officer"
    assert decision.flags == ("account_recently_changed",)
    assert decision.reasons == ("risk_account_recently_changed",)
    case = world.db.snapshot(case_key)
    assert case is not None
    assert case.state is CaseState.ACCEPTED


def test_risk_flags_of_a_case_are_computed_under_its_district_policy() -> None:
    processing = Processing(
        StraightThroughPolicy(), FakePolicyStore(), vehicle_taxes=FakeVehicleTaxes({"v1": 50_000})
    )
    world = run_claim(processing, None, payable=400_000)
    [flag] = processing.risk_flags(FakeUnitOfWork(world.db), "c0ffee00c0ffee00c0ff", AT)
    assert flag.code is RiskCode.AMOUNT_ABOVE_VEHICLE
    assert "400,000원" in flag.reason()
