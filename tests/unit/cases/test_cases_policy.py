"""The straight-through policy at its boundaries, and its settings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from cases_factories import make_payable
from pydantic import ValidationError

from cartax.cases import Actor, CasesSettings, CaseState, Route, StraightThroughPolicy
from cartax.cases.handlers import _computation
from cartax.cases.model import Case

AT = datetime(2026, 8, 14, tzinfo=UTC)
POLICY = StraightThroughPolicy(
    max_amount=500_000, second_officer_above=2_000_000, review_causes=frozenset({"R5"})
)


def accepted_case(payable: int, *, cause: str = "R1", history: tuple[CaseState, ...] = ()) -> Case:
    detected = make_payable(payable, cause=cause)
    case = Case.open(detected.identity, _computation(detected, 1, AT), Actor.system("test"), AT)
    for state in (CaseState.NOTIFIED, *history, CaseState.ACCEPTED):
        case.transition(state, Actor.citizen("o1"), AT, "test")
    return case


@pytest.mark.parametrize(
    ("payable", "route"),
    [
        (1, Route.STRAIGHT_THROUGH),
        (499_999, Route.STRAIGHT_THROUGH),
        (500_000, Route.STRAIGHT_THROUGH),  # the ceiling itself is straight-through
        (500_001, Route.ONE_OFFICER),
        (2_000_000, Route.ONE_OFFICER),  # "above" is strict: the threshold itself needs one officer
        (2_000_001, Route.TWO_OFFICERS),
        (900_000_000, Route.TWO_OFFICERS),
    ],
)
def test_route_by_amount(payable: int, route: Route) -> None:
    decision = POLICY.decide(accepted_case(payable))
    assert decision.route is route
    assert (
        decision.officers == {Route.STRAIGHT_THROUGH: 0, Route.ONE_OFFICER: 1, Route.TWO_OFFICERS: 2}[route]
    )


def test_reviewed_cause_goes_to_an_officer_whatever_the_amount() -> None:
    decision = POLICY.decide(accepted_case(10_000, cause="R5"))
    assert decision.route is Route.ONE_OFFICER
    assert decision.reasons == ("cause_R5_reviewed",)


def test_a_case_that_was_objected_to_goes_to_an_officer() -> None:
    decision = POLICY.decide(accepted_case(10_000, history=(CaseState.OBJECTED,)))
    assert decision.reasons == ("objected_before",)


def test_disabled_policy_sends_everything_to_officers_but_keeps_maker_checker() -> None:
    policy = StraightThroughPolicy(enabled=False)
    assert policy.decide(accepted_case(10)).reasons == ("straight_through_disabled",)
    assert policy.decide(accepted_case(2_000_001)).route is Route.TWO_OFFICERS


def test_zero_ceiling_means_no_straight_through() -> None:
    policy = StraightThroughPolicy(max_amount=0, second_officer_above=0)
    assert policy.decide(accepted_case(1)).route is Route.TWO_OFFICERS


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"max_amount": 3_000_000, "second_officer_above": 2_000_000},
            "must not exceed second_officer_above",
        ),
        ({"max_amount": -1}, "non-negative"),
        ({"max_amount": 1.5}, "whole"),
        ({"review_causes": frozenset({"R9"})}, "not refund causes"),
    ],
)
def test_inconsistent_policy_is_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StraightThroughPolicy(**kwargs)  # type: ignore[arg-type]  # deliberately wrong types


def test_settings_build_the_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTAX_CASES_STRAIGHT_THROUGH_MAX", "100000")
    monkeypatch.setenv("CARTAX_CASES_SECOND_OFFICER_ABOVE", "1000000")
    monkeypatch.setenv("CARTAX_CASES_REVIEW_CAUSES", '["R5","R6"]')
    settings = CasesSettings()
    assert settings.policy() == StraightThroughPolicy(True, 100_000, 1_000_000, frozenset({"R5", "R6"}))
    assert settings.objection_window.days == 14


def test_settings_refuse_a_ceiling_above_the_maker_checker_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARTAX_CASES_STRAIGHT_THROUGH_MAX", "5000000")
    with pytest.raises(ValidationError, match="CARTAX_CASES_STRAIGHT_THROUGH_MAX must not exceed"):
        CasesSettings()
