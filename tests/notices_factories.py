"""Factories and readers for the notices tests: a case's facts, a service on in-memory adapters, and
what a PDF holds (its pages' text, a page as PNG, the QR symbol printed on a page, module by module)."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pypdfium2

from cartax.notices import NoticeFacts, NoticeService, RefundedPayment
from cartax.notices.adapters.fake import MemoryDocuments, MemoryFacts, MemoryPrintFile
from cartax.notices.adapters.pdfconcat import PdfConcatenation
from cartax.notices.adapters.typesetter import PooledTypesetter, TypstTypesetter
from cartax.notices.ports import PrintFile
from cartax.notices.templates import load_templates, template_folder
from cartax.settings import Settings

NOW = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
KEY = b"test-notice-seal-key"
PUBLIC_URL = "https://cartax.test"
FONTS = Settings().notice_font_dir


def make_facts(**overrides: Any) -> NoticeFacts:
    """A notified case of 강남구 with a prepayment refund (R1, with interest) and a duplicate (R3)."""
    facts = NoticeFacts(
        case_key="C-2026-0001",
        district="11680",
        district_name="서울특별시 강남구",
        tax_year=2026,
        state="notified",
        plate="12가3456",
        recipient="홍*동",
        rules_version="2026.1",
        computation=1,
        payments=(
            RefundedPayment("P-1", "R1", 120_000, 36_000, 1_230, date(2026, 7, 1), date(2026, 7, 2), False),
            RefundedPayment("P-2", "R3", 84_000, 0, 0, date(2026, 6, 30), None, False),
        ),
        refund=240_000,
        interest=1_230,
        offset=0,
        payable=241_230,
        lapses_after=date(2031, 7, 1),
    )
    return replace(facts, **overrides)


class RecordingTypesetter:
    """Keeps what it was asked to typeset; answers a one-page stand-in PDF per document."""

    def __init__(self) -> None:
        self.calls: list[tuple[Path, dict[str, Any], bool]] = []

    def typeset(self, template: Path, data: Any, *, tagged: bool) -> bytes:
        self.calls.append((template, dict(data), tagged))
        return b"".join(b"<</Type/Page>>" for _ in data["docs"])

    def typeset_parts(self, template: Path, parts: Iterator[Any]) -> Iterator[bytes]:
        for data in parts:
            yield self.typeset(template, data, tagged=False)


def make_service(
    *facts: NoticeFacts,
    typesetter: Any = None,
    open_print_file: Callable[[Path], PrintFile] = MemoryPrintFile,
    key: bytes = KEY,
    chunk_size: int = 500,
) -> NoticeService:
    return NoticeService(
        source=MemoryFacts(facts),
        store=MemoryDocuments(),
        typesetter=typesetter or RecordingTypesetter(),
        templates=load_templates(),
        seal_key=key,
        public_url=PUBLIC_URL,
        clock=lambda: NOW,
        open_print_file=open_print_file,
        chunk_size=chunk_size,
    )


def typst() -> TypstTypesetter:
    return TypstTypesetter(FONTS, template_folder())


def real_service(*facts: NoticeFacts, chunk_size: int = 500, workers: int = 1) -> NoticeService:
    setter = PooledTypesetter(FONTS, template_folder(), workers)
    return make_service(*facts, typesetter=setter, open_print_file=PdfConcatenation, chunk_size=chunk_size)


def page_texts(pdf: bytes | Path) -> list[str]:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return [document[i].get_textpage().get_text_range() for i in range(len(document))]
    finally:
        document.close()


def render_png(pdf: bytes | Path, page: int, path: Path, scale: float = 2.0) -> np.ndarray:
    """Render ``page`` to a PNG file (written with the standard library) and return its grey pixels."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        bitmap = document[page].render(scale=scale, rev_byteorder=True)
        pixels = bitmap.to_numpy()[:, :, :3].copy()
    finally:
        document.close()
    write_png(path, pixels)
    grey: np.ndarray = pixels.mean(axis=2)
    return grey


def write_png(path: Path, pixels: np.ndarray) -> None:
    height, width, _ = pixels.shape
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def read_qr_modules(grey: np.ndarray) -> list[list[bool]]:
    """The modules of the QR symbol printed in the top-right corner of a rendered page (True = dark).

    Reads the picture, not the PDF: finds the symbol's extent from its dark pixels, the module size
    from the top-left finder pattern (7 modules wide), and samples every module at its centre.
    """
    height, width = grey.shape
    corner = grey[: height * 15 // 100, width * 3 // 4 :] < 128  # the header, right of the title
    rows = np.flatnonzero(corner.any(axis=1))
    cols = np.flatnonzero(corner.any(axis=0))
    top, left, right = rows[0], cols[0], cols[-1] + 1
    band = corner[top + 2, left:right]  # two pixels in: clear of the edge's anti-aliasing
    finder = int(np.argmin(band))  # the finder pattern's top edge: 7 dark modules, then light
    count = round((right - left) / (finder / 7))
    size = (right - left) / count
    return [
        [bool(corner[int(top + (r + 0.5) * size), int(left + (c + 0.5) * size)]) for c in range(count)]
        for r in range(count)
    ]
