"""In-memory adapters for unit tests: a facts source over a list, a document store over a dict, and a
print file that keeps the parts it was given."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from cartax.notices.model import IssuedDocument, NoticeFacts


class MemoryFacts:
    def __init__(self, facts: Iterable[NoticeFacts] = ()) -> None:
        self.cases = {item.case_key: item for item in facts}

    def facts(self, case_key: str) -> NoticeFacts | None:
        return self.cases.get(case_key)

    def of_district(
        self, district: str, states: frozenset[str], after: str | None, limit: int
    ) -> Sequence[NoticeFacts]:
        keys = sorted(k for k, v in self.cases.items() if v.district == district and v.state in states)
        return [self.cases[key] for key in keys if after is None or key > after][:limit]

    def count(self, district: str, states: frozenset[str]) -> int:
        return sum(1 for v in self.cases.values() if v.district == district and v.state in states)


class MemoryDocuments:
    def __init__(self) -> None:
        self.documents: dict[str, IssuedDocument] = {}

    def add_all(self, documents: Sequence[IssuedDocument]) -> None:
        for document in documents:
            self.documents.setdefault(document.document_id, document)

    def by_code(self, code: str) -> IssuedDocument | None:
        return next((d for d in self.documents.values() if d.code == code), None)

    def of_case(self, case_key: str) -> list[IssuedDocument]:
        found = [d for d in self.documents.values() if d.case_key == case_key]
        return sorted(found, key=lambda d: d.issued_at)


class MemoryPrintFile:
    """Keeps the parts it was given; counts pages by their page objects."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parts: list[bytes] = []
        self.closed = self.aborted = False

    def append(self, pdf: bytes) -> int:
        self.parts.append(pdf)
        return pdf.count(b"/Type/Page") - pdf.count(b"/Type/Pages")

    def close(self) -> int:
        self.closed = True
        self.path.write_bytes(b"".join(self.parts))
        return sum(part.count(b"/Type/Page") - part.count(b"/Type/Pages") for part in self.parts)

    def abort(self) -> None:
        self.aborted = True
