"""Notices: the documents the office issues about a refund case, in Korean PDF with embedded fonts,
each with its legal basis and a QR code that proves it genuine (docs/notices.md).

Public surface for the portal, the console, the command line and the web edge (``Services.notices``)::

    document = notices.render("refund_notice", case_key)        # RenderedDocument: .pdf, .filename, .record
    total = notices.batch_size("11680", "payment_decision")      # cases a batch goes through
    result = notices.print_batch("11680", "payment_decision", Path("out.pdf"), progress=bar.update)
    check = notices.verify(code)                                  # Verification: .outcome, .record (masked)
    records = notices.issued_for(case_key)                        # IssuedDocument list, oldest first

Kinds: ``refund_notice`` (환급금 통지서), ``payment_decision`` (지급결정 통지서), ``offset_notice``
(충당 통지서). Errors: :class:`DocumentCaseNotFoundError` (404), :class:`DocumentNotApplicableError`
(409: the case's state or amounts do not call for that document), :class:`InvalidDocumentRequestError`
(422: an unknown kind, a malformed district, an output path that is not a writable ``.pdf``, a batch with
nothing to print); each renders in Korean with ``.render("ko")``.
"""

from __future__ import annotations

from cartax.notices.codes import grouped as grouped_code
from cartax.notices.codes import normalise_code
from cartax.notices.errors import (
    DocumentCaseNotFoundError,
    DocumentNotApplicableError,
    InvalidDocumentRequestError,
    NoticesError,
    catalogue,
)
from cartax.notices.model import (
    ELIGIBLE_STATES,
    BatchResult,
    DocumentKind,
    IssuedDocument,
    NoticeFacts,
    RefundedPayment,
    RenderedDocument,
    Verification,
    VerificationOutcome,
)
from cartax.notices.service import VERIFY_PATH, NoticeService, Progress, parse_kind


def catalogue_text(key: str, lang: str = "ko", **params: object) -> str:
    """A text of the notices' catalogue (the verification page's wording), Korean first.

    >>> catalogue_text("verify.title"), catalogue_text("verify.title", "en")
    ('문서 진위 확인', 'Check a document')
    """
    return catalogue().render(key, lang, **params)


def kind_label(kind: str | DocumentKind, lang: str = "ko") -> str:
    """A document kind as people read it.

    >>> kind_label("payment_decision"), kind_label("payment_decision", "en")
    ('지급결정 통지서', 'payment decision')
    """
    return catalogue().render(f"kind.{parse_kind(kind)}", lang)


__all__ = [
    "ELIGIBLE_STATES",
    "VERIFY_PATH",
    "BatchResult",
    "DocumentCaseNotFoundError",
    "DocumentKind",
    "DocumentNotApplicableError",
    "InvalidDocumentRequestError",
    "IssuedDocument",
    "NoticeFacts",
    "NoticeService",
    "NoticesError",
    "Progress",
    "RefundedPayment",
    "RenderedDocument",
    "Verification",
    "VerificationOutcome",
    "catalogue_text",
    "grouped_code",
    "kind_label",
    "normalise_code",
    "parse_kind",
]
