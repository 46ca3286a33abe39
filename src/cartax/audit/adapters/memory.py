"""The chain and its anchors in memory, for unit tests."""

from __future__ import annotations

from collections.abc import Iterator

from cartax.audit.model import AccessRecord, Anchor


class MemoryAuditStore:
    def __init__(self) -> None:
        self.rows: list[AccessRecord] = []

    def head(self) -> AccessRecord | None:
        return self.rows[-1] if self.rows else None

    def append(self, record: AccessRecord) -> None:
        if any(row.seq == record.seq for row in self.rows):
            raise ValueError(f"record {record.seq} exists already")
        self.rows.append(record)

    def records(self, from_seq: int = 1) -> Iterator[AccessRecord]:
        return iter(sorted((r for r in self.rows if r.seq >= from_seq), key=lambda r: r.seq))


class MemoryAnchors:
    def __init__(self) -> None:
        self.rows: list[Anchor] = []

    def add(self, anchor: Anchor) -> None:
        self.rows.append(anchor)

    def all(self) -> list[Anchor]:
        return list(self.rows)
