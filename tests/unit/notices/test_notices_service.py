"""The notices service on in-memory adapters: one document, a batch, verification and its refusals."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cartax.notices import (
    DocumentCaseNotFoundError,
    InvalidDocumentRequestError,
    VerificationOutcome,
    kind_label,
)
from cartax.notices.adapters.fake import MemoryDocuments, MemoryPrintFile
from notices_factories import PUBLIC_URL, RecordingTypesetter, make_facts, make_service


def test_a_document_is_typeset_tagged_with_its_code_address_and_qr() -> None:
    setter = RecordingTypesetter()
    service = make_service(make_facts(), typesetter=setter)

    document = service.render("refund_notice", "C-2026-0001")

    template, data, tagged = setter.calls[0]
    assert template.name == "refund_notice.typ"
    assert tagged
    (doc,) = data["docs"]
    assert doc["url"] == f"{PUBLIC_URL}/verify/documents/{document.record.code}"
    assert doc["code"].replace("-", "") == document.record.code
    assert doc["portal"] == f"{PUBLIC_URL}/refunds/C-2026-0001"
    assert doc["amounts"]["payable"] == "241,230원"
    assert document.filename == "refund_notice-C-2026-0001.pdf"


def test_unknown_cases_and_kinds_are_refused_clearly() -> None:
    service = make_service(make_facts())
    with pytest.raises(DocumentCaseNotFoundError, match="C-404"):
        service.render("refund_notice", "C-404")
    with pytest.raises(InvalidDocumentRequestError) as refused:
        service.render("tax_bill", "C-2026-0001")
    assert "refund_notice" in refused.value.render("ko")
    assert "tax_bill" in refused.value.render("ko")
    assert kind_label("offset_notice") == "충당 통지서"


def test_verification_tells_genuine_altered_and_unknown_apart() -> None:
    service = make_service(make_facts())
    record = service.render("refund_notice", "C-2026-0001").record
    store = service.store
    assert isinstance(store, MemoryDocuments)

    assert service.verify(record.code).outcome is VerificationOutcome.GENUINE
    store.documents[record.document_id] = replace(record, summary={**record.summary, "payable": 9_999_999})
    assert service.verify(record.code).outcome is VerificationOutcome.ALTERED
    forged = replace(record, content_digest="0" * 64)
    store.documents[record.document_id] = forged
    assert service.verify(record.code).outcome is VerificationOutcome.ALTERED
    assert service.verify("ZZZZ-ZZZZ-ZZZZ-ZZZZ-ZZZZ").outcome is VerificationOutcome.UNKNOWN
    assert service.verify("not a code").outcome is VerificationOutcome.UNKNOWN


def test_a_code_made_with_another_key_does_not_verify() -> None:
    ours = make_service(make_facts())
    theirs = make_service(make_facts(), key=b"a forger's key")
    forged = theirs.render("refund_notice", "C-2026-0001").record
    ours.store.add_all([forged])
    assert ours.verify(forged.code).outcome is VerificationOutcome.ALTERED


def test_a_batch_goes_in_chunks_skips_what_does_not_apply_and_reports_progress(tmp_path: Path) -> None:
    facts = [make_facts(case_key=f"C-{n}") for n in range(5)]
    facts.append(make_facts(case_key="C-5", refund=0, interest=0, payable=0))
    facts.append(make_facts(case_key="C-6", district="11110"))
    setter = RecordingTypesetter()
    service = make_service(*facts, typesetter=setter, chunk_size=2)
    seen: list[int] = []

    result = service.print_batch("11680", "refund_notice", tmp_path / "out.pdf", progress=seen.append)

    assert (result.documents, result.pages, result.skipped) == (5, 5, 1)
    assert [len(data["docs"]) for _, data, _ in setter.calls] == [2, 2, 1]
    assert not any(tagged for _, _, tagged in setter.calls)
    assert seen == [2, 2, 2]
    assert (tmp_path / "out.pdf").exists()
    assert len(service.store.documents) == 5  # type: ignore[attr-defined]


def test_a_batch_with_nothing_to_print_writes_nothing(tmp_path: Path) -> None:
    opened: list[MemoryPrintFile] = []

    def open_file(path: Path) -> MemoryPrintFile:
        opened.append(MemoryPrintFile(path))
        return opened[-1]

    service = make_service(make_facts(), open_print_file=open_file)
    with pytest.raises(InvalidDocumentRequestError) as refused:
        service.print_batch("11680", "offset_notice", tmp_path / "out.pdf")
    assert refused.value.code == "empty_batch"
    assert opened[0].aborted
    assert not (tmp_path / "out.pdf").exists()


@pytest.mark.parametrize(
    ("district", "out", "code"),
    [
        ("1168", "out.pdf", "invalid_district"),
        ("11680", "out.txt", "invalid_output.suffix"),
        ("11680", "missing/out.pdf", "invalid_output.folder"),
    ],
)
def test_bad_batch_requests_are_refused_before_anything_is_written(
    district: str, out: str, code: str, tmp_path: Path
) -> None:
    service = make_service(make_facts())
    with pytest.raises(InvalidDocumentRequestError) as refused:
        service.print_batch(district, "refund_notice", tmp_path / out)
    assert refused.value.code == code
    assert refused.value.render("ko") != refused.value.render("en")
    assert list(tmp_path.iterdir()) == []
