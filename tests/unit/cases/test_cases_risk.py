"""Risk flags at their boundaries, with their reasons in plain Korean (and English)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cases_factories import make_line, make_payload

from cartax.cases import Actor, CaseState, parse_refund_detected
from cartax.cases.handlers import _computation
from cartax.cases.model import Case
from cartax.cases.risk import AccountFacts, RiskCode, RiskThresholds, assess_risk

NOW = datetime(2026, 8, 14, 3, 0, tzinfo=UTC)  # 2026-08-14 12:00 KST
LIMITS = RiskThresholds(account_unchanged_days=30, shared_account_limit=3, amount_factor_pct=150)


def make_case(*, refund: int = 100_000, causes: tuple[str, ...] = ("R1",)) -> Case:
    lines = [
        make_line(payment_id=f"p{n}", cause=cause, refund_car_tax=refund, refund_edu_tax=0, interest=0)
        for n, cause in enumerate(causes, 1)
    ]
    detected = parse_refund_detected(make_payload(lines=lines))
    case = Case.open(detected.identity, _computation(detected, 1, NOW), Actor.system("test"), NOW)
    case.transition(CaseState.NOTIFIED, Actor.system("test"), NOW, "test")
    return case


def codes(case: Case, account: AccountFacts | None = None, annual: int | None = None) -> list[str]:
    return [str(flag.code) for flag in assess_risk(case, account, annual, LIMITS, NOW).flags]


def changed(days_ago: int) -> AccountFacts:
    return AccountFacts(verified=True, changed_at=NOW - timedelta(days=days_ago))


@pytest.mark.parametrize(
    ("days_ago", "flagged"),
    [(0, True), (1, True), (29, True), (30, False), (31, False), (400, False)],
)
def test_account_changed_fewer_than_n_days_ago_is_flagged(days_ago: int, flagged: bool) -> None:
    assert (codes(make_case(), changed(days_ago)) == ["account_recently_changed"]) is flagged


def test_account_age_counts_korean_calendar_days() -> None:
    # 2026-07-15 23:30 KST is 14:30 UTC the same day: 30 Korean days before 2026-08-14, not 29.
    account = AccountFacts(True, datetime(2026, 7, 15, 14, 30, tzinfo=UTC))
    assert codes(make_case(), account) == []
    account = AccountFacts(True, datetime(2026, 7, 15, 15, 30, tzinfo=UTC))  # 2026-07-16 00:30 KST
    assert codes(make_case(), account) == ["account_recently_changed"]


def test_zero_days_never_flags_a_change() -> None:
    flags = assess_risk(make_case(), changed(0), None, RiskThresholds(account_unchanged_days=0), NOW).flags
    assert flags == ()


@pytest.mark.parametrize(("others", "flagged"), [(0, False), (2, False), (3, True), (40, True)])
def test_account_shared_by_the_limit_or_more_is_flagged(others: int, flagged: bool) -> None:
    account = AccountFacts(True, NOW - timedelta(days=365), others_sharing=others)
    assert (codes(make_case(), account) == ["account_shared"]) is flagged


@pytest.mark.parametrize(
    ("refund", "flagged"),
    [(150_000, False), (150_001, True), (149_999, False), (1_000_000, True)],
)
def test_refund_above_the_factor_of_the_annual_tax_is_flagged(refund: int, flagged: bool) -> None:
    # annual tax 100,000원, factor 150%: exactly 150,000원 is still ordinary.
    assert (codes(make_case(refund=refund), annual=100_000) == ["amount_above_vehicle"]) is flagged


def test_unknown_facts_raise_no_flag() -> None:
    assert codes(make_case(refund=10_000_000), None, None) == []
    assert codes(make_case(refund=10_000_000), None, 0) == []


def test_payment_by_someone_who_held_no_day_is_flagged() -> None:
    assert codes(make_case(causes=("R1", "R4", "R4"))) == ["payer_not_holder"]
    assert codes(make_case(causes=("R1", "R2", "R3", "R5", "R6"))) == []


def test_flags_come_together_in_a_fixed_order() -> None:
    account = AccountFacts(True, NOW - timedelta(days=2), others_sharing=5)
    found = codes(make_case(refund=900_000, causes=("R4",)), account, 100_000)
    assert found == ["account_recently_changed", "account_shared", "amount_above_vehicle", "payer_not_holder"]


def test_reasons_are_plain_korean_with_dates_and_amounts() -> None:
    account = AccountFacts(True, datetime(2026, 8, 4, 1, 0, tzinfo=UTC), others_sharing=4)
    flags = assess_risk(make_case(refund=300_000, causes=("R4",)), account, 100_000, LIMITS, NOW).flags
    reasons = {flag.code: flag.reason() for flag in flags}
    assert reasons[RiskCode.ACCOUNT_RECENTLY_CHANGED] == (
        "환급 계좌가 2026년 8월 4일에 바뀌었습니다(10일 전). "
        "계좌를 바꾼 지 30일이 지나지 않은 환급은 담당자가 확인합니다."
    )
    assert (
        reasons[RiskCode.ACCOUNT_SHARED] == "같은 계좌를 관계없는 다른 사람 4명도 환급 계좌로 등록했습니다."
    )
    assert "300,000원" in reasons[RiskCode.AMOUNT_ABOVE_VEHICLE]
    assert "100,000원의 150%" in reasons[RiskCode.AMOUNT_ABOVE_VEHICLE]
    assert reasons[RiskCode.PAYER_NOT_HOLDER].startswith("납부한 사람이 그 기간에 차량을 소유하지 않았습니다")
    english = flags[0].reason("en")
    assert "4 August 2026" in english
    assert "30 days" in english
