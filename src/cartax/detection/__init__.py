"""Refund detection: every owner × vehicle × tax year owed a refund, found from the registry's data.

Public surface::

    result = detect(read_feeds(folder), tax_year, decision_on, law)      # the vectorised engine
    result = detect_feeds(folder, tax_year, decision_on, out, "jsonl", law)  # files, as `cartax detect`
    result.records, result.summary, result.rejects
    store_run(uow, result, law, decision_on, started_at)                 # cases kept, events raised

Events: :class:`RefundDetected` (a new case) and :class:`RefundRecomputed` (a known case whose amounts
changed), both through the outbox, carrying ids, dates and amounts only.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cartax.detection.adapters.store import StoredRun, count_runs, store_run
    from cartax.detection.cases import CaseBatch, build_cases, case_key
    from cartax.detection.events import RefundDetected, RefundRecomputed
    from cartax.detection.run import ENGINES, RunResult, RunSummary, detect, detect_feeds

_HOMES = {
    "cartax.detection.adapters.store": ("StoredRun", "count_runs", "store_run"),
    "cartax.detection.cases": ("CaseBatch", "build_cases", "case_key"),
    "cartax.detection.events": ("RefundDetected", "RefundRecomputed"),
    "cartax.detection.run": ("ENGINES", "RunResult", "RunSummary", "detect", "detect_feeds"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}

__all__ = [
    "ENGINES",
    "CaseBatch",
    "RefundDetected",
    "RefundRecomputed",
    "RunResult",
    "RunSummary",
    "StoredRun",
    "build_cases",
    "case_key",
    "count_runs",
    "detect",
    "detect_feeds",
    "store_run",
]


def __getattr__(name: str) -> Any:
    # Each name loads its module on first use: a worker process of a detection run imports the run's
    # modules alone, not the database store (SQLAlchemy, Alembic) it never uses.
    if name in _HOME:
        return getattr(import_module(_HOME[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
