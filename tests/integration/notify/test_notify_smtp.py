"""E-mail over SMTP against a real SMTP server (aiosmtpd) started by the test."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from cartax.notify import Channel
from cartax.notify.adapters.smtp_email import SmtpEmail
from cartax.notify.ports import Outgoing


class Mailbox:
    def __init__(self) -> None:
        self.received: list[Message] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, _server: SMTP, _session: Session, envelope: Envelope, address: str, _options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.received.append(message_from_bytes(content))
        return "250 Message accepted"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def email(destination: str = "person@example.kr") -> Outgoing:
    return Outgoing(
        ref="ABCDEFGH12", person_id="P-1", district="11680", channel=Channel.EMAIL, destination=destination,
        subject="자동차세 환급금이 있습니다", body="2025년 자동차세 중 250,040원을 돌려받으실 수 있습니다.",
        template="case_opened/v1", alimtalk_code="CTX_OPENED_V1", params={},
    )  # fmt: skip


def test_an_email_reaches_the_server_in_utf8(mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    result = SmtpEmail("127.0.0.1", port, "no-reply@gangnam.example.kr").send(email())
    assert result.accepted
    assert "ABCDEFGH12" in result.provider_ref
    [received] = box.received
    assert received["To"] == "person@example.kr"
    assert str(received["Subject"]) != ""
    body = received.get_payload(decode=True)
    assert isinstance(body, bytes)
    assert "250,040원" in body.decode("utf-8")


def test_a_refused_recipient_is_final(mailbox: tuple[Mailbox, int]) -> None:
    box, port = mailbox
    box.refuse.add("gone@example.kr")
    result = SmtpEmail("127.0.0.1", port, "no-reply@gangnam.example.kr").send(email("gone@example.kr"))
    assert (result.accepted, result.code, result.retryable) == (False, "smtp_recipient_refused", False)


def test_an_unreachable_server_is_retried() -> None:
    result = SmtpEmail("127.0.0.1", free_port(), "no-reply@example.kr", timeout=2).send(email())
    assert (result.accepted, result.code, result.retryable) == (False, "smtp_unavailable", True)
