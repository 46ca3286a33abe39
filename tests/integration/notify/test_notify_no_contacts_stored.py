"""Contacts are looked up when a message is sent and kept nowhere: not in a notify table, not in a log
record, whatever happens to the message (sent, retried, failed, fallen back)."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import Engine, select

from cartax.notify import Channel
from cartax.notify.adapters.fakes import FakeContactBook
from cartax.notify.adapters.sql import SqlNotifyStore
from cartax.notify.adapters.tables import metadata
from notify_factories import case_opened, make_rig

PHONE, EMAIL, ADDRESS = "010-9876-5432", "hong.gildong@example.kr", "서울특별시 강남구 테헤란로 999"


class RaisingProvider:
    name = "broken"

    def send(self, message: object) -> object:
        raise RuntimeError(f"provider crashed while sending to {getattr(message, 'destination', '')}")


def test_no_contact_reaches_a_table_or_a_log(db_engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    rig = make_rig(SqlNotifyStore(db_engine))
    book = FakeContactBook({"P-1": {Channel.ALIMTALK: PHONE, Channel.SMS: PHONE, Channel.LETTER: ADDRESS}})
    book.people["P-2"] = {Channel.EMAIL: EMAIL, Channel.LETTER: ADDRESS}
    rig.service.contacts = book
    rig.service.providers[Channel.ALIMTALK] = RaisingProvider()  # type: ignore[assignment]
    rig.providers[Channel.SMS].fail_with = [("rejected_recipient", False)]
    rig.service.set_preferences("P-2", Channel.EMAIL)
    caplog.set_level(logging.DEBUG)
    rig.consumer.handle(case_opened("C-1", "P-1"))
    rig.consumer.handle(case_opened("C-2", "P-2"))
    for _ in range(8):
        rig.service.dispatch()
        rig.clock.advance(hours=2, minutes=1)
    assert rig.providers[Channel.EMAIL].sent[0].destination == EMAIL  # the contacts were used
    with db_engine.connect() as connection:
        stored = " ".join(
            str(tuple(row)) for table in metadata.sorted_tables for row in connection.execute(select(table))
        )
    logged = " ".join(record.getMessage() for record in caplog.records)
    for value in (PHONE, PHONE.replace("-", ""), EMAIL, ADDRESS):
        assert value not in stored
        assert value not in logged
