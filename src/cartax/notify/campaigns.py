"""Campaigns: many people told in cohorts (N per minute), and reminders to those who have not answered,
nearest lapse first.

A campaign queues its messages at once, each with the minute its cohort may go; the dispatcher then
sends them as their time comes, within the district's quota, its daily cap and outside quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from cartax.notify.errors import InvalidNotifyRequestError
from cartax.notify.model import Topic
from cartax.notify.policy import SEOUL
from cartax.notify.service import PRIORITY_CAMPAIGN, NotifyService, Request


@dataclass(frozen=True, slots=True)
class ReminderPolicy:
    """Who is reminded: told at least ``after`` ago, reminded fewer than ``max_reminders`` times; a
    refund lapsing within ``lapse_warning`` gets the lapse warning instead of the plain reminder."""

    after: timedelta = timedelta(days=14)
    max_reminders: int = 3
    lapse_warning: timedelta = timedelta(days=90)


@dataclass(frozen=True, slots=True)
class CampaignResult:
    campaign_id: int
    queued: int
    lapse_warnings: int
    first_at: datetime | None
    last_at: datetime | None


def remind_non_responders(
    service: NotifyService,
    *,
    district: str | None,
    per_minute: int,
    limit: int,
    policy: ReminderPolicy = ReminderPolicy(),
    start: datetime | None = None,
) -> CampaignResult:
    """Queue reminders to the people who were told about a refund and have not answered, nearest lapse
    first, ``per_minute`` per cohort from ``start`` (now by default)."""
    if per_minute < 1 or per_minute > 100_000:
        raise InvalidNotifyRequestError("invalid_campaign", problem="per_minute must be 1–100,000")
    if limit < 1:
        raise InvalidNotifyRequestError("invalid_campaign", problem="limit must be at least 1")
    store, now = service.store, service.clock()
    begin = max(start or now, now)
    cases = store.non_responders(district, now - policy.after, policy.max_reminders, limit)
    campaign_id = store.add_campaign(district, Topic.REMINDER, per_minute, now)
    today = now.astimezone(SEOUL).date()
    requests: list[Request] = []
    warnings = 0
    for index, case in enumerate(cases):
        at = begin + timedelta(minutes=index // per_minute)
        lapsing = case.lapses_on is not None and case.lapses_on - today <= policy.lapse_warning
        params: dict[str, object] = {"amount": case.payable}
        if lapsing:
            params["lapse_on"] = case.lapses_on
            warnings += 1
        topic = Topic.LAPSE_APPROACHING if lapsing else Topic.REMINDER
        key = f"campaign:{campaign_id}:{case.case_key}"
        requests.append(
            Request(case.person_id, topic, case.district, params, key, case.case_key, not_before=at)
        )
    queued = service.queue_many(requests, priority=PRIORITY_CAMPAIGN, campaign_id=campaign_id)
    store.count_reminders([case.case_key for case in cases], now)
    first = requests[0].not_before if requests else None
    last = requests[-1].not_before if requests else None
    return CampaignResult(campaign_id, queued, warnings, first, last)
