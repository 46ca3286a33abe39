"""Letters: a letter joins its district's print batch of the Seoul day, once, and the batch prints as one
PDF with one letter a page, the address looked up only while printing."""

from __future__ import annotations

import pypdfium2
from sqlalchemy import Engine

from cartax.notify import Channel, Status
from cartax.notify.adapters.letters import PrintBatchLetters
from cartax.notify.adapters.sql import SqlNotifyStore
from notify_factories import Clock, case_opened, make_rig


def test_letters_print_as_one_pdf_a_page_each(db_engine: Engine) -> None:
    clock = Clock()
    rig = make_rig(SqlNotifyStore(db_engine), clock=clock)
    printer = PrintBatchLetters(db_engine, clock)
    rig.service.providers[Channel.LETTER] = printer
    for n in range(2):
        rig.contacts.add(f"P-{n}", (Channel.LETTER,))
        rig.consumer.handle(case_opened(f"C-{n}", f"P-{n}"))
    rig.service.drain()
    for n in range(2):
        [message] = rig.service.messages_for_case(f"C-{n}")
        assert (message.channel, message.status) == (Channel.LETTER, Status.SENT)
        assert message.receipts[-1].detail == "in_print_batch"
    assert len(printer.batch("11680", "2026-07-01")) == 2
    pdf, count = printer.render_batch("11680", "2026-07-01", rig.contacts)
    assert count == 2
    document = pypdfium2.PdfDocument(pdf)
    assert len(document) == 2
    text = document[0].get_textpage().get_text_range()
    assert "서울특별시 강남구 학동로 426" in text
    assert "250,040원" in text
    assert printer.render_batch("11680", "2026-07-02", rig.contacts)[1] == 0
