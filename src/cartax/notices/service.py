"""The notices service: one document for a case, a whole district's batch into one print file, and the
verification of a printed code. Every use case is a method; the adapters come in through the ports.
"""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import Any

from cartax.core.i18n import Catalogue
from cartax.notices import codes
from cartax.notices.content import check_applicable, sealed_facts, template_data
from cartax.notices.errors import (
    DocumentCaseNotFoundError,
    DocumentNotApplicableError,
    InvalidDocumentRequestError,
    catalogue,
)
from cartax.notices.model import (
    ELIGIBLE_STATES,
    KST,
    BatchResult,
    DocumentKind,
    IssuedDocument,
    NoticeFacts,
    RenderedDocument,
    Verification,
    VerificationOutcome,
)
from cartax.notices.ports import DocumentStore, FactsSource, PrintFile, Typesetter
from cartax.notices.templates import Template

VERIFY_PATH = "/verify/documents/"
MAX_CHUNK = 500
"""At most this many documents typeset at once (the registry answers 500 ids per look-up)."""
_DISTRICT = re.compile(r"\d{5}")
Progress = Callable[[int], None]
"""Told how many cases of the batch were just handled (printed or skipped)."""


def parse_kind(kind: str | DocumentKind) -> DocumentKind:
    """A document kind from its name, or a clear error listing the kinds."""
    try:
        return DocumentKind(kind)
    except ValueError:
        raise InvalidDocumentRequestError("invalid_kind", kind=str(kind)[:40]) from None


@dataclass(slots=True)
class _Tally:
    skipped: int = 0
    carried: int = 0
    """Cases gone through since the last part was handed over (reported with the next part)."""


@dataclass(frozen=True, slots=True)
class _Prepared:
    record: IssuedDocument
    data: dict[str, Any]


@dataclass
class NoticeService:
    source: FactsSource
    store: DocumentStore
    typesetter: Typesetter
    templates: Mapping[DocumentKind, Template]
    seal_key: bytes
    public_url: str
    clock: Callable[[], datetime]
    open_print_file: Callable[[Path], PrintFile]
    chunk_size: int = 100
    """Documents a print part holds: Typst keeps what it laid out for the last ten parts, so the part
    size bounds each worker's memory (about 50 MiB a hundred documents)."""

    @cached_property
    def messages(self) -> Catalogue:
        return catalogue()

    def verification_url(self, code: str) -> str:
        return f"{self.public_url.rstrip('/')}{VERIFY_PATH}{code}"

    def render(self, kind: str | DocumentKind, case_key: str) -> RenderedDocument:
        """One document for a case, as an accessible (tagged) PDF; recorded once per content."""
        kind = parse_kind(kind)
        facts = self.source.facts(case_key)
        if facts is None:
            raise DocumentCaseNotFoundError(case_key)
        check_applicable(kind, facts)
        prepared = self._prepare(kind, facts, self.clock())
        pdf = self.typesetter.typeset(self.templates[kind].path, {"docs": [prepared.data]}, tagged=True)
        self.store.add_all([prepared.record])
        stored = self.store.by_code(prepared.record.code)
        return RenderedDocument(stored or prepared.record, pdf)

    def batch_size(self, district: str, kind: str | DocumentKind) -> int:
        """How many cases a batch would go through (an upper bound of the documents it prints)."""
        kind = parse_kind(kind)
        _check_district(district)
        return self.source.count(district, ELIGIBLE_STATES[kind])

    def print_batch(
        self,
        district: str,
        kind: str | DocumentKind,
        out: Path,
        progress: Progress | None = None,
    ) -> BatchResult:
        """Every document of ``kind`` the district's cases call for, in case order, into one PDF.

        Typeset ``chunk_size`` documents at a time and appended to the file as each chunk is done, so
        memory stays the same whatever the batch size. The file appears at ``out`` only when complete.
        """
        kind = parse_kind(kind)
        _check_district(district)
        if not 1 <= self.chunk_size <= MAX_CHUNK:
            raise InvalidDocumentRequestError("invalid_chunk", chunk=self.chunk_size, limit=MAX_CHUNK)
        partial = _partial_path(out)
        started = time.perf_counter()
        printer = self.open_print_file(partial)
        try:
            documents, pages, skipped = self._print_chunks(district, kind, printer, progress)
            if documents == 0:
                raise InvalidDocumentRequestError("empty_batch", district=district, kind=str(kind))
            printer.close()
        except BaseException:
            printer.abort()
            raise
        partial.replace(out)
        seconds = time.perf_counter() - started
        return BatchResult(kind, district, documents, pages, skipped, str(out), seconds)

    def verify(self, code: str) -> Verification:
        """Whether ``code`` (as read from a QR code or typed) belongs to a document this office issued,
        and whether its record is intact (the seal over its id and digest, the digest over its facts)."""
        plain = codes.normalise_code(code)
        record = self.store.by_code(plain) if plain else None
        if record is None:
            return Verification(plain or "", VerificationOutcome.UNKNOWN, None)
        intact = (
            codes.seal_matches(self.seal_key, record.document_id, record.content_digest, record.code)
            and codes.content_digest(record.summary) == record.content_digest
        )
        outcome = VerificationOutcome.GENUINE if intact else VerificationOutcome.ALTERED
        return Verification(record.code, outcome, record)

    def issued_for(self, case_key: str) -> list[IssuedDocument]:
        """The documents issued for a case, oldest first (the console's case page)."""
        return self.store.of_case(case_key)

    def _print_chunks(
        self, district: str, kind: DocumentKind, printer: PrintFile, progress: Progress | None
    ) -> tuple[int, int, int]:
        """Typeset the district's documents part by part and append each part to the file in order.

        The typesetter may work on a few parts at once (in other processes) while this one reads and
        prepares the next; what each part holds waits in ``pending`` until its PDF comes back.
        """
        pending: deque[tuple[list[IssuedDocument], int]] = deque()
        tally = _Tally()
        parts = self._parts(district, kind, pending, tally)
        documents = pages = 0
        for pdf in self.typesetter.typeset_parts(self.templates[kind].path, parts):
            records, cases = pending.popleft()
            pages += printer.append(pdf)
            self.store.add_all(records)
            documents += len(records)
            if progress is not None:
                progress(cases)
        if progress is not None and tally.carried:
            progress(tally.carried)
        return documents, pages, tally.skipped

    def _parts(
        self,
        district: str,
        kind: DocumentKind,
        pending: deque[tuple[list[IssuedDocument], int]],
        tally: _Tally,
    ) -> Iterator[dict[str, Any]]:
        """The data of each part, chunk by chunk of the district's cases (keyset pages)."""
        after: str | None = None
        now = self.clock()
        while chunk := self.source.of_district(district, ELIGIBLE_STATES[kind], after, self.chunk_size):
            after = chunk[-1].case_key
            prepared = []
            for facts in chunk:
                try:
                    check_applicable(kind, facts)
                except DocumentNotApplicableError:
                    tally.skipped += 1
                    continue
                prepared.append(self._prepare(kind, facts, now))
            tally.carried += len(chunk)
            if prepared:
                pending.append(([p.record for p in prepared], tally.carried))
                tally.carried = 0
                yield {"docs": [p.data for p in prepared]}

    def _prepare(self, kind: DocumentKind, facts: NoticeFacts, now: datetime) -> _Prepared:
        issued_on = now.astimezone(KST).date()
        template = self.templates[kind]
        summary = sealed_facts(kind, facts, issued_on)
        digest = codes.content_digest(summary)
        doc_id = codes.document_id(kind, facts.case_key, template.version, digest)
        code = codes.seal(self.seal_key, doc_id, digest)
        record = IssuedDocument(
            doc_id, kind, facts.case_key, facts.district, template.version, digest, code, now, summary
        )
        data = template_data(kind, facts, issued_on, self.messages)
        portal = f"{self.public_url.rstrip('/')}/refunds/{facts.case_key}"
        # The typesetter draws the QR code of "url" (in the process that typesets the part).
        data |= {"code": codes.grouped(code), "url": self.verification_url(code), "portal": portal}
        return _Prepared(record, data)


def _check_district(district: str) -> None:
    if not _DISTRICT.fullmatch(district):
        raise InvalidDocumentRequestError("invalid_district", district=district[:20])


def _partial_path(out: Path) -> Path:
    if out.suffix.lower() != ".pdf":
        raise InvalidDocumentRequestError("invalid_output.suffix", path=out.name)
    if not out.parent.is_dir():
        raise InvalidDocumentRequestError("invalid_output.folder", path=out.name)
    return out.with_name(out.name + ".part")
