"""The detection runs kept in the platform database, newest first, for officers' screens and the API.

A run's summary holds counts and amounts per cause and district, never a person's data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select

from cartax.detection.adapters.tables import detection_runs


@dataclass(frozen=True, slots=True)
class RunView:
    run_id: int
    mode: str
    tax_year: int
    decision_on: date
    rules_version: str
    started_at: datetime
    finished_at: datetime
    summary: dict[str, Any]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def list_runs(engine: Engine, limit: int) -> list[RunView]:
    """The latest ``limit`` runs, newest first."""
    query = select(detection_runs).order_by(detection_runs.c.id.desc()).limit(limit)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        RunView(
            row.id, row.mode, row.tax_year, row.decision_on, row.rules_version,
            _utc(row.started_at), _utc(row.finished_at), dict(row.summary),
        )
        for row in rows
    ]  # fmt: skip
