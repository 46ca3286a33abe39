"""What the audit context needs from the outside world."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from cartax.audit.model import AccessRecord, Anchor


class AuditStore(Protocol):
    """Append-only storage of the chain; there is no way to change or remove a record."""

    def head(self) -> AccessRecord | None:
        """The last record, read so that no other writer can append until this transaction ends."""
        ...

    def append(self, record: AccessRecord) -> None: ...

    def records(self, from_seq: int = 1) -> Iterator[AccessRecord]:
        """Every record from ``from_seq`` on, in sequence order, streamed."""
        ...


class AnchorStore(Protocol):
    """Where anchors are kept: somewhere the database's administrators cannot rewrite."""

    def add(self, anchor: Anchor) -> None: ...
    def all(self) -> list[Anchor]: ...
