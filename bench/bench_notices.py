"""Notices in bulk: N documents of one district into one print-ready PDF, as ``cartax notices print``.

The whole print path runs: the facts of each case (a synthetic source, generated page by page so the
benchmark itself holds no batch in memory), the documents' facts sealed and their codes made, Typst in
worker processes with each document's QR code, the parts appended to one file by the streaming
concatenation, and every document recorded in ``issued_documents`` (SQLite file, or ``--database-url``).
At the end the file is opened with PDFium: its page count, and the first and last pages' text.

Usage: ``python bench/bench_notices.py [--documents 100000] [--workers 2] [--chunk 500]
[--database-url postgresql+psycopg://postgres@127.0.0.1:5432/DB] [--out FILE]``.
Record the figures in docs/benchmarks.md under "Notices".
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

import pypdfium2
from tqdm import tqdm

from cartax.infra import make_engine, upgrade
from cartax.notices import NoticeFacts, NoticeService, RefundedPayment
from cartax.notices.adapters.pdfconcat import PdfConcatenation
from cartax.notices.adapters.store import SqlDocumentStore
from cartax.notices.adapters.typesetter import PooledTypesetter
from cartax.notices.templates import load_templates, template_folder
from cartax.settings import Settings

DISTRICT = "11680"
CAUSES = ("R1", "R2", "R3", "R4", "R5")
SURNAMES = "김이박최정강조윤장임"


class SyntheticFacts:
    """``documents`` notified cases of one district, made on request from their number."""

    def __init__(self, documents: int) -> None:
        self.documents = documents

    def facts(self, case_key: str) -> NoticeFacts | None:
        number = int(case_key.removeprefix("C-"))
        return self._make(number) if 0 <= number < self.documents else None

    def of_district(
        self,
        district: str,  # noqa: ARG002 - one district
        states: frozenset[str],  # noqa: ARG002 - every case notified
        after: str | None,
        limit: int,
    ) -> Sequence[NoticeFacts]:
        start = int(after.removeprefix("C-")) + 1 if after else 0
        return [self._make(n) for n in range(start, min(start + limit, self.documents))]

    def count(self, district: str, states: frozenset[str]) -> int:  # noqa: ARG002 - as of_district
        return self.documents

    def _make(self, n: int) -> NoticeFacts:
        lines = tuple(
            RefundedPayment(
                f"P-{n}-{i}", CAUSES[(n + i) % len(CAUSES)], 40_000 + (n * 37 + i * 1_000) % 150_000,
                (n * 11) % 40_000, (n * 7) % 5_000, date(2026, 1 + (n + i) % 12, 1 + n % 28),
                date(2026, 1 + (n + i) % 12, 2 + n % 27), False,
            )
            for i in range(1 + n % 3)
        )  # fmt: skip
        refund = sum(line.refund for line in lines)
        interest = sum(line.interest for line in lines)
        return NoticeFacts(
            case_key=f"C-{n:07d}", district=DISTRICT, district_name="서울특별시 강남구", tax_year=2026,
            state="notified", plate=f"{10 + n % 90}가{n % 10_000:04d}", recipient=f"{SURNAMES[n % 10]}*동",
            rules_version="2026.1", computation=1, payments=lines, refund=refund, interest=interest,
            offset=0, payable=refund + interest, lapses_after=date(2031, 7, 1),
        )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk", type=int, default=100)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="cartax-notices-bench-"))
    url = args.database_url or f"sqlite:///{scratch / 'notices.db'}"
    upgrade(url)
    engine = make_engine(url)
    out = args.out or scratch / "print.pdf"
    service = NoticeService(
        source=SyntheticFacts(args.documents),
        store=SqlDocumentStore(engine),
        typesetter=PooledTypesetter(Settings().notice_font_dir, template_folder(), args.workers),
        templates=load_templates(),
        seal_key=b"benchmark-seal-key",
        public_url="https://cartax.gangnam.go.kr",
        clock=lambda: datetime(2026, 11, 25, 1, 0, tzinfo=UTC),
        open_print_file=PdfConcatenation,
        chunk_size=args.chunk,
    )
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, {platform.platform()}")
    print(f"documents {args.documents:,}, workers {args.workers}, chunk {args.chunk}, {engine.dialect.name}")
    with tqdm(total=args.documents, unit="doc", file=sys.stderr) as bar:
        result = service.print_batch(DISTRICT, "refund_notice", out, progress=bar.update)
    engine.dispose()

    parent = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"wrote {result.documents:,} documents, {result.pages:,} pages in {result.seconds:.1f} s: "
        f"{result.pages / result.seconds:,.0f} pages/s"
    )
    print(
        f"file {out.stat().st_size / 2**20:,.0f} MiB; peak RSS: this process {parent:,.0f} MiB, "
        f"largest worker {children:,.0f} MiB"
    )
    started = time.perf_counter()
    document = pypdfium2.PdfDocument(out)
    first, last = (
        document[0].get_textpage().get_text_range(),
        document[len(document) - 1].get_textpage().get_text_range(),
    )
    print(
        f"PDFium opens it: {len(document):,} pages ({time.perf_counter() - started:.1f} s); "
        f"first page C-0000000: {'C-0000000' in first}; last page C-{args.documents - 1:07d}: "
        f"{f'C-{args.documents - 1:07d}' in last}"
    )
    document.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
