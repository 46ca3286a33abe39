"""The consumer of payout's events, with payloads exactly as payout publishes them, and reminders to
people who have not answered, in cohorts and nearest lapse first (SQLite and PostgreSQL)."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Engine

from cartax.notify import Channel, Status, Topic
from cartax.notify.adapters.sql import SqlNotifyStore
from cartax.notify.adapters.wiring import Notify
from cartax.notify.campaigns import ReminderPolicy, remind_non_responders
from cartax.notify.consumer import CaseFacts
from cartax.payout import AccountChanged, OffsetPosted, RefundPaid, TransferFailed, ZeroClickAnnounced
from notify_factories import NOON_SEOUL, case_opened, delivery, make_rig, state_changed

EVERY = tuple(Channel)
AT = datetime(2026, 7, 1, 3, 0, tzinfo=UTC)


def published(event: object) -> object:
    return delivery(type(event).TYPE, **event.payload())  # type: ignore[attr-defined]  # payout's events


def test_payout_events_become_the_right_messages(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened("C-1", "P-1"))
    events = [
        ZeroClickAnnounced("C-1", "P-1", "11680", 250_040, "088", "5678", date(2026, 7, 15), AT),
        TransferFailed("C-1", "P-1", "11680", "T-1", "account_closed", AT),
        RefundPaid("C-1", "P-1", "11680", "T-2", 250_040, date(2026, 7, 16), "5678", AT),
        OffsetPosted("C-1", "P-1", "11680", 30_000, AT),
        AccountChanged("P-1", "088", "5678", "1234", "citizen", True, AT + timedelta(days=3), AT),
    ]
    for event in events:
        rig.consumer.handle(published(event))  # type: ignore[arg-type]
    rig.service.drain()
    by_topic = {m.topic: m for m in rig.service.messages_for_person("P-1")}
    assert set(by_topic) == {
        Topic.CASE_OPENED, Topic.ZERO_CLICK_ANNOUNCED, Topic.TRANSFER_FAILED, Topic.PAID, Topic.OFFSET,
        Topic.ACCOUNT_CHANGED,
    }  # fmt: skip
    assert "2026년 7월 15일에 250,040원을 자동으로" in by_topic[Topic.ZERO_CLICK_ANNOUNCED].body
    assert "2026년 7월 14일까지" in by_topic[Topic.ZERO_CLICK_ANNOUNCED].body
    assert "다시 등록해 주세요" in by_topic[Topic.TRANSFER_FAILED].body
    assert "2026년 7월 16일에 환급금 250,040원" in by_topic[Topic.PAID].body
    assert "30,000원이 밀린 지방세에 충당" in by_topic[Topic.OFFSET].body
    assert "끝자리 5678" in by_topic[Topic.ACCOUNT_CHANGED].body
    assert by_topic[Topic.ACCOUNT_CHANGED].case_key is None
    for message in by_topic.values():
        assert not re.search(r"\d{6}-?[1-8]\d{6}", message.body)
        assert "110-234" not in message.body
        assert message.status is Status.DELIVERED


def test_an_event_for_an_unknown_case_uses_the_cases_facts(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine), facts=lambda _key: CaseFacts(99_000, date(2030, 1, 1)))
    rig.contacts.add("P-9", EVERY)
    rig.consumer.handle(published(TransferFailed("C-9", "P-9", "11680", None, "account_requested", AT)))  # type: ignore[arg-type]
    [message] = rig.service.messages_for_case("C-9")
    assert "99,000원" in message.body


def test_a_fully_offset_case_gets_no_new_case_message(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened("C-1", "P-1", payable=0))
    assert rig.service.messages_for_case("C-1") == []


def test_reminders_go_nearest_lapse_first_in_cohorts(db_engine: Engine) -> None:
    lapses = {"C-1": date(2030, 5, 1), "C-2": date(2026, 8, 1), "C-3": date(2028, 1, 1), "C-4": None}
    rig = make_rig(SqlNotifyStore(db_engine), facts=lambda key: CaseFacts(100_000, lapses[key]))
    for key in lapses:
        person = f"P-{key}"
        rig.contacts.add(person, EVERY)
        rig.consumer.handle(case_opened(key, person, payable=100_000))
        rig.consumer.handle(state_changed(key, "notified", person, payable=100_000))
    rig.consumer.handle(state_changed("C-1", "accepted", "P-C-1", payable=100_000))  # answered: no reminder
    rig.service.drain()
    assert (
        remind_non_responders(rig.service, district="11680", per_minute=2, limit=10).queued == 0
    )  # too soon
    rig.clock.advance(days=15)
    result = remind_non_responders(rig.service, district="11680", per_minute=2, limit=10)
    assert (result.queued, result.lapse_warnings) == (3, 1)
    assert result.first_at == rig.clock.now
    assert result.last_at == rig.clock.now + timedelta(minutes=1)
    reminders = {
        key: [
            m
            for m in rig.service.messages_for_case(key)
            if m.topic in (Topic.REMINDER, Topic.LAPSE_APPROACHING)
        ]
        for key in lapses
    }
    assert reminders["C-1"] == []
    assert [m.topic for m in reminders["C-2"]] == [Topic.LAPSE_APPROACHING]
    assert "2026년 8월 1일이 지나면" in reminders["C-2"][0].body
    assert [m.topic for m in reminders["C-3"]] == [Topic.REMINDER]
    assert [m.topic for m in reminders["C-4"]] == [Topic.REMINDER]
    assert (
        remind_non_responders(rig.service, district="11680", per_minute=2, limit=10).queued == 0
    )  # just reminded
    rig.clock.advance(days=15)
    third = remind_non_responders(
        rig.service, district="11680", per_minute=2, limit=10, policy=ReminderPolicy(max_reminders=1)
    )
    assert third.queued == 0
    assert rig.clock.now > NOON_SEOUL


def test_the_embedded_worker_sends_and_reminds_on_its_own(db_engine: Engine) -> None:
    store = SqlNotifyStore(db_engine)
    rig = make_rig(store)
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened("C-1", "P-1"))
    rig.consumer.handle(state_changed("C-1", "notified", "P-1"))
    worker = Notify(rig.service, store, rig.consumer, fakes=True, reminders=ReminderPolicy())
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop, 0.05))
    thread.start()
    deadline = time.monotonic() + 30
    while (
        rig.service.messages_for_case("C-1")[0].status is not Status.DELIVERED and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    stop.set()
    thread.join(10)
    assert not thread.is_alive()
    assert [m.topic for m in rig.service.messages_for_case("C-1")] == [Topic.CASE_OPENED]  # told today
    rig.clock.advance(days=15)
    worker.remind()
    assert [m.topic for m in rig.service.messages_for_case("C-1")][-1] is Topic.REMINDER
