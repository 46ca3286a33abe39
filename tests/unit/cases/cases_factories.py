"""Keyword-only factories for the cases tests (payloads as detection publishes them, a settable clock)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from cartax.cases import CaseService, StraightThroughPolicy, parse_refund_detected
from cartax.cases.adapters.fake import FakeDatabase, FakeUnitOfWork
from cartax.cases.inbound import DetectedRefund

START = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def make_line(
    *,
    payment_id: str = "p1",
    cause: str = "R1",
    refund_car_tax: int = 192_330,
    refund_edu_tax: int = 57_710,
    interest: int = 930,
    arose_on: str = "2026-07-01",
    lapsed: bool = False,
) -> dict[str, Any]:
    return {
        "payment_id": payment_id,
        "cause": cause,
        "liability_car_tax": 189_180,
        "liability_edu_tax": 56_750,
        "refund_car_tax": refund_car_tax,
        "refund_edu_tax": refund_edu_tax,
        "arose_on": arose_on,
        "interest_from": "2026-07-02",
        "interest": interest,
        "lapsed": lapsed,
    }


def make_payload(
    *,
    case_key: str = "c0ffee00c0ffee00c0ff",
    owner_id: str = "o1",
    lines: list[dict[str, Any]] | None = None,
    offset: int = 0,
    rules_version: str = "2026.1",
    **extra: Any,
) -> dict[str, Any]:
    """A RefundDetected payload whose totals add up (by default the worked case TV12: 250,970원)."""
    lines = [make_line()] if lines is None else lines
    live = [line for line in lines if not line["lapsed"]]
    refund = sum(line["refund_car_tax"] + line["refund_edu_tax"] for line in live)
    interest = sum(line["interest"] for line in live)
    offset = min(offset, refund + interest)
    payload = {
        "case_key": case_key,
        "owner_id": owner_id,
        "vehicle_id": "v1",
        "tax_year": 2026,
        "district": "11110",
        "refunds": lines,
        "totals": {
            "refund": refund,
            "interest": interest,
            "offset": offset,
            "payable": refund + interest - offset,
        },
        "rules_version": rules_version,
    }
    payload.update(extra)
    return payload


def make_payable(amount: int, *, case_key: str = "c0ffee00c0ffee00c0ff", cause: str = "R1") -> DetectedRefund:
    """A detected refund whose payable is exactly ``amount`` (no interest, no offset)."""
    line = make_line(cause=cause, refund_car_tax=amount, refund_edu_tax=0, interest=0)
    return parse_refund_detected(make_payload(case_key=case_key, lines=[line]))


@dataclass
class World:
    """A service on an in-memory database with a settable clock."""

    policy: StraightThroughPolicy = field(default_factory=StraightThroughPolicy)
    db: FakeDatabase = field(default_factory=FakeDatabase)
    clock: Clock = field(default_factory=Clock)
    sleeps: list[float] = field(default_factory=list)

    @property
    def service(self) -> CaseService:
        return CaseService(
            lambda: FakeUnitOfWork(self.db),
            self.clock,
            self.policy,
            timedelta(days=14),
            sleep=self.sleeps.append,
        )

    def events(self, kind: str) -> list[dict[str, Any]]:
        return [event.payload() for event in self.db.outbox if kind == event.TYPE]
