"""Reading the events detection publishes (docs/events.md) into the context's own values.

The events belong to detection; this module is the cases context's tolerant reader of them: unknown
fields are ignored (a producer may add optional ones), missing or malformed ones are refused with an
:class:`InvalidEventError` naming the field, and amounts must add up before anything is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from cartax.cases.computation import RefundLine, Totals, consistency_problems
from cartax.cases.errors import InvalidEventError
from cartax.cases.model import CaseIdentity
from cartax.core.dates import parse_date

REFUND_DETECTED = "RefundDetected"
REFUND_RECOMPUTED = "RefundRecomputed"
TOTAL_FIELDS = ("refund", "interest", "offset", "payable")
AMOUNT_FIELDS = ("liability_car_tax", "liability_edu_tax", "refund_car_tax", "refund_edu_tax", "interest")


@dataclass(frozen=True, slots=True)
class DetectedRefund:
    """A case as detection found it: who, which vehicle and year, and the amounts."""

    identity: CaseIdentity
    rules_version: str
    refunds: tuple[RefundLine, ...]
    totals: Totals


@dataclass(frozen=True, slots=True)
class RecomputedRefund:
    """A registry correction: the new amounts and the totals they replace."""

    detected: DetectedRefund
    previous_totals: Totals


class _Reader:
    def __init__(self, event_type: str) -> None:
        self.event_type = event_type

    def fail(self, field: str, problem: str) -> InvalidEventError:
        return InvalidEventError(self.event_type, field, problem)

    def obj(self, raw: object, field: str) -> Mapping[str, Any]:
        if not isinstance(raw, Mapping):
            raise self.fail(field, "an object is expected")
        return raw

    def get(self, raw: Mapping[str, Any], name: str, prefix: str) -> Any:
        if name not in raw or raw[name] is None:
            raise self.fail(prefix + name, "the field is required")
        return raw[name]

    def text(self, raw: Mapping[str, Any], name: str, prefix: str = "", limit: int = 64) -> str:
        value = self.get(raw, name, prefix)
        if not isinstance(value, str) or not value.strip() or len(value) > limit:
            raise self.fail(prefix + name, f"a non-empty string of at most {limit} characters is expected")
        return value

    def won(self, raw: Mapping[str, Any], name: str, prefix: str = "") -> int:
        value = self.get(raw, name, prefix)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(prefix + name, "a whole, non-negative amount in 원 is expected")
        return value

    def day(self, raw: Mapping[str, Any], name: str, prefix: str) -> date:
        value = self.get(raw, name, prefix)
        try:
            return parse_date(value)
        except (TypeError, ValueError):
            raise self.fail(prefix + name, "a date YYYY-MM-DD is expected") from None

    def optional_day(self, raw: Mapping[str, Any], name: str, prefix: str) -> date | None:
        return None if raw.get(name) is None else self.day(raw, name, prefix)

    def flag(self, raw: Mapping[str, Any], name: str, prefix: str) -> bool:
        value = self.get(raw, name, prefix)
        if not isinstance(value, bool):
            raise self.fail(prefix + name, "true or false is expected")
        return value


def parse_refund_detected(payload: object, event_type: str = REFUND_DETECTED) -> DetectedRefund:
    """A ``RefundDetected`` payload as a :class:`DetectedRefund`, or :class:`InvalidEventError`."""
    read = _Reader(event_type)
    raw = read.obj(payload, "payload")
    tax_year = read.won(raw, "tax_year")
    district = read.text(raw, "district", limit=5)
    if not (district.isdigit() and len(district) == 5):
        raise read.fail("district", "a 5-digit 시군구 code is expected")
    identity = CaseIdentity(
        read.text(raw, "case_key"),
        read.text(raw, "owner_id"),
        read.text(raw, "vehicle_id"),
        tax_year,
        district,
    )
    lines = read.get(raw, "refunds", "")
    if not isinstance(lines, list):
        raise read.fail("refunds", "a list is expected")
    refunds = tuple(_refund_line(read, line, f"refunds[{i}].") for i, line in enumerate(lines))
    totals = _totals(read, read.obj(read.get(raw, "totals", ""), "totals"), "totals.")
    problems = consistency_problems(refunds, totals)
    if problems:
        raise read.fail("totals", "; ".join(problems))
    return DetectedRefund(identity, read.text(raw, "rules_version"), refunds, totals)


def parse_refund_recomputed(payload: object) -> RecomputedRefund:
    """A ``RefundRecomputed`` payload: a ``RefundDetected`` one plus ``previous_totals``.

    A case whose refunds all vanished comes with ``refunds: []`` and zero totals.
    """
    read = _Reader(REFUND_RECOMPUTED)
    detected = parse_refund_detected(payload, REFUND_RECOMPUTED)
    previous = read.obj(read.get(read.obj(payload, "payload"), "previous_totals", ""), "previous_totals")
    return RecomputedRefund(detected, _totals(read, previous, "previous_totals."))


def _refund_line(read: _Reader, raw: object, prefix: str) -> RefundLine:
    line = read.obj(raw, prefix.rstrip("."))
    amounts = {name: read.won(line, name, prefix) for name in AMOUNT_FIELDS}
    return RefundLine(
        payment_id=read.text(line, "payment_id", prefix),
        cause=read.text(line, "cause", prefix, limit=2),
        arose_on=read.day(line, "arose_on", prefix),
        interest_from=read.optional_day(line, "interest_from", prefix),
        lapsed=read.flag(line, "lapsed", prefix),
        **amounts,
    )


def _totals(read: _Reader, raw: Mapping[str, Any], prefix: str) -> Totals:
    return Totals(*(read.won(raw, name, prefix) for name in TOTAL_FIELDS))
