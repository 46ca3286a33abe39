"""The registry context: vehicles, owners (personal data encrypted), registration events, payments,
arrears and exemptions, read from the feeds of contracts.md §2 and kept in the platform's database.

Public modules: :mod:`cartax.registry.feeds` (read and validate the feeds, vectorised) and
:mod:`cartax.registry.ingest` (load them into the database idempotently); :func:`stored_feeds` and
:func:`changed_since` read the stored registry back for detection, and :func:`scoped_feeds` only the part
that given changes bear on.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cartax.registry.adapters.frames import changed_since, scoped_feeds, stored_feeds

__all__ = ["changed_since", "scoped_feeds", "stored_feeds"]


def __getattr__(name: str) -> Any:
    # The database readers (SQLAlchemy) load on first use: reading feed files, as each worker process of a
    # detection run does, needs none of them.
    if name in __all__:
        return getattr(import_module("cartax.registry.adapters.frames"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
