"""E-mail over SMTP (the district's mail relay), plain text in UTF-8, one message per person.

A refused recipient is final (the address is wrong: fall back to a letter); a server that cannot be
reached or answers a temporary (4xx) error is retried on the ladder.
"""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from cartax.notify.ports import Outgoing, SendResult
from cartax.notify.settings import NotifySettings

NAME = "smtp"


class SmtpEmail:
    name = NAME

    def __init__(
        self,
        host: str,
        port: int,
        sender: str,
        *,
        starttls: bool = False,
        user: str = "",
        password: str = "",
        timeout: float = 10.0,
    ) -> None:
        self.host = host
        self.port = port
        self.sender = sender
        self.starttls = starttls
        self.user = user
        self.password = password
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: NotifySettings) -> SmtpEmail:
        return cls(
            settings.smtp_host,
            settings.smtp_port,
            settings.email_sender,
            starttls=settings.smtp_starttls,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value(),
            timeout=settings.provider_timeout_seconds,
        )

    def compose(self, message: Outgoing) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.destination
        email["Subject"] = message.subject
        email["Date"] = formatdate(localtime=False)
        email["Message-ID"] = make_msgid(idstring=message.ref, domain=self.sender.rpartition("@")[2] or None)
        email.set_content(message.body, charset="utf-8")
        return email

    def send(self, message: Outgoing) -> SendResult:
        email = self.compose(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as server:
                if self.starttls:
                    server.starttls()
                if self.user:
                    server.login(self.user, self.password)
                server.send_message(email)
        except smtplib.SMTPRecipientsRefused:
            return SendResult(accepted=False, code="smtp_recipient_refused")
        except smtplib.SMTPResponseException as error:
            return SendResult(
                accepted=False, code=f"smtp_{error.smtp_code}", retryable=400 <= error.smtp_code < 500
            )
        except (smtplib.SMTPException, OSError):
            return SendResult(accepted=False, code="smtp_unavailable", retryable=True)
        return SendResult(accepted=True, code="accepted", provider_ref=str(email["Message-ID"]))
