"""200 concurrent duplicates of one acceptance against PostgreSQL: exactly one effect (QUALITY.md, Money)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from cartax.cases import (
    AcceptRefund,
    Actor,
    CasesError,
    CasesSettings,
    CaseState,
    CommandResult,
    MarkNotified,
    OpenCase,
    case_status,
    parse_refund_detected,
)
from cartax.cases.adapters.wiring import build_cases
from cartax.infra import list_events, make_engine, upgrade

NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)
DUPLICATES = 200


@pytest.mark.postgres
def test_two_hundred_concurrent_duplicates_have_exactly_one_effect(postgres_url: str) -> None:
    reset = create_engine(postgres_url)
    with reset.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    reset.dispose()
    upgrade(postgres_url)
    engine = make_engine(postgres_url, pool_size=20, max_overflow=0, pool_timeout=120)
    try:
        cases = build_cases(engine, CasesSettings(), lambda: NOW)
        line = {"payment_id": "p1", "cause": "R1", "liability_car_tax": 189_180, "liability_edu_tax": 56_750,
                "refund_car_tax": 192_330, "refund_edu_tax": 57_710, "arose_on": "2026-07-01",
                "interest_from": "2026-07-02", "interest": 930, "lapsed": False}  # fmt: skip
        detected = parse_refund_detected({
            "case_key": "k1", "owner_id": "o1", "vehicle_id": "v1", "tax_year": 2026, "district": "11110",
            "refunds": [line], "rules_version": "2026.1",
            "totals": {"refund": 250_040, "interest": 930, "offset": 0, "payable": 250_970},
        })  # fmt: skip
        cases.service.execute(OpenCase(detected), Actor.system("detection"))
        cases.service.execute(MarkNotified("k1", "msg-1"), Actor.system("notify"))
        start = threading.Barrier(DUPLICATES)

        def accept(_: int) -> CommandResult | CasesError:
            start.wait()
            try:
                return cases.service.execute(AcceptRefund("k1"), Actor.citizen("o1"), "double-click-1")
            except CasesError as error:
                return error

        with ThreadPoolExecutor(DUPLICATES) as pool:
            answers = list(pool.map(accept, range(DUPLICATES)))

        results = [answer for answer in answers if isinstance(answer, CommandResult)]
        refusals = [answer for answer in answers if not isinstance(answer, CommandResult)]
        assert all(refusal.retryable for refusal in refusals), refusals[:3]
        assert {(r.case_key, r.state, r.seq, r.outcome) for r in results} == {
            ("k1", CaseState.APPROVED, 4, "approved")
        }
        assert sum(not r.replayed for r in results) == 1
        history = [str(item.to_state) for item in case_status(cases.reader, "k1").history]
        assert history == ["detected", "notified", "accepted", "approved"]
        assert [e.type for e in list_events(engine)].count("RefundApproved") == 1
    finally:
        engine.dispose()
