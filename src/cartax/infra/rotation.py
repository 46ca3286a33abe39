"""Re-encrypting every encrypted column under the newest key, in short batches, while the platform serves.

Each context lists its encrypted columns as ``(table, primary key, column)`` in
``cartax.<context>.adapters.tables.ENCRYPTED_COLUMNS``; every value is bound to ``table.column:<primary
key>`` (the associated data of :class:`cartax.infra.crypto.PiiCipher`). A batch is one short transaction;
each row is updated only if it still holds the value read (compare-and-set), so a concurrent write —
which uses the newest key anyway — is never overwritten. Rows already under the newest key are not
selected again: running it twice does nothing more, and an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import Engine, column, not_, select, table, update

from cartax.infra.schema import TABLE_MODULES


class RotatingCipher(Protocol):
    def encrypt(self, plaintext: str, context: str) -> str: ...
    def decrypt(self, token: str, context: str) -> str: ...


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    key: str
    """The primary-key column (single, sortable) used to walk the table in batches."""
    column: str

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"

    def context(self, key: object) -> str:
        return f"{self.name}:{key}"


@dataclass(frozen=True)
class RotationReport:
    column: str
    rotated: int
    skipped: int
    """Rows changed by someone else between read and write (already under the newest key)."""


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column the contexts with tables declare."""
    found: list[EncryptedColumn] = []
    for name in TABLE_MODULES:
        declared = getattr(importlib.import_module(name), "ENCRYPTED_COLUMNS", ())
        found.extend(EncryptedColumn(*entry) for entry in declared)
    return found


def rotate_column(
    engine: Engine,
    cipher: RotatingCipher,
    current_prefix: str,
    target: EncryptedColumn,
    *,
    batch_size: int = 500,
    on_batch: Callable[[int], None] | None = None,
) -> RotationReport:
    """Re-encrypt every value of ``target`` not starting with ``current_prefix`` (the newest key's)."""
    t = table(target.table, column(target.key), column(target.column))
    key, value = t.c[target.key], t.c[target.column]
    pending = value.is_not(None) & not_(value.startswith(current_prefix, autoescape=True))
    rotated = skipped = 0
    after: Any = None
    while True:
        query = select(key, value).where(pending if after is None else pending & (key > after))
        with engine.begin() as connection:
            rows = connection.execute(query.order_by(key).limit(batch_size)).all()
            for row_key, old in rows:
                context = target.context(row_key)
                new = cipher.encrypt(cipher.decrypt(old, context), context)
                done = connection.execute(
                    update(t).where(key == row_key, value == old).values({target.column: new})
                )
                rotated += done.rowcount
                skipped += 1 - done.rowcount
        if on_batch is not None:
            on_batch(len(rows))
        if len(rows) < batch_size:
            return RotationReport(target.name, rotated, skipped)
        after = rows[-1][0]
