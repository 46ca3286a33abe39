"""Bulk reads and writes of the registry tables, for the ingest: whole columns in, whole frames out.

Inserts and reads go through :mod:`cartax.infra.bulk` (``COPY`` on PostgreSQL, the driver's own rows on
SQLite); reads by key join a temporary table of keys on the server. Updates (corrections, a few) go
through SQLAlchemy. Everything runs on the caller's connection, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Table, and_, bindparam, delete, insert, select, update

from cartax.infra.bulk import insert_frame, key_table, read_frame
from cartax.registry.adapters import tables as t

_IN_LIST = 1_000


class SqlRegistryStore:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._sqlite = connection.dialect.name == "sqlite"

    def start_ingest(self, at: datetime) -> int:
        result = self._connection.execute(insert(t.ingests).values(started_at=at).returning(t.ingests.c.id))
        return int(result.scalar_one())

    def finish_ingest(self, ingest_id: int, at: datetime, summary: Mapping[str, Any]) -> None:
        statement = update(t.ingests).where(t.ingests.c.id == ingest_id)
        self._connection.execute(statement.values(finished_at=at, summary=dict(summary)))

    def load(self, table: Table, schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
        """Every stored row of ``table``: the columns named in ``schema``, typed as ``schema`` says."""
        return read_frame(self._connection, select(*(table.c[name] for name in schema)), schema)

    def registrations_of(self, vehicle_ids: Sequence[str]) -> pl.DataFrame:
        """The stored events of these vehicles, with the load and line that order same-day events."""
        schema = {
            "vehicle_id": pl.String(),
            "event": pl.String(),
            "date": pl.Date(),
            "owner_id": pl.String(),
            "prepayment_passed_on": pl.Boolean(),
            "ingest_id": pl.Int64(),
            "file_row": pl.Int64(),
        }
        return self.load_where(t.registrations, schema, "vehicle_id", vehicle_ids)

    def load_where(
        self, table: Table, schema: Mapping[str, pl.DataType], key: str, keys: Iterable[str]
    ) -> pl.DataFrame:
        """The rows of ``table`` whose ``key`` is one of ``keys``, through its index, typed as ``schema``."""
        with key_table(self._connection, keys) as wanted:
            return wanted.rows(table, schema, key)

    def refresh_statistics(self, tables: Sequence[Table]) -> None:
        """Refresh the planner's statistics of ``tables`` (PostgreSQL; SQLite plans without them)."""
        if not self._sqlite:
            for table in tables:
                self._connection.exec_driver_sql(f"ANALYZE {table.name}")

    def replace_holdings(self, vehicle_ids: Sequence[str], holdings: pl.DataFrame) -> None:
        """Drop the stored holdings of these vehicles and store ``holdings`` in their place."""
        for chunk in _chunks(vehicle_ids):
            self._connection.execute(delete(t.holdings).where(t.holdings.c.vehicle_id.in_(chunk)))
        self.insert(t.holdings, holdings)

    def load_keys(
        self, table: Table, key: str, keys: Sequence[str], columns: Sequence[str]
    ) -> list[dict[str, Any]]:
        """The rows whose ``key`` is in ``keys`` (a few: the corrected ones)."""
        found: list[dict[str, Any]] = []
        for chunk in _chunks(keys):
            query = select(table.c[key], *(table.c[c] for c in columns)).where(table.c[key].in_(chunk))
            found.extend(dict(row._mapping) for row in self._connection.execute(query))
        return found

    def insert(self, table: Table, frame: pl.DataFrame) -> None:
        insert_frame(self._connection, table, frame)

    def update(self, table: Table, key: Sequence[str], frame: pl.DataFrame) -> None:
        """Set every other column of ``frame`` on the rows matching its ``key`` columns."""
        if frame.is_empty():
            return
        values = [column for column in frame.columns if column not in key]
        statement = (
            update(table)
            .where(and_(*(table.c[column] == bindparam(f"key_{column}") for column in key)))
            .values({column: bindparam(f"new_{column}") for column in values})
        )
        rows = [
            {(f"key_{name}" if name in key else f"new_{name}"): value for name, value in row.items()}
            for row in frame.iter_rows(named=True)
        ]
        self._connection.execute(statement, rows)

    def record_changes(self, rows: Iterable[Mapping[str, Any]]) -> None:
        batch = [dict(row) for row in rows]
        if batch:
            self._connection.execute(insert(t.changes), batch)


def _chunks(values: Sequence[str], size: int = _IN_LIST) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])
