"""The cases context on SQLite and PostgreSQL: the lifecycle end to end, idempotency and the rules the
database itself holds (append-only history, maker-checker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from cartax.cases import (
    AcceptRefund,
    Actor,
    ApproveRefund,
    CasesSettings,
    CaseState,
    IdempotencyKeyReusedError,
    MarkNotified,
    ObjectToRefund,
    OpenCase,
    RecomputeCase,
    RecordPayment,
    RecordReconciliation,
    case_status,
    officer_queue,
    parse_refund_detected,
    parse_refund_recomputed,
)
from cartax.cases.adapters.wiring import Cases, build_cases
from cartax.infra import list_events

NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)
CITIZEN = Actor.citizen("o1")
KIM, LEE = Actor.officer("kim01"), Actor.officer("lee02")


def payload(case_key: str, amount: int, **extra: Any) -> dict[str, Any]:
    line = {
        "payment_id": "p1", "cause": "R1", "liability_car_tax": 0, "liability_edu_tax": 0,
        "refund_car_tax": amount, "refund_edu_tax": 0, "arose_on": "2026-07-01", "interest_from": None,
        "interest": 0, "lapsed": False,
    }  # fmt: skip
    return {
        "case_key": case_key, "owner_id": "o1", "vehicle_id": "v1", "tax_year": 2026, "district": "11110",
        "refunds": [line], "totals": {"refund": amount, "interest": 0, "offset": 0, "payable": amount},
        "rules_version": "2026.1", **extra,
    }  # fmt: skip


@pytest.fixture
def cases(db_engine: Engine) -> Cases:
    settings = CasesSettings(straight_through_max=500_000, second_officer_above=2_000_000)
    return build_cases(db_engine, settings, lambda: NOW)


def open_notified(cases: Cases, case_key: str, amount: int) -> None:
    cases.service.execute(
        OpenCase(parse_refund_detected(payload(case_key, amount))), Actor.system("detection")
    )
    cases.service.execute(MarkNotified(case_key, "msg-1"), Actor.system("notify"))


def test_lifecycle_end_to_end(cases: Cases, db_engine: Engine) -> None:
    open_notified(cases, "k-small", 250_970)
    result = cases.service.execute(AcceptRefund("k-small"), CITIZEN, "accept-1")
    assert result.state is CaseState.APPROVED
    cases.service.execute(RecordPayment("k-small", "T-1"), Actor.system("payout"))
    cases.service.execute(RecordReconciliation("k-small", "B-1"), Actor.system("payout"))
    status = case_status(cases.reader, "k-small")
    assert [str(item.to_state) for item in status.history] == [
        "detected", "notified", "accepted", "approved", "paid", "reconciled",
    ]  # fmt: skip
    assert (status.state, status.totals.payable, status.rules_version) == (
        CaseState.RECONCILED,
        250_970,
        "2026.1",
    )
    assert status.since == NOW
    types = [event.type for event in list_events(db_engine)]
    assert types.count("CaseStateChanged") == 6
    assert types.count("CaseOpened") == types.count("RefundApproved") == 1


def test_repeat_and_reuse_of_a_key(cases: Cases, db_engine: Engine) -> None:
    open_notified(cases, "k1", 250_970)
    first = cases.service.execute(ObjectToRefund("k1", "금액 확인 요청"), CITIZEN, "k")
    again = cases.service.execute(ObjectToRefund("k1", "금액 확인 요청"), CITIZEN, "k")
    assert (again.seq, again.state, again.replayed) == (first.seq, first.state, True)
    events = len(list_events(db_engine))
    with pytest.raises(IdempotencyKeyReusedError):
        cases.service.execute(ObjectToRefund("k1", "다른 내용"), CITIZEN, "k")
    assert len(list_events(db_engine)) == events
    assert len(case_status(cases.reader, "k1").history) == 3


def test_maker_checker_through_the_service_and_the_queue(cases: Cases) -> None:
    open_notified(cases, "k-big", 3_000_000)
    cases.service.execute(AcceptRefund("k-big"), CITIZEN)
    assert cases.service.execute(ApproveRefund("k-big"), KIM).outcome == "awaiting_second_officer"
    [waiting] = officer_queue(cases.reader, "11110")
    assert (waiting.case_key, waiting.signatures, waiting.payable) == ("k-big", 1, 3_000_000)
    assert officer_queue(cases.reader, "26110") == []
    assert cases.service.execute(ApproveRefund("k-big"), LEE).state is CaseState.APPROVED
    assert officer_queue(cases.reader) == []


def test_recomputation_is_stored_as_a_new_computation(cases: Cases) -> None:
    open_notified(cases, "k1", 250_970)
    new = payload("k1", 100_000, previous_totals=payload("k1", 250_970)["totals"], run_id=2)
    cases.service.execute(RecomputeCase(parse_refund_recomputed(new)), Actor.system("detection"))
    status = case_status(cases.reader, "k1")
    assert (status.state, status.computation, status.totals.payable) == (CaseState.RECOMPUTED, 2, 100_000)
    reloaded = cases.service.execute(MarkNotified("k1", "msg-2"), Actor.system("notify"))
    assert reloaded.seq == 4


def case_id(engine: Engine, case_key: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT id FROM cases WHERE case_key = :k"), {"k": case_key}).scalar_one()
        )


def insert(engine: Engine, statement: str, **params: Any) -> None:
    with engine.begin() as connection:
        connection.execute(text(statement), params)


SIGN = (
    "INSERT INTO case_approvals (case_id, computation, step, officer_id, maker_id, amount, approved_at) "
    "VALUES (:case_id, 1, :step, :officer, :maker, 3000000, :at)"
)
APPROVE = (
    "INSERT INTO case_history (case_id, seq, from_state, to_state, actor_kind, actor_id, at, reason, "
    "rules_version, computation) VALUES (:case_id, 4, 'accepted', 'approved', 'officer', :officer, :at, "
    "'by_hand', '2026.1', 1)"
)


def test_database_refuses_a_second_approval_by_the_same_officer(cases: Cases, db_engine: Engine) -> None:
    open_notified(cases, "k-big", 3_000_000)
    cases.service.execute(AcceptRefund("k-big"), CITIZEN)
    cases.service.execute(ApproveRefund("k-big"), KIM)
    ident = case_id(db_engine, "k-big")
    with pytest.raises(IntegrityError):  # maker = checker
        insert(db_engine, SIGN, case_id=ident, step=2, officer="kim01", maker="kim01", at=NOW)
    with pytest.raises(IntegrityError):  # a checker naming someone who did not sign first
        insert(db_engine, SIGN, case_id=ident, step=2, officer="lee02", maker="park03", at=NOW)
    with pytest.raises(IntegrityError, match="maker_checker_required"):  # approved on one signature
        insert(db_engine, APPROVE, case_id=ident, officer="kim01", at=NOW)
    insert(db_engine, SIGN, case_id=ident, step=2, officer="lee02", maker="kim01", at=NOW)
    insert(db_engine, APPROVE, case_id=ident, officer="lee02", at=NOW)
    assert case_status(cases.reader, "k-big").state is CaseState.APPROVED


def test_database_threshold_follows_settings(cases: Cases, db_engine: Engine) -> None:
    open_notified(cases, "k-mid", 1_500_000)
    cases.service.execute(AcceptRefund("k-mid"), CITIZEN)
    build_cases(db_engine, CasesSettings(straight_through_max=0, second_officer_above=1_000_000), lambda: NOW)
    with pytest.raises(IntegrityError, match="maker_checker_required"):
        insert(db_engine, APPROVE, case_id=case_id(db_engine, "k-mid"), officer="kim01", at=NOW)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE case_history SET to_state = 'paid' WHERE seq = 2",
        "DELETE FROM case_history",
        "UPDATE case_computations SET payable = 1",
        "DELETE FROM cases",
    ],
)
def test_history_and_amounts_are_append_only(cases: Cases, db_engine: Engine, statement: str) -> None:
    open_notified(cases, "k1", 250_970)
    with pytest.raises(IntegrityError, match="append_only"):
        insert(db_engine, statement)


def test_concurrent_duplicates_on_this_database(cases: Cases) -> None:
    from concurrent.futures import ThreadPoolExecutor

    open_notified(cases, "k1", 250_970)
    with ThreadPoolExecutor(8) as pool:
        results = list(
            pool.map(lambda _: cases.service.execute(AcceptRefund("k1"), CITIZEN, "dup"), range(16))
        )
    assert {(str(r.state), r.seq) for r in results} == {("approved", 4)}
    assert sum(not r.replayed for r in results) == 1
    assert [str(i.to_state) for i in case_status(cases.reader, "k1").history].count("accepted") == 1


def test_times_are_kept_in_utc(cases: Cases) -> None:
    open_notified(cases, "k1", 250_970)
    assert case_status(cases.reader, "k1").history[0].at == NOW
    assert NOW.astimezone(UTC) - case_status(cases.reader, "k1").since == timedelta(0)
