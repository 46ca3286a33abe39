"""Chunks of rows on a few threads: NumPy releases the GIL inside its loops, so two cores share the work."""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor


def run_chunks(task: Callable[[slice], None], rows: int, chunk_rows: int, workers: int | None) -> None:
    """Call ``task`` on consecutive slices of ``chunk_rows`` rows, on ``workers`` threads (default: one
    per core); the first error of any chunk is raised."""
    chunks = [slice(start, min(start + chunk_rows, rows)) for start in range(0, rows, chunk_rows)]
    threads = min(workers or os.cpu_count() or 1, len(chunks))
    if threads <= 1:
        for chunk in chunks:
            task(chunk)
        return
    with ThreadPoolExecutor(max_workers=threads) as pool:
        for done in pool.map(task, chunks):
            del done  # map re-raises a chunk's error here
