"""What the notices context needs from the outside world, as Protocols.

``adapters/fake.py`` implements the stores in memory for unit tests; ``adapters/`` holds the database
store, the Typst typesetter and the streaming PDF concatenation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from cartax.notices.model import IssuedDocument, NoticeFacts


class FactsSource(Protocol):
    """The facts of cases, from the cases and registry contexts (wired by the composition root)."""

    def facts(self, case_key: str) -> NoticeFacts | None:
        """One case's facts, or None when there is no such case."""

    def of_district(
        self, district: str, states: frozenset[str], after: str | None, limit: int
    ) -> Sequence[NoticeFacts]:
        """Up to ``limit`` cases of ``district`` in ``states``, by case key after ``after``."""

    def count(self, district: str, states: frozenset[str]) -> int:
        """How many cases of ``district`` are in ``states`` (the size of a batch, for its progress bar)."""


class DocumentStore(Protocol):
    """The issued documents (append-only)."""

    def add_all(self, documents: Sequence[IssuedDocument]) -> None:
        """Record documents; one whose (kind, case, template version, digest) is recorded already is
        skipped (issued twice, recorded once)."""

    def by_code(self, code: str) -> IssuedDocument | None: ...

    def of_case(self, case_key: str) -> list[IssuedDocument]:
        """The documents issued for a case, oldest first."""


class Typesetter(Protocol):
    """Turns a template and its data into a PDF. Each document of the data carries ``url``, the address
    its QR code leads to; the typesetter draws the code."""

    def typeset(self, template: Path, data: Mapping[str, Any], *, tagged: bool) -> bytes:
        """The PDF of ``template`` fed with ``data`` (one page or more per document in ``data``).

        ``tagged`` asks for an accessible (tagged) PDF: for a single document a person reads on a screen.
        """

    def typeset_parts(self, template: Path, parts: Iterator[Mapping[str, Any]]) -> Iterator[bytes]:
        """The PDFs of print parts (untagged), in the order of ``parts``. An implementation may typeset
        a few parts at once; it reads at most a bounded number of parts ahead of what was consumed."""


class PrintFile(Protocol):
    """One print file written part by part, so a batch never sits in memory whole."""

    def append(self, pdf: bytes) -> int:
        """Add every page of ``pdf``; returns how many pages it had."""

    def close(self) -> int:
        """Finish the file; returns the total number of pages."""

    def abort(self) -> None:
        """Stop and remove what was written."""
