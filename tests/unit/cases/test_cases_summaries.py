"""The dashboards' summaries: what each change adds, and a replay of the whole history adds the same."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from cases_factories import make_line, make_payload

from cartax.cases import Actor, CaseState, parse_refund_detected
from cartax.cases.handlers import _computation
from cartax.cases.model import Case
from cartax.cases.summaries import Deltas, deltas

OPENED = datetime(2026, 6, 20, 1, 0, tzinfo=UTC)
SYSTEM = Actor.system("test")


def opened(refund: int = 200_000, cause: str = "R2") -> Case:
    line = make_line(cause=cause, refund_car_tax=refund, refund_edu_tax=0, interest=0, arose_on="2026-06-01")
    detected = parse_refund_detected(make_payload(lines=[line]))
    return Case.open(detected.identity, _computation(detected, 1, OPENED), SYSTEM, OPENED)


def step(case: Case, state: CaseState, at: datetime, reason: str = "test") -> Deltas:
    case.new_transitions = []
    case.transition(state, SYSTEM, at, reason)
    return deltas(case)


def test_a_journey_adds_flows_moves_the_unclaimed_stock_and_counts_days_to_money() -> None:
    case = opened()
    first = deltas(case)
    june, july = date(2026, 6, 1), date(2026, 7, 1)
    assert dict(first.flows) == {(june, "detected", "R2"): [1, 200_000]}
    lapse_month = date(2031, 6, 1)  # arose 2026-06-01, lapses after 2031-06-01
    assert dict(first.unclaimed) == {(lapse_month, "R2"): [1, 200_000]}
    notified = step(case, CaseState.NOTIFIED, OPENED + timedelta(days=2))
    assert dict(notified.unclaimed) == {(lapse_month, "R2"): [0, 0]}  # left and came back: no change
    accepted = step(case, CaseState.ACCEPTED, datetime(2026, 7, 2, tzinfo=UTC))
    assert dict(accepted.unclaimed) == {(lapse_month, "R2"): [-1, -200_000]}
    approved = step(case, CaseState.APPROVED, datetime(2026, 7, 2, tzinfo=UTC), "straight_through")
    assert dict(approved.flows) == {
        (july, "approved", "R2"): [1, 200_000],
        (july, "straight_through", "R2"): [1, 200_000],
    }
    paid = step(case, CaseState.PAID, datetime(2026, 7, 9, 16, 0, tzinfo=UTC))  # 2026-07-10 KST
    assert dict(paid.money_days) == {(july, 20): 1}


def test_replaying_the_history_adds_what_the_changes_added_one_by_one() -> None:
    case = opened(cause="R1")
    total = Deltas(case.identity.district)
    parts = [deltas(case)]
    moments = [OPENED + timedelta(days=n) for n in range(1, 5)]
    states = (CaseState.NOTIFIED, CaseState.OBJECTED, CaseState.ACCEPTED, CaseState.APPROVED)
    for state, at in zip(states, moments, strict=True):
        parts.append(step(case, state, at))
    for part in parts:
        for key, (n, amount) in part.flows.items():
            total.flows[key][0] += n
            total.flows[key][1] += amount
        for stock, (n, amount) in part.unclaimed.items():
            total.unclaimed[stock][0] += n
            total.unclaimed[stock][1] += amount
    replayed = deltas(case, replay=True)
    assert {k: v for k, v in total.flows.items() if v != [0, 0]} == dict(replayed.flows)
    assert {k: v for k, v in total.unclaimed.items() if v != [0, 0]} == {
        k: v for k, v in replayed.unclaimed.items() if v != [0, 0]
    }
    assert all(v == [0, 0] for v in replayed.unclaimed.values())  # claimed: nothing left unclaimed


def test_an_offset_counts_the_offset_and_never_enters_the_unclaimed_stock() -> None:
    line = make_line(refund_car_tax=50_000, refund_edu_tax=0, interest=0)
    detected = parse_refund_detected(make_payload(lines=[line], offset=50_000))
    case = Case.open(detected.identity, _computation(detected, 1, OPENED), SYSTEM, OPENED)
    case.transition(CaseState.OFFSET, SYSTEM, OPENED, "fully_offset")
    found = deltas(case)
    assert found.flows[(date(2026, 6, 1), "offset", "R1")] == [1, 50_000]
    assert all(cell == [0, 0] for cell in found.unclaimed.values())
