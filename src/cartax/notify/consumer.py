"""The notify context's consumer: the cases' and payout's events become messages to the person.

Idempotent: the event id is the message's key, so a redelivered event queues nothing new. Besides
messages, it keeps a small record of each case (``notify_cases``: person, district, amount, state and
lapse date) from which reminders to people who have not answered are planned.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from cartax.bus import Delivery, Subscription
from cartax.notify.model import Topic
from cartax.notify.ports import TrackedCase
from cartax.notify.service import NotifyService

CONSUMER = "notify"
CASE_OPENED = "CaseOpened"
CASE_STATE_CHANGED = "CaseStateChanged"
ZERO_CLICK_ANNOUNCED = "ZeroClickAnnounced"
TRANSFER_FAILED = "TransferFailed"
REFUND_PAID = "RefundPaid"
OFFSET_POSTED = "OffsetPosted"
ACCOUNT_CHANGED = "AccountChanged"
EVENT_TYPES = frozenset(
    {
        CASE_OPENED,
        CASE_STATE_CHANGED,
        ZERO_CLICK_ANNOUNCED,
        TRANSFER_FAILED,
        REFUND_PAID,
        OFFSET_POSTED,
        ACCOUNT_CHANGED,
    }
)
STATE_TOPICS = {"accepted": Topic.ACCEPTED, "approved": Topic.APPROVED}
"""Case transitions told to the person; payment and offset are told from payout's own events."""


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """What the cases context knows of a case that its events do not carry."""

    payable: int
    lapses_on: date | None
    """The earliest day one of the case's unlapsed refunds can last be paid (rules.md §6.6)."""


CaseFactsLookup = Callable[[str], CaseFacts | None]


class NotifyConsumer:
    def __init__(self, service: NotifyService, facts: CaseFactsLookup) -> None:
        self.service = service
        self.store = service.store
        self.facts = facts

    def subscription(self) -> Subscription:
        return Subscription(CONSUMER, EVENT_TYPES, self.handle)

    def handle(self, delivery: Delivery) -> None:
        payload, key = delivery.payload, f"event:{delivery.event_id}"
        handler = {
            CASE_OPENED: self._case_opened,
            CASE_STATE_CHANGED: self._state_changed,
            ZERO_CLICK_ANNOUNCED: self._zero_click,
            TRANSFER_FAILED: self._transfer_failed,
            REFUND_PAID: self._paid,
            OFFSET_POSTED: self._offset,
            ACCOUNT_CHANGED: self._account_changed,
        }.get(delivery.type)
        if handler is not None:
            handler(payload, key)

    def _track(self, payload: dict[str, Any], state: str) -> TrackedCase:
        case_key = str(payload["case_key"])
        known = self.store.tracked(case_key)
        facts = self.facts(case_key)
        payable = int(payload.get("payable", known.payable if known else facts.payable if facts else 0))
        case = TrackedCase(
            case_key, str(payload["owner_id"]), str(payload["district"]), payable, state,
            facts.lapses_on if facts else (known.lapses_on if known else None),
            known.reminders if known else 0, known.last_message_at if known else None,
        )  # fmt: skip
        self.store.track_case(case)
        return case

    def _send(self, case: TrackedCase, topic: Topic, key: str, **params: Any) -> None:
        self.service.notify(
            case.person_id, topic, district=case.district, params=params, key=key, case_key=case.case_key
        )
        self.store.touch_case(case.case_key, self.service.clock())

    def _case_opened(self, payload: dict[str, Any], key: str) -> None:
        known = self.store.tracked(str(payload["case_key"]))
        case = self._track(payload, known.state if known else "detected")
        if case.payable > 0:
            self._send(case, Topic.CASE_OPENED, key, amount=case.payable, tax_year=payload["tax_year"])

    def _state_changed(self, payload: dict[str, Any], key: str) -> None:
        to_state = str(payload["to_state"])
        case = self._track(payload, to_state)
        topic = STATE_TOPICS.get(to_state)
        if topic is not None and case.payable > 0:
            self._send(case, topic, key, amount=case.payable)

    def _payout_case(self, payload: dict[str, Any], state: str | None = None) -> TrackedCase:
        known = self.store.tracked(str(payload["case_key"]))
        return self._track(payload, state or (known.state if known else "detected"))

    def _zero_click(self, payload: dict[str, Any], key: str) -> None:
        case = self._payout_case(payload)
        pay_on = date.fromisoformat(str(payload["pay_on"])[:10])
        object_by = pay_on - timedelta(days=1)
        self._send(
            case,
            Topic.ZERO_CLICK_ANNOUNCED,
            key,
            amount=int(payload["amount"]),
            pay_on=pay_on,
            object_by=object_by,
        )

    def _transfer_failed(self, payload: dict[str, Any], key: str) -> None:
        case = self._payout_case(payload)
        self._send(case, Topic.TRANSFER_FAILED, key, amount=case.payable)

    def _paid(self, payload: dict[str, Any], key: str) -> None:
        case = self._payout_case(payload, "paid")
        paid_on = date.fromisoformat(str(payload["paid_on"])[:10])
        self._send(case, Topic.PAID, key, amount=int(payload["amount"]), paid_on=paid_on)

    def _offset(self, payload: dict[str, Any], key: str) -> None:
        case = self._payout_case(payload)
        self._send(case, Topic.OFFSET, key, amount=int(payload["amount"]))

    def _account_changed(self, payload: dict[str, Any], key: str) -> None:
        # A person-level alarm (no case): the person learns at once that their refund account changed.
        self.service.notify(
            str(payload["owner_id"]), Topic.ACCOUNT_CHANGED, district="", key=key,
            params={"last4": str(payload["last4"])[-4:]},
        )  # fmt: skip
