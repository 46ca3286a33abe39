"""Embedded delivery: outbox → relay → the cases consumer, at least once, retried, parked when hopeless."""

from __future__ import annotations

import json

import pytest
from bus_factories import NOW, detected_payload, write_events
from sqlalchemy import Engine, text
from typer.testing import CliRunner

from cartax.bus import Delivery, InProcessBus, Relay, Subscription
from cartax.bus.adapters.parking import list_parked
from cartax.cases import CasesSettings, CaseState, case_status
from cartax.cases.adapters.wiring import build_cases
from cartax.cli import app
from cartax.infra import list_events


def relay_for(engine: Engine, *subscriptions: Subscription) -> Relay:
    bus = InProcessBus(engine, subscriptions, lambda: NOW, max_attempts=3, sleep=lambda _: None)
    return Relay(engine, bus, lambda: NOW)


def test_detected_refunds_become_cases_once(db_engine: Engine) -> None:
    cases = build_cases(db_engine, CasesSettings(), lambda: NOW)
    relay = relay_for(db_engine, cases.subscription)
    write_events(db_engine, detected_payload("k1"), detected_payload("k1"), detected_payload("k2"))
    relay.drain()
    assert case_status(cases.reader, "k1").state is CaseState.DETECTED
    assert len(case_status(cases.reader, "k1").history) == 1  # the same detection twice is one case
    # A crash before the batch was marked published delivers it again: still one case, one history row.
    with db_engine.begin() as connection:
        connection.execute(text("UPDATE outbox SET published_at = NULL"))
    relay.drain()
    assert len(case_status(cases.reader, "k1").history) == 1
    assert [e.type for e in list_events(db_engine)].count("CaseOpened") == 2
    assert list_events(db_engine, unpublished=True) == []


def test_a_failing_consumer_is_retried_then_parked_and_the_others_go_on(db_engine: Engine) -> None:
    cases = build_cases(db_engine, CasesSettings(), lambda: NOW)
    attempts: list[int] = []

    def flaky(delivery: Delivery) -> None:
        attempts.append(delivery.attempt)
        if delivery.attempt < 2:
            raise ConnectionError("notify provider timed out")

    relay = relay_for(
        db_engine, cases.subscription, Subscription("flaky", frozenset({"RefundDetected"}), flaky)
    )
    broken = detected_payload("k-bad")
    broken["totals"]["payable"] = 1  # does not add up: never becomes a case
    write_events(db_engine, broken, detected_payload("k-good"))
    relay.drain()
    assert case_status(cases.reader, "k-good").state is CaseState.DETECTED
    assert attempts == [1, 2, 1, 2]  # the flaky consumer recovered on its second try, twice
    [parked] = list_parked(db_engine)
    assert (parked.consumer, parked.type, parked.attempts) == ("cases", "RefundDetected", 3)
    assert parked.error.startswith("InvalidEventError [invalid_event]: RefundDetected event: totals")
    assert parked.payload["case_key"] == "k-bad"
    relay.drain()
    with db_engine.begin() as connection:
        connection.execute(text("UPDATE outbox SET published_at = NULL"))
    relay.drain()  # parked again on redelivery: still one row
    assert len(list_parked(db_engine)) == 1


def test_an_operator_lists_parked_events(db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = detected_payload("k-bad")
    broken["district"] = "seoul"
    write_events(db_engine, broken)
    relay_for(db_engine, build_cases(db_engine, CasesSettings(), lambda: NOW).subscription).drain()
    monkeypatch.setenv("CARTAX_DATABASE_URL", db_engine.url.render_as_string(hide_password=False))
    shown = CliRunner().invoke(app, ["events", "parked"])
    assert shown.exit_code == 0, shown.output
    assert "cases" in shown.output
    assert "RefundDetected event: district is not valid: a 5-digit 시군구 code is expected" in shown.output
    assert "보류된 이벤트 1건" in shown.output
    as_json = CliRunner().invoke(app, ["events", "parked", "--json", "--consumer", "cases"])
    assert json.loads(as_json.output)["payload"]["case_key"] == "k-bad"
    assert "없습니다" in CliRunner().invoke(app, ["events", "parked", "--consumer", "notify"]).output
