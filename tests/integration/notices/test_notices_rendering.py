"""Documents as printed: Korean text present in the PDF, fonts embedded, the page rendered to PNG, the
QR symbol read back from the picture and equal to the symbol of the document's verification address,
and a print file of many parts that a PDF reader opens page by page."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cartax.notices import DocumentKind, NoticeService
from cartax.notices.adapters.pdfconcat import PdfConcatenation, PdfPartError
from cartax.notices.adapters.qr import qr_code
from notices_factories import (
    PUBLIC_URL,
    make_facts,
    page_texts,
    read_qr_modules,
    real_service,
    render_png,
    typst,
)

DECIDED = make_facts(state="approved", decided_on=date(2026, 11, 20))
OFFSET = make_facts(offset=50_000, payable=191_230)


@pytest.mark.parametrize(
    ("kind", "facts", "title", "lines"),
    [
        (
            DocumentKind.REFUND_NOTICE, make_facts(), "지방세 환급금 통지서",
            ["돌려받으실 금액은 모두 241,230원입니다.", "2031년 7월 1일까지 청구하지 않으면"],
        ),
        (
            DocumentKind.PAYMENT_DECISION, DECIDED, "지방세 환급금 지급결정 통지서",
            ["2026년 11월 20일에 241,230원을 지급하기로 결정하였습니다."],
        ),
        (
            DocumentKind.OFFSET_NOTICE, OFFSET, "지방세 환급금 충당 통지서",
            ["밀린 지방세(체납액) 50,000원에 환급금을 먼저 충당하였습니다.",
             "충당하고 남은 환급금은 191,230원입니다."],
        ),
    ],
)  # fmt: skip
def test_each_document_states_the_computation_and_its_legal_basis_in_korean(
    kind: DocumentKind, facts: object, title: str, lines: list[str], tmp_path: Path
) -> None:
    service = real_service(facts)  # type: ignore[arg-type]
    document = service.render(kind, "C-2026-0001")

    texts = page_texts(document.pdf)
    assert len(texts) == 1
    # Lines wrap between any two Korean syllables: compare without white space.
    printed = "".join("".join(texts).split())
    sentences = [
        title, "서울특별시 강남구청장", "홍*동", "12가3456", "C-2026-0001", *lines,
        "납부 P-1(연납 후 이전·말소): 자동차세 120,000원과 지방교육세 36,000원을 돌려드리며, "
        "2026년 7월 2일부터 지급결정일까지의 이자(환급가산금) 1,230원을 더해 드립니다.",
        "납부 P-2(이중 납부): 자동차세 84,000원과 지방교육세 0원을 돌려드립니다.",
        "지방세기본법 제60조제2항" if kind is DocumentKind.OFFSET_NOTICE else "지방세기본법 제60조제1항",
        "지방세기본법 제90조",
        service.verification_url(document.record.code),
    ]  # fmt: skip
    for expected in sentences:
        assert "".join(expected.split()) in printed, expected
    assert b"/FontFile2" in document.pdf
    assert b"NanumGothic" in document.pdf
    render_png(document.pdf, 0, tmp_path / f"{kind}.png")
    assert (tmp_path / f"{kind}.png").read_bytes().startswith(b"\x89PNG")


def test_the_printed_qr_symbol_is_the_symbol_of_the_verification_address(tmp_path: Path) -> None:
    service = real_service(make_facts())
    document = service.render("refund_notice", "C-2026-0001")
    url = f"{PUBLIC_URL}/verify/documents/{document.record.code}"

    grey = render_png(document.pdf, 0, tmp_path / "page.png", scale=4.0)
    printed = read_qr_modules(grey)

    expected = [[bool(module) for module in row] for row in qr_code(url).matrix]
    assert len(printed) == len(expected)
    assert printed == expected
    other = [[bool(m) for m in row] for row in qr_code(url.replace(document.record.code[:4], "ZZZZ")).matrix]
    assert printed != other


@pytest.mark.parametrize("workers", [1, 2])
def test_a_print_file_of_many_parts_opens_with_every_page_in_case_order(workers: int, tmp_path: Path) -> None:
    facts = [make_facts(case_key=f"C-{n:04d}") for n in range(7)]
    service: NoticeService = real_service(*facts, chunk_size=3, workers=workers)
    out = tmp_path / "batch.pdf"

    result = service.print_batch("11680", "refund_notice", out)

    assert (result.documents, result.pages, result.skipped) == (7, 7, 0)
    texts = page_texts(out)
    assert len(texts) == 7
    for n, text in enumerate(texts):
        assert f"C-{n:04d}" in text
        assert "지방세 환급금 통지서" in text
    assert not (tmp_path / "batch.pdf.part").exists()


def test_a_part_that_is_not_a_classic_pdf_is_refused_and_the_file_removed(tmp_path: Path) -> None:
    out = tmp_path / "print.pdf"
    writer = PdfConcatenation(out)
    with pytest.raises(PdfPartError, match="startxref"):
        writer.append(b"%PDF-1.7\nnot really a pdf")
    writer.abort()
    assert not out.exists()


def test_the_typesetter_needs_the_korean_fonts(tmp_path: Path) -> None:
    from cartax.notices.adapters.typesetter import FontsMissingError, TypstTypesetter

    setter = TypstTypesetter(tmp_path, typst().root)
    with pytest.raises(FontsMissingError, match="fonts-nanum"):
        setter.typeset(typst().root / "refund_notice.typ", {"docs": []}, tagged=True)
