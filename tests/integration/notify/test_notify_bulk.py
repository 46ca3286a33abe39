"""Bulk queueing (campaigns) on SQLite and PostgreSQL (where it writes with COPY): the messages read back
as the ones queued one at a time, every key once, a bad request queues nothing, and a draw already taken
(reference, code or link reference) or a key queued meanwhile is never silently lost or doubled."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import Engine, func, select

from cartax.notify import Channel, Status, Topic, UnsafeContentError
from cartax.notify.adapters.sql import SqlNotifyStore
from cartax.notify.adapters.tables import links, messages, receipts
from cartax.notify.links import new_refs
from cartax.notify.service import Request
from notify_factories import NOON_SEOUL, PUBLIC_URL, make_rig

EVERY = (Channel.ALIMTALK, Channel.SMS, Channel.EMAIL, Channel.LETTER)


def _counts(engine: Engine) -> tuple[int, int, int]:
    with engine.connect() as connection:
        return tuple(  # type: ignore[return-value]
            connection.execute(select(func.count()).select_from(table)).scalar_one()
            for table in (messages, links, receipts)
        )


def test_bulk_messages_read_back_like_single_ones(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    later = NOON_SEOUL + timedelta(minutes=5)
    odd = "campaign:7:C\\1\t\n"  # a key with what COPY escapes
    requests = [
        Request("P-1", Topic.REMINDER, "11680", {"amount": 50_000}, "campaign:7:C-1", "C-1"),
        Request("P\\2", Topic.LAPSE_APPROACHING, "11680", {"amount": 7_000, "lapse_on": "2027-01-31"}, odd,
                "C\\2", lang="en", not_before=later),
        Request("P-3", Topic.REMINDER, "26110", {"amount": 1}, "campaign:7:none", None),
    ]  # fmt: skip
    assert rig.service.queue_many(requests, campaign_id=7) == 3
    assert _counts(db_engine) == (3, 2, 3)

    [first] = rig.service.messages_for_case("C-1")
    assert (first.status, first.channel, first.template, first.district) == (
        Status.QUEUED, Channel.ALIMTALK, "reminder/v1", "11680",
    )  # fmt: skip
    assert [(r.status, r.provider, r.detail) for r in first.receipts] == [
        (Status.QUEUED, "notify", "campaign")
    ]
    assert "50,000원" in first.body
    token = first.body.split(f"{PUBLIC_URL}/l/")[1].split()[0]
    assert rig.service.open_link(token) == "C-1"
    code = first.body.split("확인 코드: ")[1][:9]
    verified = rig.service.verify(code)
    assert verified is not None
    assert verified.ref == first.ref

    [second] = rig.service.messages_for_case("C\\2")
    assert second.person_id == "P\\2"
    assert second.lang == "en"
    assert "KRW 7,000" in second.body
    assert "31 January 2027" in second.body
    assert rig.service.open_link(second.body.split(f"{PUBLIC_URL}/l/")[1].split()[0]) == "C\\2"
    with db_engine.connect() as connection:
        row = connection.execute(select(messages).where(messages.c.idem_key == odd)).one()
    assert row.campaign_id == 7
    assert row.priority == 100
    assert row.params["lapse_on"] == "2027-01-31"
    assert row.params["code"] in second.body

    [third] = rig.service.messages_for_person("P-3")
    assert third.case_key is None
    assert f"{PUBLIC_URL}/\n" in third.body  # no case: the site itself, and no link row

    # only the first two are due now; the second waits for its cohort's minute
    rig.contacts.add("P-1", EVERY)
    rig.contacts.add("P\\2", EVERY)
    rig.contacts.add("P-3", EVERY)
    assert rig.service.drain().sent == 2
    rig.clock.advance(minutes=5)
    assert rig.service.drain().sent == 1


def test_each_key_is_queued_once_and_preferences_choose_the_channel(db_engine: Engine) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    rig.service.set_preferences("P-2", Channel.SMS, frozenset({Channel.SMS}))
    request = Request("P-1", Topic.REMINDER, "11680", {"amount": 10}, "k-1", "C-1")
    requests = [
        request,
        replace(request, params={"amount": 20}),
        replace(request, key="k-2", person_id="P-2"),
    ]
    assert rig.service.queue_many(requests) == 2
    assert rig.service.queue_many(requests) == 0
    assert rig.service.queue_many([*requests, replace(request, key="k-3")]) == 1
    assert _counts(db_engine) == (3, 3, 3)
    bodies = [m.body for m in rig.service.messages_for_case("C-1")]
    assert "10원" in bodies[0]
    assert "20원" not in "".join(bodies)
    assert [m.channel for m in rig.service.messages_for_person("P-2")] == [Channel.LETTER]


def test_a_bad_request_anywhere_in_a_campaign_queues_nothing(
    db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("cartax.notify.service.BULK_BATCH", 2)  # the bad one in the last of three batches
    rig = make_rig(SqlNotifyStore(db_engine))
    requests = [
        Request(f"P-{n}", Topic.REMINDER, "11680", {"amount": n}, f"k-{n}", f"C-{n}") for n in range(5)
    ]
    bad = Request("P-9", Topic.ACCOUNT_CHANGED, "11680", {"last4": "110-234-567890"}, "k-9", "C-9")
    with pytest.raises(UnsafeContentError):
        rig.service.queue_many([*requests, bad])
    assert _counts(db_engine) == (0, 0, 0)
    assert rig.service.queue_many(requests) == 5


def test_a_batch_leaves_out_what_is_already_stored_and_keeps_the_rest(db_engine: Engine) -> None:
    store = SqlNotifyStore(db_engine)
    rig = make_rig(store)
    old = [Request(f"P-{n}", Topic.REMINDER, "11680", {"amount": n}, f"old-{n}", f"C-{n}") for n in range(3)]
    assert rig.service.queue_many(old) == 3
    with db_engine.connect() as connection:
        stored = connection.execute(select(messages).order_by(messages.c.id)).all()
    fresh = [
        Request(f"Q-{n}", Topic.REMINDER, "11680", {"amount": n}, f"new-{n}", f"D-{n}") for n in range(5)
    ]
    batch = rig.service._render_batch(fresh, {}, rig.clock(), 100, None)
    taken = list(batch.messages)
    taken[0] = taken[0]._replace(key="old-0")  # queued meanwhile by another worker
    taken[1] = taken[1]._replace(ref=stored[1].ref)  # reference drawn again
    taken[2] = taken[2]._replace(code_digest=stored[2].code_digest)  # code drawn again
    taken[3] = taken[3]._replace(link_ref=stored[0].link_ref)  # link reference drawn again
    whole = store.add_batch(replace(batch, messages=taken))
    assert whole == (set() if db_engine.dialect.name == "postgresql" else {"new-4"})  # COPY: all or none
    assert store.add_batch(replace(batch, messages=taken), one_by_one=True) == ({"new-4"} - whole)
    assert _counts(db_engine) == (4, 4, 4)
    assert [m.ref for m in rig.service.messages_for_case("C-1")] == [stored[1].ref]


def test_a_draw_already_taken_is_drawn_again(db_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    assert rig.service.queue_many([Request("P-0", Topic.REMINDER, "11680", {"amount": 1}, "k-0", "C-0")]) == 1
    [existing] = rig.service.messages_for_case("C-0")
    draws: list[list[str]] = []

    def first_draw_taken(count: int) -> list[str]:
        refs = new_refs(count)
        if not draws:
            refs[0] = existing.ref
        draws.append(refs)
        return refs

    monkeypatch.setattr("cartax.notify.service.new_refs", first_draw_taken)
    requests = [Request(f"P-{n}", Topic.REMINDER, "11680", {"amount": n}, f"k-{n}", f"C-{n}") for n in (1, 2)]
    assert rig.service.queue_many(requests) == 2
    assert len(draws) == 2
    assert draws[0][0] == existing.ref
    [first] = rig.service.messages_for_case("C-1")
    assert first.ref != existing.ref
    assert _counts(db_engine) == (3, 3, 3)
