"""Bulk reads and writes of the registry tables, for the ingest: whole columns in, whole frames out.

Inserts go through ``COPY … FROM STDIN (FORMAT csv)`` on PostgreSQL, with the CSV written by Polars, and
through the driver's ``executemany`` on SQLite, with values already in SQLAlchemy's SQLite storage forms
(ISO dates, ``YYYY-MM-DD HH:MM:SS.ffffff`` UTC moments, 0/1 booleans) so that no per-row Python
conversion runs. Updates (corrections, a few) go through SQLAlchemy. Everything runs on the caller's
connection, inside its transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import polars as pl
from psycopg import sql
from sqlalchemy import BindParameter, Connection, Table, and_, bindparam, delete, insert, select, update

from cartax.registry.adapters import tables as t

_SQLITE_MOMENT = "%Y-%m-%d %H:%M:%S%.6f"
_CHUNK = 100_000
_IN_LIST = 1_000
_KEYS_PER_QUERY = 5_000
"""Keys in one ``IN`` list of a read by key (SQLite allows 32,766 parameters, PostgreSQL 65,535)."""
_SUBSET = 20_000
"""Above this many keys, reading the whole table and filtering beats lists of ``IN`` queries."""


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
        query = select(*(table.c[name] for name in schema)).compile(dialect=self._connection.dialect)
        return self._frame(self._connection.exec_driver_sql(str(query)).all(), schema)

    def _frame(self, rows: Sequence[Any], schema: Mapping[str, pl.DataType]) -> pl.DataFrame:
        # SQLite hands back dates as text and booleans as 0/1: read them so, then type them.
        raw = {name: (_sqlite_raw(dtype) if self._sqlite else dtype) for name, dtype in schema.items()}
        frame = pl.DataFrame([tuple(row) for row in rows], schema=raw, orient="row")
        return frame.with_columns(_typed(name, dtype) for name, dtype in schema.items() if raw[name] != dtype)

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
        if len(vehicle_ids) > _SUBSET:
            wanted = pl.Series(vehicle_ids, dtype=pl.String).implode()
            return self.load(t.registrations, schema).filter(pl.col("vehicle_id").is_in(wanted))
        return self.load_where(t.registrations, schema, "vehicle_id", vehicle_ids)

    def load_where(
        self, table: Table, schema: Mapping[str, pl.DataType], key: str, keys: Sequence[str]
    ) -> pl.DataFrame:
        """The rows of ``table`` whose ``key`` is one of ``keys``, through its index, typed as ``schema``."""
        wanted: BindParameter[str] = bindparam("keys", expanding=True)
        statement = select(*(table.c[name] for name in schema)).where(table.c[key].in_(wanted))
        # Compiled once; each chunk expands the IN list into its placeholders and runs on the driver, so rows
        # come back as plain tuples, typed below column by column rather than value by value.
        compiled = statement.compile(dialect=self._connection.dialect)
        rows: list[tuple[Any, ...]] = []
        for chunk in _chunks(keys, _KEYS_PER_QUERY):
            state = compiled.construct_expanded_state({"keys": chunk})
            values = state.parameters
            positions = state.positiontup or ()
            arguments = tuple(values[name] for name in positions) if compiled.positional else values
            rows.extend(self._connection.exec_driver_sql(state.statement, arguments).all())
        return self._frame(rows, schema)

    def payment_pairs(self, tax_year: int, key: str, keys: Sequence[str]) -> set[tuple[str, str]]:
        """The (owner, vehicle) pairs with a payment of ``tax_year`` whose ``key`` is one of ``keys``."""
        pairs: set[tuple[str, str]] = set()
        p = t.payments.c
        for chunk in _chunks(keys):
            query = (
                select(p.owner_id, p.vehicle_id).distinct().where(p.tax_year == tax_year, p[key].in_(chunk))
            )
            pairs.update((owner, vehicle) for owner, vehicle in self._connection.execute(query))
        return pairs

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
        if frame.is_empty():
            return
        if self._sqlite:
            self._executemany(table, frame)
        else:
            self._copy(table, frame)

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

    def _executemany(self, table: Table, frame: pl.DataFrame) -> None:
        statement = insert(table).compile(dialect=self._connection.dialect, column_keys=frame.columns)
        # The compiled statement's positional parameters follow the table's column order.
        order = [column.name for column in table.columns if column.name in frame.columns]
        stored = frame.select(order).with_columns(_sqlite_stored(frame.schema))
        for chunk in stored.iter_slices(_CHUNK):
            self._connection.exec_driver_sql(str(statement), chunk.rows())

    def _copy(self, table: Table, frame: pl.DataFrame) -> None:
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
            sql.Identifier(table.name), sql.SQL(", ").join(sql.Identifier(column) for column in frame.columns)
        )
        raw = self._connection.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for chunk in frame.iter_slices(_CHUNK):
                # Polars writes null as an empty field and an empty string as "": COPY reads them so.
                copy.write(chunk.write_csv(include_header=False))


def _chunks(values: Sequence[str], size: int = _IN_LIST) -> Iterator[list[str]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


def _sqlite_raw(dtype: pl.DataType) -> pl.DataType:
    if dtype == pl.Date:
        return pl.String()
    if dtype == pl.Boolean:
        return pl.Int8()
    return dtype


def _typed(name: str, dtype: pl.DataType) -> pl.Expr:
    if dtype == pl.Date:
        return pl.col(name).str.to_date("%Y-%m-%d")
    return pl.col(name).cast(dtype)


def _sqlite_stored(schema: Mapping[str, pl.DataType]) -> list[pl.Expr]:
    converted: list[pl.Expr] = []
    for name, dtype in schema.items():
        if dtype == pl.Date:
            converted.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Datetime):
            moment = pl.col(name).dt.convert_time_zone("UTC") if dtype.time_zone else pl.col(name)
            converted.append(moment.dt.strftime(_SQLITE_MOMENT))
        elif dtype == pl.Boolean:
            converted.append(pl.col(name).cast(pl.Int8))
    return converted
