"""What the registry tells the other contexts, through the outbox. Ids and field names only.

Each event has a ``TYPE`` (its name on the bus) and :meth:`payload` (JSON-ready). A correction names
the fields that changed, never their old or new values: an owner's changed phone number is "phone".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar


@dataclass(frozen=True, slots=True)
class _Event:
    TYPE: ClassVar[str]

    def payload(self) -> dict[str, Any]:
        return {
            name: value.isoformat()
            if isinstance(value, datetime)
            else list(value)
            if isinstance(value, tuple)
            else value
            for name, value in asdict(self).items()
        }


@dataclass(frozen=True, slots=True)
class RegistryCorrected(_Event):
    """A stored row was changed by a later feed: detection recomputes the vehicle's and owner's cases."""

    TYPE: ClassVar[str] = "RegistryCorrected"
    ingest_id: int
    entity: str
    entity_key: str
    fields: tuple[str, ...]
    vehicle_id: str | None
    owner_id: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class FeedsIngested(_Event):
    """A feed load stored something new or changed (a load that changed nothing raises no event)."""

    TYPE: ClassVar[str] = "FeedsIngested"
    ingest_id: int
    inserted: int
    updated: int
    rejected: int
    at: datetime
