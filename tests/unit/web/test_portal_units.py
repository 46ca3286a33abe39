"""The portal's pure parts: form answers, the six steps of a case, the explanation's fallback, doctests."""

from __future__ import annotations

import doctest
import importlib
from datetime import UTC, datetime

import pytest

from cartax.cases import CaseState, CaseStatus, HistoryItem, Totals
from cartax.rules import default_law
from cartax.web.portal import forms
from cartax.web.portal.explained import explain_case
from cartax.web.portal.progress import progress_of
from cartax.web.portal.text import PortalText

AT = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
BANKS = {"088": "신한은행"}
TOTALS = Totals(250_040, 0, 0, 250_040)


def status(*states: CaseState, reason: str = "", totals: Totals = TOTALS) -> CaseStatus:
    history = tuple(
        HistoryItem(
            n, states[n - 2] if n > 1 else None, state, "system", reason if n == len(states) else "", AT
        )
        for n, state in enumerate(states, 1)
    )
    return CaseStatus("k1", "o1", "v1", 2026, "11680", states[-1], AT, totals, "2026.1", 1, history)


@pytest.mark.parametrize(
    "name", ["cartax.web.portal.forms", "cartax.web.portal.journey", "cartax.web.portal.text"]
)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0
    assert result.failed == 0


def test_a_new_account_is_read_without_hyphens_and_its_problems_name_each_field() -> None:
    answer, problems = forms.new_account({"bank": "088", "number": "110 234-567890"}, BANKS)
    assert answer == forms.NewAccount("088", "110234567890")
    assert problems == ()
    _, problems = forms.new_account({"bank": "999", "number": "１２３４５６７８９０"}, BANKS)
    assert [(p.field, p.key) for p in problems] == [
        ("bank", "error.bank"),
        ("number", "error.account_number"),
    ]


def test_the_kiosk_objection_offers_no_written_reason() -> None:
    assert forms.objection({"reason": "other", "other": "전화 주세요"}, kiosk=True)[0] is None
    assert forms.objection({"reason": "other", "other": "전화 주세요"}, kiosk=False)[0] == forms.Objection(
        "other", "전화 주세요"
    )
    assert forms.objection({"reason": "no_auto", "other": "ignored"}, kiosk=True)[0] == forms.Objection(
        "no_auto", ""
    )


def test_feedback_needs_a_rating_and_a_known_place() -> None:
    assert forms.feedback({"journey": "accept", "step": "done", "rating": "5"})[0] == forms.FeedbackAnswer(
        "accept", "done", 5, "none"
    )
    assert [p.key for p in forms.feedback({"journey": "accept", "step": "done", "rating": "0"})[1]] == [
        "error.rating"
    ]
    assert [p.key for p in forms.feedback({"journey": "hack", "step": "done", "rating": "5"})[1]] == [
        "error.feedback_place"
    ]


def test_the_steps_follow_the_case_to_the_money_arriving() -> None:
    s = CaseState
    path = (s.DETECTED, s.NOTIFIED, s.ACCEPTED, s.APPROVED, s.PAID, s.RECONCILED)
    progress = progress_of(status(*path[:3]))
    assert [step.status for step in progress.steps] == ["done", "done", "active", "todo", "todo", "todo"]
    assert not progress.final
    assert progress.hold is None
    arrived = progress_of(status(*path))
    assert [step.status for step in arrived.steps] == ["done"] * 6
    assert arrived.final


def test_a_refusal_keeps_the_steps_reached_and_says_why() -> None:
    s = CaseState
    refused = progress_of(status(s.DETECTED, s.NOTIFIED, s.ACCEPTED, s.REJECTED, reason="소유자 확인 불가"))
    assert [step.status for step in refused.steps][:3] == ["done", "done", "active"]
    assert (refused.hold, refused.hold_reason, refused.final) == ("rejected", "소유자 확인 불가", False)


def test_without_a_stored_request_the_figures_are_explained_from_the_totals_with_their_articles() -> None:
    explained = explain_case(
        status(CaseState.NOTIFIED, totals=Totals(200_000, 1_500, 50_000, 151_500)),
        None,
        default_law(),
        AT.date(),
        PortalText("ko"),
    )
    assert not explained.from_trace
    assert [reason.refs for reason in explained.reasons] == [
        ("지방세기본법 제60조",),
        ("지방세기본법 제62조",),
        ("지방세기본법 제60조제2항",),
    ]
    assert "200,000원" in explained.reasons[0].text
