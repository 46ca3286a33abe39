"""The notify service on its tables (SQLite and PostgreSQL) with fake providers: queueing by person id,
fallback, retries, quotas, quiet hours, receipts, preferences, verification and links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from cartax.notify import Channel, InvalidNotifyRequestError, LinkInvalidError, Status, Topic
from cartax.notify.adapters.sql import SqlNotifyStore
from cartax.notify.policy import DistrictQuotas
from cartax.notify.service import Request
from notify_factories import PUBLIC_URL, Clock, case_opened, make_rig, state_changed

EVERY = (Channel.ALIMTALK, Channel.SMS, Channel.EMAIL, Channel.LETTER)


def test_a_new_case_is_told_on_alimtalk_and_the_case_marked_notified(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened())
    assert rig.service.drain().sent == 1
    [message] = rig.service.messages_for_case("C-1")
    assert (message.channel, message.status, message.template) == (
        Channel.ALIMTALK,
        Status.DELIVERED,
        "case_opened/v1",
    )
    assert "250,040원" in message.body
    assert "/l/" in message.body
    assert [receipt.status for receipt in message.receipts] == [Status.QUEUED, Status.SENT, Status.DELIVERED]
    assert rig.notified == [("C-1", message.ref)]
    assert rig.providers[Channel.ALIMTALK].sent[0].destination == "01000000000"


def test_a_redelivered_event_queues_one_message(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    event = case_opened()
    rig.consumer.handle(event)
    rig.consumer.handle(event)
    assert len(rig.service.messages_for_person("P-1")) == 1


def test_a_failed_alimtalk_falls_back_to_sms_then_letter(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    rig.providers[Channel.ALIMTALK].fail_with = [("not_a_kakao_user", False)]
    rig.providers[Channel.SMS].fail_with = [("rejected_recipient", False)]
    rig.consumer.handle(case_opened())
    report = rig.service.drain()
    assert (report.failed, report.fallbacks, report.sent) == (2, 2, 1)
    messages = rig.service.messages_for_case("C-1")
    assert [(m.channel, m.status) for m in messages] == [
        (Channel.ALIMTALK, Status.FAILED),
        (Channel.SMS, Status.FAILED),
        (Channel.LETTER, Status.DELIVERED),
    ]
    assert messages[1].fallback_of == messages[0].ref
    assert messages[2].fallback_of == messages[1].ref
    assert len({m.body.split("확인 코드: ")[1][:9] for m in messages}) == 3  # each message its own code


def test_a_retryable_failure_climbs_the_ladder_then_falls_back(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", (Channel.ALIMTALK, Channel.SMS))
    rig.providers[Channel.ALIMTALK].fail_with = [("provider_timeout", True)] * 5
    rig.consumer.handle(case_opened())
    waits = []
    for attempt in range(5):
        if attempt:
            rig.clock.advance(hours=2, minutes=1)  # past the longest wait of the ladder
        report = rig.service.dispatch()
        assert report.handled == 1
        waits.append(report.deferred)
    assert waits == [1, 1, 1, 1, 0]
    [alimtalk, sms] = rig.service.messages_for_case("C-1")
    assert (alimtalk.status, alimtalk.attempts) == (Status.FAILED, 5)
    assert sms.channel is Channel.SMS
    rig.service.drain()
    assert rig.service.messages_for_case("C-1")[1].status is Status.DELIVERED


def test_quiet_hours_hold_phone_messages_until_eight_in_seoul(db_engine: Engine) -> None:
    night = Clock(datetime(2026, 7, 1, 14, 30, tzinfo=UTC))  # 23:30 in Seoul
    rig = make_rig(SqlNotifyStore(db_engine), clock=night)
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened())
    assert rig.service.dispatch().deferred == 1
    assert rig.service.dispatch().handled == 0  # not due again before 08:00
    night.now = datetime(2026, 7, 1, 23, 0, tzinfo=UTC)  # 08:00 in Seoul
    assert rig.service.dispatch().sent == 1
    details = [receipt.detail for receipt in rig.service.messages_for_case("C-1")[0].receipts]
    assert "quiet_hours" in details


def test_the_daily_cap_holds_the_rest_until_the_next_seoul_day(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine), daily_cap=2)
    for n in range(3):
        rig.contacts.add(f"P-{n}", EVERY)
        rig.consumer.handle(case_opened(f"C-{n}", f"P-{n}"))
    report = rig.service.dispatch()
    assert (report.sent, report.deferred) == (2, 1)
    rig.clock.advance(days=1)
    assert rig.service.dispatch().sent == 1


def test_the_district_quota_spreads_a_burst(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine), quotas=DistrictQuotas(burst=2, per_second=1.0))
    for n in range(4):
        rig.contacts.add(f"P-{n}", EVERY)
        rig.consumer.handle(case_opened(f"C-{n}", f"P-{n}"))
    first = rig.service.dispatch()
    assert (first.sent, first.deferred) == (2, 2)
    rig.clock.advance(seconds=3)
    assert rig.service.dispatch().sent == 2


def test_an_opted_out_channel_is_skipped_and_letters_cannot_be_refused(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    rig.service.opt_out("P-1", Channel.ALIMTALK)
    assert rig.service.preferences("P-1").opted_out == frozenset({Channel.ALIMTALK})
    with pytest.raises(InvalidNotifyRequestError) as refused:
        rig.service.opt_out("P-1", Channel.LETTER)
    assert refused.value.code == "all_opted_out"
    rig.consumer.handle(case_opened())
    rig.service.drain()
    assert [m.channel for m in rig.service.messages_for_case("C-1")] == [Channel.SMS]
    rig.service.opt_in("P-1", Channel.ALIMTALK)
    assert rig.service.preferences("P-1").opted_out == frozenset()


def test_a_person_without_contacts_gets_a_suppressed_message(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.consumer.handle(case_opened())
    [message] = rig.service.messages_for_case("C-1")
    assert message.status is Status.SUPPRESSED
    assert message.receipts[0].detail == "no_reachable_channel"
    assert rig.service.drain().handled == 0


def test_the_code_in_a_message_verifies_and_others_do_not(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened())
    rig.service.drain()
    [message] = rig.service.messages_for_case("C-1")
    code = message.body.split("확인 코드: ")[1][:9]
    found = rig.service.verify(code.lower().replace("-", " "))
    assert found is not None
    assert (found.ref, found.topic, found.status) == (
        message.ref,
        Topic.CASE_OPENED,
        Status.DELIVERED,
    )
    assert rig.service.verify("ZZZZ-ZZZZ") is None
    with pytest.raises(InvalidNotifyRequestError) as bad:
        rig.service.verify("12")
    assert bad.value.code == "code_format"


def test_the_link_in_a_message_opens_its_case_until_it_expires(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened())
    [message] = rig.service.messages_for_case("C-1")
    token = message.body.split(f"{PUBLIC_URL}/l/")[1].split()[0]
    assert rig.service.open_link(token) == "C-1"
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    with pytest.raises(LinkInvalidError) as forged:
        rig.service.open_link(tampered)
    assert forged.value.code == "link_invalid"
    rig.clock.advance(days=31)
    with pytest.raises(LinkInvalidError) as expired:
        rig.service.open_link(token)
    assert expired.value.code == "link_expired"


def test_a_case_link_for_the_console(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    link = rig.service.case_link("C-9")
    assert link.startswith(f"{PUBLIC_URL}/l/")
    assert len(link.rsplit("/", 1)[1]) == 32
    assert rig.service.open_link(link.rsplit("/", 1)[1]) == "C-9"


def test_accepted_and_approved_transitions_are_told(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened())
    rig.consumer.handle(state_changed("C-1", "notified"))
    rig.consumer.handle(state_changed("C-1", "accepted"))
    rig.consumer.handle(state_changed("C-1", "approved"))
    topics = [m.topic for m in rig.service.messages_for_case("C-1")]
    assert topics == [Topic.CASE_OPENED, Topic.ACCEPTED, Topic.APPROVED]


def test_provider_receipts_move_a_sent_message(db_engine: Engine) -> None:
    store = SqlNotifyStore(db_engine)
    rig = make_rig(store)
    rig.contacts.add("P-1", EVERY)
    rig.providers[Channel.ALIMTALK].sink = None
    rig.consumer.handle(case_opened())
    rig.service.drain()
    [message] = rig.service.messages_for_case("C-1")
    assert message.status is Status.DELIVERED  # the fake reports delivery at once
    assert not rig.service.record_receipt("fake-alimtalk", "unknown-ref", True, "delivered")


def test_the_demo_inbox_receives_what_the_fakes_deliver(db_engine: Engine) -> None:
    store = SqlNotifyStore(db_engine)
    rig = make_rig(store, inbox=True)
    rig.contacts.add("P-1", EVERY)
    rig.consumer.handle(case_opened())
    rig.service.drain()
    [item] = rig.service.inbox("P-1")
    assert item.channel is Channel.ALIMTALK
    assert "250,040원" in item.body
    assert store.inbox_people(10) == [("P-1", 1)]


def test_a_campaign_queues_in_bulk_once_per_key_and_falls_back_when_sent(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.contacts.add("P-1", (Channel.SMS, Channel.LETTER))  # no KakaoTalk for this person
    rig.contacts.add("P-2", EVERY)
    rig.service.set_preferences("P-2", Channel.ALIMTALK, frozenset({Channel.ALIMTALK}))
    requests = [
        Request(person, Topic.REMINDER, "11680", {"amount": 50_000}, f"campaign:1:{case}", case)
        for person, case in (("P-1", "C-1"), ("P-2", "C-2"))
    ]
    assert rig.service.queue_many(requests) == 2
    assert rig.service.queue_many(requests) == 0
    assert [m.channel for m in rig.service.messages_for_case("C-2")] == [Channel.SMS]
    rig.service.drain()
    assert [(m.channel, m.status) for m in rig.service.messages_for_case("C-1")] == [
        (Channel.ALIMTALK, Status.FAILED),
        (Channel.SMS, Status.DELIVERED),
    ]
    token = rig.service.messages_for_case("C-2")[0].body.split("/l/")[1].split()[0]
    assert rig.service.open_link(token) == "C-2"
