"""Notify: messages to people about their refunds, by person id, over KakaoTalk 알림톡, SMS/LMS, e-mail
and letter, with fallback, retries, quotas, quiet hours, versioned templates and verifiable links
(docs/notify.md).

Public surface for the portal, the console and the workers (through ``Services.notify``)::

    notify = services.notify
    notify.messages_for_case(case_key)        # [MessageView] with .receipts (console case page)
    notify.messages_for_person(owner_id)
    notify.preferences(owner_id)              # Preferences(first, opted_out) (portal)
    notify.set_preferences(owner_id, Channel.SMS, frozenset({Channel.EMAIL}))
    notify.opt_out(owner_id, Channel.ALIMTALK); notify.opt_in(owner_id, Channel.ALIMTALK)
    notify.verify("K7Q2-M9XP")                # Verification | None ("is this message really from us?")
    notify.case_link(case_key)                # a signed, expiring https://…/l/<token> to the case
    notify.open_link(token)                   # the case_key, or LinkInvalidError (link_invalid/expired)
    notify.notify(owner_id, Topic.REMINDER, district=…, params={"amount": 250040}, key=…, case_key=…)
    notify.dispatch()                         # one sending pass (the worker)

Labels for screens: :func:`label` (``label("channel.sms")`` → ``문자(SMS/LMS)``).
"""

from __future__ import annotations

from cartax.notify.errors import (
    InvalidNotifyRequestError,
    LinkInvalidError,
    MessageNotFoundError,
    NotifyError,
    UnsafeContentError,
)
from cartax.notify.model import FALLBACK, Channel, Contacts, Preferences, Status, Topic, channel_plan
from cartax.notify.service import NotifyConfig, NotifyService
from cartax.notify.settings import NotifySettings
from cartax.notify.templates import CURRENT as CURRENT_TEMPLATES
from cartax.notify.templates import Template, parse_channel, parse_topic
from cartax.notify.views import DispatchReport, InboxItem, MessageView, ReceiptView, Verification


def label(key: str, lang: str = "ko", **params: object) -> str:
    """A channel, topic or status as people read it: ``label("status.delivered")`` → ``전달됨``."""
    from cartax.notify.errors import catalogue

    return catalogue().render(key, lang, **params)


__all__ = [
    "CURRENT_TEMPLATES",
    "FALLBACK",
    "Channel",
    "Contacts",
    "DispatchReport",
    "InboxItem",
    "InvalidNotifyRequestError",
    "LinkInvalidError",
    "MessageNotFoundError",
    "MessageView",
    "NotifyConfig",
    "NotifyError",
    "NotifyService",
    "NotifySettings",
    "Preferences",
    "ReceiptView",
    "Status",
    "Template",
    "Topic",
    "UnsafeContentError",
    "Verification",
    "channel_plan",
    "label",
    "parse_channel",
    "parse_topic",
]
