"""The registry's owners as the notify context's address book.

The composition root hands in a look-up (the registry's decrypting owner view); this module only reads
the three contact fields of what it returns, so the notify context never touches the registry's
tables. A phone number reaches both 알림톡 and SMS: whether the person uses KakaoTalk is learnt from
the provider's answer, and a failed 알림톡 falls back to SMS.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from cartax.notify.model import Channel, Contacts


class OwnerContact(Protocol):
    @property
    def phone(self) -> str | None: ...

    @property
    def email(self) -> str | None: ...

    @property
    def address(self) -> str | None: ...


class OwnerContacts:
    def __init__(self, lookup: Callable[[str], OwnerContact | None]) -> None:
        self.lookup = lookup

    def contacts(self, person_id: str) -> Contacts | None:
        owner = self.lookup(person_id)
        if owner is None:
            return None
        phone = bool(owner.phone)
        return Contacts(alimtalk=phone, sms=phone, email=bool(owner.email), letter=bool(owner.address))

    def destination(self, person_id: str, channel: Channel) -> str | None:
        owner = self.lookup(person_id)
        if owner is None:
            return None
        if channel in (Channel.ALIMTALK, Channel.SMS):
            return owner.phone
        return owner.email if channel is Channel.EMAIL else owner.address
