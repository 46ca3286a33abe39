"""The Typst typesetter: a template and its data (``sys.inputs.data``, JSON) to PDF, fonts embedded.

Only the fonts of the configured folder are used (system fonts are ignored), so every machine prints
the same glyphs; the Korean fonts are Debian's ``fonts-nanum`` (``make install``). One compiler is kept
per template, so fonts are loaded once per process, not once per document; a compiler takes one document
at a time (Typst's refuses a second caller with "Already borrowed"), so the server's threads, each
downloading a notice, take their turn. Each document's QR code is
drawn here, from its ``url``, so that the work is done in whichever process typesets the part.

:class:`TypstTypesetter` typesets print parts one after the other in this process;
:class:`PooledTypesetter` typesets them in worker processes (one per core given) while the caller
prepares the next parts: Typst and the QR codes are most of a print run's work.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

import typst

from cartax.notices.adapters.qr import SegnoQrCodes

REQUIRED_FONT = "NanumGothic.ttf"
PARENT_CHECK_SECONDS = 1.0


class FontsMissingError(RuntimeError):
    """The Korean fonts are not where the settings say."""


class TypstTypesetter:
    def __init__(self, font_dir: Path, root: Path) -> None:
        self.font_dir = font_dir
        self.root = root
        self.qr = SegnoQrCodes()
        self._compilers: dict[Path, typst.Compiler] = {}
        self._turn = threading.Lock()

    def typeset(self, template: Path, data: Mapping[str, Any], *, tagged: bool) -> bytes:
        docs = [{**doc, "qr": self.qr.svg(doc["url"])} for doc in data["docs"]]
        inputs = {"data": json.dumps({**data, "docs": docs}, ensure_ascii=False, separators=(",", ":"))}
        with self._turn:
            compiler = self._compilers.get(template) or self._compiler(template)
            pdf = compiler.compile(format="pdf", sys_inputs=inputs, pdf_tags=tagged)
        if not isinstance(pdf, bytes):
            raise TypeError("the typesetter returned no PDF")
        return pdf

    def typeset_parts(self, template: Path, parts: Iterator[Mapping[str, Any]]) -> Iterator[bytes]:
        for data in parts:
            yield self.typeset(template, data, tagged=False)

    def _compiler(self, template: Path) -> typst.Compiler:
        # Checked when first needed, so a platform without the fonts still starts (and says why it
        # cannot print) rather than refusing to serve anything.
        if not (self.font_dir / REQUIRED_FONT).is_file():
            raise FontsMissingError(
                f"Korean fonts not found: {self.font_dir} has no {REQUIRED_FONT}. Install Debian's "
                "fonts-nanum (make install does) or set CARTAX_NOTICE_FONT_DIR to the Nanum fonts."
            )
        compiler = typst.Compiler(
            str(template), root=str(self.root), font_paths=[str(self.font_dir)], ignore_system_fonts=True
        )
        self._compilers[template] = compiler
        return compiler


class PooledTypesetter(TypstTypesetter):
    """Print parts typeset in ``workers`` processes, at most ``workers + 1`` parts in flight (memory
    stays bounded); single documents are typeset in this process. Workers are spawned afresh for each
    print run (not forked: the caller may hold database connections and threads)."""

    def __init__(self, font_dir: Path, root: Path, workers: int) -> None:
        super().__init__(font_dir, root)
        self.workers = workers

    def typeset_parts(self, template: Path, parts: Iterator[Mapping[str, Any]]) -> Iterator[bytes]:
        if self.workers <= 1:
            yield from super().typeset_parts(template, parts)
            return
        context = multiprocessing.get_context("spawn")
        setup = (str(self.font_dir), str(self.root))
        with ProcessPoolExecutor(self.workers, context, _start_worker, setup) as pool:
            in_flight: deque[Future[bytes]] = deque()
            for data in parts:
                in_flight.append(pool.submit(_typeset_part, str(template), data))
                if len(in_flight) > self.workers:
                    yield in_flight.popleft().result()
            while in_flight:
                yield in_flight.popleft().result()


_worker: TypstTypesetter | None = None


def _start_worker(font_dir: str, root: str) -> None:
    global _worker  # one typesetter per worker process, built once when it starts
    _worker = TypstTypesetter(Path(font_dir), Path(root))
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()


def _exit_with_parent(parent: int) -> None:
    """A worker whose print run was killed would otherwise wait for work forever: leave with it."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_SECONDS)
    os._exit(1)


def _typeset_part(template: str, data: Mapping[str, Any]) -> bytes:
    if _worker is None:
        raise RuntimeError("the worker process was not started with _start_worker")
    return _worker.typeset(Path(template), data, tagged=False)
