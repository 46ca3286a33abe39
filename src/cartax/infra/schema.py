"""Every table the migrations create, for the schema-matches-migrations test and autogeneration.

A context's tables live in its ``adapters/tables.py`` on a module-level ``metadata``. When a context's
first migration lands, its module is added to :data:`TABLE_MODULES` in the same commit; the test suite
then checks that the migrated schema and the description in code agree, column for column.
"""

from __future__ import annotations

import importlib

from sqlalchemy import MetaData

TABLE_MODULES = (
    "cartax.infra.outbox",
    "cartax.detection.adapters.tables",
    "cartax.cases.adapters.tables",
    "cartax.bus.adapters.tables",
    "cartax.identity.adapters.tables",
    "cartax.audit.adapters.tables",
    "cartax.registry.adapters.tables",
    "cartax.payout.adapters.tables",
    "cartax.voc.adapters.tables",
    "cartax.notify.adapters.tables",
    "cartax.notices.adapters.tables",
)


def all_metadata() -> list[MetaData]:
    found: list[MetaData] = []
    for name in TABLE_MODULES:
        metadata = getattr(importlib.import_module(name), "metadata", None)
        if not isinstance(metadata, MetaData):
            raise TypeError(f"{name} must define a module-level SQLAlchemy `metadata`")
        found.append(metadata)
    return found


def combined_metadata() -> MetaData:
    """All tables in one :class:`MetaData`, as a database holds them."""
    combined = MetaData()
    for metadata in all_metadata():
        for table in metadata.tables.values():
            table.to_metadata(combined)
    return combined
