"""Concurrency on PostgreSQL (QUALITY.md, Money): two approvers at once, 200 duplicate approval
requests, the approval delivered 200 times at once, an account change racing the approval — one
instruction, one transfer, and never money to an account in its cooling-off period."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, func, select, text

from cartax.bus import Delivery
from cartax.cases import (
    AcceptRefund,
    Actor,
    ApproveRefund,
    CasesError,
    CasesSettings,
    MarkNotified,
    OpenCase,
    parse_refund_detected,
)
from cartax.cases.adapters.wiring import Cases, build_cases
from cartax.infra import list_events, make_engine, upgrade
from cartax.payout.adapters.cases_gateway import CasesGateway
from cartax.payout.adapters.fake_bank import FakeBank, FakeRail
from cartax.payout.adapters.tables import payout_instructions
from cartax.payout.adapters.wiring import Payouts, build_payout
from cartax.payout.settings import PayoutSettings
from payout_factories import CIPHER, People

NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)
DUPLICATES = 200

pytestmark = pytest.mark.postgres


@pytest.fixture
def engine(postgres_url: str) -> Iterator[Engine]:
    reset = create_engine(postgres_url)
    with reset.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    reset.dispose()
    upgrade(postgres_url)
    engine = make_engine(postgres_url, pool_size=20, max_overflow=0, pool_timeout=120)
    yield engine
    engine.dispose()


def world(engine: Engine, cooling_off_hours: int = 72) -> tuple[Cases, Payouts, FakeBank]:
    cases = build_cases(engine, CasesSettings(straight_through=False), lambda: NOW)
    people = People()
    people.add("o1", "김민준")
    bank = FakeBank(open_world=True)
    payouts = build_payout(
        engine, PayoutSettings(cooling_off_hours=cooling_off_hours), CIPHER, people, lambda: NOW,
        CasesGateway(cases.service, cases.reader), cases.service.objection_window, bank=bank,
        rail=FakeRail(bank), holder_check=bank,
    )  # fmt: skip
    payouts.service.register_account("o1", "088", "110-234-567891", Actor.citizen("o1"))
    line = {"payment_id": "p1", "cause": "R1", "liability_car_tax": 189_180, "liability_edu_tax": 56_750,
            "refund_car_tax": 192_330, "refund_edu_tax": 57_710, "arose_on": "2026-07-01",
            "interest_from": "2026-07-02", "interest": 930, "lapsed": False}  # fmt: skip
    detected = parse_refund_detected({
        "case_key": "k1", "owner_id": "o1", "vehicle_id": "v1", "tax_year": 2026, "district": "11680",
        "refunds": [line], "rules_version": "2026.1",
        "totals": {"refund": 250_040, "interest": 930, "offset": 0, "payable": 250_970},
    })  # fmt: skip
    cases.service.execute(OpenCase(detected), Actor.system("detection"))
    cases.service.execute(MarkNotified("k1", "msg-1"), Actor.system("notify"))
    cases.service.execute(AcceptRefund("k1"), Actor.citizen("o1"))
    return cases, payouts, bank


def at_once(count: int, action: Callable[[int], Any]) -> list[Any]:
    start = threading.Barrier(count)

    def run(n: int) -> Any:
        start.wait()
        try:
            return action(n)
        except CasesError as error:
            return error

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def deliver_approvals(engine: Engine, payouts: Payouts, times: int) -> None:
    [approved] = list_events(engine, event_type="RefundApproved")
    subscription = payouts.subscription
    assert subscription is not None
    delivery = Delivery(approved.event_id, approved.type, approved.payload, approved.occurred_at, 1)
    at_once(times, lambda _: subscription.handler(delivery))


def instructions(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(payout_instructions)).scalar_one())


def test_two_approvers_at_once_make_one_decision_and_one_payment(engine: Engine) -> None:
    cases, payouts, bank = world(engine)
    outcomes = at_once(2, lambda n: cases.service.execute(ApproveRefund("k1"), Actor.officer(f"officer{n}")))
    assert sum(1 for o in outcomes if not isinstance(o, CasesError)) == 1
    assert len(list_events(engine, event_type="RefundApproved")) == 1
    deliver_approvals(engine, payouts, 2)
    payouts.worker.run_once()
    assert instructions(engine) == 1
    assert len([r for r in bank.statement() if r.status == "succeeded"]) == 1


def test_two_hundred_duplicate_approvals_and_deliveries_pay_once(engine: Engine) -> None:
    cases, payouts, bank = world(engine)
    outcomes = at_once(
        DUPLICATES,
        lambda _: cases.service.execute(ApproveRefund("k1"), Actor.officer("officer1"), "approve-k1"),
    )
    assert {o.outcome for o in outcomes if not isinstance(o, CasesError)} == {"approved"}
    assert len(list_events(engine, event_type="RefundApproved")) == 1
    deliver_approvals(engine, payouts, DUPLICATES)
    assert instructions(engine) == 1
    at_once(4, lambda _: payouts.worker.run_once())
    paid = [r for r in bank.statement() if r.status == "succeeded"]
    assert [(r.amount, r.account) for r in paid] == [(250_970, "110234567891")]


@pytest.mark.parametrize("round_", range(3))
def test_an_account_change_racing_the_approval_never_pays_the_new_account_early(
    engine: Engine, round_: int
) -> None:
    cases, payouts, bank = world(engine)

    def approve_and_pay() -> None:
        cases.service.execute(ApproveRefund("k1"), Actor.officer("officer1"))
        deliver_approvals(engine, payouts, 1)
        payouts.worker.run_once()

    def change() -> None:
        payouts.service.register_account("o1", "088", "110-234-567892", Actor.citizen("o1"))

    at_once(2, lambda n: approve_and_pay() if n == round_ % 2 else change())
    payouts.worker.run_once()
    paid = [r.account for r in bank.statement() if r.status == "succeeded"]
    assert paid in ([], ["110234567891"])  # the old, verified account, or held for cooling-off
    payment = payouts.service.payment("k1")
    assert payment is not None
    assert (payment.state, payment.hold) in (("paid", None), ("open", "cooling_off"))
