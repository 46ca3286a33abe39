"""The whole journey through the bus, on SQLite and PostgreSQL: a citizen accepts, the case is approved
straight through, payout takes the pre-registered account, pays it, the case goes to paid; the day's
reconciliation closes it; a zero-click announcement follows a notice."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from cartax.bus import InProcessBus, Relay
from cartax.cases import (
    AcceptRefund,
    Actor,
    CasesSettings,
    CaseState,
    MarkNotified,
    OpenCase,
    parse_refund_detected,
)
from cartax.cases.adapters.wiring import build_cases
from cartax.infra import list_events
from cartax.payout.adapters.cases_gateway import CasesGateway
from cartax.payout.adapters.fake_bank import FakeBank, FakeRail
from cartax.payout.adapters.wiring import build_payout
from cartax.payout.model import kst_day
from cartax.payout.settings import PayoutSettings
from payout_factories import CIPHER, Clock, People

LINE = {"payment_id": "p1", "cause": "R1", "liability_car_tax": 189_180, "liability_edu_tax": 56_750,
        "refund_car_tax": 192_330, "refund_edu_tax": 57_710, "arose_on": "2026-07-01",
        "interest_from": "2026-07-02", "interest": 930, "lapsed": False}  # fmt: skip


def world(engine: Engine):  # type: ignore[no-untyped-def]
    clock = Clock()
    cases = build_cases(engine, CasesSettings(), clock)
    people = People()
    people.add("o1", "김민준", "신한은행", "110-234-567890")  # pre-registered (환급계좌 사전등록)
    people.add("o2", "이서연")
    bank = FakeBank(open_world=True)
    payouts = build_payout(
        engine, PayoutSettings(), CIPHER, people, clock, CasesGateway(cases.service, cases.reader),
        cases.service.objection_window, bank=bank, rail=FakeRail(bank), holder_check=bank,
    )  # fmt: skip
    relay = Relay(engine, InProcessBus(engine, [cases.subscription, *payouts.subscriptions], clock), clock)
    for owner, key in (("o1", "k1"), ("o2", "k2")):
        detected = parse_refund_detected({
            "case_key": key, "owner_id": owner, "vehicle_id": "v1", "tax_year": 2026, "district": "11680",
            "refunds": [LINE], "rules_version": "2026.1",
            "totals": {"refund": 250_040, "interest": 930, "offset": 0, "payable": 250_970},
        })  # fmt: skip
        cases.service.execute(OpenCase(detected), Actor.system("detection"))
    return clock, cases, payouts, bank, relay


def test_an_accepted_case_is_paid_to_the_pre_registered_account_and_reconciled(db_engine: Engine) -> None:
    clock, cases, payouts, bank, relay = world(db_engine)
    cases.service.execute(MarkNotified("k1", "msg-1"), Actor.system("notify"))
    cases.service.execute(AcceptRefund("k1"), Actor.citizen("o1"))
    relay.drain()
    assert payouts.worker.run_once() == 1
    relay.drain()
    status = cases.reader.status("k1")
    assert status is not None
    assert status.state is CaseState.PAID
    assert [(r.account, r.amount) for r in bank.statement()] == [("110234567890", 250_970)]
    report = payouts.service.reconcile(kst_day(clock()))
    assert report.clean
    assert report.matched == 1
    relay.drain()
    status = cases.reader.status("k1")
    assert status is not None
    assert status.state is CaseState.RECONCILED
    payouts.service.reconcile(kst_day(clock()))
    assert len(list_events(db_engine, event_type="PaymentReconciled")) == 1


def test_a_person_with_consent_is_announced_and_paid_after_the_objection_window(db_engine: Engine) -> None:
    clock, cases, payouts, bank, relay = world(db_engine)
    payouts.service.import_preregistered("o1", zero_click=True)
    cases.service.execute(MarkNotified("k1", "msg-1"), Actor.system("notify"))
    relay.drain()
    [announced] = list_events(db_engine, event_type="ZeroClickAnnounced")
    assert announced.payload["last4"] == "7890"
    assert announced.payload["pay_on"] == kst_day(clock() + timedelta(days=14)).isoformat()
    assert payouts.service.settle_announcements() == 0  # not before its day
    clock.advance(days=14, minutes=1)
    assert payouts.service.settle_announcements() == 1
    relay.drain()
    payouts.worker.run_once()
    relay.drain()
    status = cases.reader.status("k1")
    assert status is not None
    assert status.state is CaseState.PAID
    assert len(bank.statement()) == 1


def test_without_an_account_the_approved_case_waits_and_is_paid_once_one_is_given(db_engine: Engine) -> None:
    _, cases, payouts, bank, relay = world(db_engine)
    cases.service.execute(MarkNotified("k2", "msg-2"), Actor.system("notify"))
    cases.service.execute(AcceptRefund("k2"), Actor.citizen("o2"))
    relay.drain()
    assert payouts.worker.run_once() == 0
    payment = payouts.service.payment("k2")
    assert payment is not None
    assert payment.hold == "no_account"
    payouts.service.register_account("o2", "004", "222-333-444555", Actor.citizen("o2"))
    assert payouts.worker.run_once() == 1
    relay.drain()
    status = cases.reader.status("k2")
    assert status is not None
    assert status.state is CaseState.PAID
    assert len(bank.statement()) == 1
