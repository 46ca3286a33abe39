"""One typesetter used by many threads at once, as the server's threads use it when several people
download their notice at the same moment: every one gets their PDF (Typst's compiler refuses a second
caller while it compiles, so the typesetter must give it one document at a time)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from cartax.notices import DocumentKind
from notices_factories import make_facts, page_texts, real_service

THREADS = 8


def test_notices_rendered_from_many_threads_at_once_all_come_out() -> None:
    keys = [f"c0ffee00000000000{n:03d}" for n in range(THREADS * 2)]
    service = real_service(*(make_facts(case_key=key) for key in keys))
    start = threading.Barrier(THREADS)

    def render(key: str) -> bytes:
        if keys.index(key) < THREADS:
            start.wait()  # the first round starts together
        return service.render(DocumentKind.REFUND_NOTICE, key).pdf

    with ThreadPoolExecutor(THREADS) as pool:
        pdfs = list(pool.map(render, keys))
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs)
    assert all("지방세 환급금 통지서" in page_texts(pdf)[0] for pdf in pdfs)
