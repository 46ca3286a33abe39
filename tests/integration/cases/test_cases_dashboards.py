"""The dashboards' summaries and queries, the policy's versions and decisions, on SQLite and PostgreSQL:
the summaries kept with every change equal a rebuild from the case tables; a failed transfer counts once;
a dashboard counts only the districts asked for; a version number is taken once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select

from cartax.cases import (
    AcceptRefund,
    Actor,
    CasesSettings,
    LapseCase,
    MarkNotified,
    ObjectToRefund,
    OpenCase,
    RecordPayment,
    parse_refund_detected,
)
from cartax.cases.adapters.summaries import count_failed_transfer, rebuild_summaries
from cartax.cases.adapters.tables import case_flow_monthly, case_money_days, case_unclaimed
from cartax.cases.adapters.wiring import Cases, build_cases
from cartax.cases.errors import CaseConflictError

NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def payload(case_key: str, district: str, amount: int, cause: str = "R1", arose: str = "2026-07-01") -> Any:
    line = {
        "payment_id": "p1", "cause": cause, "liability_car_tax": 0, "liability_edu_tax": 0,
        "refund_car_tax": amount, "refund_edu_tax": 0, "arose_on": arose, "interest_from": None,
        "interest": 0, "lapsed": False,
    }  # fmt: skip
    return parse_refund_detected({
        "case_key": case_key, "owner_id": f"o-{case_key}", "vehicle_id": "v1", "tax_year": 2026,
        "district": district, "refunds": [line], "rules_version": "2026.1",
        "totals": {"refund": amount, "interest": 0, "offset": 0, "payable": amount},
    })  # fmt: skip


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def cases(db_engine: Engine, clock: Clock) -> Cases:
    return build_cases(db_engine, CasesSettings(), clock)


def journeys(cases: Cases, clock: Clock) -> None:
    service, system = cases.service, Actor.system("test")
    for n, (district, amount, cause) in enumerate(
        [("11680", 100_000, "R1"), ("11680", 900_000, "R2"), ("11650", 50_000, "R4"), ("26110", 70_000, "R1")]
    ):
        key = f"k{n}"
        service.execute(OpenCase(payload(key, district, amount, cause)), Actor.system("detection"))
        clock.now += timedelta(days=1)
        service.execute(MarkNotified(key, f"m{n}"), system)
    service.execute(ObjectToRefund("k1", "금액 확인 요청"), Actor.citizen("o-k1"))
    clock.now += timedelta(days=20)
    service.execute(AcceptRefund("k0"), Actor.citizen("o-k0"))
    service.execute(AcceptRefund("k1"), Actor.citizen("o-k1"))
    service.execute(AcceptRefund("k2"), Actor.citizen("o-k2"))
    clock.now += timedelta(days=3)
    service.execute(RecordPayment("k0", "T0"), Actor.system("payout"))
    old = payload("old", "11680", 30_000, arose="2021-01-02")
    service.execute(OpenCase(old), Actor.system("detection"))
    clock.now = datetime(2026, 1, 3, tzinfo=UTC) + timedelta(days=365 * 5)
    service.execute(LapseCase("old"), system)


def snapshot(engine: Engine) -> dict[str, set[tuple[Any, ...]]]:
    with engine.connect() as connection:
        return {
            table.name: {tuple(row) for row in connection.execute(select(table)) if row.cases}
            for table in (case_flow_monthly, case_unclaimed, case_money_days)
        }


def test_summaries_kept_with_each_change_equal_a_rebuild(
    cases: Cases, clock: Clock, db_engine: Engine
) -> None:
    journeys(cases, clock)
    kept = snapshot(db_engine)
    assert rebuild_summaries(db_engine) == 5
    assert snapshot(db_engine) == kept
    assert ("11680", date(2026, 9, 1), 27) in {row[:3] for row in kept["case_money_days"]}


def test_a_dashboard_counts_the_districts_asked_for(cases: Cases, clock: Clock) -> None:
    journeys(cases, clock)
    gangnam = cases.dashboards.dashboard(["11680"], date(2026, 9, 10))
    assert gangnam.total("detected").cases == 3
    assert (gangnam.total("approved").cases, gangnam.total("straight_through").cases) == (1, 1)
    assert gangnam.total("lapsed").amount == 30_000
    assert gangnam.claim_rate == 1.0  # both notified cases of 11680 were claimed
    assert (gangnam.median_days, gangnam.p90_days, gangnam.paid_counted) == (27, 27, 1)
    seoul = cases.dashboards.dashboard(["11650", "11680"], date(2026, 9, 10))
    assert seoul.total("detected").cases == 4
    assert seoul.total("straight_through").cases == 1  # k2 (R4, payer not the holder) waits for an officer
    assert {row.cause for row in seoul.causes} == {"R1", "R2", "R4"}
    assert cases.dashboards.dashboard([], date(2026, 9, 10)).total("detected").cases == 0


def test_a_failed_transfer_counts_once_and_a_request_for_another_account_not_at_all(
    cases: Cases, clock: Clock
) -> None:
    journeys(cases, clock)
    event = {
        "case_key": "k0",
        "district": "11680",
        "reason": "account_closed",
        "at": "2026-09-08T01:00:00+00:00",
    }
    count_failed_transfer(cases.uow_factory, "event:e1", event)
    count_failed_transfer(cases.uow_factory, "event:e1", event)
    count_failed_transfer(cases.uow_factory, "event:e2", {**event, "reason": "account_requested"})
    count_failed_transfer(cases.uow_factory, "event:e3", {**event, "case_key": "nobody"})
    failed = cases.dashboards.dashboard(["11680"], date(2026, 9, 10)).total("failed")
    assert (failed.cases, failed.amount) == (1, 100_000)


def test_policy_versions_are_stored_once_and_decisions_name_theirs(cases: Cases, clock: Clock) -> None:
    processing = cases.processing
    first = processing.publish("11680", {"max_amount": 150_000}, "off_admin", "한도 조정 시험", 0, NOW)
    with pytest.raises(CaseConflictError):
        processing.publish("11680", {"max_amount": 90_000}, "off_other", "동시에 고친 판", 0, NOW)
    stored = processing.policy_of("11680")
    assert (stored.version, stored.policy.max_amount, stored.author, stored.reason) == (
        1, 150_000, "off_admin", "한도 조정 시험",
    )  # fmt: skip
    assert stored.at == first.at
    journeys(cases, clock)
    [decision] = cases.decisions("k0")
    assert (decision.policy_district, decision.policy_version, decision.route) == (
        "11680",
        1,
        "straight_through",
    )
    [large] = cases.decisions("k1")
    assert (large.policy_version, large.reasons) == (1, ("above_straight_through_limit", "objected_before"))
    [other] = cases.decisions("k2")  # 11650 never published a version
    assert (other.policy_version, other.flags) == (0, ("payer_not_holder",))
