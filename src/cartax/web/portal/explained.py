"""The refund explained: each figure of a case with its reason in plain words and the article behind it.

The reasons come from the case's own computation trace: detection kept the calculation request of every
case (ids, dates and amounts only), and recomputing it under the case's rule set gives back the trace
that :func:`cartax.rules.explain.explain` turns into sentences. Should that request be missing, or give
other figures than the case now holds (a registry correction changed them), the page explains the
case's own refund lines instead, by cause, so it never shows a reason for a figure it does not show.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cartax.cases import CaseStatus
from cartax.core.dates import parse_date
from cartax.rules import Law, RequestError, calculate, parse_request
from cartax.rules.explain import explain
from cartax.web.portal.text import PortalText

REFUND_ARTICLES = ("지방세기본법 제60조",)
INTEREST_ARTICLES = ("지방세기본법 제62조",)
OFFSET_ARTICLES = ("지방세기본법 제60조제2항",)


@dataclass(frozen=True, slots=True)
class Reason:
    text: str
    refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Vehicle:
    category: str
    """The category as people read it (승용자동차 …)."""
    displacement_cc: int | None
    first_registered_on: date | None


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    start_event: str | None
    end_event: str | None
    """As people read them (이전등록 …); None when the car was held from before the year or still is."""


@dataclass(frozen=True, slots=True)
class Explained:
    vehicle: Vehicle | None
    period: Period | None
    reasons: tuple[Reason, ...]
    from_trace: bool


def explain_case(
    status: CaseStatus, request: Mapping[str, Any] | None, law: Law, today: date, t: PortalText
) -> Explained:
    """The case's figures with their reasons (from the trace when it reproduces the case's amounts)."""
    if request is not None:
        traced = _from_trace(status, request, law, today, t)
        if traced is not None:
            return traced
    return Explained(None, None, _from_lines(status, t), from_trace=False)


def _from_trace(
    status: CaseStatus, request: Mapping[str, Any], law: Law, today: date, t: PortalText
) -> Explained | None:
    try:
        parsed = parse_request(dict(request), law.rule_set.first_year, law.rule_set.last_year)
        result = calculate(parsed, law, today)
    except (RequestError, KeyError, ValueError):
        return None
    totals = result.totals
    same = (totals.refund, totals.interest, totals.offset, totals.payable) == (
        status.totals.refund,
        status.totals.interest,
        status.totals.offset,
        status.totals.payable,
    )
    if not same:
        return None
    reasons = tuple(Reason(line.text, line.refs) for line in explain(result, t.lang))
    return Explained(_vehicle(request, t), _period(request, status.tax_year, t), reasons, from_trace=True)


def _vehicle(request: Mapping[str, Any], t: PortalText) -> Vehicle | None:
    vehicle = request.get("vehicle")
    if not isinstance(vehicle, Mapping) or not isinstance(vehicle.get("category"), str):
        return None
    cc = vehicle.get("displacement_cc")
    registered = vehicle.get("first_registered_on")
    return Vehicle(
        t.term(f"category.{vehicle['category']}"),
        cc if isinstance(cc, int) and not isinstance(cc, bool) else None,
        parse_date(registered) if isinstance(registered, str) else None,
    )


def _period(request: Mapping[str, Any], year: int, t: PortalText) -> Period | None:
    holding = request.get("holding")
    if not isinstance(holding, Mapping):
        return None
    start, end = holding.get("start") or {}, holding.get("end") or {}

    def event(side: Mapping[str, Any]) -> str | None:
        name = side.get("event")
        return t.term(f"event.{name}") if isinstance(name, str) and name != "held" else None

    def day(side: Mapping[str, Any], default: date) -> date:
        value = side.get("date")
        return parse_date(value) if isinstance(value, str) and side.get("event") != "held" else default

    return Period(day(start, date(year, 1, 1)), day(end, date(year, 12, 31)), event(start), event(end))


def _from_lines(status: CaseStatus, t: PortalText) -> tuple[Reason, ...]:
    """Reasons from the case's totals, when no trace reproduces them."""
    totals = status.totals
    reasons = [Reason(t("explain.refund", amount=totals.refund), REFUND_ARTICLES)]
    if totals.interest:
        reasons.append(Reason(t("explain.interest", amount=totals.interest), INTEREST_ARTICLES))
    if totals.offset:
        reasons.append(Reason(t("explain.offset", amount=totals.offset), OFFSET_ARTICLES))
    return tuple(reasons)
