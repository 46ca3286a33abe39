"""Letters: a letter "sent" is a letter put into its district's print batch of the (Seoul) day; the
batch is printed as one PDF (Typst), each letter on its own page with the address looked up and
decrypted only while the PDF is made. The print room posts them; no provider is called.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from cartax.notify.adapters.tables import messages, print_items
from cartax.notify.model import Channel
from cartax.notify.policy import seoul_day
from cartax.notify.ports import ContactBook, Outgoing, SendResult
from cartax.notify.views import InboxItem

NAME = "print-batch"
SENDER = "자동차세 환급 담당 (cartax)"
LETTER_TYPST = """\
// The letters of one print batch, one page each. The data comes in as JSON (sys.inputs.data) and is
// shown as text, never evaluated as markup.
#set page(paper: "a4", margin: (x: 2.2cm, y: 2cm))
#set text(font: ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR"), size: 11pt, lang: "ko")
#set par(leading: 0.8em)
#let data = json(bytes(sys.inputs.data))
#for (i, letter) in data.letters.enumerate() [
  #if i > 0 { pagebreak() }
  #text(size: 9pt, fill: luma(90))[#letter.sender #h(1fr) #letter.ref]
  #v(1.2cm)
  #block(width: 9.5cm, inset: 10pt, stroke: 0.5pt + luma(120))[#letter.address]
  #v(1.6cm)
  #text(size: 15pt, weight: "bold")[#letter.subject]
  #v(0.6cm)
  #for line in letter.lines [
    #line
    #linebreak()
  ]
]
#if data.letters.len() == 0 [ ]
"""


class PrintBatchLetters:
    name = NAME

    def __init__(
        self, engine: Engine, clock: Callable[[], datetime], sink: Callable[[InboxItem], None] | None = None
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.sink = sink

    def send(self, message: Outgoing) -> SendResult:
        now = self.clock()
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    insert(print_items).values(
                        message_ref=message.ref, district=message.district, day=seoul_day(now), added_at=now
                    )
                )
        except IntegrityError:
            pass  # the same letter put in again (a retried send): it is in the batch once
        if self.sink is not None:
            item = InboxItem(
                message.person_id, message.ref, Channel.LETTER, message.subject, message.body, now
            )
            self.sink(item)
        return SendResult(accepted=True, code="in_print_batch", provider_ref=message.ref)

    def batch(self, district: str, day: str) -> list[tuple[str, str, str, str]]:
        """The letters of one batch: (message ref, person id, subject, body), in the order they came."""
        query = (
            select(messages.c.ref, messages.c.person_id, messages.c.subject, messages.c.body)
            .join(print_items, print_items.c.message_ref == messages.c.ref)
            .where(print_items.c.district == district, print_items.c.day == day)
            .order_by(print_items.c.id)
        )
        with self.engine.connect() as connection:
            return [(row.ref, row.person_id, row.subject, row.body) for row in connection.execute(query)]

    def render_batch(self, district: str, day: str, contacts: ContactBook) -> tuple[bytes, int]:
        """The batch as one PDF and how many letters it holds (a letter without an address is left
        out: it cannot be posted, and its message says so in the console)."""
        import typst

        letters = []
        for ref, person_id, subject, body in self.batch(district, day):
            address = contacts.destination(person_id, Channel.LETTER)
            if address:
                letters.append(
                    {
                        "ref": ref,
                        "sender": SENDER,
                        "address": address,
                        "subject": subject,
                        "lines": body.splitlines(),
                    }
                )
        source = LETTER_TYPST.encode()
        data = json.dumps({"letters": letters}, ensure_ascii=False)
        pdf = typst.compile(source, sys_inputs={"data": data})
        if not isinstance(pdf, bytes):
            raise TypeError("typst returned no PDF")
        return pdf, len(letters)
