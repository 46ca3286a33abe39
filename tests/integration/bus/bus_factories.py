"""Events as detection writes them to the outbox, for the delivery tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import Engine

from cartax.infra import SqlUnitOfWork, session_factory

NOW = datetime(2026, 8, 14, 1, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Raw:
    """Any event type with any payload (the tests play detection)."""

    TYPE: ClassVar[str] = "RefundDetected"
    body: dict[str, Any]

    def payload(self) -> dict[str, Any]:
        return self.body


def detected_payload(case_key: str, amount: int = 250_970, **extra: Any) -> dict[str, Any]:
    line = {
        "payment_id": "p1", "cause": "R1", "liability_car_tax": 0, "liability_edu_tax": 0,
        "refund_car_tax": amount, "refund_edu_tax": 0, "arose_on": "2026-07-01",
        "interest_from": None, "interest": 0, "lapsed": False,
    }  # fmt: skip
    return {
        "case_key": case_key, "owner_id": "o1", "vehicle_id": "v1", "tax_year": 2026, "district": "11110",
        "refunds": [line], "totals": {"refund": amount, "interest": 0, "offset": 0, "payable": amount},
        "rules_version": "2026.1", "run_id": 1, **extra,
    }  # fmt: skip


def write_events(engine: Engine, *payloads: dict[str, Any]) -> None:
    """Put RefundDetected events in the outbox, as detection's unit of work does."""
    with SqlUnitOfWork(session_factory(engine), lambda: NOW) as uow:
        for body in payloads:
            uow.emit(Raw(body))
        uow.commit()
