"""``cartax calc``: the calculation contract over JSON Lines (contracts.md §1)."""

from __future__ import annotations

import os
import sys
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from datetime import date
from itertools import chain, islice
from pathlib import Path
from typing import IO, Annotated

import orjson
import typer

from cartax.rules import Law, default_law, evaluate
from cartax.rules.contract import error_to_json
from cartax.rules.errors import RequestError

BATCH_LINES = 2_000
"""Lines a worker process answers at a time; input shorter than one batch is answered in-process."""


def answer_lines(lines: list[str], law: Law, today: date) -> tuple[bytes, int]:
    """The responses to ``lines`` (blank ones skipped) as JSON Lines, and how many were rejected."""
    rejected = 0
    out: list[bytes] = []
    for line in lines:
        if not line.strip():
            continue
        try:
            raw = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            message = f"the line is not valid JSON ({exc.msg}); send one JSON object a line"
            response = error_to_json(None, RequestError("invalid_json", None, message))
        else:
            response = evaluate(raw, law, today)
        if "error" in response:
            rejected += 1
        out.append(orjson.dumps(response))
    out.append(b"")
    return b"\n".join(out) if len(out) > 1 else b"", rejected


def _answer_batch(lines: list[str], today: date) -> tuple[bytes, int]:
    return answer_lines(lines, default_law(), today)


def run_lines(source: IO[str], sink: IO[bytes], law: Law, today: date, workers: int = 1) -> int:
    """Answer every non-blank line of ``source`` on ``sink``, in order; return how many were rejected.

    With ``workers`` > 1 and more than one batch of input, batches go to that many processes (the
    law is the shipped rule set there); a bounded number of batches is in flight, so memory stays flat.
    """
    batches = iter(lambda: list(islice(source, BATCH_LINES)), [])
    first = next(batches, [])
    if workers <= 1 or len(first) < BATCH_LINES:
        rejected = 0
        for batch in chain([first], batches):
            text, bad = answer_lines(batch, law, today)
            sink.write(text)
            rejected += bad
        return rejected
    return _run_parallel(chain([first], batches), sink, today, workers)


def _run_parallel(batches: Iterator[list[str]], sink: IO[bytes], today: date, workers: int) -> int:
    rejected = 0
    with ProcessPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[tuple[bytes, int]]] = deque()
        for batch in batches:
            pending.append(pool.submit(_answer_batch, batch, today))
            if len(pending) >= 2 * workers:
                text, bad = pending.popleft().result()
                sink.write(text)
                rejected += bad
        while pending:
            text, bad = pending.popleft().result()
            sink.write(text)
            rejected += bad
    return rejected


def register(app: typer.Typer) -> None:
    @app.command()
    def calc(
        input_path: Annotated[
            Path | None,
            typer.Option("--input", help="JSON Lines file of requests (standard input by default)"),
        ] = None,
        output_path: Annotated[
            Path | None,
            typer.Option("--output", help="where to write the responses (standard output by default)"),
        ] = None,
        workers: Annotated[
            int, typer.Option("--workers", min=1, help="processes for long inputs (default: one per core)")
        ] = os.cpu_count() or 1,
    ) -> None:
        """Compute tax and refunds for JSON Lines requests; exit 2 when any line was rejected."""
        law = default_law()
        source = input_path.open(encoding="utf-8") if input_path else sys.stdin
        sink = output_path.open("wb") if output_path else sys.stdout.buffer
        try:
            rejected = run_lines(source, sink, law, date.today(), workers)
        finally:
            if input_path:
                source.close()
            if output_path:
                sink.close()
        raise typer.Exit(2 if rejected else 0)
