"""Fakes behind the notify ports: providers that deliver into the embedded demo's inbox (or a list),
and an address book held in memory. Used by the embedded mode and by the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from cartax.notify.model import Channel, Contacts
from cartax.notify.ports import Outgoing, SendResult
from cartax.notify.views import InboxItem


@dataclass
class FakeProvider:
    """Accepts and at once delivers every message into ``sink`` (the demo inbox), unless told to fail:
    ``fail_with`` codes are answered in turn (``retryable`` ones first), then it accepts again."""

    name: str
    clock: Callable[[], datetime]
    sink: Callable[[InboxItem], None] | None = None
    fail_with: list[tuple[str, bool]] = field(default_factory=list)
    sent: list[Outgoing] = field(default_factory=list)

    def send(self, message: Outgoing) -> SendResult:
        if self.fail_with:
            code, retryable = self.fail_with.pop(0)
            return SendResult(accepted=False, code=code, retryable=retryable)
        self.sent.append(message)
        if self.sink is not None:
            self.sink(
                InboxItem(
                    message.person_id,
                    message.ref,
                    message.channel,
                    message.subject,
                    message.body,
                    self.clock(),
                )
            )
        return SendResult(
            accepted=True, code="delivered", provider_ref=f"{self.name}-{message.ref}", delivered=True
        )


@dataclass
class FakeContactBook:
    """People's contacts held in memory: ``{person_id: {channel: destination}}``."""

    people: dict[str, dict[Channel, str]] = field(default_factory=dict)

    def add(self, person_id: str, channels: Iterable[Channel]) -> None:
        self.people[person_id] = {channel: _sample(channel) for channel in channels}

    def contacts(self, person_id: str) -> Contacts | None:
        known = self.people.get(person_id)
        if known is None:
            return None
        return Contacts(*(channel in known for channel in Channel))

    def destination(self, person_id: str, channel: Channel) -> str | None:
        return self.people.get(person_id, {}).get(channel)


def _sample(channel: Channel) -> str:
    return {
        Channel.ALIMTALK: "01000000000",
        Channel.SMS: "01000000000",
        Channel.EMAIL: "person@example.invalid",
        Channel.LETTER: "서울특별시 강남구 학동로 426",
    }[channel]
